/**
 * A real container registry on 127.0.0.1 for the integration tests: Debian's
 * `docker-registry` (the CNCF distribution registry) with its storage in a temp
 * folder. The Docker daemon treats 127.0.0.0/8 registries as insecure by
 * default, so `docker push 127.0.0.1:PORT/name:tag` works over plain HTTP.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exec } from '../../src/exec.js';

export interface LocalRegistry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  address: string;
  /** Stops the registry and removes its storage. */
  stop(): Promise<void>;
}

const START_WAIT_MS = 30_000;
const STOP_WAIT_MS = 10_000;

function findExecutable(name: string): string | null {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin', '/sbin'];
  for (const folder of folders.filter(Boolean)) {
    try {
      accessSync(join(folder, name), constants.X_OK);
      return join(folder, name);
    } catch {
      // not in this folder
    }
  }
  return null;
}

async function ensureRegistryBinary(): Promise<string> {
  const found = findExecutable('docker-registry');
  if (found !== null) return found;
  if (process.platform === 'linux' && process.getuid?.() === 0 && findExecutable('apt-get') !== null) {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'docker-registry']]) {
      const result = await exec('apt-get', args, { env, timeoutMs: 15 * 60_000 });
      if (result.exitCode !== 0)
        throw new Error(`Installing docker-registry: \`apt-get ${args.join(' ')}\` failed:\n${result.all.split('\n').slice(-10).join('\n')}`);
    }
    const installed = findExecutable('docker-registry');
    if (installed !== null) return installed;
  }
  throw new Error('The registry tests need `docker-registry` (Debian package docker-registry); install it and rerun.');
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });
}

async function answers(address: string): Promise<boolean> {
  try {
    const response = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Starts a registry on a free port of 127.0.0.1 and waits until its API answers. */
export async function startRegistry(): Promise<LocalRegistry> {
  const binary = await ensureRegistryBinary();
  const folder = await mkdtemp(join(tmpdir(), 'footprint-registry-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const config = join(folder, 'config.yml');
  const log = join(folder, 'registry.log');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(join(folder, 'data'))}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${address}`,
      ''
    ].join('\n')
  );
  const logFd = openSync(log, 'a');
  const child = spawn(binary, ['serve', config], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited (${signal ?? `code ${code}`})`;
      resolve();
    });
    child.once('error', (error) => {
      exited = `could not start: ${error.message}`;
      resolve();
    });
  });

  async function stop(): Promise<void> {
    if (exited === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      const timer = new AbortController();
      const stopped = await Promise.race([exit.then(() => true), sleep(STOP_WAIT_MS, false, { signal: timer.signal }).catch(() => false)]);
      timer.abort();
      if (!stopped) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    await rm(folder, { recursive: true, force: true });
  }

  const deadline = Date.now() + START_WAIT_MS;
  while (exited === null && Date.now() < deadline) {
    if (await answers(address)) return { address, stop };
    await sleep(200);
  }
  const why = exited ?? `did not answer on http://${address}/v2/ within ${START_WAIT_MS / 1000} s`;
  const output = await readFile(log, 'utf8').catch(() => '');
  await stop();
  throw new Error(`docker-registry ${why}. Its log ends with:\n${output.trimEnd().split('\n').slice(-10).join('\n')}`);
}
