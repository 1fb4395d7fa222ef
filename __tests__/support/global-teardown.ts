/** Stops the dockerd that global-setup started for this test run; a daemon it found running is left alone. */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// Node loads this file itself, outside jest's module mapping, so it cannot
// import global-setup.ts: the state file's name and shape are repeated here.
const ENGINE_STATE_FILE = join(tmpdir(), 'footprint-test-engine.json');
interface EngineState {
  pid: number;
  owner: number;
  log: string;
}

const STOP_WAIT_MS = 30_000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export default async function globalTeardown(): Promise<void> {
  const state = await readFile(ENGINE_STATE_FILE, 'utf8')
    .then((text) => JSON.parse(text) as EngineState)
    .catch(() => null);
  // Another run's daemon (or one left by an interrupted run) is not ours to stop.
  if (state === null || state.owner !== process.pid) return;
  await rm(ENGINE_STATE_FILE, { force: true });
  if (!isRunning(state.pid)) return;
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_WAIT_MS;
  while (isRunning(state.pid) && Date.now() < deadline) await sleep(250);
  if (isRunning(state.pid)) {
    process.stderr.write(`dockerd (pid ${state.pid}) did not stop within ${STOP_WAIT_MS / 1000} s; see ${state.log}\n`);
  }
}
