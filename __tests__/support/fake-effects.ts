/**
 * Fakes of the pipeline's effects for unit tests: a Docker engine that "builds"
 * by reading the Dockerfile, an image reader that hands over a small layer table,
 * a registry client with canned answers, and `git` through a fake exec.
 *
 * The fake engine takes its cues from comments in the Dockerfile it is asked to build:
 *   `# test-bytes: 300000000`  the image it "builds" weighs this many bytes (default 1000)
 *   `# test-fail: message`     the build fails with this message
 */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ImageArchive } from '../../src/analyse/model.js';
import type { ImageSource } from '../../src/analyse/source.js';
import type { BuildRequest, BuildResult, Engine } from '../../src/build/engine.js';
import { UserError } from '../../src/errors.js';
import type { Exec, ExecOptions, ExecResult } from '../../src/exec.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { file, image, layer } from './layers.js';

/** A temp folder holding `files` (relative path → content), subfolders created. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/** A Dockerfile the fake engine builds into an image of `bytes` bytes. */
export function sizedDockerfile(bytes: number, lines: string[] = ['FROM alpine:3.20', 'RUN echo hello']): string {
  return [`# test-bytes: ${bytes}`, ...lines, ''].join('\n');
}

/** A Dockerfile whose build the fake engine fails with `message`. */
export function failingDockerfile(message: string): string {
  return [`# test-fail: ${message}`, 'FROM alpine:3.20', 'RUN make', ''].join('\n');
}

export interface FakeEngine extends Engine {
  builds: BuildRequest[];
  inspected: string[];
  removed: string[][];
  /** Images the engine holds, by reference (tag or given ref): their bytes. */
  images: Map<string, number>;
  /** Every call in order: `build TAG`, `inspect REF`, `remove REF…`, and the reader's `read REF`. */
  events: string[];
  /** Images a registry holds, by reference: `pull` copies one into `images`. */
  published: Map<string, number>;
  /** Set to make `ensureReachable` throw a UserError with this message (no engine answers). */
  unreachable: string | null;
  /** How often `ensureReachable` was called. */
  reachabilityChecks: number;
}

/** An engine whose builds follow the Dockerfile's `# test-…` comments; `given` are images already there, by reference. */
export function fakeEngine(given: Record<string, number> = {}): FakeEngine {
  const images = new Map(Object.entries(given));
  const builds: BuildRequest[] = [];
  const inspected: string[] = [];
  const removed: string[][] = [];
  const events: string[] = [];
  const published = new Map<string, number>();
  const engine: FakeEngine = {
    builder: 'buildx',
    buildKit: true,
    published,
    builds,
    inspected,
    removed,
    images,
    events,
    unreachable: null,
    reachabilityChecks: 0,
    async ensureReachable(): Promise<void> {
      engine.reachabilityChecks++;
      if (engine.unreachable !== null) throw new UserError(engine.unreachable);
    },
    async build(request: BuildRequest): Promise<BuildResult> {
      builds.push(request);
      events.push(`build ${request.tag}`);
      const text = await readFile(request.dockerfile, 'utf8');
      request.onLine?.(`#1 building ${request.tag}`);
      const failure = /^# test-fail: (.*)$/m.exec(text);
      if (failure) return { ok: false, message: `docker buildx build exited with code 1: ${failure[1]}`, log: `#5 ERROR: ${failure[1]}` };
      const bytes = /^# test-bytes: (\d+)$/m.exec(text);
      images.set(request.tag, Number(bytes?.[1] ?? 1000));
      return { ok: true, imageId: `sha256:${'a'.repeat(64)}`, log: '#5 DONE' };
    },
    async inspect(ref: string) {
      inspected.push(ref);
      events.push(`inspect ${ref}`);
      const bytes = images.get(ref);
      if (bytes === undefined) throw new Error(`image ${ref} not found in the local Docker engine`);
      return { id: `sha256:${'b'.repeat(64)}`, bytes };
    },
    async remove(refs: string[]) {
      removed.push([...refs]);
      events.push(`remove ${refs.join(' ')}`);
      for (const ref of refs) images.delete(ref);
    },
    async pull(ref: string) {
      events.push(`pull ${ref}`);
      const bytes = published.get(ref);
      if (bytes === undefined) return { ok: false, message: `manifest for ${ref} not found: manifest unknown` };
      images.set(ref, bytes);
      return { ok: true };
    }
  };
  return engine;
}

export interface ReadCall {
  source: ImageSource;
  options: { estimateCompressed: boolean };
}

/** Share of the uncompressed bytes the fake reader "estimates" as compressed. */
export const COMPRESSION_RATIO = 0.25;

/**
 * An image reader for the fake engine's images: one layer holding one file of the
 * image's bytes, with a compressed figure only when estimation is asked for.
 */
export function fakeReader(engine: FakeEngine): {
  calls: ReadCall[];
  read: (source: ImageSource, options: { estimateCompressed: boolean }) => Promise<ImageArchive>;
} {
  const calls: ReadCall[] = [];
  return {
    calls,
    async read(source, options) {
      calls.push({ source, options });
      const ref = source.kind === 'daemon' ? source.ref : source.path;
      engine.events.push(`read ${ref}`);
      const bytes = engine.images.get(ref);
      if (bytes === undefined) throw new Error(`docker save ${ref} failed: no such image`);
      const compressedBytes = options.estimateCompressed ? Math.round(bytes * COMPRESSION_RATIO) : null;
      return image([layer([file('app/payload', bytes)], { compressedBytes })]);
    }
  };
}

export interface FakeRegistry extends RegistryClient {
  calls: string[];
}

/** A registry where every tag exists and these references have these compressed sizes (others: unknown); no manifest digest is known. */
export function fakeRegistry(sizes: Record<string, number> = {}): FakeRegistry {
  const calls: string[] = [];
  return {
    calls,
    async exists(ref, platform) {
      calls.push(`exists ${ref} ${platform}`);
      return true;
    },
    async compressedSize(ref, platform) {
      calls.push(`compressedSize ${ref} ${platform}`);
      return sizes[ref] ?? null;
    },
    async manifestDigest(ref, platform) {
      calls.push(`manifestDigest ${ref} ${platform}`);
      return null;
    }
  };
}

export interface ExecCall {
  file: string;
  args: string[];
  options: ExecOptions;
}

export function execResult(partial: Partial<ExecResult> = {}): ExecResult {
  const stdout = partial.stdout ?? '';
  const stderr = partial.stderr ?? '';
  return { exitCode: 0, stdout, stderr, all: [stdout, stderr].filter(Boolean).join('\n'), failure: null, ...partial };
}

/** An exec where every command fails as git does outside a repository. */
export function failingExec(): { calls: ExecCall[]; exec: Exec } {
  const calls: ExecCall[] = [];
  return {
    calls,
    exec: async (file, args, options = {}) => {
      calls.push({ file, args: [...args], options });
      return execResult({ exitCode: 128, stderr: 'fatal: not a git repository (or any of the parent directories): .git' });
    }
  };
}

/**
 * `git` as checkoutBase uses it: `rev-parse` knows `ref` as `sha`, and `worktree add`
 * copies the folder `baseTree` (the base branch's files) into the worktree's folder.
 */
export function gitExec(options: { ref: string; sha: string; baseTree: string }): {
  calls: ExecCall[];
  exec: Exec;
  worktrees: string[];
  removedWorktrees: string[];
} {
  const calls: ExecCall[] = [];
  const worktrees: string[] = [];
  const removedWorktrees: string[] = [];
  const exec: Exec = async (file, args, execOptions = {}) => {
    calls.push({ file, args: [...args], options: execOptions });
    if (file !== 'git') return execResult({ exitCode: 127, failure: `${file}: not found` });
    const [command, ...rest] = args;
    if (command === 'rev-parse' && rest[0] === '--verify') {
      return rest.at(-1) === `${options.ref}^{commit}` ? execResult({ stdout: options.sha }) : execResult({ exitCode: 1 });
    }
    if (command === 'worktree' && rest[0] === 'add') {
      const dir = rest.at(-2) as string;
      await cp(options.baseTree, dir, { recursive: true });
      worktrees.push(dir);
      return execResult();
    }
    if (command === 'worktree' && rest[0] === 'remove') {
      removedWorktrees.push(rest.at(-1) as string);
      return execResult();
    }
    if (command === 'worktree' && rest[0] === 'prune') return execResult();
    return execResult({ exitCode: 1, stderr: `fake git: unexpected git ${args.join(' ')}` });
  };
  return { calls, exec, worktrees, removedWorktrees };
}

/** A log that keeps what it was told. */
export function recordingLog(): { info: string[]; warning: string[]; log: { info(message: string): void; warning(message: string): void } } {
  const info: string[] = [];
  const warning: string[] = [];
  return { info, warning, log: { info: (message) => info.push(message), warning: (message) => warning.push(message) } };
}
