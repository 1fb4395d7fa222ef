/**
 * Reads an image archive as it streams past — `docker save` output, an OCI
 * layout tar (`oci-archive:`) or a `docker save -o` file — and turns it into an
 * `ImageArchive`: the image config and, per layer, the table of its entries.
 * The image is never stored: layer bytes are decompressed, parsed and dropped
 * chunk by chunk, with backpressure all the way to the source, so memory grows
 * with the number of files, not with image bytes.
 *
 * The outer archive is read with tar-stream, each layer tar with
 * `LayerTarScanner` (./tar-scanner.ts). In both layouts (./archive-layout.ts)
 * the file that gives the layer order may arrive last, so every layer is
 * analysed as it arrives and keyed by its archive path; the order is applied
 * at the end.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { extract, type Extract } from 'tar-stream';
import { assembleImage, joinArchivePath, type ArchiveContents, type ArchiveFile, type ArchiveFileContent } from './archive-layout.js';
import { gzipSizeEstimator, type SizeEstimator } from './compress.js';
import type { ImageArchive, LayerCompression, LayerContents, LayerEntry } from './model.js';
import { formatBytes } from '../units.js';
import { normalisePath, parentPath } from './paths.js';
import { LayerTarScanner, TAR_BLOCK, toLayerEntry, type ContentSink } from './tar-scanner.js';
import { ExecutableProbe, type ExecutableFacts } from './executable.js';

export interface ReadOptions {
  /** Estimate the gzip size of layers that arrive uncompressed (Docker's own `docker save`); costs CPU. */
  estimateCompressed: boolean;
  /** Makes the estimator for one layer; default `gzipSizeEstimator()` from ./compress.js. */
  estimator?: () => SizeEstimator;
  /** Caps on the layer entries kept (default MAX_ENTRIES and MAX_TOTAL_PATH_BYTES). */
  maxEntries?: number;
  maxPathBytes?: number;
  /** Which regular files' contents to keep (package databases); none when not given. Bounded by MAX_KEPT_FILE_BYTES and MAX_KEPT_BYTES. */
  keep?: (path: string) => boolean;
  /** Read the headers of every executable regular file (ELF or `#!`), for what the entrypoint runs (./executable.ts). */
  probeExecutables?: boolean;
}

/** JSON files of an image archive (configs, manifests, indexes) are small; anything bigger is not one. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** All JSON documents kept from one archive together; an archive needing more is refused. */
export const MAX_JSON_TOTAL_BYTES = 64 * 1024 * 1024;
/**
 * Layer entries kept from one archive, and the bytes of their paths: the tables grow with the number of
 * files, never with the image's bytes, and these bound them (the largest real images hold well under a
 * million files; a crafted layer of empty entries could otherwise fill memory).
 */
export const MAX_ENTRIES = 2_000_000;
export const MAX_TOTAL_PATH_BYTES = 256 * 1024 * 1024;
/** Contents kept (see ReadOptions.keep): per file, and for all layers of an archive together; past them files are skipped and counted. */
export const MAX_KEPT_FILE_BYTES = 16 * 1024 * 1024;
export const MAX_KEPT_BYTES = 64 * 1024 * 1024;
/** Bytes read after the end-of-archive blocks (tar pads to its record size) before the rest is left unread. */
const MAX_TRAILING_BYTES = 1024 * 1024;
/** A blob's path in an OCI layout: `blobs/<algorithm>/<hex>`. */
const BLOB_PATH = /^blobs\/(sha256|sha512)\/([0-9a-f]+)$/;
/** Bytes looked at to tell a layer (tar, gzip, zstd) from a JSON file. */
const SNIFF_BYTES = TAR_BLOCK;

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
// Reading one outer entry

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

/**
 * Whether the layout can refer to a JSON document at this archive path: the
 * index and manifest, blobs, and the legacy layout's `<id>.json` configs at the
 * top. Other JSON-looking files are counted, not kept.
 */
function mayBeReferenced(name: string): boolean {
  return name === 'index.json' || name === 'manifest.json' || BLOB_PATH.test(name) || (!name.includes('/') && name.endsWith('.json'));
}

/** Per archive: what has been kept so far, to cap it. */
interface ReadState {
  jsonBytes: number;
  entries: number;
  pathBytes: number;
  keptBytes: number;
  /** Files the reader was asked to keep but did not, for their size. */
  notKept: number;
}

/** The entry's bytes, hashed and counted as they pass. */
async function* hashing(chunks: AsyncIterable<Buffer>, hash: Hash, count: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    hash.update(chunk);
    count.bytes += chunk.length;
    yield chunk;
  }
}

async function readArchiveFile(
  entry: AsyncIterable<Buffer>,
  name: string,
  size: number,
  options: ReadOptions,
  state: ReadState
): Promise<ArchiveFile> {
  const blob = BLOB_PATH.exec(name);
  const algorithm = blob?.[1] ?? 'sha256';
  const hash = createHash(algorithm);
  const count = { bytes: 0 };
  const file = await readArchiveContent(hashing(entry, hash, count), name, size, options, state);
  const digest = `${algorithm}:${hash.digest('hex')}`;
  if (blob !== null && digest !== `${blob[1]}:${blob[2]}`) {
    throw new Error(`blob ${name} does not match its digest: its content is ${digest}`);
  }
  return { ...file, digest, bytes: count.bytes };
}

async function readArchiveContent(
  entry: AsyncIterable<Buffer>,
  name: string,
  size: number,
  options: ReadOptions,
  state: ReadState
): Promise<ArchiveFileContent> {
  const iterator = entry[Symbol.asyncIterator]();
  const { head, done } = await readHead(iterator, Math.min(SNIFF_BYTES, size));
  const format = sniffFormat(head);
  const chunks = remaining(head, done, iterator);
  if (format === 'json' && size <= MAX_JSON_BYTES && mayBeReferenced(name)) {
    state.jsonBytes += size;
    if (state.jsonBytes > MAX_JSON_TOTAL_BYTES) {
      throw new Error(`the image archive holds more than ${MAX_JSON_TOTAL_BYTES / 1024 / 1024} MiB of JSON documents (at ${name})`);
    }
    const parts: Buffer[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    return { kind: 'json', data: Buffer.concat(parts) };
  }
  if (format === 'json' || format === 'unknown') {
    let bytes = 0;
    for await (const chunk of chunks) bytes += chunk.length;
    return { kind: 'other', bytes };
  }
  try {
    return await readLayer(chunks, format, options, state);
  } catch (error) {
    const message = (error as Error).message;
    if (/^Unexpected end of data/.test(message)) throw new Error(`the image archive is truncated (it ends inside ${name})`, { cause: error });
    throw new Error(`layer ${name}: ${message}`, { cause: error });
  }
}

async function readLayer(
  chunks: AsyncIterable<Buffer>,
  compression: LayerCompression,
  options: ReadOptions,
  state: ReadState
): Promise<ArchiveFileContent> {
  const entries: LayerEntry[] = [];
  const kept = new Map<string, Buffer>();
  const executables = new Map<string, ExecutableFacts>();
  let fileBytes = 0;
  let storedBytes = 0;
  const scanner = new LayerTarScanner(
    (header) => {
      const entry = toLayerEntry(header);
      fileBytes += entry.bytes;
      if (!Number.isSafeInteger(fileBytes)) throw new Error('its files add up to more than 9 PB');
      state.entries++;
      state.pathBytes += entry.path.length + (entry.linkTarget?.length ?? 0);
      const maxEntries = options.maxEntries ?? MAX_ENTRIES;
      const maxPathBytes = options.maxPathBytes ?? MAX_TOTAL_PATH_BYTES;
      if (state.entries > maxEntries)
        throw new Error(`the image holds more than ${maxEntries.toLocaleString('en-US')} files, more than footprint reads`);
      if (state.pathBytes > maxPathBytes)
        throw new Error(`the image's file names add up to more than ${formatBytes(maxPathBytes)}, more than footprint reads`);
      entries.push(entry);
      // A path named again in the same tar is what its last entry holds: drop an earlier copy's content.
      kept.delete(entry.path);
      executables.delete(entry.path);
      if (entry.kind === 'file' && options.probeExecutables === true && (header.mode & 0o111) !== 0 && entry.bytes >= 4) {
        if (options.keep === undefined || !options.keep(entry.path)) return probeInto(executables, entry.path);
      }
      if (entry.kind !== 'file' || options.keep === undefined || !options.keep(entry.path)) return false;
      if (entry.bytes > MAX_KEPT_FILE_BYTES || state.keptBytes + entry.bytes > MAX_KEPT_BYTES) {
        state.notKept++;
        return false;
      }
      state.keptBytes += entry.bytes;
      return true;
    },
    (header, data) => kept.set(normalisePath(header.name), data)
  );

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
      // Past the tar's end nothing more is read from the layer: its bytes are only counted.
      if (scanner.finished) continue;
      if (!decompressor.write(chunk)) {
        await new Promise<void>((resolve) => decompressor.once('drain', resolve).once('close', resolve));
      }
    }
    if (failure === null && scanner.finished) decompressor.destroy();
    else if (failure === null) decompressor.end();
    await ended;
    if (failure !== null) throw new Error(describeDecompressError(failure, compression));
    scanner.end();
  }

  const measured = compression !== 'none';
  const layer: LayerContents = {
    entries,
    kept,
    executables,
    fileBytes,
    storedBytes,
    compression,
    compressedBytes: measured ? storedBytes : null,
    compressedMeasured: measured
  };
  return { kind: 'layer', layer, compressedPending };
}

/** A sink that probes one executable and records what it is under its path. */
function probeInto(executables: Map<string, ExecutableFacts>, path: string): ContentSink {
  const probe = new ExecutableProbe();
  return {
    write: (chunk) => probe.write(chunk),
    end: () => {
      const facts = probe.finish();
      if (facts !== null) executables.set(path, facts);
    }
  };
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
    throw new Error(describeDecompressError(error, format), { cause: error });
  } finally {
    input.destroy();
  }
}

/** Writes `chunk` into the tar parser, waiting while the parser is full. */
async function write(extractor: Extract, chunk: Buffer): Promise<void> {
  if (extractor.write(chunk)) return;
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

/**
 * Writes the source into the tar parser, waiting whenever the parser is full.
 * A header-only scanner follows the archive alongside, so the source is read
 * only to the end-of-archive block (and what padding follows it, up to
 * MAX_TRAILING_BYTES): data appended after an archive's end is never read.
 */
async function pump(source: AsyncIterable<Buffer>, extractor: Extract): Promise<void> {
  let tracker: LayerTarScanner | null = new LayerTarScanner(() => undefined);
  let trailing = 0;
  try {
    for await (const chunk of source) {
      if (extractor.destroyed) return;
      let used = chunk.length;
      if (tracker !== null && !tracker.finished) {
        try {
          used = tracker.feed(chunk);
        } catch {
          // Not a tar the scanner follows: the parser says what is wrong with it.
          tracker = null;
        }
      } else if (tracker !== null) {
        trailing += chunk.length;
        if (trailing > MAX_TRAILING_BYTES) break;
        continue;
      }
      await write(extractor, used === chunk.length ? chunk : chunk.subarray(0, used));
      trailing += chunk.length - used;
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

async function collect(stream: NodeJS.ReadableStream | Readable, options: ReadOptions, state: ReadState): Promise<ArchiveContents> {
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
      // tar-stream gives null for a size field it cannot read, and its entry would then never end.
      const size = header.size;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw new Error(`the image archive is corrupt: ${name} has an unreadable or impossible size (negative or beyond 9 PB)`);
      }
      if (header.type === 'file' || header.type === 'contiguous-file') {
        contents.files.set(name, await readArchiveFile(content, name, size, options, state));
        continue;
      }
      if (header.type === 'symlink' && header.linkname) contents.links.set(name, joinArchivePath(parentPath(name), header.linkname));
      if (header.type === 'link' && header.linkname) contents.links.set(name, joinArchivePath('', header.linkname));
      // tar-stream streams no content for a folder: one with a size in its header would never end.
      if (header.type !== 'directory') await drain(content);
    }
  } catch (error) {
    extractor.destroy(null);
    // Nothing more is read: release the source (a pipe from docker, a file) rather than wait for it.
    if (typeof (stream as Readable).destroy === 'function') (stream as Readable).destroy();
    await pumping;
    throw new Error(describeArchiveError(error, seen), { cause: error });
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

/**
 * Reads an image archive from a stream (docker save output, an OCI layout tar,
 * optionally gzip- or zstd-compressed as a whole) without storing it.
 * Throws an Error with a one-line message when the stream is not a readable image.
 */
export async function readImageArchive(stream: NodeJS.ReadableStream | Readable, options: ReadOptions): Promise<ImageArchive> {
  let contents: ArchiveContents | null = null;
  const state: ReadState = { jsonBytes: 0, entries: 0, pathBytes: 0, keptBytes: 0, notKept: 0 };
  try {
    contents = await collect(stream, options, state);
    return { ...(await assembleImage(contents)), notKept: state.notKept };
  } catch (error) {
    // Messages quote names from the archive: whatever bytes they hold, the message stays one line.
    const message = oneLine((error as Error).message ?? String(error));
    throw new Error(message, { cause: error });
  } finally {
    // Estimates of layers the manifest did not use still run; let them finish quietly.
    for (const file of contents?.files.values() ?? []) if (file.kind === 'layer') file.compressedPending?.catch(() => undefined);
  }
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** The message with control characters and line separators escaped (`\n`, `\x1b`, `\u2028`), so it reads as one line. */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => {
    const code = char.charCodeAt(0);
    return ESCAPES[char] ?? (code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`);
  });
}
