/**
 * The change record (model/change.ts) as the renderers show it: the one-line
 * "why" beside an image's change, and the rows of the three views. Plain text:
 * each renderer escapes and lays it out its own way.
 */
import type { ChangeRecord, LineChange, PackageChange, PathChange } from '../model/change.js';
import type { ImageReport } from '../model/report.js';
import { formatBytes, formatDelta } from '../units.js';
import { oneLine } from './escape.js';
import { plural } from './view.js';

/** Whether the image has a change record with a change to explain. */
export function hasChange(image: ImageReport): boolean {
  return image.change !== null && image.change.deltaBytes !== 0;
}

/** Longest instruction quoted in a "why" line. */
const WHY_INSTRUCTION = 48;

/** Cuts to `max` code points (never inside a surrogate pair) and marks the cut with `…`. */
function cut(text: string, max: number): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  const kept = points.slice(0, max - 1).join('');
  return `${kept.trimEnd()}…`;
}

/** Whether a delta goes the same way as the image's (both growth or both shrinkage). */
function sameWay(delta: number, total: number): boolean {
  return total >= 0 ? delta > 0 : delta < 0;
}

/** `RUN pip install -r requirements.txt (line 12)`, `FROM python:3.12 → python:3.12-slim`, `a layer of unknown origin`. */
export function lineLabel(row: LineChange): string {
  if (row.kind === 'base') {
    const { before, after } = row.image ?? { before: null, after: null };
    if (before !== null && after !== null && before !== after) return `FROM ${before} → ${after}`;
    return row.instruction ?? 'FROM';
  }
  const text = row.instruction ?? 'a layer of unknown origin';
  const stage = row.stage !== null && !row.stage.startsWith('#') ? ` [${row.stage}]` : '';
  return `${text}${stage}`;
}

/** Where a row is in the Dockerfiles: `line 12`, `line 12 (was 10)`, `was line 10`, or '' when unknown. */
export function lineWhere(row: LineChange): string {
  if (row.line !== null && row.baseLine !== null && row.line !== row.baseLine) return `line ${row.line} (was ${row.baseLine})`;
  if (row.line !== null) return `line ${row.line}`;
  if (row.baseLine !== null) return `was line ${row.baseLine}`;
  return '';
}

/** `added`, `removed`, `changed from RUN …`, or '' for a row on both sides with the same text. */
export function lineState(row: LineChange): string {
  if (row.baseBytes === null) return 'added';
  if (row.headBytes === null) return 'removed';
  if (row.baseInstruction !== null) return `was: ${row.baseInstruction}`;
  return '';
}

/** The rows that changed, largest first. */
export function changedLines(change: ChangeRecord): LineChange[] {
  return change.lines.filter((row) => row.deltaBytes !== 0);
}

/** `new, 412 files`, `37 files shrank`, `grew`, `3 added, 2 removed, 5 grew`: what a path row stands for. */
export function pathDetail(row: PathChange): string {
  const { added, removed, grew, shrank } = row;
  if (row.kind === 'hidden') return 'copies hidden by later layers (deleted or replaced files that still ship)';
  if (!row.folder && row.kind !== 'rest') return row.kind === 'new' ? 'new' : row.kind === 'removed' ? 'removed' : row.kind;
  if (row.kind === 'new' && added > 0 && removed + grew + shrank === 0) return `new, ${plural(added, 'file')}`;
  if (row.kind === 'removed' && removed > 0 && added + grew + shrank === 0) return `removed, ${plural(removed, 'file')}`;
  const parts: string[] = [];
  if (added > 0) parts.push(`${added.toLocaleString('en-US')} added`);
  if (removed > 0) parts.push(`${removed.toLocaleString('en-US')} removed`);
  if (grew > 0) parts.push(`${grew.toLocaleString('en-US')} grew`);
  if (shrank > 0) parts.push(`${shrank.toLocaleString('en-US')} shrank`);
  const files = added + removed + grew + shrank;
  // Rows by folder count no files, but for folders only one side has.
  if (files === 0 && row.kind !== 'rest') return row.kind === 'other' ? 'its own files and smaller folders' : row.kind;
  if (parts.length === 1) return `${plural(files, 'file')} ${parts[0]!.replace(/^[\d,]+ /, '')}`;
  return parts.join(', ');
}

/** Why the path rows are folders when the record was made from folder summaries (ChangeRecord.pathsFrom). */
export const BY_FOLDER_NOTE = 'the stored baseline keeps folder sizes, not files';

/** The row's name: its path, `other changes in /app`, or `everything else`. */
export function pathLabel(row: PathChange): string {
  if (row.kind === 'rest') return 'everything else';
  if (row.kind === 'hidden') return 'hidden copies';
  if (row.kind === 'other') return `other changes in ${row.path}`;
  return row.path ?? '';
}

/** `+8.2 MB /usr/lib/python3/numpy (new, 412 files)`. */
export function pathText(row: PathChange): string {
  return `${formatDelta(row.deltaBytes)} ${pathLabel(row)} (${pathDetail(row)})`;
}

const MANAGER: Record<PackageChange['manager'], string> = { dpkg: 'deb', apk: 'apk', python: 'pip', npm: 'npm' };

/** `+ libpq5 15.6 (deb)`, `− libfoo 1.0 (deb)`, `python3-numpy 1.24 → 1.26 (deb)`: without the bytes. */
export function packageLabel(row: PackageChange): string {
  const manager = MANAGER[row.manager];
  switch (row.kind) {
    case 'added':
      return `+ ${row.name} ${row.after} (${manager})`;
    case 'removed':
      return `\u2212 ${row.name} ${row.before} (${manager})`;
    case 'resized':
      return `${row.name} ${row.after} (${manager}, same version)`;
    default:
      return `${row.name} ${row.before} → ${row.after} (${manager})`;
  }
}

/** `+ libpq5 15.6 (deb, +2.1 MB)`. */
export function packageText(row: PackageChange): string {
  return `${packageLabel(row)} ${formatDelta(row.deltaBytes)}`;
}

/** The largest change of the image's direction among a list, or null. */
function largest<T extends { deltaBytes: number }>(rows: readonly T[], total: number): T | null {
  let best: T | null = null;
  for (const row of rows) if (sameWay(row.deltaBytes, total) && (best === null || Math.abs(row.deltaBytes) > Math.abs(best.deltaBytes))) best = row;
  return best;
}

/** A package's short name for a "why" line: `numpy 1.26 (new)`, `libssl3 3.0.11 → 3.0.13`. */
function packageWhy(row: PackageChange): string {
  if (row.kind === 'added') return `${row.name} ${row.after} (new)`;
  if (row.kind === 'removed') return `${row.name} ${row.before} (removed)`;
  if (row.kind === 'resized') return row.name;
  return `${row.name} ${row.before} → ${row.after}`;
}

/**
 * One line on what made most of the change: the Dockerfile line that moved most in
 * the image's direction, with its bytes, then the package (or else the path) that
 * did: `RUN pip install -r requirements.txt (line 12) +9.8 MB: numpy 1.26 (new)`.
 * Null when there is no change record or nothing moved.
 */
export function whyText(image: ImageReport): string | null {
  const change = image.change;
  if (change === null || change.deltaBytes === 0) return null;
  const line = largest(change.lines, change.deltaBytes);
  const pkg = largest(change.packages, change.deltaBytes);
  const path = largest(
    (change.paths ?? []).filter((row) => row.kind !== 'rest' && row.kind !== 'hidden'),
    change.deltaBytes
  );
  const parts: string[] = [];
  if (line !== null) {
    const where = lineWhere(line);
    parts.push(`${cut(oneLine(lineLabel(line)), WHY_INSTRUCTION)}${where ? ` (${where})` : ''} ${formatDelta(line.deltaBytes)}`);
  }
  const detail = pkg !== null ? packageWhy(pkg) : path !== null ? `${pathLabel(path)} (${pathDetail(path)})` : null;
  if (detail !== null) parts.push(detail);
  return parts.length === 0 ? null : parts.join(': ');
}

/** The Dockerfile line whose layers grew most, for the annotation of an image over its increase limit; null when none grew. */
export function grewMostLine(image: ImageReport): number | null {
  let best: LineChange | null = null;
  for (const row of image.change?.lines ?? []) {
    if (row.line !== null && row.deltaBytes > 0 && (best === null || row.deltaBytes > best.deltaBytes)) best = row;
  }
  return best?.line ?? null;
}

/** `+10.5 MB against the base branch (12.0 MB → 22.5 MB)`: the heading of the change views; `footprint diff` names the old image instead. */
export function changeHeading(image: ImageReport, against = 'the base branch'): string {
  const change = image.change!;
  const sizes = image.base && image.size ? ` (${formatBytes(image.base.bytes)} → ${formatBytes(image.size.bytes)})` : '';
  return `${formatDelta(change.deltaBytes)} against ${against}${sizes}`;
}

/** The waste and cache changes, one line each: `wasted bytes +3.1 MB (now 4.0 MB)`, `+12.0 MB left in /root/.cache/pip (pip cache, line 7)`. */
export function leftoverLines(change: ChangeRecord): Array<{ text: string; line: number | null }> {
  const lines: Array<{ text: string; line: number | null }> = [];
  if (change.waste !== null && change.waste.deltaBytes !== 0) {
    lines.push({ text: `wasted bytes ${formatDelta(change.waste.deltaBytes)} (now ${formatBytes(change.waste.headBytes)})`, line: null });
  }
  for (const cache of change.caches) {
    const what = cache.baseBytes === 0 ? 'left in' : cache.headBytes === 0 ? 'gone from' : 'changed in';
    lines.push({ text: `${formatDelta(cache.deltaBytes)} ${what} ${cache.path} (${cache.kind} cache)`, line: cache.line });
  }
  return lines;
}
