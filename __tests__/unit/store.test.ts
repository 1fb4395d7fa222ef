/**
 * Stored baselines as workflow artifacts (src/baseline/store.ts): the report a branch run keeps
 * (newBaseline, keepBaseline) and the lookup a pull request's run makes (createBaselineStore).
 * The artifact calls themselves (src/baseline/artifacts.ts) are replaced with
 * jest.unstable_mockModule before store.ts is imported (ESM); the integration tests run them
 * against stand-ins of GitHub's services.
 */
import { beforeEach, describe, expect, jest, test } from '@jest/globals';
import type { FindBaselineOptions, StoredLookup } from '../../src/baseline/artifacts.js';
import type { StoredBaseline } from '../../src/baseline/stored.js';
import type { Octokit } from '../../src/github/octokit.js';
import type { Report } from '../../src/model/report.js';
import type { Trend } from '../../src/model/trend.js';
import { imageReport, reportOf } from '../support/report-fixtures.js';

const MB = 1e6;

const findBaseline = jest.fn<(options: FindBaselineOptions) => Promise<StoredLookup>>();
const uploadBaseline = jest.fn<(name: string, json: string) => Promise<{ id: number; size: number }>>();

// The real module's other exports (the artifact's name) stay; only the calls that reach GitHub are replaced.
const actualArtifacts = await import('../../src/baseline/artifacts.js');
jest.unstable_mockModule('../../src/baseline/artifacts.js', () => ({ ...actualArtifacts, findBaseline, uploadBaseline }));

const { ACTIONS_READ_HINT, createBaselineStore, keepBaseline, newBaseline } = await import('../../src/baseline/store.js');
const { parseStoredBaseline } = await import('../../src/baseline/stored.js');

const SHA = 'c0ffee'.padEnd(40, '1');
const RUN = { repository: 'octo/app', sha: SHA, ref: 'refs/heads/main', event: 'push', createdAt: '2024-05-03T09:30:00.000Z' };

const PREVIOUS: Trend = {
  points: [
    { sha: 'a'.repeat(40), date: '2024-05-01T09:00:00.000Z', images: { web: { bytes: 90 * MB, compressedBytes: 36 * MB } } },
    { sha: 'b'.repeat(40), date: '2024-05-02T09:00:00.000Z', images: { web: { bytes: 95 * MB, compressedBytes: 38 * MB } } }
  ]
};

/** A branch run's report: web measured at 100 MB, a failed worker, with the history its base commit stored. */
function branchReport(trend: Trend | null = PREVIOUS): Report {
  return reportOf(
    [
      imageReport({ name: 'web' }),
      imageReport({ name: 'worker', status: 'failed', size: null, delta: null, error: { message: 'build failed', logTail: '' } })
    ],
    { trend }
  );
}

function log() {
  const info: string[] = [];
  const warn: string[] = [];
  return { info, warn, log: { info: (message: string) => info.push(message), warn: (message: string) => warn.push(message) } };
}

beforeEach(() => {
  findBaseline.mockReset();
  uploadBaseline.mockReset();
});

describe('newBaseline', () => {
  test("extends the stored history with this commit's point, and keeps the report without it", () => {
    const report = branchReport();
    const baseline = newBaseline(report, RUN);

    expect(baseline).toMatchObject({ format: 'footprint-baseline', version: 1, ...RUN });
    expect(baseline.trend.points).toEqual([
      ...PREVIOUS.points,
      // Only images with a size: the failed worker is not a point of the history.
      { sha: SHA, date: RUN.createdAt, images: { web: { bytes: 100 * MB, compressedBytes: 40 * MB } } }
    ]);
    // The history is kept once, beside the report.
    expect(baseline.report).toEqual({ ...report, trend: null });
    expect(report.trend).toBe(PREVIOUS);
  });

  test('starts the history with this commit when there was none', () => {
    expect(newBaseline(branchReport(null), RUN).trend.points.map((point) => point.sha)).toEqual([SHA]);
  });

  test('a re-run of the same commit replaces its point instead of adding one', () => {
    const rerun = newBaseline(branchReport({ points: [...PREVIOUS.points, { sha: SHA, date: '2024-05-03T08:00:00.000Z', images: {} }] }), RUN);
    expect(rerun.trend.points.map((point) => point.sha)).toEqual(['a'.repeat(40), 'b'.repeat(40), SHA]);
    expect(rerun.trend.points.at(-1)!.images['web']!.bytes).toBe(100 * MB);
  });
});

describe('keepBaseline', () => {
  test('uploads the stored baseline as the artifact of the comment key, and says where it went', async () => {
    uploadBaseline.mockResolvedValue({ id: 31, size: 2048 });
    const { info, warn, log: logger } = log();

    await expect(keepBaseline(branchReport(), RUN, 'backend', logger)).resolves.toBe(true);

    expect(uploadBaseline).toHaveBeenCalledTimes(1);
    const [name, json] = uploadBaseline.mock.calls[0]!;
    expect(name).toBe('footprint-report-backend');
    // What a pull request's run will read back and accept.
    const parsed = parseStoredBaseline(json, { repository: 'octo/app', sha: SHA });
    expect(parsed.ok && parsed.baseline).toEqual(newBaseline(branchReport(), RUN));
    expect(info).toEqual([`Kept this report as the artifact footprint-report-backend (id 31, 2048 bytes) for pull requests based on c0ffee1.`]);
    expect(warn).toEqual([]);
  });

  test('a failed upload is a warning naming the artifact and the reason, never a failure', async () => {
    uploadBaseline.mockRejectedValue(new Error('HTTP 503'));
    const { info, warn, log: logger } = log();

    await expect(keepBaseline(branchReport(), RUN, 'default', logger)).resolves.toBe(false);

    expect(info).toEqual([]);
    expect(warn).toHaveLength(1);
    expect(warn[0]).toContain('could not be kept as the artifact footprint-report-default');
    expect(warn[0]).toContain('pull requests based on this commit will build their base side');
    expect(warn[0]).toContain('HTTP 503');
  });

  test('a rejection that is not an Error is still reported', async () => {
    uploadBaseline.mockRejectedValue('socket hang up');
    const { warn, log: logger } = log();
    await expect(keepBaseline(branchReport(), RUN, 'default', logger)).resolves.toBe(false);
    expect(warn[0]).toMatch(/footprint-report-default.*socket hang up$/);
  });
});

describe('createBaselineStore', () => {
  const octokit = {} as Octokit;

  function store(overrides: { owner?: string; repo?: string } = {}) {
    const warnings: string[] = [];
    const makeOctokit = jest.fn(() => octokit);
    const baselines = createBaselineStore({
      octokit: makeOctokit,
      token: 'ghs_secret',
      owner: overrides.owner ?? 'octo',
      repo: overrides.repo ?? 'app',
      workflow: 'ci.yml',
      commentKey: 'default',
      warn: (message) => warnings.push(message)
    });
    return { baselines, warnings, makeOctokit };
  }

  function found(json: string): StoredLookup {
    return { kind: 'found', json, run: { id: 4242, headSha: SHA, event: 'push', htmlUrl: 'https://github.com/octo/app/actions/runs/4242' } };
  }

  const stored = (): StoredBaseline => newBaseline(branchReport(), RUN);

  test('finds the artifact of the comment key for the commit, and returns the validated baseline with its run', async () => {
    findBaseline.mockResolvedValue(found(JSON.stringify(stored())));
    const { baselines, warnings } = store();

    await expect(baselines.find(SHA)).resolves.toEqual({
      kind: 'found',
      baseline: stored(),
      run: { id: 4242, url: 'https://github.com/octo/app/actions/runs/4242' }
    });
    expect(findBaseline).toHaveBeenCalledWith({
      octokit,
      token: 'ghs_secret',
      owner: 'octo',
      repo: 'app',
      workflow: 'ci.yml',
      sha: SHA,
      name: 'footprint-report-default'
    });
    expect(warnings).toEqual([]);
  });

  test('makes the GitHub client on the first lookup only, and once', async () => {
    findBaseline.mockResolvedValue({ kind: 'missing', reason: 'no run' });
    const { baselines, makeOctokit } = store();
    expect(makeOctokit).not.toHaveBeenCalled();
    await baselines.find(SHA);
    await baselines.find(SHA);
    expect(makeOctokit).toHaveBeenCalledTimes(1);
  });

  test("matches the repository's name whatever its case", async () => {
    findBaseline.mockResolvedValue(found(JSON.stringify(stored())));
    const { baselines } = store({ owner: 'Octo', repo: 'App' });
    await expect(baselines.find(SHA)).resolves.toMatchObject({ kind: 'found' });
  });

  test('a refusal is a warning with the permission the workflow needs, and is passed on', async () => {
    const reason = 'The token may not read the GitHub Actions runs and artifacts of octo/app (HTTP 403: Resource not accessible by integration)';
    findBaseline.mockResolvedValue({ kind: 'refused', reason });
    const { baselines, warnings } = store();

    await expect(baselines.find(SHA)).resolves.toEqual({ kind: 'refused', reason });
    expect(warnings).toEqual([
      'The stored report of the base commit could not be looked up: The token may not read the GitHub Actions runs and artifacts of octo/app ' +
        `(HTTP 403: Resource not accessible by integration); ${ACTIONS_READ_HINT}.`
    ]);
    expect(ACTIONS_READ_HINT).toContain('actions: read');
  });

  test('nothing stored is no warning: the run just builds its base side', async () => {
    findBaseline.mockResolvedValue({ kind: 'missing', reason: `No successful run of workflow ci.yml in octo/app for commit ${SHA}.` });
    const { baselines, warnings } = store();
    await expect(baselines.find(SHA)).resolves.toEqual({
      kind: 'missing',
      reason: `No successful run of workflow ci.yml in octo/app for commit ${SHA}.`
    });
    expect(warnings).toEqual([]);
  });

  test.each([
    ['not JSON', 'PK\u0003\u0004 not a report', 'it is not JSON'],
    [
      'of another commit',
      JSON.stringify(newBaseline(branchReport(), { ...RUN, sha: 'f'.repeat(40) })),
      'it is the report of fffffff, not of c0ffee1'
    ],
    ['of another repository', JSON.stringify(newBaseline(branchReport(), { ...RUN, repository: 'evil/app' })), 'another repository'],
    ['of a pull request run', JSON.stringify({ ...stored(), event: 'pull_request' }), '/event']
  ])('a stored report %s is ignored with a warning naming the run and why', async (_, json, why) => {
    findBaseline.mockResolvedValue(found(json));
    const { baselines, warnings } = store();

    const lookup = await baselines.find(SHA);
    expect(lookup.kind).toBe('missing');
    const reason = (lookup as { reason: string }).reason;
    expect(reason).toMatch(/^its stored report \(workflow run 4242\) is ignored: /);
    expect(reason).toContain(why);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^The base commit's stored report \(workflow run 4242\) is ignored, so the base side is built instead: /);
    expect(warnings[0]).toContain(why);
  });
});
