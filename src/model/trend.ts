/**
 * The base branch's size history: each stored report carries the previous one's
 * points plus its own commit's figures, so a PR's comment can chart where the
 * image has been. Small by design: a few numbers per image per commit.
 */

/** One commit of the base branch and its images' sizes. */
export interface TrendPoint {
  /** The commit measured (40 or 64 hex digits). */
  sha: string;
  /** When it was measured, ISO 8601. */
  date: string;
  /** By image name: uncompressed bytes, and compressed bytes (null when not measured). Images without a size are left out. */
  images: Record<string, { bytes: number; compressedBytes: number | null }>;
}

/** The points, oldest first, at most TREND_POINTS. */
export interface Trend {
  points: TrendPoint[];
}

/** Points a trend keeps: enough for a chart's worth of history, few enough to keep every stored report small. */
export const TREND_POINTS = 50;
