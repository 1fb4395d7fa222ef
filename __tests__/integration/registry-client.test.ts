/**
 * The registry client against real registries on 127.0.0.1: Debian's
 * `docker-registry` holding images pushed under base-image-like names, the same
 * behind a front that demands an anonymous bearer token, and one that never
 * answers. Sizes are checked to the byte against the manifests the registry
 * returns, manifest digests against the digests it names them by. And registries that misbehave the way one named in a hostile PR's
 * `FROM` could: HTTPS fronts under made-up names (a resolver points them at
 * 127.0.0.1, so the client treats them as remote) whose token realm or
 * redirects point at the runner's own loopback or at plain HTTP, and servers
 * whose answers never end.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { OCI_INDEX } from '../../src/oci.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { MAX_REDIRECTS } from '../../src/registry/guarded-http.js';
import { fetchManifest } from '../support/manifest.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';
import {
  fakeLookup,
  makeCertificate,
  pushTestImages,
  removeLocalTags,
  startEndlessServer,
  startSilentRegistry,
  startTokenRegistry,
  type Certificate,
  type PushedImages,
  type RecordedRequest,
  type SilentRegistry,
  type TokenRegistry
} from '../support/token-registry.js';

const AMD64 = 'linux/amd64';
const ARM64 = 'linux/arm64';
const GITHUB_SECRET = `ghs_${'s3cr3t'.repeat(6)}`;

let registry: LocalRegistry;
let images: PushedImages;
/** Demands a bearer token, then proxies to `registry`. */
let guarded: TokenRegistry;
/** Only records and proxies to `registry`. */
let recorder: TokenRegistry;
let silent: SilentRegistry;
const savedEnv = { ...process.env };

/** The same repository and tag at another registry address. */
function at(address: string, ref: string): string {
  return ref.replace(/^[^/]+/, address);
}

/** Sum of layer sizes in the manifest the registry itself returns. */
async function manifestLayerBytes(repository: string, reference: string): Promise<number> {
  const manifest = await fetchManifest(registry.address, repository, reference);
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}

function manifestRequests(requests: readonly RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => request.url.includes('/manifests/'));
}

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages(registry.address);
  guarded = await startTokenRegistry(registry.address);
  recorder = await startTokenRegistry(registry.address, { requireToken: false });
  silent = await startSilentRegistry();
  // A client must never pick these up and hand them to a registry.
  process.env.GITHUB_TOKEN = GITHUB_SECRET;
  process.env['INPUT_GITHUB-TOKEN'] = GITHUB_SECRET;
  process.env.ACTIONS_RUNTIME_TOKEN = GITHUB_SECRET;
});

afterAll(async () => {
  process.env = savedEnv;
  await silent?.stop();
  await recorder?.stop();
  await guarded?.stop();
  await registry?.stop();
  if (images) await removeLocalTags(images.localTags);
});

describe('a plain registry', () => {
  test('exists(): true for pushed tags, false for a missing tag or repository', async () => {
    const client = createRegistryClient();
    expect(await client.exists(images.large, AMD64)).toBe(true);
    expect(await client.exists(images.medium, AMD64)).toBe(true);
    expect(await client.exists(images.small, ARM64)).toBe(true);
    expect(await client.exists(`${registry.address}/library/python:3.99-alpine`, AMD64)).toBe(false);
    expect(await client.exists(`${registry.address}/library/nosuchimage:1`, AMD64)).toBe(false);
  });

  test('compressedSize() equals the sum of layer sizes in the registry manifest, to the byte', async () => {
    const client = createRegistryClient();
    const expected = {
      large: await manifestLayerBytes('library/python', '3.12'),
      medium: await manifestLayerBytes('library/python', '3.12-slim'),
      small: await manifestLayerBytes('library/python', '3.12-alpine')
    };
    const measured = {
      large: await client.compressedSize(images.large, AMD64),
      medium: await client.compressedSize(images.medium, AMD64),
      small: await client.compressedSize(images.small, AMD64)
    };
    expect(measured).toEqual(expected);
    // The names stand for sizes: about 44 MB, 8 MB and 2 MB compressed.
    expect(expected.large).toBeGreaterThan(40_000_000);
    expect(expected.medium).toBeGreaterThan(expected.small + 5_000_000);
    expect(expected.small).toBeGreaterThan(500_000);
    // The saving a suggestion of python:3.12 → python:3.12-alpine states.
    expect(measured.large! - measured.small!).toBe(expected.large - expected.small);
    expect(await client.compressedSize(`${registry.address}/library/python:3.99`, AMD64)).toBeNull();
  });

  test('a digest reference is looked up by its digest', async () => {
    const manifest = await fetchManifest(registry.address, 'library/python', '3.12-alpine');
    const client = createRegistryClient();
    const ref = `${registry.address}/library/python@${manifest.digest}`;
    expect(await client.exists(ref, AMD64)).toBe(true);
    expect(await client.compressedSize(ref, AMD64)).toBe(manifest.layers.reduce((sum, layer) => sum + layer.size, 0));
  });
});

describe('a multi-platform OCI index', () => {
  test('is resolved to linux/amd64 and linux/arm64, which differ in size', async () => {
    const client = createRegistryClient();
    const amd64 = await manifestLayerBytes('library/node', images.multiDigests.amd64);
    const arm64 = await manifestLayerBytes('library/node', images.multiDigests.arm64);
    expect(amd64).not.toBe(arm64);
    expect(await client.compressedSize(images.multi, AMD64)).toBe(amd64);
    expect(await client.compressedSize(images.multi, ARM64)).toBe(arm64);
    expect(await client.compressedSize(images.multi, 'linux/arm64/v8')).toBe(arm64);
    expect(await client.exists(images.multi, 'linux/arm64/v8')).toBe(true);
    expect(await client.exists(images.multi, AMD64)).toBe(true);
  });

  test('a platform the index does not list: exists false, no size', async () => {
    const logs: string[] = [];
    const client = createRegistryClient({ log: (message) => logs.push(message) });
    expect(await client.exists(images.multi, 'linux/s390x')).toBe(false);
    expect(await client.compressedSize(images.multi, 'linux/arm/v7')).toBeNull();
    expect(logs.join('\n')).toContain('has no image for linux/s390x');
  });
});

describe('manifestDigest()', () => {
  /** The sha256 of the index's bytes as the registry serves them: the digest a `@sha256:` reference to it names. */
  async function indexDigest(): Promise<string> {
    const response = await fetch(`http://${registry.address}/v2/library/node/manifests/22`, { headers: { Accept: OCI_INDEX } });
    expect(response.status).toBe(200);
    return `sha256:${createHash('sha256')
      .update(Buffer.from(await response.arrayBuffer()))
      .digest('hex')}`;
  }

  test('an index: the digest of the entry for each platform', async () => {
    const client = createRegistryClient();
    expect(await client.manifestDigest(images.multi, AMD64)).toBe(images.multiDigests.amd64);
    expect(await client.manifestDigest(images.multi, ARM64)).toBe(images.multiDigests.arm64);
    expect(await client.manifestDigest(images.multi, 'linux/arm64/v8')).toBe(images.multiDigests.arm64);
    expect(images.multiDigests.amd64).not.toBe(images.multiDigests.arm64);
  });

  test('a single manifest: the digest the registry names it by (Docker-Content-Digest), whatever the platform asked', async () => {
    const client = createRegistryClient();
    for (const [ref, tag] of [
      [images.large, '3.12'],
      [images.medium, '3.12-slim'],
      [images.small, '3.12-alpine']
    ] as const) {
      const manifest = await fetchManifest(registry.address, 'library/python', tag);
      expect(manifest.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await client.manifestDigest(ref, AMD64)).toBe(manifest.digest);
    }
    // The index's single-platform manifests, by tag, are the index's entries.
    expect(await client.manifestDigest(`${registry.address}/library/node:22-linux-arm64`, ARM64)).toBe(images.multiDigests.arm64);
  });

  test('a reference that carries a digest: that digest for a manifest, the platform entry for an index', async () => {
    const client = createRegistryClient();
    const manifest = await fetchManifest(registry.address, 'library/python', '3.12-alpine');
    expect(await client.manifestDigest(`${registry.address}/library/python@${manifest.digest}`, AMD64)).toBe(manifest.digest);
    const index = await indexDigest();
    expect(await client.manifestDigest(`${registry.address}/library/node@${index}`, ARM64)).toBe(images.multiDigests.arm64);
    expect(await client.manifestDigest(`${registry.address}/library/node:22@${index}`, AMD64)).toBe(images.multiDigests.amd64);
  });

  test('an unknown tag or repository, or a platform the index lacks: null, and why', async () => {
    const logs: string[] = [];
    const client = createRegistryClient({ log: (message) => logs.push(message) });
    expect(await client.manifestDigest(`${registry.address}/library/python:3.99`, AMD64)).toBeNull();
    expect(await client.manifestDigest(`${registry.address}/library/nosuchimage:1`, AMD64)).toBeNull();
    expect(await client.manifestDigest(images.multi, 'linux/s390x')).toBeNull();
    expect(await client.manifestDigest('not a reference', AMD64)).toBeNull();
    const log = logs.join('\n');
    expect(log).toContain(`Registry ${registry.address} has no ${registry.address}/library/python:3.99.`);
    expect(log).toContain('has no image for linux/s390x');
  });

  test('behind a bearer token, and from a registry that does not answer', async () => {
    const client = createRegistryClient({ timeoutMs: 300 });
    expect(await client.manifestDigest(at(guarded.address, images.multi), ARM64)).toBe(images.multiDigests.arm64);
    expect(await client.manifestDigest(`${silent.address}/library/python:3.12`, AMD64)).toBeNull();
  });

  test('shares the manifest requests of compressedSize(), and asks each question once', async () => {
    const client = createRegistryClient();
    const multi = at(recorder.address, images.multi);
    const large = at(recorder.address, images.large);
    const start = recorder.requests.length;
    await client.compressedSize(multi, ARM64);
    await client.compressedSize(large, AMD64);
    const afterSizes = recorder.requests.length;
    expect(await client.manifestDigest(multi, ARM64)).toBe(images.multiDigests.arm64);
    expect(await client.manifestDigest(multi, AMD64)).toBe(images.multiDigests.amd64);
    expect(await client.manifestDigest(large, AMD64)).toBe((await fetchManifest(registry.address, 'library/python', '3.12')).digest);
    expect(recorder.requests.length).toBe(afterSizes);
    expect(manifestRequests(recorder.requests.slice(start)).map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET /v2/library/node/manifests/22',
      `GET /v2/library/node/manifests/${images.multiDigests.arm64}`,
      'GET /v2/library/python/manifests/3.12'
    ]);
  });
});

describe('a registry that demands a bearer token', () => {
  test('an anonymous token is fetched once per repository and reused; no other Authorization is ever sent', async () => {
    const client = createRegistryClient();
    const before = guarded.requests.length;
    const large = at(guarded.address, images.large);
    const small = at(guarded.address, images.small);
    expect(await client.exists(large, AMD64)).toBe(true);
    expect(await client.compressedSize(large, AMD64)).toBe(await manifestLayerBytes('library/python', '3.12'));
    expect(await client.compressedSize(small, AMD64)).toBe(await manifestLayerBytes('library/python', '3.12-alpine'));
    expect(await client.exists(at(guarded.address, `${registry.address}/library/python:3.99`), AMD64)).toBe(false);
    expect(await client.compressedSize(at(guarded.address, images.multi), ARM64)).toBe(
      await manifestLayerBytes('library/node', images.multiDigests.arm64)
    );

    const seen = guarded.requests.slice(before);
    const tokenRequests = seen.filter((request) => request.url.startsWith('/token'));
    // One token for library/python, one for library/node.
    expect(tokenRequests.map((request) => new URL(request.url, 'http://x').searchParams.get('scope'))).toEqual([
      'repository:library/python:pull',
      'repository:library/node:pull'
    ]);
    expect(tokenRequests.every((request) => new URL(request.url, 'http://x').searchParams.get('service') === guarded.service)).toBe(true);
    // Only the first request met a 401: from then on the token went up front.
    const unauthorised = manifestRequests(seen).filter((request) => request.headers.authorization === undefined);
    expect(unauthorised).toHaveLength(1);

    for (const request of seen) {
      const authorization = request.headers.authorization;
      if (request.url.startsWith('/token')) expect(authorization).toBeUndefined();
      else if (authorization !== undefined) expect(guarded.issued.map((token) => `Bearer ${token}`)).toContain(authorization);
      expect(JSON.stringify(request.headers)).not.toContain(GITHUB_SECRET);
      expect(request.url).not.toContain(GITHUB_SECRET);
    }
  });

  test('a refused token is replaced by a fresh one, once', async () => {
    const client = createRegistryClient();
    const ref = at(guarded.address, images.medium);
    expect(await client.exists(at(guarded.address, images.large), AMD64)).toBe(true);
    const issued = guarded.issued.length;
    guarded.revokeTokens();
    expect(await client.compressedSize(ref, AMD64)).toBe(await manifestLayerBytes('library/python', '3.12-slim'));
    expect(guarded.issued.length).toBe(issued + 1);
  });

  test('a token service that does not answer: null, and why', async () => {
    const logs: string[] = [];
    const client = createRegistryClient({ log: (message) => logs.push(message), timeoutMs: 300 });
    const mute = await startTokenRegistry(registry.address, { realm: `http://${silent.address}/token` });
    try {
      expect(await client.exists(at(mute.address, images.large), AMD64)).toBeNull();
      expect(await client.compressedSize(at(mute.address, images.large), AMD64)).toBeNull();
    } finally {
      await mute.stop();
    }
    expect(logs.join('\n')).toContain(`Could not get a token for ${mute.address} from http://${silent.address}: no answer within 0.3 s`);
  });
});

describe('a registry that does not answer', () => {
  test('exists() and compressedSize() are null within the timeout, and say why', async () => {
    const logs: string[] = [];
    const timeoutMs = 300;
    const client = createRegistryClient({ timeoutMs, log: (message) => logs.push(message) });
    const ref = `${silent.address}/library/python:3.12`;
    const started = Date.now();
    expect(await client.exists(ref, AMD64)).toBeNull();
    expect(await client.compressedSize(ref, AMD64)).toBeNull();
    // Two requests of 300 ms each, with a wide margin for a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(silent.connections()).toBeGreaterThanOrEqual(1);
    expect(logs.join('\n')).toContain('no answer within 0.3 s');
  });

  test('a port nobody listens on: null', async () => {
    const logs: string[] = [];
    const client = createRegistryClient({ timeoutMs: 1000, log: (message) => logs.push(message) });
    const closed = await startSilentRegistry();
    await closed.stop();
    expect(await client.compressedSize(`${closed.address}/library/python:3.12`, AMD64)).toBeNull();
    expect(logs.join('\n')).toContain('ECONNREFUSED');
  });
});

describe('caching within a run', () => {
  test('the same question twice makes one request; exists() uses HEAD for a single-platform tag', async () => {
    const client = createRegistryClient();
    const large = at(recorder.address, images.large);
    const multi = at(recorder.address, images.multi);
    let start = recorder.requests.length;
    expect(await client.exists(large, AMD64)).toBe(true);
    expect(await client.exists(large, AMD64)).toBe(true);
    expect(manifestRequests(recorder.requests.slice(start)).map((request) => request.method)).toEqual(['HEAD']);

    start = recorder.requests.length;
    const size = await client.compressedSize(large, AMD64);
    expect(await client.compressedSize(large, AMD64)).toBe(size);
    expect(manifestRequests(recorder.requests.slice(start)).map((request) => request.method)).toEqual(['GET']);

    // An index: a GET for the index, one for the platform's manifest; the second platform reuses the index.
    start = recorder.requests.length;
    const [first, again] = await Promise.all([client.compressedSize(multi, ARM64), client.compressedSize(multi, ARM64)]);
    expect(again).toBe(first);
    expect(await client.exists(multi, ARM64)).toBe(true);
    expect(await client.compressedSize(multi, AMD64)).not.toBe(first);
    const urls = manifestRequests(recorder.requests.slice(start)).map((request) => `${request.method} ${request.url}`);
    expect(urls).toEqual([
      'GET /v2/library/node/manifests/22',
      `GET /v2/library/node/manifests/${images.multiDigests.arm64}`,
      `GET /v2/library/node/manifests/${images.multiDigests.amd64}`
    ]);
    // No Authorization to a registry that asked for none.
    expect(recorder.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
  });
});

describe('a registry named in a pull request, not on loopback', () => {
  /** Names the client takes for remote hosts; the resolver points them (and localhost) at 127.0.0.1, and knows no other name. */
  const lookup = fakeLookup({ 'registry.test': '127.0.0.1', 'auth.test': '127.0.0.1', localhost: '127.0.0.1' });
  let certificate: Certificate;
  /** A working remote registry: HTTPS, a token realm on its own origin. */
  let remote: TokenRegistry;
  /** A token service on HTTPS, with a certificate for 127.0.0.1, localhost and auth.test: it would hand out tokens. */
  let tokenService: TokenRegistry;
  const started: TokenRegistry[] = [];

  function remoteClient(logs: string[]) {
    return createRegistryClient({ ca: certificate.cert, lookup, timeoutMs: 5000, log: (message) => logs.push(message) });
  }

  function tokenRequests(server: TokenRegistry): number {
    return server.requests.filter((request) => request.url.startsWith('/token')).length;
  }

  async function front(options: Parameters<typeof startTokenRegistry>[1]): Promise<TokenRegistry> {
    const server = await startTokenRegistry(registry.address, { tls: certificate, ...options });
    started.push(server);
    return server;
  }

  beforeAll(async () => {
    certificate = await makeCertificate(['registry.test', 'auth.test', 'localhost'], ['127.0.0.1', '::ffff:127.0.0.1']);
    remote = await front({ realm: (port) => `https://registry.test:${port}/token` });
    tokenService = await front({});
  });

  afterAll(async () => {
    for (const server of started) await server.stop();
  });

  test('over HTTPS with a token realm on its own origin, sizes are measured (the remote path works)', async () => {
    const logs: string[] = [];
    const client = remoteClient(logs);
    const ref = `registry.test:${remote.port}/library/python:3.12`;
    expect(await client.exists(ref, AMD64)).toBe(true);
    expect(await client.compressedSize(ref, AMD64)).toBe(await manifestLayerBytes('library/python', '3.12'));
    expect(tokenRequests(remote)).toBeGreaterThanOrEqual(1);
    expect(logs).toEqual([]);
    // Without the test certificate the same registry is refused: the client really checks it.
    const untrusting = createRegistryClient({ lookup, timeoutMs: 5000, log: (message) => logs.push(message) });
    expect(await untrusting.compressedSize(ref, AMD64)).toBeNull();
    expect(logs.join('\n')).toMatch(/self[- ]signed certificate/);
  });

  test.each([
    ['plain HTTP on loopback', () => `http://${guarded.address}/token`, () => guarded, 'is plain HTTP'],
    ['HTTPS on 127.0.0.1', () => `https://127.0.0.1:${tokenService.port}/token`, () => tokenService, 'loopback, private or link-local'],
    ['HTTPS on localhost', () => `https://localhost:${tokenService.port}/token`, () => tokenService, 'loopback, private or link-local'],
    [
      'HTTPS on an IPv4-mapped loopback address',
      () => `https://[::ffff:127.0.0.1]:${tokenService.port}/token`,
      () => tokenService,
      'loopback, private or link-local'
    ],
    [
      'HTTPS on a name that resolves to 127.0.0.1',
      () => `https://auth.test:${tokenService.port}/token`,
      () => tokenService,
      'auth.test resolves to 127.0.0.1'
    ],
    ['HTTPS on the cloud metadata address', () => 'https://169.254.169.254/latest/meta-data/', () => tokenService, 'loopback, private or link-local']
  ])('a token realm %s is refused: no token is asked for, no number, one log line', async (_name, realm, target, why) => {
    const hostile = await front({ realm: realm() });
    const logs: string[] = [];
    const client = remoteClient(logs);
    const before = tokenRequests(target());
    const ref = `registry.test:${hostile.port}/library/python:3.12`;
    expect(await client.exists(ref, AMD64)).toBeNull();
    expect(await client.compressedSize(ref, AMD64)).toBeNull();
    expect(await client.compressedSize(`registry.test:${hostile.port}/library/python:3.12-slim`, AMD64)).toBeNull();
    expect(tokenRequests(target())).toBe(before);
    // The registry itself saw only requests without a token, answered 401.
    expect(hostile.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
    const refusals = logs.filter((line) => line.startsWith('Refused the token realm'));
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain(`that registry registry.test:${hostile.port} named`);
    expect(refusals[0]).toContain(why);
  });

  test('the same realms are fine for a registry that is itself on loopback', async () => {
    const local = await startTokenRegistry(registry.address, { realm: `https://localhost:${tokenService.port}/token` });
    started.push(local);
    const before = tokenRequests(tokenService);
    const logs: string[] = [];
    const client = remoteClient(logs);
    // The token service is asked and its token goes to `local` (which does not accept it: not found).
    expect(await client.exists(at(local.address, images.small), AMD64)).toBe(false);
    expect(tokenRequests(tokenService)).toBeGreaterThan(before);
    const sent = local.requests.map((request) => request.headers.authorization).filter((value) => value !== undefined);
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent.every((value) => tokenService.issued.some((token) => value === `Bearer ${token}`))).toBe(true);
    expect(logs.join('\n')).not.toContain('Refused');
  });

  test.each([
    ['to plain HTTP on loopback', (path: string) => `http://${recorder.address}${path}`, 'a redirect from HTTPS to http://127.0.0.1:'],
    [
      'to plain HTTP on a remote name',
      (path: string) => `http://registry.test:${recorder.port}${path}`,
      'a redirect from HTTPS to http://registry.test:'
    ],
    ['to HTTPS on 127.0.0.1', (path: string) => `https://127.0.0.1:${remote.port}/moved${path}`, 'loopback, private or link-local'],
    [
      'to HTTPS on a name that resolves to 127.0.0.1',
      (path: string) => `https://auth.test:${remote.port}/moved${path}`,
      'auth.test resolves to 127.0.0.1'
    ],
    ['to a file', () => 'file:///etc/passwd', 'a redirect from HTTPS to file://']
  ])('a redirect %s is refused: no number, nothing reaches the target', async (_name, location, why) => {
    const redirecting = await front({ requireToken: false, redirect: location });
    const logs: string[] = [];
    const client = remoteClient(logs);
    const recorded = recorder.requests.length;
    const remoteMoved = remote.requests.filter((request) => request.url.startsWith('/moved/')).length;
    const ref = `registry.test:${redirecting.port}/library/python:3.12`;
    expect(await client.exists(ref, AMD64)).toBeNull();
    expect(await client.compressedSize(ref, AMD64)).toBeNull();
    expect(recorder.requests.length).toBe(recorded);
    expect(remote.requests.filter((request) => request.url.startsWith('/moved/')).length).toBe(remoteMoved);
    const refusals = logs.filter((line) => line.startsWith('Refused to read'));
    // One per request made: the HEAD of exists() and the GET of compressedSize().
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toContain(
      `Refused to read registry.test:${redirecting.port}/library/python:3.12 from registry registry.test:${redirecting.port}: `
    );
    expect(refusals.every((line) => line.includes(why))).toBe(true);
  });

  test('a redirect on its own origin is followed; an endless loop of them is cut off', async () => {
    const moving = await front({
      requireToken: false,
      redirect: (path) => (path.includes('3.12-slim') ? path : `https://registry.test:${moving.port}/moved${path}`)
    });
    const logs: string[] = [];
    const client = remoteClient(logs);
    expect(await client.compressedSize(`registry.test:${moving.port}/library/python:3.12`, AMD64)).toBe(
      await manifestLayerBytes('library/python', '3.12')
    );
    expect(logs).toEqual([]);

    const before = moving.requests.length;
    expect(await client.compressedSize(`registry.test:${moving.port}/library/python:3.12-slim`, AMD64)).toBeNull();
    expect(moving.requests.length - before).toBe(MAX_REDIRECTS + 1);
    expect(logs.join('\n')).toContain(`more than ${MAX_REDIRECTS} redirects`);
  });

  test('the Authorization header does not follow a redirect to another origin', async () => {
    // On loopback, where a redirect to another origin is allowed: 127.0.0.1:P (token required) to localhost:Q.
    const other = await startTokenRegistry(registry.address, { requireToken: false });
    started.push(other);
    const moving = await startTokenRegistry(registry.address, { redirect: (path) => `http://localhost:${other.port}/moved${path}` });
    started.push(moving);
    const logs: string[] = [];
    const client = remoteClient(logs);
    expect(await client.compressedSize(at(moving.address, images.large), AMD64)).toBe(await manifestLayerBytes('library/python', '3.12'));
    expect(moving.requests.some((request) => request.headers.authorization !== undefined)).toBe(true);
    expect(other.requests.length).toBeGreaterThanOrEqual(1);
    expect(other.requests.every((request) => request.headers.authorization === undefined)).toBe(true);
  });
});

describe('answers that never end', () => {
  test('a manifest that streams forever is cut off at the cap, quickly', async () => {
    const endless = await startEndlessServer();
    try {
      const logs: string[] = [];
      const client = createRegistryClient({ timeoutMs: 60_000, log: (message) => logs.push(message) });
      const started = Date.now();
      expect(await client.compressedSize(`${endless.address}/library/python:3.12`, AMD64)).toBeNull();
      await endless.closed();
      expect(Date.now() - started).toBeLessThan(10_000);
      // The cap is 4 MiB; what the server got to write beyond it sat in socket buffers.
      expect(endless.written()).toBeLessThan(32 * 1024 * 1024);
      expect(logs.join('\n')).toContain(
        `Refused to read ${endless.address}/library/python:3.12 from registry ${endless.address}: an answer of more than 4194304 bytes, cut off there.`
      );
    } finally {
      await endless.stop();
    }
  });

  test('a declared length past the cap is refused before the body is read', async () => {
    const endless = await startEndlessServer({ contentLength: 10 * 1024 ** 3 });
    try {
      const logs: string[] = [];
      const client = createRegistryClient({ timeoutMs: 60_000, log: (message) => logs.push(message) });
      expect(await client.compressedSize(`${endless.address}/library/python:3.12`, AMD64)).toBeNull();
      await endless.closed();
      expect(logs.join('\n')).toContain('an answer of 10737418240 bytes, more than the 4194304 allowed');
    } finally {
      await endless.stop();
    }
  });

  test('a token answer that streams forever is cut off at its cap', async () => {
    const endless = await startEndlessServer();
    const front = await startTokenRegistry(registry.address, { realm: `http://${endless.address}/token` });
    try {
      const logs: string[] = [];
      const client = createRegistryClient({ timeoutMs: 60_000, log: (message) => logs.push(message) });
      const started = Date.now();
      expect(await client.compressedSize(at(front.address, images.small), AMD64)).toBeNull();
      await endless.closed();
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(endless.requests()).toBe(1);
      expect(logs.join('\n')).toContain('an answer of more than 65536 bytes, cut off there');
    } finally {
      await front.stop();
      await endless.stop();
    }
  });
});
