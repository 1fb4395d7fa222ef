/**
 * Registries for the registry client's tests, all on 127.0.0.1:
 * - startTokenRegistry: a front to a real `docker-registry` (startRegistry)
 *   that demands an anonymous bearer token the way Docker Hub does (401 with a
 *   `WWW-Authenticate: Bearer realm=...` challenge, a token endpoint), then
 *   proxies to the real registry; it records every request's headers. With
 *   `requireToken: false` it only records and proxies.
 * - startSilentRegistry: accepts TCP connections and never answers.
 * - pushTestImages / pushIndex: images under base-image-like names, built from
 *   the local test bases, and an OCI image index written by hand.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import { exec } from '../../src/exec.js';
import { TEST_BASE, TEST_FAT_BASE, makeBuildDir } from './engine.js';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface TokenRegistry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  address: string;
  /** The service name the challenge names. */
  service: string;
  /** Every request received, in order (token requests included). */
  requests: RecordedRequest[];
  /** The tokens handed out so far. */
  issued: string[];
  /** Makes every token handed out so far invalid (as if expired). */
  revokeTokens(): void;
  stop(): Promise<void>;
}

export interface SilentRegistry {
  address: string;
  /** How many connections were accepted. */
  connections(): number;
  stop(): Promise<void>;
}

const SERVICE = 'test-registry';

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address === 'object' && address !== null) resolve(address.port);
      else reject(new Error('no port on 127.0.0.1'));
    });
  });
}

/** The repository a `/v2/<name>/(manifests|blobs|tags)/...` path is about, or null. */
function repositoryOf(path: string): string | null {
  const match = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(path);
  return match ? match[1]! : null;
}

/** A front to the registry at `upstream` (`127.0.0.1:PORT`) that demands a bearer token (unless `requireToken` is false). */
export async function startTokenRegistry(
  upstream: string,
  options: { requireToken?: boolean; /** The token realm the challenge names; default this server's /token. */ realm?: string } = {}
): Promise<TokenRegistry> {
  const requireToken = options.requireToken ?? true;
  const requests: RecordedRequest[] = [];
  const issued: string[] = [];
  const valid = new Set<string>();
  let address = '';
  const [upstreamHost, upstreamPort] = upstream.split(':') as [string, string];

  const server = createHttpServer((req, res) => {
    const url = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', url, headers: { ...req.headers } });
    const path = new URL(url, 'http://x').pathname;

    if (path === '/token') {
      const query = new URL(url, 'http://x').searchParams;
      if (query.get('service') !== SERVICE || !/^repository:[a-z0-9._/-]+:pull$/.test(query.get('scope') ?? '')) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"code":"DENIED","message":"bad service or scope"}]}');
        return;
      }
      const token = randomBytes(16).toString('hex');
      issued.push(token);
      valid.add(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
      return;
    }
    if (!path.startsWith('/v2/')) {
      res.writeHead(404).end();
      return;
    }

    const authorization = req.headers.authorization ?? '';
    const bearer = /^Bearer (\S+)$/.exec(authorization)?.[1];
    if (requireToken && (bearer === undefined || !valid.has(bearer))) {
      const repository = repositoryOf(path);
      const scope = repository !== null ? `,scope="repository:${repository}:pull"` : '';
      const error = bearer !== undefined ? ',error="invalid_token"' : '';
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="${options.realm ?? `http://${address}/token`}",service="${SERVICE}"${scope}${error}`,
        'docker-distribution-api-version': 'registry/2.0'
      });
      res.end(req.method === 'HEAD' ? undefined : '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }

    // Forward without any Authorization: the real registry needs none.
    const headers: Record<string, string> = {};
    for (const name of ['accept', 'content-type', 'content-length']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const forward = httpRequest({ host: upstreamHost, port: Number(upstreamPort), method: req.method, path: url, headers }, (upstreamResponse) => {
      res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(res);
    });
    forward.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`upstream: ${error.message}`);
    });
    req.pipe(forward);
  });

  const port = await listen(server);
  address = `127.0.0.1:${port}`;
  return {
    address,
    service: SERVICE,
    requests,
    issued,
    revokeTokens: () => valid.clear(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

/** A registry that accepts connections and never says a word. */
export async function startSilentRegistry(): Promise<SilentRegistry> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createTcpServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  const port = await listen(server);
  return {
    address: `127.0.0.1:${port}`,
    connections: () => accepted,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      })
  };
}

async function docker(args: string[]): Promise<string> {
  const result = await exec('docker', args, { timeoutMs: 10 * 60_000 });
  if (result.exitCode !== 0)
    throw new Error(`docker ${args.join(' ')} failed (${result.failure ?? `exit code ${result.exitCode}`}):\n${result.all.slice(-3000)}`);
  return result.stdout;
}

export interface PushedImages {
  /** Every local tag made (for removeLocalTags). */
  localTags: string[];
  /** References in the registry, as `ADDRESS/library/NAME:TAG`: */
  large: string;
  medium: string;
  small: string;
  /** `ADDRESS/library/node:22`: an OCI index of `medium` for linux/amd64 and `small` for linux/arm64/v8. */
  multi: string;
  /** The digests of the index's linux/amd64 and linux/arm64 manifests. */
  multiDigests: { amd64: string; arm64: string };
}

/**
 * Pushes, to the registry at `address`, base-image-like names of three sizes:
 * `library/python:3.12` (TEST_FAT_BASE, about 44 MB), `library/python:3.12-slim`
 * (TEST_BASE plus 6 MB of random bytes) and `library/python:3.12-alpine`
 * (TEST_BASE, about 2 MB); and a multi-platform `library/node:22`: an OCI index
 * of the medium image for linux/amd64 and the small one for linux/arm64/v8
 * (their single-platform manifests are pushed as `22-linux-amd64` and `22-linux-arm64`).
 */
export async function pushTestImages(address: string): Promise<PushedImages> {
  const localTags: string[] = [];
  const medium = `footprint-test/registry-client-${process.pid}-medium:1`;
  const folder = await makeBuildDir({ Dockerfile: `FROM ${TEST_BASE}\nRUN head -c 6000000 /dev/urandom > /medium.bin\n` });
  try {
    await docker(['build', '--network=none', '-t', medium, folder]);
    localTags.push(medium);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  const pushed = {
    large: `${address}/library/python:3.12`,
    medium: `${address}/library/python:3.12-slim`,
    small: `${address}/library/python:3.12-alpine`
  };
  for (const [source, remote] of [
    [TEST_FAT_BASE, pushed.large],
    [medium, pushed.medium],
    [TEST_BASE, pushed.small],
    [medium, `${address}/library/node:22-linux-amd64`],
    [TEST_BASE, `${address}/library/node:22-linux-arm64`]
  ] as const) {
    await docker(['tag', source, remote]);
    localTags.push(remote);
    await docker(['push', remote]);
  }
  const index = await pushIndex(address, 'library/node', '22', [
    { tag: '22-linux-amd64', platform: 'linux/amd64' },
    { tag: '22-linux-arm64', platform: 'linux/arm64/v8' }
  ]);
  return {
    localTags,
    ...pushed,
    multi: `${address}/library/node:22`,
    multiDigests: { amd64: index.manifests[0]!, arm64: index.manifests[1]! }
  };
}

/** Removes the tags pushTestImages made (the images under them stay where other tags hold them). */
export async function removeLocalTags(tags: readonly string[]): Promise<void> {
  if (tags.length > 0) await exec('docker', ['rmi', ...tags]);
}

const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const ACCEPT_IMAGE = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

/**
 * Writes an OCI image index to `address/repository:tag` listing existing
 * single-platform manifests of that repository (by their tags), each with its
 * platform (`linux/amd64`, `linux/arm64/v8`). Returns the index's digest and
 * the digest of each listed manifest.
 */
export async function pushIndex(
  address: string,
  repository: string,
  tag: string,
  entries: ReadonlyArray<{ tag: string; platform: string }>
): Promise<{ digest: string; manifests: string[] }> {
  const manifests = [];
  for (const entry of entries) {
    const response = await fetch(`http://${address}/v2/${repository}/manifests/${entry.tag}`, { headers: { Accept: ACCEPT_IMAGE } });
    const body = Buffer.from(await response.arrayBuffer());
    if (!response.ok) throw new Error(`GET ${repository}:${entry.tag} from ${address}: HTTP ${response.status} ${body.toString().slice(0, 200)}`);
    const [os, architecture, variant] = entry.platform.split('/') as [string, string, string | undefined];
    manifests.push({
      mediaType: response.headers.get('content-type')!.split(';')[0]!.trim(),
      digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
      size: body.length,
      platform: { architecture, os, ...(variant !== undefined ? { variant } : {}) }
    });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX_TYPE, manifests }, null, 2));
  const put = await fetch(`http://${address}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': INDEX_TYPE },
    body: index
  });
  const answer = await put.text();
  if (put.status !== 201) throw new Error(`PUT index ${repository}:${tag} to ${address}: HTTP ${put.status} ${answer.slice(0, 300)}`);
  return { digest: `sha256:${createHash('sha256').update(index).digest('hex')}`, manifests: manifests.map((entry) => entry.digest) };
}
