import type { SizeFigures } from '../report/types.js';
import type { Target } from '../discover/target.js';

/** What build + measure produced for one target on one side (the PR or the base branch). */
export interface Measurement {
  target: Target;
  /** Null when the build or the measurement failed. */
  size: SizeFigures | null;
  error: { message: string; logTail: string } | null;
}
