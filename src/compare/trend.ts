/**
 * The base branch's size history (model/trend.ts): a stored report's trend is
 * the previous one's plus its own commit's point. Pure.
 */
import type { Report } from '../model/report.js';
import { type Trend, type TrendPoint, TREND_POINTS } from '../model/trend.js';

/**
 * The trend with `point` last, at most TREND_POINTS, oldest first. A point of the same
 * commit (a re-run) is replaced: the new one goes last, as the branch's newest figures.
 */
export function extendTrend(previous: Trend | null, point: TrendPoint): Trend {
  const kept = (previous?.points ?? []).filter((earlier) => earlier.sha !== point.sha);
  return { points: [...kept, point].slice(-TREND_POINTS) };
}

/** A report's figures as a trend point: every image with a size (a failed or removed image has none). */
export function trendPoint(report: Report, sha: string, date: string): TrendPoint {
  // fromEntries defines own properties, so an image named `__proto__` is a name like any other.
  const images = Object.fromEntries(
    report.images
      .filter((image) => image.size !== null && image.status !== 'failed')
      .map((image) => [image.name, { bytes: image.size!.bytes, compressedBytes: image.size!.compressedBytes }])
  );
  return { sha, date, images };
}

/** One image's points, oldest first: the commits that measured it. */
export function seriesOf(trend: Trend, name: string): Array<{ sha: string; date: string; bytes: number }> {
  // Own properties only: a name such as `constructor` must not find what every object inherits.
  return trend.points
    .filter((point) => Object.hasOwn(point.images, name))
    .map((point) => ({ sha: point.sha, date: point.date, bytes: point.images[name]!.bytes }));
}
