/**
 * What the image runs: the program of its ENTRYPOINT/CMD, looked up in the final
 * filesystem the layers make (PATH searched, symlinks followed component by
 * component as the kernel does, whiteouts and opaque folders honoured), and what
 * the layer reader's probe (./executable.ts) read from that file's headers.
 * Pure: the archive's config and layer tables in, the report's facts out.
 */
import type { Entrypoint } from '../model/report.js';
import { isStatic } from './executable.js';
import type { ImageConfigJson, LayerContents, LayerEntry } from './model.js';
import { displayPath, normalisePath, parentPath, whiteoutTarget } from './paths.js';

/** Docker's PATH for a config without one. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Symlinks followed in one lookup before giving up, as Linux does (ELOOP). */
const MAX_SYMLINKS = 40;
/** A program name the image can be searched for: no shell expansion, quoting or operators in it. */
const PLAIN_WORD = /^[A-Za-z0-9_./+@%:,-]+$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** Programs that start another one: the program that matters is the one they run. */
const WRAPPERS: Record<string, { skip: number }> = {
  tini: { skip: 0 },
  'tini-static': { skip: 0 },
  'dumb-init': { skip: 0 },
  catatonit: { skip: 0 },
  env: { skip: 0 },
  // `gosu USER COMMAND`, `su-exec USER COMMAND`
  gosu: { skip: 1 },
  'su-exec': { skip: 1 }
};

/** The first word after a wrapper, its options, its user argument and `--`. */
function afterWrappers(words: readonly string[]): string | null {
  let at = 0;
  for (;;) {
    const word = words[at];
    if (word === undefined) return null;
    const wrapper = WRAPPERS[word.slice(word.lastIndexOf('/') + 1)];
    if (wrapper === undefined || at + 1 >= words.length) return word;
    at++;
    while (at < words.length && (words[at]!.startsWith('-') || ASSIGNMENT.test(words[at]!))) at++;
    at += wrapper.skip;
  }
}

/**
 * The program a command starts: the first word, or for `sh -c "…"` the first word of that command (after `exec` and
 * `VAR=value`); past an init or user-switching wrapper (`tini --`, `dumb-init`, `gosu app`), the program it runs.
 */
export function programOf(command: readonly string[]): string | null {
  const [first, flag, script] = command;
  if (first === undefined || first === '') return null;
  if (/(?:^|\/)(?:ba|da|a)?sh$/.test(first) && flag === '-c' && script !== undefined) {
    const words = script.trim().split(/\s+/);
    let at = 0;
    while (at < words.length && (words[at] === 'exec' || ASSIGNMENT.test(words[at]!))) at++;
    const word = afterWrappers(words.slice(at));
    return word !== null && PLAIN_WORD.test(word) ? word : null;
  }
  return afterWrappers(command);
}

/** `a/b/../c` → `a/c`; null when `..` climbs above the root (the root stays the root, as in the kernel). */
function resolveDots(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** The final filesystem of a stack of layers, looked up path by path. */
class FinalTree {
  private readonly indexes: Array<Map<string, LayerEntry> | null>;
  private readonly hidden: Array<{ paths: Set<string>; opaque: Set<string> } | null>;

  constructor(private readonly layers: readonly LayerContents[]) {
    this.indexes = layers.map(() => null);
    this.hidden = layers.map(() => null);
  }

  private index(layer: number): { entries: Map<string, LayerEntry>; paths: Set<string>; opaque: Set<string> } {
    if (this.indexes[layer] === null) {
      const entries = new Map<string, LayerEntry>();
      const paths = new Set<string>();
      const opaque = new Set<string>();
      for (const entry of this.layers[layer]!.entries) {
        const whiteout = whiteoutTarget(entry.path);
        if (whiteout === null) entries.set(entry.path, entry);
        else if (whiteout.kind === 'file') paths.add(whiteout.path);
        else opaque.add(whiteout.dir);
      }
      this.indexes[layer] = entries;
      this.hidden[layer] = { paths, opaque };
    }
    return { entries: this.indexes[layer]!, ...this.hidden[layer]! };
  }

  /** The entry a container sees at `path` (no symlink followed) and its layer; null when there is none. */
  entryAt(path: string): { entry: LayerEntry; layer: number } | null {
    const ancestors: string[] = [];
    for (let parent = parentPath(path); parent !== ''; parent = parentPath(parent)) ancestors.push(parent);
    for (let layer = this.layers.length - 1; layer >= 0; layer--) {
      const { entries, paths, opaque } = this.index(layer);
      const entry = entries.get(path);
      if (entry !== undefined) return { entry, layer };
      if (paths.has(path) || ancestors.some((ancestor) => paths.has(ancestor))) return null;
      // A folder made opaque here, or replaced by something that is not a folder, hides what lies below it.
      if (opaque.has('') || ancestors.some((ancestor) => opaque.has(ancestor))) return null;
      if (ancestors.some((ancestor) => entries.has(ancestor) && entries.get(ancestor)!.kind !== 'directory')) return null;
    }
    return null;
  }

  /** Follows symlinks in every component of `path`: the entry at the end and its resolved path, or null. */
  resolve(path: string): { path: string; entry: LayerEntry; layer: number } | null {
    let pending = resolveDots(path)
      .split('/')
      .filter((part) => part !== '');
    let current = '';
    let hops = 0;
    let found: { entry: LayerEntry; layer: number } | null = null;
    while (pending.length > 0) {
      const next = current === '' ? pending[0]! : `${current}/${pending[0]}`;
      pending = pending.slice(1);
      found = this.entryAt(next);
      if (found === null) {
        // A folder a tar never names is still there when something below it is (a whiteout above hides both).
        if (pending.length === 0) return null;
        current = next;
        continue;
      }
      if (found.entry.kind === 'symlink') {
        if (++hops > MAX_SYMLINKS || found.entry.linkTarget === null) return null;
        const target = found.entry.linkTarget;
        const joined = target.startsWith('/') ? target : `${current}/${target}`;
        pending = [
          ...resolveDots(joined)
            .split('/')
            .filter((part) => part !== ''),
          ...pending
        ];
        current = '';
        found = null;
        continue;
      }
      if (pending.length > 0 && found.entry.kind !== 'directory') return null;
      current = next;
    }
    return found === null ? null : { path: current, ...found };
  }
}

function envPath(config: Record<string, unknown>): string {
  const entry = strings(config.Env).find((line) => line.startsWith('PATH='));
  return entry === undefined ? DEFAULT_PATH : entry.slice('PATH='.length);
}

/** What the image's ENTRYPOINT/CMD runs; null when the config names no command. */
export function entrypointOf(config: ImageConfigJson, layers: readonly LayerContents[]): Entrypoint | null {
  const settings = config.config ?? {};
  const command = [...strings(settings.Entrypoint), ...strings(settings.Cmd)];
  if (command.length === 0) return null;
  const user = typeof settings.User === 'string' && settings.User !== '' ? settings.User : null;
  const program = programOf(command);
  const facts: Entrypoint = {
    command,
    program,
    path: null,
    kind: 'unknown',
    interpreter: null,
    needed: null,
    machine: null,
    bytes: null,
    layer: null,
    user
  };
  if (program === null) return facts;

  const tree = new FinalTree(layers);
  const binary = Buffer.from(program, 'utf8').toString('latin1');
  const workdir = typeof settings.WorkingDir === 'string' ? settings.WorkingDir : '/';
  const candidates = binary.includes('/')
    ? [binary.startsWith('/') ? binary : `${workdir}/${binary}`]
    : envPath(settings)
        .split(':')
        .filter((folder) => folder.startsWith('/'))
        .map((folder) => `${folder}/${binary}`);
  for (const candidate of candidates) {
    const found = tree.resolve(normalisePath(candidate));
    if (found === null || (found.entry.kind !== 'file' && found.entry.kind !== 'hardlink')) continue;
    // A hard link's content is the entry it links to, in the same layer.
    const contentPath = found.entry.kind === 'hardlink' && found.entry.linkTarget !== null ? found.entry.linkTarget : found.path;
    const content = found.entry.kind === 'hardlink' ? tree.entryAt(contentPath)?.entry : found.entry;
    const probed = layers[found.layer]!.executables.get(contentPath);
    const base = { ...facts, path: displayPath(found.path), bytes: content?.bytes ?? null, layer: found.layer };
    if (probed === undefined) return { ...base, kind: 'other' };
    if (probed.format === 'script') return { ...base, kind: 'script', interpreter: probed.interpreter };
    return {
      ...base,
      kind: isStatic(probed) ? 'static' : 'dynamic',
      interpreter: probed.interpreter,
      needed: probed.needed,
      machine: probed.machine
    };
  }
  return { ...facts, kind: 'missing' };
}
