/**
 * Where the base side of the comparison comes from, cheapest first: the report the base commit's own
 * run stored (an image whose build inputs are unchanged is not built at all), the images the base
 * branch published, a build of the base commit in a worktree (an image whose inputs are the same on
 * both sides built once). Every route gives the PR side's and the base side's measurements.
 */
import { join, relative } from 'node:path';
import { baseCommit, checkoutBase, type BaseCheckout } from '../compare/git.js';
import { planTargets } from '../discover/plan.js';
import type { Target } from '../discover/target.js';
import { messageOf } from '../errors.js';
import { readDockerfile } from '../measure/measure.js';
import type { Measurement } from '../measure/measurement.js';
import type { BaselineInfo, BuildInputs, Report } from '../model/report.js';
import type { Trend } from '../model/trend.js';
import type { MeasureSide, PipelineEffects, PipelineOptions } from '../pipeline.js';
import { createBaseResolver } from './base-images.js';
import { digestBuildInputs, type BaseResolver } from './digest.js';
import { measurePublished } from './published.js';
import { storedMeasurements, type StoredBaseline } from './stored.js';

export type BaselineRoute =
  | { kind: 'none'; note: string | null }
  | { kind: 'stored'; sha: string; baseline: StoredBaseline; run: { id: number; url: string | null } }
  | { kind: 'build'; ref: string; note: string | null };

/** Both sides' measurements and what the report says about the base side. */
export interface Sides {
  head: Measurement[];
  /** Null when there is no comparison. */
  base: Measurement[] | null;
  baseInfo: Report['base'];
  baseError: string | null;
  baseline: BaselineInfo;
  trend: Trend | null;
  /** Per image, where its base side came from when that is worth a line in its reasons. */
  notes: Map<string, string>;
}

/** Two digests name the same build inputs only when both are known and equal. */
export function sameInputs(a: BuildInputs | null | undefined, b: BuildInputs | null | undefined): boolean {
  return typeof a?.digest === 'string' && a.digest === b?.digest;
}

/** The measurements with their targets' build-input digests. */
function withInputs(measurements: Measurement[], inputs: Map<string, BuildInputs>): Measurement[] {
  return measurements.map((measurement) => ({ ...measurement, buildInputs: inputs.get(measurement.target.name) ?? null }));
}

/** Digests each target's build inputs, resolving base images through the engine, then the registry, once per run. */
export class BuildInputDigests {
  private readonly resolveBase: BaseResolver;
  constructor(private readonly effects: Pick<PipelineEffects, 'engine' | 'registry' | 'log'>) {
    this.resolveBase = createBaseResolver({ engine: effects.engine, registry: effects.registry });
  }

  async of(targets: Target[], root: string): Promise<Map<string, BuildInputs>> {
    const digests = new Map<string, BuildInputs>();
    for (const target of targets) {
      if (target.dockerfile === null || target.image !== null || target.refused) continue;
      const { dockerfile } = await readDockerfile(root, target);
      const started = performance.now();
      const result = await digestBuildInputs({ root, target, dockerfile, builder: this.effects.engine.builder, resolveBase: this.resolveBase });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      this.effects.log.info(
        result.digest === null
          ? `${target.name}: build inputs not digested: ${result.unknown}`
          : `${target.name}: build inputs ${result.digest.slice(0, 19)}… (${result.files} files, ${result.bytes} bytes, ${seconds} s)`
      );
      digests.set(target.name, { digest: result.digest, unknown: result.unknown });
    }
    return digests;
  }
}

/** The base commit's SHA: the ref itself when it is one (no git needed), else what git resolves it to; null when it cannot. */
async function baseSha(options: PipelineOptions, effects: PipelineEffects, ref: string): Promise<string | null> {
  // A full SHA needs no git: a shallow clone need not fetch the base commit when its report is stored.
  if (/^[0-9a-f]{40}$/.test(ref)) return ref;
  return baseCommit(effects.exec, options.repo, ref, (message) => effects.log.info(message)).catch(() => null);
}

/**
 * The route: the base commit's stored report when `baseline` allows it and one is found and valid,
 * else a build (published images, then the worktree), unless `stored` forbids building.
 */
export async function chooseBaseline(options: PipelineOptions, effects: PipelineEffects): Promise<BaselineRoute> {
  const { baseRef, baseline: mode } = options.inputs;
  if (baseRef === null || mode === 'none') return { kind: 'none', note: null };
  if (mode === 'build') return { kind: 'build', ref: baseRef, note: 'built from the base commit: the baseline input is build' };
  // The CLI has no stored reports: building the base side is the only route, nothing to explain.
  if (!effects.baselines) {
    return mode === 'stored'
      ? { kind: 'none', note: 'not compared: there are no stored reports to look in, and the baseline input is stored' }
      : { kind: 'build', ref: baseRef, note: null };
  }
  const sha = await baseSha(options, effects, baseRef);
  let why: string;
  if (sha === null) {
    why = `the base commit ${baseRef} could not be resolved`;
  } else {
    const found = await effects.baselines.find(sha);
    if (found.kind === 'found') {
      effects.log.info(`Base side: the stored report of ${sha.slice(0, 7)} (workflow run ${found.run.id}).`);
      return { kind: 'stored', sha, baseline: found.baseline, run: found.run };
    }
    why = clause(found.reason);
  }
  if (mode === 'stored')
    return { kind: 'none', note: `not compared: no stored report of the base commit (${why}), and the baseline input is stored` };
  return { kind: 'build', ref: baseRef, note: `built from the base commit in a worktree: no stored report (${why})` };
}

/** A lookup's reason as a clause inside the footer's sentence: lower-case start, no full stop, short SHAs. */
function clause(reason: string): string {
  const text = reason.replace(/\b([0-9a-f]{7})[0-9a-f]{33}\b/g, '$1').replace(/\.$/, '');
  return /^[A-Z][a-z]/.test(text) ? `${text[0]!.toLowerCase()}${text.slice(1)}` : text;
}

export interface SidesRequest {
  options: PipelineOptions;
  effects: PipelineEffects;
  route: BaselineRoute;
  headTargets: Target[];
  headInputs: Map<string, BuildInputs>;
  digests: BuildInputDigests;
  measure: MeasureSide;
  /** This run needs compressed sizes (a compressed budget, or the estimate asked for): a stored figure without one is not enough. */
  compressed: boolean;
}

/** Builds and measures what the route needs, and nothing twice. */
export async function measureSides(request: SidesRequest): Promise<Sides> {
  const { route, headTargets, headInputs, measure, options } = request;
  if (route.kind === 'stored') return storedSides(request, route);
  const head = withInputs(await measure(headTargets, options.root, 'head'), headInputs);
  const none = { baseInfo: null, baseError: null, trend: null, notes: new Map<string, string>() };
  if (route.kind === 'none') return { ...none, head, base: null, baseline: { source: 'none', note: route.note, run: null } };
  return builtSides(request, route, head);
}

/** The stored report is the base side; an image with the same build inputs takes its stored measurement. */
async function storedSides(request: SidesRequest, route: Extract<BaselineRoute, { kind: 'stored' }>): Promise<Sides> {
  const { headTargets, headInputs, measure, options, effects } = request;
  const base = storedMeasurements(route.baseline);
  const stored = new Map(base.map((measurement) => [measurement.target.name, measurement]));
  const reusable = (target: Target) => {
    const match = stored.get(target.name);
    const measured = match?.size != null && (!request.compressed || match.size.compressedBytes !== null);
    return measured && sameInputs(headInputs.get(target.name), match.buildInputs) ? match : null;
  };
  const built = withInputs(
    await measure(
      headTargets.filter((target) => !reusable(target)),
      options.root,
      'head'
    ),
    headInputs
  );
  const head: Measurement[] = [];
  for (const target of headTargets) {
    const match = reusable(target);
    if (match === null) {
      head.push(built.find((measurement) => measurement.target.name === target.name) as Measurement);
      continue;
    }
    effects.log.info(`${target.name}: not rebuilt: same build inputs as the stored report of ${route.sha.slice(0, 7)}`);
    // The PR's own Dockerfile (the same bytes) for the advice; the limits are the PR's, checked against the stored figures.
    const dockerfile = await readDockerfile(options.root, target);
    head.push({ ...match, ...dockerfile, target, buildInputs: headInputs.get(target.name) ?? null, reused: 'stored' });
  }
  return {
    head,
    base,
    baseInfo: { ref: options.inputs.baseRef as string, sha: route.sha },
    baseError: null,
    baseline: { source: 'stored', note: null, run: route.run },
    trend: route.baseline.trend,
    notes: new Map()
  };
}

/** Published base images where configured, the rest built from the base commit in a worktree. */
async function builtSides(request: SidesRequest, route: Extract<BaselineRoute, { kind: 'build' }>, built: Measurement[]): Promise<Sides> {
  const { options, effects, headTargets, measure, digests } = request;
  const { inputs, config } = options;
  let head = built;
  // Resolved once, when a template or the report needs it (in a shallow clone it may take a fetch).
  let resolving: Promise<string | null> | null = null;
  const resolveSha = () => (resolving ??= baseSha(options, effects, route.ref));
  const published = await measurePublished({
    targets: inputs.baseline === 'build' ? [] : headTargets,
    values: {
      sha: headTargets.some((target) => target.baseImage?.includes('{base-sha}')) ? await resolveSha() : null,
      branch: inputs.baseBranch
    },
    engine: effects.engine,
    measure: (targets) => measure(targets, options.root, 'base'),
    log: (message) => effects.log.info(message)
  });
  const fromPublished = [...published.measured.values()];
  const sides = { head, trend: null, notes: published.notes };
  if (fromPublished.length > 0 && headTargets.every((target) => published.measured.has(target.name))) {
    // Every image's base side was published: no worktree and no build (an image the PR removed is not seen then).
    const sha = (await resolveSha()) ?? route.ref;
    return {
      ...sides,
      base: fromPublished,
      baseInfo: { ref: route.ref, sha },
      baseError: null,
      baseline: { source: 'published', note: null, run: null }
    };
  }

  const baseline: BaselineInfo = { source: 'build', note: route.note, run: null };
  let checkout: BaseCheckout | null = null;
  try {
    checkout = await checkoutBase({ exec: effects.exec, repo: options.repo, ref: route.ref, log: (message) => effects.log.info(message) });
    const baseRoot = join(checkout.dir, relative(options.repo, options.root));
    const baseTargets = (
      await planTargets({ root: baseRoot, globs: inputs.dockerfiles, config, defaults: inputs.settings, images: inputs.images, side: 'base' })
    )
      // The base side is always built from its Dockerfile: an image given by reference is the PR's.
      .filter((target) => target.dockerfile !== null && !published.measured.has(target.name))
      .map((target): Target => ({ ...target, image: null }));
    const baseInputs = await digests.of(baseTargets, baseRoot);
    // Built once when its inputs are the same on both sides (never with `baseline: build`, which always rebuilds).
    const builtHead = new Map(head.map((measurement) => [measurement.target.name, measurement]));
    const reusable = (target: Target) => {
      const match = builtHead.get(target.name);
      const same = inputs.baseline !== 'build' && match?.size != null && match.error === null;
      return same && sameInputs(baseInputs.get(target.name), match.buildInputs) ? match : null;
    };
    const builtBase = withInputs(
      await measure(
        baseTargets.filter((target) => !reusable(target)),
        baseRoot,
        'base'
      ),
      baseInputs
    );
    const once = new Map<string, Measurement>();
    for (const target of baseTargets) {
      const match = reusable(target);
      if (match === null) continue;
      effects.log.info(`${target.name}: not rebuilt for the base branch: same build inputs as the PR`);
      once.set(target.name, { ...match, reused: 'same-inputs' });
    }
    head = head.map((measurement) => once.get(measurement.target.name) ?? measurement);
    const base = [
      ...baseTargets.map(
        (target) => once.get(target.name) ?? (builtBase.find((measurement) => measurement.target.name === target.name) as Measurement)
      ),
      ...fromPublished
    ];
    return { ...sides, head, base, baseInfo: { ref: route.ref, sha: checkout.sha }, baseError: null, baseline };
  } catch (error) {
    const baseError = `The base branch (${route.ref}) could not be compared: ${messageOf(error)}`;
    effects.log.warning(baseError);
    return { ...sides, base: null, baseInfo: null, baseError, baseline };
  } finally {
    await checkout?.dispose();
  }
}
