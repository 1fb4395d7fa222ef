/**
 * What an executable file is, read from its bytes as they stream past: an ELF
 * binary (static, or dynamic with its interpreter and the libraries it needs) or
 * a script (its `#!` line). Only the headers are read: the ELF header and
 * program headers at the start, the interpreter's path, the dynamic segment and
 * the string table it names — a few kilobytes kept out of a file of any size.
 * The layer reader runs one probe per executable file; the entrypoint of the
 * image is then looked up among them (./entrypoint.ts).
 */

export type ExecutableFacts =
  | {
      format: 'elf';
      /** `PT_INTERP`: the dynamic loader (`/lib64/ld-linux-x86-64.so.2`); null for a static binary. */
      interpreter: string | null;
      /** `DT_NEEDED`: the shared libraries it links; null when it names some that could not be read. */
      needed: string[] | null;
      /** `e_machine` as a name (`x86-64`, `aarch64`, …) or its number. */
      machine: string;
    }
  | {
      format: 'script';
      /** The `#!` line's interpreter and its argument (`/bin/sh`, `/usr/bin/env python3`). */
      interpreter: string;
    };

/** Bytes of a file's start kept while it streams: the headers, the interpreter, and usually the string table. */
export const PREFIX_BYTES = 256 * 1024;
/** The dynamic segment is kept up to this size wherever it lies (a few hundred bytes in practice). */
const MAX_DYNAMIC_BYTES = 64 * 1024;
/** A `#!` line longer than this is not one the kernel runs. */
const MAX_SHEBANG_BYTES = 256;
/** More libraries than any real binary names: the rest is not read. */
const MAX_NEEDED = 256;

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;

const MACHINES: Record<number, string> = {
  3: 'x86',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390x',
  40: 'arm',
  62: 'x86-64',
  183: 'aarch64',
  243: 'riscv'
};

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  fileSize: number;
}

/** A range of the file to keep, filled as its bytes pass. */
interface Range {
  start: number;
  data: Buffer;
  filled: number;
}

/** Reads the ELF fields of one file, for its class (32/64 bits) and byte order. */
class ElfFields {
  constructor(
    private readonly is64: boolean,
    private readonly little: boolean
  ) {}

  u16(buffer: Buffer, at: number): number {
    return this.little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at);
  }

  u32(buffer: Buffer, at: number): number {
    return this.little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at);
  }

  /** A word: 32 bits, or 64 bits read as a number (past 2^53 it cannot be an offset in a layer anyway). */
  word(buffer: Buffer, at: number): number {
    if (!this.is64) return this.u32(buffer, at);
    const value = this.little ? buffer.readBigUInt64LE(at) : buffer.readBigUInt64BE(at);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }

  get wordBytes(): number {
    return this.is64 ? 8 : 4;
  }
}

/**
 * One file's probe: `write` its bytes in order, then `finish` says what it is,
 * or null when it is neither an ELF file nor a script (or too damaged to tell).
 */
export class ExecutableProbe {
  /** The file's first bytes as they came, joined only when read (a chunk at a time would copy the prefix over and over). */
  private parts: Buffer[] = [];
  private joined: Buffer | null = Buffer.alloc(0);
  private offset = 0;
  private kind: 'unknown' | 'elf' | 'script' | 'other' = 'unknown';
  private fields: ElfFields | null = null;
  private segments: Segment[] | null = null;
  private readonly ranges = new Map<string, Range>();
  private machine = '';

  write(chunk: Buffer): void {
    if (this.kind === 'other') return;
    const start = this.offset;
    this.offset += chunk.length;
    if (start < PREFIX_BYTES) {
      this.parts.push(Buffer.from(chunk.subarray(0, PREFIX_BYTES - start)));
      this.joined = null;
    }
    if (this.kind === 'unknown') this.sniff();
    if (this.kind === 'elf' && this.segments === null) this.readProgramHeaders(start);
    for (const range of this.ranges.values()) fill(range, chunk, start);
  }

  finish(): ExecutableFacts | null {
    if (this.kind === 'script') return this.script();
    if (this.kind !== 'elf' || this.segments === null || this.fields === null) return null;
    const interp = this.segments.find((segment) => segment.type === PT_INTERP);
    const interpreter = interp === undefined ? null : this.cString(this.bytesAt(interp.offset, Math.min(interp.fileSize, 4096)));
    return { format: 'elf', interpreter, needed: this.needed(), machine: this.machine };
  }

  private get prefix(): Buffer {
    if (this.joined === null) {
      this.joined = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
      this.parts = [this.joined];
    }
    return this.joined;
  }

  private dropPrefix(): void {
    this.parts = [];
    this.joined = Buffer.alloc(0);
  }

  private sniff(): void {
    if (this.prefix.length < 4) return;
    if (this.prefix.readUInt32BE(0) === 0x7f454c46) this.kind = 'elf';
    else if (this.prefix[0] === 0x23 && this.prefix[1] === 0x21) this.kind = 'script';
    else {
      this.kind = 'other';
      this.dropPrefix();
    }
  }

  /** Reads the program headers once the prefix holds them; `chunkStart`: where the chunk being written starts. */
  private readProgramHeaders(chunkStart: number): void {
    const head = this.prefix;
    if (head.length < 52) return;
    const elfClass = head[4];
    const data = head[5];
    if ((elfClass !== 1 && elfClass !== 2) || (data !== 1 && data !== 2)) return this.giveUp();
    const fields = new ElfFields(elfClass === 2, data === 1);
    const is64 = elfClass === 2;
    if (is64 && head.length < 64) return;
    const machine = fields.u16(head, 18);
    const phoff = fields.word(head, is64 ? 32 : 28);
    const phentsize = fields.u16(head, is64 ? 54 : 42);
    const phnum = fields.u16(head, is64 ? 56 : 44);
    const end = phoff + phentsize * phnum;
    if (phentsize < (is64 ? 56 : 32) || end > PREFIX_BYTES) return this.giveUp();
    if (head.length < end) return; // more to come
    const segments: Segment[] = [];
    for (let at = phoff; at < end; at += phentsize) {
      segments.push(
        is64
          ? { type: fields.u32(head, at), offset: fields.word(head, at + 8), vaddr: fields.word(head, at + 16), fileSize: fields.word(head, at + 32) }
          : { type: fields.u32(head, at), offset: fields.u32(head, at + 4), vaddr: fields.u32(head, at + 8), fileSize: fields.u32(head, at + 16) }
      );
    }
    this.fields = fields;
    this.segments = segments;
    this.machine = MACHINES[machine] ?? String(machine);
    const interp = segments.find((segment) => segment.type === PT_INTERP);
    if (interp !== undefined) this.keep('interp', interp.offset, Math.min(interp.fileSize, 4096), chunkStart);
    const dynamic = segments.find((segment) => segment.type === PT_DYNAMIC);
    if (dynamic !== undefined) this.keep('dynamic', dynamic.offset, Math.min(dynamic.fileSize, MAX_DYNAMIC_BYTES), chunkStart);
  }

  private giveUp(): void {
    this.kind = 'other';
    this.dropPrefix();
    this.ranges.clear();
  }

  /** Keeps a range beyond the prefix as it streams past (one inside the prefix needs nothing; one already past is lost). */
  private keep(name: string, start: number, length: number, chunkStart: number): void {
    if (start + length <= PREFIX_BYTES || start < chunkStart) return;
    this.ranges.set(name, { start, data: Buffer.alloc(length), filled: 0 });
  }

  /** Bytes of the file at `start`, from the prefix or a kept range; null when they were not kept. */
  private bytesAt(start: number, length: number): Buffer | null {
    if (start + length <= this.prefix.length) return this.prefix.subarray(start, start + length);
    for (const range of this.ranges.values()) {
      if (range.start === start && range.filled >= length) return range.data.subarray(0, length);
    }
    return null;
  }

  private cString(bytes: Buffer | null): string | null {
    if (bytes === null) return null;
    const end = bytes.indexOf(0);
    return bytes.toString('latin1', 0, end === -1 ? bytes.length : end);
  }

  /** The DT_NEEDED names: [] without a dynamic segment or without entries; null when their strings were not kept. */
  private needed(): string[] | null {
    const fields = this.fields!;
    const dynamic = this.segments!.find((segment) => segment.type === PT_DYNAMIC);
    if (dynamic === undefined) return [];
    const length = Math.min(dynamic.fileSize, MAX_DYNAMIC_BYTES);
    const table = this.bytesAt(dynamic.offset, length);
    if (table === null) return null;
    const entry = fields.wordBytes * 2;
    const offsets: number[] = [];
    let strtab: number | null = null;
    let strsz = 0;
    for (let at = 0; at + entry <= table.length; at += entry) {
      const tag = fields.word(table, at);
      const value = fields.word(table, at + fields.wordBytes);
      if (tag === DT_NULL) break;
      if (tag === DT_NEEDED && offsets.length < MAX_NEEDED) offsets.push(value);
      else if (tag === DT_STRTAB) strtab = value;
      else if (tag === DT_STRSZ) strsz = value;
    }
    if (offsets.length === 0) return [];
    if (strtab === null) return null;
    // DT_STRTAB is an address: the loadable segment that maps it gives its place in the file.
    const load = this.segments!.find((segment) => segment.type === PT_LOAD && strtab >= segment.vaddr && strtab < segment.vaddr + segment.fileSize);
    if (load === undefined) return null;
    const start = strtab - load.vaddr + load.offset;
    const strings = this.bytesAt(start, Math.min(strsz, PREFIX_BYTES));
    if (strings === null) return null;
    const names = offsets.map((offset) => (offset < strings.length ? this.cString(strings.subarray(offset)) : null));
    return names.every((name): name is string => name !== null && name !== '') ? names : null;
  }

  private script(): ExecutableFacts | null {
    const line = this.prefix.subarray(2, MAX_SHEBANG_BYTES);
    const end = line.indexOf(0x0a);
    if (end === -1 && this.prefix.length >= MAX_SHEBANG_BYTES) return null;
    const interpreter = line
      .toString('latin1', 0, end === -1 ? line.length : end)
      .replace(/\r$/, '')
      .trim();
    return interpreter === '' ? null : { format: 'script', interpreter };
  }
}

function fill(range: Range, chunk: Buffer, chunkStart: number): void {
  const from = Math.max(range.start + range.filled, chunkStart);
  const to = Math.min(range.start + range.data.length, chunkStart + chunk.length);
  if (from !== range.start + range.filled || to <= from) return;
  chunk.copy(range.data, range.filled, from - chunkStart, to - chunkStart);
  range.filled += to - from;
}

/** Static: no loader and no libraries. */
export function isStatic(facts: ExecutableFacts): boolean {
  return facts.format === 'elf' && facts.interpreter === null && facts.needed !== null && facts.needed.length === 0;
}
