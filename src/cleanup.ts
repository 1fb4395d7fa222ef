/**
 * The cleanup registry: what a run makes outside itself (a base-branch worktree in the user's repository, temporary
 * folders, image tags) is tracked here from the moment it is made until it is removed again. A cancelled run (SIGINT,
 * SIGTERM) stops its commands and removes what is still tracked; the action also saves the list in its state after
 * every change, so that its `post:` step can remove what a killed run left.
 */
import { rm } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import { exec, stopCommands } from './exec.js';

/** Something a run made outside itself, described well enough to remove it from another process. */
export type Leftover =
  /** A `git worktree` of `repo` checked out at `path`. */
  | { kind: 'worktree'; repo: string; path: string }
  /** An image tag the run built under. */
  | { kind: 'image'; ref: string }
  /** A temporary folder. */
  | { kind: 'folder'; path: string };

/** The name under which the action saves the list (`core.saveState`); the post step reads `STATE_leftovers`. */
export const STATE_NAME = 'leftovers';

const tracked = new Map<number, Leftover>();
let nextId = 0;
let persist: ((leftovers: Leftover[]) => void) | null = null;
/** Set once a signal arrived: from then on the registry alone removes what is tracked. */
let cancelled = false;

function save(): void {
  if (!persist) return;
  try {
    persist([...tracked.values()]);
  } catch {
    // Losing the saved list only costs the post step's safety net, never the run.
  }
}

/**
 * Tracks something the run just made (or is about to make). Call the returned function once it is removed again;
 * after a cancellation that does nothing, since the registry removes everything then.
 */
export function track(leftover: Leftover): () => void {
  const id = nextId++;
  tracked.set(id, leftover);
  save();
  return () => {
    if (!cancelled && tracked.delete(id)) save();
  };
}

/** What is tracked now, oldest first. */
export function trackedLeftovers(): Leftover[] {
  return [...tracked.values()];
}

/** Removes one leftover; what is already gone is quietly skipped. Never throws. */
export async function removeLeftover(leftover: Leftover): Promise<void> {
  const quiet = { cleanEnv: true, cleanup: true, timeoutMs: 60_000 };
  try {
    if (leftover.kind === 'image') {
      // No -f, as in the engine: untagging never removes an image that another tag or a container still uses.
      await exec('docker', ['image', 'rm', '--', leftover.ref], quiet);
    } else if (leftover.kind === 'worktree') {
      await exec('git', ['worktree', 'remove', '--force', leftover.path], { ...quiet, cwd: leftover.repo });
      await rm(leftover.path, { recursive: true, force: true });
      // Unregisters the worktree also when `remove` failed (a half-made worktree, a folder already gone).
      await exec('git', ['worktree', 'prune'], { ...quiet, cwd: leftover.repo });
    } else {
      await rm(leftover.path, { recursive: true, force: true });
    }
  } catch {
    // A missing repository or engine: nothing more to remove there.
  }
}

/** Removes what is tracked, newest first (also what the halting run still adds meanwhile), saving the list after each. */
async function removeTracked(log: (message: string) => void): Promise<void> {
  for (let last = [...tracked].at(-1); last !== undefined; last = [...tracked].at(-1)) {
    const [id, leftover] = last;
    log(`removing ${describeLeftover(leftover)}`);
    await removeLeftover(leftover);
    tracked.delete(id);
    save();
  }
}

export function describeLeftover(leftover: Leftover): string {
  if (leftover.kind === 'image') return `image tag ${leftover.ref}`;
  if (leftover.kind === 'worktree') return `worktree ${leftover.path}`;
  return `temporary folder ${leftover.path}`;
}

/** The exit codes of a process ended by the signal: 128 + its number. */
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export interface SignalOptions {
  log: (message: string) => void;
  /** Saves the list after every change (the action's state); the CLI has none. */
  persist?: (leftovers: Leftover[]) => void;
  /** Ends the process; `process.exit` unless a test says otherwise. */
  exit?: (code: number) => void;
}

/**
 * Handles SIGINT and SIGTERM for the whole process: stop the running docker and git commands, remove what is
 * tracked, and exit with 130 (SIGINT) or 143 (SIGTERM). A second signal while cleaning up is only noted: the runner
 * waits a little between its signals, and the cleanup goes on.
 */
export function handleSignals(options: SignalOptions): void {
  persist = options.persist ?? null;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping: Promise<void> | null = null;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        options.log(`${signal} again: still removing what this run made`);
        return;
      }
      cancelled = true;
      options.log(`Cancelled (${signal}): stopping the builds and removing what this run made.`);
      stopping = stopCommands()
        .then(() => removeTracked(options.log))
        .catch(() => undefined)
        .then(() => exit(EXIT_CODES[signal]));
    });
  }
}

/** The tags the engine builds under (see `imageTag`): `footprint-local/NAME:RUN-SIDE`. */
const OWN_TAG = /^footprint-local\/[a-z0-9-]+:[A-Za-z0-9_.-]+-(head|base)$/;

/**
 * The leftovers in a saved list, checked: anything but footprint's own image tags and `footprint-` folders in
 * absolute paths is ignored, so a damaged or forged state can never remove anything else.
 */
export function parseLeftovers(text: string): Leftover[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  const ours = (path: unknown): path is string => typeof path === 'string' && isAbsolute(path) && basename(path).startsWith('footprint-');
  const leftovers: Leftover[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const entry = item as Record<string, unknown>;
    if (entry.kind === 'image' && typeof entry.ref === 'string' && OWN_TAG.test(entry.ref)) {
      leftovers.push({ kind: 'image', ref: entry.ref });
    } else if (entry.kind === 'worktree' && typeof entry.repo === 'string' && isAbsolute(entry.repo) && ours(entry.path)) {
      leftovers.push({ kind: 'worktree', repo: entry.repo, path: entry.path });
    } else if (entry.kind === 'folder' && ours(entry.path)) {
      leftovers.push({ kind: 'folder', path: entry.path });
    }
  }
  return leftovers;
}
