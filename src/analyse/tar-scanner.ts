/**
 * Layer tars, header by header: a push parser that reads each entry's header
 * and skips its content, and the layer-table record of a header. Used rather
 * than tar-stream because Docker writes names that are not valid UTF-8 as raw
 * bytes in PAX records, which tar-stream decodes as UTF-8 (losing the bytes),
 * and because a scanner that only reads headers keeps up with `docker save`.
 */
import type { EntryKind, LayerEntry } from './model.js';
import { normalisePath } from './paths.js';

export const TAR_BLOCK = 512;
/** PAX and GNU long-name records are a few hundred bytes; refuse absurd ones rather than buffer them. */
const MAX_META_BYTES = 1024 * 1024;
/**
 * Longest entry path accepted, in bytes. Linux refuses paths over 4,096 bytes in
 * a system call; a longer one in a layer is hostile (a path of half a million
 * folders) and is refused rather than walked.
 */
export const MAX_PATH_BYTES = 32 * 1024;

/** One header of a layer tar, names as binary strings (one char per byte). */
export interface TarHeader {
  name: string;
  /** Target of a hard link or symlink; '' for other entries. */
  linkname: string;
  /** The typeflag character ('0', '5', ...); '0' for the old NUL flag. */
  typeflag: string;
  size: number;
  /** Permission bits (`0o755`); 0 when the header's field is unreadable. */
  mode: number;
}

/** Takes an entry's content chunk by chunk as it streams past (see LayerTarScanner). */
export interface ContentSink {
  write(chunk: Buffer): void;
  end(): void;
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
    linkTarget: kind === 'hardlink' ? normalisePath(header.linkname) : kind === 'symlink' ? header.linkname : null
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
    if (!Number.isSafeInteger(value)) throw new Error('a size beyond 9 PB (base-256 field too large)');
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`bad number "${text}" in tar header`);
  return parseInt(text, 8);
}

/** The header's permission bits; 0 when the field is unreadable (the mode only decides what is probed). */
function readMode(block: Buffer): number {
  try {
    return readNumber(block, 100, 8) & 0o7777;
  } catch {
    return 0;
  }
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
 * each entry's header and skips the entry's content without holding it, unless
 * the callback returns true for that entry: then its content is collected and
 * handed to `onContent` (the caller bounds what it asks for). Follows
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
  /** The content being collected for the entry whose header asked for it, before `skip`'s padding. */
  private content: { header: TarHeader; data: Buffer; fill: number } | null = null;
  /** The sink the current entry's content streams to, and how many of its bytes are still to come. */
  private sink: { sink: ContentSink; remaining: number } | null = null;
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

  private readonly onEntry: (header: TarHeader) => boolean | ContentSink | void;
  private readonly onContent: (header: TarHeader, data: Buffer) => void;

  /**
   * `onEntry` returns true to have the entry's content collected and passed to `onContent`,
   * or a sink to have it streamed there chunk by chunk (nothing is held).
   */
  constructor(onEntry: (header: TarHeader) => boolean | ContentSink | void, onContent: (header: TarHeader, data: Buffer) => void = () => undefined) {
    this.onEntry = onEntry;
    this.onContent = onContent;
  }

  /** Whether the end-of-archive block was read. */
  get finished(): boolean {
    return this.ended;
  }

  /**
   * Takes the next bytes; returns how many of them belong to the archive: all of
   * them, or fewer once the end-of-archive block is read (it is counted in).
   */
  feed(chunk: Buffer): number {
    const base = this.offset;
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.content !== null) {
        const content = this.content;
        const taken = Math.min(content.data.length - content.fill, chunk.length - at);
        chunk.copy(content.data, content.fill, at, at + taken);
        content.fill += taken;
        at += taken;
        if (content.fill === content.data.length) {
          this.content = null;
          this.onContent(content.header, content.data);
        }
        continue;
      }
      if (this.sink !== null) {
        const current = this.sink;
        const taken = Math.min(current.remaining, chunk.length - at);
        current.sink.write(chunk.subarray(at, at + taken));
        current.remaining -= taken;
        at += taken;
        if (current.remaining === 0) {
          this.sink = null;
          current.sink.end();
        }
        continue;
      }
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
    return at;
  }

  /** Call when the stream ends; throws when it ended inside an entry. */
  end(): void {
    if (this.ended) return;
    if (this.skip > 0 || this.content !== null || this.sink !== null || this.meta !== null || this.headerFill > 0) {
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
      throw new Error(`invalid tar header at byte ${offset} (${(error as Error).message})`, { cause: error });
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
        if (!/^\d+$/.test(paxSize)) throw new Error(`bad PAX size "${paxSize.slice(0, 40)}" in tar header at byte ${offset}`);
        entrySize = Number(paxSize);
        if (!Number.isSafeInteger(entrySize)) throw new Error(`PAX size of ${paxSize.length} digits in tar header at byte ${offset} is beyond 9 PB`);
      }
    }
    this.pax = new Map();
    this.longName = null;
    this.longLink = null;
    if (name.length > MAX_PATH_BYTES || linkname.length > MAX_PATH_BYTES) {
      throw new Error(
        `a path of ${Math.max(name.length, linkname.length)} bytes in tar header at byte ${offset} is longer than ${MAX_PATH_BYTES} bytes`
      );
    }
    const content = HEADER_ONLY_TYPES.has(typeflag) ? 0 : entrySize;
    const header = { name, linkname, typeflag, size: entrySize, mode: readMode(block) };
    const answer = this.onEntry(header);
    const wanted = answer === true;
    if (typeof answer === 'object' && answer !== null) {
      if (content === 0) answer.end();
      else this.sink = { sink: answer, remaining: content };
      this.skip = (TAR_BLOCK - (content % TAR_BLOCK)) % TAR_BLOCK;
      return;
    }
    if (wanted && content === 0) this.onContent(header, Buffer.alloc(0));
    if (wanted && content > 0) {
      this.content = { header, data: Buffer.alloc(content), fill: 0 };
      this.skip = (TAR_BLOCK - (content % TAR_BLOCK)) % TAR_BLOCK;
    } else {
      this.skip = content + ((TAR_BLOCK - (content % TAR_BLOCK)) % TAR_BLOCK);
    }
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
