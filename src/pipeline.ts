import { join, relative } from 'node:path';
import type { Engine } from './build/engine.js';
import { checkoutBase, type BaseCheckout } from './compare/git.js';
import { changeRecord } from './compare/change.js';
import { comparedSide, compareImages, type ComparedImage } from './compare/compare.js';
import type { Config } from './config/load.js';
import { planTargets } from './discover/plan.js';
import type { Target } from './discover/target.js';
import type { Exec } from './exec.js';
import { adviseImage, type Advice } from './advise/advise.js';
import type { RegistryClient } from './registry/client.js';
import { judge, totals } from './gate/verdict.js';
import { limitsOf } from './limits/index.js';
import type { GivenImage } from './input-parsers.js';
import { messageOf } from './errors.js';
import type { Analyser } from './measure/analyse-image.js';
import { measureTargets, type ImageReader, type MeasureHooks } from './measure/measure.js';
import type { Measurement } from './measure/measurement.js';
import { isFailing, type ImageReport, type Report } from './model/report.js';
import type { Settings } from './model/settings.js';

/** What a run measures and with which settings: the action's inputs and the CLI's options both give this. */
export interface PipelineInputs {
  /** Globs of Dockerfiles to build, relative to the root. */
  dockerfiles: string[];
  /** The least specific level of settings: the config file's top level and its image entries override them. */
  settings: Settings;
  /** Estimate the gzip size of layers that arrive uncompressed (a compressed budget turns it on anyway). */
  compressedSize: boolean;
  /** Ref or SHA of the base branch to compare with; null = no comparison. */
  baseRef: string | null;
  /** Images given by reference: measured, not built. */
  images: GivenImage[];
}

export interface PipelineOptions {
  /** The git repository's top folder (where the base branch is checked out from). */
  repo: string;
  /** The folder Dockerfiles are discovered in and paths are relative to (the repo or a folder inside it). */
  root: string;
  inputs: PipelineInputs;
  config: Config;
  /** Makes the action's image tags unique to this run. */
  runId: string;
}

export interface PipelineEffects {
  engine: Engine;
  exec: Exec;
  /** Asked about smaller base images; never given the GitHub token. */
  registry: RegistryClient;
  readImage?: ImageReader;
  /** Reads and analyses each image elsewhere (a worker thread); default: in this thread. */
  analyser?: Analyser;
  hooks?: MeasureHooks;
  log: { info(message: string): void; warning(message: string): void };
}

/** plan → build → measure (PR side, then base side) → compare → judge: the report every renderer shows. */
export async function runPipeline(options: PipelineOptions, effects: PipelineEffects): Promise<Report> {
  const { inputs, config } = options;
  const defaults = inputs.settings;
  const headTargets = await planTargets({
    root: options.root,
    globs: inputs.dockerfiles,
    config,
    defaults,
    images: inputs.images,
    side: 'head'
  });
  if (headTargets.length === 0) effects.log.warning(`No Dockerfiles matched ${inputs.dockerfiles.join(', ')}.`);
  const measureOptions = {
    engine: effects.engine,
    runId: options.runId,
    // A compressed budget needs the compressed size, whatever the input says.
    estimateCompressed: inputs.compressedSize || headTargets.some((target) => target.budget?.metric === 'compressed'),
    ...(effects.readImage ? { readImage: effects.readImage } : {}),
    ...(effects.analyser ? { analyser: effects.analyser } : {}),
    ...(effects.hooks ? { hooks: effects.hooks } : {})
  };
  const head = await measureTargets({ ...measureOptions, targets: headTargets, root: options.root, side: 'head' });

  let base: Measurement[] | null = null;
  let baseInfo: Report['base'] = null;
  let baseError: string | null = null;
  if (inputs.baseRef) {
    let checkout: BaseCheckout | null = null;
    try {
      checkout = await checkoutBase({ exec: effects.exec, repo: options.repo, ref: inputs.baseRef, log: (message) => effects.log.info(message) });
      baseInfo = { ref: inputs.baseRef, sha: checkout.sha };
      const baseRoot = join(checkout.dir, relative(options.repo, options.root));
      const baseTargets = (await planTargets({ root: baseRoot, globs: inputs.dockerfiles, config, defaults, images: inputs.images, side: 'base' }))
        // The base side is always built from its Dockerfile: an image given by reference is the PR's.
        .filter((target) => target.dockerfile !== null)
        .map((target): Target => ({ ...target, image: null }));
      base = await measureTargets({ ...measureOptions, targets: baseTargets, root: baseRoot, side: 'base' });
    } catch (error) {
      baseError = `The base branch (${inputs.baseRef}) could not be compared: ${messageOf(error)}`;
      effects.log.warning(baseError);
      base = null;
    } finally {
      await checkout?.dispose();
    }
  }

  const advice = new Map<string, Advice>();
  for (const measurement of head) {
    if (measurement.error || !measurement.size) continue;
    const { target, anatomy, dockerfile, dockerfileError } = measurement;
    const result = await adviseImage({ root: options.root, target, dockerfile, dockerfileError, anatomy, registry: effects.registry });
    for (const problem of result.problems) effects.log.warning(problem);
    advice.set(target.name, result);
  }

  const images = compareImages(head, base).map((compared) => toImageReport(compared, advice.get(compared.name)));
  return reportOf(images, baseError ? null : baseInfo, baseError);
}

function reportOf(images: ImageReport[], base: Report['base'], baseError: string | null): Report {
  return {
    version: 1,
    sizeMetric: 'uncompressed bytes: regular files in all layers',
    base,
    baseError,
    images,
    totals: totals(images),
    overBudget: images.some((image) => isFailing(image.status))
  };
}

/** Two images given by reference (daemon refs, `oci-archive:PATH`, `docker-archive:PATH`) for `diffImages`. */
export interface DiffInputs {
  old: string;
  new: string;
  /** Estimate the gzip size of layers that arrive uncompressed. */
  compressedSize: boolean;
}

/**
 * Any two images compared without a build: the report of `new` (named by its
 * reference) against `old`, with the change record even when the bytes are the same.
 */
export async function diffImages(inputs: DiffInputs, effects: Pick<PipelineEffects, 'engine' | 'readImage' | 'analyser' | 'hooks'>): Promise<Report> {
  const given = (ref: string): Target => ({
    name: inputs.new,
    dockerfile: null,
    context: null,
    image: ref,
    target: null,
    buildArgs: {},
    platform: null,
    ...limitsOf(null),
    ignore: []
  });
  const options = {
    engine: effects.engine,
    runId: 'diff',
    estimateCompressed: inputs.compressedSize,
    root: '.',
    ...(effects.readImage ? { readImage: effects.readImage } : {}),
    ...(effects.analyser ? { analyser: effects.analyser } : {}),
    ...(effects.hooks ? { hooks: effects.hooks } : {})
  };
  const base = await measureTargets({ ...options, targets: [given(inputs.old)], side: 'base' });
  const head = await measureTargets({ ...options, targets: [given(inputs.new)], side: 'head' });
  const [compared] = compareImages(head, base);
  const [headSide, baseSide] = [comparedSide(head[0]!), comparedSide(base[0]!)];
  // Asked for explicitly: the record shows what moved even when the totals are equal.
  const change = compared!.change ?? (headSide !== null && baseSide !== null ? changeRecord(headSide, baseSide) : null);
  const image = toImageReport({ ...compared!, change }, undefined);
  return reportOf([image], null, null);
}

function toImageReport(compared: ComparedImage, advice: Advice | undefined): ImageReport {
  const { head, base: baseSide } = compared;
  const target = ((head ?? baseSide) as Measurement).target;
  // An image given only by reference has no Dockerfile to build on the base branch: nothing to compare.
  const comparison = compared.comparison === 'new' && target.image && !target.dockerfile ? 'not-compared' : compared.comparison;
  // Limits belong to the PR's image: a removed image has none.
  const limits = limitsOf(head ? target : null);
  const measured = {
    comparison,
    size: head?.size ?? null,
    base: baseSide?.size ? { bytes: baseSide.size.bytes, compressedBytes: baseSide.size.compressedBytes } : null,
    delta: compared.delta,
    wasted: head?.anatomy?.wasted ?? null,
    error: head?.error ?? null
  };
  const verdict = judge({ ...measured, limits, image: target.image });
  const reasons = [...verdict.reasons, ...(head?.analysisError ? [`layers not analysed: ${head.analysisError}`] : []), ...(advice?.problems ?? [])];
  return {
    name: compared.name,
    dockerfile: target.dockerfile,
    context: target.context,
    image: target.image,
    status: verdict.status,
    ...measured,
    ...limits,
    layers: head?.anatomy?.layers ?? null,
    caches: head?.anatomy?.caches ?? null,
    inventory: head?.inventory ?? null,
    change: compared.change,
    findings: advice?.findings ?? [],
    breaches: verdict.breaches,
    reasons,
    baseError: baseSide?.error ?? null
  };
}
