import { quoted, UserError } from './errors.js';
import type { BudgetMetric } from './model/limits.js';

/**
 * Bytes per unit. Decimal units are powers of 1000, as `docker images` prints
 * them; binary units powers of 1024. Keys are lower case: letters match in any case.
 */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4
};

/** A bare number is megabytes: budgets are usually written in MB. */
const DEFAULT_UNIT = 'mb';

const SIZE_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i;

/** Bytes of a size text, or null when it is not one. May be unsafe (too large) or round a tiny size to 0: see `checkSize`. */
export function sizeOf(text: string): number | null {
  const match = SIZE_PATTERN.exec(text.trim());
  const multiplier = match ? UNIT_BYTES[(match[2] || DEFAULT_UNIT).toLowerCase()] : undefined;
  return match && multiplier !== undefined ? Math.round(Number(match[1]) * multiplier) : null;
}

function notASize(text: string, what: string): UserError {
  return new UserError(
    `${what}: ${quoted(text)} is not a size; expected a number with a unit such as 250MB, 1.2GB, 300MiB or 900kB (a bare number means MB)`
  );
}

/** The largest size accepted: about 9 PB, the largest whole number of bytes a number holds exactly. */
export const MAX_SIZE_BYTES = Number.MAX_SAFE_INTEGER;

/**
 * `bytes` parsed from `text` (its `amount` before the unit), refused when it is
 * too large to count exactly, or a size that is not zero but rounds to 0 bytes.
 */
export function checkSize(bytes: number, amount: number, text: string, what: string): number {
  if (!Number.isSafeInteger(bytes)) throw new UserError(`${what}: ${quoted(text)} is too large; the largest size is about 9 PB`);
  if (bytes === 0 && amount > 0) throw new UserError(`${what}: ${quoted(text)} rounds to 0 bytes; give at least 1B`);
  return bytes;
}

/** Parses `250MB`, `1.2GB`, `300MiB`, `1.5 GiB`, `512B` or a bare number (MB) into whole bytes. */
export function parseSize(text: string | number, what: string): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw notASize(String(text), what);
    return checkSize(Math.round(text * UNIT_BYTES[DEFAULT_UNIT]!), text, String(text), what);
  }
  const bytes = sizeOf(text);
  if (bytes === null) throw notASize(text.trim(), what);
  return checkSize(bytes, Number(SIZE_PATTERN.exec(text.trim())![1]), text.trim(), what);
}

/** `uncompressed` or `compressed`: which size a budget applies to. */
export function parseMetric(text: string, what: string): BudgetMetric {
  const metric = text.trim().toLowerCase();
  if (metric === 'uncompressed' || metric === 'compressed') return metric;
  throw new UserError(`${what}: ${quoted(text)} is not one of uncompressed, compressed`);
}

const DISPLAY_UNITS: readonly [string, number][] = [
  ['kB', 1e3],
  ['MB', 1e6],
  ['GB', 1e9],
  ['TB', 1e12]
];

/** Decimal units like `docker images`: `512 B`, `900.0 kB`, `16.1 MB`, `1.2 GB`. */
export function formatBytes(bytes: number): string {
  const magnitude = Math.abs(Math.round(bytes));
  const sign = bytes < 0 && magnitude > 0 ? '-' : '';
  if (magnitude < 1000) return `${sign}${magnitude} B`;
  // Choose the unit after rounding, so 999,960 bytes reads `1.0 MB`, not `1000.0 kB`.
  let chosen = DISPLAY_UNITS[DISPLAY_UNITS.length - 1]!;
  for (const unit of DISPLAY_UNITS) {
    if (Math.round((magnitude / unit[1]) * 10) / 10 < 1000) {
      chosen = unit;
      break;
    }
  }
  return `${sign}${(magnitude / chosen[1]).toFixed(1)} ${chosen[0]}`;
}

/** A signed change: `+1.2 MB`, `-3.4 MB`, `0 B`. */
export function formatDelta(bytes: number): string {
  const rounded = Math.round(bytes);
  if (rounded === 0) return '0 B';
  return `${rounded > 0 ? '+' : '-'}${formatBytes(Math.abs(rounded))}`;
}

/** A signed percentage with one decimal: `+3.4%`, `-12.0%`, `0.0%`; null (no base to compare with) is `n/a`. */
export function formatPercent(percent: number | null): string {
  if (percent === null || !Number.isFinite(percent)) return 'n/a';
  const text = Math.abs(percent).toFixed(1);
  if (Number(text) === 0) return '0.0%';
  return `${percent > 0 ? '+' : '-'}${text}%`;
}

const DURATION_UNITS: Record<string, number> = { s: 1, sec: 1, m: 60, min: 60, h: 3600 };

/** `90s`, `5m`, `1.5h`, `300` (seconds) → seconds; a UserError naming `what` otherwise. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?$/i.exec(text.trim());
  const seconds = match === null ? NaN : Number(match[1]) * DURATION_UNITS[(match[2] ?? 's').toLowerCase()]!;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UserError(`${what}: "${text}" is not a duration; expected e.g. 90s, 5m or 1h`);
  }
  return seconds;
}

/** `0.4 s`, `42 s`, `5 min`, `6 min 30 s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(Math.round(seconds) / 60);
  const rest = Math.round(seconds) - minutes * 60;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}
