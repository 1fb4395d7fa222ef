/**
 * Where an image's bytes come from: the local daemon (`docker save REF`, read
 * from its stdout as it writes) or an archive file — `oci-archive:PATH` (an OCI
 * layout tar, as `docker buildx build -o type=oci,dest=PATH` and skopeo write) or
 * `docker-archive:PATH` (what `docker save -o PATH` writes). Either kind of file
 * may hold either layout; the reader tells them apart by their contents.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { UserError, messageOf } from '../errors.js';
import { execStream, type ExecStream } from '../exec.js';
import type { ImageArchive } from './model.js';
import { readImageArchive, type ReadOptions } from './read-archive.js';

export type ImageSource = { kind: 'daemon'; ref: string } | { kind: 'oci-archive'; path: string } | { kind: 'docker-archive'; path: string };

const ARCHIVE_KINDS = ['oci-archive', 'docker-archive'] as const;
/** Lines of docker's stderr quoted in an error. */
const STDERR_LINES = 3;

/**
 * Reads an image reference as the `images` input gives it. `oci-archive:PATH`
 * and `docker-archive:PATH` name archive files; everything after the prefix is
 * the path, colons included (skopeo's `PATH:REFERENCE` suffix, which picks one
 * image out of a many-image archive, is not supported). Anything else is an
 * image on the local daemon.
 */
export function parseImageSource(ref: string): ImageSource {
  for (const kind of ARCHIVE_KINDS) {
    const prefix = `${kind}:`;
    if (!ref.startsWith(prefix)) continue;
    const path = ref.slice(prefix.length);
    if (path.trim() === '') throw new UserError(`Image "${ref}": give the archive's path after "${prefix}".`);
    return { kind, path };
  }
  if (ref.trim() === '') throw new UserError('Image reference is empty.');
  return { kind: 'daemon', ref };
}

export interface ReadImageOptions extends ReadOptions {
  /** The docker command; default `docker` on PATH. */
  docker?: string;
  /** Runs `docker save`; default the real one (tests may pass their own). */
  execStream?: ExecStream;
}

/** Reads the image from its source, streaming: the image is never written to disk or held in memory. */
export async function readImage(source: ImageSource, options: ReadImageOptions): Promise<ImageArchive> {
  if (source.kind === 'daemon') return readFromDaemon(source.ref, options);
  return readFromFile(source, options);
}

/** Errors name the archive's path, which callers put beside the reference the user gave. */
async function readFromFile(source: Exclude<ImageSource, { kind: 'daemon' }>, options: ReadOptions): Promise<ImageArchive> {
  const { path } = source;
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw new UserError(`${path}: cannot read the image archive: ${error.message}`);
    const hint = path.lastIndexOf(':') > 0 ? ' (a ":reference" after the path is not supported: give the path of an archive holding one image)' : '';
    throw new UserError(`${path}: no such image archive${hint}.`);
  });
  if (info.isDirectory()) throw new UserError(`${path} is a directory; give ${source.kind}: the archive file (a tar).`);
  // A device, FIFO or socket may never end (oci-archive:/dev/zero): only a regular file is read.
  const notRegular = () => new UserError(`${path} is not a regular file; give ${source.kind}: the archive file (a tar).`);
  if (!info.isFile()) throw notRegular();
  // Opened without blocking and checked again on the open file, so a path swapped for a FIFO meanwhile cannot hang.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`${path}: cannot read the image archive: ${error.message}`);
  });
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw notRegular();
    // Read no further than the size it had: a file that keeps growing is not read forever.
    const stream = opened.size === 0 ? Readable.from([]) : handle.createReadStream({ start: 0, end: opened.size - 1, autoClose: false });
    return await readImageArchive(stream, options);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new Error(`${path}: ${messageOf(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
}

function lastLines(text: string, count: number): string {
  return text
    .trim()
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .join(' ');
}

/**
 * `docker save REF` piped into the reader. When docker fails, its own message is
 * the error (an unknown image makes the archive look empty, which would say
 * less); when the reader fails first, docker is stopped and the reader's error
 * is reported.
 */
async function readFromDaemon(ref: string, options: ReadImageOptions): Promise<ImageArchive> {
  // A clean environment: no token of the action's reaches docker.
  const child = (options.execStream ?? execStream)(options.docker ?? 'docker', ['save', '--', ref], { cleanEnv: true });
  let archive: ImageArchive | null = null;
  let readError: unknown = null;
  let stoppedByUs = false;
  try {
    archive = await readImageArchive(child.stdout, options);
  } catch (error) {
    readError = error;
    // The reader stops early on a bad archive: docker would block on a full pipe.
    if (!child.stdout.readableEnded) {
      stoppedByUs = true;
      child.kill();
    }
  }
  const exit = await child.exited;
  const command = `docker save ${ref}`;
  // Not started, or ended by a signal: it never reached an exit code of its own.
  if (exit.failure !== null && exit.exitCode === -1 && !stoppedByUs) throw new Error(`${command} could not run: ${exit.failure}`);
  if (exit.exitCode !== 0 && !stoppedByUs) {
    const stderr = lastLines(exit.stderr, STDERR_LINES);
    throw new Error(`${command} failed (exit code ${exit.exitCode === -1 ? 'none' : exit.exitCode}): ${stderr || 'no message'}`);
  }
  if (readError !== null) throw new Error(`${command}: ${messageOf(readError)}`);
  if (archive === null) throw new Error(`${command}: no image was read`);
  return archive;
}
