/**
 * The image reader against real images: built on the real engine, read from
 * `docker save` (Docker's legacy layout on this engine), from `docker save -o`
 * files, and from OCI archives that skopeo writes with gzip, zstd and plain
 * layers. Every path must give the same layer tables.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendFile, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageArchive, LayerEntry } from '../../src/analyse/model.js';
import { displayPath } from '../../src/analyse/paths.js';
import { readImage } from '../../src/analyse/source.js';
import { exec } from '../../src/exec.js';
import { TEST_BASE, dockerJson, makeBuildDir } from '../support/engine.js';
import { binaryPath } from '../support/layers.js';

const MiB = 1024 * 1024;
const IMAGE = `footprint-test/read-archive:${process.pid}`;
const BUILDKIT_IMAGE = `footprint-test/read-archive-buildkit:${process.pid}`;
const LONG_DIR = `odd/${'x'.repeat(120)}`;
const OFF = { estimateCompressed: false };

// Every line a layer, each with something the reader must get right.
const DOCKERFILE = `FROM ${TEST_BASE}
RUN dd if=/dev/urandom of=/big.bin bs=1M count=20 2>/dev/null
RUN rm /big.bin
RUN mkdir -p /app /data && echo "from run" > /app/config.txt && echo a > /data/a
COPY config.txt /app/config.txt
RUN rm -rf /data && mkdir /data && echo b > /data/b
RUN echo hardlinked > /hl-a && ln /hl-a /hl-b && mkdir /odd && cd /odd && touch "$(printf 'bad\\377name')" "with space" "q'uo\\"te" "$(printf 'new\\nline')" "café ☃" && ln -s /etc/passwd sym && mkdir -p /${LONG_DIR} && echo deep > /${LONG_DIR}/file
`;

let work: string;
const folders: string[] = [];
let saved: ImageArchive;

function entry(path: string, kind: LayerEntry['kind'], bytes = 0, linkTarget: string | null = null): LayerEntry {
  return { path: binaryPath(path), kind, bytes, linkTarget: linkTarget === null ? null : binaryPath(linkTarget) };
}

async function run(file: string, args: string[], env?: Record<string, string>): Promise<string> {
  const result = await exec(file, args, { env });
  if (result.exitCode !== 0)
    throw new Error(`${file} ${args.join(' ')} failed (${result.failure ?? `exit code ${result.exitCode}`}):\n${result.all}`);
  return result.stdout;
}

/** A JSON file from an archive, read with GNU tar (not with the code under test). */
async function jsonFromArchive<T>(archive: string, path: string): Promise<T> {
  return JSON.parse(await run('tar', ['-xOf', archive, path])) as T;
}

interface OciManifest {
  layers: Array<{ mediaType: string; digest: string; size: number }>;
}

async function ociManifest(archive: string): Promise<OciManifest> {
  const index = await jsonFromArchive<{ manifests: Array<{ digest: string }> }>(archive, 'index.json');
  expect(index.manifests).toHaveLength(1);
  return jsonFromArchive<OciManifest>(archive, `blobs/sha256/${index.manifests[0]!.digest.slice(7)}`);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'footprint-read-archive-'));
  const context = await makeBuildDir({ Dockerfile: DOCKERFILE, 'config.txt': 'from copy\n' });
  folders.push(context);
  await run('docker', ['build', '--network=none', '-q', '-t', IMAGE, context]);
  saved = await readImage({ kind: 'daemon', ref: IMAGE }, OFF);
});

afterAll(async () => {
  await exec('docker', ['image', 'rm', '--force', IMAGE, BUILDKIT_IMAGE]);
  await Promise.all([work, ...folders].filter(Boolean).map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('docker save (legacy layout)', () => {
  test('has one layer per diff_id of the config', () => {
    expect(saved.layout).toBe('docker');
    expect(saved.config.rootfs?.diff_ids).toHaveLength(7);
    expect(saved.layers).toHaveLength(7);
    expect(saved.layers.every((layer) => layer.compression === 'none' && layer.compressedBytes === null)).toBe(true);
  });

  test('reads each layer as the Dockerfile made it', () => {
    const [, created, removed, written, copied, replaced, odd] = saved.layers.map((layer) => layer.entries);
    expect(created).toEqual([entry('big.bin', 'file', 20 * MiB)]);
    expect(removed).toEqual([entry('.wh.big.bin', 'file')]);
    expect(written).toEqual([entry('app', 'directory'), entry('app/config.txt', 'file', 9), entry('data', 'directory'), entry('data/a', 'file', 2)]);
    // The later COPY replaces the file: a whole new copy in its own layer.
    expect(copied).toEqual([entry('app', 'directory'), entry('app/config.txt', 'file', 10)]);
    // `rm -rf dir && mkdir dir` on overlay2: an opaque whiteout hides the lower contents.
    expect(replaced).toEqual([entry('data', 'directory'), entry('data/.wh..wh..opq', 'file'), entry('data/b', 'file', 2)]);
    expect(odd).toEqual([
      entry('hl-a', 'file', 11),
      entry('hl-b', 'hardlink', 0, 'hl-a'),
      entry('odd', 'directory'),
      { path: 'odd/bad\xffname', kind: 'file', bytes: 0, linkTarget: null },
      entry('odd/café ☃', 'file'),
      entry('odd/new\nline', 'file'),
      entry('odd/q\'uo"te', 'file'),
      entry('odd/sym', 'symlink', '/etc/passwd'.length, '/etc/passwd'),
      entry('odd/with space', 'file'),
      entry(LONG_DIR, 'directory'),
      entry(`${LONG_DIR}/file`, 'file', 5)
    ]);
  });

  test('odd names show as a person should read them', () => {
    const shown = saved.layers[6]!.entries.map((item) => displayPath(item.path));
    expect(shown).toEqual(
      expect.arrayContaining(['/odd/bad\\xffname', '/odd/café ☃', '/odd/new\\nline', '/odd/q\'uo"te', '/odd/with space', `/${LONG_DIR}/file`])
    );
  });

  test('the layers add up to what docker image inspect reports', async () => {
    const [inspect] = await dockerJson<Array<{ Size: number; RootFS: { Layers: string[] } }>>(['image', 'inspect', IMAGE]);
    expect(inspect!.RootFS.Layers).toEqual(saved.config.rootfs?.diff_ids);
    // Regular files plus symlink targets: exactly what the classic store counts.
    const fileBytes = saved.layers.reduce((sum, layer) => sum + layer.fileBytes, 0);
    expect(fileBytes).toBe(inspect!.Size);
  });

  test('estimates the compressed size while streaming when asked', async () => {
    const estimated = await readImage({ kind: 'daemon', ref: IMAGE }, { estimateCompressed: true });
    expect(estimated.layers.map((layer) => layer.entries)).toEqual(saved.layers.map((layer) => layer.entries));
    for (const layer of estimated.layers) {
      expect(layer.compressedMeasured).toBe(false);
      expect(layer.compressedBytes).toBeGreaterThan(0);
    }
    // 20 MiB of random bytes do not compress: gzip adds a little.
    const random = estimated.layers[1]!;
    expect(random.compressedBytes! / random.storedBytes).toBeGreaterThan(0.99);
    expect(random.compressedBytes! / random.storedBytes).toBeLessThan(1.01);
  });
});

describe('archive files', () => {
  test('docker-archive: what docker save -o writes', async () => {
    const path = join(work, 'docker.tar');
    await run('docker', ['save', '-o', path, IMAGE]);
    const archive = await readImage({ kind: 'docker-archive', path }, OFF);
    expect(archive.layout).toBe('docker');
    expect(archive.config).toEqual(saved.config);
    expect(archive.layers).toEqual(saved.layers);
  });

  test.each([
    ['gzip', []],
    ['zstd', ['--dest-compress-format', 'zstd']],
    ['none', ['--dest-oci-accept-uncompressed-layers']]
  ] as const)('oci-archive with %s layers, written by skopeo', async (compression, flags) => {
    const path = join(work, `oci-${compression}.tar`);
    await run('skopeo', ['copy', '--quiet', ...flags, `docker-daemon:${IMAGE}`, `oci-archive:${path}`]);
    const archive = await readImage({ kind: 'oci-archive', path }, OFF);
    expect(archive.layout).toBe('oci');
    expect(archive.config.rootfs).toEqual(saved.config.rootfs);
    expect(archive.layers.map((layer) => layer.entries)).toEqual(saved.layers.map((layer) => layer.entries));
    expect(archive.layers.map((layer) => layer.fileBytes)).toEqual(saved.layers.map((layer) => layer.fileBytes));
    expect(archive.layers.map((layer) => layer.compression)).toEqual(saved.layers.map(() => compression));

    const manifest = await ociManifest(path);
    expect(archive.layers.map((layer) => layer.storedBytes)).toEqual(manifest.layers.map((layer) => layer.size));
    if (compression === 'none') {
      expect(archive.layers.map((layer) => layer.compressedBytes)).toEqual(saved.layers.map(() => null));
    } else {
      // Compressed layers are measured, not estimated: their blob sizes in the manifest.
      expect(archive.layers.map((layer) => [layer.compressedBytes, layer.compressedMeasured])).toEqual(
        manifest.layers.map((layer) => [layer.size, true])
      );
    }
  });
});

describe('hostile archive files', () => {
  test('a docker save -o file with data appended after its end: the same image, the tail left unread', async () => {
    const path = join(work, 'docker-tail.tar');
    await run('docker', ['save', '-o', path, IMAGE]);
    await appendFile(path, Buffer.alloc(8 * MiB, 0x41));
    const archive = await readImage({ kind: 'docker-archive', path }, OFF);
    expect(archive.layers).toEqual(saved.layers);
  });

  test('an OCI archive from skopeo with one blob tampered with: one error naming the blob', async () => {
    const path = join(work, 'oci-tampered.tar');
    await run('skopeo', ['copy', '--quiet', `docker-daemon:${IMAGE}`, `oci-archive:${path}`]);
    const index = await jsonFromArchive<{ manifests: Array<{ digest: string }> }>(path, 'index.json');
    const manifest = await jsonFromArchive<{ config: { digest: string } }>(path, `blobs/sha256/${index.manifests[0]!.digest.slice(7)}`);
    const config = `blobs/sha256/${manifest.config.digest.slice(7)}`;
    const unpacked = await mkdtemp(join(tmpdir(), 'footprint-tampered-'));
    folders.push(unpacked);
    await run('tar', ['-xf', path, '-C', unpacked]);
    // The config, still valid JSON of the same size, says another architecture: only the digest can tell.
    const file = join(unpacked, config);
    const text = await readFile(file, 'latin1');
    expect(text).toContain('"amd64"');
    await writeFile(file, text.replace('"amd64"', '"amd65"'), 'latin1');
    await run('tar', ['-cf', path, '-C', unpacked, '.']);
    await expect(readImage({ kind: 'oci-archive', path }, OFF)).rejects.toThrow(
      new RegExp(`^${path}: blob ${config} does not match its digest: its content is sha256:[0-9a-f]{64}$`)
    );
  });
});

describe('images built with BuildKit', () => {
  test('a COPY-only image reads, one layer per diff_id', async () => {
    const context = await makeBuildDir({
      Dockerfile: `FROM ${TEST_BASE}\nCOPY a.txt /srv/a.txt\nCOPY sub/ /srv/sub/\n`,
      'a.txt': 'alpha\n',
      'sub/b.txt': 'bravo!\n',
      'sub/deeper/c.txt': 'charlie\n'
    });
    folders.push(context);
    await run('/usr/bin/docker', ['build', '-q', '-t', BUILDKIT_IMAGE, context], { DOCKER_BUILDKIT: '1' });
    const archive = await readImage({ kind: 'daemon', ref: BUILDKIT_IMAGE }, OFF);
    expect(archive.layers).toHaveLength(archive.config.rootfs!.diff_ids!.length);
    expect(archive.config.history?.some((item) => (item.created_by ?? '').includes('buildkit'))).toBe(true);
    const top = archive.layers.slice(-2).flatMap((layer) => layer.entries.filter((item) => item.kind === 'file'));
    expect(top).toEqual([entry('srv/a.txt', 'file', 6), entry('srv/sub/b.txt', 'file', 7), entry('srv/sub/deeper/c.txt', 'file', 8)]);
  });
});

describe('errors', () => {
  test('an image the daemon does not have: docker says so', async () => {
    await expect(readImage({ kind: 'daemon', ref: 'footprint-test/no-such-image:1' }, OFF)).rejects.toThrow(
      /^docker save footprint-test\/no-such-image:1 failed \(exit code 1\): .*(No such image|reference does not exist)/
    );
  });

  test('a docker that cannot be run', async () => {
    await expect(readImage({ kind: 'daemon', ref: IMAGE }, { ...OFF, docker: join(work, 'no-docker-here') })).rejects.toThrow(
      /^docker save .* could not run: /
    );
  });

  test('a docker that writes no image is stopped, and the reader says why', async () => {
    const fake = join(work, 'fake-docker');
    // Writes junk forever: the reader must give up and stop it rather than wait.
    await writeFile(fake, '#!/bin/sh\nexec yes "this is not a tar archive"\n');
    await chmod(fake, 0o755);
    await expect(readImage({ kind: 'daemon', ref: IMAGE }, { ...OFF, docker: fake })).rejects.toThrow(
      `docker save ${IMAGE}: not an image archive: not a tar stream`
    );
  });
});
