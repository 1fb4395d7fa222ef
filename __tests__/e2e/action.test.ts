/**
 * End to end: the bundled dist/index.js run as the GitHub runner runs it, in a real git
 * checkout (shallow clone of a local bare origin), building real images on the real engine,
 * talking to a stand-in for GitHub's REST API that checks every request against GitHub's
 * OpenAPI description.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRepoPair, type RepoPair } from '../support/git-fixture.js';
import { TEST_BASE, imageExists, makeBuildDir } from '../support/engine.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';
import { pushTestImages, removeLocalTags, type PushedImages } from '../support/token-registry.js';
import { fetchManifest } from '../support/manifest.js';
import { pullRequestPayload, pushPayload, runAction, type ActionRun } from '../support/run-action.js';
import type { Report } from '../../src/model/report.js';

const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const PR_NUMBER = 2; // the number in GitHub's example pull_request payload
const TOKEN = 'ghs_e2eSecretToken0123456789';
const EVIL_NAME = '**evil** <img src=x onerror=alert(1)> @octocat';
const PLANTED = '<!-- footprint:default -->\nAll images within budget, merge away.';

/** A Dockerfile on the local base that adds `megabytes` MB of incompressible bytes. */
function dockerfile(megabytes: number, extra = ''): string {
  return `FROM ${TEST_BASE}\nRUN head -c ${megabytes * 1_000_000} /dev/urandom > /payload.bin\n${extra}`;
}

/** A RUN that installs a small npm package the way npm lays it out: its package.json and a file. */
const NPM_PACKAGE =
  'RUN mkdir -p /app/node_modules/left-pad && echo \'{"name":"left-pad","version":"1.3.0"}\' > /app/node_modules/left-pad/package.json' +
  ' && head -c 20000 /dev/zero > /app/node_modules/left-pad/index.js\n';

async function imageBytes(ref: string): Promise<number> {
  const { stdout } = await execa('docker', ['image', 'inspect', '--format', '{{.Size}}', ref]);
  return Number(stdout.trim());
}

function reportOf(run: ActionRun): Report {
  return JSON.parse(run.outputs.report as string) as Report;
}

function byName(report: Report, name: string) {
  const image = report.images.find((i) => i.name === name);
  if (!image) throw new Error(`no image ${name} in the report: ${report.images.map((i) => i.name).join(', ')}`);
  return image;
}

describe('a pull request with growing, shrinking, new, removed, broken and oddly named images', () => {
  let repo: RepoPair;
  let github: FakeGitHub;
  let baseBytes: number;
  let first: ActionRun;
  let second: ActionRun;

  beforeAll(async () => {
    baseBytes = await imageBytes(TEST_BASE);
    // Budget for "grow": room for 4 MB on top of the base; the PR adds 6 MB.
    const growBudget = `${Math.round((baseBytes + 4_000_000) / 1000)}kB`;
    const config = [
      'budget: 1GB',
      'images:',
      '  grow:',
      '    dockerfile: svc/grow/Dockerfile',
      `    budget: ${growBudget}`,
      `  ${JSON.stringify(EVIL_NAME)}:`,
      '    dockerfile: svc/evil/Dockerfile',
      ''
    ].join('\n');
    repo = await createRepoPair({
      base: {
        '.github/footprint.yml': config,
        'svc/grow/Dockerfile': dockerfile(1),
        'svc/shrink/Dockerfile': dockerfile(6),
        'svc/evil/Dockerfile': dockerfile(1),
        'old/Dockerfile': dockerfile(1),
        'node_modules/dep/Dockerfile': 'FROM never-built\n'
      },
      head: {
        // The PR grows the payload and adds an npm package: the change record explains both.
        'svc/grow/Dockerfile': dockerfile(6, NPM_PACKAGE),
        'svc/shrink/Dockerfile': dockerfile(2),
        'old/Dockerfile': null,
        'new/Dockerfile': dockerfile(1),
        'broken/Dockerfile': `FROM ${TEST_BASE}\nRUN echo "compiler says no" && exit 3\n`
      }
    });
    github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN });
    // Someone pasted footprint's marker into a comment of their own, first on the PR: it must never be edited.
    github.seed(1, () => PLANTED, 'mallory');
    // 120 more comments already on the PR: ours lands on page 2 of the listing.
    github.seed(120, (i) => `an earlier review comment ${i}`);
    const payload = await pullRequestPayload(repo.baseSha, repo.headSha);
    const options = { workspace: repo.checkout, eventName: 'pull_request', payload, apiUrl: github.url, token: TOKEN };
    first = await runAction(options);
    second = await runAction(options);
  });

  afterAll(async () => {
    await github?.close();
    await repo?.cleanup();
  });

  test('fails the step, naming the image over budget with its size, budget and excess', () => {
    expect(first.exitCode).toBe(1);
    const error = first.stdout.split('\n').find((line) => line.startsWith('::error::'));
    expect(error).toBeDefined();
    expect(error).toMatch(/grow \(svc\/grow\/Dockerfile\)/);
    expect(error).toMatch(/budget/);
    expect(error).toMatch(/over by/);
    expect(error).toMatch(/broken\/Dockerfile/);
    // No stack traces for users.
    expect(first.stdout + first.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
  });

  test('reports every image with its status against the base branch', () => {
    const report = reportOf(first);
    expect(report.base?.sha).toBe(repo.baseSha);
    expect(report.overBudget).toBe(true);
    expect(first.outputs['over-budget']).toBe('true');
    expect(report.images.map((i) => i.name).sort()).toEqual(
      ['broken/Dockerfile', 'grow', 'new/Dockerfile', 'old/Dockerfile', 'svc/shrink/Dockerfile', EVIL_NAME].sort()
    );

    const grow = byName(report, 'grow');
    expect(grow.status).toBe('over-budget');
    expect(grow.delta?.bytes).toBeGreaterThan(4_900_000);
    expect(grow.delta?.bytes).toBeLessThan(5_100_000);
    // The files in the layers; the classic store's own figure agrees to a few bytes.
    expect(Math.abs((grow.size?.bytes ?? 0) - (grow.size?.dockerBytes ?? 0))).toBeLessThan(100);

    const shrink = byName(report, 'svc/shrink/Dockerfile');
    expect(shrink.status).toBe('ok');
    expect(shrink.delta?.bytes).toBeLessThan(-3_900_000);
    expect(shrink.delta?.percent).toBeLessThan(0);

    expect(byName(report, 'new/Dockerfile')).toMatchObject({ status: 'new', comparison: 'new', base: null });
    expect(byName(report, 'old/Dockerfile')).toMatchObject({ status: 'removed', comparison: 'removed', size: null });

    const broken = byName(report, 'broken/Dockerfile');
    expect(broken.status).toBe('failed');
    expect(broken.error?.logTail).toContain('compiler says no');

    expect(byName(report, EVIL_NAME).status).toBe('unchanged');
  });

  test('posts its own comment next to a planted one, finds it again on page 2 and rewrites it only when it changed', () => {
    expect(github.comments.filter((c) => c.user.login === 'github-actions[bot]')).toHaveLength(1);
    expect(github.comments).toHaveLength(122);
    expect(github.comments[0]).toEqual({ id: expect.any(Number), body: PLANTED, user: { login: 'mallory' } });
    expect(github.requests.filter((r) => r.path.includes(`/issues/comments/${github.comments[0]!.id}`))).toEqual([]);
    const writes = github.requests.filter((r) => r.method !== 'GET').map((r) => r.method);
    const same = first.outputs['comment-body'] === second.outputs['comment-body'];
    expect(writes).toEqual(same ? ['POST'] : ['POST', 'PATCH']);
    if (same) expect(second.stdout).toMatch(/already shows this report/);
    // GITHUB_TOKEN may not ask GET /user (403): footprint falls back to github-actions[bot].
    expect(github.requests.filter((r) => r.path === '/user')).toHaveLength(2);
    // Both runs walked past page 1 to find (or not find) the marker.
    expect(github.requests.some((r) => r.method === 'GET' && /[?&]page=2/.test(r.path))).toBe(true);
    expect(github.errors).toEqual([]);
    expect(second.outputs['comment-url']).toMatch(/^https:\/\//);
    expect(second.outputs['comment-url']).toBe(first.outputs['comment-url']);
  });

  test('the comment leads with the failing rows, escapes repository strings and shows the build log', () => {
    const body = github.comments.find((c) => c.user.login === 'github-actions[bot]')?.body as string;
    expect(body).toBe(second.outputs['comment-body']);
    const rows = body.split('\n').filter((line) => line.startsWith('|'));
    const firstDataRow = rows.find((line) => /grow|broken/.test(line)) as string;
    expect(rows.indexOf(firstDataRow)).toBeLessThan(rows.findIndex((line) => line.includes('shrink')));
    expect(body).not.toContain('<img');
    expect(body).not.toContain('**evil**');
    expect(body).not.toMatch(/(^|[^\w&;])@octocat/);
    expect(body).toContain('compiler says no');
    expect(body).toMatch(/-\d+(\.\d+)? MB/); // the shrinking image's negative change
    expect(body.length).toBeLessThan(65_536);
  });

  test('explains what grew: the why line in the row, the views in the block, the change record in the report', () => {
    const grow = byName(reportOf(first), 'grow');
    const change = grow.change!;
    expect(change.deltaBytes).toBe(grow.delta!.bytes);
    for (const view of [change.lines, change.paths!]) expect(view.reduce((sum, row) => sum + row.deltaBytes, 0)).toBe(change.deltaBytes);
    const payload = change.lines.find((row) => row.line === 2)!;
    expect(payload).toMatchObject({ baseLine: 2, headBytes: 6_000_000, baseBytes: 1_000_000, deltaBytes: 5_000_000 });
    expect(payload.baseInstruction).toContain('head -c 1000000');
    expect(change.lines.find((row) => row.line === 3)).toMatchObject({ baseBytes: null, baseLine: null });
    expect(change.paths![0]).toMatchObject({ kind: 'grew', path: '/payload.bin', deltaBytes: 5_000_000 });
    const packageJson = Buffer.byteLength('{"name":"left-pad","version":"1.3.0"}\n');
    expect(change.packages).toEqual([
      {
        manager: 'npm',
        name: 'left-pad',
        kind: 'added',
        before: null,
        after: '1.3.0',
        baseBytes: 0,
        headBytes: 20_000 + packageJson,
        deltaBytes: 20_000 + packageJson
      }
    ]);
    expect(grow.inventory?.packages).toEqual([
      { manager: 'npm', name: 'left-pad', version: '1.3.0', bytes: 20_000 + packageJson, files: 2, location: '/app/node_modules/left-pad' }
    ]);

    const body = github.comments.find((c) => c.user.login === 'github-actions[bot]')?.body as string;
    const row = body.split('\n').find((line) => line.startsWith('| grow'))!;
    expect(row).toContain('+5.0 MB (+');
    expect(row).toContain('<br><sub>RUN head -c ');
    expect(row).toContain('/payload.bin \\(line 2\\) +5.0 MB: left-pad 1.3.0 \\(new\\)</sub>');
    expect(body).toContain('<details><summary>🔎 grow — what it runs, what changed and layers</summary>');
    expect(body).toContain('By Dockerfile line');
    expect(body).toMatch(/\| `\/payload\.bin` \| \*\*\+5\.0 MB\*\* \| grew \|/);
    expect(body).toContain('- `+ left-pad 1.3.0 (npm)` +20.0 kB');
    // The job summary has the same views; the report file has the whole report.
    expect(first.summary).toContain('By path, in the final filesystem');
    expect(first.outputs['report-file']).toMatch(/footprint-report-default\.json$/);
    expect(JSON.parse(first.reportFile!)).toEqual(reportOf(first));
  });

  test('writes the same report to the job summary and annotates the Dockerfile over budget', () => {
    expect(first.summary).toContain('svc/shrink/Dockerfile');
    expect(first.summary).toContain('over budget');
    expect(first.stdout).toMatch(/::error [^\n]*file=svc\/grow\/Dockerfile[^\n]*::grow is/);
  });

  test('sends the token with every API request, and removes its images and worktree', async () => {
    const { stdout: tags } = await execa('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    // This run's tags (GITHUB_RUN_ID 4242, attempt 1) are all gone again.
    expect(tags).not.toMatch(/^footprint-local\/.*:4242-1-/m);
    const { stdout: worktrees } = await execa('git', ['worktree', 'list', '--porcelain'], { cwd: repo.checkout });
    expect(worktrees.match(/^worktree /gm)).toHaveLength(1);
    for (const request of github.requests) expect(request.headers.authorization).toMatch(new RegExp(TOKEN));
  });
});

describe('the token', () => {
  // Each RUN prints its environment between two markers into the build log, which the action
  // shows in its own output; the nonce keeps the steps out of the build cache, so they run.
  const nonce = `${process.pid}-${Date.now()}`;
  const envDockerfile = (side: string) =>
    `FROM ${TEST_BASE}\nRUN printf 'env-begin-%s\\n' ${nonce}-${side} && env && printf 'env-end-%s\\n' ${nonce}-${side}\n`;
  let repo: RepoPair;
  let github: FakeGitHub;
  let standIns: string;
  let calls: Array<{ command: string; text: string }>;
  let run: ActionRun;

  beforeAll(async () => {
    // `git` and `docker` stand-ins first on the action's PATH: each call writes its arguments
    // and its environment to a file of its own, then runs the real command in its place.
    standIns = await mkdtemp(join(tmpdir(), 'footprint-stand-ins-'));
    const log = join(standIns, 'calls');
    await mkdir(log);
    for (const command of ['git', 'docker']) {
      const real = (await execa('sh', ['-c', `command -v ${command}`])).stdout.trim();
      const script = [
        '#!/bin/sh',
        `call="$(mktemp '${log}/${command}.XXXXXX')"`,
        `{ printf '%s\\n' "$@"; echo '--- environment'; env; } > "$call"`,
        `exec '${real}' "$@"`,
        ''
      ].join('\n');
      await writeFile(join(standIns, command), script);
      await chmod(join(standIns, command), 0o755);
    }

    repo = await createRepoPair({ base: { Dockerfile: envDockerfile('base') }, head: { Dockerfile: envDockerfile('head') } });
    github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN });
    run = await runAction({
      workspace: repo.checkout,
      eventName: 'pull_request',
      payload: await pullRequestPayload(repo.baseSha, repo.headSha),
      apiUrl: github.url,
      token: TOKEN,
      inputs: { budget: '500MB' },
      // Where workflows often put it too, and the runner's own token.
      env: { PATH: `${standIns}:${process.env.PATH ?? ''}`, GITHUB_TOKEN: TOKEN, ACTIONS_RUNTIME_TOKEN: TOKEN }
    });
    calls = await Promise.all(
      (await readdir(log)).map(async (name) => ({ command: name.split('.')[0] as string, text: await readFile(join(log, name), 'utf8') }))
    );
  });

  afterAll(async () => {
    await github?.close();
    await repo?.cleanup();
    if (standIns) await rm(standIns, { recursive: true, force: true });
  });

  test('never passes the token to builds or git', () => {
    if (run.exitCode !== 0) console.log(run.stdout, run.stderr);
    expect(run.exitCode).toBe(0);
    // The token did its job: the comment was posted with it.
    expect(github.comments).toHaveLength(1);
    for (const request of github.requests) expect(String(request.headers.authorization)).toContain(TOKEN);

    // git checked out the base branch and docker built both sides, all through the stand-ins,
    // and not one of those calls had the token in its arguments or its environment.
    const gitCalls = calls.filter((call) => call.command === 'git');
    const dockerCalls = calls.filter((call) => call.command === 'docker');
    expect(gitCalls.some((call) => call.text.startsWith('worktree\nadd\n'))).toBe(true);
    expect(dockerCalls.filter((call) => /^(buildx\n)?build\n/.test(call.text))).toHaveLength(2);
    for (const call of calls) {
      expect(call.text).toContain('--- environment\n');
      expect(call.text).toMatch(/^PATH=/m);
      expect(call.text).not.toContain(TOKEN);
    }

    // Inside the builds: both RUN steps printed their environment, without the token.
    for (const side of ['base', 'head']) {
      const begin = run.stdout.indexOf(`env-begin-${nonce}-${side}`);
      const end = run.stdout.indexOf(`env-end-${nonce}-${side}`);
      expect(begin).toBeGreaterThanOrEqual(0);
      expect(end).toBeGreaterThan(begin);
      expect(run.stdout.slice(begin, end)).toMatch(/PATH=\/usr\/local\/sbin/);
    }

    // Nor anywhere else the action writes (an `::add-mask::` command, should it ever send one, is
    // how the runner learns to hide the token, so it does not count).
    const stdout = run.stdout.replace(/^::add-mask::.*$/gm, '');
    const everything = [stdout, run.stderr, run.summary, ...Object.values(run.outputs), ...github.comments.map((comment) => comment.body)];
    for (const text of everything) expect(text).not.toContain(TOKEN);
  });
});

describe('a fork PR whose token cannot write', () => {
  let repo: RepoPair;
  let github: FakeGitHub;
  let run: ActionRun;

  beforeAll(async () => {
    repo = await createRepoPair({ base: { Dockerfile: dockerfile(1) }, head: { Dockerfile: dockerfile(2) } });
    github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN });
    github.forbidWrites(true);
    run = await runAction({
      workspace: repo.checkout,
      eventName: 'pull_request',
      payload: await pullRequestPayload(repo.baseSha, repo.headSha),
      apiUrl: github.url,
      token: TOKEN,
      inputs: { budget: '500MB' }
    });
  });

  afterAll(async () => {
    await github?.close();
    await repo?.cleanup();
  });

  test('passes with a warning, and still writes the summary and the comment-body output', () => {
    if (run.exitCode !== 0) console.log(run.stdout, run.stderr);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/::warning::.*(fork|read-only|not accessible)/i);
    expect(github.comments).toHaveLength(0);
    expect(run.outputs['comment-body']).toContain('<!-- footprint:default -->');
    expect(run.summary).toContain('Dockerfile');
    expect(run.outputs['over-budget']).toBe('false');
    expect(reportOf(run).images[0]?.delta?.bytes).toBeGreaterThan(900_000);
  });

  test('with no token at all, skips the comment with a warning and still passes', async () => {
    const tokenless = await runAction({
      workspace: repo.checkout,
      eventName: 'pull_request',
      payload: await pullRequestPayload(repo.baseSha, repo.headSha),
      apiUrl: github.url,
      token: '',
      inputs: { budget: '500MB', 'base-ref': '' }
    });
    expect(tokenless.exitCode).toBe(0);
    expect(tokenless.stdout).toMatch(/::warning::No github-token/);
    expect(reportOf(tokenless).images[0]?.comparison).toBe('not-compared');
    expect(tokenless.summary).toContain('Dockerfile');
  });
});

describe('inputs and config the action cannot use', () => {
  let repo: RepoPair;

  beforeAll(async () => {
    repo = await createRepoPair({
      base: { Dockerfile: dockerfile(1) },
      head: { '.github/footprint.yml': 'images:\n  api:\n    dockerfile: Dockerfile\n    budget: [1, 2]\n' }
    });
  });

  afterAll(async () => {
    await repo?.cleanup();
  });

  test('a bad config file stops the run with the file, the key and what was expected', async () => {
    const run = await runAction({
      workspace: repo.checkout,
      eventName: 'push',
      payload: await pushPayload(repo.baseSha, repo.headSha)
    });
    expect(run.exitCode).toBe(1);
    const error = run.stdout.split('\n').find((line) => line.startsWith('::error::')) as string;
    expect(error).toContain('.github/footprint.yml');
    expect(error).toContain('images.api.budget');
    expect(run.stdout + run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  test('a bad input names the input and what was expected', async () => {
    const run = await runAction({
      workspace: repo.checkout,
      eventName: 'push',
      payload: await pushPayload(repo.baseSha, repo.headSha),
      inputs: { config: '', budget: 'huge' }
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/::error::.*budget.*huge/);
  });
});

describe('no reachable engine', () => {
  let repo: RepoPair;

  beforeAll(async () => {
    repo = await createRepoPair({
      base: { Dockerfile: dockerfile(1) },
      head: { 'svc/Dockerfile': dockerfile(1), 'svc/Dockerfile.tools': dockerfile(1) }
    });
  });

  afterAll(async () => {
    await repo?.cleanup();
  });

  test('fails the step once, naming DOCKER_HOST, even with fail-on: never; no image is reported as failed', async () => {
    const run = await runAction({
      workspace: repo.checkout,
      eventName: 'push',
      payload: await pushPayload(repo.baseSha, repo.headSha),
      inputs: { 'fail-on': 'never' },
      env: { DOCKER_HOST: 'unix:///tmp/footprint-nothing.sock' }
    });
    expect(run.exitCode).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error::No Docker engine is reachable \(DOCKER_HOST is unix:\/\/\/tmp\/footprint-nothing\.sock\): .*Cannot connect/);
    expect(run.stdout).not.toMatch(/failed to build|failed: /);
  });
});

describe('a push event', () => {
  let repo: RepoPair;

  beforeAll(async () => {
    repo = await createRepoPair({ base: { 'app/Dockerfile': dockerfile(1) }, head: { 'app/Dockerfile': dockerfile(3) } });
  });

  afterAll(async () => {
    await repo?.cleanup();
  });

  test('compares with the previous commit and writes the job summary without commenting', async () => {
    const run = await runAction({
      workspace: repo.checkout,
      eventName: 'push',
      payload: await pushPayload(repo.baseSha, repo.headSha),
      inputs: { 'max-increase': '10%, 1MB' }
    });
    if (!run.outputs.report) console.log(run.stdout, run.stderr);
    const report = reportOf(run);
    expect(report.images[0]).toMatchObject({ name: 'app/Dockerfile', status: 'over-increase' });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/::error::.*app\/Dockerfile.*grew/s);
    expect(run.summary).toContain('app/Dockerfile');
    expect(run.outputs['comment-url']).toBe('');
  });
});

describe('images an earlier step built', () => {
  const PREBUILT = 'footprint-e2e/prebuilt:1';
  let repo: RepoPair;
  let context: string;

  beforeAll(async () => {
    repo = await createRepoPair({ base: { 'app/Dockerfile': dockerfile(1) }, head: { 'app/Dockerfile': dockerfile(2) } });
    context = await makeBuildDir({ Dockerfile: dockerfile(4) });
    await execa('docker', ['build', '-q', '-t', PREBUILT, context]);
  });

  afterAll(async () => {
    await execa('docker', ['image', 'rm', PREBUILT], { reject: false });
    await rm(context, { recursive: true, force: true });
    await repo?.cleanup();
  });

  test('are measured as given, compared with the base built from the Dockerfile of that name, and kept', async () => {
    const run = await runAction({
      workspace: repo.checkout,
      eventName: 'push',
      payload: await pushPayload(repo.baseSha, repo.headSha),
      inputs: { images: `app/Dockerfile=${PREBUILT}\nsidecar=${PREBUILT}` }
    });
    expect(run.exitCode).toBe(0);
    const report = reportOf(run);
    const app = byName(report, 'app/Dockerfile');
    expect(app).toMatchObject({ image: PREBUILT, dockerfile: 'app/Dockerfile', comparison: 'changed' });
    expect(app.size?.bytes).toBe(await imageBytes(PREBUILT));
    expect(app.delta?.bytes).toBeGreaterThan(2_900_000); // 4 MB given vs 1 MB on the base branch
    expect(byName(report, 'sidecar')).toMatchObject({ image: PREBUILT, dockerfile: null, comparison: 'not-compared', status: 'ok' });
    const prGroup = /::group::PR \d\/\d: app\/Dockerfile\n([\s\S]*?)::endgroup::/.exec(run.stdout)?.[1];
    expect(prGroup).toBeDefined();
    expect(prGroup).not.toMatch(/Step \d/); // inspected, not built, on the PR side
    expect(await imageExists(PREBUILT)).toBe(true);
  });
});

describe('layer anatomy in the report, the comment and the gate', () => {
  let repo: RepoPair;
  let run: ActionRun;

  beforeAll(async () => {
    repo = await createRepoPair({
      base: {},
      head: {
        // Line 2 writes 20 MB, line 3 deletes it: the bytes still ship in line 2's layer.
        'waste/Dockerfile': `FROM ${TEST_BASE}\nRUN head -c 20000000 /dev/urandom > /big.bin\nRUN rm /big.bin\n`,
        // The same in one RUN wastes nothing.
        'tidy/Dockerfile': `FROM ${TEST_BASE}\nRUN head -c 20000000 /dev/urandom > /big.bin && rm /big.bin\n`,
        // A package cache left behind at line 2.
        'cache/Dockerfile': `FROM ${TEST_BASE}\nRUN mkdir -p /var/cache/apk && head -c 3000000 /dev/urandom > /var/cache/apk/APKINDEX.tar.gz\n`,
        '.github/footprint.yml': 'max-wasted: 10MB\n'
      }
    });
    run = await runAction({
      workspace: repo.checkout,
      eventName: 'push',
      payload: await pushPayload(repo.baseSha, repo.headSha),
      inputs: { 'base-ref': '' }
    });
  });

  afterAll(async () => {
    await repo?.cleanup();
  });

  test('wasted bytes are blamed on the line that added them and the line that removed them, and gate the job', () => {
    const waste = byName(reportOf(run), 'waste/Dockerfile');
    expect(waste.status).toBe('over-budget');
    expect(waste.wasted?.bytes).toBeGreaterThanOrEqual(20_000_000);
    expect(waste.wasted?.bytes).toBeLessThan(20_100_000);
    expect(waste.wasted?.paths[0]).toMatchObject({ path: '/big.bin', bytes: 20_000_000, addedAtLine: 2, removedAtLine: 3, inBase: false });
    expect(waste.reasons.join('\n')).toMatch(/wastes 20\.0 MB .* more than the allowed 10MB/);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/::error::.*waste\/Dockerfile.*wastes 20\.0 MB/s);
    expect(run.stdout).toMatch(/::warning [^\n]*file=waste\/Dockerfile,line=2[^\n]*::/);
  });

  test('one RUN that creates and deletes wastes nothing; layers carry their lines, instructions and sizes', async () => {
    const tidy = byName(reportOf(run), 'tidy/Dockerfile');
    expect(tidy.status).toBe('ok');
    expect(tidy.wasted?.bytes).toBe(0);
    // The RUN left no changes, so it made no layer at all: only the base's layers are there.
    expect(tidy.layers?.map((layer) => layer.fromBase)).toEqual([true]);
    const cache = byName(reportOf(run), 'cache/Dockerfile');
    expect(cache.layers?.map((layer) => [layer.fromBase, layer.line])).toEqual([
      [true, null],
      [false, 2]
    ]);
    expect(cache.layers?.[1]?.instruction).toMatch(/^RUN mkdir -p \/var\/cache\/apk/);
    // Uncompressed bytes: the files in the layers, which the classic store's own figure matches.
    expect(Math.abs((tidy.size?.bytes ?? 0) - (tidy.size?.dockerBytes ?? 0))).toBeLessThan(100);
    expect(tidy.size?.compressedBytes).toBeGreaterThan(0);
    expect(tidy.size?.compressedBytes).toBeLessThan(tidy.size?.bytes ?? 0);
  });

  test('a leftover package cache is reported with the line that left it, in the comment too', () => {
    const cache = byName(reportOf(run), 'cache/Dockerfile');
    expect(cache.caches?.[0]).toMatchObject({ kind: 'apk', path: '/var/cache/apk', line: 2 });
    expect(cache.caches?.[0]?.bytes).toBeGreaterThanOrEqual(3_000_000);
    const body = run.outputs['comment-body'] as string;
    expect(body).toContain('/var/cache/apk');
    expect(body).toContain('/big.bin');
    expect(reportOf(run).totals.wastedBytes).toBeGreaterThanOrEqual(20_000_000);
  });
});

describe('an image given as an OCI archive, with no Docker daemon at all', () => {
  const SOURCE = 'footprint-e2e/oci-source:1';
  let repo: RepoPair;
  let context: string;
  let archive: string;

  beforeAll(async () => {
    repo = await createRepoPair({ base: {}, head: { 'README.md': 'no Dockerfiles here\n' } });
    context = await makeBuildDir({ Dockerfile: `${dockerfile(2)}RUN rm /payload.bin\n` });
    await execa('docker', ['build', '-q', '-t', SOURCE, context]);
    archive = `${context}/image.oci.tar`;
    await execa('skopeo', ['copy', '--quiet', `docker-daemon:${SOURCE}`, `oci-archive:${archive}`]);
    await execa('docker', ['image', 'rm', SOURCE]);
  });

  afterAll(async () => {
    await rm(context, { recursive: true, force: true });
    await repo?.cleanup();
  });

  test('is measured from the file: size, compressed size and waste', async () => {
    const run = await runAction({
      workspace: repo.checkout,
      eventName: 'push',
      payload: await pushPayload(repo.baseSha, repo.headSha),
      inputs: { 'base-ref': '', images: `app=oci-archive:${archive}` },
      // Point docker at nothing: the archive must be read without a daemon.
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }
    });
    const app = byName(reportOf(run), 'app');
    expect(app.status).toBe('ok');
    expect(app.size?.dockerBytes).toBeNull();
    expect(app.size?.bytes).toBeGreaterThan(1_000_000);
    expect(app.size?.compressedBytes).toBeGreaterThan(0);
    expect(app.wasted?.bytes).toBeGreaterThanOrEqual(2_000_000);
    expect(app.layers?.length).toBeGreaterThanOrEqual(3);
    expect(run.exitCode).toBe(0);
  });
});

describe('advice with numbers: a smaller base measured in the registry, a cache measured in the image', () => {
  let registry: LocalRegistry;
  let pushed: PushedImages;
  let repo: RepoPair;
  let github: FakeGitHub;
  let run: ActionRun;

  beforeAll(async () => {
    registry = await startRegistry();
    pushed = await pushTestImages(registry.address);
    repo = await createRepoPair({
      base: {},
      head: {
        'api/Dockerfile': [
          `FROM ${pushed.large}`,
          'COPY app.py /app/app.py',
          'RUN mkdir -p /root/.cache/pip && head -c 3000000 /dev/urandom > /root/.cache/pip/flask.whl && (pip install flask || true)',
          ''
        ].join('\n'),
        'api/app.py': 'print("ok")\n',
        'api/.dockerignore': '.git\n'
      }
    });
    github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN });
    run = await runAction({
      workspace: repo.checkout,
      eventName: 'pull_request',
      payload: await pullRequestPayload(repo.baseSha, repo.headSha),
      apiUrl: github.url,
      token: TOKEN,
      inputs: { 'base-ref': '', platform: 'linux/amd64' }
    });
  });

  afterAll(async () => {
    await github?.close();
    await repo?.cleanup();
    await removeLocalTags(pushed?.localTags ?? []);
    await registry?.stop();
  });

  const layerSum = async (tag: string) =>
    (await fetchManifest(registry.address, 'library/python', tag)).layers.reduce((sum, layer) => sum + layer.size, 0);

  test('the report holds the findings, largest measured saving first, savings equal to the registry to the byte', async () => {
    const api = byName(reportOf(run), 'api/Dockerfile');
    const rules = api.findings.map((finding) => finding.rule);
    expect(rules.slice(0, 2)).toEqual(['base-alpine', 'base-slim']);
    const large = await layerSum('3.12');
    expect(api.findings[0]).toMatchObject({
      line: 1,
      measured: true,
      savingsMetric: 'compressed',
      savingsBytes: large - (await layerSum('3.12-alpine'))
    });
    expect(api.findings[1]?.savingsBytes).toBe(large - (await layerSum('3.12-slim')));
    const pip = api.findings.find((finding) => finding.rule === 'pip-no-cache-dir');
    expect(pip).toMatchObject({ line: 3, measured: true, savingsMetric: 'uncompressed' });
    expect(pip?.savingsBytes).toBeGreaterThanOrEqual(3_000_000);
    expect(run.exitCode).toBe(0);
  });

  test('the comment says how to shrink it, and the lines get annotations', () => {
    const body = github.comments[0]?.body ?? '';
    expect(body).toMatch(/how to shrink it/i);
    expect(body).toContain(`${registry.address}/library/python:3.12-alpine`);
    expect(body).toContain('--no-cache-dir');
    expect(run.stdout).toMatch(/::(notice|warning) [^\n]*file=api\/Dockerfile,line=1[^\n]*::/);
    expect(run.stdout).toMatch(/::warning [^\n]*file=api\/Dockerfile,line=3[^\n]*::/);
    expect(github.errors).toEqual([]);
  });
});

describe('a pull request that commits a Dockerfile symlinked out of the repository', () => {
  const SECRET = 'OUTSIDE-SECRET-e2e-5b7c';
  let repo: RepoPair;
  let github: FakeGitHub;
  let secrets: string;
  let run: ActionRun;

  beforeAll(async () => {
    secrets = await mkdtemp(join(tmpdir(), 'footprint-secrets-'));
    // Shaped like a Dockerfile, so its lines would be quoted as problems if footprint read it.
    await writeFile(join(secrets, 'passwd'), `FROM ${TEST_BASE}\nBOGUS ${SECRET}\nroot:x:0:0:${SECRET}:/root:/bin/sh\n`);
    repo = await createRepoPair({
      base: { 'app/Dockerfile': dockerfile(1) },
      head: {
        '.github/footprint.yml': 'images:\n  stolen:\n    dockerfile: evil/Dockerfile\n',
        'evil/Dockerfile': { symlink: join(secrets, 'passwd') },
        'app/Dockerfile': dockerfile(2)
      }
    });
    github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN });
    run = await runAction({
      workspace: repo.checkout,
      eventName: 'pull_request',
      payload: await pullRequestPayload(repo.baseSha, repo.headSha),
      apiUrl: github.url,
      token: TOKEN
    });
  });

  afterAll(async () => {
    await github?.close();
    await repo?.cleanup();
    await rm(secrets, { recursive: true, force: true });
  });

  test('reports that image as failed, naming the path and why; the other image is still measured', () => {
    const report = reportOf(run);
    expect(byName(report, 'stolen')).toMatchObject({
      status: 'failed',
      error: {
        message: 'Dockerfile evil/Dockerfile leads out of the repository through a symlink; footprint does not read or build anything outside it'
      }
    });
    expect(byName(report, 'app/Dockerfile')).toMatchObject({ error: null });
    expect(byName(report, 'app/Dockerfile').delta?.bytes).toBeGreaterThan(900_000);
    expect(run.exitCode).toBe(1);
    expect(run.outputs['over-budget']).toBe('true');
  });

  test('the outside file never reaches the comment, the summary, the outputs or the log', () => {
    const body = github.comments.find((c) => c.user.login === 'github-actions[bot]')?.body as string;
    expect(body).toContain('evil/Dockerfile leads out of the repository');
    for (const text of [body, run.summary, JSON.stringify(run.outputs), run.stdout, run.stderr]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(secrets);
    }
    expect(github.errors).toEqual([]);
  });
});
