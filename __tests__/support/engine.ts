/**
 * For the integration tests: the local base images (made from busybox-static
 * by the global setup, no registry needed) and small helpers around the real
 * Docker engine.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exec } from '../../src/exec.js';

// The global setup makes these images, so it owns their names.
export { TEST_BASE, TEST_FAT_BASE } from './global-setup.js';

/** A fresh temp directory holding `files` (relative path → content); subfolders are created. */
export async function makeBuildDir(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'footprint-build-'));
  for (const [path, content] of Object.entries(files)) {
    const file = join(directory, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return directory;
}

/** Runs `docker ARGS` and parses its stdout as JSON; throws with docker's output when it fails. */
export async function dockerJson<T = unknown>(args: string[]): Promise<T> {
  const result = await exec('docker', args);
  if (result.exitCode !== 0) {
    throw new Error(`docker ${args.join(' ')} failed (${result.failure ?? `exit code ${result.exitCode}`}): ${result.all}`);
  }
  return JSON.parse(result.stdout) as T;
}

/** Whether the local engine has an image of this reference. */
export async function imageExists(ref: string): Promise<boolean> {
  return (await exec('docker', ['image', 'inspect', '--format', '{{.Id}}', '--', ref])).exitCode === 0;
}
