/**
 * A Dockerfile as the advice rules see it: its stages, each with the base it
 * starts from (build ARGs resolved) and its instructions (flags, mounts, heredoc
 * bodies, inline `# footprint-ignore:` comments). Parsing is dockerfile-ast's
 * (continuations, the escape directive, heredocs); this module adds stage
 * resolution and reports problems with their line instead of throwing. Pure.
 */
import { DockerfileParser, type Instruction as AstInstruction } from 'dockerfile-ast';
import { messageOf } from '../errors.js';
import { KEYWORDS } from './keywords.js';

export interface Mount {
  /** `cache`, `tmpfs`, `bind` (the default), `secret`, `ssh`. */
  type: string;
  target: string | null;
}

export interface Instruction {
  /** Upper-case keyword (`RUN`). */
  keyword: string;
  /** 1-based first line. */
  line: number;
  /** 1-based last line (continuations and heredocs included). */
  endLine: number;
  /** The argument text without flags, continuations joined (heredoc bodies follow on their own lines). */
  args: string;
  /** `--name=value` flags as written (`mount` keeps the last one; see `mounts` for all); `true` for a flag without value. */
  flags: Record<string, string | true>;
  /** Every `--mount` of a RUN. */
  mounts: Mount[];
  /** Heredoc bodies (`RUN <<EOF … EOF`), in order. */
  heredocs: string[];
  /** Rule ids from `# footprint-ignore: id1, id2` comments on the lines right above. */
  ignored: string[];
  /** The instruction as written, keyword and flags included, continuations and heredoc bodies kept. */
  text: string;
  /** The arguments as written (flags excluded), continuations and heredoc bodies kept. */
  rawArgs: string;
}

export interface Stage {
  index: number;
  /** The `AS` name, lower-cased as Docker compares it; null when unnamed. */
  name: string | null;
  from: {
    /** The base image with build ARGs resolved (`python:3.12-slim`), or the earlier stage's name. */
    image: string;
    /** As written (`python:${PY_VERSION}-slim`). */
    raw: string;
    /** `--platform` with ARGs resolved; null when not given. */
    platform: string | null;
    line: number;
    /** Index of the earlier stage the FROM names; null for an image. */
    stage: number | null;
    /** Rule ids a `# footprint-ignore:` comment right above the FROM switches off (base-image advice). */
    ignored: string[];
  };
  /** The stage's instructions after its FROM. */
  instructions: Instruction[];
}

export interface DockerfileProblem {
  line: number;
  message: string;
}

export interface ParsedDockerfile {
  stages: Stage[];
  /** The stage that is built: the `target` one, else the last; null when there is none. */
  final: Stage | null;
  /** True when the build target names no stage: `final` is then the last stage, a guess. */
  targetMissing: boolean;
  problems: DockerfileProblem[];
  /** The escape character (`\\` unless a `# escape=` directive says otherwise). */
  escape: string;
}

export interface ParseOptions {
  /** Build arguments (`--build-arg`), overriding ARG defaults. */
  buildArgs?: Record<string, string>;
  /** The stage to build (`--target`); the last one when null. */
  target?: string | null;
}

/** Arguments BuildKit defines for every FROM without an ARG: left as written when unset. */
const AUTOMATIC_ARGS = new Set([
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT'
]);

const IGNORE_COMMENT = /^#\s*footprint-ignore\s*:\s*(.*)$/i;

/** `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`, `$NAME`. */
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Substitutes variables from `values` (undefined: not declared; null: declared
 * without a value). Returns the text and the names that had no value.
 */
export function substitute(text: string, values: ReadonlyMap<string, string | null>, escape = '\\'): { text: string; missing: string[] } {
  const missing: string[] = [];
  let out = '';
  let last = 0;
  for (const match of text.matchAll(VARIABLE)) {
    const at = match.index;
    if (at > 0 && text[at - 1] === escape) {
      out += text.slice(last, at - 1) + match[0];
      last = at + match[0].length;
      continue;
    }
    const name = match[1] ?? match[4]!;
    const operator = match[2];
    const word = match[3] ?? '';
    const value = values.get(name);
    const set = value !== undefined && value !== null;
    let replacement: string;
    if (operator === ':-') replacement = set && value !== '' ? value : word;
    else if (operator === '-') replacement = set ? value : word;
    else if (operator === ':+') replacement = set && value !== '' ? word : '';
    else if (operator === '+') replacement = set ? word : '';
    else if (set) replacement = value;
    else if (AUTOMATIC_ARGS.has(name)) replacement = match[0];
    else {
      missing.push(name);
      replacement = '';
    }
    out += text.slice(last, at) + replacement;
    last = at + match[0].length;
  }
  return { text: out + text.slice(last), missing };
}

/** The text inside a range of `lines` (0-based, end exclusive). */
function sliceLines(lines: string[], range: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
  if (range.start.line === range.end.line) return (lines[range.start.line] ?? '').slice(range.start.character, range.end.character);
  const parts = [(lines[range.start.line] ?? '').slice(range.start.character)];
  for (let line = range.start.line + 1; line < range.end.line; line++) parts.push(lines[line] ?? '');
  parts.push((lines[range.end.line] ?? '').slice(0, range.end.character));
  return parts.join('\n');
}

/** Rule ids named by `# footprint-ignore:` comments in the comment block right above 0-based `line`. */
function ignoredAbove(lines: string[], line: number): string[] {
  const ids: string[] = [];
  for (let at = line - 1; at >= 0; at--) {
    const text = (lines[at] ?? '').trim();
    if (!text.startsWith('#')) break;
    const match = IGNORE_COMMENT.exec(text);
    if (match !== null) ids.push(...match[1]!.split(/[\s,]+/).filter((id) => id !== ''));
  }
  return ids;
}

function mountOf(value: string): Mount {
  let type = 'bind';
  let target: string | null = null;
  for (const option of value.split(',')) {
    const equals = option.indexOf('=');
    const key = (equals === -1 ? option : option.slice(0, equals)).trim().toLowerCase();
    const optionValue = equals === -1 ? '' : option.slice(equals + 1).trim();
    if (key === 'type') type = optionValue.toLowerCase();
    else if (key === 'target' || key === 'dst' || key === 'destination') target = optionValue;
  }
  return { type, target };
}

function instructionOf(node: AstInstruction, lines: string[]): Instruction {
  const keyword = node.getKeyword().toUpperCase();
  const range = node.getRange();
  const flags: Record<string, string | true> = {};
  const mounts: Mount[] = [];
  const withFlags = node as AstInstruction & { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> };
  for (const flag of withFlags.getFlags?.() ?? []) {
    const name = flag.getName();
    const value = flag.getValue();
    flags[name] = value ?? true;
    if (name === 'mount' && value !== null) mounts.push(mountOf(value));
  }
  const heredocs: string[] = [];
  const withHeredocs = node as unknown as { getHeredocs?: () => Array<{ getContentRange(): Parameters<typeof sliceLines>[1] | null }> };
  if (typeof withHeredocs.getHeredocs === 'function' && ['RUN', 'COPY', 'ADD'].includes(keyword)) {
    for (const heredoc of withHeredocs.getHeredocs.call(node)) {
      const content = heredoc.getContentRange();
      heredocs.push(content === null ? '' : sliceLines(lines, content));
    }
  }
  return {
    keyword,
    line: range.start.line + 1,
    endLine: range.end.line + 1,
    args: node.getArgumentsContent() ?? '',
    flags,
    mounts,
    heredocs,
    ignored: ignoredAbove(lines, range.start.line),
    text: node.getTextContent(),
    rawArgs: node.getRawArgumentsContent() ?? ''
  };
}

/** A `COPY --from` value that can only mean a stage (a number, or a bare name), not an image to pull. */
function looksLikeStage(value: string): boolean {
  return /^\d+$/.test(value) || !/[:/@.]/.test(value);
}

export function parseDockerfile(text: string, options: ParseOptions = {}): ParsedDockerfile {
  const problems: DockerfileProblem[] = [];
  const stages: Stage[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  let nodes: AstInstruction[];
  let escape = '\\';
  try {
    const parsed = DockerfileParser.parse(text);
    nodes = parsed.getInstructions();
    escape = parsed.getEscapeCharacter();
  } catch (error) {
    return {
      stages,
      final: null,
      targetMissing: false,
      problems: [{ line: 1, message: `the Dockerfile could not be parsed: ${messageOf(error)}` }],
      escape
    };
  }

  const args = new Map<string, string | null>();
  const buildArgs = options.buildArgs ?? {};
  for (const node of nodes) {
    const instruction = instructionOf(node, lines);
    const { keyword, line } = instruction;
    if (!KEYWORDS.has(keyword)) {
      problems.push({ line, message: `unknown instruction "${node.getInstruction()}" (a missing line continuation?)` });
      continue;
    }
    if (keyword === 'FROM') {
      stages.push(stageOf(instruction, node, stages, args, escape, problems));
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (keyword === 'ARG') {
        for (const argument of node.getArguments()) {
          const raw = argument.getValue();
          const equals = raw.indexOf('=');
          const name = equals === -1 ? raw : raw.slice(0, equals);
          const fallback = equals === -1 ? null : unquote(raw.slice(equals + 1));
          args.set(name, Object.hasOwn(buildArgs, name) ? buildArgs[name]! : fallback);
        }
      } else {
        problems.push({ line, message: `${keyword} before the first FROM (only ARG may come before it)` });
      }
      continue;
    }
    if (keyword === 'COPY' || keyword === 'ADD') checkCopyFrom(instruction, stage, stages, problems);
    stage.instructions.push(instruction);
  }

  if (stages.length === 0) {
    problems.push({ line: 1, message: 'no FROM instruction: the Dockerfile names no base image' });
    return { stages, final: null, targetMissing: false, problems, escape };
  }
  let final = stages.at(-1)!;
  let targetMissing = false;
  const target = options.target?.trim().toLowerCase();
  if (target) {
    const named = stages.find((stage) => stage.name === target);
    if (named === undefined) {
      targetMissing = true;
      problems.push({ line: final.from.line, message: `no stage named "${options.target}" (the build target); advising on the last stage` });
    } else {
      final = named;
    }
  }
  return { stages, final, targetMissing, problems, escape };
}

function unquote(text: string): string {
  const match = /^(["'])(.*)\1$/s.exec(text);
  return match === null ? text : match[2]!;
}

function stageOf(
  instruction: Instruction,
  node: AstInstruction,
  stages: Stage[],
  args: ReadonlyMap<string, string | null>,
  escape: string,
  problems: DockerfileProblem[]
): Stage {
  const { line } = instruction;
  const words = node.getArguments().map((argument) => argument.getValue());
  const raw = words[0] ?? '';
  let name: string | null = null;
  if (words.length >= 3 && words[1]!.toUpperCase() === 'AS') name = words[2]!.toLowerCase();
  else if (words.length > 1) problems.push({ line, message: `FROM takes an image and an optional "AS name", not "${instruction.args}"` });
  if (raw === '') problems.push({ line, message: 'FROM without an image' });
  const resolved = substitute(raw, args, escape);
  for (const missing of resolved.missing) {
    problems.push({
      line,
      message: args.has(missing)
        ? `FROM uses ARG ${missing}, which has no default and no build arg`
        : `FROM uses $${missing}, which no ARG before the first FROM declares`
    });
  }
  const image = resolved.text;
  const platformFlag = instruction.flags['platform'];
  const platform = typeof platformFlag === 'string' ? substitute(platformFlag, args, escape).text : null;
  const earlier = stages.findIndex((stage) => stage.name !== null && stage.name === image.toLowerCase());
  if (name !== null && stages.some((stage) => stage.name === name)) {
    problems.push({ line, message: `stage name "${name}" is used twice` });
  }
  return {
    index: stages.length,
    name,
    from: { image, raw, platform, line, stage: earlier === -1 ? null : earlier, ignored: instruction.ignored },
    instructions: []
  };
}

function checkCopyFrom(instruction: Instruction, stage: Stage, stages: Stage[], problems: DockerfileProblem[]): void {
  const from = instruction.flags['from'];
  if (typeof from !== 'string' || from === '') return;
  const earlier = stages.slice(0, stage.index);
  if (/^\d+$/.test(from)) {
    if (Number(from) >= stage.index) {
      problems.push({ line: instruction.line, message: `${instruction.keyword} --from=${from} names no earlier stage` });
    }
    return;
  }
  const name = from.toLowerCase();
  if (earlier.some((candidate) => candidate.name === name) || name.includes('$')) return;
  if (stage.name === name) {
    problems.push({ line: instruction.line, message: `${instruction.keyword} --from=${from} names its own stage` });
  } else if (looksLikeStage(name)) {
    problems.push({
      line: instruction.line,
      message: `${instruction.keyword} --from=${from} names no earlier stage (Docker would pull an image called "${from}")`
    });
  }
}

/** The stages whose layers make the final image: the final one and the stages its FROM names, base first. */
export function finalChain(dockerfile: Pick<ParsedDockerfile, 'stages' | 'final'>): Stage[] {
  const chain: Stage[] = [];
  let stage = dockerfile.final;
  while (stage !== null && !chain.includes(stage)) {
    chain.unshift(stage);
    stage = stage.from.stage === null ? null : (dockerfile.stages[stage.from.stage] ?? null);
  }
  return chain;
}
