/**
 * Verified advice on the real engine and a real loopback registry: base images named like
 * Debian's (`debian:12` with make and 40 MB more, `debian:12-slim` without make), Alpine's
 * (no apt-get), each with an `apt-get` stand-in that writes package lists and packages of
 * known sizes. Every mechanical fix is built from a patched copy of the Dockerfile and
 * measured: the savings are the real ones, to the byte; a fix that cannot build says where
 * and why, with its log; the temporary images are gone afterwards and the gate is untouched.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createDockerEngine } from '../../src/build/engine.js';
import { exec } from '../../src/exec.js';
import { formatBytes } from '../../src/units.js';
import { parseConfig } from '../../src/config/load.js';
import { noLimits } from '../../src/limits/index.js';
import type { ImageReport, Report } from '../../src/model/report.js';
import { runPipeline } from '../../src/pipeline.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { LIMITS } from '../../src/limits/index.js';
import { TEST_BASE, TEST_FAT_BASE, dockerJson, makeBuildDir } from '../support/engine.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';

const LISTS = 3_000_000;
const PACKAGE = 6_000_000;
const PACKAGE_WITHOUT_RECOMMENDS = 1_000_000;

/** Writes package lists on `update`, and a package (smaller with --no-install-recommends) on `install`. */
const APT_GET = `#!/bin/sh
case "$1" in
  update) mkdir -p /var/lib/apt/lists && head -c ${LISTS} /dev/urandom > /var/lib/apt/lists/main_Packages ;;
  install) mkdir -p /usr/share/pkg
    if echo "$*" | grep -q -- --no-install-recommends; then head -c ${PACKAGE_WITHOUT_RECOMMENDS} /dev/urandom > /usr/share/pkg/pkg.bin
    else head -c ${PACKAGE} /dev/urandom > /usr/share/pkg/pkg.bin; fi ;;
esac
`;
const MAKE = '#!/bin/sh\necho built > /built.txt\n';
const JEST_JSON = '{"name":"jest","version":"29.7.0"}';
const JEST_BYTES = 4_000_000;
/** `npm ci`: express, and jest as a devDependency unless --omit=dev, with npm's hidden lockfile marking it. */
const NPM = `#!/bin/sh
set -e
mkdir -p node_modules/express
echo '{"name":"express","version":"4.19.2"}' > node_modules/express/package.json
head -c 500000 /dev/urandom > node_modules/express/index.js
case " $* " in *" --omit=dev "*) ;; *)
  mkdir -p node_modules/jest
  echo '${JEST_JSON}' > node_modules/jest/package.json
  head -c ${JEST_BYTES} /dev/urandom > node_modules/jest/index.js ;;
esac
echo '{"lockfileVersion":3,"packages":{"node_modules/express":{"version":"4.19.2"},"node_modules/jest":{"version":"29.7.0","dev":true}}}' > node_modules/.package-lock.json
`;

let registry: LocalRegistry;
const folders: string[] = [];
const tags: string[] = [];
let debian: string;
let slim: string;
let alpine: string;
let report: Report;
let runId: string;

async function baseImage(name: string, from: string, files: Record<string, string>): Promise<string> {
  const dockerfile = [`FROM ${from}`, ...Object.keys(files).map((file) => `COPY ${file} /usr/local/bin/${file}`)].join('\n');
  const folder = await makeBuildDir({ Dockerfile: dockerfile, ...files });
  folders.push(folder);
  for (const file of Object.keys(files)) await chmod(join(folder, file), 0o755);
  const remote = `${registry.address}/library/${name}`;
  await execa('docker', ['build', '--network=none', '-q', '-t', remote, folder]);
  await execa('docker', ['push', '-q', remote]);
  tags.push(remote);
  return remote;
}

async function bytesOf(ref: string): Promise<number> {
  const [image] = await dockerJson<Array<{ Size: number }>>(['image', 'inspect', ref]);
  return image!.Size;
}

function image(name: string): ImageReport {
  return report.images.find((candidate) => candidate.name === name)!;
}

beforeAll(async () => {
  registry = await startRegistry();
  debian = await baseImage('debian:12', TEST_FAT_BASE, { 'apt-get': APT_GET, make: MAKE, npm: NPM });
  slim = await baseImage('debian:12-slim', TEST_BASE, { 'apt-get': APT_GET });
  alpine = await baseImage('alpine:3', TEST_BASE, {});
  const root = await makeBuildDir({
    'app/Dockerfile': `FROM ${debian}\nRUN apt-get update && apt-get install -y curl\nCOPY app.txt /app.txt\n`,
    'app/app.txt': 'hello\n',
    'tools/Dockerfile': `FROM ${debian}\nRUN make\n`,
    'node/Dockerfile': `FROM ${debian}\nWORKDIR /app\nCOPY package.json .\nRUN npm ci\nCMD ["node", "server.js"]\n`,
    'node/package.json': '{"name":"app","dependencies":{"express":"^4"},"devDependencies":{"jest":"^29"}}\n'
  });
  folders.push(root);
  runId = `verify-${process.pid}`;
  report = await runPipeline(
    {
      repo: root,
      root,
      runId,
      config: parseConfig('', '.github/footprint.yml'),
      inputs: {
        dockerfiles: ['**/Dockerfile'],
        // A budget both images break: verified savings must not change the verdict.
        settings: { ...noLimits(), budget: LIMITS.budget.parse('1MB', 'budget'), metric: null, buildArgs: {}, target: null, platform: null },
        compressedSize: true,
        baseRef: null,
        baseBranch: null,
        baseline: 'none',
        images: [],
        verify: { timeoutSeconds: 300 }
      }
    },
    {
      engine: await createDockerEngine({ exec }),
      exec,
      registry: createRegistryClient({ timeoutMs: 5000 }),
      log: { info: () => undefined, warning: () => undefined }
    }
  );
}, 600_000);

afterAll(async () => {
  await execa('docker', ['image', 'rm', ...tags], { reject: false });
  await registry?.stop();
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('every mechanical fix, built and measured', () => {
  test('the slim base builds, and weighs what its parts weigh', async () => {
    const app = image('app/Dockerfile');
    const finding = app.findings.find((candidate) => candidate.rule === 'base-slim')!;
    expect(finding.patch).toEqual({ line: 1, endLine: 1, text: `FROM ${slim}` });
    const expected = (await bytesOf(slim)) + LISTS + PACKAGE + 'hello\n'.length;
    expect(finding.verification).toMatchObject({ outcome: 'builds', bytes: expected, savingsBytes: app.size!.bytes - expected, message: null });
    expect(finding.verification!.savingsBytes).toBe((await bytesOf(debian)) - (await bytesOf(slim)));
    expect(finding.verification!.compressedBytes).toBeGreaterThan(0);
  });

  test('--no-install-recommends and removing the apt lists save exactly what they leave out', () => {
    const app = image('app/Dockerfile');
    const recommends = app.findings.find((candidate) => candidate.rule === 'apt-no-install-recommends')!;
    expect(recommends.verification).toMatchObject({ outcome: 'builds', savingsBytes: PACKAGE - PACKAGE_WITHOUT_RECOMMENDS });
    const lists = app.findings.find((candidate) => candidate.rule === 'apt-lists-left')!;
    expect(lists.verification).toMatchObject({ outcome: 'builds', savingsBytes: LISTS });
  });

  test('a base without apt-get fails at the RUN that needs it, with its log', () => {
    const app = image('app/Dockerfile');
    const finding = app.findings.find((candidate) => candidate.rule === 'base-alpine')!;
    expect(finding.verification).toMatchObject({ outcome: 'fails', bytes: null, savingsBytes: null });
    expect(finding.verification!.message).toMatch(new RegExp(`^fails on ${alpine.replace(/[.:/]/g, '\\$&')} at line 2: .*apt-get: not found`));
    expect(finding.verification!.logTail).toContain('apt-get');
  });

  test('verified savings rank first, largest first; a failed fix comes last', () => {
    const app = image('app/Dockerfile');
    const outcomes = app.findings.map((finding) => [finding.rule, finding.verification?.outcome ?? null]);
    const built = app.findings.filter((finding) => finding.verification?.outcome === 'builds');
    expect(app.findings.slice(0, built.length)).toEqual(built);
    expect(built.map((finding) => finding.verification!.savingsBytes)).toEqual(
      [...built.map((finding) => finding.verification!.savingsBytes!)].sort((a, b) => b - a)
    );
    expect(outcomes.at(-1)).toEqual(['base-alpine', 'fails']);
  });

  test('a slim base without make fails at line 2: make: not found', () => {
    const tools = image('tools/Dockerfile');
    const finding = tools.findings.find((candidate) => candidate.rule === 'base-slim')!;
    expect(finding.verification!.outcome).toBe('fails');
    expect(finding.verification!.message).toMatch(new RegExp(`^fails on ${slim.replace(/[.:/]/g, '\\$&')} at line 2: .*make: not found`));
  });
});

test('devDependencies shipped in node_modules: measured from the lockfile, and installing with --omit=dev saves exactly them', () => {
  const node = image('node/Dockerfile');
  const finding = node.findings.find((candidate) => candidate.rule === 'npm-dev-dependencies')!;
  const jest = JEST_BYTES + JEST_JSON.length + 1;
  expect(finding).toMatchObject({ line: 4, savingsBytes: jest, measured: true, patch: { line: 4, endLine: 4, text: 'RUN npm ci --omit=dev' } });
  expect(finding.message).toBe(
    `1 devDependency ships in /app/node_modules: ${formatBytes(jest)} the running app does not load (by npm's lockfile; largest: jest ${formatBytes(jest)}).`
  );
  expect(finding.verification).toMatchObject({ outcome: 'builds', savingsBytes: jest });
});

test('the gate is what it would be without verification, and nothing built for it is left', async () => {
  expect(report.images.map((candidate) => candidate.status)).toEqual(['over-budget', 'over-budget', 'over-budget']);
  expect(report.overBudget).toBe(true);
  const { stdout } = await execa('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  expect(stdout.split('\n').filter((line) => line.includes(`${runId}-verify`))).toEqual([]);
});
