import { resolve } from 'node:path';
import type { Engine } from '../build/engine.js';
import { imageTag } from '../build/engine.js';
import { logTail } from '../build/log.js';
import type { Target } from '../discover/target.js';
import { messageOf } from '../errors.js';
import type { Measurement } from './measurement.js';

export type Side = 'head' | 'base';

export interface MeasureHooks {
  /** A build or measurement starts (`index` counts from 1 within its side). */
  onStart?: (event: { side: Side; target: Target; index: number; total: number }) => void;
  /** A line of build output. */
  onLine?: (event: { side: Side; target: Target; line: string }) => void;
  onDone?: (event: { side: Side; target: Target; measurement: Measurement; seconds: number }) => void;
}

/**
 * Builds (or, for an image given by reference, only inspects) each target in turn,
 * measures it and removes the action's own tag again. One target failing never
 * stops the others: its failure is recorded in its measurement.
 */
export async function measureTargets(options: {
  engine: Engine;
  targets: Target[];
  /** Folder the targets' repo-relative paths are relative to. */
  root: string;
  side: Side;
  runId: string;
  hooks?: MeasureHooks;
}): Promise<Measurement[]> {
  const { engine, targets, root, side, runId, hooks = {} } = options;
  const measurements: Measurement[] = [];
  for (const [i, target] of targets.entries()) {
    hooks.onStart?.({ side, target, index: i + 1, total: targets.length });
    const started = performance.now();
    const measurement = await measureOne(engine, target, root, side, runId, (line) =>
      hooks.onLine?.({ side, target, line })
    );
    measurements.push(measurement);
    hooks.onDone?.({ side, target, measurement, seconds: (performance.now() - started) / 1000 });
  }
  return measurements;
}

async function measureOne(
  engine: Engine,
  target: Target,
  root: string,
  side: Side,
  runId: string,
  onLine: (line: string) => void
): Promise<Measurement> {
  if (target.image) return inspectGiven(engine, target);
  if (!target.dockerfile || target.context === null) {
    return failed(target, 'no Dockerfile to build and no image given', '');
  }
  const tag = imageTag(target.name, side, runId);
  const result = await engine.build({
    dockerfile: resolve(root, target.dockerfile),
    context: resolve(root, target.context),
    tag,
    target: target.target,
    buildArgs: target.buildArgs,
    platform: target.platform,
    onLine
  });
  if (!result.ok) {
    await engine.remove([tag]);
    return failed(target, result.message, logTail(result.log));
  }
  try {
    const { bytes } = await engine.inspect(result.imageId);
    return { target, size: { bytes, compressedBytes: null, dockerBytes: bytes }, error: null };
  } catch (error) {
    return failed(target, `built, but could not be measured: ${messageOf(error)}`, logTail(result.log));
  } finally {
    await engine.remove([tag]);
  }
}

async function inspectGiven(engine: Engine, target: Target): Promise<Measurement> {
  try {
    const { bytes } = await engine.inspect(target.image as string);
    return { target, size: { bytes, compressedBytes: null, dockerBytes: bytes }, error: null };
  } catch (error) {
    return failed(target, `image ${target.image} could not be read: ${messageOf(error)}`, '');
  }
}

function failed(target: Target, message: string, logTail: string): Measurement {
  return { target, size: null, error: { message, logTail } };
}
