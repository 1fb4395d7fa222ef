/**
 * What real images run, read from their layers as docker save streams them, and the
 * advice that follows: the blog post's static Go binary on a Debian-sized base gets
 * `scratch` with the base's bytes as the saving, to the byte; a dynamic binary gets its
 * libraries named and never scratch; a shell-form CMD names its script's interpreter.
 * The binaries are the machine's own: busybox-static's (static) and coreutils' (dynamic).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { adviseImage } from '../../src/advise/advise.js';
import { DISTROLESS_BASE } from '../../src/advise/scratch.js';
import type { Target } from '../../src/discover/target.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { analyseInProcess, type Analysis } from '../../src/measure/analyse-image.js';
import type { Finding } from '../../src/model/report.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { TEST_FAT_BASE, dockerJson, makeBuildDir } from '../support/engine.js';
import { bareTarget } from '../../src/discover/target.js';
import { entrypointFacts } from '../support/report-fixtures.js';

const TAG = `footprint-test/entrypoint-${process.pid}`;
const folders: string[] = [];
const images: string[] = [];

/** The blog post's Dockerfile on the local Debian-sized base: a static binary added, and run. */
const STATIC = `FROM ${TEST_FAT_BASE}\nADD main /\nCMD ["/main"]\n`;
const DYNAMIC_LS = `FROM ${TEST_FAT_BASE}\nCOPY ls /usr/local/bin/ls\nENTRYPOINT ["ls", "-l"]\n`;
const DYNAMIC_ENV = `FROM ${TEST_FAT_BASE}\nCOPY env /app/run\nCMD ["/app/run"]\n`;
const SCRIPT = `FROM ${TEST_FAT_BASE}\nWORKDIR /srv\nCOPY start.sh .\nCMD ./start.sh --fast\n`;

interface Built {
  dockerfile: string;
  analysis: Analysis;
  findings: Finding[];
}

async function build(name: string, dockerfile: string, binaries: Record<string, string> = {}, files: Record<string, string> = {}): Promise<Built> {
  const context = await makeBuildDir({ Dockerfile: dockerfile, ...files });
  folders.push(context);
  for (const [file, from] of Object.entries(binaries)) {
    await copyFile(from, join(context, file));
    await chmod(join(context, file), 0o755);
  }
  for (const file of Object.keys(files)) if (file.endsWith('.sh')) await chmod(join(context, file), 0o755);
  const ref = `${TAG}:${name}`;
  images.push(ref);
  await execa('docker', ['build', '--network=none', '-q', '-t', ref, context]);
  const parsed = parseDockerfile(dockerfile);
  const analysis = await analyseInProcess({ source: { kind: 'daemon', ref }, estimateCompressed: true, dockerfile: parsed });
  const target: Target = { ...bareTarget({ name, dockerfile: 'Dockerfile', context: '.', image: null }), platform: 'linux/amd64' };
  const advice = await adviseImage({
    root: context,
    target,
    dockerfile: parsed,
    dockerfileError: null,
    anatomy: analysis.anatomy,
    runtime: { entrypoint: analysis.entrypoint, files: analysis.files },
    builder: 'classic',
    // Nothing answers here: the distroless image on gcr.io cannot be measured, and says so.
    registry: createRegistryClient({ timeoutMs: 1500 })
  });
  return { dockerfile, analysis, findings: advice.findings };
}

let staticImage: Built;
let lsImage: Built;
let envImage: Built;
let scriptImage: Built;

beforeAll(async () => {
  staticImage = await build('static', STATIC, { main: '/bin/busybox' });
  lsImage = await build('ls', DYNAMIC_LS, { ls: '/usr/bin/ls' });
  envImage = await build('env', DYNAMIC_ENV, { env: '/usr/bin/env' });
  scriptImage = await build('script', SCRIPT, {}, { 'start.sh': '#!/bin/sh\necho started "$@"\n' });
});

afterAll(async () => {
  await execa('docker', ['image', 'rm', ...images], { reject: false });
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('the blog post’s Go example: a static binary on a Debian-sized base', () => {
  test('the entrypoint is read from the layers: static, its layer and its bytes', async () => {
    const { size } = await import('node:fs').then((fs) => fs.promises.stat('/bin/busybox'));
    expect(staticImage.analysis.entrypoint).toEqual(entrypointFacts({ bytes: size, layer: staticImage.analysis.anatomy.layers.length - 1 }));
  });

  test('scratch is suggested first, saving exactly the base image’s bytes as Docker counts them', async () => {
    const [base] = await dockerJson<Array<{ Size: number }>>(['image', 'inspect', TEST_FAT_BASE]);
    const scratch = staticImage.findings.find((finding) => finding.rule === 'base-scratch');
    expect(scratch).toMatchObject({ line: 1, severity: 'warning', savingsBytes: base!.Size, savingsMetric: 'uncompressed', measured: true });
    expect(staticImage.findings[0]).toBe(scratch);
    const baseLayers = staticImage.analysis.anatomy.layers.filter((layer) => layer.fromBase);
    const compressed = baseLayers.reduce((sum, layer) => sum + layer.compressedBytes!, 0);
    expect(scratch!.message).toContain(`measured: the ${baseLayers.length} layers of ${TEST_FAT_BASE} in this image`);
    expect(scratch!.message).toContain(`compressed`);
    expect(compressed).toBeGreaterThan(0);
    expect(scratch!.fix).toBe('Change line 1 to `FROM scratch`, as sketched below.\nFROM scratch\nADD main /\nCMD ["/main"]');
  });
});

describe('dynamic binaries: their libraries named, never scratch', () => {
  test('ls on the PATH: its loader and libraries; libselinux does not fit distroless, so no base advice from it', () => {
    expect(lsImage.analysis.entrypoint).toMatchObject({
      program: 'ls',
      path: '/usr/local/bin/ls',
      kind: 'dynamic',
      interpreter: '/lib64/ld-linux-x86-64.so.2',
      needed: ['libselinux.so.1', 'libc.so.6']
    });
    expect(lsImage.findings.filter((finding) => /scratch|distroless/.test(finding.fix))).toEqual([]);
  });

  test('a binary that needs only libc: distroless/base, with its libraries named, unmeasured without its registry', () => {
    expect(envImage.analysis.entrypoint).toMatchObject({ path: '/app/run', kind: 'dynamic', needed: ['libc.so.6'] });
    const distroless = envImage.findings.find((finding) => finding.rule === 'base-distroless');
    expect(distroless).toMatchObject({ savingsBytes: null, measured: false });
    expect(distroless!.message).toContain(`/app/run is a dynamic binary that needs libc.so.6 (read from its headers), which ${DISTROLESS_BASE} has`);
    expect(envImage.findings.some((finding) => finding.rule === 'base-scratch')).toBe(false);
  });
});

test('a shell-form CMD running a script names the script and its interpreter', () => {
  expect(scriptImage.analysis.entrypoint).toMatchObject({
    command: ['/bin/sh', '-c', './start.sh --fast'],
    program: './start.sh',
    path: '/srv/start.sh',
    kind: 'script',
    interpreter: '/bin/sh'
  });
  expect(scriptImage.findings.some((finding) => finding.rule === 'base-scratch')).toBe(false);
});
