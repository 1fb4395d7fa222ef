import type { Anatomy } from '../analyse/anatomy.js';
import type { Target } from '../discover/target.js';
import type { SizeFigures } from '../model/report.js';

/** What build + measure + analyse produced for one target on one side (the PR or the base branch). */
export interface Measurement {
  target: Target;
  /** Null when the build or the measurement failed. */
  size: SizeFigures | null;
  /** Layers, waste and caches; null when the image could not be read layer by layer. */
  anatomy: Anatomy | null;
  /** Why the anatomy is missing although the image was measured (docker save failed, ...). */
  analysisError: string | null;
  error: { message: string; logTail: string } | null;
}
