/**
 * The view the three renderers share (the PR comment and job summary, the CLI
 * table, the annotations): which images go where, the figures of a row, the
 * verdict line, the anatomy and the advice as shown, and the notes under the
 * table. Plain text: each renderer escapes and lays it out its own way.
 */
import { LIMIT_KEYS } from '../limits/index.js';
import { isBuildBreach, type LimitBreach } from '../model/limits.js';
import {
  isFailing,
  sizeIn,
  type Finding,
  type ImageReport,
  type ImageStatus,
  type LayerReport,
  type LeftoverCache,
  type Report,
  type Waste,
  type WastedPath
} from '../model/report.js';
import { formatBytes, formatDelta, formatDuration, formatPercent } from '../units.js';
import { oneLine } from './escape.js';

export function isFailingImage(image: ImageReport): boolean {
  return isFailing(image.status);
}

/** The image's breach of the named limit (`max-wasted`), if it broke it. */
export function breachOf(image: ImageReport, limit: string): LimitBreach | null {
  return (image.breaches.find((breach) => breach.limit === limit) as LimitBreach | undefined) ?? null;
}

/** The image's breaches of limits (not a failed build), in the order the gate found them. */
export function limitBreaches(image: ImageReport): LimitBreach[] {
  return image.breaches.filter((breach): breach is LimitBreach => !isBuildBreach(breach));
}

/** The lines that say why an image has its status: the gate's reasons, else its error. */
export function reasonsOf(image: ImageReport): string[] {
  return image.reasons.length ? image.reasons : image.error ? [image.error.message] : [];
}

/** Failing images first, then the rest, then the unchanged ones; report order within each group. */
export function displayGroups(images: readonly ImageReport[]): {
  failing: ImageReport[];
  passing: ImageReport[];
  unchanged: ImageReport[];
} {
  return {
    failing: images.filter(isFailingImage),
    passing: images.filter((image) => !isFailingImage(image) && image.status !== 'unchanged'),
    unchanged: images.filter((image) => image.status === 'unchanged')
  };
}

/** `+1.2 MB (+3.4%)`, `new`, `removed`, or `—` when there is nothing to compare with. */
export function changeText(image: ImageReport): string {
  if (image.comparison === 'new') return 'new';
  if (image.comparison === 'removed') return 'removed';
  if (!image.delta) return '—';
  if (image.delta.bytes === 0) return formatDelta(0);
  return `${formatDelta(image.delta.bytes)} (${formatPercent(image.delta.percent)})`;
}

/** The figure the budget applies to: uncompressed bytes, or compressed bytes for a compressed budget. */
export function budgetedBytes(image: ImageReport): number | null {
  return image.budget && image.size ? sizeIn(image.size, image.budget.metric) : null;
}

/** How much of the budget is used, in whole percent; never shows 100% for an image that is over. */
export function budgetUsePercent(image: ImageReport): number | null {
  const used = budgetedBytes(image);
  if (used === null || !image.budget || image.budget.bytes <= 0) return null;
  const percent = (used / image.budget.bytes) * 100;
  return used > image.budget.bytes ? Math.ceil(percent) : Math.floor(percent);
}

/** `250.0 MB (97%)`; a budget on the compressed size is marked gz: `80.0 MB (gz, 97%)`; `—` without a budget. */
export function budgetText(image: ImageReport): string {
  if (!image.budget) return '—';
  const notes = image.budget.metric === 'compressed' ? ['gz'] : [];
  const percent = budgetUsePercent(image);
  if (percent !== null) notes.push(`${percent}%`);
  const limit = formatBytes(image.budget.bytes);
  return notes.length ? `${limit} (${notes.join(', ')})` : limit;
}

/** Whether the image wastes more than `max-wasted` allows, as the gate found. */
export function isOverWasteLimit(image: ImageReport): boolean {
  return breachOf(image, 'max-wasted') !== null;
}

/** The compressed size, or `—` when it was not measured. */
export function compressedText(image: ImageReport): string {
  return image.size?.compressedBytes == null ? '—' : formatBytes(image.size.compressedBytes);
}

/** Bytes wasted in the Dockerfile's own layers, or `—` without an anatomy. */
export function wastedText(image: ImageReport): string {
  return image.wasted ? formatBytes(image.wasted.bytes) : '—';
}

/** `20.0 MB (20.0% of the image)`. */
export function wastedShare(wasted: number, image: ImageReport): string {
  const total = image.size?.bytes ?? 0;
  return total > 0 ? `${formatBytes(wasted)} (${((wasted / total) * 100).toFixed(1)}% of the image)` : formatBytes(wasted);
}

/** What an image's anatomy shows, sorted once: the renderings only slice it. */
export interface Anatomy {
  /** Largest first; bottom first among equals. */
  layers: LayerReport[];
  /** Layers the Dockerfile added. */
  ownLayers: number;
  wasted: Waste | null;
  /** The Dockerfile's own wasted copies first, then package-manager bookkeeping, then the base image's; largest first within each. */
  paths: WastedPath[];
  /** Largest first. */
  caches: LeftoverCache[];
  cacheBytes: number;
}

/** Sorted anatomies, kept while the image's layers, waste and caches are the same arrays. */
const anatomies = new WeakMap<ImageReport, { from: readonly unknown[]; anatomy: Anatomy }>();

function bySize<T extends { bytes: number }>(items: readonly T[], tie: (item: T) => number): T[] {
  return [...items].sort((a, b) => b.bytes - a.bytes || tie(a) - tie(b));
}

/** The image's anatomy sorted for display: largest layers, wasted copies and caches first. */
export function anatomyOf(image: ImageReport): Anatomy {
  const from = [image.layers, image.wasted, image.caches];
  const known = anatomies.get(image);
  if (known && known.from.every((part, index) => part === from[index])) return known.anatomy;
  const layers = bySize(image.layers ?? [], (layer) => layer.index);
  const paths = image.wasted?.paths ?? [];
  const caches = bySize(image.caches ?? [], () => 0);
  const anatomy: Anatomy = {
    layers,
    ownLayers: layers.filter((layer) => layer.fromBase === false).length,
    wasted: image.wasted,
    paths: [0, 1, 2].flatMap((rank) =>
      bySize(
        paths.filter((path) => wasteRank(path) === rank),
        (path) => path.addedInLayer
      )
    ),
    caches,
    cacheBytes: caches.reduce((sum, cache) => sum + cache.bytes, 0)
  };
  anatomies.set(image, { from, anatomy });
  return anatomy;
}

/** Avoidable copies first (0), then bookkeeping (1), then the base image's (2). */
function wasteRank(path: WastedPath): number {
  return path.inBase ? 2 : path.bookkeeping === true ? 1 : 0;
}

/** Whether the anatomy has any waste to speak of, the base image's and bookkeeping included. */
export function hasWaste(anatomy: Anatomy): boolean {
  const wasted = anatomy.wasted;
  return wasted !== null && (wasted.bytes > 0 || wasted.baseBytes > 0 || (wasted.bookkeepingBytes ?? 0) > 0);
}

/** `; 4.2 kB more in package-manager bookkeeping …` when layers of unknown origin rewrote some, else ''. Only figures: safe as it is. */
export function bookkeepingNote(wasted: Waste): string {
  const bytes = wasted.bookkeepingBytes ?? 0;
  return bytes > 0
    ? `; ${formatBytes(bytes)} more in package-manager bookkeeping (dpkg, apk, rpm databases) that every install rewrites, not avoidable`
    : '';
}

/** The Dockerfile line of the image's largest own layer, or null when no own layer has a known line. */
export function largestOwnLayerLine(image: ImageReport): number | null {
  return anatomyOf(image).layers.find((layer) => layer.fromBase === false && layer.line !== null)?.line ?? null;
}

/**
 * Where bytes came from: `svc/Dockerfile:12`, `line 12` for an image without a
 * Dockerfile, `base` for the base image, null when unknown. Repository text: escape it.
 */
export function originText(image: ImageReport, fromBase: boolean | null, line: number | null): string | null {
  if (fromBase === true) return 'base';
  if (line === null) return null;
  return image.dockerfile ? `${image.dockerfile}:${line}` : `line ${line}`;
}

/** `added at line 7, removed at line 9`; layers stand in for unknown lines. Only figures: safe as it is. */
export function wasteWhere(path: WastedPath): string {
  const removed = path.removedAtLine === null ? `removed in layer ${path.removedInLayer}` : `removed at line ${path.removedAtLine}`;
  if (path.inBase) return `in the base image (layer ${path.addedInLayer}), ${removed}`;
  if (path.bookkeeping === true) return `package-manager bookkeeping, added in layer ${path.addedInLayer}, ${removed}: not avoidable`;
  const added = path.addedAtLine === null ? `added in layer ${path.addedInLayer}` : `added at line ${path.addedAtLine}`;
  return `${added}, ${removed}`;
}

/**
 * What a finding would save, in words: `−612.0 MB compressed, measured` (in a
 * registry), `−18.4 MB, measured in this image`, `about −5.0 MB, estimated`, or
 * `saving unknown`. `minus` is the sign: `−` for the comment, `-` for a terminal.
 */
export function savingsText(finding: Finding, minus = '\u2212'): string {
  const verification = finding.verification;
  if (verification?.outcome === 'fails') return 'fails when built';
  if (verification?.outcome === 'builds') {
    const saved = verification.savingsBytes!;
    if (saved <= 0) return saved === 0 ? 'saves nothing, verified' : `+${formatBytes(-saved)}, verified: the image grows`;
    return `${minus}${formatBytes(saved)}, verified by building it`;
  }
  if (finding.savingsBytes === null) return 'saving unknown';
  const bytes = `${minus}${formatBytes(Math.abs(finding.savingsBytes))}`;
  const compressed = finding.savingsMetric === 'compressed' ? ' compressed' : '';
  if (!finding.measured) return `about ${bytes}${compressed}, estimated`;
  return compressed ? `${bytes}${compressed}, measured` : `${bytes}, measured in this image`;
}

/**
 * A fix is a sentence on its first line and, for base images and multi-stage
 * builds, a Dockerfile sketch on the lines after it.
 */
export function splitFix(fix: string): { text: string; sketch: string | null } {
  const lines = fix.replace(/\r\n?/g, '\n').split('\n');
  const text = oneLine(lines[0] ?? '');
  const rest = lines.slice(1);
  while (rest.length > 0 && rest[0]!.trim() === '') rest.shift();
  while (rest.length > 0 && rest.at(-1)!.trim() === '') rest.pop();
  return { text, sketch: rest.length > 0 ? rest.join('\n') : null };
}

/** What a finding saves as the report stands: the verified figure when its fix built, none when it failed, else its own. */
export function effectiveSaving(finding: Finding): { bytes: number; metric: 'compressed' | 'uncompressed'; measured: boolean } | null {
  const verification = finding.verification;
  if (verification?.outcome === 'builds') return { bytes: verification.savingsBytes!, metric: 'uncompressed', measured: true };
  if (verification?.outcome === 'fails' || finding.savingsBytes === null) return null;
  return { bytes: finding.savingsBytes, metric: finding.savingsMetric === 'compressed' ? 'compressed' : 'uncompressed', measured: finding.measured };
}

/**
 * What building the fix showed, in one line: `verified: builds, 182.0 MB → 61.0 MB (−121.0 MB; 40.1 MB → 20.3 MB
 * compressed) in 42 s`, `verified: fails on python:3.12-alpine at line 8: gcc: not found`, or why it was not tried;
 * null when verification was off.
 */
export function verificationText(finding: Finding, minus = '\u2212'): string | null {
  const verification = finding.verification;
  if (verification === null) return null;
  const time = ` in ${formatDuration(verification.seconds)}`;
  switch (verification.outcome) {
    case 'builds': {
      const saved = verification.savingsBytes!;
      const before = verification.bytes! + saved;
      const change = saved >= 0 ? `${minus}${formatBytes(saved)}` : `+${formatBytes(-saved)}`;
      const compressed =
        verification.compressedBytes === null || verification.compressedSavingsBytes === null
          ? ''
          : `; ${formatBytes(verification.compressedBytes + verification.compressedSavingsBytes)} \u2192 ${formatBytes(verification.compressedBytes)} compressed`;
      return `verified: builds, ${formatBytes(before)} \u2192 ${formatBytes(verification.bytes!)} (${change}${compressed})${time}`;
    }
    case 'fails':
      return `${oneLine(verification.message ?? 'fails')} (tried${time})`;
    case 'timed-out':
      return `not verified: ${oneLine(verification.message ?? 'the build did not finish in time')}`;
    case 'skipped':
      return `not verified: ${oneLine(verification.message ?? 'not tried')}`;
  }
}

/** `3 fixes built to verify them in 1 min 12 s`; null when none was built. */
export function verificationTime(findings: readonly Finding[]): string | null {
  const tried = new Map<unknown, number>();
  for (const finding of findings) {
    const verification = finding.verification;
    if (verification !== null && (verification.outcome === 'builds' || verification.outcome === 'fails' || verification.outcome === 'timed-out')) {
      // Findings sharing one build share its record.
      tried.set(verification, verification.seconds);
    }
  }
  if (tried.size === 0) return null;
  const seconds = [...tried.values()].reduce((sum, value) => sum + value, 0);
  return `${tried.size.toLocaleString('en-US')} fix${tried.size === 1 ? '' : 'es'} built to verify ${tried.size === 1 ? 'it' : 'them'} in ${formatDuration(seconds)}`;
}

export interface SavingsTotal {
  compressed: number;
  uncompressed: number;
}

/**
 * Measured savings of some findings. Findings on the same line with the same
 * metric are alternatives or overlap (`-slim` or `-alpine` for one `FROM`), so
 * only the largest of them counts.
 */
export function measuredSavings(findings: readonly Finding[]): SavingsTotal {
  const largest = new Map<string, { metric: 'compressed' | 'uncompressed'; bytes: number }>();
  for (const finding of findings) {
    const saving = effectiveSaving(finding);
    if (saving === null || !saving.measured || saving.bytes <= 0) continue;
    const { metric, bytes } = saving;
    const key = `${finding.line}:${metric}`;
    const known = largest.get(key);
    if (!known || known.bytes < bytes) largest.set(key, { metric, bytes });
  }
  const total: SavingsTotal = { compressed: 0, uncompressed: 0 };
  for (const { metric, bytes } of largest.values()) total[metric] += bytes;
  return total;
}

/** `612.0 MB compressed and 18.4 MB uncompressed`, `612.0 MB compressed`, `18.4 MB`; null when nothing was measured. */
export function savingsTotalText(total: SavingsTotal): string | null {
  const compressed = total.compressed > 0 ? `${formatBytes(total.compressed)} compressed` : null;
  if (total.uncompressed <= 0) return compressed;
  return compressed ? `${compressed} and ${formatBytes(total.uncompressed)} uncompressed` : formatBytes(total.uncompressed);
}

export function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

/** The one-line verdict: `2 of 5 images over budget`, `All 5 images within budget`, ... */
export function verdict(report: Report): { ok: boolean; text: string } {
  const images = report.images;
  const count = (status: ImageStatus) => images.filter((image) => image.status === status).length;
  const overBudget = count('over-budget');
  const overIncrease = count('over-increase');
  const failed = count('failed');
  const failing = overBudget + overIncrease + failed;
  const of = `${failing.toLocaleString('en-US')} of ${plural(images.length, 'image')}`;
  if (failing > 0 && failing === overBudget) return { ok: false, text: `${of} over budget` };
  if (failing > 0 && failing === failed) return { ok: false, text: `${of} failed to build` };
  if (failing > 0) {
    const parts = [
      overBudget ? `${overBudget.toLocaleString('en-US')} over budget` : '',
      overIncrease ? `${overIncrease.toLocaleString('en-US')} grew more than allowed` : '',
      failed ? `${failed.toLocaleString('en-US')} failed to build` : ''
    ].filter(Boolean);
    return { ok: false, text: `${of} fail the size check (${parts.join(', ')})` };
  }
  if (images.length === 0) return { ok: true, text: 'No images to measure' };
  if (!images.some((image) => LIMIT_KEYS.some((key) => image[key] !== null))) {
    return { ok: true, text: `${plural(images.length, 'image')} measured, no budget set` };
  }
  return { ok: true, text: images.length === 1 ? '1 image within budget' : `All ${plural(images.length, 'image')} within budget` };
}

/** `main (abc1234)`, or just `abc1234` when the ref is the SHA itself; `escape` makes the ref safe for the output. */
export function baseLabel(base: NonNullable<Report['base']>, escape: (text: string) => string): string {
  const short = /^[0-9a-f]{7,64}$/i.test(base.sha) ? base.sha.slice(0, 7) : escape(base.sha);
  const refIsSha = /^[0-9a-f]{7,64}$/i.test(base.ref) && base.sha.toLowerCase().startsWith(base.ref.toLowerCase());
  return refIsSha ? short : `${escape(base.ref)} (${short})`;
}

/**
 * The figures after the verdict: `total 625.0 MB`, `410.0 MB compressed`,
 * `20.0 MB wasted`, `+12.3 MB vs base main (abc1234)`; `escape` makes the base ref safe.
 */
export function summaryFigures(report: Report, escape: (text: string) => string): string[] {
  const { bytes, compressedBytes, wastedBytes, deltaBytes } = report.totals;
  const parts = [`total ${formatBytes(bytes)}`];
  if (compressedBytes !== null && report.images.length > 0) parts.push(`${formatBytes(compressedBytes)} compressed`);
  if (wastedBytes > 0) parts.push(`${formatBytes(wastedBytes)} wasted`);
  if (deltaBytes !== null && report.base) parts.push(`${formatDelta(deltaBytes)} vs base ${baseLabel(report.base, escape)}`);
  return parts;
}

/** Images whose base branch build failed: they show no change. */
export function baseFailedImages(images: readonly ImageReport[]): ImageReport[] {
  return images.filter((image) => image.comparison === 'base-failed' || image.baseError);
}

export const BASE_FAILED_NOTE = "the base branch's build failed, so there is no change to show";

/** What the sizes mean, under every rendering. */
export function sizesNote(report: Report): string {
  return (
    `Sizes are ${report.sizeMetric}. Compressed is the gzip size a registry stores and \`docker pull\` transfers; ` +
    'wasted is what a layer ships but a later layer deletes or replaces.'
  );
}

/** Where the base side came from, in one sentence for the footer; null when there is nothing to say. */
export function baselineNote(report: Report): string | null {
  const { baseline } = report;
  const notRebuilt = report.images.filter((image) => image.reused !== null).length;
  // Of the images measured: a failed or removed one could not have been rebuilt either way.
  const measured = report.images.filter((image) => image.size !== null).length;
  const skipped =
    notRebuilt > 0 ? ` ${notRebuilt.toLocaleString('en-US')} of ${measured.toLocaleString('en-US')} not rebuilt: same build inputs.` : '';
  if (baseline.source === 'published') return `Base side: the images the base branch published.${skipped}`;
  if (baseline.source === 'stored') {
    const run = baseline.run ? `workflow run ${baseline.run.id}` : 'a workflow run';
    return `Base side: the report ${run} stored for the base commit.${skipped}`;
  }
  const note = baseline.note ? `Base side: ${baseline.note}.` : '';
  return note || skipped ? `${note}${note ? skipped : skipped.trim()}` : null;
}
