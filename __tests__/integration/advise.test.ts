/**
 * Advice against real registries: Debian's docker-registry on 127.0.0.1 holding
 * base-image-like names of different sizes (and a multi-platform index), the same
 * behind a front that demands a bearer token, and one that never answers. The savings
 * stated must equal what the registry's manifests say, to the byte.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { adviseImage } from '../../src/advise/advise.js';
import type { Target } from '../../src/discover/target.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { fetchManifest } from '../support/manifest.js';
import type { Finding } from '../../src/model/report.js';
import { makeBuildDir } from '../support/engine.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';
import {
  pushTestImages,
  removeLocalTags,
  startSilentRegistry,
  startTokenRegistry,
  type PushedImages,
  type SilentRegistry,
  type TokenRegistry
} from '../support/token-registry.js';

let registry: LocalRegistry;
let tokenRegistry: TokenRegistry;
let silent: SilentRegistry;
let pushed: PushedImages;
const folders: string[] = [];

/** Sum of layer sizes in the manifest the registry returns for that platform (index resolved by hand). */
async function layerBytes(address: string, repository: string, tag: string, platform = 'linux/amd64'): Promise<number> {
  const manifest = await fetchManifest(address, repository, tag);
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0) || (await indexedBytes(address, repository, tag, platform));
}

async function indexedBytes(address: string, repository: string, tag: string, platform: string): Promise<number> {
  const response = await fetch(`http://${address}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json' }
  });
  const index = (await response.json()) as { manifests: Array<{ digest: string; platform: { os: string; architecture: string } }> };
  const [os, architecture] = platform.split('/');
  const entry = index.manifests.find((m) => m.platform.os === os && m.platform.architecture === architecture)!;
  const manifest = await fetchManifest(address, repository, entry.digest);
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}

function target(dockerfile: string, overrides: Partial<Target> = {}): Target {
  return {
    name: dockerfile,
    dockerfile,
    context: '.',
    image: null,
    target: null,
    buildArgs: {},
    platform: 'linux/amd64',
    budget: null,
    maxIncrease: null,
    maxWasted: null,
    ignore: [],
    baseImage: null,
    ...overrides
  };
}

async function advise(dockerfileText: string, overrides: Partial<Target> = {}, files: Record<string, string> = {}) {
  const root = await makeBuildDir({ Dockerfile: dockerfileText, ...files });
  folders.push(root);
  const image = target('Dockerfile', overrides);
  // As the measure stage parses it: with the build's args and target.
  const dockerfile = parseDockerfile(dockerfileText, { buildArgs: image.buildArgs, target: image.target });
  return adviseImage({
    root,
    target: image,
    dockerfile,
    dockerfileError: null,
    anatomy: null,
    runtime: null,
    builder: null,
    registry: createRegistryClient({ timeoutMs: 1500 })
  });
}

const byRule = (findings: Finding[], rule: string) => findings.find((finding) => finding.rule === rule);

beforeAll(async () => {
  registry = await startRegistry();
  pushed = await pushTestImages(registry.address);
  tokenRegistry = await startTokenRegistry(registry.address);
  silent = await startSilentRegistry();
});

afterAll(async () => {
  await removeLocalTags(pushed?.localTags ?? []);
  await tokenRegistry?.stop();
  await silent?.stop();
  await registry?.stop();
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

describe('smaller base images, measured in the registry', () => {
  test('python:3.12 → -slim and -alpine, with savings equal to the manifests to the byte', async () => {
    const { findings, problems } = await advise(
      `FROM ${pushed.large}\nCOPY app.py /app/\nCMD ["python", "/app/app.py"]\n`,
      {},
      { 'app.py': 'print(1)\n', '.dockerignore': '.git\n' }
    );
    expect(problems).toEqual([]);
    const large = await layerBytes(registry.address, 'library/python', '3.12');
    const slim = byRule(findings, 'base-slim');
    const alpine = byRule(findings, 'base-alpine');
    expect(slim).toMatchObject({ line: 1, measured: true, savingsMetric: 'compressed' });
    expect(slim?.savingsBytes).toBe(large - (await layerBytes(registry.address, 'library/python', '3.12-slim')));
    expect(alpine?.savingsBytes).toBe(large - (await layerBytes(registry.address, 'library/python', '3.12-alpine')));
    expect(slim?.fix).toContain(`FROM ${registry.address}/library/python:3.12-slim`);
    // Largest measured saving first; musl is a caveat for Python on alpine.
    expect(findings[0]?.rule).toBe('base-alpine');
    expect(`${alpine?.message} ${alpine?.fix}`).toMatch(/musl|C extensions/i);
  });

  test('a comment above the FROM switches base advice off, one rule or all', async () => {
    const one = await advise(`# footprint-ignore: base-alpine\nFROM ${pushed.large}\n`);
    expect(one.findings.map((finding) => finding.rule)).toEqual(['base-slim']);
    const all = await advise(`# footprint-ignore: all\nFROM ${pushed.large}\n`);
    expect(all.findings).toEqual([]);
  });

  test('a tag that does not exist in the registry is never suggested', async () => {
    // node:22 exists (as an index) but no node:22-slim or node:22-alpine was pushed.
    const { findings } = await advise(`FROM ${pushed.multi}\n`);
    expect(findings.filter((finding) => finding.rule.startsWith('base-'))).toEqual([]);
  });

  test('a bearer-token registry: the anonymous token flow works and only its own token is sent', async () => {
    process.env.GITHUB_TOKEN = 'ghs_mustNeverLeave';
    try {
      const { findings } = await advise(`FROM ${tokenRegistry.address}/library/python:3.12\n`);
      const large = await layerBytes(registry.address, 'library/python', '3.12');
      expect(byRule(findings, 'base-slim')?.savingsBytes).toBe(large - (await layerBytes(registry.address, 'library/python', '3.12-slim')));
      expect(tokenRegistry.issued.length).toBeGreaterThan(0);
      for (const request of tokenRegistry.requests) {
        expect(JSON.stringify(request.headers)).not.toContain('ghs_mustNeverLeave');
        const auth = request.headers.authorization;
        if (auth !== undefined) expect(tokenRegistry.issued.map((token) => `Bearer ${token}`)).toContain(auth);
      }
    } finally {
      delete process.env.GITHUB_TOKEN;
    }
  });

  test('a registry that does not answer: the suggestion is still given, without a number', async () => {
    const { findings } = await advise(`FROM ${silent.address}/library/python:3.12\n`);
    const slim = byRule(findings, 'base-slim');
    expect(slim).toBeDefined();
    expect(slim).toMatchObject({ savingsBytes: null, measured: false });
    expect(slim?.message).toMatch(/could not (be )?reach|not reachable|could not be asked/i);
  });
});

describe('size rules on lines, with the Dockerfile parsed for real', () => {
  test('ARG before FROM resolves the base; rules fire on their lines; inline and config ignores silence them', async () => {
    const text = [
      `ARG BASE=${pushed.small}`,
      'FROM ${BASE}',
      'RUN apk add curl',
      '# footprint-ignore: pip-no-cache-dir',
      'RUN pip install flask',
      'COPY . /app',
      ''
    ].join('\n');
    const { findings } = await advise(text, { ignore: ['copy-all-without-dockerignore'] });
    expect(findings.map((finding) => [finding.rule, finding.line])).toEqual([['apk-no-cache', 3]]);
    const unsilenced = await advise(text);
    expect(unsilenced.findings.map((finding) => finding.rule).sort()).toEqual(['apk-no-cache', 'copy-all-without-dockerignore']);
  });

  test('a file that cannot be used gets a problem with its line, and nothing else breaks', async () => {
    const { findings, problems } = await advise('RUN echo no base\n');
    expect(findings).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/^Dockerfile:1: /);
    expect(problems.join('\n')).toMatch(/no FROM/);
  });
});

describe('the build platform picks the entry of a multi-platform index', () => {
  test('compressed sizes differ per platform and match the index entries', async () => {
    const client = createRegistryClient({ timeoutMs: 1500 });
    const amd64 = await client.compressedSize(pushed.multi, 'linux/amd64');
    const arm64 = await client.compressedSize(pushed.multi, 'linux/arm64');
    expect(amd64).toBe(await indexedBytes(registry.address, 'library/node', '22', 'linux/amd64'));
    expect(arm64).toBe(await indexedBytes(registry.address, 'library/node', '22', 'linux/arm64'));
    expect(amd64).not.toBe(arm64);
  });
});
