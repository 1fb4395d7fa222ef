/**
 * The gate: one verdict per image, with the limits it broke as structured
 * breaches. Renderers and the fail message read those; none checks a limit again.
 */
import { breachStatus, checkLimits, explainBreach, type ImageLimits } from '../limits/index.js';
import { buildFailureText, type Breach } from '../model/limits.js';
import { isFailing, type Comparison, type ImageReport, type ImageStatus, type Report, type SizeFigures } from '../model/report.js';

export interface JudgeInput {
  comparison: Comparison;
  size: SizeFigures | null;
  base: { bytes: number } | null;
  delta: { bytes: number; percent: number | null } | null;
  /** Avoidable bytes in the Dockerfile's own layers (the anatomy's `wasted.bytes`); null when not analysed. */
  wasted: { bytes: number } | null;
  limits: ImageLimits;
  error: { message: string } | null;
  /** The reference of an image given by reference: it is read, never built. */
  image?: string | null;
}

export interface Verdict {
  status: ImageStatus;
  breaches: Breach[];
  /** The breaches in words, then notes: new image, not compared, a limit that could not be checked. */
  reasons: string[];
}

/** First line only: build errors can carry a whole log. */
function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.trim();
}

/** Status, breaches and reasons of one image. Priority: failed > over-budget > over-increase > new/removed > unchanged > ok. */
export function judge(input: JudgeInput): Verdict {
  // Nothing of the PR's to judge: a removed image never fails the job.
  if (input.comparison === 'removed') return { status: 'removed', breaches: [], reasons: ['removed: gone from the PR'] };
  if (input.error !== null || input.size === null) {
    const message = input.error ? firstLine(input.error.message) : 'no size was measured';
    const breach = { limit: 'build' as const, message };
    return { status: 'failed', breaches: [breach], reasons: [buildFailureText(breach, Boolean(input.image))] };
  }
  const { breaches, unchecked } = checkLimits(input.limits, {
    size: input.size,
    base: input.base,
    delta: input.delta,
    wasted: input.wasted
  });
  const statuses = new Set(breaches.map(breachStatus));
  const reasons = [...breaches.map((breach) => explainBreach(breach).reason), ...unchecked];
  let status: ImageStatus | null = statuses.has('over-budget') ? 'over-budget' : statuses.has('over-increase') ? 'over-increase' : null;
  if (input.comparison === 'new') {
    reasons.push('new image: not on the base branch');
    status ??= 'new';
  } else if (input.comparison === 'base-failed') {
    reasons.push('not compared: the image failed to build on the base branch');
  }
  if (status === null && input.delta !== null && input.delta.bytes === 0) status = 'unchanged';
  return { status: status ?? 'ok', breaches, reasons };
}

/**
 * Sums for the report: all measured PR images, base/delta over those measured on both
 * sides, compressed bytes (null unless every measured image has them) and wasted bytes.
 */
export function totals(images: ImageReport[]): Report['totals'] {
  let bytes = 0;
  let baseBytes: number | null = null;
  let deltaBytes: number | null = null;
  let compressedBytes: number | null = 0;
  let wastedBytes = 0;
  for (const image of images) {
    if (image.size === null) continue;
    bytes += image.size.bytes;
    compressedBytes = compressedBytes === null || image.size.compressedBytes === null ? null : compressedBytes + image.size.compressedBytes;
    wastedBytes += image.wasted?.bytes ?? 0;
    if (image.base !== null) {
      baseBytes = (baseBytes ?? 0) + image.base.bytes;
      deltaBytes = (deltaBytes ?? 0) + (image.size.bytes - image.base.bytes);
    }
  }
  if (!images.some((image) => image.size !== null)) compressedBytes = null;
  return { bytes, baseBytes, deltaBytes, compressedBytes, wastedBytes };
}

/**
 * Whether the PR changes anything a reviewer should hear about (for `comment: on-change`):
 * an image that changed size, is new or removed, or fails its limits. An image that
 * was not compared (no base branch, or its build failed there) shows no change.
 */
export function hasChanges(images: readonly ImageReport[]): boolean {
  return images.some(
    (image) => image.comparison === 'changed' || image.comparison === 'new' || image.comparison === 'removed' || isFailing(image.status)
  );
}
