import type { Readable } from 'node:stream';
import { execa, type Result } from 'execa';

export interface ExecOptions {
  cwd?: string;
  /** Extra environment variables; the rest of the process environment is inherited unless `cleanEnv`. */
  env?: Record<string, string | undefined>;
  /** Start from an empty environment plus PATH/HOME/DOCKER_* (so secrets never reach child processes). */
  cleanEnv?: boolean;
  input?: string;
  /** Called with each line of stdout and stderr as it arrives (progress, build logs). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
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

/** Environment variables a child may see when `cleanEnv` is set: enough for docker and git, no tokens. */
const SAFE_ENV =
  /^(PATH|HOME|USER|LANG|LC_[A-Z]+|TMPDIR|TZ|DOCKER_[A-Z_]+|BUILDKIT_[A-Z_]+|BUILDX_[A-Z_]+|XDG_[A-Z_]+|SSH_AUTH_SOCK|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy|GIT_[A-Z_]+)$/;

/** Drops everything that could carry a secret (GITHUB_TOKEN, INPUT_GITHUB-TOKEN, ACTIONS_RUNTIME_TOKEN, ...). */
function safeEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && SAFE_ENV.test(key) && !/TOKEN|SECRET|PASSWORD/i.test(key)) out[key] = value;
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
function environment(options: Pick<ExecOptions, 'env' | 'cleanEnv'>): { env: ExecOptions['env']; extendEnv: boolean } {
  return { env: options.cleanEnv ? { ...safeEnvironment(), ...options.env } : options.env, extendEnv: !options.cleanEnv };
}

/** Why a command did not run to its own exit (not found, timed out, killed); null when it did. */
function failureOf(result: Result): string | null {
  const notStarted = result.failed && result.exitCode === undefined;
  return notStarted || result.timedOut || result.isTerminated ? (result.shortMessage ?? 'command failed') : null;
}

export const exec: Exec = async (file, args, options = {}) => {
  const subprocess = execa(file, [...args], {
    cwd: options.cwd,
    ...environment(options),
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    reject: false,
    all: true,
    stripFinalNewline: true,
    timeout: options.timeoutMs,
    lines: false,
    maxBuffer: 256 * 1024 * 1024
  });
  if (options.onLine) {
    const onLine = options.onLine;
    let pending = '';
    subprocess.all?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    subprocess.all?.on('end', () => {
      if (pending) onLine(pending);
    });
  }
  const result = await subprocess;
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    all: String(result.all ?? ''),
    failure: failureOf(result)
  };
};

export const execStream: ExecStream = (file, args, options = {}) => {
  const subprocess = execa(file, [...args], {
    cwd: options.cwd,
    ...environment(options),
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: { stdout: false, stderr: true },
    reject: false
  });
  return {
    stdout: subprocess.stdout,
    kill: () => {
      subprocess.kill();
    },
    exited: subprocess.then((result) => ({ exitCode: result.exitCode ?? -1, stderr: String(result.stderr ?? ''), failure: failureOf(result) }))
  };
};
