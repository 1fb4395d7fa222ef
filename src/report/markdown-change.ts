/**
 * The "what changed" section of an image's folded block: the change record's
 * three views (by line, by path, by package) and the waste and caches that came
 * or went, largest first, `detail` rows each.
 */
import type { ImageReport } from '../model/report.js';
import { formatBytes, formatDelta } from '../units.js';
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
  pathLabel
} from './change-view.js';
import { codeSpan, escapeMarkdown, oneLine } from './escape.js';
import { plural } from './view.js';

const MAX_INSTRUCTION = 80;
const MAX_PATH = 120;
const MAX_TEXT = 200;

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** An instruction or a package in a code span on one line; a `|` becomes `\|` only in a table cell, where GitHub reads that as `|`. */
function code(text: string, maxLength: number, inTable = true): string {
  return codeSpan(oneLine(text), { maxLength, inTable }) || '—';
}

/** `the 8 largest of 23` when rows were cut, else ''. */
function cutWords(shown: number, total: number): string {
  return shown < total ? `the ${shown.toLocaleString('en-US')} largest of ${total.toLocaleString('en-US')}` : '';
}

/** ` (the 8 largest of 23)` when rows were cut, else ''. */
function cutNote(shown: number, total: number): string {
  const words = cutWords(shown, total);
  return words ? ` (${words})` : '';
}

function bytesOrDash(bytes: number | null): string {
  return bytes === null ? '—' : formatBytes(bytes);
}

/** The change views for an image with a change record, `detail` rows per view. */
export function changeSection(image: ImageReport, detail: number): string[] {
  const change = image.change!;
  const lines: string[] = [`**What changed: ${escapeMarkdown(changeHeading(image))}**`];

  const lineRows = changedLines(change);
  if (lineRows.length > 0) {
    const shown = lineRows.slice(0, detail);
    lines.push(
      '',
      `By Dockerfile line${cutNote(shown.length, lineRows.length)}:`,
      '',
      row(['Instruction', 'Where', 'Base', 'PR', 'Change']),
      row([':---', ':---', '---:', '---:', '---:']),
      ...shown.map((line) => {
        const state = lineState(line);
        const where = line.kind === 'base' ? 'base image' : lineWhere(line);
        const whereCell = [where, state].filter(Boolean).join(', ');
        return row([
          code(lineLabel(line), MAX_INSTRUCTION),
          whereCell ? escapeMarkdown(whereCell, { maxLength: MAX_TEXT }) : '—',
          bytesOrDash(line.baseBytes),
          bytesOrDash(line.headBytes),
          `**${formatDelta(line.deltaBytes)}**`
        ]);
      })
    );
  }

  if (change.paths !== null && change.paths.length > 0) {
    const listed = change.paths.filter((path) => path.kind !== 'rest' && path.kind !== 'hidden');
    const shown = listed.slice(0, detail);
    // The rows cut here join "everything else", so the list still adds up to the change.
    const extras = change.paths.filter((path) => path.kind === 'hidden');
    const restDelta = change.deltaBytes - [...shown, ...extras].reduce((sum, path) => sum + path.deltaBytes, 0);
    const total = Math.max(change.pathRowsTotal, listed.length);
    // Rows made from folder summaries say so, with the cut note when there is one.
    const heading =
      change.pathsFrom === 'folders'
        ? `By folder, in the final filesystem (${[BY_FOLDER_NOTE, cutWords(shown.length, total)].filter(Boolean).join('; ')}):`
        : `By path, in the final filesystem${cutNote(shown.length, total)}:`;
    lines.push(
      '',
      heading,
      '',
      row(['Path', 'Change', 'Files']),
      row([':---', '---:', ':---']),
      // A path shows exactly, its control characters as pictures (as in the anatomy's tables), not collapsed to one line.
      ...shown.map((path) =>
        row([
          codeSpan(pathLabel(path), { maxLength: MAX_PATH, inTable: true }) || '—',
          `**${formatDelta(path.deltaBytes)}**`,
          escapeMarkdown(pathDetail(path))
        ])
      ),
      ...extras.map((path) => row([escapeMarkdown(pathLabel(path)), formatDelta(path.deltaBytes), escapeMarkdown(pathDetail(path))])),
      ...(restDelta !== 0 ? [row(['everything else', formatDelta(restDelta), ''])] : [])
    );
  }

  const packages = change.packages;
  if (packages.length > 0) {
    const shown = packages.slice(0, detail);
    lines.push(
      '',
      `By package (${plural(packages.length, 'package')} changed${cutNote(shown.length, packages.length).replace(' (', ', ').replace(')', '')}):`,
      '',
      ...shown.map((pkg) => `- ${code(packageLabel(pkg), MAX_TEXT, false)} ${formatDelta(pkg.deltaBytes)}`)
    );
  }

  const leftovers = leftoverLines(change);
  if (leftovers.length > 0) {
    // A lead of its own: a list right after the packages' list would read as more packages.
    lines.push(
      '',
      'Waste and caches:',
      '',
      ...leftovers
        .slice(0, detail)
        .map((item) => `- ${escapeMarkdown(item.text, { maxLength: MAX_TEXT })}${item.line !== null ? ` (line ${item.line})` : ''}`)
    );
  }
  return lines;
}
