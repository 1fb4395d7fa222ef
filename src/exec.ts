import { PassThrough, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { execa, type Result } from 'execa';

export interface ExecOptions {
  cwd?: string;
  /** Extra environment variables; the rest of the process environment is inherited unless `cleanEnv`. */
  env?: Record<string, string | undefined>;
  /**
   * Start from an empty environment plus what the tool needs (see `cleanEnvironment`; the tool is told by the
   * command's name: git, or else docker), so secrets never reach child processes.
   */
  cleanEnv?: boolean;
  input?: string;
  /** Called with each line of stdout and stderr as it arrives (progress, build logs). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  /** A cleanup command (removing what a cancelled run made): still runs after `stopCommands`. */
  cleanup?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as a terminal would show them. */
  all: string;
  /** Set when the command could not be started (not found, timed out, killed). */
  failure: string | null;
}

/** Runs a command with an argument array (never a shell string) and never throws for a non-zero exit. */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** A tool footprint runs with a clean environment; each gets only the variables it needs. */
export type Tool = 'docker' | 'git';

/** Locale, home, temp folder, proxies and CA bundles: what any of the tools may need. */
const COMMON_ENV =
  /^(PATH|HOME|USER|LANG|LANGUAGE|LC_[A-Z]+|TMPDIR|TZ|XDG_[A-Z_]+|SSH_AUTH_SOCK|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SSL_CERT_(FILE|DIR))$/;

/** Per tool, on top of the common ones: docker's own settings for docker, the transport settings of git for git. */
const TOOL_ENV: Record<Tool, RegExp> = {
  docker: /^(DOCKER|BUILDKIT|BUILDX)_[A-Z0-9_]+$/,
  git: /^GIT_(SSH|SSH_COMMAND|SSH_VARIANT|CONFIG_GLOBAL|CONFIG_SYSTEM|CONFIG_NOSYSTEM|EXEC_PATH|SSL_CAINFO|SSL_CAPATH|SSL_NO_VERIFY|PROXY_COMMAND|PROXY_SSL_CAINFO|TRACE[A-Z_]*|CURL_VERBOSE|HTTP_LOW_SPEED_LIMIT|HTTP_LOW_SPEED_TIME)$/
};

/** Names that may carry a credential (DOCKER_AUTH_CONFIG, GITHUB_TOKEN, ..._PASSWORD, ..._KEY); SSH_AUTH_SOCK only names the agent's socket. */
const CREDENTIAL_NAME = /AUTH|CREDENTIAL|KEY|TOKEN|SECRET|PASS/i;

/** The tool a command is: git's allowlist for `git`, docker's for anything else (docker, a docker wrapper). */
export function toolOf(file: string): Tool {
  return /(^|[\\/])git(\.exe)?$/i.test(file) ? 'git' : 'docker';
}

/**
 * The environment `tool` may see: the common variables and its own, never a name that could carry a
 * credential (GITHUB_TOKEN, INPUT_GITHUB-TOKEN, ACTIONS_RUNTIME_TOKEN, DOCKER_AUTH_CONFIG, GIT_ASKPASS, ...).
 * git never sees DOCKER_*, docker never sees GIT_*.
 */
export function cleanEnvironment(tool: Tool, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || !(COMMON_ENV.test(key) || TOOL_ENV[tool].test(key))) continue;
    if (key !== 'SSH_AUTH_SOCK' && CREDENTIAL_NAME.test(key)) continue;
    out[key] = value;
  }
  return out;
}

/** What a streamed command left once it exited: its exit code, its stderr, and why it did not run to the end. */
export type StreamExit = Pick<ExecResult, 'exitCode' | 'stderr' | 'failure'>;

/** A command whose stdout is read as it writes, never buffered (`docker save`). */
export interface StreamingCommand {
  stdout: Readable;
  /** Stops the command: a reader that gives up early must, or the command blocks on a full pipe. */
  kill(): void;
  /** Settles when the command has exited; never rejects. */
  exited: Promise<StreamExit>;
}

/** Starts a command with an argument array, stdin closed and stdout streamed; stderr is kept for the exit. */
export type ExecStream = (file: string, args: readonly string[], options?: Pick<ExecOptions, 'cwd' | 'env' | 'cleanEnv'>) => StreamingCommand;

/** The child's environment: with `cleanEnv` only the safe variables, else the inherited ones; `env` on top. */
function environment(file: string, options: Pick<ExecOptions, 'env' | 'cleanEnv'>): { env: ExecOptions['env']; extendEnv: boolean } {
  return { env: options.cleanEnv ? { ...cleanEnvironment(toolOf(file)), ...options.env } : options.env, extendEnv: !options.cleanEnv };
}

/** Why a command did not run to its own exit (not found, timed out, killed); null when it did. */
function failureOf(result: Result): string | null {
  const notStarted = result.failed && result.exitCode === undefined;
  return notStarted || result.timedOut || result.isTerminated ? (result.shortMessage ?? 'command failed') : null;
}

/** Aborted by `stopCommands`: the run is cancelled, and only cleanup commands may still start. */
const stopping = new AbortController();
/** The commands running now, so that a cancelled run can stop them and wait for them. */
const running = new Set<Promise<unknown>>();

/** Options that let a cancelled run stop a command: every command but a cleanup one. */
function cancellation(options: Pick<ExecOptions, 'cleanup'>): { cancelSignal?: AbortSignal; forceKillAfterDelay?: number } {
  // SIGKILL soon after SIGTERM: the runner itself kills the job 2.5 s after its SIGTERM.
  return options.cleanup ? {} : { cancelSignal: stopping.signal, forceKillAfterDelay: 1500 };
}

/** Remembers a running command until it has exited. */
function watch(subprocess: Promise<unknown>): void {
  const settled = subprocess.then(
    () => undefined,
    () => undefined
  );
  running.add(settled);
  void settled.then(() => running.delete(settled));
}

/** A promise that never settles: what a command asked for after the run was cancelled gets (the process is ending). */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/** Stops every running command but cleanup ones, refuses new ones, and settles when they have exited. */
export async function stopCommands(): Promise<void> {
  stopping.abort();
  await Promise.all([...running]);
}

/**
 * Output kept in memory per stream: the last 8 MiB. A build may print gigabytes; every line still
 * reaches `onLine`, but only the end of the output (where the error is) is kept for the result.
 */
export const OUTPUT_TAIL_BYTES = 8 * 1024 * 1024;
/** A line longer than this reaches `onLine` cut to this length, with `…`; the rest of it is skipped. */
export const MAX_LINE_CHARS = 64 * 1024;

/** The last `limit` bytes of what was appended, in bounded memory. */
class Tail {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private dropped = false;
  constructor(private readonly limit: number) {}

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes > 2 * this.limit) this.trim();
  }

  private trim(): void {
    const all = Buffer.concat(this.chunks);
    this.chunks = [all.subarray(all.length - this.limit)];
    this.bytes = this.limit;
    this.dropped = true;
  }

  text(): string {
    if (this.bytes > this.limit) this.trim();
    const text = Buffer.concat(this.chunks).toString('utf8');
    // A character cut in half at the start of a trimmed tail decodes to U+FFFD.
    return this.dropped ? text.replace(/^\uFFFD+/, '') : text;
  }
}

/** Splits a stream into lines for `onLine`, decoding UTF-8 across chunks; an overlong line is cut, not buffered. */
function lineSplitter(onLine: (line: string) => void): { write(chunk: Buffer): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  const take = (text: string): void => {
    const lines = text.split('\n');
    const last = lines.pop() ?? '';
    for (const line of lines) {
      if (skipping) skipping = false;
      else onLine((pending + line).replace(/\r$/, ''));
      pending = '';
    }
    if (skipping) return;
    pending += last;
    if (pending.length > MAX_LINE_CHARS) {
      onLine(`${pending.slice(0, MAX_LINE_CHARS)}…`);
      pending = '';
      skipping = true;
    }
  };
  return {
    write: (chunk) => take(decoder.write(chunk)),
    end: () => {
      take(decoder.end());
      if (pending && !skipping) onLine(pending.replace(/\r$/, ''));
      pending = '';
    }
  };
}

export const exec: Exec = async (file, args, options = {}) => {
  if (stopping.signal.aborted && !options.cleanup) return never();
  const subprocess = execa(file, [...args], {
    ...cancellation(options),
    cwd: options.cwd,
    ...environment(file, options),
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    // Output is collected here, in bounded tails: execa's own buffer would hold all of it (and stop at a limit).
    buffer: false,
    reject: false,
    timeout: options.timeoutMs
  });
  watch(subprocess);
  const stdout = new Tail(OUTPUT_TAIL_BYTES);
  const stderr = new Tail(OUTPUT_TAIL_BYTES);
  const all = new Tail(OUTPUT_TAIL_BYTES);
  const streams = [
    { stream: subprocess.stdout, tail: stdout },
    { stream: subprocess.stderr, tail: stderr }
  ];
  const done = streams.map(({ stream, tail }) => {
    const lines = options.onLine ? lineSplitter(options.onLine) : null;
    stream.on('data', (chunk: Buffer) => {
      tail.append(chunk);
      all.append(chunk);
      lines?.write(chunk);
    });
    return new Promise<void>((resolve) => {
      stream.once('end', () => {
        lines?.end();
        resolve();
      });
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
  });
  const result = await subprocess;
  await Promise.all(done);
  return {
    exitCode: result.exitCode ?? -1,
    stdout: trimFinalNewline(stdout.text()),
    stderr: trimFinalNewline(stderr.text()),
    all: trimFinalNewline(all.text()),
    failure: failureOf(result)
  };
};

function trimFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

export const execStream: ExecStream = (file, args, options = {}) => {
  if (stopping.signal.aborted) return { stdout: new PassThrough(), kill: () => undefined, exited: never() };
  const subprocess = execa(file, [...args], {
    ...cancellation({}),
    cwd: options.cwd,
    ...environment(file, options),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: { stdout: false, stderr: true },
    reject: false
  });
  watch(subprocess);
  return {
    stdout: subprocess.stdout,
    kill: () => {
      subprocess.kill();
    },
    exited: subprocess.then((result) => ({ exitCode: result.exitCode ?? -1, stderr: String(result.stderr ?? ''), failure: failureOf(result) }))
  };
};
