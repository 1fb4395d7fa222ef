/**
 * Makers of test archives for the image reader: layer tars (with tar-stream, or
 * header by header for names tar-stream cannot write: bytes that are not UTF-8,
 * GNU long names, base-256 sizes), and whole image archives in Docker's legacy
 * layout and in the OCI image layout, in any entry order.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

export type TarItem = Partial<Header> & { name: string; content?: Buffer | string };

/** A tar made by tar-stream's packer. */
export async function packTar(items: TarItem[]): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  packer.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    packer.on('end', () => resolve());
    packer.on('error', reject);
  });
  for (const { content, ...header } of items) {
    const body = typeof content === 'string' ? Buffer.from(content) : content;
    await new Promise<void>((resolve, reject) => {
      packer.entry(
        { mtime: new Date(0), mode: header.type === 'directory' ? 0o755 : 0o644, ...header, size: body?.length ?? 0 },
        body ?? Buffer.alloc(0),
        (error) => (error ? reject(error) : resolve())
      );
    });
  }
  packer.finalize();
  await done;
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------
// Header by header

export interface RawEntry {
  /** The name's bytes (a string is taken as UTF-8). */
  name: Buffer | string;
  /** Typeflag character; default '0' (regular file). */
  typeflag?: string;
  content?: Buffer | string;
  /** Size written in the header; default the content's length. */
  size?: number;
  linkname?: Buffer | string;
  /** Write the size in GNU's base-256 form. */
  base256Size?: boolean;
  /** The 12 bytes of the size field as they are (for sizes no number holds). */
  rawSize?: Buffer;
  /** ustar (default: name split into prefix and name when longer than 100 bytes) or GNU magic. */
  format?: 'ustar' | 'gnu';
}

const BLOCK = 512;

function bytesOf(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One 512-byte header block. */
export function tarHeader(entry: RawEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  let name = bytesOf(entry.name);
  const format = entry.format ?? 'ustar';
  if (format === 'ustar' && name.length > 100) {
    const slash = name.lastIndexOf(0x2f, name.length - 2);
    if (slash <= 0 || slash > 155 || name.length - slash - 1 > 100) throw new Error('name does not fit a ustar header');
    name.copy(block, 345, 0, slash);
    name = name.subarray(slash + 1);
  }
  name.copy(block, 0, 0, Math.min(100, name.length));
  block.write(octal(0o644, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  const size = entry.size ?? (entry.content === undefined ? 0 : bytesOf(entry.content).length);
  if (entry.rawSize !== undefined) entry.rawSize.copy(block, 124, 0, 12);
  else if (entry.base256Size) {
    block[124] = 0x80;
    let rest = size;
    for (let index = 135; index > 124; index--) {
      block[index] = rest % 256;
      rest = Math.floor(rest / 256);
    }
  } else block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(0, 12), 136, 'latin1');
  block.write(entry.typeflag ?? '0', 156, 'latin1');
  if (entry.linkname !== undefined) bytesOf(entry.linkname).copy(block, 157, 0, 100);
  block.write(format === 'gnu' ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/** A header and its padded content. */
export function tarEntry(entry: RawEntry): Buffer {
  const content = entry.content === undefined ? Buffer.alloc(0) : bytesOf(entry.content);
  return Buffer.concat([tarHeader(entry), pad(content)]);
}

/** A PAX extended header (`x`, or `g` for a global one) carrying these records, values as raw bytes. */
export function paxEntry(records: Record<string, Buffer | string>, typeflag: 'x' | 'g' = 'x'): Buffer {
  const parts: Buffer[] = [];
  for (const [key, raw] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${key}=`), bytesOf(raw), Buffer.from('\n')]);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    parts.push(Buffer.concat([Buffer.from(String(length)), body]));
  }
  return tarEntry({ name: 'PaxHeaders/entry', typeflag, content: Buffer.concat(parts) });
}

/** GNU long-name (`L`) or long-link (`K`) record. */
export function gnuLongEntry(value: Buffer | string, typeflag: 'L' | 'K' = 'L'): Buffer {
  return tarEntry({ name: '././@LongLink', typeflag, content: Buffer.concat([bytesOf(value), Buffer.alloc(1)]), format: 'gnu' });
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

/** A tar of these already-encoded parts, ended properly. */
export function rawTar(parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, TAR_END]);
}

// ---------------------------------------------------------------------------
// Image archives

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export type Compression = 'none' | 'gzip' | 'zstd';

export function compress(data: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(data);
  if (compression === 'zstd') return zstdCompressSync(data);
  return data;
}

/** An image config whose rootfs lists these (uncompressed) layers. */
export function imageConfig(layers: Buffer[], history: Array<{ created_by: string; empty_layer?: boolean }> = []): Record<string, unknown> {
  return {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => `sha256:${sha256(layer)}`) },
    history
  };
}

/** An archive file: its name and content (or a link to another name). */
export interface ArchiveFile {
  name: string;
  content?: Buffer | string;
  symlinkTo?: string;
  hardlinkTo?: string;
}

/** A tar of these files in this order; links as tar symlink / hard-link entries. */
export async function archiveTar(files: ArchiveFile[]): Promise<Buffer> {
  return packTar(
    files.map((file) => {
      if (file.symlinkTo !== undefined) return { name: file.name, type: 'symlink', linkname: file.symlinkTo };
      if (file.hardlinkTo !== undefined) return { name: file.name, type: 'link', linkname: file.hardlinkTo };
      return { name: file.name, type: 'file', content: file.content ?? '' };
    })
  );
}

export interface Blob {
  digest: string;
  size: number;
  path: string;
  data: Buffer;
}

export function blob(data: Buffer | string): Blob {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const hex = sha256(bytes);
  return { digest: `sha256:${hex}`, size: bytes.length, path: `blobs/sha256/${hex}`, data: bytes };
}

const LAYER_MEDIA_TYPES: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd'
};

export interface OciImage {
  config: Blob;
  layers: Blob[];
  manifest: Blob;
}

/** The config, layer and manifest blobs of one image whose layers are these tars. */
export function ociImage(layerTars: Buffer[], compression: Compression = 'gzip', config = imageConfig(layerTars)): OciImage {
  const configBlob = blob(JSON.stringify(config));
  const layers = layerTars.map((tar) => blob(compress(tar, compression)));
  const manifest = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configBlob.digest, size: configBlob.size },
      layers: layers.map((layer) => ({ mediaType: LAYER_MEDIA_TYPES[compression], digest: layer.digest, size: layer.size }))
    })
  );
  return { config: configBlob, layers, manifest };
}

export function manifestDescriptor(image: OciImage, platform?: { os: string; architecture: string }, annotations?: Record<string, string>) {
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: image.manifest.digest,
    size: image.manifest.size,
    ...(platform ? { platform } : {}),
    ...(annotations ? { annotations } : {})
  };
}

export function indexJson(manifests: unknown[]): string {
  return JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests });
}

/** The blob files of these images, deduplicated. */
export function blobFiles(...images: OciImage[]): ArchiveFile[] {
  const seen = new Map<string, ArchiveFile>();
  for (const image of images) {
    for (const item of [...image.layers, image.config, image.manifest]) seen.set(item.path, { name: item.path, content: item.data });
  }
  return [...seen.values()];
}

/** A stream giving `data` in chunks of `chunkBytes`, as a pipe or a file would. */
export function chunked(data: Buffer, chunkBytes = 64 * 1024): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) {
        this.push(null);
        return;
      }
      this.push(data.subarray(offset, offset + chunkBytes));
      offset += chunkBytes;
    }
  });
}

/** A size field in GNU's base-256 form holding `value`, which may be beyond any exact number. */
export function base256(value: bigint): Buffer {
  const field = Buffer.alloc(12);
  let rest = value;
  for (let index = 11; index > 0; index--) {
    field[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  field[0] = 0x80 | Number(rest & 0x7fn);
  return field;
}
