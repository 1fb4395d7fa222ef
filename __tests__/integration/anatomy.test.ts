/**
 * The layer anatomy of real images built on the real engine, read the three ways an
 * image reaches footprint (docker save, an OCI archive with gzip layers, one with zstd
 * layers): waste blamed on the right lines, caches found, sizes as Docker counts them.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { analyseImage, type Anatomy } from '../../src/analyse/anatomy.js';
import { layerOrigins } from '../../src/analyse/history.js';
import { readImage, type ImageSource } from '../../src/analyse/source.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { TEST_BASE, dockerJson, makeBuildDir } from '../support/engine.js';

const MiB = 1024 * 1024;
const IMAGE = `footprint-test/anatomy:${process.pid}`;
const BUILDKIT_IMAGE = `footprint-test/anatomy-buildkit:${process.pid}`;

// Line numbers matter: the report blames them.
const DOCKERFILE = `FROM ${TEST_BASE}
RUN head -c ${20 * MiB} /dev/urandom > /big.bin
RUN rm /big.bin
RUN mkdir -p /app /data && echo "from run" > /app/config.txt && head -c 3000 /dev/urandom > /data/a
COPY config.txt /app/config.txt
RUN rm -rf /data && mkdir /data && echo b > /data/b
RUN mkdir -p /var/cache/apk /root/.cache/pip && head -c 300000 /dev/urandom > /var/cache/apk/APKINDEX.tar.gz && head -c 200000 /dev/urandom > /root/.cache/pip/wheel.whl
RUN echo hardlinked > /hl-a && ln /hl-a /hl-b && mkdir /odd && touch "/odd/$(printf 'bad\\377name')" "/odd/with space" && head -c 5000 /dev/urandom > "/odd/q'uo\\"te"
RUN rm "/odd/q'uo\\"te" /hl-a
`;

async function anatomyOf(source: ImageSource, dockerfile: string): Promise<Anatomy> {
  const archive = await readImage(source, { estimateCompressed: true });
  return analyseImage(archive, layerOrigins(archive.config, archive.layers.length, parseDockerfile(dockerfile)));
}

/** What must not depend on how the image was read: everything but the compressed figures. */
function layoutIndependent(anatomy: Anatomy) {
  return {
    bytes: anatomy.bytes,
    layers: anatomy.layers.map(({ compressedBytes: _, ...layer }) => layer),
    wasted: anatomy.wasted,
    caches: anatomy.caches
  };
}

let context: string;
let saved: Anatomy;

beforeAll(async () => {
  context = await makeBuildDir({ Dockerfile: DOCKERFILE, 'config.txt': 'from copy\n' });
  await execa('docker', ['build', '--network=none', '-q', '-t', IMAGE, context]);
  saved = await anatomyOf({ kind: 'daemon', ref: IMAGE }, DOCKERFILE);
});

afterAll(async () => {
  await execa('docker', ['image', 'rm', IMAGE, BUILDKIT_IMAGE], { reject: false });
  await rm(context, { recursive: true, force: true });
});

describe('an image built by the classic builder, read from docker save', () => {
  test('every layer carries its Dockerfile line; the base layer is marked', () => {
    expect(saved.layers.map((layer) => [layer.fromBase, layer.line])).toEqual([
      [true, null],
      [false, 2],
      [false, 3],
      [false, 4],
      [false, 5],
      [false, 6],
      [false, 7],
      [false, 8],
      [false, 9]
    ]);
    expect(saved.layers[2]?.instruction).toBe('RUN rm /big.bin');
    expect(saved.layers[4]?.instruction).toMatch(/^COPY /);
  });

  test('the uncompressed size is what the classic store reports', async () => {
    const [inspect] = await dockerJson<Array<{ Size: number }>>(['image', 'inspect', IMAGE]);
    expect(saved.bytes).toBe(inspect!.Size);
  });

  test('wasted: the deleted 20 MB, the file a COPY replaced, the folder rm -rf emptied, a deleted hard link that lives on', () => {
    const byPath = new Map(saved.wasted.paths.map((path) => [path.path, path]));
    expect(byPath.get('/big.bin')).toMatchObject({ bytes: 20 * MiB, addedAtLine: 2, removedAtLine: 3, inBase: false });
    expect(byPath.get('/app/config.txt')).toMatchObject({ bytes: 'from run\n'.length, addedAtLine: 4, removedAtLine: 5 });
    expect(byPath.get('/data/a')).toMatchObject({ bytes: 3000, addedAtLine: 4, removedAtLine: 6 });
    expect(byPath.get('/odd/q\'uo"te')).toMatchObject({ bytes: 5000, addedAtLine: 8, removedAtLine: 9 });
    // /hl-a is deleted, but /hl-b still links to its bytes: not waste.
    expect(byPath.has('/hl-a')).toBe(false);
    // Only the avoidable copies: /app/config.txt's final copy (from the COPY) is not counted.
    expect(saved.wasted.bytes).toBe(20 * MiB + 'from run\n'.length + 3000 + 5000);
    expect(saved.wasted.baseBytes).toBe(0);
  });

  test('leftover caches with the line that left them', () => {
    expect(saved.caches).toEqual([
      { path: '/var/cache/apk', kind: 'apk', bytes: 300000, files: 1, line: 7, fromBase: false },
      { path: '/root/.cache/pip', kind: 'pip', bytes: 200000, files: 1, line: 7, fromBase: false }
    ]);
  });

  test('the compressed size is estimated: random bytes do not shrink, the base does', () => {
    const big = saved.layers[1]!;
    expect(big.compressedBytes).toBeGreaterThan(big.bytes);
    expect(big.compressedBytes).toBeLessThan(big.bytes * 1.01);
    const base = saved.layers[0]!;
    expect(base.compressedBytes).toBeLessThan(base.bytes * 0.7);
  });
});

describe.each([
  ['gzip', []],
  ['zstd', ['--dest-compress-format', 'zstd']]
])('the same image as an OCI archive with %s layers', (compression, flags) => {
  let archive: string;
  let fromArchive: Anatomy;

  beforeAll(async () => {
    archive = join(context, `image-${compression}.oci.tar`);
    await execa('skopeo', ['copy', '--quiet', ...flags, `docker-daemon:${IMAGE}`, `oci-archive:${archive}`]);
    fromArchive = await anatomyOf({ kind: 'oci-archive', path: archive }, DOCKERFILE);
  });

  test('gives the same anatomy as docker save', () => {
    expect(layoutIndependent(fromArchive)).toEqual(layoutIndependent(saved));
  });

  test('counts the compressed layers as stored', () => {
    expect(fromArchive.compressedBytes).toBeGreaterThan(0);
    for (const layer of fromArchive.layers) expect(layer.compressedBytes).toBeGreaterThan(0);
  });
});

describe('an image built with BuildKit', () => {
  const BUILDKIT_DOCKERFILE = `FROM ${TEST_BASE}
COPY config.txt /app/config.txt
COPY other.txt /app/config.txt
`;

  test('its history matches the Dockerfile lines too, and the replaced copy is waste', async () => {
    const folder = await makeBuildDir({ Dockerfile: BUILDKIT_DOCKERFILE, 'config.txt': 'first\n', 'other.txt': 'second!\n' });
    try {
      // RUN steps need a network this engine does not give BuildKit here, so this Dockerfile only copies.
      // Debian's 20.10 client speaks BuildKit with DOCKER_BUILDKIT=1 (the newer client here has no buildx plugin).
      const client = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
      await execa(client, ['build', '-q', '-t', BUILDKIT_IMAGE, folder], { env: { DOCKER_BUILDKIT: '1' } });
      const anatomy = await anatomyOf({ kind: 'daemon', ref: BUILDKIT_IMAGE }, BUILDKIT_DOCKERFILE);
      expect(anatomy.layers.map((layer) => [layer.fromBase, layer.line])).toEqual([
        [true, null],
        [false, 2],
        [false, 3]
      ]);
      expect(anatomy.wasted.paths).toEqual([expect.objectContaining({ path: '/app/config.txt', bytes: 6, addedAtLine: 2, removedAtLine: 3 })]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
