import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';

/** The REST client the report's GitHub effects use. */
export type Octokit = ReturnType<typeof getOctokit>;

export interface GitHubLog {
  warning(message: string): void;
  info(message: string): void;
}

export interface OctokitOptions {
  /** The REST API root; by default GITHUB_API_URL, or api.github.com. */
  baseUrl?: string;
  log: GitHubLog;
  /** Retries of a request that failed with a server error (5xx). */
  retries?: number;
}

/** Rate-limited requests are retried this many times, each after the wait GitHub asks for. */
const RATE_LIMIT_RETRIES = 2;
/** A longer wait than this (a primary limit resetting in an hour) is not worth holding the job for. */
const LONGEST_WAIT_SECONDS = 120;

/**
 * Client errors are final: the request or the token is wrong, and 403 "Resource
 * not accessible by integration" (a fork's read-only token) never gets better.
 * 403 and 429 rate limits are left to the throttling plugin, which honours
 * retry-after and x-ratelimit-reset instead of a fixed backoff.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/** An Octokit that retries server errors and waits out rate limits, logging each wait. */
export function createOctokit(token: string, options: OctokitOptions): Octokit {
  const { log } = options;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method?: string; url?: string }, _octokit: unknown, retryCount: number): boolean => {
      const what = `${request.method ?? 'GET'} ${request.url ?? ''}`.trim();
      if (retryCount >= RATE_LIMIT_RETRIES || retryAfter > LONGEST_WAIT_SECONDS) {
        log.warning(`GitHub API ${kind} hit on ${what}; giving up (it asks to wait ${retryAfter} s).`);
        return false;
      }
      log.warning(`GitHub API ${kind} hit on ${what}; retrying in ${retryAfter} s (retry ${retryCount + 1} of ${RATE_LIMIT_RETRIES}).`);
      return true;
    };
  return getOctokit(
    token,
    {
      // Only when given: an undefined baseUrl would replace the GITHUB_API_URL default.
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      retry: { retries: options.retries ?? 3, doNotRetry: DO_NOT_RETRY },
      throttle: { onRateLimit: onLimit('rate limit'), onSecondaryRateLimit: onLimit('secondary rate limit') },
      log: {
        debug: () => {},
        info: () => {},
        warn: (message: string) => log.warning(message),
        error: (message: string) => log.warning(message)
      }
    },
    retry,
    throttling
  );
}

/** What Octokit throws for an HTTP answer it does not accept. */
export interface HttpFailure {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

/** The HTTP failure behind a thrown error; null for anything else (a network error, a bug). */
export function httpFailure(error: unknown): HttpFailure | null {
  if (typeof error !== 'object' || error === null || typeof (error as { status?: unknown }).status !== 'number') return null;
  return error as HttpFailure;
}

/** A 403 about permissions rather than a rate limit (GitHub answers both with 403). */
export function isPermissionDenied(failure: HttpFailure): boolean {
  const rateLimited = failure.response?.headers?.['x-ratelimit-remaining'] === '0' || /rate limit/i.test(failure.message);
  return failure.status === 403 && !rateLimited;
}
