/**
 * runPipeline from source, with every effect faked: no Docker, no registry, no git.
 * The fake engine "builds" a Dockerfile into an image whose size its `# test-bytes:`
 * comment gives (see __tests__/support/fake-effects.ts).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../src/config/load.js';
import type { Exec } from '../../src/exec.js';
import { UserError } from '../../src/errors.js';
import type { GivenImage } from '../../src/input-parsers.js';
import { LIMITS, noLimits } from '../../src/limits/index.js';
import type { LimitBreach } from '../../src/model/limits.js';
import type { ImageReport, Report } from '../../src/model/report.js';
import type { Settings } from '../../src/model/settings.js';
import { newBaseline } from '../../src/baseline/store.js';
import { parseStoredBaseline, type StoredBaseline } from '../../src/baseline/stored.js';
import { runPipeline, type BaselineLookup, type BaselineStore, type PipelineInputs } from '../../src/pipeline.js';
import {
  COMPRESSION_RATIO,
  failingDockerfile,
  failingExec,
  fakeEngine,
  fakeReader,
  fakeRegistry,
  gitExec,
  recordingLog,
  sizedDockerfile,
  writeTree,
  type FakeEngine,
  type FakeRegistry
} from '../support/fake-effects.js';

const MB = 1e6;
const RUN_ID = '77-1';

/** The PR's tree. */
const HEAD_FILES: Record<string, string> = {
  'small/Dockerfile': sizedDockerfile(50 * MB),
  'big/Dockerfile': sizedDockerfile(300 * MB),
  'broken/Dockerfile': failingDockerfile('RUN make: exit code 2'),
  // Line 3: a COPY --from that names no earlier stage, a problem of the Dockerfile itself.
  'odd/Dockerfile': sizedDockerfile(10 * MB, ['FROM alpine:3.20', 'COPY --from=5 /x /x']),
  'py/Dockerfile': sizedDockerfile(120 * MB, ['FROM python:3.12', 'COPY app.py /app/']),
  'multi/Dockerfile': sizedDockerfile(20 * MB, [
    'ARG A',
    'ARG B',
    'FROM alpine:3.20 AS build',
    'RUN echo build',
    'FROM alpine:3.20 AS runtime',
    'RUN echo runtime'
  ])
};

/** The base branch's tree: `small` was smaller, `big` is new in the PR, `gone` was removed by it. */
const BASE_FILES: Record<string, string> = {
  'small/Dockerfile': sizedDockerfile(40 * MB),
  'gone/Dockerfile': sizedDockerfile(5 * MB)
};

let repo: string;
let baseTree: string;

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'footprint-pipeline-'));
  baseTree = await mkdtemp(join(tmpdir(), 'footprint-pipeline-base-'));
  await writeTree(repo, HEAD_FILES);
  await writeTree(baseTree, BASE_FILES);
});

afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
  await rm(baseTree, { recursive: true, force: true });
});

function settings(overrides: Partial<Settings> = {}): Settings {
  return { ...noLimits(), metric: null, buildArgs: {}, target: null, platform: null, ...overrides };
}

function budget(text: string) {
  return LIMITS.budget.parse(text, 'budget');
}

function inputs(overrides: Partial<PipelineInputs> = {}): PipelineInputs {
  return {
    dockerfiles: ['**/Dockerfile'],
    settings: settings(),
    compressedSize: false,
    baseRef: null,
    baseBranch: null,
    images: [],
    baseline: 'auto',
    verify: null,
    ...overrides
  };
}

const NO_CONFIG: Config = parseConfig('', '.github/footprint.yml');

interface Run {
  report: Report;
  engine: FakeEngine;
  reads: ReturnType<typeof fakeReader>['calls'];
  registry: FakeRegistry;
  warnings: string[];
  infos: string[];
}

async function run(
  pipelineInputs: PipelineInputs,
  options: {
    config?: Config;
    exec?: Exec;
    given?: Record<string, number>;
    registrySizes?: Record<string, number>;
    engine?: FakeEngine;
    /** The repository (and root) to run in; default the PR's tree above. */
    repo?: string;
    baselines?: BaselineStore;
  } = {}
): Promise<Run> {
  const engine = options.engine ?? fakeEngine(options.given);
  const reader = fakeReader(engine);
  const registry = fakeRegistry(options.registrySizes);
  const log = recordingLog();
  const where = options.repo ?? repo;
  const report = await runPipeline(
    { repo: where, root: where, inputs: pipelineInputs, config: options.config ?? NO_CONFIG, runId: RUN_ID },
    {
      engine,
      exec: options.exec ?? failingExec().exec,
      registry,
      readImage: reader.read,
      log: log.log,
      ...(options.baselines ? { baselines: options.baselines } : {})
    }
  );
  return { report, engine, reads: reader.calls, registry, warnings: log.warning, infos: log.info };
}

function imageNamed(report: Report, name: string): ImageReport {
  const found = report.images.find((image) => image.name === name);
  if (!found) throw new Error(`no image ${name} in the report: ${report.images.map((image) => image.name).join(', ')}`);
  return found;
}

describe('runPipeline: one report per image', () => {
  test('an image over its budget is over-budget, with a breach naming the budget and its figures', async () => {
    const { report } = await run(inputs({ dockerfiles: ['small/Dockerfile', 'big/Dockerfile'], settings: settings({ budget: budget('250MB') }) }));

    expect(report.images.map((image) => [image.name, image.status])).toEqual([
      ['big/Dockerfile', 'over-budget'],
      ['small/Dockerfile', 'ok']
    ]);
    const big = imageNamed(report, 'big/Dockerfile');
    const breach: LimitBreach = {
      limit: 'budget',
      metric: 'uncompressed',
      measured: 300 * MB,
      allowed: 250 * MB,
      over: 50 * MB,
      percent: null,
      source: '250MB'
    };
    expect(big.breaches).toEqual([breach]);
    expect(big.reasons[0]).toMatch(/50(\.0)? MB over its 250(\.0)? MB budget \(300(\.0)? MB\)/);
    expect(big.size).toEqual({ bytes: 300 * MB, compressedBytes: null, dockerBytes: 300 * MB });
    expect(big.budget).toEqual({ bytes: 250 * MB, source: '250MB', metric: 'uncompressed' });
    expect(big.dockerfile).toBe('big/Dockerfile');
    expect(big.context).toBe('big');
    expect(big.layers).toHaveLength(1);

    const small = imageNamed(report, 'small/Dockerfile');
    expect(small.breaches).toEqual([]);
    expect(small.comparison).toBe('not-compared');
    expect(small.size?.bytes).toBe(50 * MB);

    expect(report.totals).toEqual({ bytes: 350 * MB, baseBytes: null, deltaBytes: null, compressedBytes: null, wastedBytes: 0 });
    expect(report.overBudget).toBe(true);
    expect(report.base).toBeNull();
    expect(report.baseError).toBeNull();
  });

  test('within every budget: nothing is failing and overBudget is false', async () => {
    const { report } = await run(inputs({ dockerfiles: ['small/Dockerfile'], settings: settings({ budget: budget('250MB') }) }));
    expect(report.images).toHaveLength(1);
    expect(report.images[0]!.status).toBe('ok');
    expect(report.overBudget).toBe(false);
    expect(report.totals.bytes).toBe(50 * MB);
  });

  test('a failed build is "failed" with a build breach, and the other images are still measured', async () => {
    const { report, engine } = await run(inputs({ dockerfiles: ['broken/Dockerfile', 'small/Dockerfile'] }));

    const broken = imageNamed(report, 'broken/Dockerfile');
    expect(broken.status).toBe('failed');
    expect(broken.size).toBeNull();
    expect(broken.layers).toBeNull();
    expect(broken.breaches).toEqual([{ limit: 'build', message: 'docker buildx build exited with code 1: RUN make: exit code 2' }]);
    expect(broken.reasons).toEqual(['failed to build: docker buildx build exited with code 1: RUN make: exit code 2']);
    expect(broken.error?.message).toContain('RUN make: exit code 2');
    expect(broken.error?.logTail).toContain('#5 ERROR');

    const small = imageNamed(report, 'small/Dockerfile');
    expect(small.status).toBe('ok');
    expect(small.size?.bytes).toBe(50 * MB);

    expect(engine.builds).toHaveLength(2);
    expect(report.overBudget).toBe(true);
    expect(report.totals.bytes).toBe(50 * MB);
  });

  test('each image is built under its own tag, measured, and its tag removed before the next build', async () => {
    const { engine } = await run(inputs({ dockerfiles: ['broken/Dockerfile', 'small/Dockerfile'] }));
    const broken = `footprint-local/broken-dockerfile-`;
    const tags = engine.builds.map((build) => build.tag);
    expect(tags).toHaveLength(2);
    expect(tags[0]).toMatch(new RegExp(`^${broken}[0-9a-f]{8}:${RUN_ID}-head$`));
    expect(tags[1]).toMatch(new RegExp(`^footprint-local/small-dockerfile-[0-9a-f]{8}:${RUN_ID}-head$`));
    expect(engine.events).toEqual([
      // The broken image's build inputs name a base image: its local ID is asked for first, for the digest.
      'inspect alpine:3.20',
      `build ${tags[0]}`,
      `remove ${tags[0]}`, // a failed build's tag is removed too
      `build ${tags[1]}`,
      `inspect ${tags[1]}`,
      `read ${tags[1]}`,
      `remove ${tags[1]}`
    ]);
    expect(engine.images.size).toBe(0);
    // Absolute paths reach the engine.
    expect(engine.builds[1]).toMatchObject({ dockerfile: join(repo, 'small/Dockerfile'), context: join(repo, 'small') });
  });

  test('no Dockerfile matched: a warning, and an empty report', async () => {
    const { report, warnings, engine } = await run(inputs({ dockerfiles: ['nothing/**/Dockerfile'] }));
    expect(warnings).toEqual(['No Dockerfiles matched nothing/**/Dockerfile.']);
    expect(report.images).toEqual([]);
    expect(report.overBudget).toBe(false);
    expect(engine.builds).toEqual([]);
  });
});

describe('runPipeline: settings', () => {
  test('build args, target and platform: the image entry overrides the inputs, which apply to the rest', async () => {
    const config = parseConfig(
      [
        'images:',
        '  multi:',
        '    dockerfile: multi/Dockerfile',
        '    target: runtime',
        '    platform: linux/amd64',
        '    build-args:',
        '      B: from-config',
        ''
      ].join('\n'),
      '.github/footprint.yml'
    );
    const { engine, report } = await run(
      inputs({
        dockerfiles: ['multi/Dockerfile', 'small/Dockerfile'],
        settings: settings({ buildArgs: { A: 'from-input', B: 'from-input' }, target: 'build', platform: 'linux/arm64' })
      }),
      { config }
    );

    expect(report.images.map((image) => image.name)).toEqual(['multi', 'small/Dockerfile']);
    const byDockerfile = new Map(engine.builds.map((build) => [build.dockerfile, build]));
    expect(byDockerfile.get(join(repo, 'multi/Dockerfile'))).toMatchObject({
      buildArgs: { A: 'from-input', B: 'from-config' },
      target: 'runtime',
      platform: 'linux/amd64'
    });
    expect(byDockerfile.get(join(repo, 'small/Dockerfile'))).toMatchObject({
      buildArgs: { A: 'from-input', B: 'from-input' },
      target: 'build',
      platform: 'linux/arm64'
    });
  });

  test('budgets: the image entry over the config top level over the inputs', async () => {
    const config = parseConfig(
      ['budget: 100MB', 'images:', '  big:', '    dockerfile: big/Dockerfile', '    budget: 400MB', ''].join('\n'),
      '.github/footprint.yml'
    );
    const { report } = await run(
      inputs({ dockerfiles: ['big/Dockerfile', 'small/Dockerfile', 'py/Dockerfile'], settings: settings({ budget: budget('10MB') }) }),
      { config }
    );
    expect(imageNamed(report, 'big').budget?.source).toBe('400MB');
    expect(imageNamed(report, 'big').status).toBe('ok');
    expect(imageNamed(report, 'small/Dockerfile').budget?.source).toBe('100MB');
    expect(imageNamed(report, 'small/Dockerfile').status).toBe('ok');
    expect(imageNamed(report, 'py/Dockerfile').budget?.source).toBe('100MB');
    expect(imageNamed(report, 'py/Dockerfile').status).toBe('over-budget');
  });

  test('a compressed budget makes the pipeline estimate the compressed size, and is judged on it', async () => {
    const config = parseConfig(
      ['images:', '  big:', '    dockerfile: big/Dockerfile', '    metric: compressed', '    budget: 50MB', ''].join('\n'),
      '.github/footprint.yml'
    );
    const { report, reads } = await run(inputs({ dockerfiles: ['big/Dockerfile'], compressedSize: false }), { config });

    expect(reads.map((call) => call.options.estimateCompressed)).toEqual([true]);
    const big = imageNamed(report, 'big');
    const compressed = 300 * MB * COMPRESSION_RATIO;
    expect(big.size).toEqual({ bytes: 300 * MB, compressedBytes: compressed, dockerBytes: 300 * MB });
    expect(big.status).toBe('over-budget');
    expect(big.breaches).toEqual([
      { limit: 'budget', metric: 'compressed', measured: compressed, allowed: 50 * MB, over: compressed - 50 * MB, percent: null, source: '50MB' }
    ]);
    expect(report.totals.compressedBytes).toBe(compressed);
  });

  test('without a compressed budget, the compressed-size input alone decides whether to estimate', async () => {
    const off = await run(inputs({ dockerfiles: ['small/Dockerfile'], compressedSize: false, settings: settings({ budget: budget('250MB') }) }));
    expect(off.reads.map((call) => call.options.estimateCompressed)).toEqual([false]);
    expect(off.report.images[0]!.size?.compressedBytes).toBeNull();

    const on = await run(inputs({ dockerfiles: ['small/Dockerfile'], compressedSize: true }));
    expect(on.reads.map((call) => call.options.estimateCompressed)).toEqual([true]);
    expect(on.report.images[0]!.size?.compressedBytes).toBe(50 * MB * COMPRESSION_RATIO);
  });

  test('a metric given in the inputs applies to the budget of every image', async () => {
    const { report } = await run(inputs({ dockerfiles: ['small/Dockerfile'], settings: settings({ budget: budget('10MB'), metric: 'compressed' }) }));
    const small = imageNamed(report, 'small/Dockerfile');
    expect(small.budget).toEqual({ bytes: 10 * MB, source: '10MB', metric: 'compressed' });
    expect(small.breaches).toMatchObject([{ limit: 'budget', metric: 'compressed', measured: 50 * MB * COMPRESSION_RATIO }]);
  });
});

describe('runPipeline: images given by reference', () => {
  const given: GivenImage = { name: 'worker', ref: 'registry.example/team/worker:1.0' };

  test('are measured from the engine, never built nor removed', async () => {
    const { report, engine, reads } = await run(
      inputs({ dockerfiles: ['small/Dockerfile'], images: [given], settings: settings({ budget: budget('250MB') }) }),
      { given: { [given.ref]: 260 * MB } }
    );

    expect(engine.builds.map((build) => build.dockerfile)).toEqual([join(repo, 'small/Dockerfile')]);
    expect(engine.inspected).toContain(given.ref);
    expect(engine.removed.flat()).not.toContain(given.ref);
    expect(engine.images.has(given.ref)).toBe(true);
    expect(reads.map((call) => call.source)).toContainEqual({ kind: 'daemon', ref: given.ref });

    const worker = imageNamed(report, 'worker');
    expect(worker).toMatchObject({ image: given.ref, dockerfile: null, context: null, status: 'over-budget' });
    expect(worker.size).toEqual({ bytes: 260 * MB, compressedBytes: null, dockerBytes: 260 * MB });
    expect(worker.breaches).toMatchObject([{ limit: 'budget', measured: 260 * MB, allowed: 250 * MB }]);
    expect(report.totals.bytes).toBe(310 * MB);
  });

  test('one the engine does not have is "failed" naming the reference', async () => {
    const { report } = await run(inputs({ dockerfiles: [], images: [given] }));
    const worker = imageNamed(report, 'worker');
    expect(worker.status).toBe('failed');
    expect(worker.error?.message).toBe(`image ${given.ref} could not be read: image ${given.ref} not found in the local Docker engine`);
    // Never built, so never "failed to build".
    expect(worker.reasons).toEqual([`image ${given.ref} could not be read: image ${given.ref} not found in the local Docker engine`]);
  });
});

describe('runPipeline: no reachable engine', () => {
  const unreachable = 'No Docker engine is reachable (DOCKER_HOST is unix:///tmp/nothing.sock): Cannot connect to the Docker daemon';

  test('stops with one UserError before building anything, instead of one failure per image', async () => {
    const engine = fakeEngine();
    engine.unreachable = unreachable;
    const error = await run(inputs({ dockerfiles: ['small/Dockerfile', 'big/Dockerfile'] }), { engine }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(unreachable);
    expect(engine.reachabilityChecks).toBe(1);
    expect(engine.builds).toEqual([]);
    expect(engine.inspected).toEqual([]);
  });

  test('an image to read from the daemon needs the engine too', async () => {
    const engine = fakeEngine();
    engine.unreachable = unreachable;
    await expect(run(inputs({ dockerfiles: [], images: [{ name: 'worker', ref: 'worker:1' }] }), { engine })).rejects.toThrow(unreachable);
  });

  test('archives need no engine: nothing is asked of it', async () => {
    const engine = fakeEngine({ '/tmp/app.tar': 5 * MB });
    engine.unreachable = unreachable;
    const { report } = await run(inputs({ dockerfiles: [], images: [{ name: 'app', ref: 'oci-archive:/tmp/app.tar' }] }), { engine });
    expect(engine.reachabilityChecks).toBe(0);
    expect(report.images.map((image) => image.name)).toEqual(['app']);
  });
});

describe('runPipeline: advice', () => {
  test('Dockerfile problems surface as warnings and reasons; smaller bases are asked of the registry', async () => {
    const { report, warnings, registry } = await run(inputs({ dockerfiles: ['odd/Dockerfile', 'py/Dockerfile'] }), {
      registrySizes: { 'python:3.12': 400 * MB, 'python:3.12-slim': 50 * MB }
    });

    const problem = 'odd/Dockerfile:3: COPY --from=5 names no earlier stage';
    expect(warnings).toEqual([problem]);
    expect(imageNamed(report, 'odd/Dockerfile').reasons).toContain(problem);

    // Asked for the platform the build defaults to (no platform setting: this machine's Linux).
    expect(registry.calls).toContain(`compressedSize python:3.12 linux/${process.arch === 'arm64' ? 'arm64' : 'amd64'}`);
    const slim = imageNamed(report, 'py/Dockerfile').findings.find((finding) => finding.rule === 'base-slim');
    expect(slim).toMatchObject({ line: 2, savingsBytes: 350 * MB, savingsMetric: 'compressed', measured: true });
  });

  test('a failed image gets no advice', async () => {
    const { report, registry } = await run(inputs({ dockerfiles: ['broken/Dockerfile'] }));
    expect(imageNamed(report, 'broken/Dockerfile').findings).toEqual([]);
    // Only the digest of its build inputs asked about its base image; the advice asked nothing.
    expect(registry.calls.filter((call) => !call.startsWith('manifestDigest '))).toEqual([]);
  });
});

describe('runPipeline: the base branch', () => {
  test('could not be compared (git fails): baseError set and warned, PR images still measured', async () => {
    const git = failingExec();
    const { report, warnings, engine } = await run(
      inputs({ dockerfiles: ['small/Dockerfile', 'big/Dockerfile'], baseRef: 'main', settings: settings({ budget: budget('250MB') }) }),
      { exec: git.exec }
    );

    expect(report.baseError).toMatch(/^The base branch \(main\) could not be compared: base-ref "main": not found in the repository or on origin/);
    expect(report.base).toBeNull();
    expect(warnings).toContain(report.baseError);
    expect(report.images.map((image) => [image.name, image.status, image.comparison])).toEqual([
      ['big/Dockerfile', 'over-budget', 'not-compared'],
      ['small/Dockerfile', 'ok', 'not-compared']
    ]);
    expect(report.overBudget).toBe(true);
    // Only the PR side was built.
    expect(engine.builds.every((build) => build.tag.endsWith('-head'))).toBe(true);
    // git ran in the repository, with a clean environment (no tokens).
    expect(git.calls.length).toBeGreaterThan(0);
    for (const call of git.calls) {
      expect(call.file).toBe('git');
      expect(call.options).toMatchObject({ cwd: repo, cleanEnv: true });
    }
  });

  test('compared through a worktree: deltas, new and removed images, base tags and worktree removed', async () => {
    const sha = 'c0ffee'.padEnd(40, '0');
    const git = gitExec({ ref: 'main', sha, baseTree });
    const given: GivenImage = { name: 'worker', ref: 'registry.example/team/worker:1.0' };
    const { report, engine } = await run(
      inputs({
        dockerfiles: ['small/Dockerfile', 'big/Dockerfile', 'gone/Dockerfile'],
        baseRef: 'main',
        images: [given],
        settings: settings({ maxIncrease: LIMITS.maxIncrease.parse('10%', 'max-increase') })
      }),
      { exec: git.exec, given: { [given.ref]: 1 * MB } }
    );

    expect(report.base).toEqual({ ref: 'main', sha });
    expect(report.baseError).toBeNull();
    expect(report.images.map((image) => [image.name, image.comparison, image.status])).toEqual([
      ['big/Dockerfile', 'new', 'new'],
      ['small/Dockerfile', 'changed', 'over-increase'],
      // Given by reference only: nothing to build on the base branch.
      ['worker', 'not-compared', 'ok'],
      ['gone/Dockerfile', 'removed', 'removed']
    ]);
    const small = imageNamed(report, 'small/Dockerfile');
    expect(small.base).toEqual({ bytes: 40 * MB, compressedBytes: null });
    expect(small.delta).toEqual({ bytes: 10 * MB, percent: 25 });
    expect(small.breaches).toMatchObject([{ limit: 'max-increase', measured: 10 * MB, allowed: 4 * MB }]);
    expect(imageNamed(report, 'gone/Dockerfile').size).toBeNull();

    expect(report.totals).toMatchObject({ bytes: 351 * MB, baseBytes: 40 * MB, deltaBytes: 10 * MB });
    expect(report.overBudget).toBe(true);

    // The base side was built from the worktree, under base tags, and every tag was removed.
    const baseBuilds = engine.builds.filter((build) => build.tag.endsWith('-base'));
    expect(baseBuilds.map((build) => build.dockerfile)).toEqual([
      join(git.worktrees[0]!, 'gone/Dockerfile'),
      join(git.worktrees[0]!, 'small/Dockerfile')
    ]);
    const built = engine.builds.map((build) => build.tag);
    expect(engine.removed.flat().sort()).toEqual([...built].sort());
    expect(git.removedWorktrees).toEqual(git.worktrees);
  });
});

describe('runPipeline: the baseline routes', () => {
  const BASE_SHA = 'ba5e'.padEnd(40, '5');
  const REPOSITORY = 'octo/app';
  const STORED_RUN = { id: 4242, url: 'https://github.com/octo/app/actions/runs/4242' };
  /** The base image of every Dockerfile here, in the engine: the build inputs can be digested. */
  const BASE_IMAGE = { 'alpine:3.20': 5 * MB };
  const TREE: Record<string, string> = {
    'api/Dockerfile': sizedDockerfile(300 * MB, ['FROM alpine:3.20', 'COPY app.txt /app/']),
    'api/app.txt': 'api',
    'web/Dockerfile': sizedDockerfile(100 * MB)
  };
  const NOT_REBUILT = "not rebuilt: same build inputs as the base branch's stored report";

  let tree: string;

  beforeEach(async () => {
    tree = await mkdtemp(join(tmpdir(), 'footprint-pipeline-baseline-'));
    await writeTree(tree, TREE);
  });

  afterEach(async () => {
    await rm(tree, { recursive: true, force: true });
  });

  interface FakeStore extends BaselineStore {
    /** The commits asked for, in order. */
    asked: string[];
  }

  function storeAnswering(answer: BaselineLookup): FakeStore {
    const asked: string[] = [];
    return {
      asked,
      async find(sha) {
        asked.push(sha);
        return answer;
      }
    };
  }

  /** What the base commit's own run stored: this pipeline on the tree as it is now, kept as a branch run keeps it, read back as a PR's run reads it. */
  async function storedBaseline(): Promise<StoredBaseline> {
    const { report } = await run(inputs(), { repo: tree, given: BASE_IMAGE });
    const made = newBaseline(report, {
      repository: REPOSITORY,
      sha: BASE_SHA,
      ref: 'refs/heads/main',
      event: 'push',
      createdAt: '2024-05-01T12:00:00.000Z'
    });
    const parsed = parseStoredBaseline(JSON.stringify(made), { repository: REPOSITORY, sha: BASE_SHA });
    if (!parsed.ok) throw new Error(`the stored report is refused: ${parsed.reason}`);
    return parsed.baseline;
  }

  function found(baseline: StoredBaseline): BaselineLookup {
    return { kind: 'found', baseline, run: STORED_RUN };
  }

  /** The pull request's run against the base commit. */
  function prRun(overrides: Partial<PipelineInputs>, options: { baselines?: BaselineStore; exec?: Exec } = {}): Promise<Run> {
    return run(inputs({ baseRef: BASE_SHA, ...overrides }), { repo: tree, given: BASE_IMAGE, ...options });
  }

  function storedImage(baseline: StoredBaseline, name: string): ImageReport {
    return imageNamed(baseline.report, name);
  }

  test('same build inputs as the stored report: nothing is built, every image is the stored one, unchanged', async () => {
    const stored = await storedBaseline();
    const store = storeAnswering(found(stored));
    const git = failingExec();
    const { report, engine, infos } = await prRun({}, { baselines: store, exec: git.exec });

    expect(store.asked).toEqual([BASE_SHA]);
    expect(engine.builds).toEqual([]);
    // A full SHA needs no git: a shallow clone need not have the base commit.
    expect(git.calls).toEqual([]);
    expect(report.images.map((image) => [image.name, image.status, image.comparison, image.reused])).toEqual([
      ['api/Dockerfile', 'unchanged', 'unchanged', 'stored'],
      ['web/Dockerfile', 'unchanged', 'unchanged', 'stored']
    ]);
    for (const image of report.images) {
      const before = storedImage(stored, image.name);
      expect(image.size).toEqual(before.size);
      expect(image.base).toEqual({ bytes: before.size!.bytes, compressedBytes: before.size!.compressedBytes });
      expect(image.delta).toEqual({ bytes: 0, percent: 0 });
      expect(image.layers).toEqual(before.layers);
      expect(image.buildInputs).toEqual(before.buildInputs);
      expect(image.buildInputs?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(image.reasons).toContain(NOT_REBUILT);
    }
    expect(infos).toContain('web/Dockerfile: not rebuilt: same build inputs as the stored report of ba5e555');
    expect(report.baseline).toEqual({ source: 'stored', note: null, run: STORED_RUN });
    expect(report.base).toEqual({ ref: BASE_SHA, sha: BASE_SHA });
    expect(report.baseError).toBeNull();
    expect(report.trend).toEqual(stored.trend);
    expect(report.totals).toMatchObject({ bytes: 400 * MB, baseBytes: 400 * MB, deltaBytes: 0 });
    expect(report.overBudget).toBe(false);
  });

  test('one Dockerfile changed: only that image is built, and compared with the stored figures', async () => {
    const stored = await storedBaseline();
    await writeTree(tree, { 'api/Dockerfile': sizedDockerfile(320 * MB, ['FROM alpine:3.20', 'COPY app.txt /app/', 'RUN echo more']) });
    const { report, engine } = await prRun({}, { baselines: storeAnswering(found(stored)) });

    expect(engine.builds.map((build) => build.dockerfile)).toEqual([join(tree, 'api/Dockerfile')]);
    expect(engine.builds[0]!.tag).toMatch(/-head$/);
    const api = imageNamed(report, 'api/Dockerfile');
    expect(api).toMatchObject({ comparison: 'changed', status: 'ok', reused: null });
    expect(api.base).toEqual({ bytes: 300 * MB, compressedBytes: null });
    expect(api.delta).toEqual({ bytes: 20 * MB, percent: (20 / 300) * 100 });
    expect(api.reasons).not.toContain(NOT_REBUILT);
    expect(api.buildInputs?.digest).not.toBe(storedImage(stored, 'api/Dockerfile').buildInputs?.digest);
    // The stored side has an inventory but no file list: the change by path comes from the folder summaries.
    expect(api.change).not.toBeNull();
    expect(api.change!.deltaBytes).toBe(20 * MB);
    expect(api.change!.pathsFrom).toBe('folders');
    expect(api.change!.paths!.reduce((sum, row) => sum + row.deltaBytes, 0)).toBe(20 * MB);

    expect(imageNamed(report, 'web/Dockerfile')).toMatchObject({ status: 'unchanged', reused: 'stored' });
    expect(report.totals).toMatchObject({ bytes: 420 * MB, baseBytes: 400 * MB, deltaBytes: 20 * MB });
    expect(report.baseline.source).toBe('stored');
  });

  test('a stored image of the same name with other build inputs is built', async () => {
    const stored = await storedBaseline();
    storedImage(stored, 'web/Dockerfile').buildInputs = { digest: `sha256:${'0'.repeat(64)}`, unknown: null };
    const { report, engine } = await prRun({}, { baselines: storeAnswering(found(stored)) });

    expect(engine.builds.map((build) => build.dockerfile)).toEqual([join(tree, 'web/Dockerfile')]);
    // Built again, it is the same size: unchanged, but not reused.
    expect(imageNamed(report, 'web/Dockerfile')).toMatchObject({ status: 'unchanged', reused: null });
    expect(imageNamed(report, 'api/Dockerfile').reused).toBe('stored');
  });

  test('unknown build inputs never equal anything, not even unknown stored ones', async () => {
    // A base image neither the engine nor the registry knows: the digest cannot be known, on either run.
    await writeTree(tree, { 'odd/Dockerfile': sizedDockerfile(10 * MB, ['FROM registry.invalid/thing:1', 'RUN echo odd']) });
    const stored = await storedBaseline();
    expect(storedImage(stored, 'odd/Dockerfile').buildInputs).toEqual({ digest: null, unknown: expect.stringContaining('registry.invalid/thing:1') });

    const { report, engine } = await prRun({}, { baselines: storeAnswering(found(stored)) });
    expect(engine.builds.map((build) => build.dockerfile)).toEqual([join(tree, 'odd/Dockerfile')]);
    expect(imageNamed(report, 'odd/Dockerfile')).toMatchObject({ comparison: 'unchanged', reused: null, buildInputs: { digest: null } });
    expect(report.images.filter((image) => image.reused === 'stored').map((image) => image.name)).toEqual(['api/Dockerfile', 'web/Dockerfile']);
  });

  test('an image new since the stored report is built and new; one the stored report has and the PR removed is removed', async () => {
    const stored = await storedBaseline();
    await rm(join(tree, 'api'), { recursive: true });
    await writeTree(tree, { 'cron/Dockerfile': sizedDockerfile(7 * MB) });
    const { report, engine } = await prRun({}, { baselines: storeAnswering(found(stored)) });

    expect(engine.builds.map((build) => build.dockerfile)).toEqual([join(tree, 'cron/Dockerfile')]);
    expect(report.images.map((image) => [image.name, image.status, image.reused])).toEqual([
      ['cron/Dockerfile', 'new', null],
      ['web/Dockerfile', 'unchanged', 'stored'],
      ['api/Dockerfile', 'removed', null]
    ]);
    expect(imageNamed(report, 'api/Dockerfile').base).toEqual({ bytes: 300 * MB, compressedBytes: null });
  });

  test('budgets are still checked against an image that is not rebuilt', async () => {
    const stored = await storedBaseline();
    const { report, engine } = await prRun({ settings: settings({ budget: budget('250MB') }) }, { baselines: storeAnswering(found(stored)) });

    expect(engine.builds).toEqual([]);
    const api = imageNamed(report, 'api/Dockerfile');
    expect(api).toMatchObject({ status: 'over-budget', reused: 'stored' });
    expect(api.breaches).toMatchObject([{ limit: 'budget', measured: 300 * MB, allowed: 250 * MB, over: 50 * MB }]);
    expect(api.reasons).toContain(NOT_REBUILT);
    expect(imageNamed(report, 'web/Dockerfile')).toMatchObject({ status: 'unchanged', reused: 'stored' });
    expect(report.overBudget).toBe(true);
  });

  test('a branch name is resolved to its commit, whose stored report is used without a worktree', async () => {
    const stored = await storedBaseline();
    const store = storeAnswering(found(stored));
    const git = gitExec({ ref: 'main', sha: BASE_SHA, baseTree: tree });
    const { report, engine } = await prRun({ baseRef: 'main' }, { baselines: store, exec: git.exec });

    expect(store.asked).toEqual([BASE_SHA]);
    expect(git.worktrees).toEqual([]);
    expect(engine.builds).toEqual([]);
    expect(report.base).toEqual({ ref: 'main', sha: BASE_SHA });
    expect(report.baseline.source).toBe('stored');
  });

  test('baseline: stored, and no stored report: not compared, saying why, and nothing of the base commit is built', async () => {
    const reason = `No successful run of workflow ci.yml in ${REPOSITORY} for commit ${BASE_SHA}.`;
    const store = storeAnswering({ kind: 'missing', reason });
    const git = failingExec();
    const { report, engine } = await prRun({ baseline: 'stored' }, { baselines: store, exec: git.exec });

    expect(store.asked).toEqual([BASE_SHA]);
    expect(git.calls).toEqual([]);
    expect(engine.builds.every((build) => build.tag.endsWith('-head'))).toBe(true);
    expect(engine.builds).toHaveLength(2);
    expect(report.base).toBeNull();
    expect(report.baseError).toBeNull();
    expect(report.images.map((image) => [image.comparison, image.reused])).toEqual([
      ['not-compared', null],
      ['not-compared', null]
    ]);
    expect(report.baseline).toEqual({
      source: 'none',
      note: `not compared: no stored report of the base commit (no successful run of workflow ci.yml in ${REPOSITORY} for commit ${BASE_SHA.slice(0, 7)}), and the baseline input is stored`,
      run: null
    });
  });

  test('baseline: stored, and a base ref git cannot resolve: not compared, saying so', async () => {
    const store = storeAnswering({ kind: 'missing', reason: 'never asked' });
    const { report } = await prRun({ baseline: 'stored', baseRef: 'main' }, { baselines: store });
    expect(store.asked).toEqual([]);
    expect(report.base).toBeNull();
    expect(report.baseline.source).toBe('none');
    expect(report.baseline.note).toContain('the base commit main could not be resolved');
    expect(report.baseline.note).toContain('the baseline input is stored');
  });

  test('baseline: none: no lookup and no comparison', async () => {
    const store = storeAnswering({ kind: 'missing', reason: 'never asked' });
    const git = failingExec();
    const { report } = await prRun({ baseline: 'none' }, { baselines: store, exec: git.exec });

    expect(store.asked).toEqual([]);
    expect(git.calls).toEqual([]);
    expect(report.base).toBeNull();
    expect(report.baseline).toEqual({ source: 'none', note: null, run: null });
    expect(report.images.every((image) => image.comparison === 'not-compared')).toBe(true);
  });

  test('baseline: build: no lookup, and both sides are built even when their inputs are the same', async () => {
    const store = storeAnswering({ kind: 'missing', reason: 'never asked' });
    const git = gitExec({ ref: BASE_SHA, sha: BASE_SHA, baseTree: tree });
    const { report, engine } = await prRun({ baseline: 'build' }, { baselines: store, exec: git.exec });

    expect(store.asked).toEqual([]);
    expect(engine.builds.map((build) => build.tag.replace(/^.*-/, ''))).toEqual(['head', 'head', 'base', 'base']);
    expect(report.baseline).toEqual({ source: 'build', note: 'built from the base commit: the baseline input is build', run: null });
    expect(report.images.map((image) => [image.status, image.reused])).toEqual([
      ['unchanged', null],
      ['unchanged', null]
    ]);
    expect(git.removedWorktrees).toEqual(git.worktrees);
  });

  test('a refused lookup falls back to a worktree build, saying why; images with the same inputs are built once', async () => {
    const reason = 'The token may not read the GitHub Actions runs and artifacts of octo/app (HTTP 403: Resource not accessible by integration)';
    const store = storeAnswering({ kind: 'refused', reason });
    const git = gitExec({ ref: BASE_SHA, sha: BASE_SHA, baseTree: tree });
    const { report, engine } = await prRun({}, { baselines: store, exec: git.exec });

    expect(store.asked).toEqual([BASE_SHA]);
    expect(git.worktrees).toHaveLength(1);
    expect(report.baseline.source).toBe('build');
    // The reason as a clause of the footer's sentence.
    expect(report.baseline.note).toBe(
      'built from the base commit in a worktree: no stored report (the token may not read the GitHub Actions runs and artifacts of octo/app (HTTP 403: Resource not accessible by integration))'
    );
    expect(report.baseline.run).toBeNull();
    expect(report.base).toEqual({ ref: BASE_SHA, sha: BASE_SHA });
    // The worktree has the same files: each image is built once, for the PR, and used for the base side too.
    expect(engine.builds.map((build) => build.tag.replace(/^.*-/, ''))).toEqual(['head', 'head']);
    expect(report.images.map((image) => [image.name, image.status, image.reused])).toEqual([
      ['api/Dockerfile', 'unchanged', 'same-inputs'],
      ['web/Dockerfile', 'unchanged', 'same-inputs']
    ]);
    expect(imageNamed(report, 'web/Dockerfile').reasons).toContain('not rebuilt: same build inputs as the base branch');
  });

  test('a missing stored report with baseline: auto builds the base side in a worktree, saying why', async () => {
    const reason = `No artifact footprint-report-default in 1 successful run for commit ${BASE_SHA}.`;
    const git = gitExec({ ref: BASE_SHA, sha: BASE_SHA, baseTree: tree });
    const { report } = await prRun({}, { baselines: storeAnswering({ kind: 'missing', reason }), exec: git.exec });
    // The reason as a clause: lower-case start, no full stop, the commit's short SHA.
    const clause = `no artifact footprint-report-default in 1 successful run for commit ${BASE_SHA.slice(0, 7)}`;
    expect(report.baseline).toEqual({ source: 'build', note: `built from the base commit in a worktree: no stored report (${clause})`, run: null });
  });

  // With no store of reports (the CLI; the action without a token), `stored` still never builds the base side.
  test('baseline: stored with no store of reports at all: no worktree, no comparison', async () => {
    const git = gitExec({ ref: BASE_SHA, sha: BASE_SHA, baseTree: tree });
    const { report } = await prRun({ baseline: 'stored' }, { exec: git.exec });

    expect(git.worktrees).toEqual([]);
    expect(report.base).toBeNull();
    expect(report.baseline.source).toBe('none');
  });

  // A stored figure without a compressed size cannot stand in when this run needs one (a compressed budget the
  // base commit's run did not have): the image is built, so its budget is judged as on any other route.
  test('a compressed budget is judged even when the stored report has no compressed size', async () => {
    const stored = await storedBaseline();
    expect(storedImage(stored, 'api/Dockerfile').size?.compressedBytes).toBeNull();
    const { report } = await prRun(
      { settings: settings({ budget: budget('50MB'), metric: 'compressed' }) },
      { baselines: storeAnswering(found(stored)) }
    );

    const api = imageNamed(report, 'api/Dockerfile');
    expect(api.reasons).not.toContain('budget not checked: the compressed size was not measured');
    expect(api.status).toBe('over-budget');
    expect(api.size?.compressedBytes).toBe(300 * MB * COMPRESSION_RATIO);
  });
});
