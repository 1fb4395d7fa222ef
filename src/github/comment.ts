import { httpFailure, isPermissionDenied, type HttpFailure, type Octokit } from './octokit.js';
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
  /**
   * The login footprint writes comments as, when the token cannot say (a GitHub App's installation token:
   * `my-app[bot]`). Null or missing: `GET /user` answers it for a personal token; an installation token may not
   * ask (403), and then it is the GITHUB_TOKEN's `github-actions[bot]`.
   */
  author?: string | null;
}

export interface UpsertResult {
  /**
   * unchanged: the comment already had this body, so nothing was written; skipped: by choice (comment: never /
   * on-change); forbidden: read-only token; failed: any other error.
   */
  action: 'created' | 'updated' | 'unchanged' | 'skipped' | 'forbidden' | 'failed';
  url: string | null;
  /** What happened, in words; for forbidden and failed, what the caller should warn about. */
  message: string;
}

const FORK_HINT =
  'Pull requests from forks get a read-only GITHUB_TOKEN, so the report is in the job summary instead. ' +
  'To comment on them, use the workflow_run recipe in the README ("PRs from forks").';

/** Who writes with the default GITHUB_TOKEN: the GitHub Actions app's bot. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]';

/**
 * Carries the key's marker: the body starts with it, on a line of its own or followed by
 * nothing. A comment that only quotes it (or a build log that prints one) does not.
 */
export function isOurComment(body: string | undefined, key: string): boolean {
  const marker = commentMarker(key);
  return body !== undefined && body.startsWith(marker) && /^(\r?\n|$)/.test(body.slice(marker.length));
}

/** The login footprint writes as, looked up at most once, and only when a comment with the marker needs judging. */
export type CommentAuthor = () => Promise<string>;

/**
 * `author` when given; else whoever `GET /user` says the token belongs to (a personal access token). An
 * installation token (GITHUB_TOKEN) may not ask, 403 "Resource not accessible by integration": it writes as
 * `github-actions[bot]`. Any other failure (bad credentials, server errors past the retries) is thrown: guessing
 * wrong would post a second comment or, worse, take someone else's.
 */
export function commentAuthor(octokit: Octokit, author: string | null = null): CommentAuthor {
  let login: Promise<string> | null = author ? Promise.resolve(author) : null;
  return () => (login ??= tokenLogin(octokit));
}

async function tokenLogin(octokit: Octokit): Promise<string> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    const failure = httpFailure(error);
    if (failure && isForbidden(failure)) return ACTIONS_BOT_LOGIN;
    throw error;
  }
}

export interface FoundComments {
  /** footprint's comment for the key: the first with its marker written by footprint's own login. */
  ours: { id: number; url: string; body: string } | null;
  /** Authors of comments that carry the marker but were written by someone else: never edited. */
  others: string[];
}

/**
 * Looks through every page of the conversation, stopping at footprint's own comment. The marker alone
 * does not make a comment footprint's: anyone can paste it, so only one written by `author` counts.
 */
export async function findComment(
  octokit: Octokit,
  where: { owner: string; repo: string; issueNumber: number; key: string },
  author: CommentAuthor
): Promise<FoundComments> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: where.owner,
    repo: where.repo,
    issue_number: where.issueNumber,
    per_page: 100
  });
  const others: string[] = [];
  for await (const page of pages) {
    for (const comment of page.data) {
      if (!isOurComment(comment.body, where.key)) continue;
      const login = comment.user?.login ?? '';
      // Logins are case-insensitive on GitHub.
      if (login.toLowerCase() === (await author()).toLowerCase()) {
        return { ours: { id: comment.id, url: comment.html_url, body: comment.body ?? '' }, others };
      }
      others.push(login || 'a deleted user');
    }
  }
  return { ours: null, others };
}

/** 404, or a 403 that is about permissions rather than a rate limit. */
function isForbidden(failure: HttpFailure): boolean {
  return failure.status === 404 || isPermissionDenied(failure);
}

/**
 * Posts the comment. A server error is not retried blindly: GitHub may have
 * created the comment and lost only the answer, so look for it first and post
 * again only when it is not there.
 */
async function createComment(options: UpsertOptions, author: CommentAuthor): Promise<{ action: 'created' | 'updated'; url: string }> {
  const { octokit, owner, repo, issueNumber, key, body } = options;
  try {
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body, request: { retries: 0 } });
    return { action: 'created', url: data.html_url };
  } catch (error) {
    const failure = httpFailure(error);
    if (!failure || failure.status < 500) throw error;
    const { ours } = await findComment(octokit, { owner, repo, issueNumber, key }, author);
    // GitHub did post it and only the answer was lost: that is the comment, as written.
    if (ours?.body === body) return { action: 'created', url: ours.url };
    if (ours) return updateComment(options, ours.id);
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
 * Keeps one comment per pull request and key up to date: updates footprint's own
 * (found by its marker and written by footprint's login), or creates it; a body
 * that is already there is not written again. Never throws: a read-only token
 * gives `forbidden`, any other failure `failed`, each with a message to show.
 */
export async function upsertComment(options: UpsertOptions): Promise<UpsertResult> {
  const { octokit, owner, repo, issueNumber, key } = options;
  if (options.mode === 'never') return { action: 'skipped', url: null, message: 'PR comment turned off (comment: never).' };
  try {
    const author = commentAuthor(octokit, options.author ?? null);
    const { ours, others } = await findComment(octokit, { owner, repo, issueNumber, key }, author);
    const leftAlone = others.length
      ? ` Left alone ${others.length === 1 ? 'a comment' : `${others.length} comments`} with footprint's marker by ${[...new Set(others)].join(', ')}: only footprint's own (${await author()}) is updated.`
      : '';
    if (!ours && options.mode === 'on-change' && !options.changed) {
      return { action: 'skipped', url: null, message: `No size changes, so no PR comment (comment: on-change).${leftAlone}` };
    }
    if (ours?.body === options.body) {
      return { action: 'unchanged', url: ours.url, message: `The PR comment ${ours.url} already shows this report; nothing to update.` };
    }
    const done = ours ? await updateComment(options, ours.id) : await createComment(options, author);
    return { ...done, message: `${done.action === 'created' ? 'Created' : 'Updated'} the PR comment ${done.url}${leftAlone ? '.' : ''}${leftAlone}` };
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
