import { describe, expect, it } from '@jest/globals';
import { compareImages, type ComparedImage } from '../../src/compare/compare.js';
import type { Measurement } from '../../src/measure/measurement.js';
import { folderTarget as target } from '../support/targets.js';

/** A measured image of `bytes`, or a failed one when bytes is null. */
function measured(name: string, bytes: number | null): Measurement {
  const common = {
    target: target(name),
    dockerfile: null,
    dockerfileError: null,
    anatomy: null,
    inventory: null,
    files: null,
    entrypoint: null,
    npmDev: [],
    analysisError: null,
    buildInputs: null,
    reused: null
  };
  return bytes === null
    ? { ...common, size: null, error: { message: `build of ${name} failed`, logTail: 'exit 1' } }
    : { ...common, size: { bytes, compressedBytes: null, dockerBytes: bytes }, error: null };
}

/** The parts of a result that matter, without repeating whole measurements. */
function summary(result: ComparedImage[]) {
  return result.map((c) => ({
    name: c.name,
    comparison: c.comparison,
    delta: c.delta,
    head: c.head?.size?.bytes ?? (c.head ? 'failed' : null),
    base: c.base?.size?.bytes ?? (c.base ? 'failed' : null)
  }));
}

describe('compareImages: one image on each side', () => {
  it.each([
    {
      case: 'grew',
      head: 150,
      base: 100,
      expected: { comparison: 'changed', delta: { bytes: 50, percent: 50 } }
    },
    {
      case: 'shrank',
      head: 75,
      base: 100,
      expected: { comparison: 'changed', delta: { bytes: -25, percent: -25 } }
    },
    {
      case: 'same bytes',
      head: 100,
      base: 100,
      expected: { comparison: 'unchanged', delta: { bytes: 0, percent: 0 } }
    },
    {
      case: 'base was empty: no percentage',
      head: 10,
      base: 0,
      expected: { comparison: 'changed', delta: { bytes: 10, percent: null } }
    },
    {
      case: 'both empty',
      head: 0,
      base: 0,
      expected: { comparison: 'unchanged', delta: { bytes: 0, percent: null } }
    },
    {
      case: 'base failed to build',
      head: 100,
      base: null,
      expected: { comparison: 'base-failed', delta: null }
    },
    {
      case: 'PR image failed, base measured: changed, size unknown',
      head: null,
      base: 100,
      expected: { comparison: 'changed', delta: null }
    },
    {
      case: 'both failed',
      head: null,
      base: null,
      expected: { comparison: 'base-failed', delta: null }
    }
  ])('$case', ({ head, base, expected }) => {
    const headSide = measured('app', head);
    const baseSide = measured('app', base);
    const [result, ...rest] = compareImages([headSide], [baseSide]);
    expect(rest).toEqual([]);
    expect(result).toEqual({ name: 'app', head: headSide, base: baseSide, change: null, ...expected });
  });

  it('keeps fractional percentages exact', () => {
    const [result] = compareImages([measured('app', 101)], [measured('app', 300)]);
    expect(result!.delta).toEqual({ bytes: -199, percent: (-199 / 300) * 100 });
  });
});

describe('compareImages: images on one side only', () => {
  it.each([
    { case: 'new in the PR', head: [measured('api', 10)], base: [], comparison: 'new' },
    { case: 'new in the PR and failed', head: [measured('api', null)], base: [], comparison: 'new' }
  ])('$case', ({ head, base, comparison }) => {
    expect(compareImages(head, base)).toEqual([{ name: 'api', head: head[0], base: null, comparison, delta: null, change: null }]);
  });

  it.each([
    { case: 'removed in the PR', base: measured('old', 10) },
    { case: 'removed in the PR, failed on the base branch', base: measured('old', null) }
  ])('$case', ({ base }) => {
    expect(compareImages([], [base])).toEqual([{ name: 'old', head: null, base, comparison: 'removed', delta: null, change: null }]);
  });
});

describe('compareImages: no comparison', () => {
  it('marks every PR image not-compared when there is no base side', () => {
    const head = [measured('a', 1), measured('b', null)];
    expect(compareImages(head, null)).toEqual([
      { name: 'a', head: head[0], base: null, comparison: 'not-compared', delta: null, change: null },
      { name: 'b', head: head[1], base: null, comparison: 'not-compared', delta: null, change: null }
    ]);
  });

  it('returns nothing for no images', () => {
    expect(compareImages([], null)).toEqual([]);
    expect(compareImages([], [])).toEqual([]);
  });
});

describe('compareImages: pairing and order', () => {
  it('pairs by name, keeps the PR order and appends removed images in base order', () => {
    const head = [measured('web', 200), measured('api', 100), measured('worker', 5), measured('cli', null)];
    const base = [measured('gone-1', 7), measured('api', 100), measured('cli', 40), measured('gone-2', 8), measured('web', 150)];
    expect(summary(compareImages(head, base))).toEqual([
      { name: 'web', comparison: 'changed', delta: { bytes: 50, percent: (50 / 150) * 100 }, head: 200, base: 150 },
      { name: 'api', comparison: 'unchanged', delta: { bytes: 0, percent: 0 }, head: 100, base: 100 },
      { name: 'worker', comparison: 'new', delta: null, head: 5, base: null },
      { name: 'cli', comparison: 'changed', delta: null, head: 'failed', base: 40 },
      { name: 'gone-1', comparison: 'removed', delta: null, head: null, base: 7 },
      { name: 'gone-2', comparison: 'removed', delta: null, head: null, base: 8 }
    ]);
  });

  it('matches on the target name, not on the Dockerfile path', () => {
    const head = { ...measured('app', 20), target: { ...target('app'), dockerfile: 'moved/Dockerfile' } };
    const [result] = compareImages([head], [measured('app', 10)]);
    expect(result).toMatchObject({ name: 'app', comparison: 'changed', delta: { bytes: 10, percent: 100 } });
  });
});
