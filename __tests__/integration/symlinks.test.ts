/**
 * A pull request that commits symlinks out of the repository, run through the real
 * pipeline: real git (a shallow clone and the base branch's worktree), the real
 * Docker engine. Nothing outside the repository may be read, built or quoted.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adviseImage } from '../../src/advise/advise.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { createDockerEngine, type BuildRequest, type Engine } from '../../src/build/engine.js';
import { loadConfig } from '../../src/config/load.js';
import { exec } from '../../src/exec.js';
import { noLimits } from '../../src/limits/index.js';
import { measureTargets } from '../../src/measure/measure.js';
import type { Report } from '../../src/model/report.js';
import { runPipeline } from '../../src/pipeline.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { TEST_BASE } from '../support/engine.js';
import { createRepoPair, type FileChanges, type RepoPair } from '../support/git-fixture.js';

const SECRET = 'OUTSIDE-SECRET-91d2';
const leaves = (what: string) => `${what} leads out of the repository through a symlink; footprint does not read or build anything outside it`;

/** Never asked anything that matters here: base-image advice is not under test. */
const noRegistry: RegistryClient = {
  exists: () => Promise.resolve(null),
  compressedSize: () => Promise.resolve(null),
  manifestDigest: () => Promise.resolve(null)
};

let secrets: string;
let pair: RepoPair;
let report: Report;
let built: string[];
let warnings: string[];

function repoFiles(secretsDir: string): FileChanges {
  return {
    '.github/footprint.yml': [
      'images:',
      '  evil-dockerfile:',
      '    dockerfile: evil/Dockerfile',
      '  evil-context:',
      '    dockerfile: ctx/Dockerfile',
      '    context: ctx-out',
      '  inside-link:',
      '    dockerfile: inside/Dockerfile',
      ''
    ].join('\n'),
    'ok/Dockerfile': `FROM ${TEST_BASE}\nRUN echo hi > /hi.txt\n`,
    'ok/.dockerignore': { symlink: '../ignore-list' },
    'ignore-list': '.git\n',
    'inside/Dockerfile': { symlink: '../ok/Dockerfile' },
    'evil/Dockerfile': { symlink: join(secretsDir, 'Dockerfile') },
    'ctx/Dockerfile': `FROM ${TEST_BASE}\nCOPY . /ctx/\n`,
    'ctx-out': { symlink: secretsDir },
    'ig/Dockerfile': `FROM ${TEST_BASE}\nRUN echo ig > /ig.txt\n`,
    'ig/.dockerignore': { symlink: join(secretsDir, 'ignore') }
  };
}

/** The real engine, recording what it is asked to build. */
function recording(engine: Engine, calls: string[]): Engine {
  return { ...engine, builder: engine.builder, build: (request: BuildRequest) => (calls.push(request.dockerfile), engine.build(request)) };
}

beforeAll(async () => {
  secrets = await realpath(await mkdtemp(join(tmpdir(), 'footprint-secrets-')));
  // If footprint read it, the parser would report these lines as problems, quoting them.
  await writeFile(join(secrets, 'Dockerfile'), `FROM ${TEST_BASE}\nBOGUS ${SECRET}\nRUN echo ${SECRET}\n`);
  await writeFile(join(secrets, `${SECRET}.txt`), `${SECRET}\n`);
  await writeFile(join(secrets, 'ignore'), `[${SECRET}\n`);
  await mkdir(join(secrets, 'sub'));
  const files = repoFiles(secrets);
  pair = await createRepoPair({ base: files, head: { 'ok/Dockerfile': `FROM ${TEST_BASE}\nRUN echo hello > /hi.txt\n` } });

  const root = pair.checkout;
  const config = await loadConfig(join(root, '.github/footprint.yml'), { required: false, displayPath: '.github/footprint.yml', root });
  built = [];
  warnings = [];
  const engine = recording(await createDockerEngine({ exec }), built);
  report = await runPipeline(
    {
      repo: root,
      root,
      inputs: {
        dockerfiles: ['**/Dockerfile'],
        settings: { ...noLimits(), metric: null, buildArgs: {}, target: null, platform: null },
        verify: null,
        compressedSize: false,
        baseRef: pair.baseSha,
        baseline: 'auto',
        baseBranch: null,
        images: []
      },
      config,
      runId: `symlinks-${process.pid}`
    },
    { engine, exec, registry: noRegistry, log: { info: () => undefined, warning: (message) => warnings.push(message) } }
  );
});

afterAll(async () => {
  await pair?.cleanup();
  await rm(secrets, { recursive: true, force: true });
});

describe('symlinks out of the repository, through the real pipeline and engine', () => {
  test('each image that names a path out of the repository fails with a message naming that path; the others are measured', () => {
    const byName = Object.fromEntries(report.images.map((image) => [image.name, image]));
    expect(Object.keys(byName).sort()).toEqual(['evil-context', 'evil-dockerfile', 'ig/Dockerfile', 'inside-link', 'ok/Dockerfile']);
    expect(byName['evil-dockerfile']).toMatchObject({ status: 'failed', error: { message: leaves('Dockerfile evil/Dockerfile'), logTail: '' } });
    expect(byName['evil-context']).toMatchObject({ status: 'failed', error: { message: leaves('context ctx-out'), logTail: '' } });
    expect(byName['ig/Dockerfile']).toMatchObject({ status: 'failed', error: { message: leaves('ig/.dockerignore'), logTail: '' } });
    // A symlink that stays inside the repository builds like any Dockerfile.
    expect(byName['inside-link']).toMatchObject({ status: 'ok', error: null, dockerfile: 'inside/Dockerfile' });
    expect(byName['inside-link']?.size?.bytes).toBeGreaterThan(0);
    expect(byName['ok/Dockerfile']).toMatchObject({ error: null });
  });

  test('the base side (a git worktree) refuses the same links: its images are not built either', () => {
    const compared = report.images.filter((image) => image.name === 'inside-link' || image.name === 'ok/Dockerfile');
    for (const image of compared) expect(image.base?.bytes).toBeGreaterThan(0);
    for (const name of ['evil-context', 'evil-dockerfile', 'ig/Dockerfile']) {
      expect(report.images.find((image) => image.name === name)?.baseError?.message).toMatch(/leads out of the repository through a symlink/);
    }
    // Built: inside-link and ok/Dockerfile, on each side; never a refused target.
    expect(built).toHaveLength(4);
    for (const dockerfile of built) expect(dockerfile).toMatch(/\/(inside|ok)\/Dockerfile$/);
  });

  test('what lies outside never reaches the report, the comment, the terminal table or the log', () => {
    const everything = [
      JSON.stringify(report),
      renderMarkdown(report, { key: 'footprint' }),
      renderTerminal(report, { color: false }),
      ...warnings
    ].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(secrets);
  });

  test('advice counts only a .dockerignore that stays inside the repository', async () => {
    const copyAll = parseDockerfile(`FROM ${TEST_BASE}\nCOPY . /app\n`, { buildArgs: {}, target: null });
    const rules = async (context: string) => {
      const target = { name: context, dockerfile: `${context}/Dockerfile`, context, image: null, target: null, buildArgs: {}, platform: null };
      const advice = await adviseImage({
        root: pair.checkout,
        target: { ...target, ...noLimits(), budget: null, ignore: [], baseImage: null },
        dockerfile: copyAll,
        dockerfileError: null,
        anatomy: null,
        runtime: null,
        builder: null,
        registry: noRegistry
      });
      return advice.findings.map((finding) => finding.rule);
    };
    expect(await rules('ig')).toContain('copy-all-without-dockerignore');
    expect(await rules('ok')).not.toContain('copy-all-without-dockerignore');
  });

  test('the measure stage reads a Dockerfile only inside the repository, even for a target planning did not check', async () => {
    const target = {
      name: 'given',
      dockerfile: 'evil/Dockerfile',
      context: 'evil',
      image: TEST_BASE,
      target: null,
      buildArgs: {},
      platform: null,
      ...noLimits(),
      budget: null,
      ignore: [],
      baseImage: null
    };
    const [measured] = await measureTargets({
      engine: await createDockerEngine({ exec }),
      targets: [target],
      root: pair.checkout,
      side: 'head',
      runId: `symlinks-${process.pid}`,
      estimateCompressed: false
    });
    expect(measured).toMatchObject({ dockerfile: null, dockerfileError: leaves('Dockerfile evil/Dockerfile'), error: null });
    expect(JSON.stringify(measured)).not.toContain(SECRET);
  });
});
