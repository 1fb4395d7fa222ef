/**
 * The limits an image is held to and how a breach of one is recorded. Plain
 * types: the definitions that parse, resolve and check them are in src/limits/.
 */

/** Which size a budget applies to. */
export type BudgetMetric = 'uncompressed' | 'compressed';

/** A size as the user wrote it, before it is known which size it applies to. */
export interface SizeLimit {
  bytes: number;
  /** The text the user wrote (`250MB`), for messages. */
  source: string;
}

/** A size limit on one of the image's sizes. */
export interface Budget extends SizeLimit {
  metric: BudgetMetric;
}

/**
 * A percentage of a whole, a size, or both (`max-increase`: of the base image;
 * `max-wasted`: of the image). With both set, only an amount beyond both breaks
 * it, so a small image does not fail on a few kB nor a large one on a fraction of a percent.
 */
export interface ShareLimit {
  percent: number | null;
  bytes: number | null;
  source: string;
}

/** A limit the image broke, with the figures that broke it. */
export interface LimitBreach {
  /** The limit's key as users write it: `budget`, `max-increase`, `max-wasted`. */
  limit: string;
  /** Which size the figures are. */
  metric: BudgetMetric;
  /** What was measured against the limit: the image's size, its growth, its wasted bytes. */
  measured: number;
  /** The most the limit allows for this image (with a percentage and a size, the larger of the two). */
  allowed: number;
  /** `measured` − `allowed`: always more than zero. */
  over: number;
  /** `measured` as a percentage of the whole the limit is a share of; null for a plain size limit or an empty whole. */
  percent: number | null;
  /** The limit as the user wrote it. */
  source: string;
}

/** The PR's image could not be built or measured: nothing else could be checked. */
export interface BuildBreach {
  limit: 'build';
  message: string;
}

export type Breach = LimitBreach | BuildBreach;

export function isBuildBreach(breach: Breach): breach is BuildBreach {
  return breach.limit === 'build';
}

/** A failed image in words: an image given by reference (`given`) was never built, so it could not be read. */
export function buildFailureText(breach: BuildBreach, given: boolean): string {
  return given ? breach.message : `failed to build: ${breach.message}`;
}
