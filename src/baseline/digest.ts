/**
 * The build-input digest: one sha256 over everything a `docker build` of one
 * image can see. Equal digests mean the build gets the same inputs, so
 * footprint can take an image's measurement from the base branch instead of
 * building it again. Two checkouts of one commit give the same digest; any
 * change a build could see changes it; what cannot be known makes it unknown,
 * and unknown never equals anything.
 *
 * In, in this order (FORMAT names it; change FORMAT when it changes): the
 * builder, platform, target and build args; each base image the Dockerfile
 * names with what it resolves to; the Dockerfile's bytes; the .dockerignore's
 * bytes; then every folder, file and symlink of the context the .dockerignore
 * lets through, sorted by path: its type, mode bits, and the sha256 of a
 * file's content or a link's text (links are never followed).
 */
import dockerignore from '@balena/dockerignore';
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { posix, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Target } from '../discover/target.js';
import type { Instruction, ParsedDockerfile } from '../dockerfile/parse.js';
import { messageOf } from '../errors.js';
import { baseImagesOf } from './base-images.js';

export interface BuildInputDigest {
  /** `sha256:<64 hex>` over everything below; null when unknown (a base image could not be resolved, a file could not be read): unknown never equals anything. */
  digest: string | null;
  /** Why the digest is unknown, one line naming the base image / file; null when known. */
  unknown: string | null;
  /** Files hashed from the context (after .dockerignore) and their bytes, for the log. */
  files: number;
  bytes: number;
}

/** What a base image reference stands for now (`sha256:...`); null when neither the engine nor its registry knows it. */
export type BaseResolver = (ref: string, platform: string | null) => Promise<string | null>;

export interface DigestOptions {
  /** Absolute folder the target's repo-relative paths are relative to. */
  root: string;
  target: Target;
  /** The Dockerfile parsed with the build's args and target; null when it could not be read. */
  dockerfile: ParsedDockerfile | null;
  /** The engine's builder (`buildx`, `docker build`): another builder may build the same inputs differently. */
  builder: string;
  resolveBase: BaseResolver;
}

const FORMAT = 'footprint-build-inputs/1';
/** Reader threads: one per core, at least two (one reads while the other hashes), at most eight. */
const READERS = Math.max(2, Math.min(8, availableParallelism()));
/** Entries a reader takes at a time: small enough to share big files out evenly, big enough that messages cost little. */
const BATCH = 32;
/** Each reader's buffer: big files are read in chunks of this size, small ones in one read. */
const CHUNK_BYTES = 1024 * 1024;

/** Why the digest cannot be known; the message names what. */
class Unknowable extends Error {}

type Kind = 'folder' | 'file' | 'symlink' | 'other';

interface Entry {
  /** Relative to the context, POSIX. */
  path: string;
  kind: Kind;
}

/** One entry as it goes into the digest: its record line (kind, path, mode, content), and a file's bytes for the count. */
interface Hashed {
  line: string;
  bytes: number;
}

export async function digestBuildInputs(options: DigestOptions): Promise<BuildInputDigest> {
  try {
    return await digest(options);
  } catch (error) {
    return { digest: null, unknown: error instanceof Unknowable ? error.message : messageOf(error), files: 0, bytes: 0 };
  }
}

async function digest(options: DigestOptions): Promise<BuildInputDigest> {
  const { root, target, dockerfile } = options;
  if (target.refused) throw new Unknowable(`the image is not built: ${target.refused}`);
  if (target.dockerfile === null || target.context === null) throw new Unknowable('the image is given by reference, not built from a Dockerfile');
  const dockerfileBytes = await readInput(root, target.dockerfile, `Dockerfile ${target.dockerfile}`);
  if (dockerfile === null) throw new Unknowable(`Dockerfile ${target.dockerfile} could not be read`);
  const remote = remoteAdd(dockerfile);
  if (remote !== null) {
    throw new Unknowable(`Dockerfile ${target.dockerfile} line ${remote.line} ADDs a remote URL without --checksum, whose content may change`);
  }

  // Bases first: one that cannot be resolved makes the context not worth reading.
  const images = baseImagesOf(dockerfile, dockerfileBytes.toString('utf8'), target);
  const resolved = await Promise.all(images.map((image) => options.resolveBase(image.ref, image.platform)));
  const missing = images.findIndex((_image, index) => resolved[index] === null);
  if (missing !== -1) {
    throw new Unknowable(`base image ${images[missing]!.ref} could not be resolved (not in the local engine, not in its registry)`);
  }

  const ignoreFile = await readIgnoreFile(root, target.dockerfile, target.context);
  const context = resolve(root, target.context);
  const contextInfo = await stat(context).catch(() => null);
  if (contextInfo === null || !contextInfo.isDirectory()) throw new Unknowable(`build context ${target.context} is not a folder`);
  const entries = await listContext(context, contextRules(ignoreFile?.bytes.toString('utf8') ?? ''), {
    // The repository's own .git changes with every commit (and in a worktree it is a file naming another
    // folder), yet says nothing about what the build makes of the sources: leaving it out is what lets two
    // checkouts of one commit agree. A .git below the top is ordinary context.
    skipGit: posix.normalize(target.context) === '.',
    shown: target.context
  });
  const hashed = await hashEntries(context, entries, target.context);

  const hash = createHash('sha256');
  const record = (...fields: Array<string | number | null>): void => {
    hash.update(`${JSON.stringify(fields)}\n`);
  };
  hash.update(`${FORMAT}\n`);
  record('builder', options.builder);
  record('platform', target.platform);
  record('target', target.target);
  for (const name of Object.keys(target.buildArgs).sort()) record('build-arg', name, target.buildArgs[name]!);
  images.forEach((image, index) => record('base', `${image.ref}=${resolved[index]!}`, image.platform));
  record('dockerfile', sha256(dockerfileBytes));
  record('dockerignore', ignoreFile === null ? null : sha256(ignoreFile.bytes));
  let bytes = 0;
  let files = 0;
  for (const [index, entry] of entries.entries()) {
    hash.update(hashed[index]!.line);
    if (entry.kind === 'file') {
      files += 1;
      bytes += hashed[index]!.bytes;
    }
  }
  return { digest: `sha256:${hash.digest('hex')}`, unknown: null, files, bytes };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A file the build reads besides the context (the Dockerfile, the .dockerignore); missing or unreadable: unknown. */
async function readInput(root: string, path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(resolve(root, path));
  } catch (error) {
    throw new Unknowable(`${what} could not be read: ${messageOf(error)}`);
  }
}

/**
 * The .dockerignore in force, as BuildKit picks it: `<Dockerfile>.dockerignore` next to the Dockerfile when it
 * exists, else `<context>/.dockerignore`; null when there is neither.
 */
async function readIgnoreFile(root: string, dockerfile: string, context: string): Promise<{ path: string; bytes: Buffer } | null> {
  for (const path of [`${dockerfile}.dockerignore`, posix.join(context, '.dockerignore')]) {
    try {
      return { path, bytes: await readFile(resolve(root, path)) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Unknowable(`${path} could not be read: ${messageOf(error)}`);
    }
  }
  return null;
}

/** An `ADD` of an http(s) or git URL that no `--checksum` pins: what it fetches can change while nothing here does. */
function remoteAdd(dockerfile: ParsedDockerfile): Instruction | null {
  for (const stage of dockerfile.stages) {
    for (const instruction of stage.instructions) {
      if (instruction.keyword !== 'ADD' || typeof instruction.flags['checksum'] === 'string') continue;
      // The first line holds the sources; heredoc bodies, which may mention URLs, follow on their own.
      const sources = instruction.args.split('\n', 1)[0]!;
      if (/(?:^|[\s"[])(?:(?:https?|git):\/\/|git@)/i.test(sources)) return instruction;
    }
  }
  return null;
}

/** The .dockerignore's rules: what it leaves out, and whether a folder it leaves out must still be walked. */
interface ContextRules {
  excludes(path: string): boolean;
  /** Whether an exception (`!pattern`) could let through something below the folder. */
  mayReinclude(folder: string): boolean;
}

/**
 * Matching is @balena/dockerignore's, a port of Docker's own (`**`, `!` exceptions, parent folders), case-sensitive
 * as on Linux. Walking is ours: a folder left out is skipped whole unless an exception could reach below it.
 */
function contextRules(text: string): ContextRules {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // The package is CommonJS whose types declare an ES default export: Node hands ESM the whole module.
  const matcher = dockerignore.default({ ignorecase: false }).add(lines);
  const exceptions = lines
    .filter((line) => !line.startsWith('#'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!'))
    .map((line) => posix.normalize(line.slice(1).trim()).replace(/^\/+/, '').replace(/\/+$/, ''))
    .filter((pattern) => pattern !== '' && pattern !== '.');
  const anyRule = lines.some((line) => !line.startsWith('#') && line.trim() !== '');
  return {
    excludes: anyRule ? (path) => matcher.ignores(path) : () => false,
    mayReinclude: (folder) => exceptions.some((pattern) => mayReachBelow(pattern, folder))
  };
}

/**
 * Whether an exception pattern could match the folder, something below it or a folder above it (Docker
 * matches patterns against parent folders too). Conservative: a segment with a wildcard is taken to match any
 * name, `**` anything from there on; `[` classes and `\` escapes are not worked out, they count as matching.
 */
function mayReachBelow(pattern: string, folder: string): boolean {
  if (/[[\\]/.test(pattern)) return true;
  const patternSegments = pattern.split('/');
  const folderSegments = folder.split('/');
  for (let index = 0; index < Math.min(patternSegments.length, folderSegments.length); index++) {
    const segment = patternSegments[index]!;
    if (segment.includes('**')) return true;
    if (/[*?]/.test(segment)) continue;
    if (segment !== folderSegments[index]) return false;
  }
  return true;
}

/**
 * Every entry of the context the rules let through, sorted bytewise by path (never readdir's order). A folder
 * that is left out but walked for an exception is listed only when something below it is: BuildKit sends the
 * folders above what it sends.
 */
async function listContext(context: string, rules: ContextRules, options: { skipGit: boolean; shown: string }): Promise<Entry[]> {
  const entries: Entry[] = [];

  /** Lists `folder` (relative, '' for the top) and answers whether it listed anything. */
  async function walk(folder: string): Promise<boolean> {
    let dirents: Dirent[];
    try {
      dirents = await readdir(folder === '' ? context : `${context}/${folder}`, { withFileTypes: true });
    } catch (error) {
      throw new Unknowable(`folder ${shownPath(options.shown, folder)} could not be read: ${messageOf(error)}`);
    }
    const below: Array<Promise<boolean>> = [];
    let listed = false;
    for (const dirent of dirents) {
      if (folder === '' && options.skipGit && dirent.name === '.git') continue;
      const path = folder === '' ? dirent.name : `${folder}/${dirent.name}`;
      const excluded = rules.excludes(path);
      if (dirent.isDirectory()) {
        if (!excluded) {
          entries.push({ path, kind: 'folder' });
          listed = true;
          below.push(walk(path));
        } else if (rules.mayReinclude(path)) {
          below.push(
            walk(path).then((inside) => {
              if (inside) entries.push({ path, kind: 'folder' });
              return inside;
            })
          );
        }
      } else if (!excluded) {
        entries.push({ path, kind: dirent.isFile() ? 'file' : dirent.isSymbolicLink() ? 'symlink' : 'other' });
        listed = true;
      }
    }
    const inside = await Promise.all(below);
    return listed || inside.includes(true);
  }

  await walk('');
  const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.path) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({ entry }) => entry);
}

function shownPath(context: string, path: string): string {
  return path === '' ? context : posix.join(context, path);
}

/**
 * Each entry's record line, in the entries' order. Readers in worker threads take batches of entries in turn
 * and read them with plain blocking calls: one thread hop per batch instead of four per file (open, stat, read,
 * close) makes many small files several times faster, and the readers hash in parallel on every core while
 * this thread stays free.
 */
async function hashEntries(context: string, entries: Entry[], shown: string): Promise<Hashed[]> {
  const hashed = new Array<Hashed>(entries.length);
  const readers = Math.min(READERS, Math.ceil(entries.length / BATCH));
  let next = 0;
  /** The first entry that could not be read stops every reader. */
  const failures: Unknowable[] = [];

  async function feed(worker: Worker): Promise<void> {
    const stopped = new Promise<never>((_resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`a reader thread stopped (exit code ${code})`)));
    });
    // Terminating the readers at the end stops them too, when nothing waits for this any more.
    stopped.catch(() => undefined);
    while (failures.length === 0 && next < entries.length) {
      const first = next;
      const batch = entries.slice(first, (next += BATCH));
      const answered = new Promise<ReaderAnswer[]>((resolve) => worker.once('message', resolve));
      worker.postMessage({ context, entries: batch.map((entry) => [entry.path, entry.kind]) } satisfies ReaderBatch);
      const results = await Promise.race([answered, stopped]);
      results.forEach((result, offset) => {
        if ('failure' in result) {
          const entry = batch[offset]!;
          failures.push(new Unknowable(`${entry.kind} ${shownPath(shown, entry.path)} could not be read: ${result.failure}`));
        } else {
          hashed[first + offset] = result;
        }
      });
    }
  }

  const workers = Array.from({ length: readers }, () => new Worker(READER_SOURCE, { eval: true, workerData: { chunkBytes: CHUNK_BYTES } }));
  try {
    await Promise.all(workers.map(feed));
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  if (failures[0] !== undefined) throw failures[0];
  return hashed;
}

/** A batch for a reader: the context's absolute path and entries as [relative path, kind]. */
interface ReaderBatch {
  context: string;
  entries: Array<[path: string, kind: Kind]>;
}

/** A reader's answer for one entry: its record, or why it could not be read (an error code, such as ENOENT). */
type ReaderAnswer = Hashed | { failure: string };

/**
 * A reader thread. Started from its source text (a bundle has no file of its own to start a worker from), so
 * it uses nothing from this module: Node's modules come from process.getBuiltinModule, the buffer size from
 * workerData. Answers each ReaderBatch with a ReaderAnswer per entry: its kind, path and mode bits (lstat,
 * never following a link), with a file's content hash or a symlink's text.
 */
function reader(): void {
  const fs = process.getBuiltinModule('node:fs');
  const { createHash } = process.getBuiltinModule('node:crypto');
  const threads = process.getBuiltinModule('node:worker_threads');
  const parentPort = threads.parentPort!;
  const buffer = Buffer.allocUnsafe((threads.workerData as { chunkBytes: number }).chunkBytes);
  // O_NOFOLLOW: a file swapped for a symlink since the listing is refused, not followed; O_NONBLOCK: one
  // swapped for a fifo does not hang the open.
  const flags = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

  function hashFile(absolute: string): { mode: number; sha: string; bytes: number } {
    const fd = fs.openSync(absolute, flags);
    try {
      const info = fs.fstatSync(fd);
      if (!info.isFile()) throw new Error('it is no longer a regular file');
      const hash = createHash('sha256');
      let bytes = 0;
      for (;;) {
        const read = fs.readSync(fd, buffer, 0, buffer.length, bytes);
        if (read === 0) break;
        hash.update(buffer.subarray(0, read));
        bytes += read;
        // A read that stopped short of the buffer at the size fstat gave reached the end: no need to ask again.
        if (read < buffer.length && bytes >= info.size) break;
      }
      return { mode: info.mode & 0o7777, sha: hash.digest('hex'), bytes };
    } finally {
      fs.closeSync(fd);
    }
  }

  function record(context: string, path: string, kind: string): { line: string; bytes: number } {
    const absolute = `${context}/${path}`;
    if (kind === 'file') {
      const { mode, sha, bytes } = hashFile(absolute);
      return { line: `${JSON.stringify(['file', path, mode, sha])}\n`, bytes };
    }
    const info = fs.lstatSync(absolute);
    const mode = info.mode & 0o7777;
    if (kind === 'symlink') return { line: `${JSON.stringify(['symlink', path, mode, fs.readlinkSync(absolute)])}\n`, bytes: 0 };
    // A folder, or a fifo, socket or device: its type and mode are all there is.
    return { line: `${JSON.stringify([info.isDirectory() ? 'folder' : 'other', path, mode])}\n`, bytes: 0 };
  }

  parentPort.on('message', ({ context, entries }: { context: string; entries: Array<[string, string]> }) => {
    const answers = entries.map(([path, kind]) => {
      try {
        return record(context, path, kind);
      } catch (error) {
        const { code, message } = error as NodeJS.ErrnoException;
        return { failure: code ?? message };
      }
    });
    parentPort.postMessage(answers);
  });
}

const READER_SOURCE = `(${reader.toString()})();`;
