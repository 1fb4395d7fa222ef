import { describe, expect, test } from '@jest/globals';
import { UserError } from '../../src/errors.js';
import {
  formatBytes,
  formatDelta,
  formatPercent,
  parseBudget,
  parseIncrease,
  parseSize
} from '../../src/units.js';

const SIZE_HINT = 'expected a number with a unit such as 250MB, 1.2GB, 300MiB or 900kB (a bare number means MB)';
const INCREASE_HINT = 'expected a percentage, a size or both separated by a comma, such as 10%, 25MB or "10%, 5MB"';

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
    ['0.0000004MB', 0],
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

describe('parseBudget', () => {
  test.each<[string | number, number, string]>([
    ['250MB', 250_000_000, '250MB'],
    [' 1.2 GB ', 1_200_000_000, '1.2 GB'],
    [80, 80_000_000, '80']
  ])('%p', (text, bytes, source) => {
    expect(parseBudget(text, 'budget')).toEqual({ bytes, metric: 'uncompressed', source });
  });

  test('names what was wrong', () => {
    expect(() => parseBudget('big', 'images.api.budget')).toThrow(`images.api.budget: "big" is not a size; ${SIZE_HINT}`);
  });
});

describe('parseIncrease', () => {
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
    expect(parseIncrease(text, 'max-increase')).toEqual({ percent, bytes, source });
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
    const parse = () => parseIncrease(text, 'input max-increase');
    expect(parse).toThrow(UserError);
    expect(parse).toThrow(`${start}; ${INCREASE_HINT}`);
  });

  test('a negative number from YAML is not a size', () => {
    expect(() => parseIncrease(-5, 'images.api.max-increase')).toThrow(
      `images.api.max-increase: "-5" is not a size; ${SIZE_HINT}`
    );
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
