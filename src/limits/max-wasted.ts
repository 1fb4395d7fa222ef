import type { ShareLimit } from '../model/limits.js';
import { formatBytes } from '../units.js';
import type { LimitDefinition } from './limit.js';
import { parseShareLimit, shareBreach, shareOf } from './share.js';

/** `20.0 MB (20.0% of the image)`. */
function wastedShare(bytes: number, percent: number | null): string {
  return percent === null ? formatBytes(bytes) : `${formatBytes(bytes)} (${percent.toFixed(1)}% of the image)`;
}

/**
 * `max-wasted`: how many bytes the image may ship in files a later layer deletes
 * or replaces (percent of the image). Waste inside the base image never counts.
 */
export const maxWasted: LimitDefinition<ShareLimit, ShareLimit> = {
  name: 'max-wasted',
  help: 'allowed bytes in files a later layer deletes or replaces: 20MB, 10% or "20MB, 10%"',
  parse: (text, what) => parseShareLimit(text, what, 'a waste limit'),
  resolve: (value) => value,
  check(limit, image) {
    if (!image.wasted) return null;
    return shareBreach('max-wasted', limit, image.wasted.bytes, image.size.bytes, shareOf(image.wasted.bytes, image.size.bytes));
  },
  status: 'over-budget',
  explain: ({ measured, percent, source }) => ({
    reason: `wastes ${wastedShare(measured, percent)} in files a later layer deletes or replaces, more than the allowed ${source}`,
    detail: `wastes ${formatBytes(measured)}, allowed ${source}`,
    sentence: `wastes ${wastedShare(measured, percent)}: bytes shipped in one layer and deleted or replaced in a later one. The limit is ${source}.`
  })
};
