import type { ActionsStore, StoredArtifact, StoredRun } from './actions-store.js';
import type { Azurite } from './azurite.js';
import type { FakeAnswer } from './fake-github.js';

/**
 * The GitHub Actions operations of the fake REST API (fake-github.ts matches and validates the requests and
 * answers): workflow runs and their artifacts from the shared store, and an artifact's download as a 302 to a
 * signed Azurite URL of its zip, as GitHub redirects to its blob storage.
 */

type Json = any;

export interface ActionsApiContext {
  owner: string;
  repo: string;
  store: ActionsStore;
  /** Where the artifacts' zips are; null when the store has none. */
  azurite: Azurite | null;
  /** A copy of one of the spec's `components.examples`. */
  example(name: string): Json;
  /** The fake's own root URL. */
  url(): string;
  error(status: number, message: string, documentation?: string): FakeAnswer;
  /** The requested page of `items`, with the `link` header GitHub sends. */
  page<T>(items: T[], query: URLSearchParams, path: string): { items: T[]; headers: Record<string, string> };
}

export interface ActionsApi {
  handles(operationId: string): boolean;
  handle(operationId: string, params: Record<string, string>, query: URLSearchParams): FakeAnswer;
}

const OPERATIONS = [
  'actions/list-workflow-runs',
  'actions/list-workflow-runs-for-repo',
  'actions/list-workflow-run-artifacts',
  'actions/download-artifact'
];
const DOCS = 'https://docs.github.com/rest/actions';
/** The repository's id, and a fork's: what artifacts' `workflow_run` carries. */
const REPOSITORY_ID = 1296269;
const FORK_ID = 1300192;

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function createActionsApi(context: ActionsApiContext): ActionsApi {
  const { owner, repo, store } = context;
  const fullName = `${owner}/${repo}`;
  const repoPath = `/repos/${owner}/${repo}`;
  const isOurs = (name: string) => name.toLowerCase() === fullName.toLowerCase();

  function repository(example: Json, name: string, id: number): Json {
    const [login, short] = name.split('/') as [string, string];
    return {
      ...example,
      id,
      name: short,
      full_name: name,
      owner: { ...example.owner, login, url: `${context.url()}/users/${login}`, html_url: `https://github.com/${login}` },
      html_url: `https://github.com/${name}`,
      url: `${context.url()}/repos/${name}`,
      fork: !isOurs(name)
    };
  }

  function runJson(run: StoredRun): Json {
    const example = context.example('workflow-run-paginated').workflow_runs[0];
    const api = `${context.url()}${repoPath}/actions/runs/${run.id}`;
    return {
      ...example,
      id: run.id,
      name: run.workflow.replace(/\.ya?ml$/, ''),
      node_id: Buffer.from(`WFR_${run.id}`).toString('base64'),
      head_sha: run.headSha,
      path: `.github/workflows/${run.workflow}`,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflowId,
      url: api,
      html_url: `https://github.com/${fullName}/actions/runs/${run.id}`,
      created_at: timestamp(run.createdAt),
      updated_at: timestamp(run.createdAt),
      run_started_at: timestamp(run.createdAt),
      jobs_url: `${api}/jobs`,
      logs_url: `${api}/logs`,
      artifacts_url: `${api}/artifacts`,
      cancel_url: `${api}/cancel`,
      rerun_url: `${api}/rerun`,
      workflow_url: `${context.url()}${repoPath}/actions/workflows/${run.workflowId}`,
      head_commit: { ...example.head_commit, id: run.headSha },
      repository: repository(example.repository, fullName, REPOSITORY_ID),
      head_repository: repository(example.head_repository, run.headRepository, isOurs(run.headRepository) ? REPOSITORY_ID : FORK_ID)
    };
  }

  function expired(artifact: StoredArtifact): boolean {
    return artifact.expiresAt !== null && artifact.expiresAt.getTime() <= Date.now();
  }

  function artifactJson(artifact: StoredArtifact, run: StoredRun): Json {
    const api = `${context.url()}${repoPath}/actions/artifacts/${artifact.id}`;
    return {
      ...context.example('artifact'),
      id: artifact.id,
      node_id: Buffer.from(`08:Artifact${artifact.id}`).toString('base64'),
      name: artifact.name,
      size_in_bytes: artifact.size,
      url: api,
      archive_download_url: `${api}/zip`,
      expired: expired(artifact),
      created_at: timestamp(artifact.createdAt),
      updated_at: timestamp(artifact.createdAt),
      expires_at: artifact.expiresAt ? timestamp(artifact.expiresAt) : null,
      digest: artifact.digest,
      workflow_run: {
        id: run.id,
        repository_id: REPOSITORY_ID,
        head_repository_id: isOurs(run.headRepository) ? REPOSITORY_ID : FORK_ID,
        head_branch: 'main',
        head_sha: run.headSha
      }
    };
  }

  /** Runs matching the query's filters, newest first, as GitHub lists them. */
  function listRuns(runs: StoredRun[], query: URLSearchParams, path: string): FakeAnswer {
    const headSha = query.get('head_sha');
    const status = query.get('status');
    const event = query.get('event');
    const matching = runs
      .filter((run) => headSha === null || run.headSha === headSha)
      .filter((run) => status === null || run.status === status || run.conclusion === status)
      .filter((run) => event === null || run.event === event)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const { items, headers } = context.page(matching, query, path);
    return { status: 200, body: { total_count: matching.length, workflow_runs: items.map(runJson) }, headers };
  }

  function handle(operationId: string, params: Record<string, string>, query: URLSearchParams): FakeAnswer {
    if (params.owner !== owner || params.repo !== repo) return context.error(404, 'Not Found');
    switch (operationId) {
      case 'actions/list-workflow-runs-for-repo':
        return listRuns(store.runs, query, `${repoPath}/actions/runs`);
      case 'actions/list-workflow-runs': {
        const id = params.workflow_id!;
        const runs = store.runs.filter((run) => run.workflow === id || String(run.workflowId) === id);
        // GitHub knows the repository's workflows; here a workflow exists once a run of it was added.
        if (runs.length === 0) return context.error(404, 'Not Found', `${DOCS}/workflow-runs#list-workflow-runs-for-a-workflow`);
        return listRuns(runs, query, `${repoPath}/actions/workflows/${encodeURIComponent(id)}/runs`);
      }
      case 'actions/list-workflow-run-artifacts': {
        const run = store.runs.find((candidate) => String(candidate.id) === params.run_id);
        if (!run) return context.error(404, 'Not Found', `${DOCS}/artifacts#list-workflow-run-artifacts`);
        const name = query.get('name');
        const artifacts = store.artifacts
          .filter((artifact) => artifact.runId === run.id && (name === null || artifact.name === name))
          .sort((a, b) => b.id - a.id);
        const { items, headers } = context.page(artifacts, query, `${repoPath}/actions/runs/${run.id}/artifacts`);
        return { status: 200, body: { total_count: artifacts.length, artifacts: items.map((artifact) => artifactJson(artifact, run)) }, headers };
      }
      case 'actions/download-artifact': {
        const artifact = store.artifacts.find((candidate) => String(candidate.id) === params.artifact_id && candidate.runId !== null);
        if (!artifact || params.archive_format !== 'zip') return context.error(404, 'Not Found', `${DOCS}/artifacts#download-an-artifact`);
        if (expired(artifact)) return context.error(410, 'Artifact has expired', `${DOCS}/artifacts#download-an-artifact`);
        // GitHub answers with a short-lived signed URL of its blob storage, and no body.
        if (context.azurite === null) throw new Error('fake GitHub Actions API: an artifact without a blob store to serve it from');
        return { status: 302, headers: { location: context.azurite.sasUrl(artifact.container, artifact.blob, 'r', 1) } };
      }
      default:
        throw new Error(`fake GitHub Actions API: ${operationId} is not one of its operations`);
    }
  }

  return { handles: (operationId) => OPERATIONS.includes(operationId), handle };
}
