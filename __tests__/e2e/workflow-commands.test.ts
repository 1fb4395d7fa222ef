/**
 * End to end: a pull request whose Dockerfile prints workflow commands in its build
 * log, and whose config names an image after one, run through the bundled action.
 * The action's stdout is read the way the GitHub runner reads it (commands at the
 * start of a line, `##[` anywhere, nothing between `::stop-commands::TOKEN` and
 * `::TOKEN::`), and none of the PR's commands may take effect.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createRepoPair, type RepoPair } from '../support/git-fixture.js';
import { TEST_BASE, makeBuildDir } from '../support/engine.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js';
import { PROJECT_ROOT, pullRequestPayload, runAction, type ActionRun } from '../support/run-action.js';
import type { Report } from '../../src/model/report.js';

const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const PR_NUMBER = 2; // the number in GitHub's example pull_request payload
const TOKEN = 'ghs_workflowCommands0123456789';
const HOSTILE_NAME = '::add-mask::pwned-name';

/** Lines the PR's build prints, each a command the runner would run if it read it as one. */
const HOSTILE_LINES = [
  '::error::pwned',
  '::add-mask::secret',
  '::set-output name=over-budget::false',
  '::stop-commands::x',
  '::warning::pwned-after-stop',
  '::x::',
  '::error file=Dockerfile,line=1::pwned-annotation',
  'text ##[set-output name=comment-url;]https://evil.example',
  '::group::pwned-group',
  '::echo::on'
];

interface RunnerCommand {
  name: string;
  properties: string;
  data: string;
}

interface RunnerView {
  /** Commands the runner would run, in order. */
  commands: RunnerCommand[];
  /** Lines it would print without running, because commands were stopped. */
  ignored: string[];
  /** The token of every stop-commands block. */
  tokens: string[];
}

/**
 * The runner's reading of a step's output (actions/runner ActionCommandManager): a line
 * that starts with `::name props::data` (after leading spaces) is a command, else a line
 * holding `##[name props]data` is a legacy one; after `::stop-commands::TOKEN` no line
 * is a command until one that is exactly `::TOKEN::`.
 */
function readAsRunner(stdout: string): RunnerView {
  const view: RunnerView = { commands: [], ignored: [], tokens: [] };
  let stopToken: string | null = null;
  for (const line of stdout.split(/\r\n|\r|\n/)) {
    if (stopToken !== null) {
      if (line.trim().toLowerCase() === `::${stopToken}::`.toLowerCase()) stopToken = null;
      else view.ignored.push(line);
      continue;
    }
    const v2 = /^::([^\s:]+)(?: ([^:]*))?::(.*)$/.exec(line.trimStart());
    const legacy = v2 ? null : /##\[([^\]\s;]+)([^\]]*)\](.*)$/.exec(line);
    const match = v2 ?? legacy;
    if (!match) continue;
    const command = { name: match[1]!, properties: match[2] ?? '', data: match[3] ?? '' };
    view.commands.push(command);
    if (command.name === 'stop-commands') {
      stopToken = command.data;
      view.tokens.push(command.data);
    }
  }
  return view;
}

describe('a pull request whose build log and image name are workflow commands', () => {
  const nonce = `${process.pid}-${Date.now()}`;
  const dockerfile = [`FROM ${TEST_BASE}`, `RUN printf '%s\\n' ${HOSTILE_LINES.map((line) => `'${line}'`).join(' ')} && echo ${nonce}`, ''].join(
    '\n'
  );
  const config = ['budget: 1GB', 'images:', `  ${JSON.stringify(HOSTILE_NAME)}:`, '    dockerfile: Dockerfile', ''].join('\n');
  let repo: RepoPair;
  let github: FakeGitHub;
  let run: ActionRun;
  let view: RunnerView;

  beforeAll(async () => {
    repo = await createRepoPair({
      base: { '.github/footprint.yml': config, Dockerfile: `FROM ${TEST_BASE}\nRUN echo base ${nonce}\n` },
      head: { Dockerfile: dockerfile }
    });
    github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN });
    run = await runAction({
      workspace: repo.checkout,
      eventName: 'pull_request',
      payload: await pullRequestPayload(repo.baseSha, repo.headSha),
      apiUrl: github.url,
      token: TOKEN
    });
    view = readAsRunner(run.stdout);
  });

  afterAll(async () => {
    await github?.close();
    await repo?.cleanup();
  });

  test('the build ran and its log reached the job log, every line of it where the runner runs no command', () => {
    if (run.exitCode !== 0) console.log(run.stdout, run.stderr);
    expect(run.exitCode).toBe(0);
    for (const line of HOSTILE_LINES) {
      expect(run.stdout.split('\n')).toContain(line);
      expect(view.ignored).toContain(line);
    }
    // The image's name too, where the action reports the build's outcome.
    expect(view.ignored.some((line) => line.startsWith(`${HOSTILE_NAME}: `))).toBe(true);
  });

  test('none of them takes effect: no mask, output, annotation, echo or group of the PR’s', () => {
    const names = view.commands.map((command) => command.name);
    for (const name of ['add-mask', 'set-output', 'set-env', 'add-path', 'save-state', 'echo', 'error', 'add-matcher']) {
      expect(names).not.toContain(name);
    }
    // The build's own `::x::` never ended a block: no command the runner ran came from the build's lines.
    for (const command of view.commands) {
      expect(command.data).not.toMatch(/^pwned/);
      expect(command.properties).not.toMatch(/pwned/);
    }
    // Groups are the action's own: one per build, each closed.
    const groups = view.commands.filter((command) => command.name === 'group');
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) expect(group.data).toMatch(/^(PR|Base) \d+\/\d+: /);
    expect(names.filter((name) => name === 'endgroup')).toHaveLength(groups.length);
  });

  test('every block has a fresh token the build could not know', () => {
    expect(view.tokens.length).toBeGreaterThanOrEqual(HOSTILE_LINES.length);
    expect(new Set(view.tokens).size).toBe(view.tokens.length);
    for (const token of view.tokens) {
      expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(dockerfile + config).not.toContain(token);
    }
  });

  test('the outputs are the action’s: within budget, and the comment it posted', () => {
    expect(run.outputs['over-budget']).toBe('false');
    expect(run.outputs['comment-url']).toMatch(/^https:\/\//);
    expect(run.outputs['comment-url']).not.toContain('evil');
    expect(github.comments).toHaveLength(1);
    expect(github.errors).toEqual([]);
  });
});

describe('the CLI run as a workflow step, on a repository whose names and build failure are workflow commands', () => {
  const LEGACY_NAME = 'legacy ##[add-mask]pwned-legacy';
  const files = {
    'ok/Dockerfile': `FROM ${TEST_BASE}\nRUN echo ok\n`,
    'bad/Dockerfile': `FROM ${TEST_BASE}\nRUN echo '::error::pwned-failure' && exit 3\n`,
    '.github/footprint.yml': [
      'images:',
      `  ${JSON.stringify(HOSTILE_NAME)}:`,
      '    dockerfile: ok/Dockerfile',
      `  ${JSON.stringify(LEGACY_NAME)}:`,
      '    dockerfile: bad/Dockerfile',
      ''
    ].join('\n')
  };
  let folder: string;

  beforeAll(async () => {
    folder = await makeBuildDir(files);
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  async function cli(args: string[]) {
    const run = await execa(process.execPath, [join(PROJECT_ROOT, 'dist', 'cli', 'index.js'), folder, ...args], {
      reject: false,
      env: { NO_COLOR: '1', GITHUB_ACTIONS: 'true' }
    });
    return { exitCode: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr) };
  }

  /** Both streams as the runner reads them: each on its own, commands stopped by blocks on that stream. */
  function commandsOf(run: { stdout: string; stderr: string }): RunnerCommand[] {
    return [...readAsRunner(run.stdout).commands, ...readAsRunner(run.stderr).commands].filter((command) => command.name !== 'stop-commands');
  }

  test('the table, the progress and the failure quote the names and the reason, and none of them is a command', async () => {
    const run = await cli([]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(HOSTILE_NAME);
    expect(run.stdout).toContain(LEGACY_NAME);
    expect(run.stderr).toContain('pwned-failure');
    expect(commandsOf(run)).toEqual([]);
    expect(readAsRunner(run.stderr).ignored.some((line) => line.includes(LEGACY_NAME))).toBe(true);
  });

  test('--json stays JSON that holds the names as written, with no command in it', async () => {
    const run = await cli(['--json']);
    expect(run.exitCode).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.images.map((image) => image.name).sort()).toEqual([HOSTILE_NAME, LEGACY_NAME].sort());
    expect(run.stdout).not.toContain('##[');
    expect(commandsOf(run)).toEqual([]);
  });
});
