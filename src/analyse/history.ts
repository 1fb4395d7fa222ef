/**
 * Which Dockerfile line made each layer: the image config's `history` read
 * against the parsed Dockerfile. Pure: config and Dockerfile in, one `LayerOrigin` per layer out.
 *
 * Matching runs from the top of the image down. The final stage's layer-making
 * instructions (RUN, COPY, ADD, WORKDIR; a final stage `FROM <earlier stage>`
 * brings that stage's ones in front) are paired with the history entries, last
 * with last. RUN compares command text, COPY/ADD the keyword and destination,
 * WORKDIR the folder; a WORKDIR without a history entry is skipped. Once every
 * instruction is paired, the layers below are the base image's. When a pair
 * does not match, matching stops: the layers from there down are unknown
 * rather than guessed.
 */
import { KEYWORDS, LAYER_KEYWORDS } from '../dockerfile/keywords.js';
import { finalChain, type Instruction, type ParsedDockerfile } from '../dockerfile/parse.js';
import type { ImageConfigJson } from './model.js';

export interface LayerOrigin {
  /** True for a base-image layer, false for the Dockerfile's own; null when unknown. */
  fromBase: boolean | null;
  /** The instruction that made the layer, shortened; null when unknown. */
  instruction: string | null;
  /** 1-based Dockerfile line of that instruction; null when unknown or in the base image. */
  line: number | null;
  /** The stage that ran it: its `AS` name, or `#N` for an unnamed one; null when unknown or in the base image. */
  stage: string | null;
}

/** Longest instruction text kept for the report. */
export const INSTRUCTION_MAX_CHARS = 120;

const BUILDKIT_SUFFIX = '# buildkit';
/** The classic builder's metadata and COPY/ADD entries: `<shell> #(nop) INSTR …` (the shell is SHELL's, `/bin/sh -c` by default). */
const CLASSIC_NOP = /^[^#]*?\s#\(nop\)\s+/;
const DEFAULT_SHELL = '/bin/sh -c ';
/** A command run through a shell other than `/bin/sh -c` (SHELL instruction, Windows). */
const SHELL_RUN = /^(?:\S*\/)?(?:sh|bash|dash|ash|zsh|ksh)\s+(?:\S+\s+)*?-c\s|^cmd\s+\/S\s+\/C\s|^(?:powershell|pwsh)\s+(?:\S+\s+)*?-Command\s/i;
/** A heredoc opener: `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`. */
const HEREDOC_MARKER = /^<<-?(["']?)[A-Za-z0-9_.-]+\1$/;

/** Collapses runs of whitespace (newlines included) into one space. */
function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Shortens text for the report, ending a cut with `…`. */
function shorten(text: string): string {
  return text.length <= INSTRUCTION_MAX_CHARS ? text : `${text.slice(0, INSTRUCTION_MAX_CHARS - 1).trimEnd()}…`;
}

/** Removes the `|N K=V …` prefix both builders put before a RUN's command when build args are set. */
function stripBuildArgs(text: string): string {
  const match = /^\|(\d+)\s+/.exec(text);
  if (match === null) return text;
  const rest = text.slice(match[0].length);
  const assignments = new RegExp(`^(?:\\S+\\s+){${Number(match[1])}}`).exec(rest);
  const afterTokens = assignments === null ? rest : rest.slice(assignments[0].length);
  if (afterTokens.startsWith(DEFAULT_SHELL) || SHELL_RUN.test(afterTokens)) return afterTokens;
  // A value with spaces (written unquoted): the default shell ends the prefix.
  const shell = rest.indexOf(DEFAULT_SHELL);
  return shell === -1 ? afterTokens : rest.slice(shell);
}

interface ParsedCreatedBy {
  /** The Dockerfile keyword, or null when the entry names none (imported layers, other tools). */
  keyword: string | null;
  /** The text after the keyword, whitespace kept (a RUN's command without build args and `/bin/sh -c`). */
  body: string;
}

/** Reads a history `created_by` as the classic builder or BuildKit writes it. */
function parseCreatedBy(createdBy: string): ParsedCreatedBy {
  let text = createdBy.trim();
  if (text.endsWith(BUILDKIT_SUFFIX)) text = text.slice(0, -BUILDKIT_SUFFIX.length).trim();
  const keyword = /^([A-Z]+)(?:\s|$)/.exec(text)?.[1];
  if (keyword !== undefined && KEYWORDS.has(keyword)) {
    // BuildKit: the instruction as written, a RUN's build args and shell spelled out.
    let body = text.slice(keyword.length).trim();
    if (keyword === 'RUN') {
      body = stripBuildArgs(body);
      if (body.startsWith(DEFAULT_SHELL)) body = body.slice(DEFAULT_SHELL.length);
    }
    return { keyword, body };
  }
  // Classic builder (and buildah, kaniko): `/bin/sh -c #(nop) INSTR …` for metadata
  // and COPY/ADD, the command line for RUN (build args first when set).
  const withoutArgs = stripBuildArgs(text);
  const nop = CLASSIC_NOP.exec(withoutArgs);
  if (nop !== null) {
    const instruction = withoutArgs.slice(nop[0].length).trim();
    const nopKeyword = /^([A-Z]+)(?:\s|$)/.exec(instruction)?.[1];
    if (nopKeyword !== undefined) return { keyword: nopKeyword, body: instruction.slice(nopKeyword.length).trim() };
    return { keyword: null, body: instruction };
  }
  if (withoutArgs.startsWith(DEFAULT_SHELL)) return { keyword: 'RUN', body: withoutArgs.slice(DEFAULT_SHELL.length) };
  if (withoutArgs !== text || SHELL_RUN.test(withoutArgs)) return { keyword: 'RUN', body: withoutArgs };
  // An exec-form RUN, or a layer another tool made: the text says which.
  return { keyword: null, body: withoutArgs };
}

/**
 * A history `created_by` as an instruction: `RUN apk add x` for both builders'
 * spellings of a RUN, `COPY file:ab12… in /app` for the classic builder's COPY,
 * whitespace collapsed; '' when the entry says nothing (an imported layer).
 */
export function instructionOf(createdBy: string): string {
  const { keyword, body } = parseCreatedBy(createdBy);
  return collapse(keyword === null ? body : `${keyword} ${body}`);
}

// ---------------------------------------------------------------------------
// The Dockerfile side

interface DockerfileStep {
  keyword: string;
  /** The stage it belongs to (see LayerOrigin.stage). */
  stage: string;
  /** 1-based line of the instruction's first line. */
  line: number;
  /** What the report shows, shortened. */
  display: string;
  /** RUN: the command as the history keeps it (first line only for a heredoc); null for exec form. */
  command: string | null;
  /** RUN in exec form: the arguments joined with spaces. */
  execCommand: string | null;
  /** RUN/COPY/ADD with a heredoc: compare first lines only. */
  heredoc: boolean;
  /** COPY/ADD destination or WORKDIR folder; null when it cannot be compared (variables, relative). */
  target: string | null;
}

/**
 * The logical lines of an instruction's text: the first one with its escaped
 * newlines joined and, as Docker's parser does, comment and blank lines inside
 * the continuation dropped; the physical lines after it (heredoc bodies) as they are.
 */
function logicalLines(text: string, escape: string): string[] {
  const physical = text.split(/\r?\n/);
  let first = '';
  let at = 0;
  for (; at < physical.length; at++) {
    const raw = physical[at]!;
    if (at > 0 && /^\s*(#.*)?$/.test(raw)) continue;
    const stripped = raw.replace(/[ \t]+$/, '');
    const continued = stripped.endsWith(escape);
    first += continued ? stripped.slice(0, -escape.length) : raw;
    if (!continued) {
      at++;
      break;
    }
  }
  return [first, ...physical.slice(at)];
}

/** A path as compared: trailing slashes dropped (the root stays `/`). */
function trimSlashes(text: string): string {
  return text.replace(/([^\s/])\/+$/, '$1');
}

function normaliseTarget(target: string): string | null {
  if (target.includes('$') || !target.startsWith('/')) return null;
  return trimSlashes(target);
}

/** The last word of an argument list, honouring JSON form. */
function lastArgument(args: string): string | null {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) {
    const list = parseJsonList(trimmed);
    if (list !== null) return list.at(-1) ?? null;
  }
  const words = trimmed.split(/\s+/).filter((word) => word !== '');
  return words.at(-1) ?? null;
}

function parseJsonList(text: string): string[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
  } catch {
    return null;
  }
}

function stepOf(instruction: Instruction, stage: string, escape: string): DockerfileStep {
  const { keyword, line } = instruction;
  // The text starts with the keyword as written; its case does not change its length.
  const afterKeyword = instruction.text.trimStart().slice(keyword.length);
  const whole = logicalLines(afterKeyword, escape);
  const args = logicalLines(instruction.rawArgs, escape);
  const first = args[0] ?? '';
  const heredoc = args.length > 1 && /<<-?["']?[A-Za-z0-9_.-]/.test(first);
  const simpleHeredoc = heredoc && HEREDOC_MARKER.test(first.trim());

  let display = collapse(`${keyword} ${whole[0] ?? ''}`);
  if (simpleHeredoc) display = `${display} ${collapse(args[1] ?? '')} …`;

  const step: DockerfileStep = { keyword, stage, line, display: shorten(display), command: null, execCommand: null, heredoc, target: null };
  if (keyword === 'RUN') {
    const exec = first.trim().startsWith('[') ? parseJsonList(first.trim()) : null;
    if (exec !== null) step.execCommand = collapse(exec.join(' '));
    else step.command = collapse(simpleHeredoc ? (args[1] ?? '') : first);
  } else if (keyword === 'COPY' || keyword === 'ADD' || keyword === 'WORKDIR') {
    const target = keyword === 'WORKDIR' ? first.trim() : lastArgument(first);
    step.target = target === null ? null : normaliseTarget(target);
  }
  return step;
}

/**
 * The layer-making steps of the built stage, preceded by those of the stages it
 * is built FROM; null when it is not known which stage was built.
 */
function stepsOf(dockerfile: ParsedDockerfile): DockerfileStep[] | null {
  if (dockerfile.final === null || dockerfile.targetMissing) return null;
  return finalChain(dockerfile).flatMap((stage) =>
    stage.instructions
      .filter((instruction) => LAYER_KEYWORDS.has(instruction.keyword))
      .map((instruction) => stepOf(instruction, stage.name ?? `#${stage.index}`, dockerfile.escape))
  );
}

// ---------------------------------------------------------------------------
// Matching

function firstLine(text: string): string {
  return collapse(text.split('\n', 1)[0] ?? '');
}

/** The history's command equals the Dockerfile's, or is it run through a named shell. */
function sameCommand(history: string, dockerfile: string): boolean {
  if (history === dockerfile) return true;
  if (dockerfile === '' || !history.endsWith(` ${dockerfile}`)) return false;
  const prefix = history.slice(0, history.length - dockerfile.length - 1);
  return /(?:^|\s)(?:-c|\/C|-Command)$/i.test(prefix);
}

function sameTarget(history: string, target: string | null): boolean {
  if (target === null) return true;
  const text = trimSlashes(history);
  return text === target || text.endsWith(` ${target}`);
}

function matches(entry: ParsedCreatedBy, step: DockerfileStep): boolean {
  // An entry naming no keyword may be a RUN in exec form or under another SHELL.
  if (entry.keyword !== step.keyword && !(entry.keyword === null && step.keyword === 'RUN')) return false;
  switch (step.keyword) {
    case 'RUN': {
      if (step.execCommand !== null) return sameCommand(collapse(entry.body), step.execCommand);
      if (step.heredoc) {
        // BuildKit runs a heredoc that starts with a shebang from a file.
        return entry.body.startsWith('/dev/pipes/') || sameCommand(firstLine(entry.body), step.command ?? '');
      }
      return sameCommand(collapse(entry.body), step.command ?? '');
    }
    case 'COPY':
    case 'ADD':
      return step.heredoc || sameTarget(collapse(entry.body), step.target);
    case 'WORKDIR':
      return sameTarget(collapse(entry.body), step.target);
    default:
      return false;
  }
}

interface HistoryLayer {
  /** Index in `config.history`. */
  entry: number;
  parsed: ParsedCreatedBy;
  /** Marked `empty_layer`: the step made no layer. */
  empty: boolean;
  /** The layer it made; null when empty, or when the layers run out (counts disagree). */
  layer: number | null;
}

/**
 * The history entries with the layer each made. Entries with `empty_layer` make
 * none; the rest map 1:1, in order, to the layers, aligned from the top when the
 * counts disagree (surplus entries at the bottom get no layer).
 */
function historyLayers(config: ImageConfigJson, layerCount: number): HistoryLayer[] {
  const history = config.history ?? [];
  const layered = history.filter((entry) => entry.empty_layer !== true).length;
  let layer = layerCount - layered;
  return history.map((entry, index) => {
    const parsed = parseCreatedBy(entry.created_by ?? '');
    if (entry.empty_layer === true) return { entry: index, parsed, empty: true, layer: null };
    const own = layer >= 0 ? layer : null;
    layer += 1;
    return { entry: index, parsed, empty: false, layer: own };
  });
}

/**
 * One origin per layer (bottom to top): which Dockerfile line made it and whether
 * it belongs to the base image. `dockerfile` is the one the image was built from,
 * parsed with the build's args and target. With none (an image given by reference),
 * every layer has its history instruction and nothing else is known.
 */
export function layerOrigins(config: ImageConfigJson, layerCount: number, dockerfile: ParsedDockerfile | null): LayerOrigin[] {
  const entries = historyLayers(config, layerCount);
  const origins: LayerOrigin[] = Array.from({ length: layerCount }, () => ({ fromBase: null, instruction: null, line: null, stage: null }));
  for (const entry of entries) {
    if (entry.layer === null) continue;
    const text = collapse(entry.parsed.keyword === null ? entry.parsed.body : `${entry.parsed.keyword} ${entry.parsed.body}`);
    origins[entry.layer] = { fromBase: null, instruction: text === '' ? null : shorten(text), line: null, stage: null };
  }
  const steps = dockerfile === null ? null : stepsOf(dockerfile);
  if (steps === null) return origins;

  let next = steps.length - 1;
  let lowest = entries.length; // lowest history entry paired with the Dockerfile
  let complete = true;
  for (let at = entries.length - 1; at >= 0 && next >= 0; at--) {
    const entry = entries[at]!;
    const layerMaking = entry.parsed.keyword !== null && LAYER_KEYWORDS.has(entry.parsed.keyword);
    if (entry.empty && !layerMaking) continue; // ENV, CMD, LABEL…: no layer, no step
    while (next >= 0 && !matches(entry.parsed, steps[next]!) && steps[next]!.keyword === 'WORKDIR') next--;
    if (next < 0) break;
    const step = steps[next]!;
    if (!matches(entry.parsed, step)) {
      complete = false;
      break;
    }
    next--;
    lowest = at;
    if (entry.layer !== null) origins[entry.layer] = { fromBase: false, instruction: step.display, line: step.line, stage: step.stage };
  }
  while (next >= 0 && steps[next]!.keyword === 'WORKDIR') next--;
  if (next >= 0) complete = false;
  if (!complete) return origins;

  // Everything below the lowest paired entry is the base image's.
  const firstOwnLayer = entries.slice(lowest).find((entry) => entry.layer !== null)?.layer ?? layerCount;
  for (let layer = 0; layer < Math.min(firstOwnLayer, layerCount); layer++) origins[layer] = { ...origins[layer]!, fromBase: true, line: null };
  return origins;
}
