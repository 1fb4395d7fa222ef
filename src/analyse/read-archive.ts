/**
 * Reads an image archive as it streams past — `docker save` output, an OCI
 * layout tar (`oci-archive:`) or a `docker save -o` file — and turns it into an
 * `ImageArchive`: the image config and, per layer, the table of its entries.
 * The image is never stored: layer bytes are decompressed, parsed and dropped
 * chunk by chunk, with backpressure all the way to the source, so memory grows
 * with the number of files, not with image bytes.
 *
 * Layouts: Docker's legacy one (`manifest.json`, `<id>/layer.tar`, configs as
 * `<id>.json`; Docker up to 24) and the OCI image layout (`oci-layout`,
 * `index.json`, `blobs/<alg>/<hex>`; Docker 25+, skopeo, buildx). In both, the
 * file that gives the layer order may arrive last, so every layer is analysed
 * as it arrives and keyed by its archive path; the order is applied at the end.
 *
 * Layer tars are parsed by `LayerTarScanner` below rather than by tar-stream:
 * Docker writes names that are not valid UTF-8 as raw bytes in PAX records,
 * which tar-stream decodes as UTF-8 (losing the bytes), and a scanner that only
 * reads headers and skips content keeps up with `docker save`.
 */
import { Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { extract, type Extract } from 'tar-stream';
import { gzipSizeEstimator, type SizeEstimator } from './compress.js';
import type { EntryKind, ImageArchive, ImageConfigJson, LayerCompression, LayerContents, LayerEntry } from './model.js';
import { normalisePath, parentPath } from './paths.js';

export interface ReadOptions {
  /** Estimate the gzip size of layers that arrive uncompressed (Docker's own `docker save`); costs CPU. */
  estimateCompressed: boolean;
  /** Makes the estimator for one layer; default `gzipSizeEstimator()` from ./compress.js. */
  estimator?: () => SizeEstimator;
}

const TAR_BLOCK = 512;
/** JSON files of an image archive (configs, manifests, indexes) are small; anything bigger is not one. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** PAX and GNU long-name records are a few hundred bytes; refuse absurd ones rather than buffer them. */
const MAX_META_BYTES = 1024 * 1024;
/** Bytes looked at to tell a layer (tar, gzip, zstd) from a JSON file. */
const SNIFF_BYTES = TAR_BLOCK;
const MAX_LINK_HOPS = 16;

// ---------------------------------------------------------------------------
// Sniffing

export type StreamFormat = LayerCompression | 'json' | 'unknown';

/** What the first bytes of a stream say it is: a compressed or plain tar, a JSON document, or something else. */
export function sniffFormat(head: Buffer): StreamFormat {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'none';
  // An empty layer is just the end-of-archive blocks: zeros.
  if (head.length >= TAR_BLOCK && head.subarray(0, TAR_BLOCK).every((byte) => byte === 0)) return 'none';
  const first = head.toString('latin1').trimStart()[0];
  if (first === '{' || first === '[') return 'json';
  return 'unknown';
}

// ---------------------------------------------------------------------------
// Layer tar scanning

/** One header of a layer tar, names as binary strings (one char per byte). */
export interface TarHeader {
  name: string;
  /** Target of a hard link or symlink; '' for other entries. */
  linkname: string;
  /** The typeflag character ('0', '5', ...); '0' for the old NUL flag. */
  typeflag: string;
  size: number;
}

const HEADER_ONLY_TYPES = new Set(['1', '2', '3', '4', '5', '6']);

function entryKind(header: TarHeader): EntryKind {
  switch (header.typeflag) {
    case '0':
    case '7':
    case 'S':
      return header.name.endsWith('/') ? 'directory' : 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    default:
      return 'other';
  }
}

/** The layer-table record of a tar header. */
export function toLayerEntry(header: TarHeader): LayerEntry {
  const kind = entryKind(header);
  return {
    path: normalisePath(header.name),
    kind,
    // A symlink's target is stored in the filesystem too, and Docker's own size counts it.
    bytes: kind === 'file' ? header.size : kind === 'symlink' ? header.linkname.length : 0,
    linkTarget: kind === 'hardlink' ? normalisePath(header.linkname) : null
  };
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('latin1', offset, end === -1 || end > offset + length ? offset + length : end);
}

/** A numeric header field: octal text, or GNU's base-256 form for big values. */
function readNumber(block: Buffer, offset: number, length: number): number {
  const first = block[offset]!;
  if (first & 0x80) {
    if (first === 0xff) throw new Error('negative number in tar header');
    let value = first & 0x7f;
    for (let index = 1; index < length; index++) value = value * 256 + block[offset + index]!;
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`bad number "${text}" in tar header`);
  return parseInt(text, 8);
}

function checksumMatches(block: Buffer): boolean {
  let stored: number;
  try {
    stored = readNumber(block, 148, 8);
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < TAR_BLOCK; index++) {
    const byte = index >= 148 && index < 156 ? 0x20 : block[index]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Parses PAX extended header records (`LEN key=value\n`); values stay binary strings. */
export function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number(data.toString('latin1', at, space));
    if (!Number.isInteger(length) || length <= space - at + 1 || at + length > data.length) {
      if (data.subarray(at).every((byte) => byte === 0)) break;
      throw new Error('malformed PAX header record');
    }
    const record = data.subarray(space + 1, at + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1) throw new Error('malformed PAX header record');
    records.set(record.toString('latin1', 0, equals), record.toString('latin1', equals + 1));
    at += length;
  }
  return records;
}

/**
 * A push parser for a layer tar: feed it bytes as they arrive, it calls back with
 * each entry's header and skips the entry's content without holding it. Follows
 * what Go's archive/tar (which writes Docker's layers) reads: ustar and GNU
 * headers, PAX `path`/`linkpath`/`size` records (local and global), GNU long
 * names and long link names, base-256 sizes; content is skipped for every type
 * but header-only ones. The first zero block ends the archive; bytes after it
 * are ignored.
 */
export class LayerTarScanner {
  private readonly header = Buffer.alloc(TAR_BLOCK);
  private headerFill = 0;
  /** Bytes of entry content (and padding) still to skip. */
  private skip = 0;
  /** A PAX or GNU long-name record being collected, and what it is. */
  private meta: { type: string; data: Buffer; fill: number } | null = null;
  private pax = new Map<string, string>();
  private globalPax = new Map<string, string>();
  private longName: string | null = null;
  private longLink: string | null = null;
  /** Padding after the record being collected, skipped once it is complete. */
  private metaPadding = 0;
  private ended = false;
  private headers = 0;
  /** Bytes fed so far (for messages). */
  private offset = 0;

  private readonly onEntry: (header: TarHeader) => void;

  constructor(onEntry: (header: TarHeader) => void) {
    this.onEntry = onEntry;
  }

  feed(chunk: Buffer): void {
    const base = this.offset;
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const taken = Math.min(this.skip, chunk.length - at);
        this.skip -= taken;
        at += taken;
        continue;
      }
      if (this.meta !== null) {
        const meta = this.meta;
        const taken = Math.min(meta.data.length - meta.fill, chunk.length - at);
        chunk.copy(meta.data, meta.fill, at, at + taken);
        meta.fill += taken;
        at += taken;
        if (meta.fill === meta.data.length) this.finishMeta(meta.type, meta.data);
        continue;
      }
      if (this.headerFill === 0 && chunk.length - at >= TAR_BLOCK) {
        this.onBlock(chunk.subarray(at, at + TAR_BLOCK), base + at);
        at += TAR_BLOCK;
        continue;
      }
      const taken = Math.min(TAR_BLOCK - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + taken);
      this.headerFill += taken;
      at += taken;
      if (this.headerFill === TAR_BLOCK) {
        this.headerFill = 0;
        this.onBlock(this.header, base + at - TAR_BLOCK);
      }
    }
    this.offset = base + chunk.length;
  }

  /** Call when the stream ends; throws when it ended inside an entry. */
  end(): void {
    if (this.ended) return;
    if (this.skip > 0 || this.meta !== null || this.headerFill > 0) {
      throw new Error(`the tar stream is truncated (it ends inside an entry, after ${this.offset} bytes)`);
    }
    if (this.headers === 0 && this.offset === 0) throw new Error('the tar stream is empty');
  }

  private onBlock(block: Buffer, offset: number): void {
    if (block.every((byte) => byte === 0)) {
      this.ended = true;
      return;
    }
    if (!checksumMatches(block)) throw new Error(`invalid tar header at byte ${offset} (bad checksum): not a tar stream, or a corrupt one`);
    this.headers++;
    const typeflag = block[156] === 0 ? '0' : String.fromCharCode(block[156]!);
    let size: number;
    try {
      size = readNumber(block, 124, 12);
    } catch (error) {
      throw new Error(`invalid tar header at byte ${offset} (${(error as Error).message})`);
    }
    const padded = size + ((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META_BYTES) throw new Error(`tar header record of ${size} bytes at byte ${offset} is too large`);
      this.skip = 0;
      this.meta = { type: typeflag, data: Buffer.alloc(size), fill: 0 };
      this.metaPadding = padded - size;
      if (size === 0) this.finishMeta(typeflag, this.meta.data);
      return;
    }
    let name = readString(block, 0, 100);
    let linkname = readString(block, 157, 100);
    const magic = block.toString('latin1', 257, 263);
    if (magic === 'ustar\0' && block[345] !== 0) name = `${readString(block, 345, 155)}/${name}`;
    let entrySize = size;
    const pax = this.pax.size > 0 || this.globalPax.size > 0 ? new Map([...this.globalPax, ...this.pax]) : null;
    if (this.longName !== null) name = this.longName;
    if (this.longLink !== null) linkname = this.longLink;
    if (pax !== null) {
      name = pax.get('path') ?? name;
      linkname = pax.get('linkpath') ?? linkname;
      const paxSize = pax.get('size');
      if (paxSize !== undefined) {
        if (!/^\d+$/.test(paxSize)) throw new Error(`bad PAX size "${paxSize}" in tar header at byte ${offset}`);
        entrySize = Number(paxSize);
      }
    }
    this.pax = new Map();
    this.longName = null;
    this.longLink = null;
    const content = HEADER_ONLY_TYPES.has(typeflag) ? 0 : entrySize;
    this.skip = content + ((TAR_BLOCK - (content % TAR_BLOCK)) % TAR_BLOCK);
    this.onEntry({ name, linkname, typeflag, size: entrySize });
  }

  private finishMeta(type: string, data: Buffer): void {
    this.meta = null;
    this.skip = this.metaPadding;
    this.metaPadding = 0;
    if (type === 'L' || type === 'K') {
      const end = data.indexOf(0);
      const value = data.toString('latin1', 0, end === -1 ? data.length : end);
      if (type === 'L') this.longName = value;
      else this.longLink = value;
      return;
    }
    const records = parsePaxRecords(data);
    if (type === 'g') this.globalPax = new Map([...this.globalPax, ...records]);
    else this.pax = records;
  }
}

// ---------------------------------------------------------------------------
// Reading one outer entry

/** What became of one regular file of the outer archive. */
type ArchiveFile =
  | { kind: 'layer'; layer: LayerContents; compressedPending: Promise<number> | null }
  | { kind: 'json'; data: Buffer }
  | { kind: 'other'; format: StreamFormat; bytes: number };

/** Reads the first `want` bytes of an entry (fewer when it is shorter), keeping the iterator for the rest. */
async function readHead(iterator: AsyncIterator<Buffer>, want: number): Promise<{ head: Buffer; done: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < want) {
    const next = await iterator.next();
    if (next.done) return { head: Buffer.concat(chunks), done: true };
    chunks.push(next.value);
    length += next.value.length;
  }
  return { head: Buffer.concat(chunks), done: false };
}

/** The head read by `readHead`, then the rest; stopping early stops the underlying iterator too. */
async function* remaining(head: Buffer, done: boolean, iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  let finished = done;
  try {
    if (head.length > 0) yield head;
    while (!finished) {
      const next = await iterator.next();
      if (next.done) finished = true;
      else yield next.value;
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}

async function readArchiveFile(entry: AsyncIterable<Buffer>, name: string, size: number, options: ReadOptions): Promise<ArchiveFile> {
  const iterator = entry[Symbol.asyncIterator]();
  const { head, done } = await readHead(iterator, Math.min(SNIFF_BYTES, size));
  const format = sniffFormat(head);
  const chunks = remaining(head, done, iterator);
  if (format === 'json' && size <= MAX_JSON_BYTES) {
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    return { kind: 'json', data: Buffer.concat(parts) };
  }
  if (format === 'json' || format === 'unknown') {
    let bytes = 0;
    for await (const chunk of chunks) bytes += chunk.length;
    return { kind: 'other', format, bytes };
  }
  try {
    return await readLayer(chunks, format, options);
  } catch (error) {
    const message = (error as Error).message;
    if (/^Unexpected end of data/.test(message)) throw new Error(`the image archive is truncated (it ends inside ${name})`);
    throw new Error(`layer ${name}: ${message}`);
  }
}

async function readLayer(chunks: AsyncIterable<Buffer>, compression: LayerCompression, options: ReadOptions): Promise<ArchiveFile> {
  const entries: LayerEntry[] = [];
  let fileBytes = 0;
  let storedBytes = 0;
  const scanner = new LayerTarScanner((header) => {
    const entry = toLayerEntry(header);
    fileBytes += entry.bytes;
    entries.push(entry);
  });

  let compressedPending: Promise<number> | null = null;
  if (compression === 'none') {
    const estimator = options.estimateCompressed ? (options.estimator ?? (() => gzipSizeEstimator()))() : null;
    for await (const chunk of chunks) {
      storedBytes += chunk.length;
      scanner.feed(chunk);
      if (estimator !== null) await estimator.update(chunk);
    }
    scanner.end();
    if (estimator !== null) {
      // The next layer may start streaming while this one's last chunks are compressed.
      compressedPending = estimator.finish();
      compressedPending.catch(() => undefined);
    }
  } else {
    const decompressor = compression === 'gzip' ? createGunzip() : createZstdDecompress();
    let failure: Error | null = null;
    decompressor.on('error', (error: Error) => (failure ??= error));
    decompressor.on('data', (chunk: Buffer) => {
      try {
        scanner.feed(chunk);
      } catch (error) {
        decompressor.destroy(error as Error);
      }
    });
    const ended = new Promise<void>((resolve) => decompressor.once('end', resolve).once('close', resolve));
    for await (const chunk of chunks) {
      if (failure !== null) break;
      storedBytes += chunk.length;
      if (!decompressor.write(chunk)) {
        await new Promise<void>((resolve) => decompressor.once('drain', resolve).once('close', resolve));
      }
    }
    if (failure === null) decompressor.end();
    await ended;
    if (failure !== null) throw new Error(describeDecompressError(failure, compression));
    scanner.end();
  }

  const measured = compression !== 'none';
  const layer: LayerContents = {
    entries,
    fileBytes,
    storedBytes,
    compression,
    compressedBytes: measured ? storedBytes : null,
    compressedMeasured: measured
  };
  return { kind: 'layer', layer, compressedPending };
}

function describeDecompressError(error: unknown, compression: LayerCompression): string {
  const message = (error as Error).message;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('Z_') || code.startsWith('ERR_ZSTD') || code.startsWith('ZSTD')) {
    return `the ${compression} data is corrupt or truncated (${message})`;
  }
  return message;
}

// ---------------------------------------------------------------------------
// The outer archive

/** Everything the outer archive held that matters, keyed by normalised archive path. */
interface ArchiveContents {
  files: Map<string, ArchiveFile>;
  /** Symlinks and hard links between archive entries: path → target path. */
  links: Map<string, string>;
}

function joinArchivePath(dir: string, target: string): string {
  const parts = target.startsWith('/') ? [] : dir.split('/').filter(Boolean);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** The archive's bytes, decompressed when the whole archive is gzip or zstd (`docker save | gzip`). */
async function* archiveBytes(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const { head, done } = await readHead(iterator, 4);
  const format = sniffFormat(head);
  const all = remaining(head, done, iterator);
  if (format !== 'gzip' && format !== 'zstd') {
    yield* all;
    return;
  }
  const decompressor = format === 'gzip' ? createGunzip() : createZstdDecompress();
  const input = Readable.from(all, { objectMode: false });
  input.on('error', (error) => decompressor.destroy(error));
  input.pipe(decompressor);
  try {
    for await (const chunk of decompressor) yield chunk as Buffer;
  } catch (error) {
    throw new Error(describeDecompressError(error, format));
  } finally {
    input.destroy();
  }
}

/** Writes the source into the tar parser, waiting whenever the parser is full. */
async function pump(source: AsyncIterable<Buffer>, extractor: Extract): Promise<void> {
  try {
    for await (const chunk of source) {
      if (extractor.destroyed) return;
      if (!extractor.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            extractor.off('drain', done);
            extractor.off('close', done);
            resolve();
          };
          extractor.on('drain', done);
          extractor.on('close', done);
        });
      }
    }
    if (!extractor.destroyed) extractor.end(undefined);
  } catch (error) {
    extractor.destroy(error as Error);
  }
}

/** An entry of the outer archive; tar-stream yields its content as Buffers. */
type ArchiveEntry = AsyncIterable<Buffer>;

async function drain(entry: ArchiveEntry): Promise<void> {
  for await (const _chunk of entry) {
    // discard
  }
}

async function collect(stream: NodeJS.ReadableStream | Readable, options: ReadOptions): Promise<ArchiveContents> {
  const contents: ArchiveContents = { files: new Map(), links: new Map() };
  const extractor = extract();
  const pumping = pump(archiveBytes(stream as AsyncIterable<Buffer>), extractor);
  let seen = 0;
  try {
    for await (const entry of extractor) {
      seen++;
      const header = entry.header;
      const content = entry as unknown as ArchiveEntry;
      const name = joinArchivePath('', header.name);
      if (header.type === 'file' || header.type === 'contiguous-file') {
        contents.files.set(name, await readArchiveFile(content, name, header.size ?? 0, options));
        continue;
      }
      if (header.type === 'symlink' && header.linkname) contents.links.set(name, joinArchivePath(parentPath(name), header.linkname));
      if (header.type === 'link' && header.linkname) contents.links.set(name, joinArchivePath('', header.linkname));
      await drain(content);
    }
  } catch (error) {
    extractor.destroy(null);
    // Nothing more is read: release the source (a pipe from docker, a file) rather than wait for it.
    if (typeof (stream as Readable).destroy === 'function') (stream as Readable).destroy();
    await pumping;
    throw new Error(describeArchiveError(error, seen));
  }
  await pumping;
  return contents;
}

function describeArchiveError(error: unknown, seen: number): string {
  const message = (error as Error).message;
  if (/^Unexpected end of data/.test(message)) {
    return seen === 0 ? 'not an image archive: not a tar stream' : 'the image archive is truncated (unexpected end of data)';
  }
  if (/^Invalid tar header/.test(message)) {
    return seen === 0 ? 'not an image archive: not a tar stream' : `the image archive is corrupt: ${message}`;
  }
  return message;
}

// ---------------------------------------------------------------------------
// Putting the image together

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

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const MAX_INDEX_DEPTH = 4;

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
    return this.contents.files.get(this.resolve(joinArchivePath('', path)));
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
      throw new Error(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
    }
  }

  layer(path: string): { layer: LayerContents; compressedPending: Promise<number> | null } {
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
  return (
    candidates.find((descriptor) => descriptor.platform?.os === 'linux' && descriptor.platform.architecture === 'amd64') ??
    candidates[0]!
  );
}

function readOci(resolver: Resolver): { config: ImageConfigJson; layers: string[] } {
  let document: OciManifest = resolver.json<OciIndex>('index.json', 'index');
  let where = 'index.json';
  for (let depth = 0; !Array.isArray(document.layers); depth++) {
    if (!Array.isArray(document.manifests)) throw new Error(`${where} is neither an image index nor an image manifest`);
    if (depth >= MAX_INDEX_DEPTH) throw new Error(`${where}: image indexes nest too deeply`);
    const chosen = pickManifest(document.manifests, where, resolver);
    const path = blobPath(chosen.digest, `a manifest in ${where}`);
    document = resolver.json<OciManifest>(path, INDEX_TYPES.has(chosen.mediaType ?? '') ? 'image index' : 'image manifest');
    where = path;
  }
  if (document.config === undefined) throw new Error(`image manifest ${where} has no config`);
  const config = resolver.json<ImageConfigJson>(blobPath(document.config.digest, `the config in ${where}`), 'image config');
  const layers = document.layers.map((descriptor, index) => blobPath(descriptor.digest, `layer ${index} in ${where}`));
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

async function assemble(contents: ArchiveContents): Promise<ImageArchive> {
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
    throw new Error(
      `the image archive is inconsistent: the manifest lists ${image.layers.length} layers, the config's rootfs ${diffIds.length}`
    );
  }
  const found = image.layers.map((path) => resolver.layer(path));
  const layers: LayerContents[] = [];
  for (const { layer, compressedPending } of found) {
    const compressedBytes = compressedPending === null ? layer.compressedBytes : await compressedPending;
    layers.push({ ...layer, compressedBytes });
  }
  return { layout, config: image.config, layers };
}

/**
 * Reads an image archive from a stream (docker save output, an OCI layout tar,
 * optionally gzip- or zstd-compressed as a whole) without storing it.
 * Throws an Error with a one-line message when the stream is not a readable image.
 */
export async function readImageArchive(stream: NodeJS.ReadableStream | Readable, options: ReadOptions): Promise<ImageArchive> {
  const contents = await collect(stream, options);
  try {
    return await assemble(contents);
  } finally {
    // Estimates of layers the manifest did not use still run; let them finish quietly.
    for (const file of contents.files.values()) if (file.kind === 'layer') file.compressedPending?.catch(() => undefined);
  }
}
