/**
 * Paths inside an image. A layer's tar names are bytes, not text: they are held
 * as "binary" (latin1) strings, one char per byte, so a name that is not valid
 * UTF-8 keeps its identity. These helpers normalise such paths, show them to a
 * person, and read the OCI whiteout convention.
 */

/** Prefix of a whiteout file: `.wh.NAME` deletes `NAME` from the layers below. */
export const WHITEOUT_PREFIX = '.wh.';
/** A directory's opaque marker: hides everything the layers below put in that directory. */
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/**
 * The path as the image's filesystem knows it: no leading `./` or `/`, no
 * trailing `/`, no empty segments. The root is ''. Nothing else is resolved
 * (`..` and `.` inside a path stay as they are).
 */
export function normalisePath(raw: string): string {
  let path = raw;
  for (;;) {
    const before = path;
    path = path.replace(/^\/+/, '');
    if (path.startsWith('./')) path = path.slice(2);
    if (path === before) break;
  }
  if (path === '.') return '';
  path = path.replace(/\/{2,}/g, '/').replace(/\/+$/, '');
  return path;
}

/** The base name: what follows the last `/`. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The parent folder of a normalised path; '' for a top-level entry. */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** Whether the (normalised) path is a whiteout entry (`.wh.NAME` or `.wh..wh..opq`). */
export function isWhiteout(path: string): boolean {
  return baseName(path).startsWith(WHITEOUT_PREFIX);
}

export type WhiteoutTarget = { kind: 'file'; path: string } | { kind: 'opaque'; dir: string };

/**
 * What a whiteout hides: `dir/.wh.NAME` hides `dir/NAME`, `dir/.wh..wh..opq`
 * hides the lower contents of `dir` ('' is the root). Null for a path that is
 * no whiteout, and for the other names the OCI spec reserves (`.wh..wh.*`,
 * e.g. aufs's `.wh..wh.plnk`), which hide nothing.
 */
export function whiteoutTarget(path: string): WhiteoutTarget | null {
  const name = baseName(path);
  if (!name.startsWith(WHITEOUT_PREFIX)) return null;
  const dir = parentPath(path);
  if (name === OPAQUE_WHITEOUT) return { kind: 'opaque', dir };
  if (name.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return null;
  const hidden = name.slice(WHITEOUT_PREFIX.length);
  if (hidden === '') return null;
  return { kind: 'file', path: dir === '' ? hidden : `${dir}/${hidden}` };
}

/** Code points shown escaped even though they are valid text: C1 controls, line separators, bidi controls. */
function isInvisible(codePoint: number): boolean {
  return (
    (codePoint >= 0x80 && codePoint <= 0x9f) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069) ||
    codePoint === 0x200e ||
    codePoint === 0x200f ||
    codePoint === 0xfeff
  );
}

const SHORT_ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

function hexByte(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * Length of the valid UTF-8 sequence starting at `at`, or 0 when the byte there
 * does not start one (overlong forms, surrogates and code points past U+10FFFF
 * are invalid, as in the WHATWG decoder).
 */
function utf8SequenceLength(bytes: Buffer, at: number): number {
  const first = bytes[at]!;
  if (first < 0x80) return 1;
  let length: number;
  let lower = 0x80;
  let upper = 0xbf;
  if (first >= 0xc2 && first <= 0xdf) length = 2;
  else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    if (first === 0xe0) lower = 0xa0;
    if (first === 0xed) upper = 0x9f;
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    if (first === 0xf0) lower = 0x90;
    if (first === 0xf4) upper = 0x8f;
  } else return 0;
  if (at + length > bytes.length) return 0;
  for (let index = 1; index < length; index++) {
    const byte = bytes[at + index]!;
    if (byte < (index === 1 ? lower : 0x80) || byte > (index === 1 ? upper : 0xbf)) return 0;
  }
  return length;
}

/**
 * The path for a person to read: `/` followed by the name decoded as UTF-8.
 * Bytes that are not valid UTF-8 show as `\xNN`; control characters as `\n`,
 * `\t`, `\r` or `\xNN`; a backslash as `\\`; invisible or direction-changing
 * characters as `\u{NNNN}`. Distinct paths therefore always look distinct.
 */
export function displayPath(path: string): string {
  const bytes = Buffer.from(path, 'latin1');
  let out = '/';
  let at = 0;
  while (at < bytes.length) {
    const length = utf8SequenceLength(bytes, at);
    if (length === 0) {
      out += hexByte(bytes[at]!);
      at += 1;
      continue;
    }
    if (length === 1) {
      const byte = bytes[at]!;
      out += SHORT_ESCAPES[byte] ?? (byte < 0x20 || byte === 0x7f ? hexByte(byte) : String.fromCharCode(byte));
      at += 1;
      continue;
    }
    const text = bytes.toString('utf8', at, at + length);
    const codePoint = text.codePointAt(0)!;
    out += isInvisible(codePoint) ? `\\u{${codePoint.toString(16).padStart(4, '0')}}` : text;
    at += length;
  }
  return out;
}
