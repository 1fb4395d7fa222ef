import { stripVTControlCharacters } from 'node:util';
import { formatBytes, formatDelta } from '../units.js';
import { baseLabel, budgetText, changeText, displayGroups, isFailingImage, verdict } from './markdown.js';
import type { ImageReport, ImageStatus, Report } from './types.js';

/** The CLI's view of a report: the comment's columns and order as an aligned plain-text table. */

export interface TerminalOptions {
  /** ANSI colours; the caller decides (TTY, NO_COLOR, --no-color). */
  color: boolean;
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

/** Repository text on one line without control characters, so a name cannot move the cursor or recolour the terminal. */
function plain(text: string): string {
  return stripVTControlCharacters(text).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
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
    { text: changeText(image) },
    { text: budgetText(image) },
    { text: status.label, style: status.style }
  ];
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
  let summary = `${text} · total ${formatBytes(report.totals.bytes)}`;
  if (report.totals.deltaBytes !== null && report.base) {
    summary += ` · ${formatDelta(report.totals.deltaBytes)} vs base ${baseLabel(report.base, plain)}`;
  }
  lines.push(paint(summary, ok ? 'green' : 'red'));
  if (report.baseError) lines.push(paint(plain(report.baseError), 'yellow'));

  if (images.length > 0) {
    const header: Cell[] = COLUMNS.map((column) => ({ text: column.title, style: 'bold' }));
    const rows = images.map(imageCells);
    const totals: Cell[] = [
      { text: `Total (${images.length} image${images.length === 1 ? '' : 's'})`, style: 'bold' },
      { text: formatBytes(report.totals.bytes), style: 'bold' },
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
      const reasons = image.reasons.length ? image.reasons : image.error ? [image.error.message] : [STATUS[image.status].label];
      for (const reason of reasons) lines.push(`${paint(plain(image.name), 'red')}: ${plain(reason)}`);
    }
  }
  const baseFailed = images.filter((image) => image.comparison === 'base-failed' || image.baseError);
  if (baseFailed.length > 0) {
    lines.push('');
    for (const image of baseFailed) {
      const why = image.baseError ? `: ${plain(image.baseError.message)}` : '';
      lines.push(paint(`${plain(image.name)}: the base branch's build failed, so there is no change to show${why}`, 'yellow'));
    }
  }
  lines.push('', paint(`Sizes are ${report.sizeMetric}.`, 'dim'));
  return lines.join('\n');
}
