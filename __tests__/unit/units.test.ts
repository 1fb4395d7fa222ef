import { describe, expect, test } from '@jest/globals';
import { quoted, UserError } from '../../src/errors.js';
import { formatBytes, formatDelta, formatPercent, parseSize } from '../../src/units.js';

const SIZE_HINT = 'expected a number with a unit such as 250MB, 1.2GB, 300MiB or 900kB (a bare number means MB)';

describe('parseSize', () => {
  test.each<[string | number, number]>([
    ['250MB', 250_000_000],
    ['1.2GB', 1_200_000_000],
    ['300MiB', 300 * 1024 ** 2],
    ['900kB', 900_000],
    ['900KB', 900_000],
    ['512B', 512],
    ['2TB', 2e12],
    ['1.5 GiB', 1.5 * 1024 ** 3],
    ['4KiB', 4096],
    ['1TiB', 1024 ** 4],
    ['250mb', 250_000_000],
    ['300mib', 300 * 1024 ** 2],
    ['  80MB  ', 80_000_000],
    ['.5GB', 500_000_000],
    ['250', 250_000_000],
    ['0', 0],
    ['1.0000005MB', 1_000_001],
    [250, 250_000_000],
    [1.5, 1_500_000],
    [0, 0]
  ])('%p is %d bytes', (text, bytes) => {
    expect(parseSize(text, 'budget')).toBe(bytes);
  });

  test.each<[string | number, string]>([
    ['', ''],
    ['   ', ''],
    ['abc', 'abc'],
    ['-5MB', '-5MB'],
    ['5 M B', '5 M B'],
    ['5XB', '5XB'],
    ['MB', 'MB'],
    ['1,5GB', '1,5GB'],
    ['1.GB', '1.GB'],
    ['10%', '10%'],
    [-1, '-1'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity']
  ])('%p is not a size', (text, shown) => {
    const parse = () => parseSize(text, 'input budget');
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(`input budget: "${shown}" is not a size; ${SIZE_HINT}`);
  });
});

describe('parseSize: nonsense', () => {
  test.each<[string | number, string]>([
    ['0.0000004MB', 'input budget: "0.0000004MB" rounds to 0 bytes; give at least 1B'],
    ['0.4B', 'input budget: "0.4B" rounds to 0 bytes; give at least 1B'],
    [0.0000001, 'input budget: "1e-7" rounds to 0 bytes; give at least 1B'],
    ['99999999999TB', 'input budget: "99999999999TB" is too large; the largest size is about 9 PB'],
    ['9'.repeat(400), `input budget: ${quoted('9'.repeat(400))} is too large; the largest size is about 9 PB`],
    [1e300, 'input budget: "1e+300" is too large; the largest size is about 9 PB']
  ])('%p is refused', (text, message) => {
    const parse = () => parseSize(text, 'input budget');
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(message);
  });

  test('the largest exact size is accepted', () => {
    expect(parseSize(`${Number.MAX_SAFE_INTEGER}B`, 'budget')).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('formatting', () => {
  test.each<[number, string]>([
    [0, '0 B'],
    [512, '512 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [900_000, '900.0 kB'],
    [999_940, '999.9 kB'],
    [999_960, '1.0 MB'],
    [16_100_000, '16.1 MB'],
    [702_500_000, '702.5 MB'],
    [1_200_000_000, '1.2 GB'],
    [2_000_000_000_000, '2.0 TB'],
    [-3_400_000, '-3.4 MB'],
    [511.6, '512 B']
  ])('formatBytes(%d) is %p', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  test.each<[number, string]>([
    [1_200_000, '+1.2 MB'],
    [-3_400_000, '-3.4 MB'],
    [0, '0 B'],
    [0.4, '0 B'],
    [12, '+12 B'],
    [-999_960, '-1.0 MB']
  ])('formatDelta(%d) is %p', (bytes, text) => {
    expect(formatDelta(bytes)).toBe(text);
  });

  test.each<[number | null, string]>([
    [3.4, '+3.4%'],
    [3.449, '+3.4%'],
    [-12, '-12.0%'],
    [0, '0.0%'],
    [0.04, '0.0%'],
    [-0.04, '0.0%'],
    [250, '+250.0%'],
    [null, 'n/a'],
    [Number.NaN, 'n/a']
  ])('formatPercent(%p) is %p', (percent, text) => {
    expect(formatPercent(percent)).toBe(text);
  });
});
