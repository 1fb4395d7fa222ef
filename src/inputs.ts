import { UserError } from './errors.js';
import { COMMENT_MODES, type CommentMode } from './github/comment.js';
import { isCommentKey } from './github/marker.js';
import { parseBaseRef, parseBuildArgs, parseImages, parseSettings, readVerify } from './input-parsers.js';
import { BASELINE_MODES, type PipelineInputs } from './pipeline.js';

export type FailOn = 'budget' | 'never';

/** The action's inputs, typed and validated: what the pipeline needs, and what only the action does. */
export interface Inputs extends PipelineInputs {
  /** `required` when the user named a file: then a missing file is an error. */
  config: { path: string; required: boolean };
  comment: CommentMode;
  commentKey: string;
  /** The login footprint's comments are written by, for a GitHub App token; null: found from the token. */
  commentAuthor: string | null;
  failOn: FailOn;
  githubToken: string;
}

/** The event that started the workflow: its name and its payload, untrusted JSON. */
export interface WorkflowEvent {
  name: string;
  payload: unknown;
}

/** The value at `path` in an event payload, or undefined where the payload has no such field. */
export function payloadField(payload: unknown, ...path: string[]): unknown {
  let value = payload;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Returns the trimmed value of an input, or undefined when it was not provided at all. */
export type InputReader = (name: string) => string | undefined;

export const DEFAULT_DOCKERFILE_GLOBS = ['**/Dockerfile', '**/Dockerfile.*', '**/Dockerfile-*', '**/*.Dockerfile'];
/** Where the config file is looked for, relative to the repository root, when no other path is given. */
export const DEFAULT_CONFIG_PATH = '.github/footprint.yml';
export const DEFAULT_COMMENT_MODE: CommentMode = 'always';
export const DEFAULT_COMMENT_KEY = 'default';
export const DEFAULT_FAIL_ON: FailOn = 'budget';

const FAIL_ON: readonly FailOn[] = ['budget', 'never'];

/** Reads and validates every input once; a bad value is a UserError naming the input. */
export function readInputs(getInput: InputReader, event: WorkflowEvent): Inputs {
  const text = (name: string) => getInput(name)?.trim() ?? '';
  const optional = (name: string) => text(name) || null;
  const dockerfiles = splitList(text('dockerfiles'));
  const configPath = text('config');

  return {
    dockerfiles: dockerfiles.length > 0 ? dockerfiles : [...DEFAULT_DOCKERFILE_GLOBS],
    // The runner always passes action.yml's default, so the default path is optional however it arrives.
    config: configPath && configPath !== DEFAULT_CONFIG_PATH ? { path: configPath, required: true } : { path: DEFAULT_CONFIG_PATH, required: false },
    settings: parseSettings(text, (name) => `input ${name}`, {
      buildArgs: parseBuildArgs(lines(text('build-args')), 'input build-args'),
      target: optional('target'),
      platform: optional('platform')
    }),
    compressedSize: oneOf('compressed-size', text('compressed-size').toLowerCase(), ['true', 'false'], 'true') === 'true',
    baseRef: readBaseRef(getInput('base-ref'), event),
    baseBranch: baseBranchOf(event),
    baseline: oneOf('baseline', text('baseline'), BASELINE_MODES, 'auto'),
    comment: oneOf('comment', text('comment'), COMMENT_MODES, DEFAULT_COMMENT_MODE),
    commentKey: readCommentKey(text('comment-key')),
    commentAuthor: readCommentAuthor(text('comment-author')),
    failOn: oneOf('fail-on', text('fail-on'), FAIL_ON, DEFAULT_FAIL_ON),
    images: parseImages(lines(text('images')), 'input images'),
    verify: readVerify(
      oneOf('verify-advice', text('verify-advice').toLowerCase(), ['true', 'false'], 'false'),
      text('verify-timeout'),
      'input verify-timeout'
    ),
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
  if (!isCommentKey(value)) {
    throw new UserError(`input comment-key: "${value}" is not a valid key; use only letters, digits, ".", "_" and "-"`);
  }
  return value;
}

/** A GitHub login: a user's (letters, digits, single hyphens) or a GitHub App's bot (`my-app[bot]`). */
function readCommentAuthor(value: string): string | null {
  if (value === '') return null;
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,98}[A-Za-z0-9])?(?:\[bot\])?$/.test(value)) {
    throw new UserError(`input comment-author: "${value}" is not a GitHub login; expected e.g. my-app[bot] or octocat`);
  }
  return value;
}

/**
 * Not provided: the base of the event (the PR's base commit, or the commit before
 * a push). An explicit empty value turns comparison off; so does an all-zero SHA
 * (a push that created the branch has nothing before it).
 */
function readBaseRef(value: string | undefined, event: WorkflowEvent): string | null {
  return parseBaseRef(value === undefined ? (baseOfEvent(event) ?? '') : value, 'input base-ref');
}

function baseOfEvent(event: WorkflowEvent): string | null {
  switch (event.name) {
    case 'pull_request':
    case 'pull_request_target':
      return stringOrNull(payloadField(event.payload, 'pull_request', 'base', 'sha'));
    case 'push':
      return stringOrNull(payloadField(event.payload, 'before'));
    default:
      return null;
  }
}

/** The base branch's name, for `{base-ref}`: the PR's base branch, or the branch a push moved. */
function baseBranchOf(event: WorkflowEvent): string | null {
  const pr = stringOrNull(payloadField(event.payload, 'pull_request', 'base', 'ref'));
  if (pr !== null) return pr;
  const ref = stringOrNull(payloadField(event.payload, 'ref'));
  return ref?.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
