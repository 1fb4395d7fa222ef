/**
 * The compressed size against a real registry: images built on the real engine
 * are pushed to Debian's `docker-registry` on 127.0.0.1, and the gzip size that
 * footprint estimates from `docker save`'s uncompressed layers is checked against
 * the layer sizes in the manifest the registry returns.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { execa } from 'execa';
import { extract } from 'tar-stream';
import { gzipSizeEstimator } from '../../src/analyse/compress.js';
import { readImage } from '../../src/analyse/source.js';
import { UserError } from '../../src/errors.js';
import { exec } from '../../src/exec.js';
import { DOCKER_MANIFEST_V2, OCI_MANIFEST } from '../../src/oci.js';
import { fetchManifest, isLoopbackHost, manifestUrl, parseManifest } from '../support/manifest.js';
import { TEST_BASE, TEST_FAT_BASE, makeBuildDir } from '../support/engine.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';

const MB = 1_000_000;
const run = `registry-test-${process.pid}`;

/** Images with a mix of contents: random bytes, text, zeros, many small files, machine code, gzip data. */
const IMAGES: Record<string, string> = {
  mix: [
    `FROM ${TEST_BASE}`,
    'RUN head -c 3000000 /dev/urandom > /random.bin',
    'RUN i=0; while [ $i -lt 600 ]; do busybox --help 2>&1; i=$((i+1)); done > /help.txt; true',
    'RUN seq 1 1000000 > /numbers.txt',
    'RUN dd if=/dev/zero of=/zeros.bin bs=1M count=8 2>/dev/null',
    'RUN mkdir /many && i=0; while [ $i -lt 3000 ]; do echo "small file number $i" > /many/f$i.txt; i=$((i+1)); done',
    'RUN cat /bin/busybox /bin/busybox /bin/busybox > /code.bin && gzip -c /numbers.txt > /numbers.txt.gz',
    'CMD ["sh"]',
    ''
  ].join('\n'),
  fat: [
    `FROM ${TEST_FAT_BASE}`,
    'RUN seq 1 300000 > /a.txt && head -c 2000000 /dev/urandom > /b.bin && (busybox --help > /c.txt 2>&1; true) && cp /bin/busybox /d.bin',
    ''
  ].join('\n')
};

let registry: LocalRegistry;
/** The images built from IMAGES, by name. */
const built = new Map<string, string>();
const localTags: string[] = [];
const folders: string[] = [];

async function docker(args: string[]): Promise<string> {
  const result = await exec('docker', args, { env: { BUILDKIT_PROGRESS: 'plain' } });
  if (result.exitCode !== 0)
    throw new Error(`docker ${args.join(' ')} failed (${result.failure ?? `exit code ${result.exitCode}`}):\n${result.all.slice(-3000)}`);
  return result.stdout;
}

async function build(name: string): Promise<string> {
  const folder = await makeBuildDir({ Dockerfile: IMAGES[name]! });
  folders.push(folder);
  const tag = `footprint-test/${run}-${name}:1`;
  localTags.push(tag);
  await docker(['build', '--network=none', '-t', tag, folder]);
  return tag;
}

/** Pushes `image` to the local registry as `footprint-test/NAME:TAG` and returns the repository and tag. */
async function push(image: string, name: string, tag = '1'): Promise<{ repository: string; tag: string }> {
  const repository = `footprint-test/${name}`;
  const remote = `${registry.address}/${repository}:${tag}`;
  localTags.push(remote);
  await docker(['tag', image, remote]);
  await docker(['push', remote]);
  return { repository, tag };
}

/**
 * Streams `docker save IMAGE` and estimates each layer's gzip size with
 * gzipSizeEstimator, bottom layer first. Reads both layouts `docker save` writes:
 * layers are keyed by their archive path, ordered by manifest.json at the end.
 */
async function estimateLayers(image: string): Promise<Array<{ path: string; bytes: number; estimated: number }>> {
  const save = execa('docker', ['save', image], { buffer: false, stdin: 'ignore', stderr: 'pipe', reject: false });
  const archive = extract();
  save.stdout.pipe(archive);
  let stderr = '';
  save.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const sizes = new Map<string, { bytes: number; estimated: number }>();
  let manifest: Array<{ Layers: string[] }> | null = null;
  for await (const entry of archive) {
    const path = entry.header.name;
    if (path === 'manifest.json') {
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      manifest = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } else if (entry.header.type === 'file' && (path.endsWith('/layer.tar') || path.startsWith('blobs/'))) {
      const estimator = gzipSizeEstimator();
      let bytes = 0;
      for await (const chunk of entry) {
        bytes += (chunk as Buffer).length;
        await estimator.update(chunk as Buffer);
      }
      sizes.set(path, { bytes, estimated: await estimator.finish() });
    } else {
      entry.resume();
    }
  }
  const result = await save;
  if (result.exitCode !== 0) throw new Error(`docker save ${image} failed: ${stderr}`);
  if (manifest === null || manifest.length !== 1) throw new Error(`docker save ${image}: no manifest.json with one image`);
  return manifest[0]!.Layers.map((path) => ({ path, ...sizes.get(path)! }));
}

function percentOff(estimated: number, actual: number): number {
  return (100 * (estimated - actual)) / actual;
}

beforeAll(async () => {
  registry = await startRegistry();
  for (const name of Object.keys(IMAGES)) built.set(name, await build(name));
});

afterAll(async () => {
  if (localTags.length > 0) await exec('docker', ['rmi', '--force', ...localTags.reverse()]);
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
  await registry?.stop();
});

describe('compressed size against a real registry', () => {
  test.each(Object.keys(IMAGES))(
    'the estimate for the %s image is within 2% of the layer sizes the registry stores, in total and per layer over 1 MB',
    async (name) => {
      const image = built.get(name)!;
      const layers = await estimateLayers(image);
      const { repository, tag } = await push(image, `${run}-${name}`);
      const manifest = await fetchManifest(registry.address, repository, tag);
      expect(manifest.mediaType).toBe(DOCKER_MANIFEST_V2);
      expect(manifest.layers).toHaveLength(layers.length);

      const rows = layers.map((layer, index) => ({
        layer: index,
        uncompressed: layer.bytes,
        estimated: layer.estimated,
        registry: manifest.layers[index]!.size,
        percent: Number(percentOff(layer.estimated, manifest.layers[index]!.size).toFixed(3))
      }));
      const estimatedTotal = rows.reduce((sum, row) => sum + row.estimated, 0);
      const registryTotal = rows.reduce((sum, row) => sum + row.registry, 0);
      const total = percentOff(estimatedTotal, registryTotal);
      process.stdout.write(
        `${name}: estimated ${estimatedTotal} B, registry ${registryTotal} B, ${total.toFixed(3)}%\n` +
          rows
            .map((row) => `  layer ${row.layer}: ${row.uncompressed} B -> estimated ${row.estimated}, registry ${row.registry} (${row.percent}%)`)
            .join('\n') +
          '\n'
      );
      expect(Math.abs(total)).toBeLessThan(2);
      for (const row of rows.filter((r) => r.uncompressed > MB))
        expect({ ...row, within: Math.abs(row.percent) < 2 }).toMatchObject({ within: true });

      // footprint's own reader, which runs the same estimate on the layers as they stream past.
      const read = await readImage({ kind: 'daemon', ref: image }, { estimateCompressed: true });
      expect(read.layers.map((layer) => layer.compressedBytes)).toEqual(layers.map((layer) => layer.estimated));
      expect(read.layers.every((layer) => layer.compression === 'none' && !layer.compressedMeasured)).toBe(true);
    }
  );
});

describe('fetchManifest', () => {
  let pushed: { repository: string; tag: string };
  let image: string;

  beforeAll(async () => {
    image = built.get('mix')!;
    pushed = await push(image, `${run}-manifest`, 'v1');
  });

  test('reads a Docker v2 manifest by tag, and the same one by the digest the registry reports', async () => {
    const byTag = await fetchManifest(registry.address, pushed.repository, pushed.tag);
    expect(byTag.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(byTag.config.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(byTag.layers.every((layer) => layer.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe(true);
    const byDigest = await fetchManifest(registry.address, pushed.repository, byTag.digest!);
    expect(byDigest).toEqual(byTag);
  });

  test('reads an OCI image manifest (pushed by skopeo)', async () => {
    const remote = `docker://${registry.address}/${pushed.repository}:oci`;
    const copied = await exec('skopeo', ['copy', '--quiet', '--format', 'oci', '--dest-tls-verify=false', `docker-daemon:${image}`, remote], {
      timeoutMs: 5 * 60_000
    });
    if (copied.exitCode !== 0) throw new Error(`skopeo copy failed (${copied.failure ?? `exit code ${copied.exitCode}`}): ${copied.all}`);
    const oci = await fetchManifest(registry.address, pushed.repository, 'oci');
    const docker = await fetchManifest(registry.address, pushed.repository, pushed.tag);
    expect(oci.mediaType).toBe(OCI_MANIFEST);
    expect(oci.layers).toHaveLength(docker.layers.length);
    expect(oci.layers.every((layer) => layer.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip')).toBe(true);
  });

  test('names the manifest a registry does not have', async () => {
    await expect(fetchManifest(registry.address, pushed.repository, 'no-such-tag')).rejects.toThrow(
      `Registry ${registry.address} has no manifest ${registry.address}/${pushed.repository}:no-such-tag (HTTP 404).`
    );
  });

  test('says when nothing answers, naming the registry', async () => {
    // The registry's own port once it is gone would race with other tests: a port nothing listens on.
    await expect(fetchManifest('127.0.0.1:1', 'footprint-test/x', 'latest', { timeoutMs: 5000 })).rejects.toThrow(
      /^Could not reach registry 127\.0\.0\.1:1 \(http\) for the manifest of 127\.0\.0\.1:1\/footprint-test\/x:latest: /
    );
  });
});

describe('manifest URLs', () => {
  test.each([
    ['127.0.0.1:5000', 'footprint-test/app', 'v1', 'http://127.0.0.1:5000/v2/footprint-test/app/manifests/v1'],
    ['localhost:5000', 'app', 'latest', 'http://localhost:5000/v2/app/manifests/latest'],
    ['127.10.0.3', 'a/b/c', '1.0', 'http://127.10.0.3/v2/a/b/c/manifests/1.0'],
    ['[::1]:5000', 'app', 'latest', 'http://[::1]:5000/v2/app/manifests/latest'],
    ['ghcr.io', 'owner/app', 'sha256:' + 'a'.repeat(64), `https://ghcr.io/v2/owner/app/manifests/sha256:${'a'.repeat(64)}`],
    ['registry.example.com:8443', 'team/app_x', 'pr-12', 'https://registry.example.com:8443/v2/team/app_x/manifests/pr-12'],
    ['128.0.0.1:5000', 'app', 'v1', 'https://128.0.0.1:5000/v2/app/manifests/v1'],
    ['localhost.example.com', 'app', 'v1', 'https://localhost.example.com/v2/app/manifests/v1']
  ])('%s %s:%s is %s', (registryAddress, repository, reference, url) => {
    expect(manifestUrl(registryAddress, repository, reference).href).toBe(url);
  });

  test.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['[::1]', true],
    ['::1', true],
    ['127.0.0.256', false],
    ['10.0.0.1', false],
    ['example.com', false]
  ])('%s is on the loopback interface: %p', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  test.each([
    ['127.0.0.1:5000/x', 'app', 'v1', 'Registry "127.0.0.1:5000/x" is not a host name with an optional port'],
    ['user@host', 'app', 'v1', 'Registry "user@host" is not a host name'],
    ['host:99999', 'app', 'v1', 'Registry "host:99999" is not a host name'],
    ['', 'app', 'v1', 'Registry "" is not a host name'],
    ['ghcr.io', 'Owner/App', 'v1', 'Repository "Owner/App" is not a valid name'],
    ['ghcr.io', 'app/', 'v1', 'Repository "app/" is not a valid name'],
    ['ghcr.io', '../app', 'v1', 'Repository "../app" is not a valid name'],
    ['ghcr.io', 'app', '-v1', 'Reference "-v1" is neither a tag'],
    ['ghcr.io', 'app', 'a/b', 'Reference "a/b" is neither a tag'],
    ['ghcr.io', 'app', 'x'.repeat(129), 'is neither a tag']
  ])('refuses %p %p %p', (registryAddress, repository, reference, message) => {
    const attempt = () => manifestUrl(registryAddress, repository, reference);
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(message);
  });
});

describe('parseManifest', () => {
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 1234 };
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 56 };

  test('takes the media type from the body, else from Content-Type', () => {
    const body = { schemaVersion: 2, config, layers: [layer] };
    expect(parseManifest(JSON.stringify({ ...body, mediaType: OCI_MANIFEST }), null, 'x')).toEqual({
      mediaType: OCI_MANIFEST,
      config: { digest: config.digest, size: 56 },
      layers: [layer]
    });
    expect(parseManifest(JSON.stringify(body), `${DOCKER_MANIFEST_V2}; charset=utf-8`, 'x').mediaType).toBe(DOCKER_MANIFEST_V2);
  });

  test.each<[string, unknown, string]>([
    ['not JSON', '{', 'The manifest of r/x:1 is not JSON.'],
    ['an array', [], 'The manifest of r/x:1 is not a JSON object.'],
    [
      'an index',
      { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] },
      "r/x:1 is a multi-platform image index (application/vnd.oci.image.index.v1+json); ask for one platform's manifest by its digest."
    ],
    ['schema 1', { schemaVersion: 1, fsLayers: [] }, 'The manifest of r/x:1 has schemaVersion 1; only version 2 is supported.'],
    ['no layers', { schemaVersion: 2, config }, 'The manifest of r/x:1 has no layers list.'],
    [
      'a layer without size',
      { schemaVersion: 2, config, layers: [{ ...layer, size: '12' }] },
      'The descriptor of layer 0 of r/x:1 has no valid size.'
    ],
    [
      'a bad digest',
      { schemaVersion: 2, config: { ...config, digest: 'nope' }, layers: [] },
      'The descriptor of the config of r/x:1 has no valid digest.'
    ]
  ])('refuses %s', (_label, body, message) => {
    expect(() => parseManifest(typeof body === 'string' ? body : JSON.stringify(body), null, 'r/x:1')).toThrow(message);
  });
});
