/**
 * Parsers for what users write in the action's inputs and the CLI's options
 * alike; `what` names the input or option in messages (`input build-args`, `--build-arg`).
 */
import { UserError } from './errors.js';
import { parseLimits } from './limits/index.js';
import type { Settings } from './model/settings.js';
import { parseDuration, parseMetric } from './units.js';

/** An image given by reference (`name=image-ref`): measured, not built. */
export interface GivenImage {
  name: string;
  ref: string;
}

const ALL_ZERO_SHA = /^0+$/;

/**
 * The limits, metric and build settings given at the least specific level; `valueOf`
 * gives a setting's text by its input name (`max-increase`), undefined or '' when not given.
 */
export function parseSettings(
  valueOf: (name: string) => string | undefined,
  what: (name: string) => string,
  build: { buildArgs: Record<string, string>; target: string | null; platform: string | null }
): Settings {
  const given = (name: string) => valueOf(name) || undefined;
  const metric = given('metric');
  return {
    ...parseLimits(given, what),
    metric: metric === undefined ? null : parseMetric(metric, what('metric')),
    ...build
  };
}

/** Splits `KEY=VALUE` on the first `=`; the key must not be empty, the value may be. */
function splitAssignment(what: string, line: string, shape: string): [string, string] {
  const at = line.indexOf('=');
  const key = at > 0 ? line.slice(0, at).trim() : '';
  const value = at > 0 ? line.slice(at + 1).trim() : '';
  if (!key) throw new UserError(`${what}: "${line}" is not ${shape}`);
  return [key, value];
}

/** `name=image-ref` lines: names unique, references that cannot read as options. */
export function parseImages(lines: readonly string[], what: string): GivenImage[] {
  const images: GivenImage[] = [];
  for (const line of lines) {
    const [name, ref] = splitAssignment(what, line, 'name=image-ref (one image a line)');
    if (!ref) throw new UserError(`${what}: "${line}" has no image reference after "="`);
    // A daemon reference reaches docker as an argument: it must not read as an option.
    // An archive path (oci-archive:PATH, docker-archive:PATH) is only opened as a file.
    const archive = /^(oci|docker)-archive:./.test(ref);
    if (!archive && (ref.startsWith('-') || /\s/.test(ref))) {
      throw new UserError(`${what}: "${ref}" is not an image reference (such as ghcr.io/org/app:1.2 or app@sha256:...)`);
    }
    if (images.some((image) => image.name === name)) {
      throw new UserError(`${what}: the name "${name}" is given more than once; names must be unique`);
    }
    images.push({ name, ref });
  }
  return images;
}

/** `KEY=VALUE` lines: one build argument each, keys unique. */
export function parseBuildArgs(lines: readonly string[], what: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const line of lines) {
    const [key, argValue] = splitAssignment(what, line, 'KEY=VALUE (one build argument a line)');
    if (/\s/.test(key)) throw new UserError(`${what}: "${key}" is not a build argument name (no spaces)`);
    if (Object.hasOwn(args, key)) {
      throw new UserError(`${what}: "${key}" is given more than once`);
    }
    args[key] = argValue;
  }
  return args;
}

/**
 * A base branch, tag or SHA to compare with; null for none (empty, or an all-zero
 * SHA: a push that created the branch has nothing before it).
 */
export function parseBaseRef(value: string, what: string): string | null {
  const ref = value.trim();
  if (!ref || ALL_ZERO_SHA.test(ref)) return null;
  // The ref reaches git as an argument: refuse anything that could read as an option or a range.
  if (ref.startsWith('-') || ref.includes('..') || !/^[\w./@{}^~+-]+$/.test(ref)) {
    throw new UserError(`${what}: "${ref}" is not a branch, tag or commit SHA`);
  }
  return ref;
}

/** How long one image's fixes may take to verify, unless the input says otherwise. */
export const DEFAULT_VERIFY_TIMEOUT = '5m';

/** Verification on (`true`) with its per-image time budget (checked either way, so a typo shows at once), or off. */
export function readVerify(on: string, timeout: string, timeoutName: string): { timeoutSeconds: number } | null {
  const timeoutSeconds = parseDuration(timeout || DEFAULT_VERIFY_TIMEOUT, timeoutName);
  return on === 'true' ? { timeoutSeconds } : null;
}
