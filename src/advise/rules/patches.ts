/**
 * A size rule's fix as an edit of the lines of the RUN(s) it names (a finding's
 * `patch`): the RUN's shell script read together with where each word is written,
 * so that a flag goes in right after a word, a command is appended or dropped, or
 * consecutive RUNs are joined, and every other byte stays as written. Each edit is
 * checked by parsing the edited text again: it must read as one RUN whose words
 * are the old ones with exactly that change, and whose facts satisfy the rule;
 * otherwise there is no patch. Exec form, heredocs, shell comments and quoting
 * that cannot be read safely give no patch either. Pure.
 */
import { parseDockerfile, type Instruction } from '../../dockerfile/parse.js';
import type { Patch } from '../../model/report.js';
import { stepsOf, type RunFacts, type Step } from '../run-facts.js';
import { parseCommands, splitCommands } from '../shell.js';
import type { RuleContext } from './rule.js';

/** A word of a RUN's script and where it is written. */
export interface Word {
  /** As the shell reads it: quotes and escapes taken off. */
  value: string;
  /** Offsets in the RUN's text (line breaks as `\n`): its first character and just after its last. */
  start: number;
  end: number;
  /** Written in one piece of plain characters: no quote, escape, expansion or line break. */
  plain: boolean;
  /** Starts with an expansion (`$X`, `"$X"`, `` `cmd` ``): it may stand for options. */
  expands: boolean;
  /** Its index in the script's tokens. */
  token: number;
}

/** A simple command of the script, between operators. */
export interface Command {
  words: Word[];
  /** The operator before it (`&&`, `;`, `(`, ...); '' at the start. */
  before: string;
  /** The operator after it, its index in the tokens; '' and -1 at the end. */
  after: string;
  afterToken: number;
  /** Depth inside `( )` subshells; 0 at the top. */
  depth: number;
}

export interface Script {
  /** The RUN's text as written, line breaks as `\n`. */
  text: string;
  /** Where the arguments (after keyword and flags) start in `text`. */
  argsStart: number;
  /** Just after the script's last character. */
  end: number;
  commands: Command[];
  /** Words as `w:value` and operators as `o:&&`, in order: what an edit must change and nothing else. */
  tokens: string[];
  /** A shell comment (`# ...`) ends the script: anything joined after it would be commented out. */
  comment: boolean;
  /** It ends in an operator that `&& more` cannot follow (`&&`, `|`, `;`, `&`). */
  openEnd: boolean;
}

/** A change of the RUN's text and of its tokens. */
export interface Edit {
  start: number;
  end: number;
  text: string;
  /** Tokens removed. */
  drop?: number[];
  /** Tokens added after token `after` (-1: at the start, the token count: at the end). */
  after?: number;
  add?: string[];
}

const escapeRegex = (text: string) => text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/** The script as the shell gets it: continuations joined, comment and empty lines inside them dropped (as Docker does). */
function logicalLine(text: string, from: number, escape: string): { chars: string; at: number[] } | null {
  const continued = new RegExp(`${escapeRegex(escape)}[ \\t]*$`);
  let chars = '';
  const at: number[] = [];
  for (let start = from, first = true; start <= text.length; first = false) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    const line = text.slice(start, end);
    if (first || (line.trim() !== '' && !/^\s*#/.test(line))) {
      const match = continued.exec(line);
      const content = match === null ? line : line.slice(0, match.index);
      for (let index = 0; index < content.length; index++) at.push(start + index);
      chars += content;
      // Anything after the line that ends the script (a heredoc body) is not read here.
      if (match === null) return end === text.length ? { chars, at } : null;
    }
    start = end + 1;
  }
  return null;
}

interface Lexed {
  words: Array<Omit<Word, 'start' | 'end'> & { from: number; to: number }>;
  tokens: string[];
  commands: Array<{ words: number[]; before: string; after: string; afterToken: number; depth: number }>;
  comment: boolean;
  /** Just after the last word or operator. */
  end: number;
}

/** One piece of a word from `at`: a character, an escape, a quoted string, a command substitution; null when it is not closed. */
function wordPart(chars: string, at: number): { value: string; end: number } | null {
  const char = chars[at]!;
  if (char === '\\') return { value: chars[at + 1] ?? '', end: at + 2 };
  if (char === "'" || char === '`') {
    const close = chars.indexOf(char, at + 1);
    if (close === -1) return null;
    return { value: char === '`' ? chars.slice(at, close + 1) : chars.slice(at + 1, close), end: close + 1 };
  }
  if (char === '"') {
    let value = '';
    let next = at + 1;
    for (; next < chars.length && chars[next] !== '"'; next++) {
      if (chars[next] === '\\' && next + 1 < chars.length) next++;
      value += chars[next];
    }
    return next < chars.length ? { value, end: next + 1 } : null;
  }
  if (chars.startsWith('$(', at)) {
    // A command substitution is part of the word, however many words it holds.
    let nested = 0;
    for (let next = at + 1; next < chars.length; next++) {
      if (chars[next] === '(') nested++;
      if (chars[next] === ')' && --nested === 0) return { value: chars.slice(at, next + 1), end: next + 1 };
    }
    return null;
  }
  return { value: char, end: at + 1 };
}

/** The words and operators of a one-line script, like shell.ts's splitCommands, with where each word is; null when a quote is not closed. */
function lex(chars: string): Lexed | null {
  const out: Lexed = { words: [], tokens: [], commands: [], comment: false, end: 0 };
  let word: Lexed['words'][number] | null = null;
  let current: number[] = [];
  let before = '';
  let depth = 0;
  let commandDepth = 0;
  const endWord = (at: number) => {
    if (word === null) return;
    word.to = at;
    current.push(out.words.length);
    out.words.push(word);
    out.tokens.push(`w:${word.value}`);
    word = null;
  };
  const endCommand = (after: string) => {
    if (current.length > 0)
      out.commands.push({ words: current, before, after, afterToken: after === '' ? -1 : out.tokens.length, depth: commandDepth });
    current = [];
    before = after;
  };
  for (let at = 0; at < chars.length;) {
    const char = chars[at]!;
    if (char === ' ' || char === '\t' || char === '\r') {
      endWord(at++);
      continue;
    }
    if (char === '#' && word === null) {
      out.comment = true;
      break;
    }
    if ('&|;()\n'.includes(char) && !(char === '&' && (chars[at - 1] === '>' || chars[at + 1] === '>'))) {
      endWord(at);
      const pair = chars.slice(at, at + 2);
      const op = ['&&', '||', ';;'].includes(pair) ? pair : char;
      endCommand(op);
      out.tokens.push(`o:${op}`);
      if (op === '(') depth++;
      if (op === ')') depth--;
      commandDepth = depth;
      at += op.length;
      out.end = at;
      continue;
    }
    word ??= {
      value: '',
      from: at,
      to: at,
      plain: true,
      expands: char === '$' || char === '`' || chars.startsWith('"$', at),
      token: out.tokens.length
    };
    const next = wordPart(chars, at);
    if (next === null) return null;
    word.value += next.value;
    // Anything but a plain character (quotes, escapes, expansions) is not plain.
    if (next.end !== at + 1 || char === '$') word.plain = false;
    at = next.end;
    out.end = at;
  }
  endWord(chars.length);
  endCommand('');
  return out;
}

/** The shell form script of a RUN with where its words are; null for exec form, a heredoc, or a script this reader does not follow. */
export function scriptOf(instruction: Instruction, escape: string): Script | null {
  if (instruction.keyword !== 'RUN' || instruction.heredocs.length > 0) return null;
  try {
    const words: unknown = JSON.parse(instruction.args.trim());
    if (Array.isArray(words) && words.every((word) => typeof word === 'string')) return null;
  } catch {
    // not JSON: the shell form
  }
  const text = instruction.text.replace(/\r\n?/g, '\n');
  const raw = instruction.rawArgs.replace(/\r\n?/g, '\n').trimEnd();
  const argsStart = text.trimEnd().length - raw.length;
  if (raw === '' || argsStart <= 0 || text.slice(argsStart, argsStart + raw.length) !== raw) return null;
  const line = logicalLine(text.slice(0, argsStart + raw.length), argsStart, escape);
  if (line === null) return null;
  // Read the same commands as the rules do (shell.ts on the parser's arguments), or edit nothing.
  if (JSON.stringify(splitCommands(line.chars)) !== JSON.stringify(splitCommands(instruction.args))) return null;
  const lexed = lex(line.chars);
  if (lexed === null || lexed.words.length === 0) return null;
  const words: Word[] = lexed.words.map(({ from, to, ...word }) => {
    const start = line.at[from]!;
    const end = line.at[to - 1]! + 1;
    return { ...word, start, end, plain: word.plain && end - start === to - from };
  });
  const lastToken = lexed.tokens.at(-1)!;
  return {
    text,
    argsStart,
    end: line.at[lexed.end - 1]! + 1,
    commands: lexed.commands.map((command) => ({ ...command, words: command.words.map((index) => words[index]!) })),
    tokens: lexed.tokens,
    comment: lexed.comment,
    openEnd: lastToken.startsWith('o:') && lastToken !== 'o:)'
  };
}

/** The index of the program word: after leading `NAME=value` assignments and wrappers (`sudo`, `env`, ...), as shell.ts reads them. */
export function programAt(command: Command): number {
  const quoted = command.words.map((word) => `'${word.value.replace(/'/g, `'\\''`)}'`).join(' ');
  const [parsed] = parseCommands(quoted);
  return parsed === undefined ? command.words.length : command.words.length - parsed.words.length;
}

/** `NAME=value` assignments in front of the command's program. */
export function envOf(command: Command): Record<string, string> {
  const env: Record<string, string> = {};
  for (const word of command.words.slice(0, programAt(command))) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word.value);
    if (match !== null) env[match[1]!] = match[2]!;
  }
  return env;
}

/**
 * The subcommand word `name` right after the words from `from` on (options, and the values of `valued` options), or
 * null. `'unsafe'` when a word from there on may stand for options (`$FLAGS`): what it holds is not known.
 */
export function subcommandWord(command: Command, from: number, name: string, valued: ReadonlySet<string>): Word | 'unsafe' | null {
  const { words } = command;
  let at = from;
  while (at < words.length && words[at]!.value.startsWith('-')) at += valued.has(words[at]!.value) ? 2 : 1;
  const word = words[at];
  if (word === undefined || word.value !== name) return null;
  for (let index = from; index < words.length; index++) {
    if (words[index]!.expands && !valued.has(words[index - 1]?.value ?? '')) return 'unsafe';
  }
  return word;
}

/** An option of the command from word `from` on: exactly `flag`, or `flag=...`. */
export function hasOption(command: Command, from: number, flag: string): boolean {
  return command.words.slice(from).some((word) => word.value === flag || word.value.startsWith(`${flag}=`));
}

/** The basename of the command's program word, or ''. */
export function programName(command: Command): string {
  const value = command.words[programAt(command)]?.value ?? '';
  return value.slice(value.lastIndexOf('/') + 1);
}

const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'for', 'case', 'esac', '{', '}', '!']);
const LEAVES = new Set(['exit', 'exec', 'return']);
const KEEPS = new Set(['cd', 'pushd', 'popd', 'export', 'set', 'unset', 'umask', 'source', '.', 'alias', 'unalias', 'shopt', 'trap', 'ulimit']);
const KEEPS_TOO = new Set(['readonly', 'declare', 'typeset', 'local', 'shift', 'eval', 'hash']);

/** What a top-level command does to the rest of the script: ends it (`exit`, `exec`), or changes the shell it runs in (`cd`, `export`, `A=1`). */
function effectOf(command: Command): 'leaves' | 'keeps' | null {
  if (command.depth > 0) return null;
  const words = command.words.filter((word) => !RESERVED.has(word.value));
  const first = words.find((word) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word.value));
  if (first === undefined) return words.length > 0 ? 'keeps' : null;
  if (LEAVES.has(first.value)) return 'leaves';
  return KEEPS.has(first.value) || KEEPS_TOO.has(first.value) ? 'keeps' : null;
}

/** True unless a SHELL before `line` runs RUNs with something other than a POSIX shell (`&&` and these words would not hold). */
function posixShell(steps: readonly Step[], line: number): boolean {
  const shell = steps.filter((step) => step.instruction.keyword === 'SHELL' && step.instruction.line < line).at(-1);
  if (shell === undefined) return true;
  try {
    const words: unknown = JSON.parse(shell.instruction.args.trim());
    return Array.isArray(words) && typeof words[0] === 'string' && /(?:^|\/)(?:ba|da|a|z|k|mk)?sh$/.test(words[0]);
  } catch {
    return false;
  }
}

/** The edited text read back as one RUN: its script and facts; null when it is not exactly one RUN on those lines. */
function reread(text: string, escape: string): { script: Script; facts: RunFacts } | null {
  const parsed = parseDockerfile(`# escape=${escape}\nFROM scratch\n${text}\n`);
  const instructions = parsed.stages[0]?.instructions ?? [];
  const run = instructions[0];
  const lines = text.split('\n').length;
  if (parsed.problems.length > 0 || instructions.length !== 1 || run === undefined || run.line !== 3 || run.endLine !== lines + 2) return null;
  const script = scriptOf(run, escape);
  const facts = stepsOf(parsed)[0]?.facts ?? null;
  return script === null || facts === null ? null : { script, facts };
}

/** The tokens after the edits. */
function editedTokens(tokens: readonly string[], edits: readonly Edit[]): string[] {
  const dropped = new Set(edits.flatMap((edit) => edit.drop ?? []));
  const added = (after: number) => edits.filter((edit) => edit.after === after).flatMap((edit) => edit.add ?? []);
  return [...added(-1), ...tokens.flatMap((token, index) => [...(dropped.has(index) ? [] : [token]), ...added(index)])];
}

/** The RUN with the edits made, as a patch of its lines; null unless it reads back as intended and `accept` its facts. */
export function patchOf(
  instruction: Instruction,
  escape: string,
  script: Script,
  edits: readonly Edit[],
  accept: (facts: RunFacts) => boolean
): Patch | null {
  if (edits.length === 0) return null;
  const sorted = [...edits].sort((a, b) => b.start - a.start);
  if (sorted.some((edit, index) => index > 0 && edit.end > sorted[index - 1]!.start)) return null;
  const text = sorted.reduce((out, edit) => out.slice(0, edit.start) + edit.text + out.slice(edit.end), script.text).replace(/[ \t]+$/, '');
  const back = reread(text, escape);
  if (back === null || !accept(back.facts)) return null;
  if (JSON.stringify(back.script.tokens) !== JSON.stringify(editedTokens(script.tokens, edits))) return null;
  return { line: instruction.line, endLine: instruction.endLine, text };
}

/** The script of a RUN that a patch may edit: shell form, a POSIX shell; null otherwise. */
export function editableScript(context: RuleContext, instruction: Instruction): Script | null {
  return posixShell(context.steps, instruction.line) ? scriptOf(instruction, context.dockerfile.escape) : null;
}

/** `text` joined after the script's last command, on a new continued line when the RUN has several lines. */
function appendEdit(script: Script, escape: string, text: string): Edit {
  const { end } = script;
  // Indented like the last continued line that starts with an operator (`    && ...`), else by four spaces.
  const operatorLines = script.text
    .slice(0, end)
    .split('\n')
    .slice(1)
    .filter((line) => /^[ \t]*(?:&&|\|\||;)/.test(line));
  const indent = /^[ \t]*/.exec(operatorLines.at(-1) ?? '    ')![0];
  const joint = script.text.includes('\n') ? ` ${escape}\n${indent}&& ` : ' && ';
  return { start: end, end, text: joint + text, after: script.tokens.length - 1, add: ['o:&&', ...(lex(text)?.tokens ?? [])] };
}

/** The RUN with ` && <command>` at the end of its script; null when that cannot be done safely. */
export function appendPatch(context: RuleContext, instruction: Instruction, command: string, accept: (facts: RunFacts) => boolean): Patch | null {
  const script = editableScript(context, instruction);
  if (script === null || script.comment || script.openEnd || script.commands.some((each) => effectOf(each) === 'leaves')) return null;
  return patchOf(instruction, context.dockerfile.escape, script, [appendEdit(script, context.dockerfile.escape, command)], accept);
}

/** ` <flag>` right after a word. */
export function insertEdit(word: Word, flag: string): Edit {
  return { start: word.end, end: word.end, text: ` ${flag}`, after: word.token, add: [`w:${flag}`] };
}

/**
 * Consecutive RUNs (nothing else on the lines between them but comments and blank lines) as one:
 * `RUN <first> \` then `    && <next>` for each further one. Null when they do not share their flags, or
 * joining would change what a script does: an earlier one ends the shell or changes it (`cd`, `export`), or a
 * later one has `||`, `;` or `&` at its top that `&&` in front would bind differently.
 */
export function joinPatch(context: RuleContext, runs: readonly Instruction[]): Patch | null {
  const { escape } = context.dockerfile;
  const scripts = runs.map((run) => editableScript(context, run));
  if (runs.length < 2 || scripts.some((script) => script === null || script.comment || script.openEnd)) return null;
  const ready = scripts as Script[];
  const flagsOf = (script: Script) =>
    script.text
      .slice(0, script.argsStart)
      .replace(/^\S+/, '')
      .replace(new RegExp(`${escapeRegex(escape)}[ \\t]*\\n`, 'g'), ' ')
      .replace(/\s+/g, ' ')
      .trim();
  if (new Set(ready.map(flagsOf)).size !== 1) return null;
  const unsafe = ready.some((script, index) =>
    script.commands.some(
      (command) =>
        (index < ready.length - 1 && effectOf(command) !== null) ||
        (index > 0 && command.depth === 0 && ['||', ';', '&', ';;'].includes(command.after))
    )
  );
  if (unsafe) return null;
  const [first, ...rest] = ready;
  const text =
    first!.text.slice(0, first!.end) + rest.map((script) => ` ${escape}\n    && ${script.text.slice(script.argsStart, script.end)}`).join('');
  const back = reread(text, escape);
  const expected = ready.flatMap((script, index) => [...(index > 0 ? ['o:&&'] : []), ...script.tokens]);
  if (back === null || JSON.stringify(back.script.tokens) !== JSON.stringify(expected)) return null;
  return { line: runs[0]!.line, endLine: runs.at(-1)!.endLine, text };
}

/**
 * ` <flag>` right after the word `find` picks in each command that needs it (null: none in that command;
 * `'unsafe'`: no patch at all), checked by `accept` on the edited RUN's facts.
 */
export function flagPatch(
  context: RuleContext,
  instruction: Instruction,
  flag: string,
  find: (command: Command) => Word | 'unsafe' | null,
  accept: (facts: RunFacts) => boolean
): Patch | null {
  const script = editableScript(context, instruction);
  if (script === null) return null;
  const edits: Edit[] = [];
  for (const command of script.commands) {
    const word = find(command);
    if (word === 'unsafe' || (word !== null && !word.plain)) return null;
    if (word !== null) edits.push(insertEdit(word, flag));
  }
  return patchOf(instruction, context.dockerfile.escape, script, edits, accept);
}
