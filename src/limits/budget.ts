import type { Budget, SizeLimit } from '../model/limits.js';
import { sizeIn } from '../model/report.js';
import { formatBytes, parseSize } from '../units.js';
import type { LimitDefinition } from './limit.js';

const compressedMark = (metric: string) => (metric === 'compressed' ? ' compressed' : '');

/** `budget`: the most the image may weigh, uncompressed or compressed as its `metric` says. */
export const budget: LimitDefinition<SizeLimit, Budget> = {
  name: 'budget',
  help: 'default budget per image: 250MB, 1.2GB, 300MiB (bare number = MB)',
  parse: (text, what) => ({ bytes: parseSize(text, what), source: String(text).trim() }),
  // The metric is a setting of its own: a top-level budget can apply to an image's compressed size.
  resolve: (value, metric) => (value === null ? null : { ...value, metric }),
  check(limit, image) {
    const measured = sizeIn(image.size, limit.metric);
    if (measured === null) return { unchecked: `budget not checked: the ${limit.metric} size was not measured` };
    if (measured <= limit.bytes) return null;
    const over = measured - limit.bytes;
    return { limit: 'budget', metric: limit.metric, measured, allowed: limit.bytes, over, percent: null, source: limit.source };
  },
  status: 'over-budget',
  explain: ({ metric, measured, allowed, over, source }) => ({
    reason: `${formatBytes(over)} over its ${formatBytes(allowed)}${compressedMark(metric)} budget (${formatBytes(measured)})`,
    detail: `budget ${formatBytes(allowed)}${compressedMark(metric)}, over by ${formatBytes(over)}`,
    sentence: `is ${formatBytes(measured)}${compressedMark(metric)}, ${formatBytes(over)} over its budget of ${formatBytes(allowed)} (${source}).`
  })
};
