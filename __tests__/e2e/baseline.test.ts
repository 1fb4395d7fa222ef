/**
 * End to end, the baseline without rebuilding: the bundled dist/index.js, run as the runner runs it, on a
 * repository with three images and a real history. Branch runs keep their reports as workflow artifacts
 * through the real @actions/artifact code (a stand-in of the Actions results service, with Azurite as the
 * blob store behind its signed URLs); pull requests find them through the REST stand-in (held to GitHub's
 * OpenAPI description) and build only what changed. Builds are counted on the engine's command line.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createActionsStore, type ActionsStore } from '../support/actions-store.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { TEST_BASE, TEST_FAT_BASE } from '../support/engine.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js';
import { git } from '../support/git-fixture.js';
import { startResultsService, type ResultsService } from '../support/results-service.js';
import { pullRequestPayload, pushPayload, runAction, type ActionRun } from '../support/run-action.js';
import type { ImageReport, Report } from '../../src/model/report.js';

const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const PR_NUMBER = 2; // the number in GitHub's example pull_request payload
const TOKEN = 'ghs_e2eBaselineToken0123456789';
const WORKFLOW = 'footprint.yml';
const ZERO_SHA = '0'.repeat(40);
/** The base image of image `c`: a local tag the test can move, as when a base image moves upstream. */
const MOVABLE_BASE = 'footprint-e2e/movable-base:1';

const dockerfile = (base: string) => `FROM ${base}\nCOPY . /app/\n`;
/** `bytes` of text that differs for each `seed`. */
const filler = (seed: string, bytes: number) => `${seed}\n`.repeat(Math.ceil(bytes / (seed.length + 1))).slice(0, bytes);

const FIRST: Record<string, string> = {
  'README.md': '# three images\n',
  'a/Dockerfile': dockerfile(TEST_BASE),
  'a/.dockerignore': '*.log\n',
  'a/app.txt': filler('a one', 20_000),
  'b/Dockerfile': dockerfile(TEST_BASE),
  'b/data.txt': filler('b one', 30_000),
  'c/Dockerfile': dockerfile(MOVABLE_BASE),
  'c/tool.txt': filler('c one', 10_000)
};

interface Run extends ActionRun {
  report: Report;
  /** `docker build` / `docker buildx build` calls the run made. */
  builds: string[];
}

let root: string;
let work: string;
let checkout: string;
let shim: string;
let azurite: Azurite;
let store: ActionsStore;
let results: ResultsService;
let github: FakeGitHub;
let nextRunId = 5000;

/** Commits `files` on top of `parent` (null: the current branch's tip) and pushes it as `branch`. */
async function commit(branch: string, parent: string | null, files: Record<string, string | null>, message: string): Promise<string> {
  await git(work, ['checkout', '--quiet', '--force', '-B', branch, ...(parent ? [parent] : [])]);
  for (const [path, content] of Object.entries(files)) {
    const file = join(work, path);
    if (content === null) await rm(file, { force: true });
    else {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  }
  await git(work, ['add', '--all']);
  await git(work, ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', message]);
  await git(work, ['push', '--quiet', '--force', 'origin', branch]);
  return git(work, ['rev-parse', 'HEAD']);
}

/** The workspace at `sha`, as actions/checkout leaves it (the clone has the history, as `fetch-depth: 0` gives). */
async function checkOut(sha: string): Promise<void> {
  await git(checkout, ['fetch', '--quiet', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  await git(checkout, ['checkout', '--quiet', '--force', '--detach', sha]);
  await git(checkout, ['clean', '--quiet', '-fdx']);
}

async function act(eventName: string, payload: unknown, sha: string, runId: number, inputs: Record<string, string> = {}): Promise<Run> {
  await checkOut(sha);
  const calls = join(shim, 'calls');
  await rm(calls, { recursive: true, force: true });
  await mkdir(calls);
  const run = await runAction({
    workspace: checkout,
    eventName,
    payload,
    apiUrl: github.url,
    token: TOKEN,
    repository: `${OWNER}/${REPO}`,
    inputs: { 'fail-on': 'never', ...inputs },
    env: {
      ...results.env(),
      PATH: `${shim}:${process.env.PATH ?? ''}`,
      GITHUB_SHA: sha,
      GITHUB_REF: eventName === 'pull_request' ? `refs/pull/${PR_NUMBER}/merge` : 'refs/heads/main',
      GITHUB_RUN_ID: String(runId),
      GITHUB_WORKFLOW_REF: `${OWNER}/${REPO}/.github/workflows/${WORKFLOW}@refs/heads/main`
    }
  });
  const texts = await Promise.all((await readdir(calls)).map((name) => readFile(join(calls, name), 'utf8')));
  if (run.exitCode !== 0) console.log(run.stdout, run.stderr);
  expect(run.exitCode).toBe(0);
  return { ...run, report: JSON.parse(run.reportFile as string) as Report, builds: texts.filter((text) => /^(buildx\n)?build\n/.test(text)) };
}

/**
 * A push run on main (or, with `before` null, a manually started one, which compares with nothing) that keeps its
 * report; the test registers the run and its artifact, as GitHub does.
 */
async function push(sha: string, before: string | null): Promise<Run> {
  const runId = nextRunId++;
  const uploaded = store.artifacts.length;
  const event = before === null ? 'workflow_dispatch' : 'push';
  const payload = before === null ? { ref: 'refs/heads/main', inputs: null } : await pushPayload(before, sha);
  const run = await act(event, payload, sha, runId);
  expect(store.artifacts).toHaveLength(uploaded + 1);
  store.addRun({ id: runId, headSha: sha, event, conclusion: 'success', headRepository: `${OWNER}/${REPO}`, workflow: WORKFLOW });
  store.linkArtifact(store.artifacts.at(-1)!.id, runId);
  return run;
}

async function pullRequest(base: string, head: string, inputs: Record<string, string> = {}): Promise<Run> {
  const uploaded = store.artifacts.length;
  const run = await act('pull_request', await pullRequestPayload(base, head), head, nextRunId++, inputs);
  // A pull request's report is never kept as a baseline.
  expect(store.artifacts).toHaveLength(uploaded);
  return run;
}

function image(run: Run, name: string): ImageReport {
  const found = run.report.images.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no image ${name} in the report`);
  return found;
}

/** The comment the run wrote (the one comment is rewritten by every run). */
const comment = (run: Run) => run.outputs['comment-body'] ?? '';
const warnings = (run: Run) => run.stdout.split('\n').filter((line) => line.startsWith('::warning'));

let m1: string;
let pushM1: Run;

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'footprint-baseline-')));
  await execa('docker', ['tag', TEST_BASE, MOVABLE_BASE]);
  // A `docker` first on the action's PATH that notes each call, then runs the real one.
  shim = join(root, 'shim');
  await mkdir(shim);
  const real = (await execa('sh', ['-c', 'command -v docker'])).stdout.trim();
  await writeFile(
    join(shim, 'docker'),
    ['#!/bin/sh', `printf '%s\\n' "$@" > "$(mktemp '${shim}/calls/docker.XXXXXX')"`, `exec '${real}' "$@"`, ''].join('\n')
  );
  await chmod(join(shim, 'docker'), 0o755);

  const origin = join(root, 'origin.git');
  work = join(root, 'work');
  checkout = join(root, 'checkout');
  await git(root, ['init', '--quiet', '--bare', '--initial-branch=main', origin]);
  await git(root, ['init', '--quiet', '--initial-branch=main', work]);
  for (const [key, value] of [
    ['user.name', 'Footprint Test'],
    ['user.email', 'footprint-test@example.com'],
    ['commit.gpgsign', 'false']
  ]) {
    await git(work, ['config', key as string, value as string]);
  }
  await git(work, ['remote', 'add', 'origin', `file://${origin}`]);
  m1 = await commit('main', null, FIRST, 'three images');
  await git(root, ['clone', '--quiet', `file://${origin}`, checkout]);

  azurite = await startAzurite();
  store = createActionsStore();
  results = await startResultsService({ store, azurite });
  github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN, actions: { store, azurite } });
  pushM1 = await push(m1, ZERO_SHA);
});

afterAll(async () => {
  await github?.close();
  await results?.close();
  await azurite?.stop();
  await execa('docker', ['rmi', MOVABLE_BASE], { reject: false });
  if (root) await rm(root, { recursive: true, force: true });
});

describe('a push run on main', () => {
  test('builds every image, digests its build inputs and keeps the report as the artifact footprint-report-default', async () => {
    expect(pushM1.builds).toHaveLength(3);
    for (const name of ['a/Dockerfile', 'b/Dockerfile', 'c/Dockerfile']) {
      expect(image(pushM1, name).buildInputs?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    const artifact = store.artifacts.at(-1)!;
    expect(artifact.name).toBe('footprint-report-default');
    // The bytes went through the Azure blob API, as a zip holding the stored report.
    const zip = await azurite.readBlob(artifact.container, artifact.blob);
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(results.errors).toEqual([]);
  });
});

describe('a pull request that edits only the README and a .dockerignored file', () => {
  let run: Run;
  beforeAll(async () => {
    const head = await commit('docs', m1, { 'README.md': '# three images, documented\n', 'a/notes.log': 'ignored by a/.dockerignore\n' }, 'docs');
    run = await pullRequest(m1, head);
  });

  test('builds nothing and reports every image unchanged, not rebuilt, from the stored report', () => {
    expect(run.builds).toEqual([]);
    expect(run.report.baseline).toMatchObject({ source: 'stored', run: { id: 5000 } });
    expect(run.report.base?.sha).toBe(m1);
    for (const name of ['a/Dockerfile', 'b/Dockerfile', 'c/Dockerfile']) {
      const row = image(run, name);
      expect(row).toMatchObject({ status: 'unchanged', comparison: 'unchanged', reused: 'stored' });
      expect(row.size?.bytes).toBe(image(pushM1, name).size?.bytes);
      expect(row.buildInputs?.digest).toBe(image(pushM1, name).buildInputs?.digest);
      expect(row.reasons).toContain("not rebuilt: same build inputs as the base branch's stored report");
    }
  });

  test('says so in the comment, and every request kept to the REST and results contracts', () => {
    expect(comment(run)).toContain('not rebuilt');
    expect(github.comments.at(-1)?.body).toBe(comment(run));
    expect(comment(run)).toContain('Base side: the report workflow run 5000 stored for the base commit. 3 of 3 not rebuilt: same build inputs.');
    expect(github.errors).toEqual([]);
    expect(results.errors).toEqual([]);
  });
});

describe('a pull request that changes one of three images', () => {
  let run: Run;
  beforeAll(async () => {
    const head = await commit('grow-b', m1, { 'b/data.txt': filler('b two', 90_000) }, 'b grows');
    run = await pullRequest(m1, head);
  });

  test('builds exactly that one and compares it with the stored measurement', () => {
    expect(run.builds).toHaveLength(1);
    expect(run.builds[0]).toContain('b/Dockerfile');
    const b = image(run, 'b/Dockerfile');
    expect(b.reused).toBeNull();
    expect(b.comparison).toBe('changed');
    expect(b.base?.bytes).toBe(image(pushM1, 'b/Dockerfile').size?.bytes);
    expect(b.delta?.bytes).toBe(60_000);
    // The stored side has folder sizes, not files: the by-path view is by folder and still adds up.
    expect(b.change?.pathsFrom).toBe('folders');
    const rows = b.change?.paths ?? [];
    expect(rows.reduce((sum, row) => sum + row.deltaBytes, 0)).toBe(60_000);
    expect(image(run, 'a/Dockerfile').reused).toBe('stored');
    expect(image(run, 'c/Dockerfile').reused).toBe('stored');
  });
});

describe('a token without actions: read', () => {
  let run: Run;
  beforeAll(async () => {
    github.forbidActionsReads(true);
    try {
      const head = await commit('docs-again', m1, { 'README.md': '# three images, again\n' }, 'docs again');
      run = await pullRequest(m1, head);
    } finally {
      github.forbidActionsReads(false);
    }
  });

  test('gets a warning naming the permission, builds the base side in a worktree, each untouched image once', () => {
    expect(warnings(run).some((line) => line.includes('actions: read'))).toBe(true);
    expect(run.report.baseline.source).toBe('build');
    expect(run.report.baseline.note).toContain('no stored report');
    // Three images on the PR side, none again for the base commit: their inputs are the same.
    expect(run.builds).toHaveLength(3);
    for (const name of ['a/Dockerfile', 'b/Dockerfile', 'c/Dockerfile']) {
      expect(image(run, name)).toMatchObject({ status: 'unchanged', reused: 'same-inputs' });
      expect(image(run, name).reasons).toContain('not rebuilt: same build inputs as the base branch');
    }
    expect(comment(run)).toContain('Base side: built from the base commit in a worktree: no stored report');
  });
});

describe('a base image that moved upstream', () => {
  let run: Run;
  beforeAll(async () => {
    await execa('docker', ['tag', TEST_FAT_BASE, MOVABLE_BASE]);
    try {
      const head = await commit('docs-moved', m1, { 'README.md': '# three images, moved\n' }, 'docs, base moved');
      run = await pullRequest(m1, head);
    } finally {
      await execa('docker', ['tag', TEST_BASE, MOVABLE_BASE]);
    }
  });

  test('changes the digest of the image on it and forces its build; the others are not rebuilt', () => {
    expect(run.builds).toHaveLength(1);
    expect(run.builds[0]).toContain('c/Dockerfile');
    const c = image(run, 'c/Dockerfile');
    expect(c.reused).toBeNull();
    expect(c.buildInputs?.digest).not.toBe(image(pushM1, 'c/Dockerfile').buildInputs?.digest);
    expect(c.comparison).toBe('changed');
    expect(image(run, 'a/Dockerfile').reused).toBe('stored');
  });
});

describe('the branch moves on', () => {
  let m2: string;
  let m3: string;
  let fallback: Run;
  let pushM2: Run;
  let pushM3: Run;
  let dispatchM3: Run;
  let last: Run;
  beforeAll(async () => {
    // M2 has no stored report yet: a pull request on it falls back to the worktree.
    m2 = await commit('main', m1, { 'c/tool.txt': filler('c two', 40_000) }, 'c grows');
    const onM2 = await commit('grow-a', m2, { 'a/app.txt': filler('a two', 50_000) }, 'a grows');
    fallback = await pullRequest(m2, onM2);
    pushM2 = await push(m2, m1);
    m3 = await commit('main', m2, { 'b/data.txt': filler('b three', 70_000) }, 'b grows on main');
    pushM3 = await push(m3, m2);
    // A manual run of the same commit compares with nothing, yet keeps the history going; its report is the newest.
    dispatchM3 = await push(m3, null);
    const onM3 = await commit('grow-a-again', m3, { 'a/app.txt': filler('a three', 80_000) }, 'a grows again');
    last = await pullRequest(m3, onM3);
  });

  test('a base commit without a stored report: the worktree builds only the image the PR changed, and the footer says why', () => {
    // Three on the PR side, one (a) for the base commit.
    expect(fallback.builds).toHaveLength(4);
    expect(fallback.report.baseline).toMatchObject({
      source: 'build',
      note: `built from the base commit in a worktree: no stored report (no successful run of workflow ${WORKFLOW} in ${OWNER}/${REPO} for commit ${m2.slice(0, 7)})`
    });
    expect(image(fallback, 'a/Dockerfile')).toMatchObject({ comparison: 'changed', reused: null });
    expect(image(fallback, 'b/Dockerfile').reused).toBe('same-inputs');
    expect(image(fallback, 'c/Dockerfile').reused).toBe('same-inputs');
    expect(comment(fallback)).toContain(
      // (the commit's short SHA follows, broken up so that GitHub does not link it)
      `Base side: built from the base commit in a worktree: no stored report \\(no successful run of workflow ${WORKFLOW} in ${OWNER}/${REPO} for commit `
    );
  });

  test('each push run compares with the report its parent stored and builds only what changed', () => {
    expect(pushM2.report.baseline.source).toBe('stored');
    expect(pushM2.builds).toHaveLength(1);
    expect(pushM2.builds[0]).toContain('c/Dockerfile');
    expect(pushM3.builds).toHaveLength(1);
    expect(pushM3.builds[0]).toContain('b/Dockerfile');
  });

  test('a run that compares with nothing (workflow_dispatch) carries the history of the report its commit kept before', () => {
    expect(dispatchM3.report.baseline).toEqual({ source: 'none', note: null, run: null });
    expect(dispatchM3.builds).toHaveLength(3);
    expect(last.report.baseline.run?.id).toBe(store.runs.at(-1)!.id);
    expect(store.runs.at(-1)!.event).toBe('workflow_dispatch');
  });

  test('a three-commit history draws a chart: in the changed image block of the comment, and for every image in the summary', () => {
    expect(last.builds).toHaveLength(1);
    expect(last.report.trend?.points.map((point) => point.sha)).toEqual([m1, m2, m3]);
    const body = comment(last);
    const charts = body.match(/```mermaid\nxychart-beta[\s\S]*?```/g) ?? [];
    expect(charts).toHaveLength(1);
    expect(charts[0]).toContain(`x-axis ["${m1.slice(0, 7)}", "${m2.slice(0, 7)}", "${m3.slice(0, 7)}", "PR"]`);
    expect(charts[0]).toContain('a/Dockerfile');
    expect(last.summary.match(/xychart-beta/g)).toHaveLength(3);
  });
});
