import { describe, expect, test } from '@jest/globals';
import { hasChanges, judge, totals, type JudgeInput } from '../../src/gate/verdict.js';
import { limitsOf, type ImageLimits } from '../../src/limits/index.js';
import type { Budget, ShareLimit } from '../../src/model/limits.js';
import { isFailing, type ImageReport, type ImageStatus } from '../../src/model/report.js';
import { failMessage } from '../../src/report/fail-message.js';

const MB = 1e6;
const budget = (mb: number): Budget => ({ bytes: mb * MB, metric: 'uncompressed', source: `${mb}MB` });
const limit = (source: string, percent: number | null, bytes: number | null): ShareLimit => ({ percent, bytes, source });
const size = (bytes: number) => ({ bytes: Math.round(bytes), compressedBytes: null, dockerBytes: Math.round(bytes) });

type Facts = Omit<JudgeInput, 'limits'> & ImageLimits;

/** The gate's input from flat figures and limits, as a test writes them. */
function input(overrides: Partial<Facts>): JudgeInput {
  const facts: Facts = {
    comparison: 'changed',
    size: size(200 * MB),
    base: { bytes: 200 * MB },
    delta: { bytes: 0, percent: 0 },
    budget: null,
    maxIncrease: null,
    wasted: null,
    maxWasted: null,
    error: null,
    ...overrides
  };
  return { ...facts, limits: limitsOf(facts) };
}

const wasteLimit = (source: string, bytes: number | null, percent: number | null): ShareLimit => ({ bytes, percent, source });

describe('judge', () => {
  test.each<[string, Partial<Facts>, ImageStatus, string[]]>([
    ['within everything', { delta: { bytes: 1 * MB, percent: 0.5 }, budget: budget(250) }, 'ok', []],
    ['exactly at the budget', { size: size(250 * MB), budget: budget(250), delta: { bytes: 50 * MB, percent: 25 } }, 'ok', []],
    [
      'over budget',
      { size: size(262.3 * MB), budget: budget(250), delta: { bytes: 2 * MB, percent: 0.8 } },
      'over-budget',
      ['12.3 MB over its 250.0 MB budget (262.3 MB)']
    ],
    [
      'over the increase limit',
      {
        size: size(230 * MB),
        delta: { bytes: 30 * MB, percent: 15 },
        maxIncrease: limit('10%, 5MB', 10, 5 * MB)
      },
      'over-increase',
      ['grew 30.0 MB (+15.0%) against the base branch, more than the allowed 10%, 5MB']
    ],
    [
      'over both: over-budget first, both reasons',
      {
        size: size(262.3 * MB),
        base: { bytes: 200 * MB },
        delta: { bytes: 62.3 * MB, percent: 31.15 },
        budget: budget(250),
        maxIncrease: limit('10%', 10, null)
      },
      'over-budget',
      ['12.3 MB over its 250.0 MB budget (262.3 MB)', 'grew 62.3 MB (+31.1%) against the base branch, more than the allowed 10%']
    ],
    [
      'growth under one of two limits is fine',
      { size: size(203 * MB), delta: { bytes: 3 * MB, percent: 1.5 }, maxIncrease: limit('1%, 5MB', 1, 5 * MB) },
      'ok',
      []
    ],
    [
      'failed to build',
      { size: null, delta: null, budget: budget(1), error: { message: 'docker build exited with code 1\nstep 3/4' } },
      'failed',
      ['failed to build: docker build exited with code 1']
    ],
    ['no size and no error', { size: null, delta: null }, 'failed', ['failed to build: no size was measured']],
    ['new, within budget', { comparison: 'new', base: null, delta: null, budget: budget(250) }, 'new', ['new image: not on the base branch']],
    [
      'new and over budget',
      { comparison: 'new', base: null, delta: null, size: size(300 * MB), budget: budget(250) },
      'over-budget',
      ['50.0 MB over its 250.0 MB budget (300.0 MB)', 'new image: not on the base branch']
    ],
    [
      'new with an increase limit: nothing to grow from',
      { comparison: 'new', base: null, delta: null, maxIncrease: limit('0%', 0, null) },
      'new',
      ['new image: not on the base branch']
    ],
    [
      'removed: never a failure, whatever the limits',
      { comparison: 'removed', size: null, delta: null, budget: budget(1), maxIncrease: limit('0%', 0, null) },
      'removed',
      ['removed: gone from the PR']
    ],
    ['unchanged', { comparison: 'unchanged', delta: { bytes: 0, percent: 0 } }, 'unchanged', []],
    [
      'unchanged but over budget',
      { comparison: 'unchanged', size: size(300 * MB), delta: { bytes: 0, percent: 0 }, budget: budget(250) },
      'over-budget',
      ['50.0 MB over its 250.0 MB budget (300.0 MB)']
    ],
    ['shrunk', { size: size(150 * MB), delta: { bytes: -50 * MB, percent: -25 }, maxIncrease: limit('0%', 0, null) }, 'ok', []],
    [
      'the base failed: no delta, not compared',
      { comparison: 'base-failed', base: null, delta: null, maxIncrease: limit('0%', 0, null) },
      'ok',
      ['not compared: the image failed to build on the base branch']
    ],
    ['comparison off', { comparison: 'not-compared', base: null, delta: null }, 'ok', []],
    [
      'growth from an empty base',
      { size: size(10 * MB), base: { bytes: 0 }, delta: { bytes: 10 * MB, percent: null }, maxIncrease: limit('5MB', null, 5 * MB) },
      'over-increase',
      ['grew 10.0 MB against the base branch, more than the allowed 5MB']
    ],
    [
      'a compressed budget applies to compressed bytes',
      {
        size: { bytes: 300 * MB, compressedBytes: 110 * MB, dockerBytes: 300 * MB },
        budget: { bytes: 100 * MB, metric: 'compressed', source: '100MB' }
      },
      'over-budget',
      ['10.0 MB over its 100.0 MB compressed budget (110.0 MB)']
    ],
    [
      'a compressed budget with no compressed size is not checked, and says so',
      { budget: { bytes: 1 * MB, metric: 'compressed', source: '1MB' } },
      'unchanged',
      ['budget not checked: the compressed size was not measured']
    ],
    [
      'more waste than max-wasted is over budget',
      { wasted: { bytes: 25 * MB }, maxWasted: wasteLimit('20MB', 20 * MB, null) },
      'over-budget',
      ['wastes 25.0 MB (12.5% of the image) in files a later layer deletes or replaces, more than the allowed 20MB']
    ],
    ['waste within max-wasted', { wasted: { bytes: 15 * MB }, maxWasted: wasteLimit('20MB', 20 * MB, null) }, 'unchanged', []],
    ['waste with no max-wasted is never a failure', { wasted: { bytes: 150 * MB } }, 'unchanged', []],
    [
      'over budget and over max-wasted: both reasons',
      { size: size(262.3 * MB), budget: budget(250), wasted: { bytes: 30 * MB }, maxWasted: wasteLimit('10%', null, 10) },
      'over-budget',
      [
        '12.3 MB over its 250.0 MB budget (262.3 MB)',
        'wastes 30.0 MB (11.4% of the image) in files a later layer deletes or replaces, more than the allowed 10%'
      ]
    ]
  ])('%s', (_label, overrides, status, reasons) => {
    expect(judge(input(overrides))).toMatchObject({ status, reasons });
  });
});

describe('isFailing', () => {
  test.each<[ImageStatus, boolean]>([
    ['failed', true],
    ['over-budget', true],
    ['over-increase', true],
    ['new', false],
    ['removed', false],
    ['unchanged', false],
    ['ok', false]
  ])('%s', (status, failing) => {
    expect(isFailing(status)).toBe(failing);
  });
});

function report(name: string, overrides: Partial<ImageReport>): ImageReport {
  return {
    name,
    dockerfile: null,
    context: null,
    image: null,
    status: 'ok',
    comparison: 'changed',
    size: size(100 * MB),
    base: { bytes: 100 * MB, compressedBytes: null },
    delta: { bytes: 0, percent: 0 },
    budget: null,
    maxIncrease: null,
    maxWasted: null,
    layers: null,
    wasted: null,
    caches: null,
    inventory: null,
    change: null,
    findings: [],
    breaches: [],
    reasons: [],
    error: null,
    baseError: null,
    buildInputs: null,
    reused: null,
    entrypoint: null,
    ...overrides
  };
}

/** A report row with the breaches the gate finds for its figures and limits. */
function judged(name: string, overrides: Partial<ImageReport>): ImageReport {
  const image = report(name, overrides);
  return { ...image, breaches: judge({ ...image, limits: limitsOf(image) }).breaches };
}

const overBudget = judged('api', {
  dockerfile: 'svc/api/Dockerfile',
  status: 'over-budget',
  size: size(262.3 * MB),
  base: { bytes: 260 * MB, compressedBytes: null },
  delta: { bytes: 2_300_000, percent: 0.88 },
  budget: budget(250)
});
const overIncrease = judged('web', {
  dockerfile: 'svc/web/Dockerfile',
  status: 'over-increase',
  size: size(230 * MB),
  base: { bytes: 200 * MB, compressedBytes: null },
  delta: { bytes: 30 * MB, percent: 15 },
  maxIncrease: limit('10%, 5MB', 10, 5 * MB)
});
const failed = judged('worker', {
  dockerfile: 'worker/Dockerfile',
  status: 'failed',
  size: null,
  delta: null,
  error: { message: 'docker build exited with code 1: RUN make\nmore', logTail: '...' }
});
const ok = report('Dockerfile', { dockerfile: 'Dockerfile' });
const removed = report('old', { status: 'removed', comparison: 'removed', size: null, delta: null });
const byRef = report('cache', { image: 'redis:7', status: 'new', comparison: 'new', base: null, delta: null });

describe('failMessage', () => {
  test('null when nothing fails', () => {
    expect(failMessage([ok, removed, byRef])).toBeNull();
    expect(failMessage([])).toBeNull();
  });

  test('one line per failing image, in report order', () => {
    expect(failMessage([overBudget, ok, overIncrease, removed, failed])).toBe(
      [
        'footprint: 3 of 5 images fail their size limits:',
        '- api (svc/api/Dockerfile): 262.3 MB, budget 250.0 MB, over by 12.3 MB',
        '- web (svc/web/Dockerfile): 230.0 MB, grew +30.0 MB (+15.0%), allowed 10%, 5MB',
        '- worker (worker/Dockerfile): failed to build: docker build exited with code 1: RUN make'
      ].join('\n')
    );
  });

  test('one failing image of one; a name that is its path is not repeated', () => {
    const own = { ...overBudget, name: 'svc/api/Dockerfile' };
    expect(failMessage([own])).toBe(
      'footprint: 1 of 1 image fails its size limits:\n- svc/api/Dockerfile: 262.3 MB, budget 250.0 MB, over by 12.3 MB'
    );
  });

  test('over budget and over the increase at once', () => {
    const both = judged('api', { ...overBudget, maxIncrease: limit('0.5%', 0.5, null) });
    expect(failMessage([both, ok])).toBe(
      [
        'footprint: 1 of 2 images fails its size limits:',
        '- api (svc/api/Dockerfile): 262.3 MB, budget 250.0 MB, over by 12.3 MB, grew +2.3 MB (+0.9%), allowed 0.5%'
      ].join('\n')
    );
  });

  test('an image given by reference shows the reference', () => {
    const tooBig = judged('cache', { ...byRef, status: 'over-budget', size: size(120 * MB), budget: budget(100) });
    expect(failMessage([tooBig])).toBe(
      'footprint: 1 of 1 image fails its size limits:\n- cache (redis:7): 120.0 MB, budget 100.0 MB, over by 20.0 MB'
    );
  });
});

describe('totals', () => {
  test('sums PR sizes, and base and change over images measured on both sides', () => {
    expect(totals([overBudget, overIncrease, failed, ok, removed, byRef])).toEqual({
      bytes: 692_300_000,
      baseBytes: 560_000_000,
      deltaBytes: 32_300_000,
      compressedBytes: null,
      wastedBytes: 0
    });
  });

  test('no comparison: base and change are null', () => {
    expect(totals([byRef, failed])).toEqual({ bytes: 100 * MB, baseBytes: null, deltaBytes: null, compressedBytes: null, wastedBytes: 0 });
    expect(totals([])).toEqual({ bytes: 0, baseBytes: null, deltaBytes: null, compressedBytes: null, wastedBytes: 0 });
  });

  test('compressed bytes add up when every measured image has them; wasted bytes always add up', () => {
    const withAnatomy = (name: string, compressed: number | null, wasted: number) =>
      report(name, {
        size: { bytes: 100 * MB, compressedBytes: compressed, dockerBytes: 100 * MB },
        wasted: { bytes: wasted, baseBytes: 0, paths: [] }
      });
    expect(totals([withAnatomy('a', 40 * MB, 5 * MB), withAnatomy('b', 30 * MB, 0), failed])).toMatchObject({
      compressedBytes: 70 * MB,
      wastedBytes: 5 * MB
    });
    expect(totals([withAnatomy('a', 40 * MB, 5 * MB), withAnatomy('b', null, 1 * MB)])).toMatchObject({
      compressedBytes: null,
      wastedBytes: 6 * MB
    });
  });
});

describe('hasChanges', () => {
  const unchanged = report('same', { status: 'unchanged', comparison: 'unchanged' });
  const grewWithinLimits = report('grew', { comparison: 'changed', delta: { bytes: 1000, percent: 0.001 } });
  const notCompared = report('alone', { comparison: 'not-compared', base: null, delta: null });
  test.each<[string, ImageReport[], boolean]>([
    ['no images', [], false],
    ['only unchanged images', [unchanged, unchanged], false],
    ['an image within its limits that changed size', [unchanged, grewWithinLimits], true],
    ['a new image', [unchanged, byRef], true],
    ['a removed image', [removed], true],
    ['an image with no comparison', [notCompared], false],
    ['an image whose base build failed', [report('broken-base', { comparison: 'base-failed', delta: null })], false],
    ['a failing image', [unchanged, failed], true],
    ['an unchanged image over its budget', [report('fat', { status: 'over-budget', comparison: 'unchanged' })], true]
  ])('%s', (_, images, expected) => {
    expect(hasChanges(images)).toBe(expected);
  });
});

describe('breaches: one verdict that every rendering reads', () => {
  test('each broken limit with its metric, measured and allowed figures and excess', () => {
    const verdict = judge(
      input({
        size: size(262.3 * MB),
        base: { bytes: 200 * MB },
        delta: { bytes: 62.3 * MB, percent: 31.15 },
        budget: budget(250),
        maxIncrease: limit('10%, 5MB', 10, 5 * MB),
        wasted: { bytes: 30 * MB },
        maxWasted: wasteLimit('10%', null, 10)
      })
    );
    expect(verdict.breaches).toEqual([
      { limit: 'budget', metric: 'uncompressed', measured: 262_300_000, allowed: 250 * MB, over: 12_300_000, percent: null, source: '250MB' },
      {
        limit: 'max-wasted',
        metric: 'uncompressed',
        measured: 30 * MB,
        allowed: 26_230_000,
        over: 3_770_000,
        percent: (30 / 262.3) * 100,
        source: '10%'
      },
      // With a percentage and a size, the larger of the two is what is allowed.
      { limit: 'max-increase', metric: 'uncompressed', measured: 62.3 * MB, allowed: 20 * MB, over: 42.3 * MB, percent: 31.15, source: '10%, 5MB' }
    ]);
  });

  test('a failed build is a breach of its own', () => {
    expect(judge(input({ size: null, error: { message: 'exit 1\nlog' } })).breaches).toEqual([{ limit: 'build', message: 'exit 1' }]);
  });

  test('a compressed budget: the fail line states the compressed size, not the uncompressed one', () => {
    const image = judged('api', {
      dockerfile: 'svc/api/Dockerfile',
      status: 'over-budget',
      size: { bytes: 1_100_000_000, compressedBytes: 384_200_000, dockerBytes: 1_100_000_000 },
      budget: { bytes: 300 * MB, metric: 'compressed', source: '300MB' }
    });
    expect(image.breaches).toEqual([
      { limit: 'budget', metric: 'compressed', measured: 384_200_000, allowed: 300 * MB, over: 84_200_000, percent: null, source: '300MB' }
    ]);
    expect(failMessage([image])).toBe(
      'footprint: 1 of 1 image fails its size limits:\n- api (svc/api/Dockerfile): 384.2 MB compressed, budget 300.0 MB compressed, over by 84.2 MB'
    );
  });
});
