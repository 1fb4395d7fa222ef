/**
 * Real git repositories for tests: a bare `origin` with a base branch and a PR
 * branch on top of it, and a clone of the PR branch shaped like the one
 * actions/checkout leaves on a runner (shallow, depth 1, only the PR branch).
 *
 *   const pair = await createRepoPair({
 *     base: { 'app/Dockerfile': 'FROM scratch\n' },
 *     head: { 'app/Dockerfile': 'FROM scratch\nCOPY . /\n', 'old.txt': null }
 *   });
 *   try { ... pair.checkout ... pair.baseSha ... } finally { await pair.cleanup(); }
 *
 * Everything lives in one temporary directory that `cleanup` removes. Git runs
 * with the machine's global and system config switched off, so a developer's
 * settings (signing, hooks, default branch) cannot change the outcome.
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exec } from '../../src/exec.js';

export interface RepoPair {
  /** Path of the bare repository (`<tmp>/origin.git`); `file://${origin}` is its URL. */
  origin: string;
  /** The clone of the PR branch the code under test works in. */
  checkout: string;
  /** The commit of `base` on `baseBranch`. */
  baseSha: string;
  /** The commit of `head` on `headBranch`, a child of `baseSha`. */
  headSha: string;
  /** 'main' */
  baseBranch: string;
  /** 'pr' */
  headBranch: string;
  /** Removes every file the pair made; safe to call twice. */
  cleanup(): Promise<void>;
}

/** Files to write, by repo-relative POSIX path; null deletes the file; `{ symlink }` commits a symlink to that target. */
export type FileChanges = Record<string, string | null | { symlink: string }>;

const BASE_BRANCH = 'main';
const HEAD_BRANCH = 'pr';

const GIT_ENV: Record<string, string | undefined> = {
  // A test run from inside a git hook must not act on the outer repository.
  GIT_DIR: undefined,
  GIT_WORK_TREE: undefined,
  GIT_INDEX_FILE: undefined,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  // Fixed dates: the same files give the same SHAs on every run.
  GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z'
};

/** Runs git and returns its stdout; throws with git's own message when it fails. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const result = await exec('git', args, { cwd, cleanEnv: true, env: GIT_ENV });
  if (result.exitCode !== 0 || result.failure) {
    throw new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${result.failure ?? result.all}`);
  }
  return result.stdout.trim();
}

async function setIdentity(repo: string): Promise<void> {
  await git(repo, ['config', 'user.name', 'Footprint Test']);
  await git(repo, ['config', 'user.email', 'footprint-test@example.com']);
  await git(repo, ['config', 'commit.gpgsign', 'false']);
}

async function applyChanges(repo: string, files: FileChanges): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(repo, path);
    if (content === null) {
      await rm(file, { force: true });
    } else if (typeof content === 'object') {
      await mkdir(dirname(file), { recursive: true });
      await rm(file, { force: true });
      await symlink(content.symlink, file);
    } else {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  }
}

/** Commits `files` on the current branch (even when nothing changed) and returns the new SHA. */
async function commit(repo: string, files: FileChanges, message: string): Promise<string> {
  await applyChanges(repo, files);
  await git(repo, ['add', '--all']);
  await git(repo, ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', message]);
  return git(repo, ['rev-parse', 'HEAD']);
}

export async function createRepoPair(options: {
  /** The base branch's files. */
  base: FileChanges;
  /** Changes on top of `base` that make the PR branch. */
  head: FileChanges;
  /** Clone with --depth 1 like actions/checkout (default), or the full history. */
  shallow?: boolean;
}): Promise<RepoPair> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'footprint-repo-')));
  const cleanup = (): Promise<void> => rm(root, { recursive: true, force: true });
  try {
    const origin = join(root, 'origin.git');
    const originUrl = `file://${origin}`;
    await git(root, ['init', '--quiet', '--bare', `--initial-branch=${BASE_BRANCH}`, origin]);
    // GitHub serves any reachable commit by SHA; git's protocol v2 does too, the
    // older v0 only with this, so a fetch of the base SHA works either way.
    await git(origin, ['config', 'uploadpack.allowReachableSHA1InWant', 'true']);

    const work = join(root, 'work');
    await git(root, ['init', '--quiet', `--initial-branch=${BASE_BRANCH}`, work]);
    await setIdentity(work);
    await git(work, ['remote', 'add', 'origin', originUrl]);
    const baseSha = await commit(work, options.base, 'base');
    await git(work, ['push', '--quiet', 'origin', BASE_BRANCH]);
    await git(work, ['checkout', '--quiet', '-b', HEAD_BRANCH]);
    const headSha = await commit(work, options.head, 'head');
    await git(work, ['push', '--quiet', 'origin', HEAD_BRANCH]);

    const checkout = join(root, 'checkout');
    const depth = options.shallow === false ? [] : ['--depth', '1'];
    await git(root, ['clone', '--quiet', ...depth, '--branch', HEAD_BRANCH, originUrl, checkout]);
    await setIdentity(checkout);

    return { origin, checkout, baseSha, headSha, baseBranch: BASE_BRANCH, headBranch: HEAD_BRANCH, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
