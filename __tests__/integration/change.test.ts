/**
 * What grew, on real images built by the real engine: a base-branch image and a PR
 * image that differ by a changed FROM (two local bases), a RUN that moved down two
 * lines, a RUN whose command changed (one file grew, one shrank), a new folder, a
 * removed folder, a cache left by the PR, and package databases in their real
 * formats — this machine's own dpkg status and `.list` files with the files they
 * name, a real `node_modules` package and a real Python dist-info. Each view is
 * checked to the byte against figures measured independently, and every view adds
 * up to the image's delta.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { analyseImage } from '../../src/analyse/anatomy.js';
import { layerOrigins } from '../../src/analyse/history.js';
import { readImage } from '../../src/analyse/source.js';
import { createDockerEngine } from '../../src/build/engine.js';
import { compareImages } from '../../src/compare/compare.js';
import type { Target } from '../../src/discover/target.js';
import { exec } from '../../src/exec.js';
import { limitsOf } from '../../src/limits/index.js';
import { measureTargets } from '../../src/measure/measure.js';
import type { Measurement } from '../../src/measure/measurement.js';
import type { ChangeRecord } from '../../src/model/change.js';
import { TEST_BASE, TEST_FAT_BASE, makeBuildDir } from '../support/engine.js';

const KB = 1000;

const BASE_DOCKERFILE = `FROM ${TEST_BASE}
RUN echo hello > /etc/hello
RUN mkdir -p /data && head -c ${1000 * KB} /dev/urandom > /data/grow.bin && head -c ${3000 * KB} /dev/urandom > /data/shrink.bin
COPY old /old
COPY rootfs/ /
`;

const PR_DOCKERFILE = `FROM ${TEST_FAT_BASE}
RUN mkdir -p /data && head -c ${3000 * KB} /dev/urandom > /data/grow.bin && head -c ${1000 * KB} /dev/urandom > /data/shrink.bin
COPY vendor /vendor
RUN echo hello > /etc/hello
COPY rootfs/ /
RUN mkdir -p /root/.cache/pip && head -c ${2000 * KB} /dev/urandom > /root/.cache/pip/wheel.whl
`;

const DPKG_INFO = '/var/lib/dpkg/info';

/** The paragraphs of this machine's dpkg status for these packages, with an optional version put in place of the real one. */
function dpkgStatus(packages: Record<string, string | null>): string {
  const paragraphs = readFileSync('/var/lib/dpkg/status', 'utf8').split(/\n\n+/);
  return `${Object.entries(packages)
    .map(([name, version]) => {
      const paragraph = paragraphs.find((text) => new RegExp(`^Package: ${name}$`, 'm').test(text));
      if (paragraph === undefined) throw new Error(`this machine has no dpkg package ${name}`);
      return version === null ? paragraph : paragraph.replace(/^Version: .*$/m, `Version: ${version}`);
    })
    .join('\n\n')}\n`;
}

/** Copies a host path into the build context's rootfs as it is (a symlink stays one); returns its bytes as footprint counts them. */
function copyIn(rootfs: string, path: string): number {
  const stat = lstatSync(path);
  const target = join(rootfs, path);
  mkdirSync(dirname(target), { recursive: true });
  if (stat.isSymbolicLink()) {
    const link = readlinkSync(path);
    symlinkSync(link, target);
    return Buffer.byteLength(link);
  }
  if (!stat.isFile()) return 0;
  cpSync(path, target);
  return stat.size;
}

/** Copies a dpkg package's own files (those its `.list` names that are files or symlinks here) and its `.list`; returns their bytes. */
function copyDpkgPackage(rootfs: string, name: string): number {
  let bytes = 0;
  for (const path of readFileSync(join(DPKG_INFO, `${name}.list`), 'utf8').split('\n')) {
    // Folders (and, on this merged-/usr machine, `/bin` and the like: symlinks to folders) are not the package's files.
    if (path === '' || statSync(path, { throwIfNoEntry: false })?.isDirectory() !== false) continue;
    bytes += copyIn(rootfs, path);
  }
  copyIn(rootfs, join(DPKG_INFO, `${name}.list`));
  return bytes;
}

/** Bytes of every file below a folder (symlinks by target length), as footprint counts them. */
function folderBytes(folder: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile()) bytes += lstatSync(path).size;
    else if (entry.isSymbolicLink()) bytes += Buffer.byteLength(readlinkSync(path));
    else continue;
    files++;
  }
  return { bytes, files };
}

function target(name: string, dockerfile: string, context: string): Target {
  return { name, dockerfile, context, image: null, target: null, buildArgs: {}, platform: null, ...limitsOf(null), ignore: [], baseImage: null };
}

let baseDir: string;
let prDir: string;
let head: Measurement;
let base: Measurement;
let change: ChangeRecord;
const expected = { gzip: 0, npm: { bytes: 0, files: 0 }, python: 0 };

beforeAll(async () => {
  baseDir = await makeBuildDir({ Dockerfile: BASE_DOCKERFILE });
  prDir = await makeBuildDir({ Dockerfile: PR_DOCKERFILE });
  // (c) a folder the PR removes, (a) one it adds.
  mkdirSync(join(baseDir, 'old'), { recursive: true });
  for (let i = 0; i < 6; i++) writeFileSync(join(baseDir, 'old', `o${i}.bin`), Buffer.alloc(200 * KB, i + 1));
  mkdirSync(join(prDir, 'vendor', 'lib'), { recursive: true });
  for (let i = 0; i < 5; i++) writeFileSync(join(prDir, 'vendor', 'lib', `v${i}.so`), Buffer.alloc(300 * KB, i + 7));

  // Package databases: the base has hostname and an older sed; the PR upgrades sed and adds gzip,
  // an npm package and a Python distribution.
  const baseRoot = join(baseDir, 'rootfs');
  const prRoot = join(prDir, 'rootfs');
  mkdirSync(join(baseRoot, 'var/lib/dpkg'), { recursive: true });
  mkdirSync(join(prRoot, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(baseRoot, 'var/lib/dpkg/status'), dpkgStatus({ hostname: null, sed: '4.8-3' }));
  writeFileSync(join(prRoot, 'var/lib/dpkg/status'), dpkgStatus({ hostname: null, sed: null, gzip: null }));
  for (const root of [baseRoot, prRoot]) for (const name of ['hostname', 'sed']) copyDpkgPackage(root, name);
  expected.gzip = copyDpkgPackage(prRoot, 'gzip');
  cpSync(join(process.cwd(), 'node_modules/semver'), join(prRoot, 'app/node_modules/semver'), { recursive: true, verbatimSymlinks: true });
  expected.npm = folderBytes(join(prRoot, 'app/node_modules/semver'));
  const distInfo = readdirSync('/usr/lib/python3/dist-packages').find((name) => /^blinker-.*\.dist-info$/.test(name))!;
  const site = '/usr/lib/python3/dist-packages';
  for (const line of readFileSync(join(site, distInfo, 'RECORD'), 'utf8').split('\n')) {
    const path = line.split(',')[0]!;
    if (path !== '' && lstatSync(join(site, path), { throwIfNoEntry: false }) !== undefined) expected.python += copyIn(prRoot, join(site, path));
  }

  const engine = await createDockerEngine({ exec });
  const common = { engine, runId: `change-${process.pid}`, estimateCompressed: false };
  base = (await measureTargets({ ...common, targets: [target('app', 'Dockerfile', '.')], root: baseDir, side: 'base' }))[0]!;
  head = (await measureTargets({ ...common, targets: [target('app', 'Dockerfile', '.')], root: prDir, side: 'head' }))[0]!;
  const [compared] = compareImages([head], [base]);
  change = compared!.change!;
});

afterAll(async () => {
  await rm(baseDir, { recursive: true, force: true });
  await rm(prDir, { recursive: true, force: true });
});

const sum = (rows: Array<{ deltaBytes: number }>) => rows.reduce((total, row) => total + row.deltaBytes, 0);

describe('the change record of two real images', () => {
  test('both images were built and read', () => {
    expect(head.error).toBeNull();
    expect(base.error).toBeNull();
    expect(change.deltaBytes).toBe(head.size!.bytes - base.size!.bytes);
  });

  test('by line: the FROM row holds the base layers of each side, a moved RUN stays one row, and the rows add up', async () => {
    expect(sum(change.lines)).toBe(change.deltaBytes);
    const baseOnly = async (ref: string) => {
      const archive = await readImage({ kind: 'daemon', ref }, { estimateCompressed: false });
      return analyseImage(archive, layerOrigins(archive.config, archive.layers.length, null)).bytes;
    };
    const from = change.lines.find((row) => row.kind === 'base')!;
    expect(from.image).toEqual({ before: TEST_BASE, after: TEST_FAT_BASE });
    expect(from.baseBytes).toBe(await baseOnly(TEST_BASE));
    expect(from.headBytes).toBe(await baseOnly(TEST_FAT_BASE));

    const hello = change.lines.find((row) => row.instruction === 'RUN echo hello > /etc/hello')!;
    expect(hello).toMatchObject({ line: 4, baseLine: 2, deltaBytes: 0, baseInstruction: null });
    const data = change.lines.find((row) => row.instruction?.startsWith('RUN mkdir -p /data'))!;
    expect(data).toMatchObject({ line: 2, baseLine: 3, headBytes: 4000 * KB, baseBytes: 4000 * KB, deltaBytes: 0 });
    expect(data.baseInstruction).toContain(`head -c ${1000 * KB} /dev/urandom > /data/grow.bin`);
    expect(change.lines.find((row) => row.instruction === 'COPY vendor /vendor')).toMatchObject({
      line: 3,
      baseLine: null,
      baseBytes: null,
      headBytes: 1500 * KB
    });
    expect(change.lines.find((row) => row.instruction === 'COPY old /old')).toMatchObject({
      line: null,
      baseLine: 4,
      headBytes: null,
      deltaBytes: -1200 * KB
    });
    expect(change.lines.find((row) => row.instruction?.startsWith('RUN mkdir -p /root/.cache/pip'))).toMatchObject({
      line: 6,
      deltaBytes: 2000 * KB
    });
    // The largest change comes first: the new base's 40 MB.
    expect(change.lines[0]).toBe(from);
  });

  test('by path: new and removed folders, a file that grew and one that shrank, and rows that add up to the delta', () => {
    const paths = change.paths!;
    expect(sum(paths)).toBe(change.deltaBytes);
    const row = (path: string) => paths.find((candidate) => candidate.path === path);
    expect(row('/vendor/lib')).toMatchObject({ kind: 'new', folder: true, deltaBytes: 1500 * KB, added: 5 });
    expect(row('/old')).toMatchObject({ kind: 'removed', folder: true, deltaBytes: -1200 * KB, removed: 6 });
    expect(row('/data/grow.bin')).toMatchObject({ kind: 'grew', folder: false, deltaBytes: 2000 * KB });
    expect(row('/data/shrink.bin')).toMatchObject({ kind: 'shrank', folder: false, deltaBytes: -2000 * KB });
    // In a folder the base image does not have, the one thing that is nearly all of it gets the row.
    expect(row('/usr/lib/fat.bin')).toMatchObject({ kind: 'new', folder: false, deltaBytes: 40 * 1024 * 1024 });
    expect(row('/root/.cache/pip/wheel.whl')).toMatchObject({ kind: 'new', folder: false, deltaBytes: 2000 * KB, added: 1 });
    // Copies hidden by later layers (the PR's rootfs replaces links the base image had) are their own row.
    const hidden = head.inventory!.hiddenBytes - base.inventory!.hiddenBytes;
    expect(paths.find((candidate) => candidate.kind === 'hidden')?.deltaBytes ?? 0).toBe(hidden);
    const rest = paths.find((candidate) => candidate.kind === 'rest')!;
    expect(rest.deltaBytes).toBe(change.deltaBytes - sum(paths.filter((candidate) => candidate !== rest)));
  });

  test('by package: dpkg, npm and Python packages measured from their own files', () => {
    const packages = change.packages;
    expect(packages.find((row) => row.name === 'gzip')).toEqual({
      manager: 'dpkg',
      name: 'gzip',
      kind: 'added',
      before: null,
      after: execFileSync('dpkg-query', ['-W', '-f=${Version}', 'gzip'], { encoding: 'utf8' }),
      baseBytes: 0,
      headBytes: expected.gzip,
      deltaBytes: expected.gzip
    });
    expect(packages.find((row) => row.name === 'sed')).toMatchObject({ manager: 'dpkg', kind: 'upgraded', before: '4.8-3', deltaBytes: 0 });
    expect(packages.find((row) => row.name === 'hostname')).toBeUndefined();
    const semver = JSON.parse(readFileSync(join(process.cwd(), 'node_modules/semver/package.json'), 'utf8')) as { version: string };
    expect(packages.find((row) => row.manager === 'npm')).toEqual({
      manager: 'npm',
      name: 'semver',
      kind: 'added',
      before: null,
      after: semver.version,
      baseBytes: 0,
      headBytes: expected.npm.bytes,
      deltaBytes: expected.npm.bytes
    });
    expect(packages.find((row) => row.manager === 'python')).toMatchObject({ name: 'blinker', kind: 'added', deltaBytes: expected.python });
    const inventory = head.inventory!;
    expect(inventory.packages.find((item) => item.name === 'semver')).toMatchObject({
      files: expected.npm.files,
      location: '/app/node_modules/semver'
    });
  });

  test('the cache the PR left, and the waste unchanged', () => {
    expect(change.caches).toEqual([{ path: '/root/.cache/pip', kind: 'pip', baseBytes: 0, headBytes: 2000 * KB, deltaBytes: 2000 * KB, line: 6 }]);
    expect(change.waste).toEqual({ baseBytes: 0, headBytes: 0, deltaBytes: 0 });
  });

  test('the inventory is compact and consistent', () => {
    const inventory = head.inventory!;
    expect(inventory.baseImage).toBe(TEST_FAT_BASE);
    expect(inventory.visibleBytes + inventory.hiddenBytes).toBe(head.size!.bytes);
    expect(inventory.folders[0]).toEqual({ path: '', bytes: inventory.visibleBytes, files: inventory.files });
    expect(inventory.folders.length).toBeLessThanOrEqual(500);
    expect(JSON.stringify(inventory).length).toBeLessThan(200_000);
  });
});
