import type { Engine } from './build/engine.js';
import { BuildInputDigests, chooseBaseline, measureSides } from './baseline/routes.js';
import type { StoredBaseline } from './baseline/stored.js';
import { changeRecord } from './compare/change.js';
import { comparedSide, compareImages, type ComparedImage } from './compare/compare.js';
import type { Config } from './config/load.js';
import { planTargets } from './discover/plan.js';
import { bareTarget, type Target } from './discover/target.js';
import type { Exec } from './exec.js';
import { adviseImage, orderFindings, type Advice } from './advise/advise.js';
import { verifyImage } from './verify/verify.js';
import type { RegistryClient } from './registry/client.js';
import { judge, totals } from './gate/verdict.js';
import { limitsOf } from './limits/index.js';
import type { GivenImage } from './input-parsers.js';
import type { Analyser } from './measure/analyse-image.js';
import { analyserOf, measureTargets, needsEngine, type ImageReader, type MeasureHooks } from './measure/measure.js';
import type { Measurement } from './measure/measurement.js';
import { isFailing, type BaselineInfo, type ImageReport, type Report, type Reuse } from './model/report.js';
import type { Settings } from './model/settings.js';
import type { Trend } from './model/trend.js';

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
  /** The base branch's name (`main`), for `{base-ref}` in a `base-image` template; null when unknown. */
  baseBranch: string | null;
  /** Images given by reference: measured, not built. */
  images: GivenImage[];
  /** Build each mechanical fix to prove it (`verify-advice`), within this many seconds per image; null: no verification. */
  verify: { timeoutSeconds: number } | null;
  /**
   * Where the base side comes from: `auto`, the base commit's stored report, else published base images, else a
   * worktree build; `build`, always a worktree build of every image; `stored`, a stored report or no comparison;
   * `none`, no comparison.
   */
  baseline: BaselineMode;
}

export const BASELINE_MODES = ['auto', 'build', 'stored', 'none'] as const;
export type BaselineMode = (typeof BASELINE_MODES)[number];

export type BaselineLookup =
  | { kind: 'found'; baseline: StoredBaseline; run: { id: number; url: string | null } }
  /** No report stored for that commit, or one that could not be used (the reason says which). */
  | { kind: 'missing'; reason: string }
  /** The token may not read the workflow runs and artifacts. */
  | { kind: 'refused'; reason: string };

/** Finds the report a commit's own run stored. */
export interface BaselineStore {
  find(sha: string): Promise<BaselineLookup>;
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
  /** Asked about smaller base images and about the base images a digest names; never given the GitHub token. */
  registry: RegistryClient;
  readImage?: ImageReader;
  /** Reads and analyses each image elsewhere (a worker thread); default: in this thread. */
  analyser?: Analyser;
  hooks?: MeasureHooks;
  /** Stored reports of earlier runs (the action's workflow artifacts); none for the CLI. */
  baselines?: BaselineStore;
  log: { info(message: string): void; warning(message: string): void };
}

/** Measures targets on one side, with the run's settings. */
export type MeasureSide = (targets: Target[], root: string, side: 'head' | 'base') => Promise<Measurement[]>;

/** plan → digest → choose the baseline → build and measure → compare → advise → judge: the report every renderer shows. */
export async function runPipeline(options: PipelineOptions, effects: PipelineEffects): Promise<Report> {
  const { inputs, config } = options;
  const headTargets = await planTargets({
    root: options.root,
    globs: inputs.dockerfiles,
    config,
    defaults: inputs.settings,
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
  const measure: MeasureSide = (targets, root, side) => measureTargets({ ...measureOptions, targets, root, side });

  // With no engine to ask about base images, say so once, before digesting anything.
  if (headTargets.some(needsEngine)) await effects.engine.ensureReachable();
  const digests = new BuildInputDigests(effects);
  const headInputs = await digests.of(headTargets, options.root);
  const route = await chooseBaseline(options, effects);
  const compressed = measureOptions.estimateCompressed;
  const sides = await measureSides({ options, effects, route, headTargets, headInputs, digests, measure, compressed });

  const advice = new Map<string, Advice>();
  for (const measurement of sides.head) {
    if (measurement.error || !measurement.size) continue;
    const { target, anatomy, dockerfile, dockerfileError } = measurement;
    const result = await adviseImage({
      root: options.root,
      target,
      dockerfile,
      dockerfileError,
      anatomy,
      runtime: anatomy === null ? null : { entrypoint: measurement.entrypoint, files: measurement.files },
      builder: effects.engine.buildKit ? 'buildkit' : 'classic',
      npmDev: measurement.npmDev,
      registry: effects.registry
    });
    for (const problem of result.problems) effects.log.warning(problem);
    advice.set(target.name, result);
  }

  if (inputs.verify !== null) await verifyAdvice(options, effects, sides.head, advice, compressed);

  const images = compareImages(sides.head, sides.base).map((compared) =>
    toImageReport(compared, advice.get(compared.name), sides.notes.get(compared.name) ?? null)
  );
  return reportOf(images, sides.baseError ? null : sides.baseInfo, sides.baseError, sides.baseline, sides.trend);
}

/** Verified advice: after every image was measured, each image's patched fixes built and measured, one at a time. */
async function verifyAdvice(
  options: PipelineOptions,
  effects: PipelineEffects,
  head: readonly Measurement[],
  advice: Map<string, Advice>,
  estimateCompressed: boolean
): Promise<void> {
  const analyser = analyserOf(effects);
  const verify = { root: options.root, runId: options.runId, timeoutMs: options.inputs.verify!.timeoutSeconds * 1000, estimateCompressed };
  for (const measurement of head) {
    const found = advice.get(measurement.target.name);
    if (found === undefined || !found.findings.some((finding) => finding.patch !== null)) continue;
    const verified = await verifyImage(measurement, found.findings, verify, { engine: effects.engine, analyser, log: effects.log });
    advice.set(measurement.target.name, { ...found, findings: orderFindings(verified.findings) });
  }
}

function reportOf(images: ImageReport[], base: Report['base'], baseError: string | null, baseline: BaselineInfo, trend: Trend | null): Report {
  return {
    version: 1,
    sizeMetric: 'uncompressed bytes: regular files in all layers',
    base,
    baseError,
    baseline,
    trend,
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
  const given = (ref: string): Target => bareTarget({ name: inputs.new, dockerfile: null, context: null, image: ref });
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
  const image = toImageReport({ ...compared!, change }, undefined, null);
  return reportOf([image], null, null, { source: 'none', note: null, run: null }, null);
}

const REUSE_NOTES: Record<Reuse, string> = {
  'same-inputs': 'not rebuilt: same build inputs as the base branch',
  stored: "not rebuilt: same build inputs as the base branch's stored report"
};

function toImageReport(compared: ComparedImage, advice: Advice | undefined, baseNote: string | null): ImageReport {
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
  const reasons = [
    ...verdict.reasons,
    ...(head?.reused ? [REUSE_NOTES[head.reused]] : []),
    ...(baseNote ? [baseNote] : []),
    ...(head?.analysisError ? [`layers not analysed: ${head.analysisError}`] : []),
    ...(advice?.problems ?? [])
  ];
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
    entrypoint: head?.entrypoint ?? null,
    findings: advice?.findings ?? [],
    breaches: verdict.breaches,
    reasons,
    baseError: baseSide?.error ?? null,
    buildInputs: head?.buildInputs ?? null,
    reused: head?.reused ?? null
  };
}
