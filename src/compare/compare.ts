import type { ChangeRecord } from '../model/change.js';
import type { Comparison } from '../model/report.js';
import type { Measurement } from '../measure/measurement.js';
import { changeRecord, type ComparedSide } from './change.js';

/** One image name seen on either side, with how the PR's image compares with the base branch's. */
export interface ComparedImage {
  name: string;
  /** The PR's measurement; null for an image the PR removed. */
  head: Measurement | null;
  /** The base branch's measurement; null when the image is new or there was no comparison. */
  base: Measurement | null;
  comparison: Comparison;
  /** Head minus base, uncompressed; null unless both sides were measured. */
  delta: { bytes: number; percent: number | null } | null;
  /** What changed, by line, path and package; null unless both sides were read layer by layer and differ. */
  change: ChangeRecord | null;
}

function sizeDelta(head: Measurement, base: Measurement): ComparedImage['delta'] {
  if (!head.size || !base.size) return null;
  const bytes = head.size.bytes - base.size.bytes;
  // Growth from nothing has no meaningful percentage.
  const percent = base.size.bytes === 0 ? null : (bytes / base.size.bytes) * 100;
  return { bytes, percent };
}

/** What the change record needs of a measurement; null when the image was not read layer by layer. */
export function comparedSide(measurement: Measurement): ComparedSide | null {
  const { anatomy, inventory } = measurement;
  if (anatomy === null || inventory === null) return null;
  return { inventory, layers: anatomy.layers, wastedBytes: anatomy.wasted.bytes, caches: anatomy.caches, files: measurement.files };
}

function comparePair(head: Measurement, base: Measurement): ComparedImage {
  const name = head.target.name;
  if (!base.size) return { name, head, base, comparison: 'base-failed', delta: null, change: null };
  const delta = sizeDelta(head, base);
  // A PR image that failed cannot be called unchanged: its size is unknown.
  const comparison: Comparison = delta && delta.bytes === 0 ? 'unchanged' : 'changed';
  const [headSide, baseSide] = [comparedSide(head), comparedSide(base)];
  const change = comparison === 'changed' && headSide !== null && baseSide !== null ? changeRecord(headSide, baseSide) : null;
  return { name, head, base, comparison, delta, change };
}

/**
 * Pairs the PR's images with the base branch's by name. `base` is null when no
 * comparison ran. PR order is kept; images only on the base branch follow, in its order.
 */
export function compareImages(head: Measurement[], base: Measurement[] | null): ComparedImage[] {
  if (base === null) {
    return head.map((m) => ({ name: m.target.name, head: m, base: null, comparison: 'not-compared', delta: null, change: null }));
  }
  const baseByName = new Map<string, Measurement>();
  for (const m of base) if (!baseByName.has(m.target.name)) baseByName.set(m.target.name, m);

  const compared: ComparedImage[] = head.map((m) => {
    const match = baseByName.get(m.target.name);
    return match ? comparePair(m, match) : { name: m.target.name, head: m, base: null, comparison: 'new', delta: null, change: null };
  });
  const headNames = new Set(head.map((m) => m.target.name));
  for (const [name, m] of baseByName) {
    if (!headNames.has(name)) compared.push({ name, head: null, base: m, comparison: 'removed', delta: null, change: null });
  }
  return compared;
}
