import type {
  Budget,
  Comparison,
  ImageReport,
  ImageStatus,
  IncreaseLimit,
  Report,
  SizeFigures,
  WasteLimit
} from '../model/report.js';
import { formatBytes, formatDelta, formatPercent } from '../units.js';

export interface Delta {
  bytes: number;
  /** Percentage points (15 = +15%); null when the base image has no bytes. */
  percent: number | null;
}

export interface JudgeInput {
  comparison: Comparison;
  size: SizeFigures | null;
  base: { bytes: number } | null;
  delta: Delta | null;
  budget: Budget | null;
  maxIncrease: IncreaseLimit | null;
  /** Avoidable bytes in the Dockerfile's own layers (the anatomy's `wasted.bytes`); null when not analysed. */
  wasted: { bytes: number } | null;
  maxWasted: WasteLimit | null;
  error: { message: string } | null;
}

export interface Verdict {
  status: ImageStatus;
  reasons: string[];
}

/** Change from the base branch's image to the PR's. */
export function computeDelta(headBytes: number, baseBytes: number): Delta {
  const bytes = headBytes - baseBytes;
  return { bytes, percent: baseBytes === 0 ? null : (bytes / baseBytes) * 100 };
}

/**
 * The two-limit rule shared by max-increase and max-wasted: `amount` breaks a limit of a
 * percentage (of `whole`) and/or a size; with both, only an amount beyond both does, so a
 * small image does not fail on a few kB and a large one not on a fraction of a percent.
 * Nothing (or less) never breaks it.
 */
function exceedsLimits(amount: number, whole: number, limit: { percent: number | null; bytes: number | null }): boolean {
  if (amount <= 0) return false;
  // Compare without dividing: an exact 10% stays 10%, and an empty whole grows by "infinitely" many percent.
  const overPercent = limit.percent === null ? null : amount * 100 > limit.percent * whole;
  const overBytes = limit.bytes === null ? null : amount > limit.bytes;
  if (overPercent === null && overBytes === null) return false;
  return (overPercent ?? true) && (overBytes ?? true);
}

/** Whether growth against the base branch breaks `max-increase` (percent of the base image). */
export function exceedsIncrease(deltaBytes: number, baseBytes: number, limit: IncreaseLimit): boolean {
  return exceedsLimits(deltaBytes, baseBytes, limit);
}

/** Whether wasted bytes break `max-wasted` (percent of the image's uncompressed size). */
export function exceedsWaste(wastedBytes: number, imageBytes: number, limit: WasteLimit): boolean {
  return exceedsLimits(wastedBytes, imageBytes, limit);
}

function wastedShare(wastedBytes: number, imageBytes: number): string {
  return imageBytes > 0 ? ` (${((wastedBytes / imageBytes) * 100).toFixed(1)}% of the image)` : '';
}

/** The figure a budget applies to, or null when it was not measured. */
function budgetedBytes(size: SizeFigures, budget: Budget): number | null {
  return budget.metric === 'compressed' ? size.compressedBytes : size.bytes;
}

function budgetLabel(budget: Budget): string {
  return `${formatBytes(budget.bytes)}${budget.metric === 'compressed' ? ' compressed' : ''}`;
}

function growth(delta: Delta): string {
  return `${formatDelta(delta.bytes)} (${formatPercent(delta.percent)})`;
}

/** First line only: build errors can carry a whole log. */
function firstLine(message: string): string {
  return message.split('\n', 1)[0]!.trim();
}

/** Status and reasons of one image. Priority: failed > over-budget > over-increase > new/removed > unchanged > ok. */
export function judge(input: JudgeInput): Verdict {
  // Nothing of the PR's to judge: a removed image never fails the job.
  if (input.comparison === 'removed') return { status: 'removed', reasons: ['removed: gone from the PR'] };
  if (input.error !== null || input.size === null) {
    const message = input.error ? firstLine(input.error.message) : 'no size was measured';
    return { status: 'failed', reasons: [`failed to build: ${message}`] };
  }
  const size = input.size;
  const reasons: string[] = [];
  let status: ImageStatus | null = null;

  const measured = input.budget ? budgetedBytes(size, input.budget) : null;
  if (input.budget && measured !== null && measured > input.budget.bytes) {
    status = 'over-budget';
    reasons.push(
      `${formatBytes(measured - input.budget.bytes)} over its ${budgetLabel(input.budget)} budget (${formatBytes(measured)})`
    );
  }
  if (input.budget && measured === null) {
    reasons.push(`budget not checked: the ${input.budget.metric} size was not measured`);
  }
  if (input.maxWasted && input.wasted && exceedsWaste(input.wasted.bytes, size.bytes, input.maxWasted)) {
    status = 'over-budget';
    reasons.push(
      `wastes ${formatBytes(input.wasted.bytes)}${wastedShare(input.wasted.bytes, size.bytes)} in files a later layer deletes or replaces, more than the allowed ${input.maxWasted.source}`
    );
  }
  if (input.maxIncrease && input.delta && input.base && exceedsIncrease(input.delta.bytes, input.base.bytes, input.maxIncrease)) {
    status ??= 'over-increase';
    const percent = input.delta.percent === null ? '' : ` (${formatPercent(input.delta.percent)})`;
    reasons.push(
      `grew ${formatBytes(input.delta.bytes)}${percent} against the base branch, more than the allowed ${input.maxIncrease.source}`
    );
  }
  if (input.comparison === 'new') {
    reasons.push('new image: not on the base branch');
    status ??= 'new';
  } else if (input.comparison === 'base-failed') {
    reasons.push('not compared: the image failed to build on the base branch');
  }
  if (status === null && input.delta !== null && input.delta.bytes === 0) status = 'unchanged';
  return { status: status ?? 'ok', reasons };
}

const FAILING: ReadonlySet<ImageStatus> = new Set<ImageStatus>(['failed', 'over-budget', 'over-increase']);

/** Statuses that fail the job (with `fail-on: budget`). */
export function isFailing(status: ImageStatus): boolean {
  return FAILING.has(status);
}

/** `api (svc/api/Dockerfile)`: the name, with what it was made from when that says more. */
function imageLabel(image: ImageReport): string {
  const source = image.dockerfile ?? image.image;
  return source && source !== image.name ? `${image.name} (${source})` : image.name;
}

function failureDetail(image: ImageReport): string {
  if (image.status === 'failed' || image.size === null) {
    return `failed to build: ${image.error ? firstLine(image.error.message) : 'no size was measured'}`;
  }
  const parts = [formatBytes(image.size.bytes)];
  const measured = image.budget ? budgetedBytes(image.size, image.budget) : null;
  if (image.budget && measured !== null && measured > image.budget.bytes) {
    parts.push(`budget ${budgetLabel(image.budget)}`, `over by ${formatBytes(measured - image.budget.bytes)}`);
  }
  if (image.maxWasted && image.wasted && exceedsWaste(image.wasted.bytes, image.size.bytes, image.maxWasted)) {
    parts.push(`wastes ${formatBytes(image.wasted.bytes)}`, `allowed ${image.maxWasted.source}`);
  }
  if (image.maxIncrease && image.delta && image.base && exceedsIncrease(image.delta.bytes, image.base.bytes, image.maxIncrease)) {
    parts.push(`grew ${growth(image.delta)}`, `allowed ${image.maxIncrease.source}`);
  }
  return parts.join(', ');
}

/** The job's failure message, one line per offending image; null when every image is within its limits. */
export function gateMessage(images: ImageReport[]): string | null {
  const failing = images.filter((image) => isFailing(image.status));
  if (failing.length === 0) return null;
  const count = images.length === 1 ? '1 image' : `${images.length} images`;
  const verb = failing.length === 1 ? 'fails its size limits' : 'fail their size limits';
  return [
    `footprint: ${failing.length} of ${count} ${verb}:`,
    ...failing.map((image) => `- ${imageLabel(image)}: ${failureDetail(image)}`)
  ].join('\n');
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
 * an image that changed size, is new or removed, could not be compared, or fails its limits.
 */
export function hasChanges(images: readonly ImageReport[]): boolean {
  return images.some((image) => image.comparison !== 'unchanged' || isFailing(image.status));
}
