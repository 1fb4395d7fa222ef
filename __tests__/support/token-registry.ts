/**
 * Registries for the registry client's tests, all on 127.0.0.1:
 * - startTokenRegistry: a front to a real `docker-registry` (startRegistry)
 *   that demands an anonymous bearer token the way Docker Hub does (401 with a
 *   `WWW-Authenticate: Bearer realm=...` challenge, a token endpoint), then
 *   proxies to the real registry; it records every request's headers. With
 *   `requireToken: false` it only records and proxies.
 *   With `tls` it speaks HTTPS (a certificate from makeCertificate), and
 *   `redirect` makes it answer manifest requests with a redirect.
 * - startSilentRegistry: accepts TCP connections and never answers.
 * - startEndlessServer: answers every request with a body that never ends.
 * - makeCertificate / fakeLookup: a self-signed certificate for made-up names
 *   and a resolver that points those names at 127.0.0.1, so a loopback server
 *   can stand in for a remote registry (no query ever leaves the machine).
 * - pushTestImages / pushIndex: images under base-image-like names, built from
 *   the local test bases, and an OCI image index written by hand.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { LookupAddress, LookupOptions } from 'node:dns';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type LookupFunction, type Socket } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  port: number;
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

function listen(server: Server | ReturnType<typeof createTcpServer> | ReturnType<typeof createHttpsServer>): Promise<number> {
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
  options: {
    requireToken?: boolean;
    /** The token realm the challenge names (or makes from this server's port); default this server's /token. */
    realm?: string | ((port: number) => string);
    /** Speak HTTPS with this key and certificate. */
    tls?: Certificate;
    /** Where to redirect a manifest request (its path and query given; after the token check), or null to answer it; paths under /moved/ are answered as without that prefix. */
    redirect?: (url: string) => string | null;
  } = {}
): Promise<TokenRegistry> {
  const requireToken = options.requireToken ?? true;
  const requests: RecordedRequest[] = [];
  const issued: string[] = [];
  const valid = new Set<string>();
  let address = '';
  const [upstreamHost, upstreamPort] = upstream.split(':') as [string, string];

  let port = 0;
  const scheme = options.tls !== undefined ? 'https' : 'http';
  const realm = (): string => (typeof options.realm === 'function' ? options.realm(port) : (options.realm ?? `${scheme}://${address}/token`));

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let url = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', url, headers: { ...req.headers } });
    const moved = url.startsWith('/moved/');
    if (moved) url = url.slice('/moved'.length);
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
        'www-authenticate': `Bearer realm="${realm()}",service="${SERVICE}"${scope}${error}`,
        'docker-distribution-api-version': 'registry/2.0'
      });
      res.end(req.method === 'HEAD' ? undefined : '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }

    // A redirect comes after the token check, so a client sends its token with the request that is redirected.
    if (!moved && options.redirect !== undefined && url.includes('/manifests/')) {
      const location = options.redirect(url);
      if (location !== null) {
        res.writeHead(307, { location }).end();
        return;
      }
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
  };
  const server = options.tls !== undefined ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handle) : createHttpServer(handle);

  port = await listen(server);
  address = `127.0.0.1:${port}`;
  return {
    address,
    port,
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

export interface EndlessServer {
  address: string;
  /** Bytes written so far, over all connections. */
  written(): number;
  /** Requests received so far. */
  requests(): number;
  /** Resolves once every connection so far is closed (by the client: the server never stops writing on its own). */
  closed(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Answers every request with 200 and a body that never ends, written as fast as the client takes it:
 * `{"schemaVersion":2,"layers":[` and then `{"size":1},` forever. With `contentLength` it declares that length first.
 */
export async function startEndlessServer(options: { contentLength?: number } = {}): Promise<EndlessServer> {
  let written = 0;
  let received = 0;
  const open = new Set<Promise<void>>();
  const chunk = Buffer.from('{"size":1},'.repeat(6000));
  const server = createHttpServer((_request, res) => {
    received += 1;
    const headers: Record<string, string | number> = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };
    if (options.contentLength !== undefined) headers['content-length'] = options.contentLength;
    res.writeHead(200, headers);
    res.write('{"schemaVersion":2,"layers":[');
    const done = new Promise<void>((resolve) => res.once('close', resolve));
    open.add(done);
    const pump = (): void => {
      while (!res.destroyed && !res.writableEnded) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    res.on('error', () => {});
    pump();
  });
  const port = await listen(server);
  return {
    address: `127.0.0.1:${port}`,
    written: () => written,
    requests: () => received,
    closed: async () => {
      await Promise.all(open);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

export interface Certificate {
  key: string;
  cert: string;
}

/** A self-signed certificate (made by `openssl`) for the names and IP addresses given. */
export async function makeCertificate(names: readonly string[], addresses: readonly string[] = []): Promise<Certificate> {
  const folder = await mkdtemp(join(tmpdir(), 'footprint-cert-'));
  try {
    const key = join(folder, 'key.pem');
    const cert = join(folder, 'cert.pem');
    const san = [...names.map((name) => `DNS:${name}`), ...addresses.map((address) => `IP:${address}`)].join(',');
    const result = await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=footprint test registry',
      '-addext',
      `subjectAltName=${san}`
    ]);
    if (result.exitCode !== 0) throw new Error(`openssl could not make a certificate:\n${result.all.slice(-2000)}`);
    return { key: await readFile(key, 'utf8'), cert: await readFile(cert, 'utf8') };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * A resolver with the shape of `dns.lookup` that knows only the names given (each to an IPv4 address) and answers
 * ENOTFOUND for every other, so nothing is ever asked of a real DNS server. Records every name asked.
 */
export function fakeLookup(names: Readonly<Record<string, string>>): LookupFunction & { asked: string[] } {
  const asked: string[] = [];
  const lookup = (
    hostname: string,
    options: LookupOptions,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
  ): void => {
    asked.push(hostname);
    const address = names[hostname.toLowerCase()];
    process.nextTick(() => {
      if (address === undefined) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      else if (options.all === true) callback(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
    });
  };
  return Object.assign(lookup, { asked });
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
