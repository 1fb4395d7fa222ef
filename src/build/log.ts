/** Reading build output: the part of a long log worth showing, and the line that says what went wrong. */

/** Longest single line kept in a tail; BuildKit can print whole scripts on one line. */
const MAX_LINE_CHARS = 400;

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and lone
// escapes; the classic builder colours RUN's stderr with them.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Removes terminal escape sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * Splits output into the lines a terminal would end up showing: escapes
 * removed, and for progress lines redrawn with `\r` only their last state.
 */
export function logLines(log: string): string[] {
  return stripAnsi(log)
    .split(/\r?\n/)
    .map((line) => {
      const redraws = line.split('\r');
      return (redraws.filter((part) => part.trim() !== '').pop() ?? '').trimEnd();
    });
}

function capLine(line: string, maxChars: number): string {
  return line.length <= maxChars ? line : `${line.slice(0, Math.max(0, maxChars - 1))}…`;
}

/**
 * The end of a build log, fit for a PR comment: at most `maxLines` lines and
 * `maxChars` characters (older lines are dropped first), escapes stripped and
 * each line capped, trailing blank lines removed.
 */
export function logTail(log: string, maxLines = 30, maxChars = 4000): string {
  const lines = logLines(log);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const lineCap = Math.min(MAX_LINE_CHARS, maxChars);
  const tail = lines.slice(Math.max(0, lines.length - maxLines)).map((line) => capLine(line, lineCap));
  let total = tail.reduce((sum, line) => sum + line.length, 0) + Math.max(0, tail.length - 1);
  while (tail.length > 1 && total > maxChars) {
    total -= tail.shift()!.length + 1;
  }
  while (tail.length > 0 && tail[0] === '') tail.shift();
  return tail.join('\n');
}

// What docker, BuildKit and common tools print when a step fails.
const ERROR_LINE =
  /\berror\b|\bfailed\b|\bfailure\b|returned a non-zero code|did not complete successfully|no such file|not found|denied|unable to|cannot|can't|fatal/i;

/** The last line that looks like an error, trimmed and capped, or null when none does. */
export function lastErrorLine(log: string, maxChars = 300): string | null {
  const lines = logLines(log);
  for (let index = lines.length - 1; index >= 0; index--) {
    const line = lines[index]!.trim();
    if (line !== '' && ERROR_LINE.test(line)) return capLine(line, maxChars);
  }
  return null;
}
