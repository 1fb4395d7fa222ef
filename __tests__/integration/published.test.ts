/**
 * Published base images (config `base-image`) through the real pipeline: the real Docker
 * engine, a real registry on 127.0.0.1 the base branch's images are pushed to, and real git
 * (a shallow clone of the PR branch). With every image's base side published, nothing of
 * the base commit is checked out or built; an image whose published image cannot be pulled
 * is built from the base commit in a worktree instead.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createDockerEngine, type BuildRequest, type Engine } from '../../src/build/engine.js';
import { parseConfig } from '../../src/config/load.js';
import { exec, type Exec } from '../../src/exec.js';
import { noLimits } from '../../src/limits/index.js';
import type { ImageReport, Report } from '../../src/model/report.js';
import { runPipeline, type BaselineMode } from '../../src/pipeline.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { imageExists, makeBuildDir, TEST_BASE } from '../support/engine.js';
import { createRepoPair, git, type FileChanges, type RepoPair } from '../support/git-fixture.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';

const RUN = `published-${process.pid}`;

/** File sizes on the base branch, and what the PR adds: the uncompressed size is the sum of file bytes, so deltas are exact. */
const API_BYTES = 3000;
const API_GROWTH = 1234;
const WEB_BYTES = 5000;
const WEB_GROWTH = 777;

const BASE_FILES = {
  'api/Dockerfile': `FROM ${TEST_BASE}\nCOPY data.bin /api.bin\n`,
  'api/data.bin': 'a'.repeat(API_BYTES),
  'web/Dockerfile': `FROM ${TEST_BASE}\nCOPY data.bin /web.bin\n`,
  'web/data.bin': 'w'.repeat(WEB_BYTES)
} satisfies FileChanges;

/** The PR grows api only. */
const GROW_API: FileChanges = { 'api/data.bin': 'a'.repeat(API_BYTES + API_GROWTH) };
/** The PR grows both. */
const GROW_BOTH: FileChanges = { ...GROW_API, 'web/data.bin': 'w'.repeat(WEB_BYTES + WEB_GROWTH) };

/** Never asked anything that matters here: base-image advice is not under test. */
const noRegistry: RegistryClient = {
  exists: () => Promise.resolve(null),
  compressedSize: () => Promise.resolve(null),
  manifestDigest: () => Promise.resolve(null)
};

let registry: LocalRegistry;
let engine: Engine;
/** Repo pairs: PR grows api only / grows both. */
let apiPair: RepoPair;
let bothPair: RepoPair;
/** Every reference pushed, for cleanup. */
const pushed: string[] = [];

async function docker(args: string[]): Promise<string> {
  const result = await exec('docker', args);
  if (result.exitCode !== 0 || result.failure !== null) {
    throw new Error(`docker ${args.join(' ')} failed (${result.failure ?? `exit code ${result.exitCode}`}):\n${result.all.slice(-3000)}`);
  }
  return result.stdout;
}

/** Builds image `name` from the base branch's files, pushes it as `ref` and removes it from the engine again. */
async function publish(name: 'api' | 'web', ref: string): Promise<void> {
  const folder = await makeBuildDir({ Dockerfile: BASE_FILES[`${name}/Dockerfile`], 'data.bin': BASE_FILES[`${name}/data.bin`] });
  try {
    const request: BuildRequest = { dockerfile: join(folder, 'Dockerfile'), context: folder, tag: ref, target: null, buildArgs: {}, platform: null };
    const result = await engine.build(request);
    if (!result.ok) throw new Error(`building ${ref} failed: ${result.message}\n${result.log.slice(-3000)}`);
    pushed.push(ref);
    await docker(['push', '--', ref]);
    await docker(['image', 'rm', '--', ref]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

interface Outcome {
  report: Report;
  /** Absolute paths of the Dockerfiles the engine built, in order. */
  built: string[];
  /** References the engine pulled. */
  pulled: string[];
  /** `git worktree add` calls. */
  worktrees: string[][];
  byName: Record<string, ImageReport>;
}

let runs = 0;

/** Runs the real pipeline in the pair's clone with this config, recording builds, pulls and worktrees. */
async function runWith(pair: RepoPair, configText: string, options: { baseline: BaselineMode; baseRef: string }): Promise<Outcome> {
  const built: string[] = [];
  const pulled: string[] = [];
  const worktrees: string[][] = [];
  const recordingEngine: Engine = {
    ...engine,
    builder: engine.builder,
    build: (request) => (built.push(request.dockerfile), engine.build(request)),
    pull: (ref, platform) => (pulled.push(ref), engine.pull(ref, platform))
  };
  const recordingExec: Exec = (file, args, execOptions) => {
    if (file === 'git' && args[0] === 'worktree' && args[1] === 'add') worktrees.push([...args]);
    return exec(file, args, execOptions);
  };
  const root = pair.checkout;
  const report = await runPipeline(
    {
      repo: root,
      root,
      inputs: {
        dockerfiles: ['**/Dockerfile'],
        settings: { ...noLimits(), metric: null, buildArgs: {}, target: null, platform: null },
        verify: null,
        compressedSize: false,
        baseRef: options.baseRef,
        baseline: options.baseline,
        baseBranch: pair.baseBranch,
        images: []
      },
      config: parseConfig(configText, '.github/footprint.yml'),
      runId: `${RUN}-${++runs}`
    },
    { engine: recordingEngine, exec: recordingExec, registry: noRegistry, log: { info: () => undefined, warning: () => undefined } }
  );
  return { report, built, pulled, worktrees, byName: Object.fromEntries(report.images.map((image) => [image.name, image])) };
}

/** The config: both images by name, with `top` as the top-level base-image and optional per-image ones. */
function configOf(top: string | null, perImage: Partial<Record<'api' | 'web', string>> = {}): string {
  const entry = (name: 'api' | 'web') => [
    `  ${name}:`,
    `    dockerfile: ${name}/Dockerfile`,
    ...(perImage[name] ? [`    base-image: ${JSON.stringify(perImage[name])}`] : [])
  ];
  return [...(top ? [`base-image: ${JSON.stringify(top)}`] : []), 'images:', ...entry('api'), ...entry('web'), ''].join('\n');
}

/** Each image's size, base and delta must add up, and match the files' bytes. */
function expectDeltas(outcome: Outcome, growth: { api: number; web: number }): void {
  const { api, web } = outcome.byName;
  for (const [image, grown] of [
    [api, growth.api],
    [web, growth.web]
  ] as const) {
    expect(image).toMatchObject({ error: null, baseError: null, comparison: grown === 0 ? 'unchanged' : 'changed' });
    expect(image?.delta?.bytes).toBe(grown);
    expect(image?.size?.bytes).toBe((image?.base?.bytes ?? NaN) + grown);
  }
  // The two base sides differ only in their own file.
  expect((web?.base?.bytes ?? NaN) - (api?.base?.bytes ?? NaN)).toBe(WEB_BYTES - API_BYTES);
  expect(outcome.report.totals.deltaBytes).toBe(growth.api + growth.web);
}

beforeAll(async () => {
  engine = await createDockerEngine({ exec });
  registry = await startRegistry();
  apiPair = await createRepoPair({ base: BASE_FILES, head: GROW_API });
  bothPair = await createRepoPair({ base: BASE_FILES, head: GROW_BOTH });
  // Fixed commit dates: the same base files give the same base commit in both pairs.
  expect(bothPair.baseSha).toBe(apiPair.baseSha);
  const reg = registry.address;
  await publish('api', `${reg}/acme/api:main`);
  await publish('web', `${reg}/acme/web:main`);
  // Only api is published here: web's pull fails.
  await publish('api', `${reg}/partial/api:main`);
  // Tagged with the base commit's SHA.
  await publish('api', `${reg}/bysha/api:${apiPair.baseSha}`);
  for (const ref of pushed) expect(await imageExists(ref)).toBe(false);
});

afterAll(async () => {
  await registry?.stop();
  await apiPair?.cleanup();
  await bothPair?.cleanup();
  if (engine) {
    await engine.remove(pushed);
    // The pipeline removes its own tags; anything a failed run left behind goes too.
    const left = await exec('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=footprint-local/*:${RUN}-*`]);
    await engine.remove(left.stdout.split('\n').filter(Boolean));
  }
});

describe('every image has a published base image', () => {
  let outcome: Outcome;
  beforeAll(async () => {
    outcome = await runWith(apiPair, configOf(`${registry.address}/acme/{name}:{base-ref}`), { baseline: 'auto', baseRef: apiPair.baseSha });
  });

  test('the base side is read from the published images: only the PR images are built, and no worktree is made', async () => {
    expect(outcome.report.baseline).toEqual({ source: 'published', note: null, run: null });
    expect(outcome.report.base).toEqual({ ref: apiPair.baseSha, sha: apiPair.baseSha });
    expect(outcome.report.baseError).toBeNull();
    expect(outcome.built).toEqual([join(apiPair.checkout, 'api/Dockerfile'), join(apiPair.checkout, 'web/Dockerfile')]);
    expect(outcome.pulled.sort()).toEqual([`${registry.address}/acme/api:main`, `${registry.address}/acme/web:main`]);
    expect(outcome.worktrees).toEqual([]);
    expect((await git(apiPair.checkout, ['worktree', 'list', '--porcelain'])).match(/^worktree /gm)).toHaveLength(1);
  });

  test('api grows by exactly the bytes the PR added, web is unchanged', () => {
    expectDeltas(outcome, { api: API_GROWTH, web: 0 });
    for (const image of Object.values(outcome.byName)) expect(image.reused).toBeNull();
  });

  test('each image says which published image its base side is', () => {
    expect(outcome.byName.api?.reasons).toContain(`base side: the published image ${registry.address}/acme/api:main`);
    expect(outcome.byName.web?.reasons).toContain(`base side: the published image ${registry.address}/acme/web:main`);
  });

  test('the pulled images are removed from the engine again', async () => {
    expect(await imageExists(`${registry.address}/acme/api:main`)).toBe(false);
    expect(await imageExists(`${registry.address}/acme/web:main`)).toBe(false);
  });
});

describe('a published image the engine already had', () => {
  let outcome: Outcome;
  beforeAll(async () => {
    await docker(['pull', '--quiet', '--', `${registry.address}/acme/api:main`]);
    outcome = await runWith(apiPair, configOf(`${registry.address}/acme/{name}:{base-ref}`), { baseline: 'auto', baseRef: apiPair.baseSha });
  });
  afterAll(async () => {
    await engine.remove([`${registry.address}/acme/api:main`]);
  });

  test('is still used (pulled again: a tag moves) and kept; the one pulled only for the run is removed', async () => {
    expect(outcome.report.baseline.source).toBe('published');
    expect(outcome.pulled.sort()).toEqual([`${registry.address}/acme/api:main`, `${registry.address}/acme/web:main`]);
    expectDeltas(outcome, { api: API_GROWTH, web: 0 });
    expect(await imageExists(`${registry.address}/acme/api:main`)).toBe(true);
    expect(await imageExists(`${registry.address}/acme/web:main`)).toBe(false);
  });
});

describe("one image's published image is missing from the registry", () => {
  const template = () => `${registry.address}/partial/{name}:{base-ref}`;

  describe('and the PR does not change that image', () => {
    let outcome: Outcome;
    beforeAll(async () => {
      outcome = await runWith(apiPair, configOf(template()), { baseline: 'auto', baseRef: apiPair.baseSha });
    });

    test('the base commit is checked out in a worktree for web; api still uses its published image', () => {
      expect(outcome.report.baseline).toMatchObject({ source: 'build', run: null });
      expect(outcome.report.base).toEqual({ ref: apiPair.baseSha, sha: apiPair.baseSha });
      expect(outcome.worktrees).toHaveLength(1);
      expect(outcome.pulled.sort()).toEqual([`${registry.address}/partial/api:main`, `${registry.address}/partial/web:main`]);
      // web's build inputs are the same on both sides: its PR image stands for the base commit's, built once.
      expect(outcome.built).toEqual([join(apiPair.checkout, 'api/Dockerfile'), join(apiPair.checkout, 'web/Dockerfile')]);
      expect(outcome.byName.web?.reused).toBe('same-inputs');
      expect(outcome.byName.api?.reused).toBeNull();
    });

    test('the reasons say which image used the published one and why the other could not', () => {
      const reg = registry.address;
      expect(outcome.byName.api?.reasons).toContain(`base side: the published image ${reg}/partial/api:main`);
      const web = outcome.byName.web?.reasons.filter((reason) => reason.includes('published image')) ?? [];
      expect(web).toHaveLength(1);
      expect(web[0]).toMatch(
        new RegExp(`^base side built from the base commit: the published image ${escaped(`${reg}/partial/web:main`)} could not be pulled \\(.+\\)$`)
      );
    });

    test('the comparison is right for both', () => {
      expectDeltas(outcome, { api: API_GROWTH, web: 0 });
    });

    test('the pulled image is removed again, the worktree too', async () => {
      expect(await imageExists(`${registry.address}/partial/api:main`)).toBe(false);
      expect((await git(apiPair.checkout, ['worktree', 'list', '--porcelain'])).match(/^worktree /gm)).toHaveLength(1);
    });
  });

  describe('and the PR changes that image too', () => {
    let outcome: Outcome;
    beforeAll(async () => {
      outcome = await runWith(bothPair, configOf(template()), { baseline: 'auto', baseRef: bothPair.baseSha });
    });

    test("web is built from the base commit in the worktree; api's base side is still the published image", () => {
      expect(outcome.report.baseline).toMatchObject({ source: 'build', run: null });
      expect(outcome.worktrees).toHaveLength(1);
      const worktree = outcome.worktrees[0]!.find((arg) => arg.includes('footprint-base-')) as string;
      expect(outcome.built).toEqual([
        join(bothPair.checkout, 'api/Dockerfile'),
        join(bothPair.checkout, 'web/Dockerfile'),
        join(worktree, 'web/Dockerfile')
      ]);
      expect(outcome.byName.api?.reasons).toContain(`base side: the published image ${registry.address}/partial/api:main`);
      expect(outcome.byName.web?.reasons.join('\n')).toContain(`the published image ${registry.address}/partial/web:main could not be pulled (`);
      for (const image of Object.values(outcome.byName)) expect(image.reused).toBeNull();
    });

    test('both deltas are the bytes the PR added', () => {
      expectDeltas(outcome, { api: API_GROWTH, web: WEB_GROWTH });
    });
  });
});

describe('a template with {base-sha}', () => {
  let outcome: Outcome;
  beforeAll(async () => {
    // api's own entry names its image by the base commit; web takes the top level's, by the base branch.
    // The base ref is a branch name, so the SHA has to come from git (the shallow clone fetches it).
    const config = configOf(`${registry.address}/acme/{name}:{base-ref}`, { api: `${registry.address}/bysha/{name}:{base-sha}` });
    outcome = await runWith(apiPair, config, { baseline: 'auto', baseRef: 'main' });
  });

  test("fills in the base commit's SHA", () => {
    expect(outcome.pulled.sort()).toEqual([`${registry.address}/acme/web:main`, `${registry.address}/bysha/api:${apiPair.baseSha}`]);
    expect(outcome.byName.api?.reasons).toContain(`base side: the published image ${registry.address}/bysha/api:${apiPair.baseSha}`);
    expect(outcome.byName.web?.reasons).toContain(`base side: the published image ${registry.address}/acme/web:main`);
    expect(outcome.report.baseline.source).toBe('published');
    expect(outcome.report.base).toEqual({ ref: 'main', sha: apiPair.baseSha });
    expect(outcome.worktrees).toEqual([]);
    expect(outcome.built).toHaveLength(2);
    expectDeltas(outcome, { api: API_GROWTH, web: 0 });
  });

  test('the pulled images are removed again', async () => {
    expect(await imageExists(`${registry.address}/bysha/api:${apiPair.baseSha}`)).toBe(false);
    expect(await imageExists(`${registry.address}/acme/web:main`)).toBe(false);
  });
});

describe('baseline: build', () => {
  let outcome: Outcome;
  beforeAll(async () => {
    outcome = await runWith(bothPair, configOf(`${registry.address}/acme/{name}:{base-ref}`), { baseline: 'build', baseRef: bothPair.baseSha });
  });

  test('ignores base-image: nothing is pulled, both sides of both images are built in the worktree', () => {
    expect(outcome.pulled).toEqual([]);
    expect(outcome.report.baseline).toEqual({ source: 'build', note: 'built from the base commit: the baseline input is build', run: null });
    expect(outcome.worktrees).toHaveLength(1);
    const worktree = outcome.worktrees[0]!.find((arg) => arg.includes('footprint-base-')) as string;
    expect(outcome.built).toEqual([
      join(bothPair.checkout, 'api/Dockerfile'),
      join(bothPair.checkout, 'web/Dockerfile'),
      join(worktree, 'api/Dockerfile'),
      join(worktree, 'web/Dockerfile')
    ]);
    for (const image of Object.values(outcome.byName)) {
      expect(image.reasons.join('\n')).not.toContain('published image');
      expect(image.reused).toBeNull();
    }
    expectDeltas(outcome, { api: API_GROWTH, web: WEB_GROWTH });
  });

  test('the published images never reach the engine', async () => {
    expect(await imageExists(`${registry.address}/acme/api:main`)).toBe(false);
    expect(await imageExists(`${registry.address}/acme/web:main`)).toBe(false);
  });
});

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
