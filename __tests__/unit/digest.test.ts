/**
 * The build-input digest on real folders (no Docker): two copies of one tree agree;
 * every change a build could see (content, mode, a new folder, a symlink's target, a
 * build setting, a base image) changes it; what the .dockerignore leaves out and the
 * repository's .git do not; what cannot be known makes it unknown, with the reason.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createBaseResolver } from '../../src/baseline/base-images.js';
import { digestBuildInputs, type BaseResolver, type BuildInputDigest } from '../../src/baseline/digest.js';
import type { Target } from '../../src/discover/target.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { testTarget } from '../support/targets.js';

/** A tree: path → file content, `{ link }` for a symlink, `{ folder: true }` for an (empty) folder. */
type Tree = Record<string, string | { link: string } | { folder: true }>;

const folders: string[] = [];

afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'footprint-digest-'));
  folders.push(folder);
  return folder;
}

async function writeTree(root: string, tree: Tree): Promise<void> {
  for (const [path, what] of Object.entries(tree)) {
    const absolute = join(root, path);
    await mkdir(dirname(absolute), { recursive: true });
    if (typeof what === 'string') await writeFile(absolute, what);
    else if ('link' in what) await symlink(what.link, absolute);
    else await mkdir(absolute, { recursive: true });
  }
}

async function makeTree(tree: Tree): Promise<string> {
  const root = await tempFolder();
  await writeTree(root, tree);
  return root;
}

/** A copy of the folder elsewhere: files, modes and symlinks as they are. */
async function copyOf(root: string): Promise<string> {
  const copy = await tempFolder();
  await cp(root, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

function targetOf(overrides: Partial<Target> = {}): Target {
  return testTarget({ name: 'app', ...overrides });
}

/** Never asked: the Dockerfile names no base image (FROM scratch). */
const noBases: BaseResolver = (ref) => Promise.reject(new Error(`no base image expected, asked for ${ref}`));

interface DigestCall {
  target?: Partial<Target>;
  builder?: string;
  resolveBase?: BaseResolver;
}

/** Digests `root` as the pipeline does: the Dockerfile parsed with the build's args and target. */
async function digestOf(root: string, call: DigestCall = {}): Promise<BuildInputDigest> {
  const target = targetOf(call.target);
  const text = target.dockerfile === null ? null : await readFile(join(root, target.dockerfile), 'utf8').catch(() => null);
  const dockerfile = text === null ? null : parseDockerfile(text, { buildArgs: target.buildArgs, target: target.target });
  return digestBuildInputs({ root, target, dockerfile, builder: call.builder ?? 'buildx', resolveBase: call.resolveBase ?? noBases });
}

async function known(root: string, call: DigestCall = {}): Promise<string> {
  const result = await digestOf(root, call);
  expect(result.unknown).toBeNull();
  expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  return result.digest!;
}

const SCRATCH = 'FROM scratch\nCOPY . /app\n';

const APP: Tree = {
  Dockerfile: SCRATCH,
  'src/main.py': 'print("hello")\n',
  'src/util/strings.py': 'def shout(text):\n    return text.upper()\n',
  'bin/run.sh': '#!/bin/sh\nexec python /app/src/main.py\n',
  'docs/guide.md': '# Guide\n',
  'current-docs': { link: 'docs' },
  'assets/logo.bin': 'x'.repeat(3 * 1024 * 1024 + 17)
};

describe('digestBuildInputs: the same inputs', () => {
  test('a copy of the tree elsewhere has the same digest, and counts the same files and bytes', async () => {
    const root = await makeTree(APP);
    const first = await digestOf(root);
    const second = await digestOf(await copyOf(root));
    expect(second).toEqual(first);
    expect(first.files).toBe(6);
    expect(first.bytes).toBe(
      Object.values(APP)
        .filter((what): what is string => typeof what === 'string')
        .reduce((sum, text) => sum + Buffer.byteLength(text), 0)
    );
  });

  test('is independent of the order files and folders were made in (property)', async () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd', 'B', 'a.txt', 'a-b', 'é', 'z');
    const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
    const trees = fc.uniqueArray(fc.tuple(path, fc.string({ maxLength: 40 })), { minLength: 1, maxLength: 12, selector: ([p]) => p });
    await fc.assert(
      fc.asyncProperty(trees, fc.func(fc.integer()), async (entries, rank) => {
        // No path may be both a file and the folder of another.
        const files = entries.filter(([p]) => !entries.some(([other]) => other.startsWith(`${p}/`)));
        const shuffled = [...files].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1));
        const one = await makeTree({ Dockerfile: SCRATCH, ...Object.fromEntries(files) });
        const other = await makeTree({ ...Object.fromEntries(shuffled.reverse()), Dockerfile: SCRATCH });
        expect(await known(other)).toBe(await known(one));
      }),
      { numRuns: 15 }
    );
  });

  test('a change to a file the .dockerignore leaves out changes nothing', async () => {
    const root = await makeTree({ ...APP, '.dockerignore': 'docs\n*.md\nsrc/**/*.log\n', 'src/debug.log': 'one', 'notes.md': 'a' });
    const before = await known(root);
    await writeFile(join(root, 'docs/guide.md'), '# Guide, rewritten\n');
    await writeFile(join(root, 'src/debug.log'), 'two');
    await writeFile(join(root, 'notes.md'), 'b');
    await writeTree(root, { 'docs/new/page.md': 'new' });
    expect(await known(root)).toBe(before);
    // What it lets through still counts.
    await writeFile(join(root, 'src/main.py'), 'print("changed")\n');
    expect(await known(root)).not.toBe(before);
  });

  test("the repository's .git at the top of the context is left out, a folder or a worktree's file", async () => {
    const root = await makeTree({ ...APP, '.git/HEAD': 'ref: refs/heads/main\n', '.git/objects/ab/cdef': 'blob' });
    const before = await known(root);
    await writeFile(join(root, '.git/HEAD'), 'ref: refs/heads/feature\n');
    await writeTree(root, { '.git/objects/12/3456': 'another blob' });
    expect(await known(root)).toBe(before);
    // A worktree: .git is a file naming the real git folder.
    await rm(join(root, '.git'), { recursive: true });
    await writeFile(join(root, '.git'), 'gitdir: /somewhere/else/.git/worktrees/copy\n');
    expect(await known(root)).toBe(before);
  });

  test('a .git below the top of the context is ordinary content', async () => {
    const root = await makeTree({ ...APP, 'vendor/lib/.git': 'gitdir: ../../.git/modules/lib\n' });
    const before = await known(root);
    await writeFile(join(root, 'vendor/lib/.git'), 'gitdir: elsewhere\n');
    expect(await known(root)).not.toBe(before);
  });

  test('a .git in a context below the repository top is content too', async () => {
    const root = await makeTree({ Dockerfile: SCRATCH, 'svc/.git': 'x', 'svc/app.py': 'a' });
    const call = { target: { dockerfile: 'Dockerfile', context: 'svc' } };
    const before = await known(root, call);
    await writeFile(join(root, 'svc/.git'), 'y');
    expect(await known(root, call)).not.toBe(before);
  });
});

describe('digestBuildInputs: a change the build can see', () => {
  const changes: Array<[string, (root: string) => Promise<void>]> = [
    ['a file content', (root) => writeFile(join(root, 'src/main.py'), 'print("bye")\n')],
    ['one byte of a big file', (root) => writeFile(join(root, 'assets/logo.bin'), `${'x'.repeat(3 * 1024 * 1024 + 16)}y`)],
    ['a mode (chmod +x)', (root) => chmod(join(root, 'src/main.py'), 0o755)],
    ['a folder mode', (root) => chmod(join(root, 'src/util'), 0o700)],
    ['a new empty folder', (root) => mkdir(join(root, 'src/empty'))],
    ['a new empty file', (root) => writeFile(join(root, 'src/__init__.py'), '')],
    ['a deleted file', (root) => unlink(join(root, 'docs/guide.md'))],
    ['a renamed file', (root) => cp(join(root, 'docs/guide.md'), join(root, 'docs/guide2.md')).then(() => unlink(join(root, 'docs/guide.md')))],
    ['a symlink target', (root) => unlink(join(root, 'current-docs')).then(() => symlink('src', join(root, 'current-docs')))],
    ['a symlink made a folder', (root) => unlink(join(root, 'current-docs')).then(() => mkdir(join(root, 'current-docs')))],
    ['the Dockerfile', (root) => writeFile(join(root, 'Dockerfile'), `${SCRATCH}ENV A=1\n`)],
    ['a new .dockerignore that leaves nothing out', (root) => writeFile(join(root, '.dockerignore'), '# nothing\n')]
  ];

  test.each(changes)('%s changes the digest', async (_name, change) => {
    const root = await makeTree(APP);
    const before = await known(root);
    await change(root);
    expect(await known(root)).not.toBe(before);
  });

  test('a file the content of another, or a link to it, differ', async () => {
    const asFile = await makeTree({ Dockerfile: SCRATCH, a: 'same', b: 'a' });
    const asLink = await makeTree({ Dockerfile: SCRATCH, a: 'same', b: { link: 'a' } });
    expect(await known(asFile)).not.toBe(await known(asLink));
  });

  test('build args, target, platform and builder each change the digest', async () => {
    const root = await makeTree({ ...APP, Dockerfile: 'FROM scratch AS base\nCOPY . /app\nFROM base AS final\n' });
    const digests = await Promise.all([
      known(root),
      known(root, { target: { buildArgs: { VERSION: '1' } } }),
      known(root, { target: { buildArgs: { VERSION: '2' } } }),
      known(root, { target: { buildArgs: { VERSION: '1', OTHER: '' } } }),
      known(root, { target: { target: 'base' } }),
      known(root, { target: { platform: 'linux/arm64' } }),
      known(root, { builder: 'docker build' })
    ]);
    expect(new Set(digests).size).toBe(digests.length);
    // Build args are sorted by name: the order they were given in does not matter.
    expect(await known(root, { target: { buildArgs: { B: '2', A: '1' } } })).toBe(await known(root, { target: { buildArgs: { A: '1', B: '2' } } }));
  });

  test('a file the Dockerfile does not COPY still counts: the whole context is an input', async () => {
    const root = await makeTree({ Dockerfile: 'FROM scratch\nCOPY src /src\n', 'src/a': 'a', 'other/b': 'b' });
    const before = await known(root);
    await writeFile(join(root, 'other/b'), 'c');
    expect(await known(root)).not.toBe(before);
  });
});

describe('digestBuildInputs: .dockerignore as Docker reads it', () => {
  test('a ! exception lets a file below an ignored folder through: a change to it counts, to its neighbours not', async () => {
    const root = await makeTree({
      ...APP,
      '.dockerignore': 'vendor\n!vendor/keep/kept.txt\n',
      'vendor/keep/kept.txt': 'one',
      'vendor/keep/other.txt': 'one',
      'vendor/drop/file.txt': 'one'
    });
    const before = await digestOf(root);
    await writeFile(join(root, 'vendor/drop/file.txt'), 'two');
    await writeFile(join(root, 'vendor/keep/other.txt'), 'two');
    expect((await digestOf(root)).digest).toBe(before.digest);
    await writeFile(join(root, 'vendor/keep/kept.txt'), 'two');
    const after = await digestOf(root);
    expect(after.digest).not.toBe(before.digest);
    expect(after.files).toBe(before.files);
  });

  test('a wildcard exception reaches into an ignored folder', async () => {
    const root = await makeTree({
      ...APP,
      '.dockerignore': 'node_modules\n!**/*.node\n',
      'node_modules/a/b/native.node': '1',
      'node_modules/a/b/x.js': '1'
    });
    const before = await known(root);
    await writeFile(join(root, 'node_modules/a/b/x.js'), '2');
    expect(await known(root)).toBe(before);
    await writeFile(join(root, 'node_modules/a/b/native.node'), '2');
    expect(await known(root)).not.toBe(before);
  });

  test('patterns are matched as Docker matches them: ** across folders, * within one, case-sensitive, parents', async () => {
    const root = await makeTree({
      ...APP,
      '.dockerignore': '# a comment\n**/*.tmp\nsrc/*.py\n/docs/\nCache\n',
      'a/b/c/x.tmp': '1',
      'src/util/deep.py': '1',
      'docs/inner/page.md': '1',
      cache: '1'
    });
    const before = await known(root);
    // Ignored: any *.tmp, a *.py right in src/, anything below docs/.
    await writeFile(join(root, 'a/b/c/x.tmp'), '2');
    await writeFile(join(root, 'src/main.py'), '2');
    await writeFile(join(root, 'docs/inner/page.md'), '2');
    expect(await known(root)).toBe(before);
    // Not ignored: a *.py one folder deeper, and `cache` (the pattern says `Cache`).
    await writeFile(join(root, 'src/util/deep.py'), '2');
    const deeper = await known(root);
    expect(deeper).not.toBe(before);
    await writeFile(join(root, 'cache'), '2');
    expect(await known(root)).not.toBe(deeper);
  });

  test('Dockerfile.dockerignore next to the Dockerfile wins over the context .dockerignore', async () => {
    const root = await makeTree({
      'api/Dockerfile': SCRATCH,
      'api/Dockerfile.dockerignore': 'secret.txt\n',
      '.dockerignore': 'public.txt\n',
      'secret.txt': '1',
      'public.txt': '1'
    });
    const call = { target: { dockerfile: 'api/Dockerfile', context: '.' } };
    const before = await known(root, call);
    await writeFile(join(root, 'secret.txt'), '2');
    expect(await known(root, call)).toBe(before);
    await writeFile(join(root, 'public.txt'), '2');
    const changed = await known(root, call);
    expect(changed).not.toBe(before);
    // The context's .dockerignore is not in force, so its text does not count either (only as a context file it does).
    await writeFile(join(root, 'api/Dockerfile.dockerignore'), 'secret.txt\n# edited\n');
    expect(await known(root, call)).not.toBe(changed);
  });

  test('without Dockerfile.dockerignore the context .dockerignore is read', async () => {
    const root = await makeTree({ 'api/Dockerfile': SCRATCH, '.dockerignore': 'public.txt\n', 'public.txt': '1' });
    const call = { target: { dockerfile: 'api/Dockerfile', context: '.' } };
    const before = await known(root, call);
    await writeFile(join(root, 'public.txt'), '2');
    expect(await known(root, call)).toBe(before);
  });
});

describe('digestBuildInputs: base images', () => {
  function recorder(answers: Record<string, string | null>): BaseResolver & { asked: Array<[string, string | null]> } {
    const asked: Array<[string, string | null]> = [];
    const resolve = (ref: string, platform: string | null): Promise<string | null> => {
      asked.push([ref, platform]);
      return Promise.resolve(Object.hasOwn(answers, ref) ? answers[ref]! : null);
    };
    return Object.assign(resolve, { asked });
  }

  const MULTI = [
    'FROM python:3.12 AS builder',
    'RUN --mount=type=cache,target=/root/.cache --mount=type=bind,from=tools:1,source=/bin/x,target=/x x',
    'FROM builder AS tested',
    'COPY --from=othername:tag /a /a',
    'COPY --from=builder /b /b',
    'COPY --from=0 /c /c',
    'FROM scratch',
    'COPY --from=tested /d /d',
    ''
  ].join('\n');

  test('FROM, COPY --from and RUN --mount=from= images count; stages and scratch do not', async () => {
    const root = await makeTree({ Dockerfile: MULTI, 'a.txt': 'a' });
    const resolver = recorder({ 'python:3.12': 'sha256:1', 'othername:tag': 'sha256:2', 'tools:1': 'sha256:3' });
    const before = await known(root, { resolveBase: resolver, target: { platform: 'linux/arm64' } });
    expect(resolver.asked.sort()).toEqual([
      ['othername:tag', 'linux/arm64'],
      ['python:3.12', 'linux/arm64'],
      ['tools:1', 'linux/arm64']
    ]);
    for (const ref of ['python:3.12', 'othername:tag', 'tools:1']) {
      const moved = recorder({ 'python:3.12': 'sha256:1', 'othername:tag': 'sha256:2', 'tools:1': 'sha256:3', [ref]: 'sha256:moved' });
      expect(await known(root, { resolveBase: moved, target: { platform: 'linux/arm64' } })).not.toBe(before);
    }
  });

  test('FROM scratch needs no resolver call', async () => {
    const root = await makeTree({ Dockerfile: 'FROM scratch\nCOPY a.txt /\n', 'a.txt': 'a' });
    const resolver = recorder({});
    await known(root, { resolveBase: resolver });
    expect(resolver.asked).toEqual([]);
  });

  test('a FROM --platform is asked for as written; $BUILDPLATFORM means the default, $TARGETPLATFORM the build’s', async () => {
    const root = await makeTree({
      Dockerfile:
        'FROM --platform=$BUILDPLATFORM golang:1 AS build\nFROM --platform=linux/s390x alpine:3 AS other\nFROM --platform=${TARGETPLATFORM} busybox:1\n'
    });
    const resolver = recorder({ 'golang:1': 'sha256:1', 'alpine:3': 'sha256:2', 'busybox:1': 'sha256:3' });
    await known(root, { resolveBase: resolver, target: { platform: 'linux/arm64' } });
    expect(resolver.asked).toEqual([
      ['golang:1', null],
      ['alpine:3', 'linux/s390x'],
      ['busybox:1', 'linux/arm64']
    ]);
  });

  test('the frontend a # syntax= directive names counts', async () => {
    const root = await makeTree({ Dockerfile: '# syntax=docker/dockerfile:1\nFROM scratch\n' });
    const resolver = recorder({ 'docker/dockerfile:1': 'sha256:1' });
    const before = await known(root, { resolveBase: resolver });
    expect(resolver.asked).toEqual([['docker/dockerfile:1', null]]);
    expect(await known(root, { resolveBase: recorder({ 'docker/dockerfile:1': 'sha256:2' }) })).not.toBe(before);
  });

  test('a base image that cannot be resolved makes the digest unknown, naming it, without reading the context', async () => {
    const root = await makeTree({ Dockerfile: 'FROM python:3.12\nCOPY --from=private.example/tools:1 /x /x\n', 'a.txt': 'a' });
    const result = await digestOf(root, { resolveBase: recorder({ 'python:3.12': 'sha256:1' }) });
    expect(result).toEqual({
      digest: null,
      unknown: 'base image private.example/tools:1 could not be resolved (not in the local engine, not in its registry)',
      files: 0,
      bytes: 0
    });
  });

  test('the build args reach FROM: another base image, another digest', async () => {
    const root = await makeTree({ Dockerfile: 'ARG PY=3.12\nFROM python:${PY}\n' });
    const resolver = recorder({ 'python:3.12': 'sha256:1', 'python:3.13': 'sha256:2' });
    const default_ = await known(root, { resolveBase: resolver });
    const other = await known(root, { resolveBase: resolver, target: { buildArgs: { PY: '3.13' } } });
    expect(other).not.toBe(default_);
    expect(resolver.asked.map(([ref]) => ref)).toEqual(['python:3.12', 'python:3.13']);
  });
});

describe('digestBuildInputs: what cannot be known', () => {
  test('an image given by reference, or a refused target, has no digest', async () => {
    const root = await makeTree(APP);
    const given = await digestOf(root, { target: { dockerfile: null, context: null, image: 'app:1' } });
    expect(given).toEqual({ digest: null, unknown: 'the image is given by reference, not built from a Dockerfile', files: 0, bytes: 0 });
    const refused = await digestOf(root, { target: { refused: 'context . leads out of the repository through a symlink' } });
    expect(refused.digest).toBeNull();
    expect(refused.unknown).toBe('the image is not built: context . leads out of the repository through a symlink');
  });

  test('a missing Dockerfile or context names it', async () => {
    const root = await makeTree(APP);
    const noDockerfile = await digestOf(root, { target: { dockerfile: 'nope/Dockerfile' } });
    expect(noDockerfile.digest).toBeNull();
    expect(noDockerfile.unknown).toMatch(/^Dockerfile nope\/Dockerfile could not be read: .*ENOENT/);
    const noContext = await digestOf(root, { target: { context: 'nowhere' } });
    expect(noContext).toMatchObject({ digest: null, unknown: 'build context nowhere is not a folder' });
  });

  test('an ADD of a remote URL without --checksum makes it unknown; with one it is known', async () => {
    const root = await makeTree({ Dockerfile: 'FROM scratch\nADD https://example.com/tool.tgz /tool.tgz\n' });
    expect((await digestOf(root)).unknown).toBe('Dockerfile Dockerfile line 2 ADDs a remote URL without --checksum, whose content may change');
    await writeFile(join(root, 'Dockerfile'), `FROM scratch\nADD --checksum=sha256:${'0'.repeat(64)} https://example.com/tool.tgz /tool.tgz\n`);
    await known(root);
  });

  test('a file that cannot be read names it: here one whose name is not UTF-8, which no string can open', async () => {
    const root = await makeTree({ Dockerfile: SCRATCH, 'sub/a.txt': 'a' });
    // A dangling symlink is fine: links are never followed.
    await symlink('nowhere', join(root, 'sub/dangling'));
    await known(root);
    await writeFile(Buffer.concat([Buffer.from(`${root}/sub/bad-`), Buffer.from([0xff])]), 'x');
    const result = await digestOf(root);
    expect(result.digest).toBeNull();
    expect(result.unknown).toBe('file sub/bad-\ufffd could not be read: ENOENT');
  });
});

describe('createBaseResolver', () => {
  test('the local image id first, else the registry manifest digest for the platform; each asked once', async () => {
    const inspected: string[] = [];
    const asked: string[] = [];
    const resolve = createBaseResolver({
      engine: {
        inspect: (ref) => {
          inspected.push(ref);
          return ref === 'local:1' ? Promise.resolve({ id: 'sha256:local', bytes: 1 }) : Promise.reject(new Error(`image ${ref} not found`));
        }
      },
      registry: {
        manifestDigest: (ref, platform) => {
          asked.push(`${ref} ${platform}`);
          return Promise.resolve(ref === 'remote:1' ? `sha256:remote-${platform}` : null);
        }
      },
      defaultPlatform: 'linux/amd64'
    });
    expect(await resolve('local:1', null)).toBe('sha256:local');
    expect(await resolve('remote:1', null)).toBe('sha256:remote-linux/amd64');
    expect(await resolve('remote:1', 'linux/arm64')).toBe('sha256:remote-linux/arm64');
    expect(await resolve('missing:1', null)).toBeNull();
    await Promise.all([resolve('local:1', null), resolve('remote:1', 'linux/amd64'), resolve('missing:1', null)]);
    expect(inspected).toEqual(['local:1', 'remote:1', 'remote:1', 'missing:1']);
    expect(asked).toEqual(['remote:1 linux/amd64', 'remote:1 linux/arm64', 'missing:1 linux/amd64']);
  });

  test('a registry that throws is taken for one that does not know the image', async () => {
    const resolve = createBaseResolver({
      engine: { inspect: () => Promise.reject(new Error('no engine')) },
      registry: { manifestDigest: () => Promise.reject(new Error('boom')) }
    });
    expect(await resolve('python:3.12', null)).toBeNull();
  });
});
