/**
 * Where the image is inside an image archive, once every file of it has been
 * read: Docker's legacy layout (`manifest.json`, `<id>/layer.tar`, configs as
 * `<id>.json`; Docker up to 24) or the OCI image layout (`oci-layout`,
 * `index.json`, `blobs/<alg>/<hex>`; Docker 25+, skopeo, buildx). Puts the
 * layers the reader analysed into the order the manifest gives.
 */
import { DIGEST, INDEX_MEDIA_TYPES, SHA256_DIGEST } from '../oci.js';
import type { ImageArchive, ImageConfigJson, LayerContents } from './model.js';

const MAX_LINK_HOPS = 16;
const MAX_INDEX_DEPTH = 4;
/** A blob's path in an OCI layout whose digest is checked: `blobs/<algorithm>/<hex>`. */
const BLOB_NAME = /^blobs\/(sha256|sha512)\/([0-9a-f]+)$/;

/** What became of one regular file of the outer archive: a layer's table, a JSON document, or neither. */
export type ArchiveFileContent =
  | { kind: 'layer'; layer: LayerContents; compressedPending: Promise<number> | null }
  | { kind: 'json'; data: Buffer }
  | { kind: 'other'; bytes: number };

/** A regular file of the outer archive, with the digest of its bytes (sha256, or sha512 for a `blobs/sha512/` blob) and their count. */
export type ArchiveFile = ArchiveFileContent & { digest: string; bytes: number };

/** Everything the outer archive held that matters, keyed by normalised archive path. */
export interface ArchiveContents {
  files: Map<string, ArchiveFile>;
  /** Symlinks and hard links between archive entries: path → target path. */
  links: Map<string, string>;
}

/** An archive path resolved against a folder of the archive, `.` and `..` applied. */
export function joinArchivePath(dir: string, target: string): string {
  const parts = target.startsWith('/') ? [] : dir.split('/').filter(Boolean);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

interface OciIndex {
  manifests?: Descriptor[];
}

interface OciManifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

interface LegacyManifestItem {
  Config?: string;
  RepoTags?: string[] | null;
  Layers?: string[];
}

class Resolver {
  private readonly contents: ArchiveContents;

  constructor(contents: ArchiveContents) {
    this.contents = contents;
  }

  resolve(path: string): string {
    let current = path;
    for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
      const target = this.contents.links.get(current);
      if (target === undefined) return current;
      current = target;
    }
    throw new Error(`${path}: too many links in the image archive`);
  }

  file(path: string): ArchiveFile | undefined {
    const normal = joinArchivePath('', path);
    const file = this.contents.files.get(this.resolve(normal));
    // A blob's own bytes were checked as they were read; one reached through a link is checked here.
    const blob = BLOB_NAME.exec(normal);
    if (file !== undefined && blob !== null && file.digest !== `${blob[1]}:${blob[2]}`) {
      throw new Error(`blob ${normal} does not match its digest: its content is ${file.digest}`);
    }
    return file;
  }

  /** The file a descriptor names, its size checked against the descriptor's. */
  described(descriptor: Descriptor, what: string): string {
    const path = blobPath(descriptor.digest, what);
    const file = this.file(path);
    if (file !== undefined && typeof descriptor.size === 'number' && descriptor.size !== file.bytes) {
      throw new Error(`${path} is ${file.bytes} bytes, but ${what} says ${descriptor.size}`);
    }
    return path;
  }

  has(path: string): boolean {
    return this.file(path) !== undefined;
  }

  json<T>(path: string, what: string): T {
    const file = this.file(path);
    if (file === undefined) throw new Error(`${what} ${path} is missing from the image archive`);
    if (file.kind !== 'json') throw new Error(`${what} ${path} is not a JSON document`);
    try {
      return JSON.parse(file.data.toString('utf8')) as T;
    } catch (error) {
      throw new Error(`${what} ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }

  layer(path: string): { layer: LayerContents; compressedPending: Promise<number> | null; digest: string } {
    const file = this.file(path);
    if (file === undefined) throw new Error(`layer ${path} is missing from the image archive`);
    if (file.kind !== 'layer') throw new Error(`layer ${path} is not a tar, gzip or zstd stream`);
    return file;
  }
}

function blobPath(digest: string | undefined, what: string): string {
  const match = DIGEST.exec(digest ?? '');
  if (match === null) throw new Error(`${what} has an invalid digest ${JSON.stringify(digest ?? null)}`);
  return `blobs/${match[1]}/${match[2]}`;
}

function isAttestation(descriptor: Descriptor): boolean {
  return descriptor.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || descriptor.platform?.os === 'unknown';
}

/** Picks the image among an index's manifests: the only one, else linux/amd64, else the first whose blob is present. */
function pickManifest(manifests: Descriptor[], where: string, resolver: Resolver): Descriptor {
  const images = manifests.filter((descriptor) => !isAttestation(descriptor));
  const present = images.filter((descriptor) => DIGEST.test(descriptor.digest ?? '') && resolver.has(blobPath(descriptor.digest, where)));
  if (images.length === 0) throw new Error(`${where} lists no image manifest`);
  if (images.length === 1) return images[0]!;
  const candidates = present.length > 0 ? present : images;
  return candidates.find((descriptor) => descriptor.platform?.os === 'linux' && descriptor.platform.architecture === 'amd64') ?? candidates[0]!;
}

function readOci(resolver: Resolver): { config: ImageConfigJson; layers: string[] } {
  let document: OciManifest = resolver.json<OciIndex>('index.json', 'index');
  let where = 'index.json';
  for (let depth = 0; !Array.isArray(document.layers); depth++) {
    if (!Array.isArray(document.manifests)) throw new Error(`${where} is neither an image index nor an image manifest`);
    if (depth >= MAX_INDEX_DEPTH) throw new Error(`${where}: image indexes nest too deeply`);
    const chosen = pickManifest(document.manifests, where, resolver);
    const path = resolver.described(chosen, `a manifest in ${where}`);
    document = resolver.json<OciManifest>(path, INDEX_MEDIA_TYPES.has(chosen.mediaType ?? '') ? 'image index' : 'image manifest');
    where = path;
  }
  if (document.config === undefined) throw new Error(`image manifest ${where} has no config`);
  const config = resolver.json<ImageConfigJson>(resolver.described(document.config, `the config in ${where}`), 'image config');
  const layers = document.layers.map((descriptor, index) => resolver.described(descriptor, `layer ${index} in ${where}`));
  return { config, layers };
}

function readLegacy(resolver: Resolver): { config: ImageConfigJson; layers: string[] } {
  const manifest = resolver.json<LegacyManifestItem[]>('manifest.json', 'manifest');
  if (!Array.isArray(manifest) || manifest.length === 0) throw new Error('manifest.json lists no image');
  const item = manifest[0]!;
  if (typeof item.Config !== 'string' || !Array.isArray(item.Layers)) throw new Error('manifest.json: the image has no Config or Layers');
  const config = resolver.json<ImageConfigJson>(item.Config, 'image config');
  return { config, layers: item.Layers.map(String) };
}

/** The image the archive holds: its config and its layers in order; throws when the archive holds no whole image. */
export async function assembleImage(contents: ArchiveContents): Promise<Omit<ImageArchive, 'notKept'>> {
  const resolver = new Resolver(contents);
  const hasIndex = resolver.has('index.json');
  const hasManifest = resolver.has('manifest.json');
  if (!hasIndex && !hasManifest) {
    throw new Error(contents.files.size === 0 ? 'not an image archive: it is empty' : 'not an image archive: no manifest.json or index.json');
  }
  let layout: ImageArchive['layout'];
  let image: { config: ImageConfigJson; layers: string[] };
  if (hasIndex) {
    try {
      image = readOci(resolver);
      layout = 'oci';
    } catch (error) {
      // Docker 25+ writes both; an index that does not lead to a whole image may still have a usable manifest.json.
      if (!hasManifest) throw error;
      image = readLegacy(resolver);
      layout = 'docker';
    }
  } else {
    image = readLegacy(resolver);
    layout = 'docker';
  }

  const diffIds = image.config.rootfs?.diff_ids;
  if (Array.isArray(diffIds) && diffIds.length !== image.layers.length) {
    throw new Error(`the image archive is inconsistent: the manifest lists ${image.layers.length} layers, the config's rootfs ${diffIds.length}`);
  }
  const found = image.layers.map((path, index) => {
    const file = resolver.layer(path);
    // An uncompressed layer's digest is its diff_id: the legacy layout's `<id>/layer.tar`, named by no digest, is checked here.
    const diffId = Array.isArray(diffIds) ? diffIds[index] : undefined;
    if (
      file.layer.compression === 'none' &&
      typeof diffId === 'string' &&
      SHA256_DIGEST.test(diffId) &&
      file.digest.startsWith('sha256:') &&
      file.digest !== diffId
    ) {
      throw new Error(`layer ${path} does not match the config's diff_id ${diffId}: its content is ${file.digest}`);
    }
    return file;
  });
  const layers: LayerContents[] = [];
  for (const { layer, compressedPending } of found) {
    const compressedBytes = compressedPending === null ? layer.compressedBytes : await compressedPending;
    layers.push({ ...layer, compressedBytes });
  }
  return { layout, config: image.config, layers };
}
