/**
 * The action's entry point, run() of src/main.ts, from source: @actions/core is a
 * recording fake (as actions/typescript-action tests its entry), and the modules
 * that reach Docker, git, registries and GitHub are replaced with
 * jest.unstable_mockModule before src/main.ts is imported (ESM). Inputs arrive as
 * INPUT_* variables and the workspace is a temp folder with one Dockerfile.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageArchive } from '../../src/analyse/model.js';
import type { ImageSource } from '../../src/analyse/source.js';
import type { Engine } from '../../src/build/engine.js';
import type { Exec } from '../../src/exec.js';
import type { Report } from '../../src/model/report.js';
import type { RegistryClient } from '../../src/registry/client.js';
import {
  failingExec,
  fakeEngine,
  fakeReader,
  fakeRegistry,
  sizedDockerfile,
  type ExecCall,
  type FakeEngine,
  type FakeRegistry
} from '../support/fake-effects.js';

const MB = 1e6;
const MARKER = '<!-- footprint:default -->';

// ---------------------------------------------------------------------------
// The fakes the mocked modules hand out; fresh for every test.

let engine: FakeEngine;
let reader: ReturnType<typeof fakeReader>;
let registry: FakeRegistry;
let execCalls: ExecCall[];
let execImpl: Exec;

const outputs = new Map<string, unknown>();
const fakeCore = {
  getInput: jest.fn((name: string) => process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`]?.trim() ?? ''),
  setOutput: jest.fn((name: string, value: unknown) => {
    outputs.set(name, value);
  }),
  setFailed: jest.fn((_message: string | Error) => undefined),
  info: jest.fn((_message: string) => undefined),
  warning: jest.fn((_message: string | Error, _properties?: object) => undefined),
  error: jest.fn((_message: string | Error, _properties?: object) => undefined),
  notice: jest.fn((_message: string | Error, _properties?: object) => undefined),
  debug: jest.fn((_message: string) => undefined),
  setSecret: jest.fn((_secret: string) => undefined),
  startGroup: jest.fn((_name: string) => undefined),
  endGroup: jest.fn(() => undefined),
  summary: {
    addRaw: jest.fn((_text: string, _addEOL?: boolean) => fakeCore.summary),
    write: jest.fn(async () => fakeCore.summary)
  }
};

const createDockerEngine = jest.fn(async (_options: { exec: Exec }): Promise<Engine> => engine);
const createRegistryClient = jest.fn((_options?: object): RegistryClient => registry);

const createComment = jest.fn(async (_params: { owner: string; repo: string; issue_number: number; body: string }) => ({
  data: { html_url: 'https://github.com/octo/app/pull/7#issuecomment-1' }
}));
const fakeOctokit = {
  paginate: {
    // No comments on the PR yet.
    iterator: () => (async function* () {})()
  },
  rest: { issues: { listComments: jest.fn(), createComment, updateComment: jest.fn() } }
};
const createOctokit = jest.fn((_token: string, _options: object) => fakeOctokit);

// Real module contents the mocks keep (imageTag, parseImageSource, …), loaded before the mocks are registered.
const actualEngine = await import('../../src/build/engine.js');
const actualSource = await import('../../src/analyse/source.js');
const actualRegistry = await import('../../src/registry/client.js');
const actualOctokit = await import('../../src/github/octokit.js');

jest.unstable_mockModule('@actions/core', () => fakeCore);
jest.unstable_mockModule('../../src/build/engine.js', () => ({ ...actualEngine, createDockerEngine }));
const exec: Exec = (file, args, options) => execImpl(file, args, options);
jest.unstable_mockModule('../../src/exec.js', () => ({
  exec,
  execStream: () => {
    throw new Error('execStream must not run in unit tests');
  }
}));
jest.unstable_mockModule('../../src/analyse/source.js', () => ({
  ...actualSource,
  readImage: (source: ImageSource, options: { estimateCompressed: boolean }): Promise<ImageArchive> => reader.read(source, options)
}));
jest.unstable_mockModule('../../src/registry/client.js', () => ({ ...actualRegistry, createRegistryClient }));
jest.unstable_mockModule('../../src/github/octokit.js', () => ({ ...actualOctokit, createOctokit }));

const { run } = await import('../../src/main.js');

// ---------------------------------------------------------------------------
// The workspace and the environment the runner would give.

let workspace: string;
let scratch: string;
let savedEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'footprint-main-'));
  scratch = await mkdtemp(join(tmpdir(), 'footprint-main-scratch-'));
  await writeFile(join(workspace, 'Dockerfile'), sizedDockerfile(300 * MB));
  await writeFile(join(scratch, 'summary.md'), '');
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

/** Writes the event payload and points GITHUB_EVENT_* at it. */
async function setEvent(name: string, payload: object): Promise<void> {
  const path = join(scratch, `${name}.json`);
  await writeFile(path, JSON.stringify(payload));
  process.env.GITHUB_EVENT_NAME = name;
  process.env.GITHUB_EVENT_PATH = path;
}

function setInputs(inputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(inputs)) process.env[`INPUT_${name.toUpperCase()}`] = value;
}

beforeEach(async () => {
  savedEnv = { ...process.env };
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('INPUT_') || key.startsWith('GITHUB_') || key.startsWith('RUNNER_')) delete process.env[key];
  }
  Object.assign(process.env, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_STEP_SUMMARY: join(scratch, 'summary.md')
  });
  await setEvent('workflow_dispatch', {});

  jest.clearAllMocks();
  outputs.clear();
  engine = fakeEngine();
  reader = fakeReader(engine);
  registry = fakeRegistry();
  const git = failingExec();
  execCalls = git.calls;
  execImpl = git.exec;
});

afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

function failedWith(): string[] {
  return fakeCore.setFailed.mock.calls.map(([message]) => String(message));
}

function reportOutput(): Report {
  return JSON.parse(String(outputs.get('report'))) as Report;
}

// ---------------------------------------------------------------------------

describe('run(): bad inputs', () => {
  test.each([
    ['budget', 'lots', /^input budget: "lots" is not a size/],
    ['fail-on', 'sometimes', /^input fail-on: "sometimes" is not one of budget, never$/],
    ['comment-key', 'a b', /^input comment-key: "a b" is not a valid key/],
    ['build-args', 'NOVALUE', /^input build-args: "NOVALUE" is not KEY=VALUE/]
  ])('input %s: %s fails the step with a message naming the input, no stack', async (name, value, message) => {
    setInputs({ [name]: value });
    await run();

    expect(fakeCore.setFailed).toHaveBeenCalledTimes(1);
    const [failure] = failedWith();
    expect(failure).toMatch(message);
    expect(failure).not.toMatch(/\n\s+at /);
    expect(fakeCore.debug).not.toHaveBeenCalled();
    expect(createDockerEngine).not.toHaveBeenCalled();
    expect(fakeCore.setOutput).not.toHaveBeenCalled();
  });

  test('a config file that was named but does not exist fails the step', async () => {
    setInputs({ config: 'ci/footprint.yml' });
    await run();
    expect(failedWith()).toEqual(['config: ci/footprint.yml does not exist']);
    expect(createDockerEngine).not.toHaveBeenCalled();
  });

  test('an unexpected error fails the step with its message, the stack going to debug', async () => {
    createDockerEngine.mockRejectedValueOnce(new Error('the daemon exploded'));
    await run();
    expect(failedWith()).toEqual(['footprint stopped on an unexpected error: the daemon exploded']);
    expect(String(fakeCore.debug.mock.calls.at(-1)?.[0])).toContain('the daemon exploded\n    at ');
  });
});

describe('run(): the gate', () => {
  test('an image over budget fails the step, with the outputs set', async () => {
    setInputs({ budget: '250MB' });
    await run();

    const failures = failedWith();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(
      /^footprint: 1 of 1 image fails its size limits:\n- Dockerfile: 300(\.0)? MB, budget 250(\.0)? MB, over by 50(\.0)? MB$/
    );

    expect(outputs.get('over-budget')).toBe('true');
    const report = reportOutput();
    expect(report.overBudget).toBe(true);
    expect(report.images).toHaveLength(1);
    expect(report.images[0]).toMatchObject({ name: 'Dockerfile', status: 'over-budget' });
    expect(report.images[0]!.breaches).toEqual([
      { limit: 'budget', metric: 'uncompressed', measured: 300 * MB, allowed: 250 * MB, over: 50 * MB, percent: null, source: '250MB' }
    ]);
    const body = String(outputs.get('comment-body'));
    expect(body.startsWith(MARKER)).toBe(true);
    expect(body).toContain('Dockerfile');
    expect(outputs.get('comment-url')).toBe('');

    // The job summary got the same report, and the Dockerfile an error annotation.
    expect(fakeCore.summary.addRaw).toHaveBeenCalledTimes(1);
    expect(String(fakeCore.summary.addRaw.mock.calls[0]![0]).startsWith(MARKER)).toBe(true);
    expect(fakeCore.summary.write).toHaveBeenCalledTimes(1);
    expect(fakeCore.error).toHaveBeenCalledWith(expect.stringContaining('over its budget'), expect.objectContaining({ file: 'Dockerfile' }));
  });

  test('within budget: no failure, over-budget is false', async () => {
    setInputs({ budget: '400MB' });
    await run();
    expect(fakeCore.setFailed).not.toHaveBeenCalled();
    expect(outputs.get('over-budget')).toBe('false');
    expect(reportOutput().images[0]).toMatchObject({ status: 'ok', breaches: [] });
  });

  test('fail-on: never keeps the step green even when an image is over', async () => {
    setInputs({ budget: '250MB', 'fail-on': 'never' });
    await run();
    expect(fakeCore.setFailed).not.toHaveBeenCalled();
    expect(outputs.get('over-budget')).toBe('true');
    expect(reportOutput().images[0]!.status).toBe('over-budget');
  });

  test('the engine builds the workspace Dockerfile under a tag of this run, removed afterwards, with progress in a group', async () => {
    setInputs({ 'build-args': 'VERSION=1.2', platform: 'linux/arm64' });
    await run();
    expect(createDockerEngine).toHaveBeenCalledTimes(1);
    expect(engine.builds).toHaveLength(1);
    const build = engine.builds[0]!;
    expect(build).toMatchObject({
      dockerfile: join(workspace, 'Dockerfile'),
      context: workspace,
      buildArgs: { VERSION: '1.2' },
      platform: 'linux/arm64',
      target: null
    });
    expect(build.tag).toMatch(/:4242-1-head$/);
    expect(engine.removed).toEqual([[build.tag]]);
    // The image was read through the mocked reader, never through `docker save`.
    expect(reader.calls).toEqual([
      { source: { kind: 'daemon', ref: build.tag }, options: { estimateCompressed: true, keep: expect.any(Function), probeExecutables: true } }
    ]);
    // Package databases and npm projects' manifests are kept for the inventory and the advice; nothing else.
    const keep = (reader.calls[0]!.options as unknown as { keep: (path: string) => boolean }).keep;
    expect(['var/lib/dpkg/status', 'app/package.json', 'app/node_modules/.package-lock.json', 'etc/passwd'].map(keep)).toEqual([
      true,
      true,
      true,
      false
    ]);
    expect(fakeCore.startGroup).toHaveBeenCalledWith('PR 1/1: Dockerfile');
    expect(fakeCore.endGroup).toHaveBeenCalledTimes(1);
    expect(fakeCore.info).toHaveBeenCalledWith(`#1 building ${build.tag}`);
    expect(fakeCore.info).toHaveBeenCalledWith('Building with buildx.');
    // The registry client logs to debug, never to the step's output.
    expect(createRegistryClient).toHaveBeenCalledWith({ log: fakeCore.debug });
  });
});

describe('run(): GitHub', () => {
  test('not a pull request event: no GitHub calls, the report stays in the summary and outputs', async () => {
    setInputs({ 'github-token': 'ghs_secret', budget: '250MB' });
    await run();
    expect(createOctokit).not.toHaveBeenCalled();
    expect(createComment).not.toHaveBeenCalled();
    expect(fakeCore.info).toHaveBeenCalledWith('Not a pull request event: the report is in the job summary and the outputs.');
    expect(outputs.get('comment-url')).toBe('');
    // No base to compare with: git never ran.
    expect(execCalls).toEqual([]);
  });

  const prEvent = {
    pull_request: { number: 7, head: { sha: 'abc1234def5678abc1234def5678abc1234def56' }, base: { sha: 'fedcba9876543210fedcba9876543210fedcba98' } }
  };

  test('a pull request without a token: a warning, no GitHub calls', async () => {
    await setEvent('pull_request', prEvent);
    await run();
    expect(createOctokit).not.toHaveBeenCalled();
    expect(fakeCore.warning).toHaveBeenCalledWith('No github-token: the PR comment is skipped; the report is in the job summary and the outputs.');
  });

  test('a pull request with a token: the comment is posted; a base that cannot be checked out is a warning, not a failure', async () => {
    await setEvent('pull_request', prEvent);
    setInputs({ 'github-token': 'ghs_secret', budget: '400MB' });
    await run();

    expect(fakeCore.setFailed).not.toHaveBeenCalled();
    // The base branch came from the event, and git was asked about it (and failed: the workspace is no repository).
    expect(execCalls[0]).toMatchObject({ file: 'git', options: { cwd: workspace, cleanEnv: true } });
    expect(execCalls[0]!.args.join(' ')).toContain('fedcba9876543210fedcba9876543210fedcba98');
    const report = reportOutput();
    expect(report.baseError).toMatch(/^The base branch \(fedcba9876543210fedcba9876543210fedcba98\) could not be compared: /);
    expect(fakeCore.warning).toHaveBeenCalledWith(report.baseError as string);
    expect(report.images[0]).toMatchObject({ status: 'ok', comparison: 'not-compared' });

    // One client looked for the base commit's stored report, one wrote the comment: both with the token.
    expect(createOctokit.mock.calls.map(([token]) => token)).toEqual(['ghs_secret', 'ghs_secret']);
    expect(report.baseline).toMatchObject({ source: 'build' });
    expect(report.baseline.note).toMatch(/^built from the base commit in a worktree: no stored report \(/);
    expect(createComment).toHaveBeenCalledTimes(1);
    const posted = createComment.mock.calls[0]![0];
    expect(posted).toMatchObject({ owner: 'octo', repo: 'app', issue_number: 7 });
    expect(posted.body).toBe(outputs.get('comment-body'));
    expect(posted.body.startsWith(MARKER)).toBe(true);
    expect(posted.body).toContain('Commit abc1234');
    expect(outputs.get('comment-url')).toBe('https://github.com/octo/app/pull/7#issuecomment-1');
  });

  test('comment: never posts nothing, even on a pull request with a token', async () => {
    await setEvent('pull_request', prEvent);
    setInputs({ 'github-token': 'ghs_secret', comment: 'never', 'base-ref': '' });
    await run();
    expect(createOctokit).not.toHaveBeenCalled();
    expect(execCalls).toEqual([]);
    expect(String(outputs.get('comment-body')).startsWith(MARKER)).toBe(true);
  });
});
