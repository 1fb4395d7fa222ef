import { UserError } from './errors.js';
import type { Budget, BudgetMetric, IncreaseLimit, WasteLimit } from './model/report.js';
import { parseBudget, parseIncrease, parseMetric, parseWasteLimit } from './units.js';

export type CommentMode = 'always' | 'on-change' | 'never';
export type FailOn = 'budget' | 'never';

/** The action's inputs, typed and validated. */
export interface Inputs {
  /** Globs of Dockerfiles to build, relative to the repository root. */
  dockerfiles: string[];
  /** `required` when the user named a file: then a missing file is an error. */
  config: { path: string; required: boolean };
  budget: Budget | null;
  maxIncrease: IncreaseLimit | null;
  maxWasted: WasteLimit | null;
  /** Which size budgets apply to, unless the config says otherwise; null = the default (uncompressed). */
  metric: BudgetMetric | null;
  /** Estimate the gzip size of layers that arrive uncompressed (on unless turned off). */
  compressedSize: boolean;
  /** Ref or SHA of the base branch to compare with; null = no comparison. */
  baseRef: string | null;
  comment: CommentMode;
  commentKey: string;
  failOn: FailOn;
  /** Images given by reference (`name=image-ref`): measured, not built. */
  images: { name: string; ref: string }[];
  buildArgs: Record<string, string>;
  target: string | null;
  platform: string | null;
  githubToken: string;
}

/** The event that started the workflow, as @actions/github's context has it. */
export interface WorkflowEvent {
  name: string;
  payload: any;
}

/** Returns the trimmed value of an input, or undefined when it was not provided at all. */
export type InputReader = (name: string) => string | undefined;

export const DEFAULT_DOCKERFILE_GLOBS = ['**/Dockerfile', '**/Dockerfile.*', '**/Dockerfile-*', '**/*.Dockerfile'];
export const DEFAULT_CONFIG_PATH = '.github/footprint.yml';
export const DEFAULT_COMMENT_MODE: CommentMode = 'always';
export const DEFAULT_COMMENT_KEY = 'default';
export const DEFAULT_FAIL_ON: FailOn = 'budget';

const COMMENT_MODES: readonly CommentMode[] = ['always', 'on-change', 'never'];
const FAIL_ON: readonly FailOn[] = ['budget', 'never'];
const ALL_ZERO_SHA = /^0+$/;

/** Reads and validates every input once; a bad value is a UserError naming the input. */
export function readInputs(getInput: InputReader, event: WorkflowEvent): Inputs {
  const text = (name: string) => getInput(name)?.trim() ?? '';
  const optional = (name: string) => text(name) || null;
  const dockerfiles = splitList(text('dockerfiles'));
  const configPath = text('config');

  return {
    dockerfiles: dockerfiles.length > 0 ? dockerfiles : [...DEFAULT_DOCKERFILE_GLOBS],
    // The runner always passes action.yml's default, so the default path is optional however it arrives.
    config:
      configPath && configPath !== DEFAULT_CONFIG_PATH
        ? { path: configPath, required: true }
        : { path: DEFAULT_CONFIG_PATH, required: false },
    budget: text('budget') ? parseBudget(text('budget'), 'input budget') : null,
    maxIncrease: text('max-increase') ? parseIncrease(text('max-increase'), 'input max-increase') : null,
    maxWasted: text('max-wasted') ? parseWasteLimit(text('max-wasted'), 'input max-wasted') : null,
    metric: text('metric') ? parseMetric(text('metric'), 'input metric') : null,
    compressedSize: oneOf('compressed-size', text('compressed-size').toLowerCase(), ['true', 'false'], 'true') === 'true',
    baseRef: readBaseRef(getInput('base-ref'), event),
    comment: oneOf('comment', text('comment'), COMMENT_MODES, DEFAULT_COMMENT_MODE),
    commentKey: readCommentKey(text('comment-key')),
    failOn: oneOf('fail-on', text('fail-on'), FAIL_ON, DEFAULT_FAIL_ON),
    images: readImages(text('images')),
    buildArgs: readBuildArgs(text('build-args')),
    target: optional('target'),
    platform: optional('platform'),
    githubToken: text('github-token')
  };
}

/**
 * Reads inputs the way @actions/core does (`INPUT_` + name upper-cased, spaces to
 * underscores, hyphens kept), but tells "not provided" (undefined) from "empty".
 */
export function actionInputReader(env: NodeJS.ProcessEnv = process.env): InputReader {
  return (name) => {
    const value = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
    return value === undefined ? undefined : value.trim();
  };
}

/** Splits on newlines and commas, trimmed, empties dropped. */
function splitList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function lines(value: string): string[] {
  return value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[], fallback: T): T {
  if (value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`input ${name}: "${value}" is not one of ${allowed.join(', ')}`);
}

function readCommentKey(value: string): string {
  if (value === '') return DEFAULT_COMMENT_KEY;
  if (!/^[A-Za-z0-9._-]+$/.test(value)) {
    throw new UserError(`input comment-key: "${value}" is not a valid key; use only letters, digits, ".", "_" and "-"`);
  }
  return value;
}

/**
 * Not provided: the base of the event (the PR's base commit, or the commit before
 * a push). An explicit empty value turns comparison off; so does an all-zero SHA
 * (a push that created the branch has nothing before it).
 */
function readBaseRef(value: string | undefined, event: WorkflowEvent): string | null {
  const ref = value === undefined ? baseOfEvent(event) : value.trim();
  if (!ref || ALL_ZERO_SHA.test(ref)) return null;
  // The ref reaches git as an argument: refuse anything that could read as an option or a range.
  if (ref.startsWith('-') || ref.includes('..') || !/^[\w./@{}^~+-]+$/.test(ref)) {
    throw new UserError(`input base-ref: "${ref}" is not a branch, tag or commit SHA`);
  }
  return ref;
}

function baseOfEvent(event: WorkflowEvent): string | null {
  const payload = event.payload ?? {};
  switch (event.name) {
    case 'pull_request':
    case 'pull_request_target':
      return stringOrNull(payload.pull_request?.base?.sha);
    case 'push':
      return stringOrNull(payload.before);
    default:
      return null;
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Splits `KEY=VALUE` on the first `=`; the key must not be empty, the value may be. */
function splitAssignment(input: string, line: string, shape: string): [string, string] {
  const at = line.indexOf('=');
  const key = at > 0 ? line.slice(0, at).trim() : '';
  const value = at > 0 ? line.slice(at + 1).trim() : '';
  if (!key) throw new UserError(`input ${input}: "${line}" is not ${shape}`);
  return [key, value];
}

function readImages(value: string): { name: string; ref: string }[] {
  const images: { name: string; ref: string }[] = [];
  for (const line of lines(value)) {
    const [name, ref] = splitAssignment('images', line, 'name=image-ref (one image a line)');
    if (!ref) throw new UserError(`input images: "${line}" has no image reference after "="`);
    // A daemon reference reaches docker as an argument: it must not read as an option.
    // An archive path (oci-archive:PATH, docker-archive:PATH) is only opened as a file.
    const archive = /^(oci|docker)-archive:./.test(ref);
    if (!archive && (ref.startsWith('-') || /\s/.test(ref))) {
      throw new UserError(`input images: "${ref}" is not an image reference (such as ghcr.io/org/app:1.2 or app@sha256:...)`);
    }
    if (images.some((image) => image.name === name)) {
      throw new UserError(`input images: the name "${name}" is given more than once; names must be unique`);
    }
    images.push({ name, ref });
  }
  return images;
}

function readBuildArgs(value: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const line of lines(value)) {
    const [key, argValue] = splitAssignment('build-args', line, 'KEY=VALUE (one build argument a line)');
    if (/\s/.test(key)) throw new UserError(`input build-args: "${key}" is not a build argument name (no spaces)`);
    if (Object.hasOwn(args, key)) {
      throw new UserError(`input build-args: "${key}" is given more than once`);
    }
    args[key] = argValue;
  }
  return args;
}
