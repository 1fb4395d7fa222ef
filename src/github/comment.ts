import type { Octokit } from './octokit.js';
import { commentMarker } from './marker.js';

/** When to write the PR comment: every run, only when something changed (an existing one is always kept current), or never. */
export type CommentMode = 'always' | 'on-change' | 'never';
export const COMMENT_MODES: readonly CommentMode[] = ['always', 'on-change', 'never'];

export interface UpsertOptions {
  octokit: Octokit;
  owner: string;
  repo: string;
  issueNumber: number;
  /** One comment per pull request and key. */
  key: string;
  /** The whole comment, starting with `commentMarker(key)`. */
  body: string;
  /** `on-change` posts a new comment only when `changed`; an existing one is always kept current. */
  mode: CommentMode;
  changed: boolean;
}

export interface UpsertResult {
  /** skipped: by choice (comment: never / on-change); forbidden: read-only token; failed: any other error. */
  action: 'created' | 'updated' | 'skipped' | 'forbidden' | 'failed';
  url: string | null;
  /** What happened, in words; for forbidden and failed, what the caller should warn about. */
  message: string;
}

const FORK_HINT =
  'Pull requests from forks get a read-only GITHUB_TOKEN, so the report is in the job summary instead. ' +
  'To comment on them, use the workflow_run recipe in the README ("PRs from forks").';

/**
 * Ours when the body starts with the marker, on a line of its own or followed by
 * nothing: a comment that only quotes it (or a build log that prints one) is not.
 */
export function isOurComment(body: string | undefined, key: string): boolean {
  const marker = commentMarker(key);
  return body !== undefined && body.startsWith(marker) && /^(\r?\n|$)/.test(body.slice(marker.length));
}

/** The first comment carrying the key's marker, looking through every page of the conversation. */
export async function findComment(
  octokit: Octokit,
  where: { owner: string; repo: string; issueNumber: number; key: string }
): Promise<{ id: number; url: string } | null> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: where.owner,
    repo: where.repo,
    issue_number: where.issueNumber,
    per_page: 100
  });
  for await (const page of pages) {
    const found = page.data.find((comment) => isOurComment(comment.body, where.key));
    if (found) return { id: found.id, url: found.html_url };
  }
  return null;
}

interface HttpFailure {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

function httpFailure(error: unknown): HttpFailure | null {
  if (typeof error !== 'object' || error === null || typeof (error as { status?: unknown }).status !== 'number') return null;
  return error as HttpFailure;
}

/** 404, or a 403 that is about permissions rather than a rate limit. */
function isForbidden(failure: HttpFailure): boolean {
  if (failure.status === 404) return true;
  const rateLimited = failure.response?.headers?.['x-ratelimit-remaining'] === '0' || /rate limit/i.test(failure.message);
  return failure.status === 403 && !rateLimited;
}

/**
 * Posts the comment. A server error is not retried blindly: GitHub may have
 * created the comment and lost only the answer, so look for it first and post
 * again only when it is not there.
 */
async function createComment(options: UpsertOptions): Promise<{ action: 'created' | 'updated'; url: string }> {
  const { octokit, owner, repo, issueNumber, key, body } = options;
  try {
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body, request: { retries: 0 } });
    return { action: 'created', url: data.html_url };
  } catch (error) {
    const failure = httpFailure(error);
    if (!failure || failure.status < 500) throw error;
    const existing = await findComment(octokit, { owner, repo, issueNumber, key });
    if (existing) return updateComment(options, existing.id);
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body });
    return { action: 'created', url: data.html_url };
  }
}

async function updateComment(options: UpsertOptions, id: number): Promise<{ action: 'updated'; url: string }> {
  const { octokit, owner, repo, body } = options;
  const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body });
  return { action: 'updated', url: data.html_url };
}

/**
 * Keeps one comment per pull request and key up to date: updates the one found
 * by its marker, or creates it. Never throws: a read-only token gives
 * `forbidden`, any other failure `failed`, each with a message to show.
 */
export async function upsertComment(options: UpsertOptions): Promise<UpsertResult> {
  const { octokit, owner, repo, issueNumber, key } = options;
  if (options.mode === 'never') return { action: 'skipped', url: null, message: 'PR comment turned off (comment: never).' };
  try {
    const existing = await findComment(octokit, { owner, repo, issueNumber, key });
    if (!existing && options.mode === 'on-change' && !options.changed) {
      return { action: 'skipped', url: null, message: 'No size changes, so no PR comment (comment: on-change).' };
    }
    const done = existing ? await updateComment(options, existing.id) : await createComment(options);
    return { ...done, message: `${done.action === 'created' ? 'Created' : 'Updated'} the PR comment ${done.url}` };
  } catch (error) {
    const failure = httpFailure(error);
    if (failure && isForbidden(failure)) {
      return {
        action: 'forbidden',
        url: null,
        message: `Could not write the PR comment on ${owner}/${repo}#${issueNumber}: the token is not allowed to (HTTP ${failure.status}: ${failure.message}). ${FORK_HINT}`
      };
    }
    const why = failure ? `HTTP ${failure.status}: ${failure.message}` : error instanceof Error ? error.message : String(error);
    return { action: 'failed', url: null, message: `Could not write the PR comment on ${owner}/${repo}#${issueNumber}: ${why}` };
  }
}
