import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseImageSource, type ImageSource } from '../analyse/source.js';
import type { Engine } from '../build/engine.js';
import { track } from '../cleanup.js';
import { imageTag } from '../build/engine.js';
import { logTail } from '../build/log.js';
import type { Target } from '../discover/target.js';
import { parseDockerfile, type ParsedDockerfile } from '../dockerfile/parse.js';
import { analyseInProcess, type Analyser, type ImageReader } from './analyse-image.js';
import { messageOf } from '../errors.js';
import { leavesRepo, realPathInRepo } from '../repo-path.js';
import type { Measurement } from './measurement.js';

export type Side = 'head' | 'base';

export interface MeasureHooks {
  /** A build or measurement starts (`index` counts from 1 within its side). */
  onStart?: (event: { side: Side; target: Target; index: number; total: number }) => void;
  /** A line of build output. */
  onLine?: (event: { side: Side; target: Target; line: string }) => void;
  onDone?: (event: { side: Side; target: Target; measurement: Measurement; seconds: number }) => void;
}

export type { ImageReader } from './analyse-image.js';

export interface MeasureOptions {
  engine: Engine;
  targets: Target[];
  /** Folder the targets' repo-relative paths are relative to. */
  root: string;
  side: Side;
  runId: string;
  /** Estimate the gzip size of layers that arrive uncompressed. */
  estimateCompressed: boolean;
  readImage?: ImageReader;
  /** Reads and analyses an image elsewhere (a worker thread); default: in this thread with `readImage`. */
  analyser?: Analyser;
  hooks?: MeasureHooks;
}

/** A measurement without the Dockerfile, which is read once per target before anything else. */
type Measured = Omit<Measurement, 'dockerfile' | 'dockerfileError' | 'buildInputs' | 'reused'>;

/**
 * Builds (or, for an image given by reference, only reads) each target in turn,
 * measures and analyses it, and removes the action's own tag again. One target
 * failing never stops the others: its failure is recorded in its measurement.
 */
export async function measureTargets(options: MeasureOptions): Promise<Measurement[]> {
  const { targets, side, hooks = {} } = options;
  const measurements: Measurement[] = [];
  // With no engine to talk to, say so once, before anything else, instead of one failure per image.
  if (targets.some(needsEngine)) await options.engine.ensureReachable();
  for (const [i, target] of targets.entries()) {
    hooks.onStart?.({ side, target, index: i + 1, total: targets.length });
    const started = performance.now();
    const dockerfile = await readDockerfile(options.root, target);
    const measured = await measureOne(options, target, dockerfile.dockerfile, (line) => hooks.onLine?.({ side, target, line }));
    const measurement: Measurement = { ...measured, ...dockerfile, buildInputs: null, reused: null };
    measurements.push(measurement);
    hooks.onDone?.({ side, target, measurement, seconds: (performance.now() - started) / 1000 });
  }
  return measurements;
}

/** Whether measuring the target takes the Docker engine: a build, or an image read from the daemon (not an archive file). */
export function needsEngine(target: Target): boolean {
  if (target.refused) return false;
  if (target.image) return parseImageSource(target.image).kind === 'daemon';
  return Boolean(target.dockerfile) && target.context !== null;
}

async function measureOne(
  options: MeasureOptions,
  target: Target,
  dockerfile: ParsedDockerfile | null,
  onLine: (line: string) => void
): Promise<Measured> {
  const { engine, root, side, runId } = options;
  if (target.refused) return failed(target, target.refused, '');
  if (target.image) return measureGiven(options, target, dockerfile);
  if (!target.dockerfile || target.context === null) {
    return failed(target, 'no Dockerfile to build and no image given', '');
  }
  const tag = imageTag(target.name, side, runId);
  const untrack = track({ kind: 'image', ref: tag });
  try {
    const result = await engine.build({
      dockerfile: resolve(root, target.dockerfile),
      context: resolve(root, target.context),
      tag,
      target: target.target,
      buildArgs: target.buildArgs,
      platform: target.platform,
      onLine
    });
    if (!result.ok) return failed(target, result.message, logTail(result.log));
    let dockerBytes: number;
    try {
      dockerBytes = (await engine.inspect(tag)).bytes;
    } catch (error) {
      return failed(target, `built, but could not be measured: ${messageOf(error)}`, logTail(result.log));
    }
    return await analyse(options, target, dockerfile, { kind: 'daemon', ref: tag }, dockerBytes);
  } finally {
    await engine.remove([tag]);
    untrack();
  }
}

/** An image an earlier step built: read from the daemon or from an archive file, never built or removed. */
async function measureGiven(options: MeasureOptions, target: Target, dockerfile: ParsedDockerfile | null): Promise<Measured> {
  const source = parseImageSource(target.image as string);
  if (source.kind !== 'daemon') {
    // An archive has no docker figure, and the anatomy is the only measurement there is.
    const measurement = await analyse(options, target, dockerfile, source, null);
    return measurement.anatomy ? measurement : failed(target, `image ${target.image} could not be read: ${measurement.analysisError}`, '');
  }
  try {
    const { bytes } = await options.engine.inspect(source.ref);
    return await analyse(options, target, dockerfile, source, bytes);
  } catch (error) {
    return failed(target, `image ${target.image} could not be read: ${messageOf(error)}`, '');
  }
}

/**
 * Reads the image layer by layer and works out its anatomy. When the image cannot be
 * read that way but docker measured it, the docker figure still stands, with the reason.
 */
async function analyse(
  options: MeasureOptions,
  target: Target,
  dockerfile: ParsedDockerfile | null,
  source: ImageSource,
  dockerBytes: number | null
): Promise<Measured> {
  const analyser = analyserOf(options);
  try {
    const { anatomy, inventory, files, entrypoint, npmDev } = await analyser({ source, estimateCompressed: options.estimateCompressed, dockerfile });
    return {
      target,
      size: { bytes: anatomy.bytes, compressedBytes: anatomy.compressedBytes, dockerBytes },
      anatomy,
      inventory,
      files,
      entrypoint,
      npmDev,
      analysisError: null,
      error: null
    };
  } catch (error) {
    const size = dockerBytes === null ? null : { bytes: dockerBytes, compressedBytes: null, dockerBytes };
    return { target, size, anatomy: null, inventory: null, files: null, entrypoint: null, npmDev: [], analysisError: messageOf(error), error: null };
  }
}

/** The analyser to use: the one given (a worker thread), else this thread's, reading with `readImage` when given. */
export function analyserOf(options: { analyser?: Analyser; readImage?: ImageReader }): Analyser {
  return options.analyser ?? ((request) => analyseInProcess(request, options.readImage));
}

/**
 * The target's Dockerfile, parsed with the build's args and target, for matching layers
 * to lines and for the advice. Read here because the base side's checkout is removed after.
 */
export async function readDockerfile(root: string, target: Target): Promise<Pick<Measurement, 'dockerfile' | 'dockerfileError'>> {
  const read = await readDockerfileText(root, target);
  if (read === null) return { dockerfile: null, dockerfileError: null };
  if ('error' in read) return { dockerfile: null, dockerfileError: read.error };
  return { dockerfile: parseDockerfile(read.text, { buildArgs: target.buildArgs, target: target.target }), dockerfileError: null };
}

/** The target's Dockerfile as text, when it is one inside the repository; null for a target without one. */
export async function readDockerfileText(root: string, target: Target): Promise<{ text: string } | { error: string } | null> {
  // A refused target names a path out of the repository: it is reported as failed, and nothing is read.
  if (!target.dockerfile || target.refused) return null;
  try {
    // Only a Dockerfile inside the repository is read: its lines are quoted in the report.
    const where = await realPathInRepo(root, target.dockerfile);
    if (where.kind === 'outside') return { error: leavesRepo(`Dockerfile ${target.dockerfile}`) };
    return { text: await readFile(where.kind === 'inside' ? where.real : resolve(root, target.dockerfile), 'utf8') };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

function failed(target: Target, message: string, logTail: string): Measured {
  return {
    target,
    size: null,
    anatomy: null,
    inventory: null,
    files: null,
    entrypoint: null,
    npmDev: [],
    analysisError: null,
    error: { message, logTail }
  };
}
