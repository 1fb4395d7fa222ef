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
import { Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { extract, type Extract } from 'tar-stream';
import { assembleImage, joinArchivePath, type ArchiveContents, type ArchiveFile } from './archive-layout.js';
import { gzipSizeEstimator, type SizeEstimator } from './compress.js';
import type { ImageArchive, LayerCompression, LayerContents, LayerEntry } from './model.js';
import { parentPath } from './paths.js';
import { LayerTarScanner, TAR_BLOCK, toLayerEntry } from './tar-scanner.js';

export interface ReadOptions {
  /** Estimate the gzip size of layers that arrive uncompressed (Docker's own `docker save`); costs CPU. */
  estimateCompressed: boolean;
  /** Makes the estimator for one layer; default `gzipSizeEstimator()` from ./compress.js. */
  estimator?: () => SizeEstimator;
}

/** JSON files of an image archive (configs, manifests, indexes) are small; anything bigger is not one. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
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
    return { kind: 'other', bytes };
  }
  try {
    return await readLayer(chunks, format, options);
  } catch (error) {
    const message = (error as Error).message;
    if (/^Unexpected end of data/.test(message)) throw new Error(`the image archive is truncated (it ends inside ${name})`, { cause: error });
    throw new Error(`layer ${name}: ${message}`, { cause: error });
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
  const contents = await collect(stream, options);
  try {
    return await assembleImage(contents);
  } finally {
    // Estimates of layers the manifest did not use still run; let them finish quietly.
    for (const file of contents.files.values()) if (file.kind === 'layer') file.compressedPending?.catch(() => undefined);
  }
}
