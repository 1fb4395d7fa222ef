import { stripVTControlCharacters } from 'node:util';
import { formatBytes, formatDelta } from '../units.js';
import { oneLine, visibleControls, visibleInvisibles } from './escape.js';
import { entrypointText } from './entrypoint-text.js';
import {
  anatomyOf,
  BASE_FAILED_NOTE,
  baseFailedImages,
  budgetText,
  changeText,
  compressedText,
  displayGroups,
  isFailingImage,
  isOverWasteLimit,
  measuredSavings,
  originText,
  reasonsOf,
  savingsTotalText,
  verificationText,
  verificationTime,
  baselineNote,
  sizesNote,
  splitFix,
  summaryFigures,
  verdict,
  wastedShare,
  wastedText,
  wasteWhere,
  bookkeepingNote
} from './view.js';
import type { Finding, ImageReport, ImageStatus, Report } from '../model/report.js';
import {
  BY_FOLDER_NOTE,
  changedLines,
  changeHeading,
  leftoverLines,
  lineLabel,
  lineState,
  lineWhere,
  packageLabel,
  pathDetail,
  pathLabel,
  hasChange,
  whyText
} from './change-view.js';

/** The CLI's view of a report: the comment's columns and order as an aligned plain-text table. */

export interface TerminalOptions {
  /** ANSI colours; the caller decides (TTY, NO_COLOR, --no-color). */
  color: boolean;
  /** Rows per view of an image's change (default 5); `footprint diff` shows more. */
  changeRows?: number;
  /** What the change is against (default `the base branch`); `footprint diff` names the old image. */
  against?: string;
}

type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

const ANSI: Record<Style, string> = {
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
  dim: '\u001b[2m',
  bold: '\u001b[1m'
};
const RESET = '\u001b[0m';

const STATUS: Record<ImageStatus, { label: string; style: Style }> = {
  failed: { label: 'FAILED', style: 'red' },
  'over-budget': { label: 'OVER BUDGET', style: 'red' },
  'over-increase': { label: 'OVER INCREASE', style: 'red' },
  new: { label: 'new', style: 'cyan' },
  removed: { label: 'removed', style: 'yellow' },
  unchanged: { label: 'unchanged', style: 'dim' },
  ok: { label: 'ok', style: 'green' }
};

/**
 * Repository text on one line without control characters, so a name cannot move
 * the cursor or recolour the terminal; bidirectional and zero-width characters
 * show as `�`, so it cannot reorder or hide text; and URLs are defanged
 * (`https[:]//`, `www[.]`), so a terminal does not offer them as links.
 */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const line = stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return visibleInvisibles(line)
    .replace(/:\/\//g, '[:]//')
    .replace(/(www)\./gi, '$1[.]');
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** East Asian wide and fullwidth blocks: two terminal columns each. */
const WIDE: readonly [number, number][] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x20000, 0x3fffd]
];

function graphemeWidth(grapheme: string): number {
  if (/^[\p{Mark}\u200b-\u200f\u2060\ufeff]+$/u.test(grapheme)) return 0;
  if (/\p{Emoji_Presentation}|\p{Extended_Pictographic}\ufe0f/u.test(grapheme)) return 2;
  const first = grapheme.codePointAt(0) ?? 0;
  return WIDE.some(([low, high]) => first >= low && first <= high) ? 2 : 1;
}

/** Columns a text takes in a terminal: wide characters and emoji count two, combining marks none. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(stripVTControlCharacters(text))) width += graphemeWidth(segment);
  return width;
}

type Align = 'left' | 'right';

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'left' ? text + fill : fill + text;
}

interface Cell {
  text: string;
  style?: Style;
}

const COLUMNS: { title: string; align: Align }[] = [
  { title: 'IMAGE', align: 'left' },
  { title: 'SIZE', align: 'right' },
  { title: 'COMPRESSED', align: 'right' },
  { title: 'WASTED', align: 'right' },
  { title: 'CHANGE VS BASE', align: 'right' },
  { title: 'BUDGET', align: 'right' },
  { title: 'STATUS', align: 'left' }
];

function imageCells(image: ImageReport): Cell[] {
  const source = image.dockerfile ?? image.image;
  const name = source && source !== image.name ? `${plain(image.name)} (${plain(source)})` : plain(image.name);
  const status = STATUS[image.status];
  return [
    { text: name },
    { text: image.size ? formatBytes(image.size.bytes) : '—' },
    { text: compressedText(image) },
    isOverWasteLimit(image) ? { text: wastedText(image), style: 'red' } : { text: wastedText(image) },
    { text: changeText(image) },
    { text: budgetText(image) },
    { text: status.label, style: status.style }
  ];
}

/** Rows per section of an image's anatomy under the table. */
const TOP = 3;
/** Rows per view of an image's change (TerminalOptions.changeRows). */
const CHANGE_ROWS = 5;
/** Waste or caches from this size on earn an image its anatomy under the table. */
const NOTABLE_BYTES = 1e6;
const MAX_INSTRUCTION = 70;
/** Characters of the "runs" line (the entrypoint and its libraries). */
const MAX_RUNS = 160;
const MAX_PATH = 90;
/** Pieces of advice shown per image, largest measured savings first. */
const TOP_ADVICE = 5;
const MAX_MESSAGE = 200;
/** Lines of a Dockerfile sketch shown under a fix. */
const MAX_SKETCH_LINES = 12;

function cut(text: string, maxLength: number): string {
  const points = Array.from(text);
  return points.length <= maxLength ? text : `${points.slice(0, maxLength - 1).join('')}…`;
}

/** Whether an image gets its anatomy under the table: failing ones with an anatomy, and any with notable waste or caches. */
function showsAnatomy(image: ImageReport): boolean {
  const anatomy = anatomyOf(image);
  const notable = (anatomy.wasted?.bytes ?? 0) >= NOTABLE_BYTES || anatomy.cacheBytes >= NOTABLE_BYTES;
  const any = anatomy.layers.length > 0 || anatomy.wasted !== null || anatomy.caches.length > 0;
  return notable || (any && isFailingImage(image));
}

type Row = [bytes: string, where: string, what: string];

/** The change record's views, `rows` rows each: by line, by path, by package, then the waste and caches that came or went. */
function changeSections(image: ImageReport, rows: number, against: string): Array<{ title: string; style?: Style; rows: Row[] }> {
  const change = image.change!;
  const sections: Array<{ title: string; style?: Style; rows: Row[] }> = [
    { title: `changed ${plain(changeHeading(image, against))}`, style: 'bold', rows: [] }
  ];
  const lines = changedLines(change);
  const why = whyText(image);
  if (why !== null) sections.push({ title: `most of it: ${plain(why)}`, rows: [] });
  sections.push({
    title: `by line${lines.length > rows ? ` (${rows} of ${lines.length})` : ''}`,
    rows: lines.slice(0, rows).map((line) => {
      const where = line.kind === 'base' ? 'base image' : lineWhere(line);
      const state = lineState(line);
      const added = state === 'added' || state === 'removed' ? state : '';
      const label = cut(plain(oneLine(lineLabel(line))), MAX_INSTRUCTION);
      const was = line.baseInstruction === null ? '' : ` (was: ${cut(plain(oneLine(line.baseInstruction)), MAX_INSTRUCTION)})`;
      return [formatDelta(line.deltaBytes), plain([where, added].filter(Boolean).join(', ')), `${label}${was}`];
    })
  });
  if (change.paths !== null && change.paths.length > 0) {
    const listed = change.paths.filter((path) => path.kind !== 'rest' && path.kind !== 'hidden').slice(0, rows);
    const hidden = change.paths.filter((path) => path.kind === 'hidden');
    const rest = change.deltaBytes - [...listed, ...hidden].reduce((sum, path) => sum + path.deltaBytes, 0);
    const found = Math.max(change.pathRowsTotal, change.paths.filter((path) => path.kind !== 'rest' && path.kind !== 'hidden').length);
    sections.push({
      title:
        change.pathsFrom === 'folders'
          ? `by folder (${[BY_FOLDER_NOTE, found > listed.length ? `${listed.length} of ${found}` : ''].filter(Boolean).join('; ')})`
          : `by path${found > listed.length ? ` (${listed.length} of ${found})` : ''}`,
      rows: [
        ...[...listed, ...hidden].map((path): Row => [
          formatDelta(path.deltaBytes),
          cut(plain(visibleControls(pathLabel(path))), MAX_PATH),
          plain(pathDetail(path))
        ]),
        ...(rest !== 0 ? [[formatDelta(rest), 'everything else', ''] as Row] : [])
      ]
    });
  }
  const packages = change.packages;
  if (packages.length > 0) {
    sections.push({
      title: `by package${packages.length > rows ? ` (${rows} of ${packages.length})` : ''}`,
      rows: packages.slice(0, rows).map((pkg) => [formatDelta(pkg.deltaBytes), cut(plain(packageLabel(pkg)), MAX_PATH), ''])
    });
  }
  const leftovers = leftoverLines(change);
  if (leftovers.length > 0) {
    sections.push({
      title: 'waste and caches',
      rows: leftovers.slice(0, rows).map((item) => [item.line === null ? '' : `line ${item.line}`, plain(item.text), ''])
    });
  }
  return sections;
}

/**
 * Under the image's name: a short anatomy when `withAnatomy` (the largest
 * layers, the wasted bytes with the largest copies, the leftover caches; figures
 * right-aligned in one column, locations in another), then its advice.
 */
function anatomyLines(
  image: ImageReport,
  paint: (text: string, style?: Style) => string,
  withAnatomy: boolean,
  change: { rows: number; against: string }
): string[] {
  const anatomy = anatomyOf(image);
  const origin = (fromBase: boolean | null, line: number | null) => plain(originText(image, fromBase, line) ?? '—');
  const sections: Array<{ title: string; style?: Style; rows: Row[] }> = hasChange(image) ? changeSections(image, change.rows, change.against) : [];
  if (withAnatomy && anatomy.layers.length > 0) {
    const shown = anatomy.layers.slice(0, TOP);
    sections.push({
      title: shown.length < anatomy.layers.length ? `largest layers (${shown.length} of ${anatomy.layers.length})` : 'layers',
      rows: shown.map((layer) => [
        formatBytes(layer.bytes),
        origin(layer.fromBase, layer.line),
        layer.instruction === null ? '' : cut(plain(oneLine(layer.instruction)), MAX_INSTRUCTION)
      ])
    });
  }
  const wasted = anatomy.wasted;
  if (withAnatomy && wasted && (wasted.bytes > 0 || wasted.baseBytes > 0 || (wasted.bookkeepingBytes ?? 0) > 0)) {
    const limit = image.maxWasted ? `, ${isOverWasteLimit(image) ? 'more than' : 'within'} max-wasted ${plain(image.maxWasted.source)}` : '';
    const base = `${formatBytes(wasted.baseBytes)} inside the base image`;
    sections.push({
      title:
        wasted.bytes > 0 || wasted.baseBytes === 0
          ? `wasted ${wastedShare(wasted.bytes, image)} in the Dockerfile's layers${limit}${wasted.baseBytes > 0 ? `; ${base}` : ''}${bookkeepingNote(wasted)}`
          : `wasted ${base}${limit}${bookkeepingNote(wasted)}`,
      style: wasted.bytes >= NOTABLE_BYTES ? 'yellow' : undefined,
      rows: anatomy.paths
        .slice(0, TOP)
        .map((path) => [
          formatBytes(path.bytes),
          cut(plain(visibleControls(path.path)), MAX_PATH),
          `${wasteWhere(path)}${path.files > 1 ? ` (${path.files.toLocaleString('en-US')} files)` : ''}`
        ])
    });
  }
  if (withAnatomy && anatomy.caches.length > 0) {
    sections.push({
      title: `leftover caches ${formatBytes(anatomy.cacheBytes)}`,
      style: anatomy.cacheBytes >= NOTABLE_BYTES ? 'yellow' : undefined,
      rows: anatomy.caches.slice(0, TOP).map((cache) => {
        const by = originText(image, cache.fromBase, cache.line);
        const what = `${plain(cache.kind)}${by ? `, left by ${plain(by)}` : ''}`;
        return [formatBytes(cache.bytes), cut(plain(visibleControls(cache.path)), MAX_PATH), what];
      })
    });
  }
  const rows = sections.flatMap((section) => section.rows);
  const bytesWidth = Math.max(0, ...rows.map((row) => displayWidth(row[0])));
  const source = image.dockerfile ?? image.image;
  const name = source && source !== image.name ? `${plain(image.name)} (${plain(source)})` : plain(image.name);
  const lines = [paint(name, isFailingImage(image) ? 'red' : 'bold')];
  const runs = entrypointText(image.entrypoint);
  if (runs !== null && (sections.length > 0 || image.findings.length > 0)) lines.push(`  runs ${cut(plain(runs), MAX_RUNS)}`);
  for (const section of sections) {
    lines.push(`  ${paint(section.title, section.style)}`);
    const whereWidth = Math.max(0, ...section.rows.map((row) => displayWidth(row[1])));
    for (const [bytes, where, what] of section.rows) {
      lines.push(`    ${pad(bytes, bytesWidth, 'right')}  ${what ? `${pad(where, whereWidth, 'left')}  ${what}` : where}`.trimEnd());
    }
  }
  return [...lines, ...adviceLines(image, paint)];
}

/** `-612.0 MB gz` (compressed, measured in a registry), `-18.4 MB` (measured in the image), `~-5.0 MB` (estimated), `?` (unknown). */
export function savingsCell(finding: Finding): string {
  const verification = finding.verification;
  if (verification?.outcome === 'fails') return 'fails';
  if (verification?.outcome === 'builds') {
    const saved = verification.savingsBytes!;
    return `${saved > 0 ? '-' : '+'}${formatBytes(Math.abs(saved))} ok`;
  }
  if (finding.savingsBytes === null) return '?';
  const bytes = `-${formatBytes(Math.abs(finding.savingsBytes))}${finding.savingsMetric === 'compressed' ? ' gz' : ''}`;
  return finding.measured ? bytes : `~${bytes}`;
}

/**
 * "How to shrink it": the top pieces of advice, each as savings, line and
 * message, with the fix on the next line and any Dockerfile sketch under it.
 */
function adviceLines(image: ImageReport, paint: (text: string, style?: Style) => string): string[] {
  const findings = image.findings;
  if (findings.length === 0) return [];
  const shown = findings.slice(0, TOP_ADVICE);
  const total = savingsTotalText(measuredSavings(findings));
  const legend = [
    shown.some((finding) => finding.savingsMetric === 'compressed' && finding.savingsBytes !== null) ? 'gz: compressed, in the registry' : '',
    shown.some((finding) => !finding.measured && finding.savingsBytes !== null) ? '~: estimated' : '',
    shown.some((finding) => finding.savingsBytes === null) ? '?: not known' : '',
    shown.some((finding) => finding.verification?.outcome === 'builds') ? 'ok: verified by building it' : ''
  ].filter(Boolean);
  const time = verificationTime(findings);
  const title =
    `how to shrink it${shown.length < findings.length ? ` (${shown.length} of ${findings.length})` : ''}` +
    (total === null ? '' : `: could save about ${total}, measured`) +
    (legend.length > 0 ? ` [${legend.join('; ')}]` : '') +
    (time === null ? '' : `; ${time}`);
  const cells = shown.map(savingsCell);
  const wheres = shown.map((finding) => plain(originText(image, false, finding.line) ?? 'whole image'));
  const cellWidth = Math.max(...cells.map(displayWidth));
  const whereWidth = Math.max(...wheres.map(displayWidth));
  const indent = ' '.repeat(4 + cellWidth + 2 + whereWidth + 2);
  const lines = [`  ${paint(title, total === null ? undefined : 'yellow')}`];
  shown.forEach((finding, index) => {
    const message = cut(plain(oneLine(finding.message)).trim(), MAX_MESSAGE);
    lines.push(`    ${pad(cells[index]!, cellWidth, 'right')}  ${pad(wheres[index]!, whereWidth, 'left')}  ${message}`.trimEnd());
    const { text, sketch } = splitFix(finding.fix);
    const fix = cut(plain(text).trim(), MAX_MESSAGE);
    if (fix) lines.push(`${indent}${paint(fix, 'cyan')}`);
    const verified = verificationText(finding, '-');
    if (verified !== null)
      lines.push(`${indent}${paint(cut(plain(verified), MAX_MESSAGE), finding.verification?.outcome === 'builds' ? 'green' : 'yellow')}`);
    if (sketch !== null) {
      const sketchLines = sketch.split('\n');
      const kept = sketchLines.slice(0, MAX_SKETCH_LINES).map((line) => `${indent}  ${plain(line)}`.trimEnd());
      if (sketchLines.length > MAX_SKETCH_LINES) kept.push(`${indent}  …`);
      lines.push(...kept.map((line) => paint(line, 'dim')));
    }
  });
  return lines;
}

/**
 * An aligned table (failing images first, then the rest, unchanged last), a
 * totals row, and the reasons under it; colours only when asked for.
 */
export function renderTerminal(report: Report, options: TerminalOptions): string {
  const paint = (text: string, style?: Style) => (options.color && style ? `${ANSI[style]}${text}${RESET}` : text);
  const groups = displayGroups(report.images);
  const images = [...groups.failing, ...groups.passing, ...groups.unchanged];
  const { ok, text } = verdict(report);

  const lines: string[] = [];
  const summary = [text, ...summaryFigures(report, plain)].join(' · ');
  lines.push(paint(summary, ok ? 'green' : 'red'));
  if (report.baseError) lines.push(paint(plain(report.baseError), 'yellow'));

  if (images.length > 0) {
    const header: Cell[] = COLUMNS.map((column) => ({ text: column.title, style: 'bold' }));
    const rows = images.map(imageCells);
    const totals: Cell[] = [
      { text: `Total (${images.length} image${images.length === 1 ? '' : 's'})`, style: 'bold' },
      { text: formatBytes(report.totals.bytes), style: 'bold' },
      { text: report.totals.compressedBytes === null ? '—' : formatBytes(report.totals.compressedBytes), style: 'bold' },
      { text: formatBytes(report.totals.wastedBytes), style: 'bold' },
      { text: report.totals.deltaBytes === null ? '—' : formatDelta(report.totals.deltaBytes), style: 'bold' },
      { text: '' },
      { text: '' }
    ];
    const widths = COLUMNS.map((_, index) => Math.max(...[header, ...rows, totals].map((cells) => displayWidth(cells[index]!.text))));
    // Pad before painting, so colour codes never count towards the width; the
    // last column is not padded, so lines carry no trailing spaces.
    const last = COLUMNS.length - 1;
    const line = (cells: Cell[]) =>
      cells
        .map((cell, index) => paint(index === last ? cell.text : pad(cell.text, widths[index]!, COLUMNS[index]!.align), cell.style))
        .join('  ')
        .trimEnd();
    const rule = widths.map((width) => '─'.repeat(width)).join('  ');
    lines.push('', line(header), rule, ...rows.map(line), rule, line(totals));
  }

  const failing = images.filter(isFailingImage);
  if (failing.length > 0) {
    lines.push('');
    for (const image of failing) {
      const reasons = reasonsOf(image);
      for (const reason of reasons.length ? reasons : [STATUS[image.status].label])
        lines.push(`${paint(plain(image.name), 'red')}: ${plain(reason)}`);
    }
  }
  for (const image of images) {
    const withAnatomy = showsAnatomy(image);
    if (withAnatomy || image.findings.length > 0 || hasChange(image)) {
      lines.push(
        '',
        ...anatomyLines(image, paint, withAnatomy, { rows: options.changeRows ?? CHANGE_ROWS, against: options.against ?? 'the base branch' })
      );
    }
  }
  const baseFailed = baseFailedImages(images);
  if (baseFailed.length > 0) {
    lines.push('');
    for (const image of baseFailed) {
      const why = image.baseError ? `: ${plain(image.baseError.message)}` : '';
      lines.push(paint(`${plain(image.name)}: ${BASE_FAILED_NOTE}${why}`, 'yellow'));
    }
  }
  lines.push('', paint(sizesNote(report), 'dim'));
  const baseline = baselineNote(report);
  if (baseline) lines.push(paint(plain(baseline), 'dim'));
  return lines.join('\n');
}
