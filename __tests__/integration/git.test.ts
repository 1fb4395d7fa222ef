import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, type Exec, type ExecOptions } from '../../src/exec.js';
import { UserError } from '../../src/errors.js';
import { checkoutBase, gitProblem, repoRoot } from '../../src/compare/git.js';
import { createRepoPair, git, type RepoPair } from '../support/git-fixture.js';

const BASE_FILES = {
  'app/Dockerfile': 'FROM base-image\n',
  'app/removed-in-pr.txt': 'only on main\n',
  'README.md': 'base\n'
};
const HEAD_CHANGES = {
  'app/Dockerfile': 'FROM head-image\n',
  'app/removed-in-pr.txt': null,
  'app/added-in-pr.txt': 'only in the PR\n'
};

async function withPair(options: { shallow?: boolean }, run: (pair: RepoPair) => Promise<void>): Promise<void> {
  const pair = await createRepoPair({ base: BASE_FILES, head: HEAD_CHANGES, ...options });
  try {
    await run(pair);
  } finally {
    await pair.cleanup();
  }
}

/** The state of a checkout that a base comparison must leave alone. */
async function checkoutState(repo: string): Promise<Record<string, string>> {
  return {
    head: await git(repo, ['rev-parse', 'HEAD']),
    branch: await git(repo, ['symbolic-ref', 'HEAD']),
    index: await git(repo, ['ls-files', '--stage']),
    status: await git(repo, ['status', '--porcelain', '--untracked-files=all']),
    shallow: await git(repo, ['rev-parse', '--is-shallow-repository'])
  };
}

async function hasCommit(repo: string, sha: string): Promise<boolean> {
  const result = await exec('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd: repo, cleanEnv: true });
  return result.exitCode === 0;
}

async function worktreePaths(repo: string): Promise<string[]> {
  const list = await git(repo, ['worktree', 'list', '--porcelain']);
  return list
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}

/** The real exec, recording every call's arguments and options. */
function recordingExec(): { exec: Exec; calls: { args: readonly string[]; options: ExecOptions }[] } {
  const calls: { args: readonly string[]; options: ExecOptions }[] = [];
  return {
    calls,
    exec: (file, args, options = {}) => {
      calls.push({ args, options });
      return exec(file, args, options);
    }
  };
}

describe('checkoutBase in a shallow clone (as actions/checkout makes it)', () => {
  it('fetches the missing base SHA and checks out the base files, not the PR files', async () => {
    await withPair({}, async (pair) => {
      expect(await hasCommit(pair.checkout, pair.baseSha)).toBe(false);
      const before = await checkoutState(pair.checkout);
      const messages: string[] = [];
      const recorder = recordingExec();

      const base = await checkoutBase({ exec: recorder.exec, repo: pair.checkout, ref: pair.baseSha, log: (m) => messages.push(m) });
      try {
        expect(base).toMatchObject({ ref: pair.baseSha, sha: pair.baseSha });
        expect(await readFile(join(base.dir, 'app/Dockerfile'), 'utf8')).toBe('FROM base-image\n');
        expect(existsSync(join(base.dir, 'app/removed-in-pr.txt'))).toBe(true);
        expect(existsSync(join(base.dir, 'app/added-in-pr.txt'))).toBe(false);
        expect(await git(base.dir, ['rev-parse', 'HEAD'])).toBe(pair.baseSha);

        // Only the one commit came over: the clone is as shallow as before.
        expect(await checkoutState(pair.checkout)).toEqual(before);
        const fetch = recorder.calls.find((call) => call.args[0] === 'fetch');
        expect(fetch?.args).toEqual(['fetch', '--no-tags', '--depth=1', 'origin', pair.baseSha]);
        expect(recorder.calls.every((call) => call.options.cleanEnv === true)).toBe(true);
        expect(messages.some((m) => m.includes('fetching it from origin'))).toBe(true);
      } finally {
        await base.dispose();
      }
    });
  });

  it('resolves a branch name by fetching it from origin', async () => {
    await withPair({}, async (pair) => {
      const before = await checkoutState(pair.checkout);
      const base = await checkoutBase({ exec, repo: pair.checkout, ref: pair.baseBranch });
      try {
        expect(base).toMatchObject({ ref: 'main', sha: pair.baseSha });
        expect(await readFile(join(base.dir, 'app/Dockerfile'), 'utf8')).toBe('FROM base-image\n');
        expect(await checkoutState(pair.checkout)).toEqual(before);
      } finally {
        await base.dispose();
      }
    });
  });

  it('gives a UserError naming the ref and git’s reason when the ref exists nowhere', async () => {
    await withPair({}, async (pair) => {
      const attempt = checkoutBase({ exec, repo: pair.checkout, ref: 'no-such-branch' });
      await expect(attempt).rejects.toThrow(UserError);
      await expect(attempt).rejects.toThrow(
        'base-ref "no-such-branch": not found in the repository or on origin (git: fatal: couldn\'t find remote ref no-such-branch)'
      );
      const unknownSha = 'f'.repeat(40);
      await expect(checkoutBase({ exec, repo: pair.checkout, ref: unknownSha })).rejects.toThrow(
        new RegExp(`^base-ref "${unknownSha}": not found in the repository or on origin \\(git: .*not our ref`)
      );
      expect(await worktreePaths(pair.checkout)).toEqual([pair.checkout]);
    });
  });

  it('quotes the line that says what went wrong, not the hint git prints last', async () => {
    await withPair({}, async (pair) => {
      // An origin that is gone: git says why, then "Please make sure you have the correct access rights / and the repository exists."
      await git(pair.checkout, ['remote', 'set-url', 'origin', join(pair.checkout, '..', 'gone')]);
      const error = await checkoutBase({ exec, repo: pair.checkout, ref: 'no-such-branch' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(/\(git: fatal: '.*gone' does not appear to be a git repository\)$/);
    });
  });

  it('gitProblem picks the first fatal: or error: line, else the last line', () => {
    const result = (stderr: string, failure: string | null = null) => ({ exitCode: 128, stdout: '', stderr, all: stderr, failure });
    expect(
      gitProblem(
        result(
          'ERROR: Repository not found.\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.'
        )
      )
    ).toBe('ERROR: Repository not found.');
    expect(gitProblem(result('hint: something\nwarning: other\nlast words'))).toBe('last words');
    expect(gitProblem(result('', null))).toBe('exit code 128');
    expect(gitProblem(result('', 'Command timed out after 5 milliseconds'))).toBe('Command timed out after 5 milliseconds');
  });

  it('rejects a ref that git would read as an option', async () => {
    await withPair({}, async (pair) => {
      await expect(checkoutBase({ exec, repo: pair.checkout, ref: '--upload-pack=touch' })).rejects.toThrow(
        new UserError('base-ref "--upload-pack=touch": expected a branch, tag or commit SHA')
      );
      await expect(checkoutBase({ exec, repo: pair.checkout, ref: ' ' })).rejects.toThrow(UserError);
    });
  });
});

describe('checkoutBase in a complete clone', () => {
  it('uses origin/<branch> without fetching', async () => {
    await withPair({ shallow: false }, async (pair) => {
      const recorder = recordingExec();
      const base = await checkoutBase({ exec: recorder.exec, repo: pair.checkout, ref: 'main' });
      try {
        expect(base.sha).toBe(pair.baseSha);
        expect(recorder.calls.some((call) => call.args[0] === 'fetch')).toBe(false);
      } finally {
        await base.dispose();
      }
    });
  });

  it('fetches a commit pushed after the clone without making the clone shallow', async () => {
    await withPair({ shallow: false }, async (pair) => {
      // Someone else pushes to main after the clone was made.
      const other = join(pair.origin, '..', 'other');
      await git(pair.checkout, ['clone', '--quiet', '--branch', 'main', `file://${pair.origin}`, other]);
      await git(other, ['-c', 'user.name=Other', '-c', 'user.email=other@example.com', 'commit', '--quiet', '--allow-empty', '-m', 'later']);
      await git(other, ['push', '--quiet', 'origin', 'main']);
      const laterSha = await git(other, ['rev-parse', 'HEAD']);
      expect(await hasCommit(pair.checkout, laterSha)).toBe(false);

      const base = await checkoutBase({ exec, repo: pair.checkout, ref: laterSha });
      try {
        expect(base.sha).toBe(laterSha);
        expect(await git(pair.checkout, ['rev-parse', '--is-shallow-repository'])).toBe('false');
        expect(await git(pair.checkout, ['rev-list', '--count', laterSha])).toBe('2');
      } finally {
        await base.dispose();
      }
    });
  });
});

describe('BaseCheckout.dispose', () => {
  it('removes the worktree and its directory, and may be called again', async () => {
    await withPair({}, async (pair) => {
      const base = await checkoutBase({ exec, repo: pair.checkout, ref: pair.baseSha });
      expect(await worktreePaths(pair.checkout)).toEqual([pair.checkout, base.dir]);

      await base.dispose();
      expect(await worktreePaths(pair.checkout)).toEqual([pair.checkout]);
      expect(existsSync(base.dir)).toBe(false);

      await expect(base.dispose()).resolves.toBeUndefined();
      expect(await worktreePaths(pair.checkout)).toEqual([pair.checkout]);
    });
  });

  it('cleans up the temporary directory when git cannot add the worktree', async () => {
    await withPair({}, async (pair) => {
      let worktreeDir = '';
      // A non-empty target directory makes the real `git worktree add` fail.
      const obstructingExec: Exec = async (file, args, options) => {
        if (args[0] === 'worktree' && args[1] === 'add') {
          worktreeDir = args[3]!;
          await writeFile(join(worktreeDir, 'in-the-way'), '');
        }
        return exec(file, args, options);
      };
      await expect(checkoutBase({ exec: obstructingExec, repo: pair.checkout, ref: pair.baseSha })).rejects.toThrow(
        /^base-ref "[0-9a-f]{40}": could not check out [0-9a-f]{40} in a worktree \(git: fatal: .*already exists/
      );
      expect(worktreeDir).not.toBe('');
      expect(existsSync(worktreeDir)).toBe(false);
      expect(await worktreePaths(pair.checkout)).toEqual([pair.checkout]);
    });
  });
});

describe('repoRoot', () => {
  it('finds the top of the repository from a subdirectory', async () => {
    await withPair({}, async (pair) => {
      const sub = join(pair.checkout, 'app');
      await mkdir(sub, { recursive: true });
      expect(await repoRoot(exec, sub)).toBe(pair.checkout);
    });
  });

  it('gives a UserError outside a repository', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'footprint-norepo-'));
    try {
      await expect(repoRoot(exec, dir)).rejects.toThrow(new RegExp(`^"${dir}" is not inside a git repository \\(git: fatal: not a git repository`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
