/**
 * The build-input digest with the real Docker engine and real git checkouts: a
 * base image is resolved to the local engine's image id, so a tag that moves to
 * another image changes the digest and moving it back restores it; a git
 * worktree of the same commit gives the same digest as the checkout, one of
 * another commit does not.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createBaseResolver } from '../../src/baseline/base-images.js';
import { digestBuildInputs, type BuildInputDigest } from '../../src/baseline/digest.js';
import { createDockerEngine, type Engine } from '../../src/build/engine.js';
import type { Target } from '../../src/discover/target.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { exec } from '../../src/exec.js';
import { TEST_BASE, TEST_FAT_BASE, makeBuildDir } from '../support/engine.js';
import { createRepoPair, git, type RepoPair } from '../support/git-fixture.js';
import { testTarget } from '../support/targets.js';

/** A base image name only this run uses: the tests move it between the two local test images. */
const BASE = `footprint-test/digest-base-${process.pid}:1`;

let engine: Engine;
let folder: string;
/** References the registry was asked about: none, every base here is local. */
const registryAsked: string[] = [];

function targetOf(overrides: Partial<Target> = {}): Target {
  return testTarget({ name: 'app', ...overrides });
}

async function docker(args: string[]): Promise<string> {
  const result = await exec('docker', args);
  if (result.exitCode !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.all}`);
  return result.stdout.trim();
}

/** The digest as one run of the pipeline takes it: a fresh resolver (answers are cached per run). */
async function digestOf(root: string, target: Target = targetOf()): Promise<BuildInputDigest> {
  const resolveBase = createBaseResolver({
    engine,
    registry: {
      manifestDigest: (ref) => {
        registryAsked.push(ref);
        return Promise.resolve(null);
      }
    }
  });
  const text = await readFile(join(root, target.dockerfile!), 'utf8');
  const dockerfile = parseDockerfile(text, { buildArgs: target.buildArgs, target: target.target });
  return digestBuildInputs({ root, target, dockerfile, builder: engine.builder, resolveBase });
}

beforeAll(async () => {
  engine = await createDockerEngine({ exec });
  await docker(['tag', TEST_BASE, BASE]);
  folder = await makeBuildDir({ Dockerfile: `FROM ${BASE}\nCOPY app.txt /app.txt\n`, 'app.txt': 'hello\n' });
});

afterAll(async () => {
  // Only this run's tag: the images stay under their own names.
  await exec('docker', ['image', 'rm', '--', BASE]);
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('a base image from the local engine', () => {
  test('a tag moved to another image changes the digest; moved back, the digest is the first again', async () => {
    const first = await digestOf(folder);
    expect(first.unknown).toBeNull();
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.files).toBe(2);

    await docker(['tag', TEST_FAT_BASE, BASE]);
    const moved = await digestOf(folder);
    expect(moved.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(moved.digest).not.toBe(first.digest);

    await docker(['tag', TEST_BASE, BASE]);
    expect(await digestOf(folder)).toEqual(first);
    expect(registryAsked).toEqual([]);
  });

  test("the resolver answers with the engine's image id", async () => {
    const resolve = createBaseResolver({ engine, registry: { manifestDigest: () => Promise.resolve(null) } });
    expect(await resolve(BASE, null)).toBe(await docker(['image', 'inspect', '--format', '{{.Id}}', '--', TEST_BASE]));
    expect(await resolve(`footprint-test/no-such-image-${process.pid}:1`, null)).toBeNull();
  });

  test('an image neither the engine nor the registry knows makes the digest unknown', async () => {
    const missing = `footprint-test/no-such-image-${process.pid}:1`;
    const root = await makeBuildDir({ Dockerfile: `FROM ${missing}\n` });
    try {
      const result = await digestOf(root);
      expect(result.digest).toBeNull();
      expect(result.unknown).toBe(`base image ${missing} could not be resolved (not in the local engine, not in its registry)`);
      expect(registryAsked).toContain(missing);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('two checkouts of one commit', () => {
  let pair: RepoPair;

  beforeAll(async () => {
    pair = await createRepoPair({
      base: {
        'svc/Dockerfile': `FROM ${TEST_BASE}\nCOPY . /srv\n`,
        'svc/app.sh': '#!/bin/sh\necho base\n',
        'svc/link': { symlink: 'app.sh' },
        'README.md': '# repo\n'
      },
      head: { 'svc/app.sh': '#!/bin/sh\necho head\n' },
      shallow: false
    });
  });

  afterAll(async () => {
    await pair?.cleanup();
  });

  test('a git worktree of the same commit gives the same digest; one of another commit a different one', async () => {
    const top = dirname(pair.checkout);
    await git(pair.checkout, ['worktree', 'add', '--quiet', '--detach', join(top, 'same'), pair.headSha]);
    await git(pair.checkout, ['worktree', 'add', '--quiet', '--detach', join(top, 'base'), pair.baseSha]);
    for (const target of [targetOf({ dockerfile: 'svc/Dockerfile', context: 'svc' }), targetOf({ dockerfile: 'svc/Dockerfile', context: '.' })]) {
      const checkout = await digestOf(pair.checkout, target);
      expect(checkout.unknown).toBeNull();
      // The context at the top holds .git: a folder in the checkout, a file in the worktree.
      expect(await digestOf(join(top, 'same'), target)).toEqual(checkout);
      const base = await digestOf(join(top, 'base'), target);
      expect(base.digest).not.toBeNull();
      expect(base.digest).not.toBe(checkout.digest);
    }
  });
});
