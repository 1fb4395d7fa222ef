/**
 * The folded block under the comment's table for one image: its advice ("How to
 * shrink it") and its anatomy (largest layers, wasted bytes, leftover caches).
 */
import { entrypointText } from './entrypoint-text.js';
import type { Finding, ImageReport, Verification } from '../model/report.js';
import { formatBytes } from '../units.js';
import { codeBlock, codeSpan, escapeHtml, escapeMarkdown, oneLine } from './escape.js';
import { hasChange } from './change-view.js';
import { changeSection } from './markdown-change.js';
import {
  anatomyOf,
  bookkeepingNote,
  hasWaste,
  isOverWasteLimit,
  measuredSavings,
  originText,
  plural,
  savingsText,
  savingsTotalText,
  verificationText,
  verificationTime,
  splitFix,
  wastedShare,
  wasteWhere,
  type Anatomy
} from './view.js';

/** Longest repository text shown in a cell or a bullet; the report output has it in full. */
export const MAX_NAME = 200;
const MAX_INSTRUCTION = 80;
const MAX_PATH = 120;
/** Most rows per section (layers, wasted paths, caches) in an image's anatomy block. */
export const MAX_DETAIL = 8;
/** Most pieces of advice per image in the comment; the report output has them all. */
export const MAX_ADVICE = 10;
const MAX_MESSAGE = 400;
/** Longest Dockerfile sketch shown in the comment, in lines. */
const MAX_SKETCH_LINES = 30;

export function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export function hasAnatomy(image: ImageReport): boolean {
  const anatomy = anatomyOf(image);
  return anatomy.layers.length > 0 || hasWaste(anatomy) || anatomy.caches.length > 0;
}

export function hasAdvice(image: ImageReport): boolean {
  return image.findings.length > 0;
}

/** Whether an image gets a folded block: an anatomy, advice, or both. */
export function hasBlock(image: ImageReport): boolean {
  return hasChange(image) || hasAnatomy(image) || hasAdvice(image);
}

/** `a`, `a and b`, `a, b and c`. */
function listText(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function originCell(image: ImageReport, fromBase: boolean | null, line: number | null): string {
  const origin = originText(image, fromBase, line);
  return origin === null ? '—' : escapeMarkdown(origin, { maxLength: MAX_NAME });
}

function layerSection(image: ImageReport, anatomy: Anatomy, detail: number): string[] {
  const shown = anatomy.layers.slice(0, detail);
  const total = anatomy.layers.length;
  const base = anatomy.layers.filter((layer) => layer.fromBase === true).length;
  const largest = shown.length === 1 ? 'The largest' : `The ${shown.length.toLocaleString('en-US')} largest`;
  const heading = shown.length < total ? `**${largest} of ${plural(total, 'layer')}**` : `**${plural(total, 'layer')}**`;
  const split =
    anatomy.ownLayers + base > 0
      ? `, ${anatomy.ownLayers.toLocaleString('en-US')} from the Dockerfile and ${base.toLocaleString('en-US')} from the base image`
      : '';
  return [
    `${heading}${split}, largest first`,
    '',
    row(['Layer', 'Instruction', 'Size', 'Compressed', 'Files']),
    row([':---', ':---', '---:', '---:', '---:']),
    ...shown.map((layer) =>
      row([
        originCell(image, layer.fromBase, layer.line),
        (layer.instruction && codeSpan(oneLine(layer.instruction), { maxLength: MAX_INSTRUCTION, inTable: true })) || '—',
        formatBytes(layer.bytes),
        layer.compressedBytes === null ? '—' : formatBytes(layer.compressedBytes),
        layer.files.toLocaleString('en-US')
      ])
    )
  ];
}

function wasteSection(image: ImageReport, anatomy: Anatomy, detail: number): string[] {
  const wasted = anatomy.wasted!;
  const limit = image.maxWasted
    ? `, ${isOverWasteLimit(image) ? 'more than' : 'within'} max-wasted ${escapeMarkdown(image.maxWasted.source, { maxLength: MAX_NAME })}`
    : '';
  const base = `${formatBytes(wasted.baseBytes)} more inside the base image, not the Dockerfile's doing`;
  const heading =
    wasted.bytes > 0 || wasted.baseBytes === 0
      ? `**Wasted: ${wastedShare(wasted.bytes, image)}** in the Dockerfile's layers, ` +
        `shipped but deleted or replaced by a later layer${limit}${wasted.baseBytes > 0 ? `; ${base}` : ''}${bookkeepingNote(wasted)}`
      : `**Wasted inside the base image: ${formatBytes(wasted.baseBytes)}**, not the Dockerfile's doing${limit}${bookkeepingNote(wasted)}`;
  const shown = anatomy.paths.slice(0, detail);
  if (shown.length === 0) return [heading];
  return [
    heading,
    '',
    row(['Path', 'Size', 'Files', 'Where']),
    row([':---', '---:', '---:', ':---']),
    ...shown.map((path) =>
      row([
        codeSpan(path.path, { maxLength: MAX_PATH, inTable: true }) || '—',
        formatBytes(path.bytes),
        path.files.toLocaleString('en-US'),
        wasteWhere(path)
      ])
    )
  ];
}

function cacheSection(image: ImageReport, anatomy: Anatomy, detail: number): string[] {
  const shown = anatomy.caches.slice(0, detail);
  const total = anatomy.caches.length;
  const cut = shown.length < total ? ` (the ${shown.length.toLocaleString('en-US')} largest of ${total.toLocaleString('en-US')} shown)` : '';
  return [
    `**Leftover caches: ${formatBytes(anatomy.cacheBytes)}** in the final image${cut}`,
    '',
    row(['Cache', 'Kind', 'Size', 'Files', 'Left by']),
    row([':---', ':---', '---:', '---:', ':---']),
    ...shown.map((cache) =>
      row([
        codeSpan(cache.path, { maxLength: MAX_PATH, inTable: true }) || '—',
        escapeMarkdown(cache.kind, { maxLength: MAX_NAME }),
        formatBytes(cache.bytes),
        cache.files.toLocaleString('en-US'),
        originCell(image, cache.fromBase, cache.line)
      ])
    )
  ];
}

/** A fenced Dockerfile sketch, indented to sit in a list item; very long sketches are cut, saying so. */
function sketchBlock(sketch: string): string[] {
  const lines = sketch.split('\n');
  const kept =
    lines.length > MAX_SKETCH_LINES
      ? [...lines.slice(0, MAX_SKETCH_LINES), `# … ${plural(lines.length - MAX_SKETCH_LINES, 'more line')} in the report output`]
      : lines;
  return codeBlock(kept.join('\n'), 'dockerfile')
    .split('\n')
    .map((line) => `  ${line}`);
}

/** One piece of advice as a list item: savings, where, rule, message, fix and any sketch. */
function adviceItem(image: ImageReport, finding: Finding): string[] {
  const origin = originText(image, false, finding.line);
  const where = origin === null ? 'the whole image' : escapeMarkdown(origin, { maxLength: MAX_NAME });
  const rule = codeSpan(finding.rule, { maxLength: MAX_NAME });
  const { text, sketch } = splitFix(finding.fix);
  const message = escapeMarkdown(finding.message, { maxLength: MAX_MESSAGE });
  const fix = text ? `<br>**Fix:** ${escapeMarkdown(text, { maxLength: MAX_MESSAGE })}` : '';
  const verified = verificationText(finding);
  const proof =
    verified === null ? '' : `<br>${VERIFICATION_ICONS[finding.verification!.outcome]} ${escapeMarkdown(verified, { maxLength: MAX_MESSAGE })}`;
  const head = `- **${savingsText(finding)}** · ${where}${rule ? ` · ${rule}` : ''}<br>${message}${fix}${proof}`;
  const log = finding.verification?.logTail ? logBlock(finding.verification.logTail) : [];
  return [head, ...(sketch === null ? [] : sketchBlock(sketch)), ...log];
}

const VERIFICATION_ICONS: Record<Verification['outcome'], string> = { builds: '✅', fails: '❌', 'timed-out': '⏱️', skipped: '⏭️' };

/** The end of a failed verification build's log, folded under its list item. */
function logBlock(tail: string): string[] {
  return [
    '  <details><summary>end of the build log</summary>',
    '',
    ...codeBlock(tail, 'text')
      .split('\n')
      .map((line) => `  ${line}`),
    '',
    '  </details>'
  ];
}

/** "How to shrink it": the image's advice, measured savings first, at most `count` of it. */
function adviceSection(image: ImageReport, count: number): string[] {
  const findings = image.findings;
  const shown = findings.slice(0, count);
  const total = savingsTotalText(measuredSavings(findings));
  const could = total === null ? '' : ` — could save about ${total}, measured`;
  const cut =
    shown.length < findings.length
      ? ` (the ${shown.length === 1 ? 'first' : `first ${shown.length.toLocaleString('en-US')}`} of ${findings.length.toLocaleString('en-US')} shown)`
      : '';
  const time = verificationTime(findings);
  const verified = time === null ? '' : ` · ${escapeMarkdown(time)}`;
  return [`**How to shrink it**${could}${cut}${verified}`, '', ...shown.flatMap((finding) => adviceItem(image, finding))];
}

/**
 * A folded block with what changed against the base branch, the image's advice,
 * largest layers, wasted bytes and leftover caches; only the sections with
 * something, and advice only when `advice` > 0.
 */
export function anatomyBlock(image: ImageReport, detail: number, advice: number, chart: string | null = null): string[] {
  const anatomy = anatomyOf(image);
  const sections: Array<[string, string[]]> = [];
  if (hasChange(image)) sections.push(['what changed', changeSection(image, detail)]);
  if (chart !== null) sections.push(['size history', ['**Size on the base branch**', '', chart]]);
  if (advice > 0 && image.findings.length > 0) sections.push(['how to shrink it', adviceSection(image, advice)]);
  if (anatomy.layers.length > 0) sections.push(['layers', layerSection(image, anatomy, detail)]);
  if (hasWaste(anatomy)) sections.push(['waste', wasteSection(image, anatomy, detail)]);
  if (anatomy.caches.length > 0) sections.push(['caches', cacheSection(image, anatomy, detail)]);
  if (sections.length === 0) return [];
  const runs = entrypointText(image.entrypoint);
  if (runs !== null) sections.unshift(['what it runs', [`**Runs** ${escapeMarkdown(runs, { maxLength: MAX_MESSAGE })}`]]);
  const title = `🔎 ${escapeHtml(image.name, { maxLength: MAX_NAME })} — ${listText(sections.map(([name]) => name))}`;
  return [`<details><summary>${title}</summary>`, '', ...sections.flatMap(([, lines]) => [...lines, '']), '</details>'];
}
