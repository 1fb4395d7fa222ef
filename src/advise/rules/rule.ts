/**
 * What a size rule is: a stable id, a one-line summary (the README's table of
 * rules lists the same ids) and a check that reads the steps of the shipped
 * stages. A check returns hits; checkRules (index.ts) drops the ignored ones and
 * turns the rest into findings under the rule's id, so a check cannot report
 * under another rule's name.
 */
import type { Finding, LayerReport, LeftoverCache, Patch, Waste } from '../../model/report.js';
import type { Instruction, ParsedDockerfile } from '../../dockerfile/parse.js';
import type { NpmDevDependencies } from '../../analyse/npm-dev.js';
import { formatBytes } from '../../units.js';
import type { RunFacts, Step } from '../run-facts.js';

export interface RuleInput {
  dockerfile: ParsedDockerfile;
  /** The built image's anatomy; null when the image was not measured. */
  anatomy: { layers: LayerReport[]; wasted: Waste; caches: LeftoverCache[] } | null;
  /** Whether the build context has a .dockerignore (or `<Dockerfile>.dockerignore`). */
  hasDockerignore: boolean;
  /** Rule ids switched off by the config. */
  ignore: string[];
  /**
   * The builder that builds the image: `buildkit` lets a fix use BuildKit-only syntax (`COPY --chmod`,
   * `RUN --mount`, `ADD --checksum`); `classic` or unknown gets a fix that works on the classic builder first.
   */
  builder?: 'buildkit' | 'classic';
  /** npm devDependencies the image ships, per project, as the analysis measured them. */
  npmDev?: NpmDevDependencies[];
}

/** What every check reads: the input, and the instructions of the shipped stages with what each does. */
export interface RuleContext extends RuleInput {
  steps: Step[];
}

/** One thing a rule found, on one instruction. */
export interface Hit {
  instruction: Instruction;
  /** Raised to a warning when the anatomy measured the bytes. */
  severity: Finding['severity'];
  message: string;
  fix: string;
  /** What the fix saves as the anatomy measured it; null when not measured. */
  bytes: number | null;
  /** The fix as a change of the instruction's lines, when it is mechanical. */
  patch?: Patch;
}

export interface Rule {
  /** Usable in the config's `ignore:` and in `# footprint-ignore:` comments. */
  readonly id: string;
  readonly summary: string;
  /** Hits in the order of the instructions, ignored or not: checkRules applies the ignores. */
  check(context: RuleContext): Hit[];
}

/** At most one hit per instruction of the shipped stages. */
export function eachStep(context: RuleContext, check: (step: Step) => Hit | null): Hit[] {
  return context.steps.flatMap((step) => check(step) ?? []);
}

/** At most one hit per RUN of the shipped stages. */
export function eachRun(context: RuleContext, check: (step: Step, facts: RunFacts) => Hit | null): Hit[] {
  return eachStep(context, (step) => (step.facts === null ? null : check(step, step.facts)));
}

/** Bytes of the caches of these kinds the anatomy found left by `line` (not by the base image); null when none or not measured. */
export function cacheBytes(context: RuleContext, kinds: readonly string[], line: number): number | null {
  if (context.anatomy === null) return null;
  const bytes = context.anatomy.caches
    .filter((cache) => kinds.includes(cache.kind) && cache.line === line && cache.fromBase !== true)
    .reduce((sum, cache) => sum + cache.bytes, 0);
  return bytes > 0 ? bytes : null;
}

/**
 * A fix that needs BuildKit, as a sentence after the classic builder's fix: offered plainly when the image is built
 * with BuildKit, marked `(needs BuildKit)` otherwise. `sentence` starts with a capital and has no final period.
 */
export function buildkitVariant(context: RuleContext, sentence: string): string {
  return context.builder === 'buildkit' ? ` ${sentence}.` : ` ${sentence} (needs BuildKit).`;
}

/** `18.4 MB of apt package lists` when measured, else `apt package lists`. */
export function bytesPhrase(bytes: number | null, what: string): string {
  return bytes !== null && bytes > 0 ? `${formatBytes(bytes)} of ${what}` : what;
}
