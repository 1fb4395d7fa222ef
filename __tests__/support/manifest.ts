/**
 * The tests' own manifest reader, an oracle for the registry client: reads one
 * image manifest from a registry through the Registry HTTP API v2 (the OCI
 * distribution spec): the layer blobs' digests and sizes, i.e. what the
 * registry stores and `docker pull` transfers.
 *
 * Talks plain HTTP to loopback registries (localhost, 127.0.0.0/8, ::1), as
 * Docker does, and HTTPS to every other. Sends no credentials of any kind.
 */
import { UserError } from '../../src/errors.js';
import { DIGEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST_V2, OCI_INDEX, OCI_MANIFEST } from '../../src/oci.js';

/** The manifest types this reader understands, sent as `Accept` by default. */
const MANIFEST_MEDIA_TYPES: readonly string[] = [DOCKER_MANIFEST_V2, OCI_MANIFEST];

/** The registry's own limit on a manifest's size (distribution: 4 MiB). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

export interface Descriptor {
  digest: string;
  size: number;
  mediaType: string;
}

export interface ImageManifest {
  mediaType: string;
  config: { digest: string; size: number };
  /** Layer blobs bottom to top, with their stored (usually compressed) sizes. */
  layers: Descriptor[];
  /** The manifest's digest as the registry reported it (`Docker-Content-Digest`), or null. */
  digest: string | null;
}

export interface FetchManifestOptions {
  /** Media types to accept; default: Docker v2 schema 2 and OCI image manifest. */
  accept?: readonly string[];
  timeoutMs?: number;
}

const REGISTRY = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$/;
// The distribution spec's grammar for repository names, tags and digests.
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Whether a registry host is on the loopback interface, where Docker uses plain HTTP. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host);
}

/** The URL of a manifest: `http://` for a loopback registry, `https://` otherwise. */
export function manifestUrl(registry: string, repository: string, reference: string): URL {
  const base = REGISTRY.test(registry) ? URL.parse(`https://${registry}`) : null;
  if (base === null) {
    throw new UserError(`Registry "${registry}" is not a host name with an optional port (such as 127.0.0.1:5000 or ghcr.io).`);
  }
  if (!REPOSITORY.test(repository)) {
    throw new UserError(`Repository "${repository}" is not a valid name: lowercase letters, digits and . _ - separators, parts joined by /.`);
  }
  if (!TAG.test(reference) && !DIGEST.test(reference)) {
    throw new UserError(`Reference "${reference}" is neither a tag (letters, digits, _ . -, at most 128) nor a digest (sha256:...).`);
  }
  if (isLoopbackHost(base.hostname)) base.protocol = 'http:';
  return new URL(`/v2/${repository}/manifests/${reference}`, base);
}

/** The parts of a manifest this reader uses, checked; `contentType` is the response's media type. */
export function parseManifest(text: string, contentType: string | null, where: string): Omit<ImageManifest, 'digest'> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`The manifest of ${where} is not JSON.`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`The manifest of ${where} is not a JSON object.`);
  const manifest = body as Record<string, unknown>;
  const headerType = contentType?.split(';')[0]?.trim() || null;
  const mediaType = typeof manifest.mediaType === 'string' ? manifest.mediaType : headerType;
  if (mediaType === DOCKER_MANIFEST_LIST || mediaType === OCI_INDEX || Array.isArray(manifest.manifests)) {
    throw new Error(`${where} is a multi-platform image index (${mediaType ?? 'no media type'}); ask for one platform's manifest by its digest.`);
  }
  if (manifest.schemaVersion !== 2) {
    throw new Error(`The manifest of ${where} has schemaVersion ${JSON.stringify(manifest.schemaVersion)}; only version 2 is supported.`);
  }
  const config = descriptor(manifest.config, `the config of ${where}`);
  if (!Array.isArray(manifest.layers)) throw new Error(`The manifest of ${where} has no layers list.`);
  const layers = manifest.layers.map((layer, index) => descriptor(layer, `layer ${index} of ${where}`));
  return { mediaType: mediaType ?? OCI_MANIFEST, config: { digest: config.digest, size: config.size }, layers };
}

function descriptor(value: unknown, what: string): Descriptor {
  const entry = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const { digest, size, mediaType } = entry;
  if (typeof digest !== 'string' || !DIGEST.test(digest)) throw new Error(`The descriptor of ${what} has no valid digest.`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new Error(`The descriptor of ${what} has no valid size.`);
  return { digest, size, mediaType: typeof mediaType === 'string' ? mediaType : '' };
}

/** Fetches and checks the manifest `registry/repository:reference` (or `@digest`). */
export async function fetchManifest(
  registry: string,
  repository: string,
  reference: string,
  options: FetchManifestOptions = {}
): Promise<ImageManifest> {
  const url = manifestUrl(registry, repository, reference);
  const where = `${registry}/${repository}${DIGEST.test(reference) ? '@' : ':'}${reference}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      headers: { Accept: (options.accept ?? MANIFEST_MEDIA_TYPES).join(', ') },
      signal: AbortSignal.timeout(timeoutMs)
    });
    text = await response.text();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new Error(`Registry ${registry} did not answer within ${timeoutMs / 1000} s for the manifest of ${where}.`, { cause: error });
    }
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    throw new Error(
      `Could not reach registry ${registry} (${url.protocol.slice(0, -1)}) for the manifest of ${where}: ${cause ?? (error as Error).message}`,
      { cause: error }
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new Error(
      `Registry ${registry} refused the manifest of ${where} without credentials (HTTP ${response.status}); authentication is not supported yet.`
    );
  }
  if (response.status === 404) throw new Error(`Registry ${registry} has no manifest ${where} (HTTP 404).`);
  if (!response.ok)
    throw new Error(`Registry ${registry} answered HTTP ${response.status} for the manifest of ${where}: ${text.slice(0, 200).trim()}`);
  if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) throw new Error(`The manifest of ${where} is larger than ${MAX_MANIFEST_BYTES} bytes.`);
  return { ...parseManifest(text, response.headers.get('content-type'), where), digest: response.headers.get('docker-content-digest') };
}
