/**
 * End to end: the bundled dist/index.js run as the GitHub runner runs it, in a real git
 * checkout (shallow clone of a local bare origin), building real images on the real engine,
 * talking to a stand-in for GitHub's REST API that checks every request against GitHub's
 * OpenAPI description.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { createRepoPair, type RepoPair } from '../support/git-fixture.js';
import { TEST_BASE, imageExists, makeBuildDir } from '../support/engine.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js';
import { pullRequestPayload, pushPayload, runAction, type ActionRun } from '../support/run-action.js';
import type { Report } from '../../src/report/types.js';

const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const PR_NUMBER = 2; // the number in GitHub's example pull_request payload
const TOKEN = 'ghs_e2eSecretToken0123456789';
const EVIL_NAME = '**evil** <img src=x onerror=alert(1)> @octocat';

/** A Dockerfile on the local base that adds `megabytes` MB of incompressible bytes. */
function dockerfile(megabytes: number, extra = ''): string {
  return `FROM ${TEST_BASE}\nRUN head -c ${megabytes * 1_000_000} /dev/urandom > /payload.bin\n${extra}`;
}

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
        'svc/grow/Dockerfile': dockerfile(6),
        'svc/shrink/Dockerfile': dockerfile(2),
        'old/Dockerfile': null,
        'new/Dockerfile': dockerfile(1),
        'broken/Dockerfile': `FROM ${TEST_BASE}\nRUN echo "compiler says no" && exit 3\n`
      }
    });
    github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN });
    // 120 comments already on the PR: ours lands on page 2 of the listing.
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
    expect(grow.size?.bytes).toBe(grow.size?.dockerBytes);

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

  test('posts one comment, found again on page 2 and updated in place', () => {
    expect(github.comments.filter((c) => c.body.includes('<!-- footprint:default -->'))).toHaveLength(1);
    expect(github.comments).toHaveLength(121);
    const writes = github.requests.filter((r) => r.method !== 'GET').map((r) => r.method);
    expect(writes).toEqual(['POST', 'PATCH']);
    // Both runs walked past page 1 to find (or not find) the marker.
    expect(github.requests.some((r) => r.method === 'GET' && /[?&]page=2/.test(r.path))).toBe(true);
    expect(github.errors).toEqual([]);
    expect(second.outputs['comment-url']).toMatch(/^https:\/\//);
    expect(second.outputs['comment-url']).toBe(first.outputs['comment-url']);
  });

  test('the comment leads with the failing rows, escapes repository strings and shows the build log', () => {
    const body = github.comments.find((c) => c.body.includes('<!-- footprint:default -->'))?.body as string;
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

  test('writes the same report to the job summary and annotates the Dockerfile over budget', () => {
    expect(first.summary).toContain('svc/shrink/Dockerfile');
    expect(first.summary).toContain('over budget');
    expect(first.stdout).toMatch(/::error [^\n]*file=svc\/grow\/Dockerfile[^\n]*::grow is/);
  });

  test('never passes the token to builds or git, and removes its images and worktree', async () => {
    const { stdout: tags } = await execa('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(tags).not.toMatch(/footprint-local\//);
    const { stdout: worktrees } = await execa('git', ['worktree', 'list', '--porcelain'], { cwd: repo.checkout });
    expect(worktrees.match(/^worktree /gm)).toHaveLength(1);
    for (const request of github.requests) expect(request.headers.authorization).toMatch(new RegExp(TOKEN));
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

  beforeAll(async () => {
    repo = await createRepoPair({ base: { 'app/Dockerfile': dockerfile(1) }, head: { 'app/Dockerfile': dockerfile(2) } });
    const context = await makeBuildDir({ Dockerfile: dockerfile(4) });
    await execa('docker', ['build', '-q', '-t', PREBUILT, context]);
  });

  afterAll(async () => {
    await execa('docker', ['image', 'rm', PREBUILT], { reject: false });
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
