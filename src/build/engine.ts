/**
 * The Docker engine effect: build an image, read its id and size, remove our
 * tags. Every command runs through the exec wrapper with a clean environment,
 * so tokens in the action's environment never reach a build.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from '../cleanup.js';
import type { Exec, ExecResult } from '../exec.js';
import { SHA256_DIGEST } from '../oci.js';
import { UserError } from '../errors.js';
import { buildFailureReason, lastErrorLine } from './log.js';

export type Builder = 'buildx' | 'docker build';

/** A published base image is pulled once per run; a registry that hangs must not hold the job. */
const PULL_TIMEOUT_MS = 10 * 60 * 1000;

export interface BuildRequest {
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context. */
  context: string;
  tag: string;
  target: string | null;
  buildArgs: Record<string, string>;
  platform: string | null;
  /** Receives each line of build output as it arrives. */
  onLine?: (line: string) => void;
  /** Stop the build after this long (verification's time budget); none by default. */
  timeoutMs?: number;
}

/** A failed build says why; `timedOut` when it was stopped at its `timeoutMs`. */
export type BuildResult = { ok: true; imageId: string; log: string } | { ok: false; message: string; log: string; timedOut?: boolean };

export interface Engine {
  readonly builder: Builder;
  /** Whether builds run on BuildKit (buildx, or `DOCKER_BUILDKIT=1`): fixes like `RUN --mount` and `COPY --chmod` need it. */
  readonly buildKit: boolean;
  build(request: BuildRequest): Promise<BuildResult>;
  /** Image id and `docker image inspect .Size` (what `docker images` shows). Throws Error with a clear message when the image is missing. */
  inspect(ref: string): Promise<{ id: string; bytes: number }>;
  /**
   * Throws a UserError, once, when no Docker engine answers (DOCKER_HOST or the socket is wrong, the
   * daemon is down, docker is not installed); called before the first build or daemon image.
   */
  ensureReachable(): Promise<void>;
  /** Removes the action's own tags (and with them their dangling parents); best effort, never throws. */
  remove(refs: string[]): Promise<void>;
  /** Pulls an image with the runner's own `docker login` (for `platform` when given); never throws. */
  pull(ref: string, platform: string | null): Promise<{ ok: true } | { ok: false; message: string }>;
}

/**
 * The arguments of one build. Flag values are joined with `=` so a value that
 * starts with `-` (a target, a build arg) can never be read as another flag.
 */
export function dockerBuildArgs(request: BuildRequest, builder: Builder, iidfile: string): string[] {
  const options = [
    '--iidfile',
    iidfile,
    '-f',
    request.dockerfile,
    '-t',
    request.tag,
    ...(request.target === null ? [] : [`--target=${request.target}`]),
    ...Object.entries(request.buildArgs).map(([key, value]) => `--build-arg=${key}=${value}`),
    ...(request.platform === null ? [] : [`--platform=${request.platform}`])
  ];
  // buildx may build in a container: --load brings the image into `docker images`.
  // The classic command takes its progress style from BUILDKIT_PROGRESS instead,
  // since the legacy builder rejects --progress. It keeps the container of a failed
  // step unless told not to: --force-rm, so a failed build leaves nothing behind.
  return builder === 'buildx'
    ? ['buildx', 'build', '--load', '--progress=plain', ...options, request.context]
    : ['build', '--force-rm', ...options, request.context];
}

const TAG_REPOSITORY = 'footprint-local';
const MAX_SLUG_CHARS = 80;
const MAX_RUN_ID_CHARS = 100;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** A docker path component (lowercase letters and digits joined by single dashes) that reads like the name. */
function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_SLUG_CHARS)
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'image' : slug;
}

/**
 * The tag an image of `name` is built under, e.g.
 * `footprint-local/svc-api-dockerfile-1a2b3c4d:1234-head`. Valid for any display
 * name; when the readable part had to change the name (case, `/`, spaces,
 * length), a hash of the name keeps tags of different names apart.
 */
export function imageTag(name: string, side: 'head' | 'base', runId: string): string {
  const slug = slugOf(name);
  const repository = slug === name ? slug : `${slug}-${shortHash(name)}`;
  const run = runId.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '').slice(0, MAX_RUN_ID_CHARS) || 'run';
  return `${TAG_REPOSITORY}/${repository}:${run}-${side}`;
}

/** The command could not be started at all (not installed, not executable), as against stopped or timed out. */
function notStarted(result: ExecResult): boolean {
  return result.failure !== null && result.exitCode === -1 && /\b(ENOENT|EACCES)\b/.test(result.failure);
}

/** Why a build cannot even start, in the user's terms, or null. */
async function missingInput(request: BuildRequest): Promise<string | null> {
  const dockerfile = await stat(request.dockerfile).catch(() => null);
  if (dockerfile === null) return `Dockerfile not found: ${request.dockerfile}`;
  if (!dockerfile.isFile()) return `Dockerfile is not a file: ${request.dockerfile}`;
  const context = await stat(request.context).catch(() => null);
  if (context === null) return `build context not found: ${request.context}`;
  if (!context.isDirectory()) return `build context is not a directory: ${request.context}`;
  return null;
}

async function readImageId(iidfile: string): Promise<string | null> {
  const id = (await readFile(iidfile, 'utf8').catch(() => '')).trim();
  return SHA256_DIGEST.test(id) ? id : null;
}

/** How long `docker version` may take to answer: an engine behind a dead TCP address must not hang the run. */
const REACHABLE_TIMEOUT_MS = 60_000;

/** Where the docker client looks for its engine, in the user's terms. */
function engineAddress(): string {
  const host = process.env.DOCKER_HOST;
  if (host) return `DOCKER_HOST is ${host}`;
  const context = process.env.DOCKER_CONTEXT;
  if (context) return `DOCKER_HOST is not set; DOCKER_CONTEXT is ${context}`;
  return 'DOCKER_HOST is not set, so docker uses its current context, by default the socket unix:///var/run/docker.sock';
}

/** Asks the engine for its version (machine output); throws a UserError that names DOCKER_HOST or the socket. */
async function checkReachable(run: (args: string[], extra?: { timeoutMs?: number }) => Promise<ExecResult>, docker: string): Promise<void> {
  const result = await run(['version', '--format', '{{json .Server}}'], { timeoutMs: REACHABLE_TIMEOUT_MS });
  if (notStarted(result)) {
    throw new UserError(`Docker is not installed or not on PATH: could not start \`${docker}\` (${firstLine(result.failure ?? '')}). Nothing was built or measured.`);
  }
  const server = result.stdout.trim();
  if (result.exitCode === 0 && result.failure === null && server !== '' && server !== 'null') return;
  const why = result.failure ?? lastErrorLine(result.stderr) ?? (firstLine(result.stderr) || `docker version exited with code ${result.exitCode}`);
  throw new UserError(`No Docker engine is reachable (${engineAddress()}): ${sentence(firstLine(why))} Nothing was built or measured.`);
}

/** The text as a sentence: ending in `.`, `?` or `!`. */
function sentence(text: string): string {
  return /[.?!]$/.test(text) ? text : `${text}.`;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

/** buildx always builds with BuildKit; `docker build` does when DOCKER_BUILDKIT says so (the classic builder otherwise, as without buildx). */
export function usesBuildKit(builder: Builder, env: NodeJS.ProcessEnv): boolean {
  return builder === 'buildx' || /^(?:1|true)$/i.test(env.DOCKER_BUILDKIT ?? '');
}

export async function createDockerEngine(options: { exec: Exec; docker?: string }): Promise<Engine> {
  const { exec } = options;
  const docker = options.docker ?? 'docker';
  const run = (args: string[], extra: { env?: Record<string, string>; onLine?: (line: string) => void; timeoutMs?: number } = {}) =>
    exec(docker, args, { cleanEnv: true, ...extra });

  const builder: Builder = (await run(['buildx', 'version'])).exitCode === 0 ? 'buildx' : 'docker build';
  const buildKit = usesBuildKit(builder, process.env);
  const command = builder === 'buildx' ? 'docker buildx build' : 'docker build';

  async function build(request: BuildRequest): Promise<BuildResult> {
    const problem = await missingInput(request);
    if (problem !== null) return { ok: false, message: problem, log: '' };
    const directory = await mkdtemp(join(tmpdir(), 'footprint-iid-'));
    const untrack = track({ kind: 'folder', path: directory });
    try {
      const iidfile = join(directory, 'iid');
      const started = performance.now();
      const result = await run(dockerBuildArgs(request, builder, iidfile), {
        env: builder === 'docker build' ? { BUILDKIT_PROGRESS: 'plain' } : {},
        ...(request.onLine ? { onLine: request.onLine } : {}),
        ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs })
      });
      const log = result.all;
      if (notStarted(result)) {
        return { ok: false, message: `could not start \`${docker}\` (is Docker installed and on PATH?): ${result.failure}`, log };
      }
      if (result.failure !== null) {
        const message = `${command} did not finish: ${result.failure}`;
        if (request.timeoutMs === undefined) return { ok: false, message, log };
        return { ok: false, message, log, timedOut: performance.now() - started >= request.timeoutMs };
      }
      if (result.exitCode !== 0) {
        const cause = buildFailureReason(log, result.stderr);
        return { ok: false, message: `${command} exited with code ${result.exitCode}${cause ? `: ${cause}` : ''}`, log };
      }
      const imageId = await readImageId(iidfile);
      if (imageId === null) return { ok: false, message: `${command} succeeded but wrote no image id`, log };
      return { ok: true, imageId, log };
    } finally {
      await rm(directory, { recursive: true, force: true });
      untrack();
    }
  }

  async function inspect(ref: string): Promise<{ id: string; bytes: number }> {
    const result = await run(['image', 'inspect', '--format', '{{json .}}', '--', ref]);
    if (notStarted(result)) throw new Error(`could not start \`${docker}\` to inspect image ${ref}: ${result.failure}`);
    if (result.exitCode !== 0) {
      if (/no such (image|object)/i.test(result.all)) throw new Error(`image ${ref} not found in the local Docker engine`);
      throw new Error(`docker image inspect ${ref} failed: ${lastErrorLine(result.all) ?? `exit code ${result.exitCode}`}`);
    }
    let details: { Id?: unknown; Size?: unknown };
    try {
      details = JSON.parse(result.stdout) as { Id?: unknown; Size?: unknown };
    } catch {
      throw new Error(`docker image inspect ${ref} printed something other than JSON`);
    }
    if (typeof details.Id !== 'string' || typeof details.Size !== 'number') {
      throw new Error(`docker image inspect ${ref} did not report an image id and size`);
    }
    return { id: details.Id, bytes: details.Size };
  }

  async function remove(refs: string[]): Promise<void> {
    const unique = [...new Set(refs)];
    if (unique.length === 0) return;
    // No -f: untagging never removes an image that another tag or a container still uses.
    await run(['image', 'rm', '--', ...unique]).catch(() => undefined);
  }

  async function pull(ref: string, platform: string | null): Promise<{ ok: true } | { ok: false; message: string }> {
    const result = await run(['pull', '--quiet', ...(platform ? [`--platform=${platform}`] : []), '--', ref], { timeoutMs: PULL_TIMEOUT_MS });
    if (notStarted(result)) return { ok: false, message: `could not start \`${docker}\`: ${result.failure}` };
    if (result.failure !== null) return { ok: false, message: `docker pull did not finish: ${result.failure}` };
    if (result.exitCode !== 0) return { ok: false, message: lastErrorLine(result.all) ?? `docker pull exited with code ${result.exitCode}` };
    return { ok: true };
  }

  let reachable: Promise<void> | null = null;
  const ensureReachable = (): Promise<void> => (reachable ??= checkReachable(run, docker));

  return { builder, buildKit, build, inspect, remove, pull, ensureReachable };
}
