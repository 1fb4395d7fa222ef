/**
 * Verified advice (`verify-advice`): each finding with a patch is tried for real.
 * A copy of the image's Dockerfile with the patch applied is built from the same
 * context, args and target, measured like any image, and removed again; the
 * finding then carries the truth — it builds and weighs so much, or it fails at
 * a line, with the end of its log. One image's tries share its time budget and
 * run one after another, after every image was measured, next to nothing else.
 * Verification never changes the gate: it only adds to the advice.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { applyPatch, type Patched } from '../advise/patch.js';
import { imageTag, type Engine } from '../build/engine.js';
import { failedStepOutput, failedStepText, logTail } from '../build/log.js';
import { track } from '../cleanup.js';
import { finalChain, parseDockerfile, type ParsedDockerfile } from '../dockerfile/parse.js';
import { messageOf } from '../errors.js';
import type { Analyser } from '../measure/analyse-image.js';
import { readDockerfileText } from '../measure/measure.js';
import type { Measurement } from '../measure/measurement.js';
import type { Finding, Verification } from '../model/report.js';
import { formatBytes, formatDuration } from '../units.js';

export interface VerifyOptions {
  /** Folder the target's repo-relative paths are relative to. */
  root: string;
  runId: string;
  /** The time one image's tries may take together. */
  timeoutMs: number;
  estimateCompressed: boolean;
}

export interface VerifyEffects {
  engine: Engine;
  analyser: Analyser;
  log: { info(message: string): void };
  /** The clock, in milliseconds (tests may pass their own). */
  now?: () => number;
}

/** What an image's tries took, for the job summary and the bench. */
export interface VerifiedImage {
  findings: Finding[];
  tried: number;
  seconds: number;
}

function skipped(message: string): Verification {
  return {
    outcome: 'skipped',
    bytes: null,
    compressedBytes: null,
    savingsBytes: null,
    compressedSavingsBytes: null,
    seconds: 0,
    message,
    logTail: null
  };
}

/** `RUN  make \` + newline + `  -j2` → `RUN make -j2`: how builders print a step. */
function squashed(text: string): string {
  return text
    .replace(/\\\r?\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The line of the patched Dockerfile whose instruction the builder printed as `step`; null when none matches. */
export function lineOfStep(dockerfile: ParsedDockerfile, step: string): number | null {
  const wanted = squashed(step).toLowerCase();
  for (const stage of dockerfile.stages) {
    const from = squashed(`FROM ${stage.from.raw}`).toLowerCase();
    if (wanted.startsWith(from)) return stage.from.line;
    for (const instruction of stage.instructions) {
      const text = squashed(`${instruction.keyword} ${instruction.rawArgs}`).toLowerCase();
      const written = squashed(instruction.text).toLowerCase();
      // Builders shorten long steps and print flags their own way: a common start is enough.
      const prefix = (candidate: string) =>
        candidate.length > 0 && (wanted.startsWith(candidate.slice(0, 60)) || candidate.startsWith(wanted.slice(0, 60)));
      if (prefix(text) || prefix(written)) return instruction.line;
    }
  }
  return null;
}

/**
 * Why the patched build failed: `fails on python:3.12-alpine at line 8: /bin/sh: gcc: not found`; or, when it
 * stopped at a FROM (the base could not be pulled: a registry this runner cannot reach, a login it lacks), that
 * says nothing about the fix, and it is reported as not tried.
 */
function failure(
  finding: Finding,
  patched: Patched,
  dockerfile: ParsedDockerfile,
  log: string,
  engineMessage: string
): { outcome: 'fails' | 'skipped'; message: string } {
  const base = finalChain(dockerfile)[0]?.from.image ?? null;
  const step = failedStepText(log);
  const line = step === null ? null : lineOfStep(dockerfile, step);
  const reason = failedStepOutput(log) ?? engineMessage;
  const from = dockerfile.stages.find((stage) => stage.from.line === line);
  if (from !== undefined) return { outcome: 'skipped', message: `not tried: ${from.from.image} could not be pulled: ${reason}` };
  const on = finding.rule.startsWith('base-') && base !== null ? ` on ${base}` : '';
  const at = line === null ? '' : ` at line ${patched.originalLine(line)}`;
  return { outcome: 'fails', message: `fails${on}${at}: ${reason}` };
}

/**
 * Tries each finding of one measured image that has a patch, largest predicted saving first (the advice's order),
 * within the time budget; findings without a patch are returned as they are.
 */
export async function verifyImage(
  measurement: Measurement,
  findings: readonly Finding[],
  options: VerifyOptions,
  effects: VerifyEffects
): Promise<VerifiedImage> {
  const now = effects.now ?? (() => performance.now());
  const started = now();
  const deadline = started + options.timeoutMs;
  const { target } = measurement;
  const patched = findings.filter((finding) => finding.patch !== null);
  if (patched.length === 0 || measurement.size === null || target.dockerfile === null || target.context === null) {
    return { findings: [...findings], tried: 0, seconds: 0 };
  }
  const read = await readDockerfileText(options.root, target);
  if (read === null || 'error' in read) {
    const why = read === null ? 'no Dockerfile' : read.error;
    return {
      findings: findings.map((finding) => (finding.patch === null ? finding : { ...finding, verification: skipped(`not tried: ${why}`) })),
      tried: 0,
      seconds: 0
    };
  }
  const folder = await mkdtemp(join(tmpdir(), 'footprint-verify-'));
  const untrack = track({ kind: 'folder', path: folder });
  const results = new Map<string, Verification>();
  let tried = 0;
  try {
    const out: Finding[] = [];
    for (const finding of findings) {
      if (finding.patch === null) {
        out.push(finding);
        continue;
      }
      const applied = applyPatch(read.text, finding.patch);
      if (applied === null) {
        out.push({ ...finding, verification: skipped('not tried: the patch does not fit the Dockerfile') });
        continue;
      }
      // Two findings with the same change (one FROM for two reasons) are built once.
      let verification = results.get(applied.text);
      if (verification === undefined) {
        const left = deadline - now();
        if (left <= 0) {
          verification = skipped(`not tried: the verify-timeout of ${formatDuration(options.timeoutMs / 1000)} for this image was spent`);
        } else {
          tried++;
          verification = await tryPatch(measurement, finding, applied, { ...options, folder, index: tried, timeoutMs: Math.ceil(left) }, effects);
        }
        results.set(applied.text, verification);
        effects.log.info(`${target.name}: ${finding.rule} (line ${finding.line ?? '?'}): ${describe(verification)}`);
      }
      out.push({ ...finding, verification });
    }
    return { findings: out, tried, seconds: (now() - started) / 1000 };
  } finally {
    await rm(folder, { recursive: true, force: true });
    untrack();
  }
}

function describe(verification: Verification): string {
  if (verification.outcome === 'builds') return `builds, ${formatBytes(verification.bytes!)} (saves ${formatBytes(verification.savingsBytes!)})`;
  return verification.message ?? verification.outcome;
}

async function tryPatch(
  measurement: Measurement,
  finding: Finding,
  patched: Patched,
  options: VerifyOptions & { folder: string; index: number },
  effects: VerifyEffects
): Promise<Verification> {
  const { target } = measurement;
  const now = effects.now ?? (() => performance.now());
  const started = now();
  const seconds = () => (now() - started) / 1000;
  const original = resolve(options.root, target.dockerfile!);
  const dockerfile = join(options.folder, `Dockerfile.${options.index}`);
  await writeFile(dockerfile, patched.text);
  // BuildKit reads `<Dockerfile>.dockerignore` beside the Dockerfile before the context's own.
  await copyFile(join(dirname(original), `${basename(original)}.dockerignore`), `${dockerfile}.dockerignore`).catch(() => undefined);
  const parsed = parseDockerfile(patched.text, { buildArgs: target.buildArgs, target: target.target });
  const tag = imageTag(target.name, 'head', `${options.runId}-verify-${options.index}`);
  const untrack = track({ kind: 'image', ref: tag });
  try {
    const result = await effects.engine.build({
      dockerfile,
      context: resolve(options.root, target.context!),
      tag,
      target: target.target,
      buildArgs: target.buildArgs,
      platform: target.platform,
      timeoutMs: options.timeoutMs
    });
    if (!result.ok) {
      const { outcome, message } =
        result.timedOut === true
          ? { outcome: 'timed-out' as const, message: `not finished within the verify-timeout (${formatDuration(seconds())})` }
          : failure(finding, patched, parsed, result.log, result.message);
      return {
        outcome,
        bytes: null,
        compressedBytes: null,
        savingsBytes: null,
        compressedSavingsBytes: null,
        seconds: seconds(),
        message,
        logTail: logTail(result.log, 15, 2000)
      };
    }
    const { anatomy } = await effects.analyser({
      source: { kind: 'daemon', ref: tag },
      estimateCompressed: options.estimateCompressed,
      dockerfile: parsed
    });
    const size = measurement.size!;
    return {
      outcome: 'builds',
      bytes: anatomy.bytes,
      compressedBytes: anatomy.compressedBytes,
      savingsBytes: size.bytes - anatomy.bytes,
      compressedSavingsBytes:
        size.compressedBytes === null || anatomy.compressedBytes === null ? null : size.compressedBytes - anatomy.compressedBytes,
      seconds: seconds(),
      message: null,
      logTail: null
    };
  } catch (error) {
    return {
      outcome: 'fails',
      bytes: null,
      compressedBytes: null,
      savingsBytes: null,
      compressedSavingsBytes: null,
      seconds: seconds(),
      message: `built, but could not be measured: ${messageOf(error)}`,
      logTail: null
    };
  } finally {
    await effects.engine.remove([tag]);
    untrack();
  }
}
