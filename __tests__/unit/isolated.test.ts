import { describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledAnalyser } from '../../src/measure/isolated.js';

describe('bundledAnalyser: the analysis worker is used where the bundle ships it', () => {
  test('a worker beside the running bundle gives an analyser; its real path counts, as an npm bin link would give', () => {
    const dist = mkdtempSync(join(tmpdir(), 'footprint-dist-'));
    mkdirSync(join(dist, 'cli'));
    mkdirSync(join(dist, 'analysis-worker'));
    writeFileSync(join(dist, 'cli', 'index.js'), '');
    writeFileSync(join(dist, 'analysis-worker', 'index.js'), '');
    const bin = join(mkdtempSync(join(tmpdir(), 'footprint-bin-')), 'footprint');
    symlinkSync(join(dist, 'cli', 'index.js'), bin);
    expect(typeof bundledAnalyser('../analysis-worker/index.js', bin)).toBe('function');
  });

  test('without one (the sources, a test runner), the analysis runs in the process', () => {
    const folder = mkdtempSync(join(tmpdir(), 'footprint-src-'));
    writeFileSync(join(folder, 'main.js'), '');
    expect(bundledAnalyser('analysis-worker/index.js', join(folder, 'main.js'))).toBeUndefined();
    expect(bundledAnalyser('analysis-worker/index.js', join(folder, 'missing.js'))).toBeUndefined();
  });
});
