/**
 * A cancelled job: the runner sends SIGINT, then SIGTERM, then kills. The bundled action, stopped while it builds
 * the base branch, must stop its build, remove the base worktree, its temporary folders and its image tags, and
 * exit with the signal's code; the post step removes what a killed run left, as listed in the saved state.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRepoPair, git, type RepoPair } from '../support/git-fixture.js';
import { TEST_BASE, imageExists } from '../support/engine.js';
import { PROJECT_ROOT, pullRequestPayload, runAction, type ActionRun } from '../support/run-action.js';

const POST_ENTRY = join(PROJECT_ROOT, 'dist', 'post', 'index.js');
const CLI_ENTRY = join(PROJECT_ROOT, 'dist', 'cli', 'index.js');
/** Unique to this test run: in image tags (through GITHUB_RUN_ID), in the base build's command line. */
const TOKEN = `cancel${process.pid}x${Date.now()}`;

let repo: RepoPair;
let payload: Record<string, unknown>;

beforeAll(async () => {
  repo = await createRepoPair({
    // The base side's build takes 30 s: long enough to be cancelled in the middle of it.
    base: { 'app/Dockerfile': `FROM ${TEST_BASE}\nRUN echo ${TOKEN} && sleep 30\n` },
    head: { 'app/Dockerfile': `FROM ${TEST_BASE}\nRUN echo ${TOKEN} > /head.txt\n` }
  });
  payload = await pullRequestPayload(repo.baseSha, repo.headSha);
});

afterAll(async () => {
  await repo?.cleanup();
});

async function worktrees(): Promise<string[]> {
  const list = await git(repo.checkout, ['worktree', 'list', '--porcelain']);
  return list
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}

async function tagsOf(runId: string): Promise<string[]> {
  const { stdout } = await execa('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  return stdout.split('\n').filter((ref) => ref.includes(runId));
}

/** Processes whose command line names the token: the docker build and the RUN's shell in its container. */
async function processesOf(token: string): Promise<string[]> {
  const { stdout } = await execa('ps', ['-eo', 'pid=,args=']);
  return stdout.split('\n').filter((line) => line.includes(token) && !line.includes('ps -eo'));
}

/** Containers a build of this run left: the RUN's command names the token. */
async function containersOf(token: string): Promise<string[]> {
  const { stdout } = await execa('docker', ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}']);
  return stdout.split('\n').filter((line) => line.includes(token));
}

/** `check`'s answer once it is empty, or its last answer after 15 s. */
async function eventually(check: () => Promise<string[]>): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = await check();
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface Cancelled {
  run: ActionRun;
  /** The action's TMPDIR, made for this run alone. */
  tmp: string;
  runId: string;
  /** Worktrees of the repository while the base side was building. */
  worktreesDuring: string[];
}

/** Runs the action and sends it `signal` once the base side's `RUN ... sleep 30` is running. */
async function cancelDuringBaseBuild(signal: 'SIGINT' | 'SIGTERM'): Promise<Cancelled> {
  const tmp = await mkdtemp(join(tmpdir(), 'footprint-cancel-tmp-'));
  const runId = `${TOKEN}${signal.toLowerCase()}`;
  let worktreesDuring: string[] = [];
  const whileRunning = (child: ResultPromise): void => {
    let output = '';
    let sent = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const base = output.indexOf('Base 1/1');
      if (sent || base < 0 || !/Running in|sleep 30/.test(output.slice(base))) return;
      sent = true;
      // Give the RUN's container a moment to start, look at the worktrees, then cancel.
      setTimeout(() => {
        void worktrees()
          .then((list) => {
            worktreesDuring = list;
          })
          .finally(() => child.kill(signal));
      }, 1000);
    });
  };
  const run = await runAction({
    workspace: repo.checkout,
    eventName: 'pull_request',
    payload,
    inputs: { comment: 'never' },
    env: { TMPDIR: tmp, GITHUB_RUN_ID: runId },
    whileRunning
  });
  return { run, tmp, runId, worktreesDuring };
}

describe.each([
  ['SIGTERM', 143],
  ['SIGINT', 130]
] as const)('cancelled with %s while the base branch builds', (signal, code) => {
  let cancelled: Cancelled;

  beforeAll(async () => {
    cancelled = await cancelDuringBaseBuild(signal);
  });

  afterAll(async () => {
    await rm(cancelled?.tmp ?? '/nonexistent', { recursive: true, force: true });
  });

  test(`exits with ${code}, after saying it was cancelled`, () => {
    expect(cancelled.run.stdout).toContain(`Cancelled (${signal})`);
    expect(cancelled.run.exitCode).toBe(code);
  });

  test('the base worktree existed during the build and is gone from the repository afterwards', async () => {
    expect(cancelled.worktreesDuring).toHaveLength(2);
    expect(await worktrees()).toEqual([repo.checkout]);
    for (const path of cancelled.worktreesDuring) if (path !== repo.checkout) expect(existsSync(path)).toBe(false);
  });

  test('leaves no temporary folder, no image tag of the run, no build process and no build container', async () => {
    expect(await readdir(cancelled.tmp)).toEqual([]);
    expect(await tagsOf(cancelled.runId)).toEqual([]);
    expect(await processesOf(TOKEN)).toEqual([]);
    // The engine removes the cancelled build's container itself, a moment after the build's client is gone.
    expect(await eventually(() => containersOf(TOKEN))).toEqual([]);
  });

  test('the state it saved for the post step lists nothing left', () => {
    expect(JSON.parse(cancelled.run.state.leftovers ?? 'null')).toEqual([]);
  });
});

describe('the CLI, interrupted (Ctrl-C) while the base branch builds', () => {
  test('exits with 130 and leaves no worktree, temporary folder, image tag or build process', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'footprint-cancel-cli-'));
    try {
      const child = execa(process.execPath, [CLI_ENTRY, repo.checkout, '--base-ref', repo.baseSha, '--no-color'], {
        reject: false,
        all: true,
        env: { TMPDIR: tmp }
      });
      let during: string[] = [];
      let output = '';
      let sent = false;
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (sent || !output.includes('[base 1/1]')) return;
        sent = true;
        // The CLI prints no build log: give the base build a moment to reach its `sleep`.
        setTimeout(() => {
          void worktrees()
            .then((list) => {
              during = list;
            })
            .finally(() => child.kill('SIGINT'));
        }, 2000);
      });
      const result = await child;
      expect(result.all).toContain('Cancelled (SIGINT)');
      expect(result.exitCode).toBe(130);
      expect(during).toHaveLength(2);
      expect(await worktrees()).toEqual([repo.checkout]);
      expect(await readdir(tmp)).toEqual([]);
      expect(await tagsOf(`:cli-${child.pid}-`)).toEqual([]);
      expect(await processesOf(TOKEN)).toEqual([]);
      expect(await eventually(() => containersOf(TOKEN))).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('the post step', () => {
  const ref = `footprint-local/post-test:${TOKEN}-base`;
  const decoyRef = `footprint-decoy/post-test:${TOKEN}-base`;
  let worktree: string;
  let folder: string;
  let decoy: string;
  let state: string;

  beforeAll(async () => {
    // What a killed run leaves: a registered worktree, a temporary folder and an image tag.
    worktree = await mkdtemp(join(tmpdir(), 'footprint-base-'));
    await git(repo.checkout, ['worktree', 'add', '--detach', worktree, 'HEAD']);
    folder = await mkdtemp(join(tmpdir(), 'footprint-iid-'));
    await writeFile(join(folder, 'iid'), 'sha256:0');
    await execa('docker', ['tag', TEST_BASE, ref]);
    // Never footprint's: a forged state may not make the post step remove them.
    decoy = join(tmpdir(), `decoy-${TOKEN}`);
    await mkdir(decoy);
    await execa('docker', ['tag', TEST_BASE, decoyRef]);
    state = JSON.stringify([
      { kind: 'worktree', repo: repo.checkout, path: worktree },
      { kind: 'folder', path: folder },
      { kind: 'image', ref },
      { kind: 'folder', path: decoy },
      { kind: 'image', ref: decoyRef },
      { kind: 'image', ref: `footprint-test/busybox:${TOKEN}-base` }
    ]);
  });

  afterAll(async () => {
    await rm(decoy, { recursive: true, force: true });
    await rm(worktree, { recursive: true, force: true });
    await rm(folder, { recursive: true, force: true });
    await execa('docker', ['image', 'rm', ref, decoyRef], { reject: false });
  });

  /** Runs dist/post/index.js as the runner does: the main step's saved state comes back as STATE_ variables. */
  function runPost(leftovers: string) {
    return execa(process.execPath, [POST_ENTRY], {
      cwd: repo.checkout,
      reject: false,
      all: true,
      env: { GITHUB_ACTIONS: 'true', STATE_leftovers: leftovers }
    });
  }

  test('removes the worktree, folder and image tag a killed run left, and nothing else', async () => {
    expect(await worktrees()).toHaveLength(2);
    const result = await runPost(state);
    expect(result.exitCode).toBe(0);
    expect(await worktrees()).toEqual([repo.checkout]);
    expect(existsSync(worktree)).toBe(false);
    expect(existsSync(folder)).toBe(false);
    expect(await imageExists(ref)).toBe(false);
    expect(existsSync(decoy)).toBe(true);
    expect(await imageExists(decoyRef)).toBe(true);
  });

  test('passes quietly when everything is already gone, or nothing was saved', async () => {
    for (const leftovers of [state, '', '[]', 'not json']) {
      const result = await runPost(leftovers);
      expect(result.exitCode).toBe(0);
      expect(result.all).not.toMatch(/::(error|warning)/);
    }
    expect(existsSync(decoy)).toBe(true);
  });
});
