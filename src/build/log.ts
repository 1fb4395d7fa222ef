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

// BuildKit's plain progress: `#5 [2/2] COPY x /x` names a step, `#5 ERROR: ...` says why it failed,
// `#5 0.123 text` is what its command printed.
const BUILDKIT_STEP = /^#(\d+) (\[.*)$/;
const BUILDKIT_ERROR = /^#(\d+) ERROR: (.+)$/;
const BUILDKIT_OUTPUT = /^#(\d+) \d+\.\d+ (.*\S.*)$/;
// buildx and the docker CLI end a failed build with `ERROR: ...` or `error: ...`.
const CLI_ERROR = /^(?:ERROR|error): (.+)$/;
// Lines the docker CLI prints around the reason that say nothing about it.
const NOISE = /^(DEPRECATED:|Install the buildx component|https?:\/\/docs\.docker\.com|View build details:|-{3,}$|See '.*--help'|Run '.*--help')/;

/**
 * The engine's own reason a build failed, in one line: for BuildKit the step and its `ERROR:`
 * (with the last line a failing RUN printed), else the CLI's final `ERROR:`/`error:` line, else the
 * last line of the command's stderr (where the classic builder says what went wrong: a base image that
 * cannot be pulled, a COPY source that is missing, a RUN's exit code), else the last error-like line.
 */
export function buildFailureReason(log: string, stderr = '', maxChars = 400): string | null {
  const lines = logLines(log).map((line) => line.trim());
  for (let index = lines.length - 1; index >= 0; index--) {
    const error = BUILDKIT_ERROR.exec(lines[index]!);
    if (!error) continue;
    const [, step, reason] = error as unknown as [string, string, string];
    const name = lines.map((line) => BUILDKIT_STEP.exec(line)).find((match) => match?.[1] === step)?.[2];
    const output = lines
      .slice(0, index)
      .map((line) => BUILDKIT_OUTPUT.exec(line))
      .filter((match) => match?.[1] === step)
      .pop()?.[2]
      ?.trim();
    const printed = output && /did not complete successfully|executor failed running/.test(reason) ? ` (its last output: ${output})` : '';
    return capLine(`${name ? `${name}: ` : ''}${reason}${printed}`, maxChars);
  }
  for (let index = lines.length - 1; index >= 0; index--) {
    const error = CLI_ERROR.exec(lines[index]!);
    if (error && !/buildx component is missing/.test(error[1]!)) return capLine(error[1]!, maxChars);
  }
  const last = logLines(stderr)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !NOISE.test(line))
    .pop();
  return last ? capLine(last, maxChars) : lastErrorLine(log, maxChars);
}

// The classic builder announces each step as `Step 3/5 : RUN make`.
const CLASSIC_STEP = /^Step \d+\/\d+ : (.+)$/;
// BuildKit's step names: `[2/3] RUN make`, `[build 2/3] RUN make`, `[internal] load …` (not a Dockerfile step).
const BUILDKIT_STEP_TEXT = /^\[(?:[^\]\s]+ )?\d+\/\d+\] (.+)$/;

/**
 * The Dockerfile instruction a failed build stopped at, as the builder printed it (`RUN make`): for BuildKit the
 * step of the last `ERROR:`, else the classic builder's last `Step N/M`. Null when the log names none.
 */
export function failedStepText(log: string): string | null {
  const lines = logLines(log).map((line) => line.trim());
  for (let index = lines.length - 1; index >= 0; index--) {
    const error = BUILDKIT_ERROR.exec(lines[index]!);
    if (!error) continue;
    const name = lines.map((line) => BUILDKIT_STEP.exec(line)).find((match) => match?.[1] === error[1])?.[2];
    const step = name === undefined ? null : BUILDKIT_STEP_TEXT.exec(name);
    if (step) return step[1]!;
  }
  for (let index = lines.length - 1; index >= 0; index--) {
    const step = CLASSIC_STEP.exec(lines[index]!);
    if (step) return step[1]!;
  }
  return null;
}

// Lines the classic builder prints around a step's own output.
const CLASSIC_NOISE = /^(?:---> |Removing intermediate container|The command .* returned a non-zero code|Step \d+\/\d+ : )/;

/** The last line a failed step printed itself (`/bin/sh: 1: make: not found`), for BuildKit and the classic builder; null when none. */
export function failedStepOutput(log: string, maxChars = 300): string | null {
  const lines = logLines(log).map((line) => line.trim());
  for (let index = lines.length - 1; index >= 0; index--) {
    const error = BUILDKIT_ERROR.exec(lines[index]!);
    if (!error) continue;
    const output = lines
      .slice(0, index)
      .map((line) => BUILDKIT_OUTPUT.exec(line))
      .filter((match) => match?.[1] === error[1])
      .pop()?.[2]
      ?.trim();
    return output ? capLine(output, maxChars) : null;
  }
  const step = lines.findLastIndex((line) => CLASSIC_STEP.test(line));
  if (step === -1) return null;
  const printed = lines.slice(step + 1).filter((line) => line !== '' && !CLASSIC_NOISE.test(line) && !NOISE.test(line));
  return printed.length === 0 ? null : capLine(printed.at(-1)!, maxChars);
}
