/**
 * Just enough shell to read a RUN: simple commands split at `&&`, `||`, `;`,
 * `|`, `&`, newlines and parentheses; words unquoted; leading `NAME=value`
 * assignments and wrappers (`sudo`, `env`, `exec`, ...) taken off the front.
 * Used by the size rules (through run-facts.ts) and by the base advice.
 */

export interface ShellCommand {
  words: string[];
  env: Record<string, string>;
}

const WRAPPERS = new Set(['sudo', 'env', 'exec', 'command', 'nohup', 'time', 'then', 'do', 'else', 'if', 'while', 'until', '!', '{', '}']);

/** Splits a shell script into the words of each simple command. */
export function splitCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let at = 0; at < script.length; at++) {
    const char = script[at]!;
    if (char === '\\') {
      const next = script[at + 1];
      if (next !== undefined && next !== '\n') {
        word += next;
        inWord = true;
      }
      at++;
    } else if (char === "'") {
      const close = script.indexOf("'", at + 1);
      const end = close === -1 ? script.length : close;
      word += script.slice(at + 1, end);
      inWord = true;
      at = end;
    } else if (char === '"') {
      let next = at + 1;
      for (; next < script.length && script[next] !== '"'; next++) {
        if (script[next] === '\\' && next + 1 < script.length) next++;
        word += script[next];
      }
      inWord = true;
      at = next;
    } else if (char === '#' && !inWord) {
      const newline = script.indexOf('\n', at);
      at = newline === -1 ? script.length : newline - 1;
    } else if (char === ' ' || char === '\t' || char === '\r') {
      endWord();
    } else if ('\n;|&()'.includes(char)) {
      if (char === '&' && (script[at - 1] === '>' || script[at + 1] === '>')) {
        word += char; // `2>&1`, `&>`: a redirection
        inWord = true;
      } else {
        endCommand();
      }
    } else {
      word += char;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

/** The simple commands of a script, each without its leading `NAME=value` assignments (kept in `env`) and wrappers. */
export function parseCommands(script: string): ShellCommand[] {
  const out: ShellCommand[] = [];
  for (const words of splitCommands(script)) {
    const env: Record<string, string> = {};
    let at = 0;
    for (; at < words.length; at++) {
      const word = words[at]!;
      const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
      if (assignment !== null) env[assignment[1]!] = assignment[2]!;
      else if (!WRAPPERS.has(word) && !(word.startsWith('-') && at > 0 && WRAPPERS.has(words[at - 1]!))) break;
    }
    if (at < words.length) out.push({ words: words.slice(at), env });
  }
  return out;
}

/** The program a command runs, without its folder: `/usr/bin/apt-get` → `apt-get`. */
export function programOf(command: ShellCommand): string {
  const first = command.words[0] ?? '';
  return first.slice(first.lastIndexOf('/') + 1);
}

/** The subcommand (first word that is not an option or an option's value) and what follows it. */
export function subcommand(words: string[], valued: ReadonlySet<string>): { name: string | null; rest: string[]; options: string[] } {
  const options: string[] = [];
  for (let at = 1; at < words.length; at++) {
    const word = words[at]!;
    if (word.startsWith('-')) {
      options.push(word);
      if (valued.has(word) && at + 1 < words.length) options.push(words[++at]!);
      continue;
    }
    return { name: word, rest: words.slice(at + 1), options };
  }
  return { name: null, rest: [], options };
}

/** Operands of a command's words: not options, not values of `valued` options, not redirections. */
export function operands(words: string[], valued: ReadonlySet<string>): { operands: string[]; options: string[]; values: Map<string, string> } {
  const out: string[] = [];
  const options: string[] = [];
  const values = new Map<string, string>();
  let onlyOperands = false;
  for (let at = 0; at < words.length; at++) {
    const word = words[at]!;
    if (onlyOperands) out.push(word);
    else if (word === '--') onlyOperands = true;
    else if (/^\d*[<>]/.test(word)) {
      if (/^\d*[<>]{1,2}&?$/.test(word)) at++;
    } else if (word.startsWith('-') && word.length > 1) {
      options.push(word);
      const equals = word.indexOf('=');
      if (equals !== -1) values.set(word.slice(0, equals), word.slice(equals + 1));
      else if (valued.has(word) && at + 1 < words.length) values.set(word, words[++at]!);
    } else out.push(word);
  }
  return { operands: out, options, values };
}
