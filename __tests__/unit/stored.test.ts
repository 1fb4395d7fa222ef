/**
 * The stored baseline (src/baseline/stored.ts): a report another run kept is data from
 * elsewhere, so it is parsed and checked (format, version, schema, commit, repository)
 * before any of it is used; a stored image turns back into a base-side measurement.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { newBaseline, type RunFacts } from '../../src/baseline/store.js';
import {
  BASELINE_FORMAT,
  BASELINE_VERSION,
  parseStoredBaseline,
  storedMeasurement,
  storedMeasurements,
  type StoredBaseline
} from '../../src/baseline/stored.js';
import type { Inventory } from '../../src/model/change.js';
import type { ImageReport, Report } from '../../src/model/report.js';
import { imageReport, reportOf } from '../support/report-fixtures.js';

const MB = 1e6;
const SHA = '4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e';
const OTHER_SHA = 'd00dfeed'.padEnd(40, '0');
const REPOSITORY = 'octo/app';
const EXPECTED = { repository: REPOSITORY, sha: SHA };
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const RUN: RunFacts = { repository: REPOSITORY, sha: SHA, ref: 'refs/heads/main', event: 'push', createdAt: '2024-05-01T12:00:00.000Z' };

function inventory(bytes: number): Inventory {
  return {
    baseImage: 'python:3.12-slim',
    bytes,
    visibleBytes: bytes - MB,
    hiddenBytes: MB,
    files: 1200,
    folders: [
      { path: '', bytes: bytes - MB, files: 1200 },
      { path: 'usr', bytes: bytes - 20 * MB, files: 1000 }
    ],
    packages: [{ manager: 'dpkg', name: 'libpq5', version: '15.6', bytes: 2 * MB, files: 40, location: null }],
    packagesNote: null
  };
}

/** A branch run's report: a measured image with its inventory and digest, one without an anatomy, a failed one and a removed one. */
function branchReport(): Report {
  return reportOf([
    imageReport({ name: 'web', inventory: inventory(100 * MB), buildInputs: { digest: DIGEST, unknown: null } }),
    imageReport({
      name: 'api',
      layers: null,
      wasted: null,
      caches: null,
      buildInputs: { digest: null, unknown: 'base image python:3.12 could not be resolved' }
    }),
    imageReport({
      name: 'worker',
      status: 'failed',
      size: null,
      delta: null,
      error: { message: 'docker build exited with code 1', logTail: 'make: *** No rule to make target.' },
      reasons: ['failed to build: docker build exited with code 1']
    }),
    imageReport({ name: 'legacy', status: 'removed', comparison: 'removed', size: null, delta: null, budget: null })
  ]);
}

function storedJson(change: (baseline: StoredBaseline) => void = () => undefined): string {
  const baseline = JSON.parse(JSON.stringify(newBaseline(branchReport(), RUN))) as StoredBaseline;
  change(baseline);
  return JSON.stringify(baseline);
}

function reasonOf(json: string, expected = EXPECTED): string {
  const parsed = parseStoredBaseline(json, expected);
  if (parsed.ok) throw new Error('expected the stored baseline to be refused');
  return parsed.reason;
}

function imageOf(baseline: StoredBaseline, index: number): ImageReport {
  return baseline.report.images[index]!;
}

describe('parseStoredBaseline', () => {
  it('accepts a baseline newBaseline made, after a round trip through JSON', () => {
    const made = newBaseline(branchReport(), RUN);
    const parsed = parseStoredBaseline(JSON.stringify(made), EXPECTED);
    expect(parsed).toEqual({ ok: true, baseline: JSON.parse(JSON.stringify(made)) });
  });

  it('accepts the repository in another case: GitHub names are case-insensitive', () => {
    expect(
      parseStoredBaseline(
        storedJson((baseline) => (baseline.repository = 'Octo/App')),
        EXPECTED
      ).ok
    ).toBe(true);
    expect(parseStoredBaseline(storedJson(), { repository: 'OCTO/app', sha: SHA }).ok).toBe(true);
  });

  it('refuses what is not JSON, saying so', () => {
    expect(reasonOf('{"format": "footprint-baseline",')).toMatch(/^it is not JSON \(.+\)$/);
    expect(reasonOf('')).toMatch(/^it is not JSON/);
  });

  it.each([
    ['another format', { format: 'something-else', version: 1 }],
    ['no format', { version: 1, report: {} }],
    ['an array', [1, 2, 3]],
    ['null', null],
    ['a string', 'footprint-baseline']
  ])('refuses %s: not a footprint baseline', (_, value) => {
    expect(reasonOf(JSON.stringify(value))).toBe('it is not a footprint baseline');
  });

  it('refuses another format version, naming it and the one it reads', () => {
    const reason = reasonOf(storedJson((baseline) => ((baseline as { version: unknown }).version = 2)));
    expect(reason).toBe('it has format version 2; this footprint reads version 1');
    expect(reasonOf(JSON.stringify({ format: BASELINE_FORMAT, version: '1' }))).toContain('version "1"');
  });

  it.each<[string, (baseline: StoredBaseline) => void, string]>([
    ['a negative byte count', (baseline) => (imageOf(baseline, 0).size!.bytes = -1), '/report/images/0/size/bytes'],
    ['a layer whose line is 0', (baseline) => (imageOf(baseline, 0).layers![2]!.line = 0), '/report/images/0/layers/2/line'],
    [
      'a digest that is not sha256:64 hex',
      (baseline) => (imageOf(baseline, 0).buildInputs!.digest = 'sha256:abc'),
      '/report/images/0/buildInputs/digest'
    ],
    ['an upper-case digest', (baseline) => (imageOf(baseline, 0).buildInputs!.digest = DIGEST.toUpperCase()), '/report/images/0/buildInputs/digest'],
    ['an event that stores no baseline (pull_request)', (baseline) => (baseline.event = 'pull_request'), '/event'],
    ['a missing images field', (baseline) => delete (baseline.report as Partial<Report>).images, '/report'],
    [
      'a string where a number belongs',
      (baseline) => ((imageOf(baseline, 0).size as { bytes: unknown }).bytes = '100000000'),
      '/report/images/0/size/bytes'
    ],
    ['a fractional byte count', (baseline) => (imageOf(baseline, 0).layers![0]!.bytes = 1.5), '/report/images/0/layers/0/bytes'],
    ['a trend point with a negative size', (baseline) => (baseline.trend.points[0]!.images['web']!.bytes = -5), '/trend/points/0/images/web/bytes'],
    [
      'an unknown package manager',
      (baseline) => ((imageOf(baseline, 0).inventory!.packages[0] as { manager: string }).manager = 'pacman'),
      '/report/images/0/inventory'
    ],
    ['a date that is not a date', (baseline) => (baseline.createdAt = 'yesterday'), '/createdAt'],
    ['a short commit', (baseline) => (baseline.sha = SHA.slice(0, 7)), '/sha']
  ])('refuses a schema violation, %s, naming where it is', (_, change, where) => {
    const reason = reasonOf(storedJson(change));
    expect(reason).toMatch(/^it does not match the baseline schema \(/);
    expect(reason).toContain(`(${where} `);
  });

  it('says what the violation is', () => {
    expect(reasonOf(storedJson((baseline) => delete (baseline.report as Partial<Report>).images))).toContain("must have required property 'images'");
    expect(reasonOf(storedJson((baseline) => (imageOf(baseline, 0).size!.bytes = -1)))).toContain('must be >= 0');
  });

  it('refuses the report of another commit, naming both', () => {
    expect(reasonOf(storedJson(), { repository: REPOSITORY, sha: OTHER_SHA })).toBe('it is the report of 4f2a9c0, not of d00dfee');
  });

  it("refuses another repository's report", () => {
    expect(reasonOf(storedJson(), { repository: 'octo/other', sha: SHA })).toBe('it was written by a run of another repository');
    expect(reasonOf(storedJson((baseline) => (baseline.repository = 'fork/app')))).toBe('it was written by a run of another repository');
  });

  it('never throws, and accepts only objects of the baseline format, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = parseStoredBaseline(JSON.stringify(value) ?? 'null', EXPECTED);
        if (parsed.ok) {
          expect(value).toMatchObject({ format: BASELINE_FORMAT, version: BASELINE_VERSION, sha: SHA });
        } else {
          expect(typeof parsed.reason).toBe('string');
          expect(parsed.reason.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 }
    );
  });

  it('never throws for a baseline with any JSON value in place of its report or trend', () => {
    const head = {
      format: BASELINE_FORMAT,
      version: BASELINE_VERSION,
      repository: REPOSITORY,
      sha: SHA,
      ref: null,
      event: 'push',
      createdAt: RUN.createdAt
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (report, trend) => {
        const parsed = parseStoredBaseline(JSON.stringify({ ...head, report, trend }), EXPECTED);
        // Only a report with a version 1 and a list of images, and a trend with points, can pass.
        if (parsed.ok) {
          expect(report).toMatchObject({ version: 1, images: expect.any(Array) });
          expect(trend).toMatchObject({ points: expect.any(Array) });
        } else expect(parsed.reason).toMatch(/^it does not match the baseline schema/);
      }),
      { numRuns: 500 }
    );
  });
});

describe('storedMeasurements', () => {
  const baseline = newBaseline(branchReport(), RUN);
  const measurements = storedMeasurements(baseline);

  it('leaves out removed images, keeping the stored order', () => {
    expect(measurements.map((measurement) => measurement.target.name)).toEqual(['web', 'api', 'worker']);
  });

  it("carries over an image's figures: size, anatomy, inventory, digest, paths", () => {
    const web = measurements[0]!;
    const stored = imageOf(baseline, 0);
    expect(web.size).toEqual(stored.size);
    expect(web.anatomy).toEqual({
      bytes: stored.size!.bytes,
      compressedBytes: stored.size!.compressedBytes,
      layers: stored.layers,
      wasted: stored.wasted,
      caches: stored.caches
    });
    expect(web.inventory).toEqual(inventory(100 * MB));
    expect(web.buildInputs).toEqual({ digest: DIGEST, unknown: null });
    expect(web.target).toMatchObject({ name: 'web', dockerfile: 'web/Dockerfile', context: 'web', image: null });
    expect(web.error).toBeNull();
    // Nothing of the base side's build is at hand: no Dockerfile, no file list, and it was not reused.
    expect(web).toMatchObject({ dockerfile: null, dockerfileError: null, files: null, analysisError: null, reused: null });
  });

  it('has no anatomy when the stored image has no layers, waste or caches', () => {
    const api = measurements[1]!;
    expect(api.size?.bytes).toBe(100 * MB);
    expect(api.anatomy).toBeNull();
    for (const missing of ['layers', 'wasted', 'caches'] as const) {
      expect(storedMeasurement(imageReport({ name: 'x', [missing]: null })).anatomy).toBeNull();
    }
    expect(storedMeasurement(imageReport({ name: 'x' })).anatomy).not.toBeNull();
  });

  it('keeps a failed image with its error and no size', () => {
    const worker = measurements[2]!;
    expect(worker.size).toBeNull();
    expect(worker.anatomy).toBeNull();
    expect(worker.error).toEqual({ message: 'docker build exited with code 1', logTail: 'make: *** No rule to make target.' });
  });
});
