import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { defaults as actionsGitHubDefaults } from '@actions/github/lib/utils';
import { messageOf } from '../errors.js';
import { httpFailure, isPermissionDenied, type HttpFailure, type Octokit } from '../github/octokit.js';
import { track } from '../cleanup.js';

/** The one file in a stored baseline artifact: footprint's JSON report. */
export const BASELINE_FILE = 'footprint-report.json';

/** One stored report per comment key, as one report (and one PR comment) is kept per key. */
export function baselineArtifactName(commentKey: string): string {
  return `footprint-report-${commentKey}`;
}

/** Only these runs store a baseline: each ran the repository's own code for a commit of its own. */
const BASELINE_EVENTS: readonly string[] = ['push', 'schedule', 'workflow_dispatch'];

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Pages of 100 successful runs for one commit: more than that is a rerun storm, not worth reading. */
const RUN_PAGES = 3;

/**
 * The workflow file (`ci.yml`) from GITHUB_WORKFLOW_REF, `owner/repo/.github/workflows/ci.yml@refs/heads/main`:
 * the REST API takes the file name as a workflow id. Null for anything else (unset, a dynamic workflow such
 * as `pages-build-deployment`, a file in a subfolder, which GitHub does not run), and then all the
 * repository's runs are searched.
 */
export function workflowFileOf(ref: string | null | undefined): string | null {
  const match = /^[^/@]+\/[^/@]+\/\.github\/workflows\/([^/]+?\.ya?ml)(?:@.*)?$/i.exec(ref?.trim() ?? '');
  return match?.[1] ?? null;
}

/** The upload's message, on one line: the library's errors carry advice on lines of their own. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * Stores `json` as the workflow artifact `name` (holding BASELINE_FILE) through @actions/artifact. Only a
 * JavaScript action's step gets ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL from the runner; elsewhere
 * (a `run:` step, a laptop) this throws, as it does for any failure, with a one-line message.
 */
export async function uploadBaseline(name: string, json: string, options: { retentionDays?: number } = {}): Promise<{ id: number; size: number }> {
  const absent = ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL'].filter((variable) => !process.env[variable]);
  if (absent.length > 0) {
    throw new Error(
      `not running in GitHub Actions: ${absent.join(' and ')} ${absent.length === 1 ? 'is' : 'are'} not set (the runner sets ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL for an action's own steps, not for \`run:\` steps).`
    );
  }
  const folder = await mkdtemp(join(tmpdir(), 'footprint-baseline-'));
  // Tracked, so a cancelled run's post step removes it too.
  const untrack = track({ kind: 'folder', path: folder });
  try {
    const file = join(folder, BASELINE_FILE);
    await writeFile(file, json);
    const retention = options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays };
    const uploaded = await new DefaultArtifactClient().uploadArtifact(name, [file], folder, retention);
    if (uploaded.id === undefined) throw new Error('GitHub did not say which artifact it stored');
    return { id: uploaded.id, size: uploaded.size ?? 0 };
  } catch (error) {
    throw new Error(oneLine(messageOf(error)), { cause: error });
  } finally {
    await rm(folder, { recursive: true, force: true });
    untrack();
  }
}

export type StoredLookup =
  | { kind: 'found'; json: string; run: { id: number; headSha: string; event: string; htmlUrl: string | null } }
  /** No successful run for that commit, no artifact of that name, or it expired; or any failure but a refusal. */
  | { kind: 'missing'; reason: string }
  /** 401/403: the token may not read Actions runs and artifacts (the workflow needs `permissions: actions: read`). */
  | { kind: 'refused'; reason: string };

export interface FindBaselineOptions {
  octokit: Octokit;
  /** The job's token, for the library's download; never logged or returned. */
  token: string;
  owner: string;
  repo: string;
  /** The workflow file name or id (`workflowFileOf(GITHUB_WORKFLOW_REF)`); null searches every workflow's runs. */
  workflow: string | null;
  /** The commit whose report is wanted: the pull request's base. */
  sha: string;
  /** The artifact's name, `baselineArtifactName(key)`. */
  name: string;
  /** A larger report file is refused; by default 64 MiB. */
  maxBytes?: number;
}

type WorkflowRun = Awaited<ReturnType<Octokit['rest']['actions']['listWorkflowRuns']>>['data']['workflow_runs'][number];
type Artifact = Awaited<ReturnType<Octokit['rest']['actions']['listWorkflowRunArtifacts']>>['data']['artifacts'][number];

/** 401, or a 403 that is about permissions rather than a rate limit. */
function isRefusal(failure: HttpFailure): boolean {
  return failure.status === 401 || isPermissionDenied(failure);
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The successful runs for the commit that may have stored a baseline, newest first, and what the others were. */
async function baselineRuns(options: FindBaselineOptions): Promise<{ runs: WorkflowRun[]; skipped: string[] }> {
  const { octokit, owner, repo, sha, workflow } = options;
  const query = { owner, repo, head_sha: sha, status: 'success' as const, per_page: 100 };
  const pages =
    workflow === null
      ? octokit.paginate.iterator(octokit.rest.actions.listWorkflowRunsForRepo, query)
      : octokit.paginate.iterator(octokit.rest.actions.listWorkflowRuns, { ...query, workflow_id: workflow });
  const runs: WorkflowRun[] = [];
  const otherEvents = new Map<string, number>();
  let forks = 0;
  let read = 0;
  for await (const page of pages) {
    for (const run of page.data) {
      if (run.head_sha !== sha || run.conclusion !== 'success') continue;
      // A fork's run ran the fork's code, whatever its event: its report says nothing about this repository.
      if ((run.head_repository?.full_name ?? '').toLowerCase() !== `${owner}/${repo}`.toLowerCase()) forks++;
      else if (!BASELINE_EVENTS.includes(run.event)) otherEvents.set(run.event, (otherEvents.get(run.event) ?? 0) + 1);
      else runs.push(run);
    }
    if (++read === RUN_PAGES) break;
  }
  const skipped = [...otherEvents].map(([event, count]) => plural(count, `${event} run`, `${event} runs`));
  if (forks > 0) skipped.push(plural(forks, 'run from a fork', 'runs from forks'));
  return { runs, skipped };
}

/** The newest artifact named `name` of the run that has not expired, or why there is none. */
async function liveArtifact(options: FindBaselineOptions, run: WorkflowRun): Promise<Artifact | 'expired' | null> {
  const { octokit, owner, repo, name } = options;
  const { data } = await octokit.rest.actions.listWorkflowRunArtifacts({ owner, repo, run_id: run.id, name, per_page: 100 });
  const named = data.artifacts.filter((artifact) => artifact.name === name);
  return named.find((artifact) => !artifact.expired) ?? (named.length > 0 ? 'expired' : null);
}

/**
 * The library downloads with @actions/github's own client (its `getOctokit(token)`), which goes to GITHUB_API_URL as
 * it was when that module loaded: on a runner the same API as ours. Anything else would send the token elsewhere.
 */
function downloadApiMismatch(octokit: Octokit): string | null {
  const ours = octokit.request.endpoint.DEFAULTS.baseUrl;
  const library = actionsGitHubDefaults.baseUrl ?? 'https://api.github.com';
  return ours === library ? null : `The artifact download would go to ${library} (GITHUB_API_URL), but the lookup used ${ours}.`;
}

/**
 * Downloads with the library's own public download (`findBy`): it asks the REST API for the artifact's zip
 * (a 302 to a signed blob URL), streams it and unzips it with its own dependency, which flattens `..` in
 * entry names and writes plain files only. Doing that ourselves would need a zip reader footprint does not have.
 */
async function download(options: FindBaselineOptions, run: WorkflowRun, artifact: Artifact): Promise<StoredLookup> {
  const { owner, repo, token, name } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const where = `artifact ${name} of run ${run.html_url}`;
  // The zip is rarely larger than the file it holds: no need to fetch one that cannot be read.
  if (artifact.size_in_bytes > maxBytes) {
    return { kind: 'missing', reason: `The ${where} is ${artifact.size_in_bytes} bytes, over the ${maxBytes}-byte limit for a report.` };
  }
  const folder = await mkdtemp(join(tmpdir(), 'footprint-baseline-'));
  const untrack = track({ kind: 'folder', path: folder });
  try {
    await new DefaultArtifactClient().downloadArtifact(artifact.id, {
      path: folder,
      findBy: { token, workflowRunId: run.id, repositoryOwner: owner, repositoryName: repo }
    });
    const file = join(folder, BASELINE_FILE);
    const info = await lstat(file).catch(() => null);
    if (!info?.isFile()) return { kind: 'missing', reason: `The ${where} holds no ${BASELINE_FILE}.` };
    if (info.size > maxBytes) {
      return { kind: 'missing', reason: `${BASELINE_FILE} in the ${where} is ${info.size} bytes, over the ${maxBytes}-byte limit for a report.` };
    }
    const json = await readFile(file, 'utf8');
    return { kind: 'found', json, run: { id: run.id, headSha: run.head_sha, event: run.event, htmlUrl: run.html_url || null } };
  } finally {
    await rm(folder, { recursive: true, force: true });
    untrack();
  }
}

/**
 * The report a successful push, schedule or workflow_dispatch run of this repository stored for `sha`, through the
 * REST API with the job's token. Never throws: a refusal (401/403) gives `refused`, everything else that keeps the
 * report out of reach gives `missing`, each with a sentence to show.
 */
export async function findBaseline(options: FindBaselineOptions): Promise<StoredLookup> {
  const { owner, repo, sha, name } = options;
  const which = options.workflow === null ? 'any workflow' : `workflow ${options.workflow}`;
  try {
    const mismatch = downloadApiMismatch(options.octokit);
    if (mismatch) return { kind: 'missing', reason: mismatch };
    const { runs, skipped } = await baselineRuns(options);
    if (runs.length === 0 && skipped.length === 0) {
      return { kind: 'missing', reason: `No successful run of ${which} in ${owner}/${repo} for commit ${sha}.` };
    }
    if (runs.length === 0) {
      return {
        kind: 'missing',
        reason:
          `No successful run of ${which} in ${owner}/${repo} for commit ${sha} could have stored a baseline (found ${skipped.join(' and ')}); ` +
          `only a push, schedule or workflow_dispatch run of ${owner}/${repo} itself stores one.`
      };
    }
    let expired: WorkflowRun | null = null;
    for (const run of runs) {
      const artifact = await liveArtifact(options, run);
      if (artifact === 'expired') expired ??= run;
      else if (artifact) return await download(options, run, artifact);
    }
    if (expired) return { kind: 'missing', reason: `The artifact ${name} of run ${expired.html_url} for commit ${sha} has expired.` };
    return {
      kind: 'missing',
      reason: `No artifact ${name} in ${plural(runs.length, 'successful run', 'successful runs')} for commit ${sha} (newest: ${runs[0]!.html_url}).`
    };
  } catch (error) {
    const failure = httpFailure(error);
    if (failure && isRefusal(failure)) {
      return {
        kind: 'refused',
        reason: `The token may not read the GitHub Actions runs and artifacts of ${owner}/${repo} (HTTP ${failure.status}: ${failure.message}).`
      };
    }
    const why = failure ? `HTTP ${failure.status}: ${failure.message}` : oneLine(messageOf(error));
    return { kind: 'missing', reason: `Could not read the stored report for commit ${sha} in ${owner}/${repo}: ${why}` };
  }
}
