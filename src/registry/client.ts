/**
 * Asks container registries, through the Registry HTTP API v2, whether an
 * image tag exists for a platform and how many compressed bytes it takes.
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
 * - Answers are cached for the run; every request has a short timeout; no
 *   method throws: what cannot be asked is null, with the reason logged.
 */
import { messageOf } from '../errors.js';
import { DOCKER_MANIFEST_LIST, DOCKER_MANIFEST_V2, IMAGE_MEDIA_TYPES, INDEX_MEDIA_TYPES, OCI_INDEX, OCI_MANIFEST } from '../oci.js';
import { isLoopback, parsePlatform, parseReference, platformMatches, type ImageReference, type Platform } from './reference.js';

export interface RegistryClient {
  /** Whether the tag exists for the platform; null when the registry could not be asked (unreachable, timeout, 5xx). */
  exists(ref: string, platform: string): Promise<boolean | null>;
  /** Compressed bytes of the image for the platform: the sum of its layer sizes in the manifest; null when it cannot be read. */
  compressedSize(ref: string, platform: string): Promise<number | null>;
}

export interface RegistryClientOptions {
  /** Per request (each manifest, each token); default 5 s. */
  timeoutMs?: number;
  /** The fetch to use; default the global one. */
  fetch?: typeof fetch;
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

/** What one manifest request found. */
type Fetched = { kind: 'found'; mediaType: string; body: unknown /* null for HEAD */ } | { kind: 'missing' } | { kind: 'failed' };

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? globalThis.fetch;
  const log = options.log ?? (() => {});

  /** Tokens by realm + service + scope. */
  const tokens = new Map<string, Promise<string | null>>();
  /** The bearer challenge each registry answered with, by registry. */
  const challenges = new Map<string, BearerChallenge>();
  /** Manifest GETs and HEADs by method + URL. */
  const requests = new Map<string, Promise<Fetched>>();
  /** Answers by question + reference + platform. */
  const answers = new Map<string, Promise<boolean | number | null>>();

  function baseUrl(registry: string): string {
    return `${isLoopback(registry) ? 'http' : 'https'}://${registry}`;
  }

  function tokenKey(challenge: BearerChallenge, scope: string): string {
    return `${challenge.realm}\n${challenge.service ?? ''}\n${scope}`;
  }

  async function fetchToken(challenge: BearerChallenge, scope: string, where: string): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(challenge.realm);
    } catch {
      log(`Registry ${where} named a token realm that is not a URL: ${challenge.realm}`);
      return null;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.host))) {
      log(`Registry ${where} named a token realm that is neither HTTPS nor on loopback: ${challenge.realm}`);
      return null;
    }
    if (challenge.service !== null) url.searchParams.set('service', challenge.service);
    url.searchParams.set('scope', scope);
    try {
      const response = await doFetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
      const text = await response.text();
      if (!response.ok) {
        log(`The token service of ${where} answered HTTP ${response.status}.`);
        return null;
      }
      if (text.length > MAX_TOKEN_BYTES) {
        log(`The token service of ${where} sent more than ${MAX_TOKEN_BYTES} bytes.`);
        return null;
      }
      const body = JSON.parse(text) as { token?: unknown; access_token?: unknown };
      const token = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token;
      if (typeof token !== 'string' || token === '') {
        log(`The token service of ${where} sent no token.`);
        return null;
      }
      return token;
    } catch (error) {
      log(`Could not get a token for ${where} from ${url.origin}: ${why(error, timeoutMs)}`);
      return null;
    }
  }

  /** A token for the challenge and scope, fetched once per run (and again after the registry refused it). */
  function tokenFor(challenge: BearerChallenge, scope: string, registry: string): Promise<string | null> {
    const key = tokenKey(challenge, scope);
    let pending = tokens.get(key);
    if (pending === undefined) {
      pending = fetchToken(challenge, scope, registry);
      tokens.set(key, pending);
      // A failed fetch is not kept: the next look-up may try again.
      void pending.then((token) => {
        if (token === null && tokens.get(key) === pending) tokens.delete(key);
      });
    }
    return pending;
  }

  /** One manifest request, with the bearer-token dance when the registry asks for it. Never throws. */
  async function request(method: 'GET' | 'HEAD', image: ImageReference, reference: string): Promise<Fetched> {
    const where = `${image.registry}/${image.repository}${reference.includes(':') ? '@' : ':'}${reference}`;
    const url = `${baseUrl(image.registry)}/v2/${image.repository}/manifests/${reference}`;
    const scope = `repository:${image.repository}:pull`;
    // A registry that asked for a token once gets one up front from then on.
    let challenge = challenges.get(image.registry) ?? null;
    let refreshed = false;
    for (;;) {
      const token = challenge !== null ? await tokenFor(challenge, scope, image.registry) : null;
      if (challenge !== null && token === null) return { kind: 'failed' };
      let response: Response;
      let text: string;
      try {
        const headers: Record<string, string> = { Accept: ACCEPT };
        if (token !== null) headers.Authorization = `Bearer ${token}`;
        response = await doFetch(url, { method, headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
        if (method === 'GET' && Number(response.headers.get('content-length') ?? 0) > MAX_MANIFEST_BYTES) {
          await response.body?.cancel();
          log(`The manifest of ${where} is larger than ${MAX_MANIFEST_BYTES} bytes.`);
          return { kind: 'failed' };
        }
        text = await response.text();
      } catch (error) {
        log(`Could not ask registry ${image.registry} for ${where}: ${why(error, timeoutMs)}`);
        return { kind: 'failed' };
      }
      if (response.status === 401) {
        const asked = parseBearerChallenge(response.headers.get('www-authenticate'));
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
      if (response.status === 404) return { kind: 'missing' };
      if (response.status === 403) {
        log(`Registry ${image.registry} denies ${where} (HTTP 403).`);
        return { kind: 'missing' };
      }
      if (!response.ok) {
        log(`Registry ${image.registry} answered HTTP ${response.status} for ${where}.`);
        return { kind: 'failed' };
      }
      const headerType = response.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
      if (method === 'HEAD') return { kind: 'found', mediaType: headerType, body: null };
      if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) {
        log(`The manifest of ${where} is larger than ${MAX_MANIFEST_BYTES} bytes.`);
        return { kind: 'failed' };
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        log(`The manifest of ${where} is not JSON.`);
        return { kind: 'failed' };
      }
      const bodyType = (body as { mediaType?: unknown } | null)?.mediaType;
      return { kind: 'found', mediaType: typeof bodyType === 'string' ? bodyType : headerType, body };
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

  async function askSize(ref: string, platformText: string): Promise<number | null> {
    const parsed = parse(ref, platformText);
    if (parsed === null) return null;
    const { image, platform } = parsed;
    let found = await cachedRequest('GET', image, image.digest ?? image.tag!);
    if (found.kind === 'missing') log(`Registry ${image.registry} has no ${image.display}.`);
    if (found.kind !== 'found') return null;
    if (isIndex(found)) {
      const entry = selectPlatform(found.body, platform);
      if (entry === null) {
        log(`${image.display} has no image for ${platformText}.`);
        return null;
      }
      found = await cachedRequest('GET', image, entry.digest);
      if (found.kind !== 'found') return null;
      if (isIndex(found)) {
        log(`The ${platformText} entry of ${image.display} is itself an index.`);
        return null;
      }
    }
    const bytes = layerBytes(found.body);
    if (bytes === null) log(`The manifest of ${image.display} lists no valid layers.`);
    return bytes;
  }

  function cachedAnswer<T extends boolean | number | null>(question: string, ref: string, platform: string, ask: () => Promise<T>): Promise<T> {
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
    compressedSize: (ref, platform) => cachedAnswer('size', ref, platform, () => askSize(ref, platform))
  };
}

function why(error: unknown, timeoutMs: number): string {
  const name = (error as Error | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  return cause?.code ?? cause?.message ?? messageOf(error);
}
