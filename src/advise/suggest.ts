/**
 * Smaller base images with the savings measured in their registry: for each
 * candidate of bases.ts, whether the tag really exists for the build's platform
 * and how many compressed bytes it takes against the current base. A tag the
 * registry says is missing is dropped; one the registry could not be asked
 * about is still suggested, without a number, saying so. Only the lookups touch
 * the world, through the RegistryClient handed in (which caches and times out).
 */
import type { RegistryClient } from '../registry/client.js';
import { tryParseReference } from '../registry/reference.js';
import type { Finding } from '../model/report.js';
import { formatBytes } from '../units.js';
import { baseCandidates, type BaseCandidate } from './bases.js';
import { finalChain, type ParsedDockerfile, type Stage } from '../dockerfile/parse.js';
import { distrolessCandidate, type RuntimeFacts } from './scratch.js';

/** Registry lookups in flight at once. */
export const LOOKUP_CONCURRENCY = 4;

/** A measured saving above this share of the current base's compressed bytes makes the finding a warning. */
export const WARNING_SHARE = 0.5;

const MINUS = '\u2212';

export interface SuggestOptions {
  dockerfile: ParsedDockerfile;
  registry: RegistryClient;
  /** The platform to resolve manifest lists to (`linux/amd64`); a resolved `FROM --platform` wins. */
  platform: string;
  /** Rule ids switched off (`base-slim`, `base-alpine`, …). */
  ignore: readonly string[];
  /** What the image runs and its layers, when it was read: a measured binary decides scratch or distroless. */
  runtime?: RuntimeFacts | null;
  /** True when scratchFinding measured the scratch saving: the estimate from the Dockerfile's words is left out. */
  measuredScratch?: boolean;
}

/** What the registry said about one candidate. */
interface Lookup {
  /** true / false: the tag exists or not; null: the registry could not be asked; undefined: not asked (scratch). */
  exists: boolean | null | undefined;
  size: number | null;
}

/** Runs `task` over `items` with at most `limit` at once, results in the items' order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const at = next++;
      results[at] = await task(items[at]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/** A `FROM --platform` value that names a platform (not `$BUILDPLATFORM`), else null. */
function stagePlatform(stage: Stage): string | null {
  const platform = stage.from.platform?.trim() ?? '';
  return /^[a-z0-9._-]+\/[a-z0-9._-]+(?:\/[a-z0-9._-]+)?$/i.test(platform) ? platform : null;
}

/** The FROM line with another image, keeping `--platform` and `AS name`. */
function fromLine(stage: Stage, image: string): string {
  const platform = stage.from.platform ? `--platform=${stage.from.platform} ` : '';
  return `FROM ${platform}${image}${stage.name === null ? '' : ` AS ${stage.name}`}`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The fix: a sentence (with the caveat), and for multi-stage suggestions the sketch on the lines after it. */
function fixOf(root: Stage, candidate: BaseCandidate): string {
  const caveat = candidate.caveat === null ? '' : ` Caveat: ${sentence(candidate.caveat)}`;
  if (candidate.sketch === null) {
    return `Change line ${root.from.line} to \`${fromLine(root, candidate.image)}\`.${caveat}`;
  }
  return `Build in one stage and copy only the result into a final stage on ${candidate.image}, as sketched below.${caveat}\n${candidate.sketch}`;
}

function findingOf(root: Stage, current: string, currentSize: number | null, candidate: BaseCandidate, lookup: Lookup): Finding | null {
  if (lookup.exists === false) return null;
  const target = candidate.sketch === null ? candidate.image : `a multi-stage build on ${candidate.image}`;
  const head = `${current} \u2192 ${target}`;
  const why = sentence(capitalised(candidate.why));
  const base = {
    rule: candidate.rule,
    line: root.from.line,
    fix: fixOf(root, candidate),
    // A change of the FROM line is mechanical; a multi-stage sketch is an outline to adapt.
    patch: candidate.sketch === null ? { line: root.from.line, endLine: root.from.line, text: fromLine(root, candidate.image) } : null,
    verification: null
  };
  const unmeasured = (what: string): Finding => ({
    ...base,
    severity: 'notice',
    message: `${head}: ${what}. ${why}`,
    savingsBytes: null,
    savingsMetric: null,
    measured: false
  });

  if (lookup.exists === undefined) {
    // scratch: nothing to look up; at most the whole current base goes.
    if (currentSize === null) return unmeasured(`no saving measured (${current} could not be measured in the registry)`);
    return unmeasured(
      `up to ${MINUS}${formatBytes(currentSize)} compressed, all of ${current} as measured in the registry, less the copied build output`
    );
  }
  if (lookup.exists === null) return unmeasured('the registry could not be reached, so the saving is not measured');
  if (currentSize === null || lookup.size === null) return unmeasured('the saving could not be measured in the registry');
  const savings = currentSize - lookup.size;
  if (savings <= 0) return null;
  const output = candidate.sketch === null ? '' : ', plus the copied build output';
  return {
    ...base,
    severity: currentSize > 0 && savings / currentSize > WARNING_SHARE ? 'warning' : 'notice',
    message: `${head}: ${MINUS}${formatBytes(savings)} compressed, measured in the registry (${formatBytes(currentSize)} \u2192 ${formatBytes(lookup.size)}${output}). ${why}`,
    savingsBytes: savings,
    savingsMetric: 'compressed',
    measured: true
  };
}

/** Measured savings first, largest first; then the rest in the order the candidates came. */
function bySavings(findings: Finding[]): Finding[] {
  const rank = (finding: Finding) => (finding.measured && finding.savingsBytes !== null ? finding.savingsBytes : -1);
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => rank(b.finding) - rank(a.finding) || a.index - b.index)
    .map(({ finding }) => finding);
}

/**
 * Smaller bases for the final stage's image, each with its compressed saving as
 * the registry's manifests state it, largest first. The finding's line is the
 * FROM that names the image (following `FROM <earlier stage>`).
 */
export async function suggestBases(options: SuggestOptions): Promise<Finding[]> {
  const { dockerfile, registry } = options;
  if (dockerfile.final === null) return [];
  const root = finalChain(dockerfile)[0];
  if (root === undefined || root.from.stage !== null) return [];
  // The config's list, and a `# footprint-ignore:` comment above the FROM that names the image.
  const ignored = new Set([...options.ignore, ...root.from.ignored]);
  if (ignored.has('all')) return [];
  const seen = new Set<string>();
  const runs = options.runtime?.entrypoint ?? null;
  const binary = runs?.kind === 'static' || runs?.kind === 'dynamic' ? runs.kind : null;
  const distroless = options.runtime ? distrolessCandidate(dockerfile, options.runtime) : null;
  // Only a static binary runs on scratch: not a dynamic one, not a script's interpreter.
  const scratchFits = runs === null || !['dynamic', 'script'].includes(runs.kind);
  const candidates = [...baseCandidates(dockerfile.final, dockerfile, binary), ...(distroless === null ? [] : [distroless])].filter((candidate) => {
    if (candidate.image === 'scratch' && (!scratchFits || options.measuredScratch === true)) return false;
    if (ignored.has(candidate.rule) || seen.has(candidate.image)) return false;
    seen.add(candidate.image);
    return true;
  });
  if (candidates.length === 0) return [];

  const platform = stagePlatform(root) ?? options.platform;
  const image = root.from.image.trim();
  const current = tryParseReference(image)?.display ?? image;

  // The current base's size and every candidate's lookup share one pool.
  const tasks: Array<() => Promise<number | Lookup | null>> = [
    () => registry.compressedSize(image, platform),
    ...candidates.map((candidate) => async (): Promise<Lookup> => {
      if (!candidate.needsLookup) return { exists: undefined, size: null };
      const exists = await registry.exists(candidate.image, platform);
      return { exists, size: exists === true ? await registry.compressedSize(candidate.image, platform) : null };
    })
  ];
  const [currentSize, ...lookups] = await mapConcurrent(tasks, LOOKUP_CONCURRENCY, (task) => task());

  const findings: Finding[] = [];
  candidates.forEach((candidate, at) => {
    const finding = findingOf(root, current, currentSize as number | null, candidate, lookups[at] as Lookup);
    if (finding !== null) findings.push(finding);
  });
  return bySavings(findings);
}
