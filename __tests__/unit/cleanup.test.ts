import { afterAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleSignals, parseLeftovers, track, trackedLeftovers, type Leftover } from '../../src/cleanup.js';
import { exec } from '../../src/exec.js';

describe('parseLeftovers', () => {
  test("keeps footprint's own tags, worktrees and folders, and nothing else", () => {
    const saved = [
      { kind: 'image', ref: 'footprint-local/api-1a2b3c4d:4242-1-base' },
      { kind: 'worktree', repo: '/repo', path: '/tmp/footprint-base-abc' },
      { kind: 'folder', path: '/tmp/footprint-iid-abc' },
      { kind: 'image', ref: 'footprint-test/busybox:1' },
      { kind: 'image', ref: 'ubuntu:latest' },
      { kind: 'folder', path: '/home/user' },
      { kind: 'folder', path: 'footprint-relative' },
      { kind: 'worktree', repo: 'relative', path: '/tmp/footprint-base-x' },
      { kind: 'unknown', path: '/tmp/footprint-x' },
      null,
      'text'
    ];
    expect(parseLeftovers(JSON.stringify(saved))).toEqual(saved.slice(0, 3));
  });

  test('an empty, damaged or missing list is no leftovers', () => {
    for (const text of ['', '[]', '{}', 'not json', 'null']) expect(parseLeftovers(text)).toEqual([]);
  });
});

describe('the cleanup registry', () => {
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  afterAll(() => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(signal)) if (!before[signal].includes(listener)) process.off(signal, listener);
    }
  });

  test('saves the list as things are tracked and removed, and on a signal removes what is left and exits with 143', async () => {
    const saved: Leftover[][] = [];
    const logged: string[] = [];
    let exited: (code: number) => void = () => undefined;
    const exit = new Promise<number>((resolve) => (exited = resolve));
    handleSignals({ log: (message) => logged.push(message), persist: (leftovers) => saved.push(leftovers), exit: (code) => exited(code) });

    const done = track({ kind: 'folder', path: '/tmp/footprint-done' });
    done();
    expect(saved).toEqual([[{ kind: 'folder', path: '/tmp/footprint-done' }], []]);

    const folder = await mkdtemp(join(tmpdir(), 'footprint-unit-'));
    await writeFile(join(folder, 'file'), 'x');
    const untrack = track({ kind: 'folder', path: folder });
    // A command running when the signal arrives is stopped.
    const sleeping = exec('sleep', ['30']);

    process.emit('SIGTERM', 'SIGTERM');
    expect(await exit).toBe(143);
    expect((await sleeping).failure).not.toBeNull();
    expect(existsSync(folder)).toBe(false);
    expect(trackedLeftovers()).toEqual([]);
    expect(saved.at(-1)).toEqual([]);
    expect(logged[0]).toMatch(/Cancelled \(SIGTERM\)/);

    // After the signal, the run's own untracking changes nothing, and its next command never starts.
    untrack();
    const next = await Promise.race([exec('true', []).then(() => 'ran'), new Promise((resolve) => setTimeout(() => resolve('halted'), 300))]);
    expect(next).toBe('halted');
    // A cleanup command still runs.
    expect((await exec('true', [], { cleanup: true })).exitCode).toBe(0);
  });
});
