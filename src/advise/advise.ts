/**
 * The advise stage: for one measured image, the size rules on its Dockerfile's lines
 * (with the bytes its anatomy measured) and smaller base images (with the savings a
 * registry reports), largest measured saving first.
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { Anatomy } from '../analyse/anatomy.js';
import type { NpmDevDependencies } from '../analyse/npm-dev.js';
import type { Target } from '../discover/target.js';
import type { RegistryClient } from '../registry/client.js';
import { realPathInRepo } from '../repo-path.js';
import type { Finding } from '../model/report.js';
import type { ParsedDockerfile } from '../dockerfile/parse.js';
import { checkRules } from './rules/index.js';
import { suggestBases } from './suggest.js';
import { scratchFinding, type RuntimeFacts } from './scratch.js';
import { finalChain } from '../dockerfile/parse.js';

export interface Advice {
  findings: Finding[];
  /** Problems with the Dockerfile itself (`Dockerfile:3: …`), one line each. */
  problems: string[];
}

/** The platform registries are asked about: the build's, else this machine's Linux equivalent. */
export function lookupPlatform(target: Target): string {
  return target.platform ?? `linux/${process.arch === 'arm64' ? 'arm64' : 'amd64'}`;
}

/**
 * Verified savings first (a fix that built and shrank the image); then measured savings, estimated ones, those
 * without a figure; then fixes verified to save nothing; fixes that failed to build last.
 */
function savingsRank(finding: Finding): number {
  const verification = finding.verification;
  if (verification?.outcome === 'builds') return verification.savingsBytes! > 0 ? 0 : 4;
  if (verification?.outcome === 'fails' || verification?.outcome === 'timed-out') return 5;
  if (finding.savingsBytes === null) return 3;
  return finding.measured ? 1 : 2;
}

/** The saving a finding is ranked by: the verified one when it built, else its own. */
function rankedBytes(finding: Finding): number {
  return (finding.verification?.outcome === 'builds' ? finding.verification.savingsBytes : finding.savingsBytes) ?? 0;
}

/**
 * The one order of an image's advice, as the report keeps it and every rendering
 * shows it: verified savings first, then measured, estimated, unknown, and failed
 * fixes last; largest first within each, and the order they were found among equals.
 */
export function orderFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => savingsRank(a) - savingsRank(b) || rankedBytes(b) - rankedBytes(a));
}

export async function adviseImage(options: {
  /** Folder the target's repo-relative paths are relative to. */
  root: string;
  target: Target;
  /** The target's Dockerfile as the measure stage parsed it, with the build's args and target. */
  dockerfile: ParsedDockerfile | null;
  /** Why the Dockerfile could not be read, when it could not. */
  dockerfileError: string | null;
  anatomy: Anatomy | null;
  /** What the image runs and the files a container sees; null when the image was not read layer by layer. */
  runtime: Pick<RuntimeFacts, 'entrypoint' | 'files'> | null;
  /** npm devDependencies the image ships, per project. */
  npmDev?: NpmDevDependencies[];
  /** Which builder built it: fixes that need BuildKit say so, or give way to ones that work without it. */
  builder: 'buildkit' | 'classic' | null;
  registry: RegistryClient;
}): Promise<Advice> {
  const { root, target, dockerfile } = options;
  if (!target.dockerfile || target.context === null) return { findings: [], problems: [] };
  if (dockerfile === null) {
    const why = options.dockerfileError ?? 'it was not read';
    return { findings: [], problems: [`${target.dockerfile}: could not be read for advice: ${why}`] };
  }
  const path = resolve(root, target.dockerfile);
  const problems = dockerfile.problems.map((problem) => `${target.dockerfile}:${problem.line}: ${problem.message}`);
  const rules = checkRules({
    dockerfile,
    anatomy: options.anatomy,
    hasDockerignore: await hasDockerignore(root, resolve(root, target.context), path),
    ignore: target.ignore,
    ...(options.builder === null ? {} : { builder: options.builder }),
    ...(options.npmDev === undefined ? {} : { npmDev: options.npmDev })
  });
  const runtime = options.runtime === null || options.anatomy === null ? null : { ...options.runtime, layers: options.anatomy.layers };
  // Switched off like the other base advice: by the config, or a `# footprint-ignore:` above the FROM.
  const ignored = new Set([...target.ignore, ...(finalChain(dockerfile)[0]?.from.ignored ?? [])]);
  const scratch = runtime === null || ignored.has('all') || ignored.has('base-scratch') ? null : scratchFinding(dockerfile, runtime);
  const measured = scratch === null ? [] : [scratch];
  const bases = await suggestBases({
    dockerfile,
    registry: options.registry,
    platform: lookupPlatform(target),
    ignore: target.ignore,
    runtime,
    measuredScratch: scratch !== null
  });
  return { findings: orderFindings([...rules, ...measured, ...bases]), problems };
}

/**
 * `.dockerignore` in the context, or BuildKit's `<Dockerfile>.dockerignore` beside the Dockerfile;
 * one that leads out of the repository through a symlink does not count (planning refuses its image).
 */
async function hasDockerignore(root: string, context: string, dockerfile: string): Promise<boolean> {
  for (const candidate of [join(context, '.dockerignore'), join(dirname(dockerfile), `${basename(dockerfile)}.dockerignore`)]) {
    if ((await realPathInRepo(root, candidate)).kind === 'inside') return true;
  }
  return false;
}
