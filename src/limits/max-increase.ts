import type { ShareLimit } from '../model/limits.js';
import { formatBytes, formatDelta, formatPercent } from '../units.js';
import type { LimitDefinition } from './limit.js';
import { parseShareLimit, shareBreach } from './share.js';

/** `max-increase`: how much the image may grow against the same image on the base branch (percent of the base image). */
export const maxIncrease: LimitDefinition<ShareLimit, ShareLimit> = {
  name: 'max-increase',
  help: 'allowed growth against --base-ref: 10%, 25MB or "10%, 5MB"',
  parse: (text, what) => parseShareLimit(text, what, 'an increase limit'),
  resolve: (value) => value,
  check(limit, image) {
    // A new image, or one not compared, has nothing to grow from.
    if (!image.delta || !image.base) return null;
    return shareBreach('max-increase', limit, image.delta.bytes, image.base.bytes, image.delta.percent);
  },
  status: 'over-increase',
  explain: ({ measured, percent, source }) => ({
    reason: `grew ${formatBytes(measured)}${percent === null ? '' : ` (${formatPercent(percent)})`} against the base branch, more than the allowed ${source}`,
    detail: `grew ${formatDelta(measured)} (${formatPercent(percent)}), allowed ${source}`,
    sentence: `grew by ${formatDelta(measured)} (${formatPercent(percent)}) against the base branch. The limit is ${source}.`
  })
};
