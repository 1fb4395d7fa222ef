import { describe, expect, it, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { compareVersions } from '../../src/compare/versions.js';

const sign = (value: number): number => Math.sign(value);

describe('compareVersions', () => {
  test.each<[string, string, number]>([
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0~~', '1.0~', -1],
    ['1:0.9', '2.0', 1],
    ['0:2.0', '2.0', 0],
    ['1.2.10', '1.2.9', 1],
    ['1.2.9', '1.2.10', -1],
    ['2.36-9+deb12u4', '2.36-9+deb12u10', -1],
    ['2.36-9+deb12u10', '2.36-9+deb12u4', 1],
    ['1.2.3-r4', '1.2.3-r10', -1],
    ['1.2.3-r10', '1.2.3', 1],
    ['1.2.3', '1.2.3', 0],
    ['1.02', '1.2', 0],
    ['', '', 0],
    ['1.0a', '1.0', 1],
    ['1.0a', '1.0+', -1],
    ['1.0', '1.0.0', -1],
    ['2.0.0', '10.0.0', -1],
    // dpkg's order, not PEP 440's: a letter after the end sorts later, so `rc1` is newer than the release.
    ['3.12.1', '3.12.1rc1', -1],
    ['99999999999999999999:1', '99999999999999999998:2', 1],
    ['1.0-1', '1.0-1.1', -1],
    ['9.2.0-1ubuntu1', '9.2.0-1', 1]
  ])('%j vs %j → %i', (a, b, expected) => {
    expect(sign(compareVersions(a, b))).toBe(expected);
    expect(sign(compareVersions(b, a))).toBe(-expected || 0);
  });

  it('sorts a list as dpkg does', () => {
    const sorted = ['1.0', '1.0~rc1', '1:0.1', '0.9', '1.0-1', '1.0+really0.9', '1.0a'].sort(compareVersions);
    expect(sorted).toEqual(['0.9', '1.0~rc1', '1.0', '1.0-1', '1.0a', '1.0+really0.9', '1:0.1']);
  });
});

/** dpkg's own answer: -1, 0 or 1. */
function dpkgOrder(a: string, b: string): number {
  const holds = (relation: string): boolean => spawnSync('dpkg', ['--compare-versions', a, relation, b]).status === 0;
  return holds('lt') ? -1 : holds('eq') ? 0 : 1;
}

(existsSync('/usr/bin/dpkg') ? describe : describe.skip)('compareVersions agrees with dpkg --compare-versions', () => {
  test.each<[string, string]>([
    ['1.0~rc1', '1.0'],
    ['1:0.9', '2.0'],
    ['1.2.10', '1.2.9'],
    ['2.36-9+deb12u4', '2.36-9+deb12u10'],
    ['1.2.3-r4', '1.2.3-r10'],
    ['1.2.3', '1.2.3'],
    ['1.0a', '1.0+b1'],
    ['1.0.0~beta.2', '1.0.0~beta.10'],
    ['7.88.1-10+deb12u5', '7.88.1-10+deb12u12'],
    ['2:8.2.3995-1', '1:9.0.0-1'],
    ['1.2', '1.2.0'],
    ['0.10', '0.9.9'],
    ['20230101', '2023.01.01'],
    ['1.0-1~bpo12+1', '1.0-1'],
    ['3.0.11-1~deb12u2', '3.0.11-1~deb12u10'],
    ['1.0~', '1.0~~'],
    ['1.0.', '1.0'],
    ['1.0-a', '1.0-+']
  ])('%j vs %j', (a, b) => {
    expect(sign(compareVersions(a, b))).toBe(dpkgOrder(a, b));
    expect(sign(compareVersions(b, a))).toBe(dpkgOrder(b, a));
  });
});
