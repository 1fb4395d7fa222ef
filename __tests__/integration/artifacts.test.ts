import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createActionsStore, type ActionsStore, type NewRun } from '../support/actions-store.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js';
import { RESULTS_CONTAINER, startResultsService, type ResultsService } from '../support/results-service.js';

// Types only: the modules themselves are imported once GITHUB_API_URL points at the fake (see beforeAll).
import type * as ArtifactsModule from '../../src/baseline/artifacts.js';
import type * as OctokitModule from '../../src/github/octokit.js';

const OWNER = 'acme';
const REPO = 'shop';
const TOKEN = 'ghs_job_token_with_actions_read';
const WORKFLOW = 'ci.yml';
const NAME = 'footprint-report-default';
const REPORT = `${JSON.stringify({ schemaVersion: 1, images: [{ name: 'api', bytes: 123_456_789 }], note: 'Größe ✓' }, null, 2)}\n`;

let store: ActionsStore;
let azurite: Azurite;
let results: ResultsService;
let fake: FakeGitHub;
let artifacts: typeof ArtifactsModule;
let createOctokit: typeof OctokitModule.createOctokit;
let warnings: string[];
/** What the library printed (core.info, ::add-mask::) while a test ran. */
let printed: string[];
const writeStdout = process.stdout.write.bind(process.stdout);
const apiUrlBefore = process.env.GITHUB_API_URL;
let nextRunId = 9100;

/** A commit SHA of its own for each test, so that the runs the tests add do not meet. */
function commit(seed: number): string {
  return (seed.toString(16).padStart(8, '0') + 'c0ffee'.repeat(6)).slice(0, 40);
}

async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return await work();
  } finally {
    apply(saved);
  }
}

/** Uploads the report as the job of a new run would, then records that run and links the artifact to it. */
async function storeReport(
  run: Omit<NewRun, 'id' | 'workflow' | 'headRepository'> & Partial<NewRun>,
  options: { json?: string; name?: string } = {}
) {
  const uploaded = await withEnv(results.env(), () => artifacts.uploadBaseline(options.name ?? NAME, options.json ?? REPORT));
  const stored = store.addRun({ id: nextRunId++, workflow: WORKFLOW, headRepository: `${OWNER}/${REPO}`, ...run });
  store.linkArtifact(uploaded.id, stored.id);
  return { uploaded, run: stored };
}

function find(sha: string, overrides: Partial<ArtifactsModule.FindBaselineOptions> = {}) {
  const log = { info: () => {}, warning: (message: string) => warnings.push(message) };
  // No baseUrl, as in the action: GITHUB_API_URL, the same API the library's download uses.
  const octokit = createOctokit(TOKEN, { log, retries: 0 });
  return artifacts.findBaseline({ octokit, token: TOKEN, owner: OWNER, repo: REPO, workflow: WORKFLOW, sha, name: NAME, ...overrides });
}

const calls = () => fake.requests.map((request) => `${request.method} ${request.path}`);
const leftovers = () => readdirSync(tmpdir()).filter((entry) => entry.startsWith('footprint-baseline-'));

beforeAll(async () => {
  store = createActionsStore();
  azurite = await startAzurite();
  results = await startResultsService({ store, azurite });
  fake = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: 1, token: TOKEN, actions: { store, azurite } });
  // @actions/github reads GITHUB_API_URL once, when it loads, and the library downloads with its client:
  // set it first, then load the code under test (a test file has a module registry of its own).
  process.env.GITHUB_API_URL = fake.url;
  artifacts = await import('../../src/baseline/artifacts.js');
  ({ createOctokit } = await import('../../src/github/octokit.js'));
});

afterAll(async () => {
  if (apiUrlBefore === undefined) delete process.env.GITHUB_API_URL;
  else process.env.GITHUB_API_URL = apiUrlBefore;
  await fake?.close();
  await results?.close();
  await azurite?.stop();
});

beforeEach(() => {
  warnings = [];
  printed = [];
  fake.requests.length = 0;
  results.requests.length = 0;
  process.stdout.write = (chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  };
});

afterEach(() => {
  process.stdout.write = writeStdout;
  // Every REST call and answer matched GitHub's OpenAPI description; every Twirp call the library's own types.
  expect(fake.errors).toEqual([]);
  expect(results.errors).toEqual([]);
  expect(printed.join('')).not.toContain(TOKEN);
  expect(warnings).toEqual([]);
  expect(leftovers()).toEqual([]);
});

describe('uploadBaseline and findBaseline against Azurite, the results service and the REST API', () => {
  it('stores the report with the real @actions/artifact and finds exactly it for the base commit', async () => {
    const sha = commit(1);
    const { uploaded, run } = await storeReport({ headSha: sha, event: 'push', conclusion: 'success' });

    // The upload: CreateArtifact, the zip to the signed Azurite URL, FinalizeArtifact; one artifact recorded.
    expect(results.requests.map((request) => request.method)).toEqual(['CreateArtifact', 'FinalizeArtifact']);
    expect(results.requests[0]!.body).toMatchObject({ name: NAME, version: 7, mime_type: 'application/zip' });
    const stored = store.artifacts.find((artifact) => artifact.id === uploaded.id)!;
    expect(stored).toMatchObject({ name: NAME, size: uploaded.size, container: RESULTS_CONTAINER });
    expect(stored.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The bytes really are in Azurite: a zip holding footprint-report.json.
    const zip = await azurite.readBlob(stored.container, stored.blob);
    expect(zip.length).toBe(uploaded.size);
    expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(zip.includes(Buffer.from(artifacts.BASELINE_FILE))).toBe(true);
    const runtimeToken = /^Bearer (.+)$/.exec(results.requests[0]!.authorization ?? '')?.[1];
    expect(runtimeToken).toBeDefined();

    const found = await find(sha);
    expect(found).toEqual({
      kind: 'found',
      json: REPORT,
      run: { id: run.id, headSha: sha, event: 'push', htmlUrl: `https://github.com/${OWNER}/${REPO}/actions/runs/${run.id}` }
    });
    expect(calls()).toEqual([
      `GET /repos/${OWNER}/${REPO}/actions/workflows/${WORKFLOW}/runs?head_sha=${sha}&status=success&per_page=100`,
      `GET /repos/${OWNER}/${REPO}/actions/runs/${run.id}/artifacts?name=${NAME}&per_page=100`,
      `GET /repos/${OWNER}/${REPO}/actions/artifacts/${uploaded.id}/zip`
    ]);
    expect(fake.requests.every((request) => request.headers.authorization === `token ${TOKEN}`)).toBe(true);
    expect(printed.join('')).not.toContain(runtimeToken);
  });

  it('keeps the retention asked for', async () => {
    const { uploaded } = await withEnv(results.env(), async () => ({
      uploaded: await artifacts.uploadBaseline('footprint-report-kept', REPORT, { retentionDays: 3 })
    }));
    const expiresAt = store.artifacts.find((artifact) => artifact.id === uploaded.id)!.expiresAt!;
    expect(Math.abs(expiresAt.getTime() - (Date.now() + 3 * 86_400_000))).toBeLessThan(120_000);
  });

  it('searches every workflow of the repository when this run names none', async () => {
    const sha = commit(2);
    const { run } = await storeReport({ headSha: sha, event: 'schedule', conclusion: 'success', workflow: 'nightly.yml' });
    await expect(find(sha, { workflow: null })).resolves.toMatchObject({ kind: 'found', json: REPORT, run: { id: run.id, event: 'schedule' } });
    expect(calls()[0]).toBe(`GET /repos/${OWNER}/${REPO}/actions/runs?head_sha=${sha}&status=success&per_page=100`);
  });

  it('takes the newest run that stored the report, past a newer one that did not', async () => {
    const sha = commit(3);
    const { run } = await storeReport({ headSha: sha, event: 'push', conclusion: 'success' });
    const rerun = store.addRun({
      id: nextRunId++,
      headSha: sha,
      event: 'workflow_dispatch',
      conclusion: 'success',
      headRepository: `${OWNER}/${REPO}`,
      workflow: WORKFLOW
    });
    await expect(find(sha)).resolves.toMatchObject({ kind: 'found', run: { id: run.id } });
    expect(calls().filter((call) => call.includes('/artifacts?'))).toHaveLength(2);
    expect(calls()[1]).toContain(`/runs/${rerun.id}/artifacts`);
  });

  it('finds nothing for a commit without a successful run', async () => {
    await storeReport({ headSha: commit(4), event: 'push', conclusion: 'success' });
    const other = commit(5);
    await expect(find(other)).resolves.toEqual({
      kind: 'missing',
      reason: `No successful run of workflow ${WORKFLOW} in ${OWNER}/${REPO} for commit ${other}.`
    });
  });

  it('does not take a report from a pull_request run, and says so', async () => {
    const sha = commit(6);
    await storeReport({ headSha: sha, event: 'pull_request', conclusion: 'success' });
    const found = await find(sha);
    expect(found.kind).toBe('missing');
    expect(found).toHaveProperty('reason', expect.stringContaining('found 1 pull_request run'));
    expect(found).toHaveProperty('reason', expect.stringContaining('only a push, schedule or workflow_dispatch run'));
    expect(calls()).toHaveLength(1);
  });

  it("does not take a report from a run of a fork's code, and says so", async () => {
    const sha = commit(7);
    await storeReport({ headSha: sha, event: 'push', conclusion: 'success', headRepository: 'mallory/shop' });
    const found = await find(sha);
    expect(found.kind).toBe('missing');
    expect(found).toHaveProperty('reason', expect.stringContaining('1 run from a fork'));
  });

  it('does not take a report from a run that failed', async () => {
    const sha = commit(8);
    await storeReport({ headSha: sha, event: 'push', conclusion: 'failure' });
    await expect(find(sha)).resolves.toEqual({ kind: 'missing', reason: expect.stringContaining('No successful run of workflow ci.yml') });
  });

  it('finds nothing under another comment key', async () => {
    const sha = commit(9);
    const { run } = await storeReport({ headSha: sha, event: 'push', conclusion: 'success' });
    await expect(find(sha, { name: 'footprint-report-other' })).resolves.toEqual({
      kind: 'missing',
      reason: `No artifact footprint-report-other in 1 successful run for commit ${sha} (newest: https://github.com/${OWNER}/${REPO}/actions/runs/${run.id}).`
    });
  });

  it('finds nothing once the artifact has expired', async () => {
    const sha = commit(10);
    const { uploaded } = await storeReport({ headSha: sha, event: 'push', conclusion: 'success' });
    store.artifacts.find((artifact) => artifact.id === uploaded.id)!.expiresAt = new Date(Date.now() - 1000);
    await expect(find(sha)).resolves.toEqual({ kind: 'missing', reason: expect.stringContaining('has expired') });
  });

  it('refuses a report larger than the limit, before the download when even its zip is larger', async () => {
    const sha = commit(11);
    const json = JSON.stringify({ padding: 'x'.repeat(20_000) });
    const { uploaded } = await storeReport({ headSha: sha, event: 'push', conclusion: 'success' }, { json });
    await expect(find(sha, { maxBytes: 10_000 })).resolves.toEqual({
      kind: 'missing',
      reason: expect.stringMatching(/^footprint-report\.json in the artifact .* is 20014 bytes, over the 10000-byte limit for a report\.$/)
    });
    fake.requests.length = 0;
    await expect(find(sha, { maxBytes: uploaded.size - 1 })).resolves.toEqual({
      kind: 'missing',
      reason: expect.stringContaining(`is ${uploaded.size} bytes, over the ${uploaded.size - 1}-byte limit`)
    });
    expect(calls().some((call) => call.endsWith('/zip'))).toBe(false);
  });

  it('is refused, and names the permission, when the token may not read Actions', async () => {
    const sha = commit(12);
    await storeReport({ headSha: sha, event: 'push', conclusion: 'success' });
    fake.forbidActionsReads(true);
    try {
      const found = await find(sha);
      expect(found).toEqual({ kind: 'refused', reason: expect.stringContaining('may not read the GitHub Actions runs and artifacts') });
      expect(found).toHaveProperty('reason', expect.stringContaining('HTTP 403: Resource not accessible by integration'));
    } finally {
      fake.forbidActionsReads(false);
    }
  });

  it('does not send the token to an API the download would not use', async () => {
    const log = { info: () => {}, warning: (message: string) => warnings.push(message) };
    const octokit = createOctokit(TOKEN, { baseUrl: 'http://127.0.0.1:9', log, retries: 0 });
    await expect(find(commit(13), { octokit })).resolves.toEqual({ kind: 'missing', reason: expect.stringContaining('(GITHUB_API_URL)') });
    expect(calls()).toEqual([]);
  });

  it("holds the results service's requests to the library's own message types and the runtime token", async () => {
    const ids = { workflowRunBackendId: 'run-backend-id', workflowJobRunBackendId: 'job-backend-id' };
    const token = results.env(ids).ACTIONS_RUNTIME_TOKEN;
    const create = (body: object, authorization?: string) =>
      fetch(`${results.url}/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(body)
      });
    const valid = { workflow_run_backend_id: ids.workflowRunBackendId, workflow_job_run_backend_id: ids.workflowJobRunBackendId, name: 'x' };
    expect((await create({ ...valid, colour: 'red' }, `Bearer ${token}`)).status).toBe(400);
    expect((await create({ ...valid, version: 'seven' }, `Bearer ${token}`)).status).toBe(400);
    expect((await create(valid)).status).toBe(401);
    expect((await create({ ...valid, workflow_job_run_backend_id: 'another-job' }, `Bearer ${token}`)).status).toBe(401);
    expect(results.errors).toEqual([
      expect.stringContaining("CreateArtifact: the request does not match the library's message type"),
      expect.stringContaining("CreateArtifact: the request does not match the library's message type"),
      expect.stringContaining('CreateArtifact: no "Authorization: Bearer <runtime token>"'),
      "CreateArtifact: the backend ids in the body are not the runtime token's"
    ]);
    results.errors.length = 0;
  });

  it('fails the upload with a clear message outside GitHub Actions', async () => {
    const env = { ...results.env(), ACTIONS_RUNTIME_TOKEN: undefined };
    await expect(withEnv(env, () => artifacts.uploadBaseline(NAME, REPORT))).rejects.toThrow(
      `not running in GitHub Actions: ACTIONS_RUNTIME_TOKEN is not set (the runner sets ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL for an action's own steps, not for \`run:\` steps).`
    );
    expect(results.requests).toEqual([]);
  });
});
