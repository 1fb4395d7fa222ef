/**
 * Asks container registries, through the Registry HTTP API v2, whether an
 * image tag exists for a platform, how many compressed bytes it takes and
 * which manifest digest it names.
 *
 * - Manifest lists and OCI image indexes are resolved to the wanted platform.
 * - Anonymous bearer tokens: a 401 with `WWW-Authenticate: Bearer realm=...`
 *   makes the client fetch a token from the realm (no credentials) and retry;
 *   tokens are cached per realm, service and scope for the run.
 * - The only `Authorization` header ever sent is such a token, and only to
 *   the registry that asked for it. Nothing is read from the environment, so
 *   no GitHub token can reach a registry.
 * - Plain HTTP for loopback registries (localhost, 127.0.0.0/8, ::1), as
 *   Docker does; HTTPS for every other.
 * - A registry named in a pull request's `FROM` may be hostile. One that is
 *   not on loopback cannot send the client anywhere this machine reaches and
 *   the internet does not: its token realm and every redirect it answers with
 *   must be HTTPS to a host that is not loopback, private or link-local,
 *   checked on the literal address, on `localhost` names and on every address
 *   a host name resolves to, when the connection is made (so DNS cannot swap
 *   one in later). Only the registry's own origin is exempt. Redirects are
 *   followed by hand, at most MAX_REDIRECTS, each hop checked again, never
 *   from HTTPS down to HTTP, and an Authorization header never leaves the
 *   origin it was meant for.
 * - Every body is read with a cap (manifests 4 MiB, token answers 64 KiB):
 *   past it the connection is closed at once.
 * - Answers are cached for the run; every request has a short timeout; no
 *   method throws: what cannot be asked is null, with the reason logged.
 */
import { createHash } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { messageOf } from '../errors.js';
import { DIGEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST_V2, IMAGE_MEDIA_TYPES, INDEX_MEDIA_TYPES, OCI_INDEX, OCI_MANIFEST } from '../oci.js';
import { Refusal, baseUrl, createGuardedHttp, header, shown, type Answer } from './guarded-http.js';
import { parsePlatform, parseReference, platformMatches, type ImageReference, type Platform } from './reference.js';

export interface RegistryClient {
  /** Whether the tag exists for the platform; null when the registry could not be asked (unreachable, timeout, 5xx). */
  exists(ref: string, platform: string): Promise<boolean | null>;
  /** Compressed bytes of the image for the platform: the sum of its layer sizes in the manifest; null when it cannot be read. */
  compressedSize(ref: string, platform: string): Promise<number | null>;
  /**
   * Digest (`sha256:...`) of the platform's image manifest: an index's entry for the platform, or the single
   * manifest the reference names; null when it cannot be read.
   */
  manifestDigest(ref: string, platform: string): Promise<string | null>;
}

export interface RegistryClientOptions {
  /** Per request (each manifest, each token); default 5 s. */
  timeoutMs?: number;
  /**
   * Resolves host names, as `dns.lookup` does (with `all: true` it must answer every address); default `dns.lookup`.
   * Tests use it to give a loopback server a made-up name, so the client treats it as a remote registry.
   */
  lookup?: LookupFunction;
  /** Certificate authorities to trust for HTTPS instead of Node's bundled ones (tests: a self-signed loopback server). */
  ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Where to say why an answer is null; default: nowhere. */
  log?: (message: string) => void;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES = 64 * 1024;
const ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST_V2, OCI_MANIFEST].join(', ');

export interface BearerChallenge {
  realm: string;
  service: string | null;
  scope: string | null;
  /** `insufficient_scope` (no access: private or missing), `invalid_token` (expired), ...; null when absent. */
  error: string | null;
}

/** Parses a `WWW-Authenticate` header's Bearer challenge (`Bearer realm="...",service="...",scope="..."`); null for any other scheme. */
export function parseBearerChallenge(header: string | null): BearerChallenge | null {
  if (header === null) return null;
  const match = /^\s*bearer\s+(.*)$/is.exec(header);
  if (!match) return null;
  const params = new Map<string, string>();
  const param = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)/g;
  for (const found of match[1]!.matchAll(param)) {
    params.set(found[1]!.toLowerCase(), found[2] !== undefined ? found[2].replace(/\\(.)/g, '$1') : found[3]!);
  }
  const realm = params.get('realm');
  if (realm === undefined || realm === '') return null;
  return { realm, service: params.get('service') ?? null, scope: params.get('scope') ?? null, error: params.get('error') ?? null };
}

/** The index entry for the platform from a manifest list / OCI index body, or null when it lists none for it. */
export function selectPlatform(index: unknown, platform: Platform): { digest: string; mediaType: string | null } | null {
  const manifests = (index as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) return null;
  for (const entry of manifests as Array<Record<string, unknown>>) {
    if (typeof entry !== 'object' || entry === null || typeof entry.digest !== 'string') continue;
    const entryPlatform = entry.platform as Record<string, unknown> | undefined;
    if (entryPlatform && platformMatches(platform, entryPlatform)) {
      return { digest: entry.digest, mediaType: typeof entry.mediaType === 'string' ? entry.mediaType : null };
    }
  }
  return null;
}

/**
 * The compressed size of a single-platform image manifest: the sum of
 * `layers[].size`, the bytes `docker pull` downloads for its layers. The config
 * blob is NOT counted (a few KB), as in Docker Hub's "compressed size".
 * Null when the body is no image manifest.
 */
export function layerBytes(manifest: unknown): number | null {
  const layers = (manifest as { layers?: unknown } | null)?.layers;
  if (!Array.isArray(layers)) return null;
  let total = 0;
  for (const layer of layers as Array<{ size?: unknown }>) {
    if (typeof layer?.size !== 'number' || !Number.isSafeInteger(layer.size) || layer.size < 0) return null;
    total += layer.size;
  }
  return total;
}

/** What one manifest request found; `digest` is the sha256 of the bytes a GET received (null for HEAD). */
type Found = { kind: 'found'; mediaType: string; body: unknown /* null for HEAD */; digest: string | null };
type Fetched = Found | { kind: 'missing' } | { kind: 'failed' };

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const log = options.log ?? (() => {});
  const { send } = createGuardedHttp({
    timeoutMs,
    ...(options.lookup ? { lookup: options.lookup } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {})
  });

  /** Tokens by realm + service + scope. */
  const tokens = new Map<string, Promise<{ token: string | null; again: boolean }>>();
  /** The bearer challenge each registry answered with, by registry. */
  const challenges = new Map<string, BearerChallenge>();
  /** Manifest GETs and HEADs by method + URL. */
  const requests = new Map<string, Promise<Fetched>>();
  /** Answers by question + reference + platform. */
  const answers = new Map<string, Promise<boolean | number | string | null>>();

  function tokenKey(challenge: BearerChallenge, scope: string): string {
    return `${challenge.realm}\n${challenge.service ?? ''}\n${scope}`;
  }

  /** A token from the challenge's realm; `again` says whether a later look-up may try again (not after a refusal). */
  async function fetchToken(challenge: BearerChallenge, scope: string, registry: string): Promise<{ token: string | null; again: boolean }> {
    const url = URL.parse(challenge.realm);
    if (url === null) {
      log(`Registry ${registry} named a token realm that is not a URL: ${challenge.realm}`);
      return { token: null, again: false };
    }
    if (challenge.service !== null) url.searchParams.set('service', challenge.service);
    url.searchParams.set('scope', scope);
    let answer: Answer;
    try {
      answer = await send(url, { method: 'GET', headers: { Accept: 'application/json' }, maxBytes: MAX_TOKEN_BYTES, registry, checkFirst: true });
    } catch (error) {
      if (error instanceof Refusal) {
        log(`Refused the token realm ${shown(url)} that registry ${registry} named: ${error.message}.`);
        return { token: null, again: false };
      }
      log(`Could not get a token for ${registry} from ${url.origin}: ${why(error, timeoutMs)}`);
      return { token: null, again: true };
    }
    if (answer.status < 200 || answer.status > 299) {
      log(`The token service of ${registry} answered HTTP ${answer.status}.`);
      return { token: null, again: true };
    }
    let body: { token?: unknown; access_token?: unknown } | null;
    try {
      body = JSON.parse(answer.body.toString('utf8')) as typeof body;
    } catch {
      body = null;
    }
    const token = typeof body?.token === 'string' && body.token !== '' ? body.token : body?.access_token;
    if (typeof token !== 'string' || token === '' || !/^[\x21-\x7e]+$/.test(token)) {
      log(`The token service of ${registry} sent no token.`);
      return { token: null, again: true };
    }
    return { token, again: true };
  }

  /** A token for the challenge and scope, fetched once per run (and again after the registry refused it). */
  async function tokenFor(challenge: BearerChallenge, scope: string, registry: string): Promise<string | null> {
    const key = tokenKey(challenge, scope);
    let pending = tokens.get(key);
    if (pending === undefined) {
      pending = fetchToken(challenge, scope, registry);
      tokens.set(key, pending);
      // A failed fetch is not kept (the next look-up may try again), a refusal is: it would only be refused again.
      void pending.then(({ token, again }) => {
        if (token === null && again && tokens.get(key) === pending) tokens.delete(key);
      });
    }
    return (await pending).token;
  }

  /** One manifest request, with the bearer-token dance when the registry asks for it. Never throws. */
  async function request(method: 'GET' | 'HEAD', image: ImageReference, reference: string): Promise<Fetched> {
    const where = `${image.registry}/${image.repository}${reference.includes(':') ? '@' : ':'}${reference}`;
    const url = URL.parse(`${baseUrl(image.registry)}/v2/${image.repository}/manifests/${reference}`);
    if (url === null) {
      log(`Registry ${image.registry} is not a host name a URL can hold.`);
      return { kind: 'failed' };
    }
    const scope = `repository:${image.repository}:pull`;
    // A registry that asked for a token once gets one up front from then on.
    let challenge = challenges.get(image.registry) ?? null;
    let refreshed = false;
    for (;;) {
      const token = challenge !== null ? await tokenFor(challenge, scope, image.registry) : null;
      if (challenge !== null && token === null) return { kind: 'failed' };
      let answer: Answer;
      try {
        const headers: Record<string, string> = { Accept: ACCEPT };
        if (token !== null) headers.Authorization = `Bearer ${token}`;
        answer = await send(url, { method, headers, maxBytes: MAX_MANIFEST_BYTES, registry: image.registry, checkFirst: false });
      } catch (error) {
        if (error instanceof Refusal) log(`Refused to read ${where} from registry ${image.registry}: ${error.message}.`);
        else log(`Could not ask registry ${image.registry} for ${where}: ${why(error, timeoutMs)}`);
        return { kind: 'failed' };
      }
      if (answer.status === 401) {
        const asked = parseBearerChallenge(header(answer.headers, 'www-authenticate'));
        if (asked === null) {
          log(`Registry ${image.registry} refuses ${where} to anonymous clients (HTTP 401, no bearer challenge).`);
          return { kind: 'missing' };
        }
        if (token !== null) {
          if (refreshed || asked.error === 'insufficient_scope') {
            log(`Registry ${image.registry} refuses ${where} even with an anonymous token (HTTP 401): private, or no such repository.`);
            return { kind: 'missing' };
          }
          // The token was refused (expired, say): drop it and fetch a fresh one, once.
          refreshed = true;
          const key = tokenKey(asked, scope);
          tokens.delete(key);
          if (challenge !== null) tokens.delete(tokenKey(challenge, scope));
        }
        challenge = asked;
        challenges.set(image.registry, asked);
        continue;
      }
      if (answer.status === 404) return { kind: 'missing' };
      if (answer.status === 403) {
        log(`Registry ${image.registry} denies ${where} (HTTP 403).`);
        return { kind: 'missing' };
      }
      if (answer.status < 200 || answer.status > 299) {
        log(`Registry ${image.registry} answered HTTP ${answer.status} for ${where}.`);
        return { kind: 'failed' };
      }
      const headerType = header(answer.headers, 'content-type')?.split(';')[0]?.trim() ?? '';
      if (method === 'HEAD') return { kind: 'found', mediaType: headerType, body: null, digest: null };
      let body: unknown;
      try {
        body = JSON.parse(answer.body.toString('utf8'));
      } catch {
        log(`The manifest of ${where} is not JSON.`);
        return { kind: 'failed' };
      }
      const bodyType = (body as { mediaType?: unknown } | null)?.mediaType;
      // A manifest's digest is that of its exact bytes (Docker-Content-Digest says the same, when a registry sends it).
      const digest = `sha256:${createHash('sha256').update(answer.body).digest('hex')}`;
      return { kind: 'found', mediaType: typeof bodyType === 'string' ? bodyType : headerType, body, digest };
    }
  }

  function cachedRequest(method: 'GET' | 'HEAD', image: ImageReference, reference: string): Promise<Fetched> {
    const key = `${method} ${image.registry}/${image.repository}/${reference}`;
    let pending = requests.get(key);
    if (pending === undefined) {
      pending = request(method, image, reference);
      requests.set(key, pending);
    }
    return pending;
  }

  /** The GET of a manifest when one was already made or is under way, else null. */
  function earlierGet(image: ImageReference, reference: string): Promise<Fetched> | null {
    return requests.get(`GET ${image.registry}/${image.repository}/${reference}`) ?? null;
  }

  function isIndex(found: { mediaType: string; body: unknown }): boolean {
    if (INDEX_MEDIA_TYPES.has(found.mediaType)) return true;
    return found.body !== null && Array.isArray((found.body as { manifests?: unknown }).manifests);
  }

  function parse(ref: string, platform: string): { image: ImageReference; platform: Platform } | null {
    try {
      return { image: parseReference(ref), platform: parsePlatform(platform) };
    } catch (error) {
      log(messageOf(error));
      return null;
    }
  }

  async function askExists(ref: string, platformText: string): Promise<boolean | null> {
    const parsed = parse(ref, platformText);
    if (parsed === null) return null;
    const { image, platform } = parsed;
    const reference = image.digest ?? image.tag!;
    // HEAD is enough unless the tag is an index, whose platforms only a GET shows.
    const first = await (earlierGet(image, reference) ?? cachedRequest('HEAD', image, reference));
    if (first.kind !== 'found') return first.kind === 'missing' ? false : null;
    if (!isIndex(first) && (first.body !== null || IMAGE_MEDIA_TYPES.has(first.mediaType))) return true;
    const full = first.body !== null ? first : await cachedRequest('GET', image, reference);
    if (full.kind !== 'found') return full.kind === 'missing' ? false : null;
    if (!isIndex(full)) return true;
    const entry = selectPlatform(full.body, platform);
    if (entry === null) log(`${image.display} has no image for ${platformText}.`);
    return entry !== null;
  }

  /**
   * The platform's image manifest of a reference, from one GET: an index's entry for the platform (its digest;
   * `manifest` is null until fetched), or the single manifest the reference names. Null, with the reason logged,
   * when there is none.
   */
  async function platformManifest(
    ref: string,
    platformText: string
  ): Promise<{ image: ImageReference; digest: string; manifest: Found | null } | null> {
    const parsed = parse(ref, platformText);
    if (parsed === null) return null;
    const { image, platform } = parsed;
    const found = await cachedRequest('GET', image, image.digest ?? image.tag!);
    if (found.kind === 'missing') log(`Registry ${image.registry} has no ${image.display}.`);
    if (found.kind !== 'found') return null;
    if (!isIndex(found)) return { image, digest: image.digest ?? found.digest!, manifest: found };
    const entry = selectPlatform(found.body, platform);
    if (entry === null) {
      log(`${image.display} has no image for ${platformText}.`);
      return null;
    }
    if (!DIGEST.test(entry.digest)) {
      log(`The ${platformText} entry of ${image.display} names no valid digest.`);
      return null;
    }
    return { image, digest: entry.digest, manifest: null };
  }

  async function askSize(ref: string, platformText: string): Promise<number | null> {
    const chosen = await platformManifest(ref, platformText);
    if (chosen === null) return null;
    const { image } = chosen;
    const found: Fetched = chosen.manifest ?? (await cachedRequest('GET', image, chosen.digest));
    if (found.kind !== 'found') return null;
    if (chosen.manifest === null && isIndex(found)) {
      log(`The ${platformText} entry of ${image.display} is itself an index.`);
      return null;
    }
    const bytes = layerBytes(found.body);
    if (bytes === null) log(`The manifest of ${image.display} lists no valid layers.`);
    return bytes;
  }

  async function askDigest(ref: string, platformText: string): Promise<string | null> {
    return (await platformManifest(ref, platformText))?.digest ?? null;
  }

  function cachedAnswer<T extends boolean | number | string | null>(
    question: string,
    ref: string,
    platform: string,
    ask: () => Promise<T>
  ): Promise<T> {
    const key = `${question}\n${ref}\n${platform}`;
    let pending = answers.get(key);
    if (pending === undefined) {
      pending = ask().catch((error: unknown) => {
        log(`Registry look-up of ${ref} failed: ${messageOf(error)}`);
        return null;
      });
      answers.set(key, pending);
    }
    return pending as Promise<T>;
  }

  return {
    exists: (ref, platform) => cachedAnswer('exists', ref, platform, () => askExists(ref, platform)),
    compressedSize: (ref, platform) => cachedAnswer('size', ref, platform, () => askSize(ref, platform)),
    manifestDigest: (ref, platform) => cachedAnswer('digest', ref, platform, () => askDigest(ref, platform))
  };
}

function why(error: unknown, timeoutMs: number): string {
  const name = (error as Error | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  return messageOf(error);
}
