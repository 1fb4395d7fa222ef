import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../../src/config/schema.js';
import { quoted, UserError } from '../../src/errors.js';
import {
  breachStatus,
  checkLimits,
  explainBreach,
  LIMIT_KEYS,
  LIMITS,
  limitsOf,
  noLimits,
  parseLimits,
  resolveLimits,
  type ImageFacts,
  type ImageLimits
} from '../../src/limits/index.js';
import { allowedShare, exceedsShare, shareOf } from '../../src/limits/share.js';
import type { Budget, BudgetMetric, LimitBreach, ShareLimit, SizeLimit } from '../../src/model/limits.js';
import type { LimitSettings } from '../../src/model/settings.js';

const MB = 1e6;
const SIZE_HINT = 'expected a number with a unit such as 250MB, 1.2GB, 300MiB or 900kB (a bare number means MB)';
const SHARE_HINT = 'expected a percentage, a size or both separated by a comma, such as 10%, 25MB or "10%, 5MB"';

/** A budget as written: no metric yet. */
const size = (mb: number): SizeLimit => ({ bytes: mb * MB, source: `${mb}MB` });
/** A budget once its metric is known. */
const budget = (mb: number, metric: BudgetMetric = 'uncompressed'): Budget => ({ ...size(mb), metric });
const share = (source: string, percent: number | null, bytes: number | null): ShareLimit => ({ percent, bytes, source });

describe('LIMITS.budget.parse', () => {
  test.each<[string | number, number, string]>([
    ['250MB', 250_000_000, '250MB'],
    [' 1.2 GB ', 1_200_000_000, '1.2 GB'],
    [80, 80_000_000, '80']
  ])('%p', (text, bytes, source) => {
    // As written: the metric is a setting of its own, joined at resolution.
    expect(LIMITS.budget.parse(text, 'budget')).toEqual({ bytes, source });
  });

  test('names what was wrong', () => {
    expect(() => LIMITS.budget.parse('big', 'images.api.budget')).toThrow(`images.api.budget: "big" is not a size; ${SIZE_HINT}`);
  });
});

describe('LIMITS.maxIncrease.parse', () => {
  test.each<[string | number, number | null, number | null, string]>([
    ['10%', 10, null, '10%'],
    ['2.5 %', 2.5, null, '2.5 %'],
    ['25MB', null, 25_000_000, '25MB'],
    ['10%, 5MB', 10, 5_000_000, '10%, 5MB'],
    ['5MB, 10%', 10, 5_000_000, '5MB, 10%'],
    ['5MB,10%', 10, 5_000_000, '5MB,10%'],
    ['0%', 0, null, '0%'],
    ['1MiB', null, 1024 ** 2, '1MiB'],
    [' 10% ', 10, null, '10%'],
    [25, null, 25_000_000, '25']
  ])('%p', (text, percent, bytes, source) => {
    expect(LIMITS.maxIncrease.parse(text, 'max-increase')).toEqual({ percent, bytes, source });
  });

  test.each<[string | number, string]>([
    ['abc', 'input max-increase: "abc" is not an increase limit'],
    ['', 'input max-increase: "" is not an increase limit'],
    ['10%,', 'input max-increase: "10%," is not an increase limit'],
    ['10%, 5MB, 1GB', 'input max-increase: "10%, 5MB, 1GB" is not an increase limit'],
    ['-10%', 'input max-increase: "-10%" is not an increase limit'],
    ['ten%', 'input max-increase: "ten%" is not an increase limit'],
    ['10%, 20%', 'input max-increase: "10%, 20%" has more than one percentage'],
    ['5MB, 6MB', 'input max-increase: "5MB, 6MB" has more than one size'],
    ['10%, lots', 'input max-increase: "10%, lots" has "lots", which is not a size'],
    ['5MB, x%', 'input max-increase: "5MB, x%" has "x%", which is not a percentage']
  ])('%p is rejected', (text, start) => {
    const parse = () => LIMITS.maxIncrease.parse(text, 'input max-increase');
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(`${start}; ${SHARE_HINT}`);
  });

  test('a negative number from YAML is not a size', () => {
    expect(() => LIMITS.maxIncrease.parse(-5, 'images.api.max-increase')).toThrow(`images.api.max-increase: "-5" is not a size; ${SIZE_HINT}`);
  });
});

describe('LIMITS.maxWasted.parse', () => {
  test.each<[string | number, number | null, number | null, string]>([
    ['20MB', null, 20_000_000, '20MB'],
    ['10%', 10, null, '10%'],
    ['20MB, 10%', 10, 20_000_000, '20MB, 10%'],
    ['10%,20MB', 10, 20_000_000, '10%,20MB'],
    [' 5% ', 5, null, '5%'],
    [20, null, 20_000_000, '20']
  ])('%p', (text, percent, bytes, source) => {
    expect(LIMITS.maxWasted.parse(text, 'max-wasted')).toEqual({ percent, bytes, source });
  });

  test.each<[string, string]>([
    ['much', 'input max-wasted: "much" is not a waste limit'],
    ['', 'input max-wasted: "" is not a waste limit'],
    ['20MB, 10%, 1GB', 'input max-wasted: "20MB, 10%, 1GB" is not a waste limit'],
    ['10%, 20%', 'input max-wasted: "10%, 20%" has more than one percentage'],
    ['5MB, 6MB', 'input max-wasted: "5MB, 6MB" has more than one size'],
    ['10%, lots', 'input max-wasted: "10%, lots" has "lots", which is not a size']
  ])('%p is rejected', (text, start) => {
    const parse = () => LIMITS.maxWasted.parse(text, 'input max-wasted');
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(`${start}; ${SHARE_HINT}`);
  });

  test('a negative number from YAML is not a size', () => {
    expect(() => LIMITS.maxWasted.parse(-1, 'max-wasted')).toThrow(`max-wasted: "-1" is not a size; ${SIZE_HINT}`);
  });

  test.each<[string | number, string]>([
    ['10%, 0.1B', 'max-wasted: "0.1B" rounds to 0 bytes; give at least 1B'],
    ['99999999999TB', 'max-wasted: "99999999999TB" is too large; the largest size is about 9 PB'],
    [1e300, 'max-wasted: "1e+300" is too large; the largest size is about 9 PB'],
    [`${'9'.repeat(400)}%`, `max-wasted: ${quoted(`${'9'.repeat(400)}%`)} is not a waste limit`]
  ])('nonsense %p is refused, naming the input', (text, message) => {
    const parse = () => LIMITS.maxWasted.parse(text, 'max-wasted');
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(message);
  });
});

describe('budget: nonsense', () => {
  test.each<[string | number, string]>([
    ['0.0000001MB', 'budget: "0.0000001MB" rounds to 0 bytes; give at least 1B'],
    ['123456789012345678901234567890GB', 'budget: "123456789012345678901234567890GB" is too large; the largest size is about 9 PB'],
    [Number.MAX_VALUE, `budget: "${Number.MAX_VALUE}" is too large; the largest size is about 9 PB`]
  ])('%p is refused, naming the input', (text, message) => {
    const parse = () => LIMITS.budget.parse(text, 'budget');
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(message);
  });
});

describe('parseLimits and noLimits', () => {
  test('every limit by its name; what is not given is null', () => {
    const given: Record<string, string> = { budget: '250MB', 'max-wasted': '10%' };
    expect(
      parseLimits(
        (name) => given[name],
        (name) => `input ${name}`
      )
    ).toEqual({
      budget: { bytes: 250_000_000, source: '250MB' },
      maxWasted: { percent: 10, bytes: null, source: '10%' },
      maxIncrease: null
    });
  });

  test('a bad value names the place through `what`', () => {
    expect(() =>
      parseLimits(
        (name) => (name === 'max-increase' ? 'lots' : undefined),
        (name) => `--${name}`
      )
    ).toThrow(`--max-increase: "lots" is not an increase limit; ${SHARE_HINT}`);
  });

  test('noLimits is every limit null', () => {
    expect(noLimits()).toEqual({ budget: null, maxWasted: null, maxIncrease: null });
  });

  test('limitsOf keeps only the limits, all null for none', () => {
    const limits: ImageLimits = { budget: budget(1), maxWasted: null, maxIncrease: share('1%', 1, null) };
    const settings = { ...limits, target: 'runtime', buildArgs: {}, platform: null };
    expect(limitsOf(settings)).toEqual(limits);
    expect(limitsOf(null)).toEqual({ budget: null, maxWasted: null, maxIncrease: null });
  });
});

describe('exceedsShare (max-increase: a share of the base image)', () => {
  const base = 100 * MB;
  test.each<[string, number, number, ShareLimit, boolean]>([
    ['percent only, above', 11 * MB, base, share('10%', 10, null), true],
    ['percent only, exactly at it', 10 * MB, base, share('10%', 10, null), false],
    ['percent only, below', 9 * MB, base, share('10%', 10, null), false],
    ['size only, above', 26 * MB, base, share('25MB', null, 25 * MB), true],
    ['size only, exactly at it', 25 * MB, base, share('25MB', null, 25 * MB), false],
    ['both: above both', 20 * MB, base, share('10%, 5MB', 10, 5 * MB), true],
    ['both: above the percent only (a small image growing a little)', 2 * MB, 10 * MB, share('10%, 5MB', 10, 5 * MB), false],
    ['both: above the size only (a big image growing a little)', 6 * MB, 1000 * MB, share('10%, 5MB', 10, 5 * MB), false],
    ['both: below both', 1 * MB, base, share('10%, 5MB', 10, 5 * MB), false],
    ['shrinking never exceeds', -50 * MB, base, share('0%', 0, null), false],
    ['no growth never exceeds', 0, base, share('0%, 0MB', 0, 0), false],
    ['zero allowed: any growth exceeds', 1, base, share('0%', 0, null), true],
    ['an empty base grows infinitely in percent', 1 * MB, 0, share('10%', 10, null), true],
    ['an empty base, under the size limit', 1 * MB, 0, share('10%, 5MB', 10, 5 * MB), false],
    ['no limits at all', 100 * MB, base, share('', null, null), false]
  ])('%s', (_label, delta, baseBytes, limit, expected) => {
    expect(exceedsShare(delta, baseBytes, limit)).toBe(expected);
  });
});

describe('exceedsShare (max-wasted: a share of the image)', () => {
  test.each<[string, number, number, ShareLimit, boolean]>([
    ['size: above', 21 * MB, 200 * MB, share('20MB', null, 20 * MB), true],
    ['size: exactly at it', 20 * MB, 200 * MB, share('20MB', null, 20 * MB), false],
    ['percent: above', 21 * MB, 200 * MB, share('10%', 10, null), true],
    ['percent: exactly at it', 20 * MB, 200 * MB, share('10%', 10, null), false],
    ['both: above both', 30 * MB, 200 * MB, share('20MB, 10%', 10, 20 * MB), true],
    ['both: above the size only (a big image)', 30 * MB, 1000 * MB, share('20MB, 10%', 10, 20 * MB), false],
    ['both: above the percent only (a small image)', 2 * MB, 10 * MB, share('20MB, 10%', 10, 20 * MB), false],
    ['no waste never exceeds', 0, 200 * MB, share('0MB', null, 0), false]
  ])('%s', (_label, wasted, imageBytes, limit, expected) => {
    expect(exceedsShare(wasted, imageBytes, limit)).toBe(expected);
  });
});

describe('allowedShare and shareOf', () => {
  test.each<[string, number, ShareLimit, number]>([
    ['percent only', 200 * MB, share('10%', 10, null), 20 * MB],
    ['size only', 200 * MB, share('5MB', null, 5 * MB), 5 * MB],
    ['both: the percent is larger', 200 * MB, share('10%, 5MB', 10, 5 * MB), 20 * MB],
    ['both: the size is larger', 200 * MB, share('1%, 25MB', 1, 25 * MB), 25 * MB],
    ['an empty whole: the size', 0, share('10%, 5MB', 10, 5 * MB), 5 * MB],
    ['neither', 200 * MB, share('', null, null), 0]
  ])('%s', (_label, whole, limit, allowed) => {
    expect(allowedShare(whole, limit)).toBe(allowed);
  });

  test('shareOf is a percentage, null of an empty whole', () => {
    expect(shareOf(25 * MB, 200 * MB)).toBe(12.5);
    expect(shareOf(1, 0)).toBeNull();
  });
});

describe('resolveLimits', () => {
  const level = (values: Partial<LimitSettings> = {}): LimitSettings => ({ ...noLimits(), metric: null, ...values });

  test('each limit from the most specific level that gives it', () => {
    const image = level({ budget: size(100) });
    const top = level({ budget: size(200), maxIncrease: share('5MB', null, 5 * MB) });
    const inputs = level({
      budget: size(300),
      maxIncrease: share('20%', 20, null),
      maxWasted: share('30MB', null, 30 * MB)
    });
    expect(resolveLimits([image, top, inputs])).toEqual({
      budget: budget(100),
      maxIncrease: share('5MB', null, 5 * MB),
      maxWasted: share('30MB', null, 30 * MB)
    });
  });

  test('no metric anywhere: the budget is uncompressed', () => {
    expect(resolveLimits([level(), level({ budget: size(200) })]).budget).toEqual(budget(200, 'uncompressed'));
  });

  test('the budget takes the first metric given, whichever level gives the budget', () => {
    const image = level({ metric: null });
    const top = level({ metric: 'compressed' });
    const inputs = level({ budget: size(300), metric: 'uncompressed' });
    expect(resolveLimits([image, top, inputs]).budget).toEqual(budget(300, 'compressed'));
  });

  test('a more specific metric wins over a less specific one', () => {
    const image = level({ metric: 'uncompressed' });
    const top = level({ budget: size(200), metric: 'compressed' });
    expect(resolveLimits([image, top]).budget).toEqual(budget(200, 'uncompressed'));
  });

  test('a metric alone sets no budget', () => {
    expect(resolveLimits([level({ metric: 'compressed' })])).toEqual({ budget: null, maxIncrease: null, maxWasted: null });
  });

  test('no levels: no limits', () => {
    expect(resolveLimits([])).toEqual({ budget: null, maxIncrease: null, maxWasted: null });
  });
});

describe('checkLimits', () => {
  const limits = (values: Partial<ImageLimits>): ImageLimits => ({ ...limitsOf(null), ...values });
  const facts = (overrides: Partial<ImageFacts> = {}): ImageFacts => ({
    size: { bytes: 200 * MB, compressedBytes: null, dockerBytes: 200 * MB },
    base: { bytes: 200 * MB },
    delta: { bytes: 0, percent: 0 },
    wasted: null,
    ...overrides
  });
  const sized = (bytes: number, compressedBytes: number | null = null) => ({ bytes, compressedBytes, dockerBytes: bytes });

  test('no limits: nothing to say', () => {
    expect(checkLimits(limitsOf(null), facts({ wasted: { bytes: 100 * MB } }))).toEqual({ breaches: [], unchecked: [] });
  });

  test.each<[string, Partial<ImageLimits>, Partial<ImageFacts>, LimitBreach[]]>([
    [
      'over the budget',
      { budget: budget(250) },
      { size: sized(262_300_000) },
      [
        {
          limit: 'budget',
          metric: 'uncompressed',
          measured: 262_300_000,
          allowed: 250 * MB,
          over: 12_300_000,
          percent: null,
          source: '250MB'
        }
      ]
    ],
    ['exactly at the budget', { budget: budget(250) }, { size: sized(250 * MB) }, []],
    [
      'a compressed budget is measured on the compressed bytes',
      { budget: budget(100, 'compressed') },
      { size: sized(300 * MB, 110 * MB) },
      [
        {
          limit: 'budget',
          metric: 'compressed',
          measured: 110 * MB,
          allowed: 100 * MB,
          over: 10 * MB,
          percent: null,
          source: '100MB'
        }
      ]
    ],
    [
      'a compressed budget under its limit, however large the uncompressed size',
      { budget: budget(100, 'compressed') },
      { size: sized(300 * MB, 90 * MB) },
      []
    ],
    [
      'over max-increase: allowed is the percent of the base when that is larger',
      { maxIncrease: share('10%, 5MB', 10, 5 * MB) },
      { size: sized(230 * MB), base: { bytes: 200 * MB }, delta: { bytes: 30 * MB, percent: 15 } },
      [
        {
          limit: 'max-increase',
          metric: 'uncompressed',
          measured: 30 * MB,
          allowed: 20 * MB,
          over: 10 * MB,
          percent: 15,
          source: '10%, 5MB'
        }
      ]
    ],
    [
      'over max-increase: allowed is the size when that is larger',
      { maxIncrease: share('1%, 25MB', 1, 25 * MB) },
      { size: sized(230 * MB), base: { bytes: 200 * MB }, delta: { bytes: 30 * MB, percent: 15 } },
      [
        {
          limit: 'max-increase',
          metric: 'uncompressed',
          measured: 30 * MB,
          allowed: 25 * MB,
          over: 5 * MB,
          percent: 15,
          source: '1%, 25MB'
        }
      ]
    ],
    [
      'growth from an empty base: no percentage',
      { maxIncrease: share('5MB', null, 5 * MB) },
      { size: sized(10 * MB), base: { bytes: 0 }, delta: { bytes: 10 * MB, percent: null } },
      [
        {
          limit: 'max-increase',
          metric: 'uncompressed',
          measured: 10 * MB,
          allowed: 5 * MB,
          over: 5 * MB,
          percent: null,
          source: '5MB'
        }
      ]
    ],
    [
      'growth under one of two limits is fine',
      { maxIncrease: share('1%, 5MB', 1, 5 * MB) },
      { size: sized(203 * MB), delta: { bytes: 3 * MB, percent: 1.5 } },
      []
    ],
    ['a new image has nothing to grow from', { maxIncrease: share('0%', 0, null) }, { base: null, delta: null }, []],
    [
      'over max-wasted: percent is the waste as a share of the image',
      { maxWasted: share('20MB', null, 20 * MB) },
      { wasted: { bytes: 25 * MB } },
      [
        {
          limit: 'max-wasted',
          metric: 'uncompressed',
          measured: 25 * MB,
          allowed: 20 * MB,
          over: 5 * MB,
          percent: 12.5,
          source: '20MB'
        }
      ]
    ],
    [
      'over max-wasted: allowed is the percent of the image when that is larger',
      { maxWasted: share('20MB, 10%', 10, 20 * MB) },
      { size: sized(400 * MB), wasted: { bytes: 50 * MB } },
      [
        {
          limit: 'max-wasted',
          metric: 'uncompressed',
          measured: 50 * MB,
          allowed: 40 * MB,
          over: 10 * MB,
          percent: 12.5,
          source: '20MB, 10%'
        }
      ]
    ],
    [
      'over max-wasted: allowed is the size when that is larger',
      { maxWasted: share('20MB, 5%', 5, 20 * MB) },
      { size: sized(240 * MB), wasted: { bytes: 30 * MB } },
      [
        {
          limit: 'max-wasted',
          metric: 'uncompressed',
          measured: 30 * MB,
          allowed: 20 * MB,
          over: 10 * MB,
          percent: 12.5,
          source: '20MB, 5%'
        }
      ]
    ],
    ['waste within max-wasted', { maxWasted: share('20MB', null, 20 * MB) }, { wasted: { bytes: 15 * MB } }, []],
    ['an image not analysed has no waste to check', { maxWasted: share('0MB', null, 0) }, { wasted: null }, []]
  ])('%s', (_label, given, image, breaches) => {
    expect(checkLimits(limits(given), facts(image))).toEqual({ breaches, unchecked: [] });
  });

  test('a compressed budget with no compressed size is not checked, and says so', () => {
    expect(checkLimits(limits({ budget: budget(1, 'compressed') }), facts())).toEqual({
      breaches: [],
      unchecked: ['budget not checked: the compressed size was not measured']
    });
  });

  test('every breach at once, in the registry order: budget, max-wasted, max-increase', () => {
    const verdict = checkLimits(
      limits({ budget: budget(250), maxIncrease: share('10%', 10, null), maxWasted: share('10%', 10, null) }),
      facts({
        size: sized(262_300_000),
        base: { bytes: 200 * MB },
        delta: { bytes: 62_300_000, percent: 31.15 },
        wasted: { bytes: 30 * MB }
      })
    );
    expect(verdict.unchecked).toEqual([]);
    expect(verdict.breaches.map((breach) => [breach.limit, breach.allowed, breach.over])).toEqual([
      ['budget', 250 * MB, 12_300_000],
      ['max-wasted', 26_230_000, 3_770_000],
      ['max-increase', 20 * MB, 42_300_000]
    ]);
  });
});

describe('explainBreach', () => {
  const breach = (values: Partial<LimitBreach> & Pick<LimitBreach, 'limit'>): LimitBreach => ({
    metric: 'uncompressed',
    measured: 0,
    allowed: 0,
    over: 0,
    percent: null,
    source: '',
    ...values
  });

  test.each<[string, LimitBreach, { reason: string; detail: string; sentence: string }]>([
    [
      'budget',
      breach({ limit: 'budget', measured: 262_300_000, allowed: 250 * MB, over: 12_300_000, source: '250MB' }),
      {
        reason: '12.3 MB over its 250.0 MB budget (262.3 MB)',
        detail: 'budget 250.0 MB, over by 12.3 MB',
        sentence: 'is 262.3 MB, 12.3 MB over its budget of 250.0 MB (250MB).'
      }
    ],
    [
      'a compressed budget',
      breach({ limit: 'budget', metric: 'compressed', measured: 110 * MB, allowed: 100 * MB, over: 10 * MB, source: '100MB' }),
      {
        reason: '10.0 MB over its 100.0 MB compressed budget (110.0 MB)',
        detail: 'budget 100.0 MB compressed, over by 10.0 MB',
        sentence: 'is 110.0 MB compressed, 10.0 MB over its budget of 100.0 MB (100MB).'
      }
    ],
    [
      'max-increase',
      breach({ limit: 'max-increase', measured: 30 * MB, allowed: 20 * MB, over: 10 * MB, percent: 15, source: '10%, 5MB' }),
      {
        reason: 'grew 30.0 MB (+15.0%) against the base branch, more than the allowed 10%, 5MB',
        detail: 'grew +30.0 MB (+15.0%), allowed 10%, 5MB',
        sentence: 'grew by +30.0 MB (+15.0%) against the base branch. The limit is 10%, 5MB.'
      }
    ],
    [
      'max-increase from an empty base',
      breach({ limit: 'max-increase', measured: 10 * MB, allowed: 5 * MB, over: 5 * MB, percent: null, source: '5MB' }),
      {
        reason: 'grew 10.0 MB against the base branch, more than the allowed 5MB',
        detail: 'grew +10.0 MB (n/a), allowed 5MB',
        sentence: 'grew by +10.0 MB (n/a) against the base branch. The limit is 5MB.'
      }
    ],
    [
      'max-wasted',
      breach({ limit: 'max-wasted', measured: 25 * MB, allowed: 20 * MB, over: 5 * MB, percent: 12.5, source: '20MB' }),
      {
        reason: 'wastes 25.0 MB (12.5% of the image) in files a later layer deletes or replaces, more than the allowed 20MB',
        detail: 'wastes 25.0 MB, allowed 20MB',
        sentence: 'wastes 25.0 MB (12.5% of the image): bytes shipped in one layer and deleted or replaced in a later one. The limit is 20MB.'
      }
    ],
    [
      'max-wasted of an empty image: no share',
      breach({ limit: 'max-wasted', measured: 30 * MB, allowed: 20 * MB, over: 10 * MB, percent: null, source: '20MB' }),
      {
        reason: 'wastes 30.0 MB in files a later layer deletes or replaces, more than the allowed 20MB',
        detail: 'wastes 30.0 MB, allowed 20MB',
        sentence: 'wastes 30.0 MB: bytes shipped in one layer and deleted or replaced in a later one. The limit is 20MB.'
      }
    ]
  ])('%s', (_label, given, words) => {
    expect(explainBreach(given)).toEqual(words);
  });

  test('the status each breach gives its image', () => {
    expect(breachStatus(breach({ limit: 'budget' }))).toBe('over-budget');
    expect(breachStatus(breach({ limit: 'max-wasted' }))).toBe('over-budget');
    expect(breachStatus(breach({ limit: 'max-increase' }))).toBe('over-increase');
  });

  test('a breach of no known limit is a programming error', () => {
    expect(() => explainBreach(breach({ limit: 'max-layers' }))).toThrow('no limit is named "max-layers"');
  });
});

describe('the registry reaches every place a limit is written', () => {
  const names = LIMIT_KEYS.map((key) => LIMITS[key].name);

  test('the registry has the limits users know', () => {
    expect(names).toEqual(['budget', 'max-wasted', 'max-increase']);
  });

  test.each(names)('%s is a key at the config top level and in an image entry', (name) => {
    expect(Object.keys(configSchema.properties)).toContain(name);
    expect(Object.keys(configSchema.definitions.image.properties)).toContain(name);
  });

  test.each(names)('%s is an input of action.yml', async (name) => {
    const action = parseYaml(await readFile(join(import.meta.dirname, '..', '..', 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    expect(Object.keys(action.inputs)).toContain(name);
  });
});
