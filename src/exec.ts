import { execa } from 'execa';

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
const SAFE_ENV = /^(PATH|HOME|USER|LANG|LC_[A-Z]+|TMPDIR|TZ|DOCKER_[A-Z_]+|BUILDKIT_[A-Z_]+|BUILDX_[A-Z_]+|XDG_[A-Z_]+|SSH_AUTH_SOCK|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy|GIT_[A-Z_]+)$/;

/** Drops everything that could carry a secret (GITHUB_TOKEN, INPUT_GITHUB-TOKEN, ACTIONS_RUNTIME_TOKEN, ...). */
export function safeEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && SAFE_ENV.test(key) && !/TOKEN|SECRET|PASSWORD/i.test(key)) out[key] = value;
  }
  return out;
}

export const exec: Exec = async (file, args, options = {}) => {
  const subprocess = execa(file, [...args], {
    cwd: options.cwd,
    env: options.cleanEnv ? { ...safeEnvironment(), ...options.env } : options.env,
    extendEnv: !options.cleanEnv,
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
  const notStarted = result.failed && result.exitCode === undefined;
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    all: String(result.all ?? ''),
    failure: notStarted || result.timedOut || result.isTerminated ? (result.shortMessage ?? "command failed") : null
  };
};
