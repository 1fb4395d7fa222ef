import { quoted, UserError } from '../errors.js';
import type { LimitBreach, ShareLimit } from '../model/limits.js';
import { parseSize, sizeOf } from '../units.js';

const PERCENT_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/;

function notAShare(text: string, what: string, why: string): UserError {
  return new UserError(
    `${what}: ${quoted(text)} ${why}; expected a percentage, a size or both separated by a comma, such as 10%, 25MB or "10%, 5MB"`
  );
}

/** Parses `10%`, `25MB`, `10%, 5MB` or `5MB, 10%`: at most one percentage and one size. `noun` names the limit in messages. */
export function parseShareLimit(text: string | number, what: string, noun: string): ShareLimit {
  const source = String(text).trim();
  if (typeof text === 'number') return { percent: null, bytes: parseSize(text, what), source };
  const parts = source.split(',').map((part) => part.trim());
  if (parts.length > 2 || parts.some((part) => part === '')) {
    throw notAShare(source, what, `is not ${noun}`);
  }
  // With two parts, name the one that is wrong; with one, the whole text is.
  const invalid = (part: string, kind: string) =>
    notAShare(source, what, parts.length === 1 ? `is not ${noun}` : `has ${quoted(part)}, which is not ${kind}`);
  let percent: number | null = null;
  let bytes: number | null = null;
  for (const part of parts) {
    if (part.endsWith('%')) {
      const match = PERCENT_PATTERN.exec(part);
      if (!match) throw invalid(part, 'a percentage');
      if (percent !== null) throw notAShare(source, what, 'has more than one percentage');
      percent = Number(match[1]);
      if (!Number.isFinite(percent)) throw invalid(part, 'a percentage');
    } else {
      if (bytes !== null) throw notAShare(source, what, 'has more than one size');
      bytes = sizeOf(part);
      if (bytes === null) throw invalid(part, 'a size');
      bytes = parseSize(part, what);
    }
  }
  return { percent, bytes, source };
}

/**
 * Whether `amount` breaks a share limit of `whole`: with a percentage and a size,
 * only an amount beyond both does. Nothing (or less) never breaks it.
 */
export function exceedsShare(amount: number, whole: number, limit: ShareLimit): boolean {
  if (amount <= 0) return false;
  // Compare without dividing: an exact 10% stays 10%, and an empty whole grows by "infinitely" many percent.
  const overPercent = limit.percent === null ? null : amount * 100 > limit.percent * whole;
  const overBytes = limit.bytes === null ? null : amount > limit.bytes;
  if (overPercent === null && overBytes === null) return false;
  return (overPercent ?? true) && (overBytes ?? true);
}

/** The most a share limit allows of `whole`: the larger of its percentage and its size when it has both. */
export function allowedShare(whole: number, limit: ShareLimit): number {
  const byPercent = limit.percent === null ? null : (limit.percent * whole) / 100;
  if (byPercent === null) return limit.bytes ?? 0;
  return limit.bytes === null ? byPercent : Math.max(byPercent, limit.bytes);
}

/** `amount` as a percentage of `whole`; null when the whole is empty. */
export function shareOf(amount: number, whole: number): number | null {
  return whole > 0 ? (amount / whole) * 100 : null;
}

/**
 * The breach of a share limit named `name` by `amount` of `whole` (uncompressed bytes),
 * with `percent` as the report states it; null when the amount is within the limit.
 */
export function shareBreach(name: string, limit: ShareLimit, amount: number, whole: number, percent: number | null): LimitBreach | null {
  if (!exceedsShare(amount, whole, limit)) return null;
  const allowed = allowedShare(whole, limit);
  return { limit: name, metric: 'uncompressed', measured: amount, allowed, over: amount - allowed, percent, source: limit.source };
}
