import { open, realpath } from 'node:fs/promises';
import { dirname, posix, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { MAX_QUOTED_CHARS, quoted, UserError } from '../errors.js';
import { noLimits, parseLimits } from '../limits/index.js';
import type { BudgetMetric } from '../model/limits.js';
import type { LimitSettings, Settings } from '../model/settings.js';
import { isWithin, leavesRepo, realPathInRepo } from '../repo-path.js';
import { configSchema } from './schema.js';

/** A config file is a few hundred bytes; one bigger than this is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** One entry under `images`: where its Dockerfile is, and the settings that override the levels above. */
export interface ImageConfig extends Settings {
  /** The key under `images`: the image's display name. */
  name: string;
  /** Repo-relative POSIX path, normalised (`./a/Dockerfile` → `a/Dockerfile`). */
  dockerfile: string | null;
  context: string | null;
  /** Advice rule ids switched off for this image (added to the top-level list). */
  ignore: string[];
  skip: boolean;
  /** The published image to measure as its base side (a template, see BASE_IMAGE_PLACEHOLDERS); null: the top level's. */
  baseImage: string | null;
}

/** The config file: limits for every image, and entries per image. */
export interface Config extends LimitSettings {
  /** The config file as the user knows it (the display path), or null when there is none. */
  file: string | null;
  ignore: string[];
  images: ImageConfig[];
  /** The published image every image's base side may be read from (a template); null when none. */
  baseImage: string | null;
}

/** Limit values as written: the schema allows a size text or a bare number (MB). */
type RawLimits = Record<string, string | number | undefined>;

/** The file as written, after schema validation. */
interface RawImage {
  dockerfile?: string;
  context?: string;
  target?: string;
  'build-args'?: Record<string, string | number | boolean>;
  platform?: string;
  metric?: BudgetMetric;
  ignore?: string[];
  skip?: boolean;
  'base-image'?: string;
}

interface RawConfig {
  metric?: BudgetMetric;
  'base-image'?: string;
  ignore?: string[];
  images?: Record<string, RawImage>;
}

/** Compiled on first use. `verbose` keeps the parent schema on errors, to list the keys allowed there. */
let compiled: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true }).compile(configSchema);
  return compiled;
}

/**
 * Reads and validates the config file. A missing file is an error only when the
 * user named it; otherwise there is simply no config. With `root` (the repository),
 * a file in the repository that leads out of it through a symlink is refused, unread.
 */
export async function loadConfig(file: string, options: { required: boolean; displayPath: string; root?: string }): Promise<Config> {
  let text: string;
  try {
    text = await readConfigText(await confined(file, options), options.displayPath);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !options.required) return emptyConfig(null);
    if (code === 'ENOENT') throw new UserError(`config: ${options.displayPath} does not exist`);
    if (code === 'EISDIR') throw new UserError(`config: ${options.displayPath} is a folder, not a file`);
    throw new UserError(`config: cannot read ${options.displayPath} (${code ?? String(error)})`);
  }
  return parseConfig(text, options.displayPath);
}

/**
 * The path to read: the file's real path when it is in the repository (by its path, or
 * by its folder's real path) and stays there; a UserError when it leads out.
 */
async function confined(file: string, options: { displayPath: string; root?: string }): Promise<string> {
  if (options.root === undefined) return file;
  const root = resolve(options.root);
  const realRoot = await realpath(root);
  const folder = await realpath(dirname(resolve(file))).catch(() => null);
  const inRepo = isWithin(root, resolve(file)) || (folder !== null && isWithin(realRoot, folder));
  if (!inRepo) return file; // a file outside the repository that the workflow or the user named
  const where = await realPathInRepo(root, file);
  if (where.kind === 'outside') throw new UserError(`config: ${leavesRepo(options.displayPath)}`);
  return where.kind === 'inside' ? where.real : file;
}

/** The file's text, refused unread past MAX_CONFIG_BYTES. */
async function readConfigText(file: string, displayPath: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    // Read one byte past the limit, never the whole of a huge (or endless) file.
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_CONFIG_BYTES) {
      throw new UserError(
        `config: ${displayPath} is bigger than ${MAX_CONFIG_BYTES.toLocaleString('en-US')} bytes (1 MiB); a config file must be smaller`
      );
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Parses the text of a config file; every problem is a UserError naming the file, line and key. */
export function parseConfig(text: string, displayPath: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    throw new UserError(`${displayPath}:${line}:${col}: ${clipped(shortYamlMessage(syntaxError.message))}`);
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // e.g. too many aliases: the document is valid YAML but not usable data.
    throw new UserError(`${displayPath}: ${clipped((error as Error).message)}`);
  }
  if (value === null || value === undefined) return emptyConfig(displayPath);

  const lineOf = (path: readonly string[]): number => lineCounter.linePos(offsetOf(doc, path)).line;
  const validate = schemaValidator();
  if (!validate(value)) {
    throw new UserError(describeSchemaError(validate.errors![0]!, displayPath, lineOf));
  }
  return toConfig(value, displayPath, lineOf);
}

function emptyConfig(file: string | null): Config {
  return { file, ...noLimits(), metric: null, ignore: [], images: [], baseImage: null };
}

/** A message from the YAML parser, which may quote the source, cut to a line's length. */
function clipped(message: string): string {
  const max = 4 * MAX_QUOTED_CHARS;
  return [...message].length > max ? `${[...message].slice(0, max).join('')}…` : message;
}

/** yaml's message without the position it repeats (we print our own) or advice meant for programmers. */
function shortYamlMessage(message: string): string {
  const short = message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
  if (short.startsWith('Source contains multiple documents')) {
    return 'the file must hold a single YAML document (found a second "---")';
  }
  return short;
}

function toConfig(raw: RawConfig, file: string, lineOf: (path: readonly string[]) => number): Config {
  const where = (path: readonly string[]) => `${file}:${lineOf(path)}: ${keyPath(path)}`;
  // Every limit by its key, through the one registry: `file:line: images.api.max-increase: …` on a bad value.
  const limits = (raw: object, path: string[]) =>
    parseLimits(
      (name) => (raw as RawLimits)[name],
      (name) => where([...path, name])
    );
  const baseImageTemplate = (value: string | undefined, path: string[]) => (value === undefined ? null : checkTemplate(value, where(path)));
  const repoPath = (value: string | undefined, path: string[]) => (value === undefined ? null : repoRelativePath(value, where(path)));

  const images = Object.entries(raw.images ?? {}).map(([name, image]): ImageConfig => {
    const at = (key: string) => ['images', name, key];
    return {
      name,
      dockerfile: repoPath(image.dockerfile, at('dockerfile')),
      context: repoPath(image.context, at('context')),
      target: image.target ?? null,
      buildArgs: Object.fromEntries(Object.entries(image['build-args'] ?? {}).map(([key, v]) => [key, String(v)])),
      platform: image.platform ?? null,
      ...limits(image, ['images', name]),
      metric: image.metric ?? null,
      ignore: image.ignore ?? [],
      skip: image.skip ?? false,
      baseImage: baseImageTemplate(image['base-image'], at('base-image'))
    };
  });
  return {
    file,
    ...limits(raw, []),
    metric: raw.metric ?? null,
    ignore: raw.ignore ?? [],
    images,
    baseImage: baseImageTemplate(raw['base-image'], ['base-image'])
  };
}

/** What a `base-image` template may name: the image, the base commit and the base branch. */
export const BASE_IMAGE_PLACEHOLDERS = ['{name}', '{base-sha}', '{base-ref}'] as const;

/** A `base-image` template, trimmed; any other `{…}` is an error, so a typo never pulls a wrong name. */
function checkTemplate(value: string, what: string): string {
  const template = value.trim();
  const unknown = (template.match(/\{[^}]*\}/g) ?? []).find((part) => !(BASE_IMAGE_PLACEHOLDERS as readonly string[]).includes(part));
  if (unknown !== undefined || /\s/.test(template) || template.startsWith('-')) {
    throw new UserError(
      `${what}: ${quoted(value)} is not an image reference; expected e.g. ghcr.io/acme/api:main, with only ${BASE_IMAGE_PLACEHOLDERS.join(', ')} as placeholders`
    );
  }
  return template;
}

/** Normalises a repo-relative path; absolute paths and paths leaving the repository are errors. */
function repoRelativePath(value: string, what: string): string {
  const normal = posix.normalize(value.trim()).replace(/(.)\/+$/, '$1');
  if (posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new UserError(`${what}: ${quoted(value)} must be a path inside the repository, relative to its root`);
  }
  return normal;
}

/** `images.api.budget`, each key cut to its first characters: a key may be as long as the file. */
function keyPath(path: readonly string[]): string {
  return path.map((key) => ([...key].length > MAX_QUOTED_CHARS ? `${[...key].slice(0, MAX_QUOTED_CHARS).join('')}…` : key)).join('.');
}

/** One line per schema error: `file:line: dotted.key: what was expected`. */
function describeSchemaError(error: ErrorObject, file: string, lineOf: (path: readonly string[]) => number): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const at = (linePath: readonly string[], message: string) => `${file}:${lineOf(linePath)}: ${message}`;
  const about = (keys: readonly string[], message: string) => (keys.length > 0 ? `${keyPath(keys)}: ${message}` : message);

  // An error about a key itself (propertyNames) rather than its value.
  if (error.propertyName !== undefined) {
    const problem = error.keyword === 'minLength' ? 'must not be empty' : (error.message ?? 'is not valid');
    return at(path, about(path, `the key ${quoted(error.propertyName)} is not valid: a key ${problem}`));
  }

  switch (error.keyword) {
    case 'additionalProperties': {
      // Point at the unknown key's own line, and list the keys that would be accepted there.
      const key = String(error.params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return at([...path, key], about(path, `unknown key ${quoted(key)} (expected one of ${known.join(', ')})`));
    }
    case 'type': {
      const types = ([] as string[]).concat(error.params.type as string | string[]);
      return at(path, about(path, `must be ${types.join(' or ')}`));
    }
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).map(String);
      return at(path, about(path, `must be one of ${allowed.join(', ')}`));
    }
    case 'minLength':
      return at(path, about(path, 'must not be empty'));
    case 'uniqueItems':
      return at(path, about(path, 'lists an item more than once'));
    default:
      return at(path, about(path, error.message ?? 'is not valid'));
  }
}

/**
 * Source offset of the node at `path` (for a key that is the map entry's key),
 * falling back to the nearest ancestor that exists, then to the start.
 */
function offsetOf(doc: Document, path: readonly string[]): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === segment);
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
      offset = rangeStart(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  return (node as { range?: [number, number, number] } | null)?.range?.[0];
}
