/**
 * The report record: every stage fills part of one `ImageReport` per image, and
 * the PR comment, the job summary, the CLI table and the `report` output are all
 * renderings of the same `Report`. The README documents this shape; keep the two
 * in step.
 */

/** Outcome of one image, most severe first when several apply. */
export type ImageStatus =
  | 'failed' // the PR's image could not be built or read
  | 'over-budget' // bigger than its budget
  | 'over-increase' // grew more than `max-increase` allows against the base branch
  | 'new' // no image of this name on the base branch
  | 'removed' // on the base branch, gone in the PR
  | 'unchanged' // same bytes as on the base branch
  | 'ok';

/** How the PR's image compares with the base branch's image of the same name. */
export type Comparison =
  | 'changed'
  | 'unchanged'
  | 'new'
  | 'removed'
  | 'base-failed' // the base branch's image failed to build: no delta
  | 'not-compared'; // comparison disabled or unavailable

export type BudgetMetric = 'uncompressed' | 'compressed';

/** A size limit. */
export interface Budget {
  bytes: number;
  metric: BudgetMetric;
  /** The text the user wrote (`250MB`), for messages. */
  source: string;
}

/**
 * Growth allowed against the base branch. With both limits set, growth fails only
 * when it exceeds both, so a tiny image does not fail on a few kB.
 */
export interface IncreaseLimit {
  percent: number | null;
  bytes: number | null;
  source: string;
}

export interface SizeFigures {
  /** Uncompressed bytes: what the budget applies to. */
  bytes: number;
  /** gzip-compressed bytes as a registry stores them; null until measured. */
  compressedBytes: number | null;
  /** What `docker images` / `docker image inspect .Size` reported. */
  dockerBytes: number | null;
}

export interface ImageReport {
  /** Display name: the config's key, or the Dockerfile's repo-relative path. */
  name: string;
  /** Repo-relative POSIX path of the Dockerfile, or null for an image given by reference. */
  dockerfile: string | null;
  /** Repo-relative POSIX path of the build context. */
  context: string | null;
  /** Image reference given through the `images` input (measured, not built). */
  image: string | null;
  status: ImageStatus;
  comparison: Comparison;
  size: SizeFigures | null;
  base: { bytes: number; compressedBytes: number | null } | null;
  delta: { bytes: number; percent: number | null } | null;
  budget: Budget | null;
  maxIncrease: IncreaseLimit | null;
  /** Why the status is what it is, in words (one line each). */
  reasons: string[];
  /** Set when the PR's image failed to build or be measured. */
  error: { message: string; logTail: string } | null;
  /** Set when the base branch's image failed to build. */
  baseError: { message: string; logTail: string } | null;
}

export interface Report {
  /** Bumped when the shape changes incompatibly. */
  version: 1;
  /** Which figure `size.bytes` is. */
  sizeMetric: 'uncompressed bytes, as `docker images` shows them';
  /** The base branch commit compared with, when comparison ran. */
  base: { ref: string; sha: string } | null;
  /** Why there is no comparison although one was asked for. */
  baseError: string | null;
  images: ImageReport[];
  totals: { bytes: number; baseBytes: number | null; deltaBytes: number | null };
  /** True when any image is failed, over budget or over its increase limit. */
  overBudget: boolean;
}
