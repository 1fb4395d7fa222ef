import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from '../cleanup.js';
import type { Exec, ExecResult } from '../exec.js';
import { UserError } from '../errors.js';

/** The base branch's tree, checked out next to the repository without touching its HEAD, index or files. */
export interface BaseCheckout {
  /** The ref as the user gave it. */
  ref: string;
  /** The commit it resolved to. */
  sha: string;
  /** A separate worktree holding that commit's files. */
  dir: string;
  /** Removes the worktree and its directory; safe to call more than once, never throws. */
  dispose(): Promise<void>;
}

// Credentials that actions/checkout configured live in .git/config, so a clean
// environment still fetches; no prompt may ever wait for a terminal.
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0' };
// Fetching one commit of a large monorepo can take a while, but never forever.
const FETCH_TIMEOUT_MS = 15 * 60 * 1000;

function git(exec: Exec, cwd: string, args: string[], timeoutMs?: number): Promise<ExecResult> {
  return exec('git', args, { cwd, cleanEnv: true, env: GIT_ENV, timeoutMs });
}

/**
 * The line of git's output that says what went wrong: the first `fatal:` or `error:` line (git
 * follows it with generic lines and hints, such as "Please make sure you have the correct access
 * rights"), else the last line, else the exit code.
 */
export function gitProblem(result: ExecResult): string {
  const lines = `${result.stderr}\n${result.failure ?? ''}`
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.find((line) => /^(fatal|error):/i.test(line)) ?? lines.at(-1) ?? `exit code ${result.exitCode}`;
}

/** The top directory of the git repository that holds `cwd`. */
export async function repoRoot(exec: Exec, cwd: string): Promise<string> {
  const result = await git(exec, cwd, ['rev-parse', '--show-toplevel']);
  if (result.exitCode !== 0 || result.failure) {
    throw new UserError(`"${cwd}" is not inside a git repository (git: ${gitProblem(result)})`);
  }
  return result.stdout.trim();
}

async function resolveCommit(exec: Exec, repo: string, rev: string): Promise<string | null> {
  const result = await git(exec, repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return result.exitCode === 0 ? result.stdout.trim() : null;
}

/**
 * Finds the commit `ref` names: locally, as `origin/REF`, or else by fetching just
 * that one commit from origin (a shallow clone, as actions/checkout makes, lacks it).
 */
export async function baseCommit(exec: Exec, repo: string, ref: string, log: (msg: string) => void): Promise<string> {
  // A leading dash would reach git as an option.
  if (!ref.trim() || ref.startsWith('-')) {
    throw new UserError(`base-ref "${ref}": expected a branch, tag or commit SHA`);
  }
  for (const candidate of [ref, `origin/${ref}`]) {
    const sha = await resolveCommit(exec, repo, candidate);
    if (sha) return sha;
  }
  log(`base-ref "${ref}" is not in the clone; fetching it from origin`);
  // --depth=1 keeps a shallow clone shallow without pulling its history; in a
  // complete clone it would make the repository shallow, so fetch normally there.
  const shallow = await git(exec, repo, ['rev-parse', '--is-shallow-repository']);
  const depth = shallow.stdout.trim() === 'true' ? ['--depth=1'] : [];
  const fetch = await git(exec, repo, ['fetch', '--no-tags', ...depth, 'origin', ref], FETCH_TIMEOUT_MS);
  const sha = fetch.exitCode === 0 && !fetch.failure ? await resolveCommit(exec, repo, 'FETCH_HEAD') : null;
  if (!sha) {
    throw new UserError(`base-ref "${ref}": not found in the repository or on origin (git: ${gitProblem(fetch)})`);
  }
  return sha;
}

async function removeWorktree(exec: Exec, repo: string, dir: string): Promise<void> {
  try {
    await git(exec, repo, ['worktree', 'remove', '--force', dir]);
    await git(exec, repo, ['worktree', 'prune']);
  } catch {
    // Cleanup must not hide the outcome of the run.
  }
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

/** Checks out `ref` (a branch, tag or SHA) in a temporary worktree of `repo`. */
export async function checkoutBase(options: { exec: Exec; repo: string; ref: string; log?: (msg: string) => void }): Promise<BaseCheckout> {
  const { exec, repo, ref } = options;
  const log = options.log ?? (() => undefined);
  const sha = await baseCommit(exec, repo, ref, log);

  const dir = await mkdtemp(join(tmpdir(), 'footprint-base-'));
  // Tracked before `git worktree add`, so a cancelled run removes it whatever point it reached.
  const untrack = track({ kind: 'worktree', repo, path: dir });
  let disposal: Promise<void> | null = null;
  const dispose = (): Promise<void> => (disposal ??= removeWorktree(exec, repo, dir).then(untrack));

  let added: ExecResult;
  try {
    added = await git(exec, repo, ['worktree', 'add', '--detach', dir, sha]);
  } catch (error) {
    await dispose();
    throw error;
  }
  if (added.exitCode !== 0 || added.failure) {
    await dispose();
    throw new UserError(`base-ref "${ref}": could not check out ${sha} in a worktree (git: ${gitProblem(added)})`);
  }
  log(`base-ref "${ref}" is ${sha}, checked out in ${dir}`);
  return { ref, sha, dir, dispose };
}
