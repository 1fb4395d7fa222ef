/**
 * Gives the integration tests a real Docker engine and the local base images
 * they build on, on any machine where that can be had without a registry:
 * - reuses a running daemon;
 * - else, as root on Linux, installs Debian's docker.io (and the tools the
 *   tests use) when missing, and starts dockerd without networking for its
 *   containers; teardown stops it again;
 * - makes `footprint-test/busybox:1` from busybox-static and
 *   `footprint-test/fat:1` on top of it, once: reruns find them.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, open, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

// Node loads this file itself (type stripping), outside jest's module mapping:
// it may import packages and node builtins only, not the project's modules.

/** A busybox root filesystem, about 2 MB: stands in for an alpine-sized base. */
export const TEST_BASE = 'footprint-test/busybox:1';
/** TEST_BASE plus 40 MB of incompressible bytes at /usr/lib/fat.bin: stands in for a Debian-sized base. */
export const TEST_FAT_BASE = 'footprint-test/fat:1';

/** Records the dockerd this setup started, so that teardown stops that one and no other. */
export const ENGINE_STATE_FILE = join(tmpdir(), 'footprint-test-engine.json');
export interface EngineState {
  /** The dockerd process. */
  pid: number;
  /** The test run (jest's process) that started it. */
  owner: number;
  log: string;
}

const DOCKERD_LOG = join(tmpdir(), 'footprint-test-dockerd.log');
const DOCKERD_ARGS = ['--iptables=false', '--ip-masq=false', '--bridge=none'];
const ENGINE_WAIT_MS = 90_000;
const PACKAGES = ['docker.io', 'docker-registry', 'busybox-static', 'skopeo'];
/** Parallel test runs on one machine take turns making the engine and images. */
const LOCK = join(tmpdir(), 'footprint-test-engine.lock');
const UNCLAIMED_LOCK_MS = 60_000;
/** Long enough for another run to install the packages. */
const LOCK_WAIT_MS = 30 * 60_000;
const STATIC_BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];
const IMAGE_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface RunResult {
  exitCode: number;
  stdout: string;
  /** stdout and stderr interleaved. */
  all: string;
  /** Why the command did not run to its end (not found, timed out), or null. */
  failure: string | null;
}

async function run(file: string, args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  const result = await execa(file, args, { env: options.env, timeout: options.timeoutMs, reject: false, all: true, stdin: 'ignore' });
  const incomplete = (result.failed && result.exitCode === undefined) || result.timedOut;
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    all: String(result.all ?? ''),
    failure: incomplete ? (result.shortMessage ?? `${file} did not finish`) : null
  };
}

/** The last lines of a command's output, for error messages. */
function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function imageExists(ref: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', '--', ref])).exitCode === 0;
}

export default async function globalSetup(): Promise<void> {
  await withLock(async () => {
    await ensureEngine();
    await ensureTools();
    if (!(await imageExists(TEST_BASE))) await makeBusyboxImage();
    if (!(await imageExists(TEST_FAT_BASE))) await makeFatImage();
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A lock whose holder died (an interrupted run) must not block the next run. */
async function lockIsStale(): Promise<boolean> {
  const holder = Number(await readFile(join(LOCK, 'holder'), 'utf8').catch(() => ''));
  if (holder > 0) return !isRunning(holder);
  // The holder has just made the folder and not yet written its pid, or died in between.
  const age = await stat(LOCK).then(
    (info) => Date.now() - info.mtimeMs,
    () => 0
  );
  return age > UNCLAIMED_LOCK_MS;
}

async function withLock(work: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(LOCK);
      await writeFile(join(LOCK, 'holder'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await lockIsStale()) {
      await rm(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Test setup: another test run has held ${LOCK} for too long; remove it if no run is active.`);
    await sleep(500);
  }
  try {
    await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** The daemon's version when `docker info` reaches one, else why not. */
async function probeEngine(): Promise<{ version: string } | { problem: string }> {
  const result = await run('docker', ['info', '--format', '{{json .ServerVersion}}'], { timeoutMs: 30_000 });
  const version = result.exitCode === 0 ? /^"(.+)"$/.exec(result.stdout.trim())?.[1] : undefined;
  if (version !== undefined) return { version };
  return { problem: result.failure ?? (tail(result.all, 1) || `exit code ${result.exitCode}`) };
}

async function ensureEngine(): Promise<void> {
  const probe = await probeEngine();
  if ('version' in probe) return;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error(
      `The integration tests need a Docker engine, and \`docker info\` failed: ${probe.problem}\n` +
        'Start Docker and rerun (as root on Linux the tests install and start one themselves).'
    );
  }
  if (findExecutable('dockerd') === null || findExecutable('docker') === null) {
    await aptInstall(PACKAGES);
    // Where systemd runs, installing docker.io also started the daemon.
    if ('version' in (await probeEngine())) return;
  }
  await startDockerd();
}

/** skopeo (OCI archives) and docker-registry (a real registry on loopback): installed where we may, else named. */
async function ensureTools(): Promise<void> {
  const missing = [
    ['skopeo', 'skopeo'],
    ['docker-registry', 'docker-registry']
  ].filter(([command]) => findExecutable(command as string) === null);
  if (missing.length === 0) return;
  const packages = missing.map(([, pkg]) => pkg as string);
  if (process.platform === 'linux' && process.getuid?.() === 0 && findExecutable('apt-get') !== null) {
    await aptInstall(packages);
    return;
  }
  throw new Error(`The integration tests need ${packages.join(' and ')} (Debian packages of the same names); install them and rerun.`);
}

function findExecutable(name: string): string | null {
  // Root's PATH outside a login shell may lack the sbin folders where dockerd lives.
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const folder of folders.filter(Boolean)) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

async function aptInstall(packages: string[]): Promise<void> {
  if (findExecutable('apt-get') === null) {
    throw new Error(`The integration tests need ${packages.join(', ')}; install them (this machine has no apt-get) and rerun.`);
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
    const result = await run('apt-get', args, { env, timeoutMs: 15 * 60_000 });
    if (result.exitCode !== 0) {
      throw new Error(
        `Test setup: \`apt-get ${args.join(' ')}\` failed (${result.failure ?? `exit code ${result.exitCode}`}):\n${tail(result.all, 15)}`
      );
    }
  }
}

async function startDockerd(): Promise<void> {
  const dockerd = findExecutable('dockerd');
  if (dockerd === null) throw new Error('Test setup: dockerd is still missing after installing docker.io.');
  const logFd = openSync(DOCKERD_LOG, 'a');
  const daemon = spawn(dockerd, DOCKERD_ARGS, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exited: string | null = null;
  daemon.on('exit', (code, signal) => (exited = `dockerd exited (${signal ?? `code ${code}`})`));
  daemon.on('error', (error) => (exited = `dockerd could not start: ${error.message}`));
  daemon.unref();
  if (daemon.pid === undefined) throw new Error(`Test setup: could not start ${dockerd}.`);
  const state: EngineState = { pid: daemon.pid, owner: process.pid, log: DOCKERD_LOG };
  await writeFile(ENGINE_STATE_FILE, JSON.stringify(state));

  const deadline = Date.now() + ENGINE_WAIT_MS;
  let probe = await probeEngine();
  while (!('version' in probe) && exited === null && Date.now() < deadline) {
    await sleep(1000);
    probe = await probeEngine();
  }
  if ('version' in probe) return;
  if (exited === null) daemon.kill('SIGTERM');
  await rm(ENGINE_STATE_FILE, { force: true });
  const log = await readFile(DOCKERD_LOG, 'utf8').catch(() => '');
  throw new Error(
    `Test setup: ${exited ?? `dockerd did not answer within ${ENGINE_WAIT_MS / 1000} s`} (${probe.problem}). ` +
      `Its log (${DOCKERD_LOG}) ends with:\n${tail(log, 15)}`
  );
}

/** Whether the file is an ELF executable without an interpreter, i.e. runs in an empty root filesystem. */
async function isStaticElf(path: string): Promise<boolean> {
  const file = await open(path, 'r').catch(() => null);
  if (file === null) return false;
  try {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (buffer: Buffer, at: number) => (little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at));
    const u32 = (buffer: Buffer, at: number) => (little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at));
    const programHeaders = is64 ? Number(little ? header.readBigUInt64LE(0x20) : header.readBigUInt64BE(0x20)) : u32(header, 0x1c);
    const entrySize = u16(header, is64 ? 0x36 : 0x2a);
    const entries = u16(header, is64 ? 0x38 : 0x2c);
    const table = Buffer.alloc(entrySize * entries);
    await file.read(table, 0, table.length, programHeaders);
    const PT_INTERP = 3;
    for (let index = 0; index < entries; index++) {
      if (u32(table, index * entrySize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    await file.close();
  }
}

async function findStaticBusybox(): Promise<string | null> {
  for (const path of STATIC_BUSYBOX_PATHS) {
    if (await isStaticElf(path)) return path;
  }
  return null;
}

async function makeBusyboxImage(): Promise<void> {
  let busybox = await findStaticBusybox();
  if (busybox === null && process.platform === 'linux' && process.getuid?.() === 0 && findExecutable('apt-get') !== null) {
    await aptInstall(['busybox-static']);
    busybox = await findStaticBusybox();
  }
  if (busybox !== null) return importBusybox(busybox);
  // No busybox-static (a laptop with Docker Desktop): a registry may be reachable there.
  const pull = await run('docker', ['pull', 'busybox'], { timeoutMs: 5 * 60_000 });
  if (pull.exitCode === 0 && (await run('docker', ['tag', 'busybox', TEST_BASE])).exitCode === 0) return;
  throw new Error(
    `Test setup: cannot make ${TEST_BASE}. It is made from a static busybox (${STATIC_BUSYBOX_PATHS[0]}, Debian package busybox-static), ` +
      `and \`docker pull busybox\` failed as well:\n${tail(pull.all, 5)}`
  );
}

/** A root filesystem of busybox and its applets, imported as TEST_BASE. */
async function importBusybox(busybox: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'footprint-busybox-'));
  try {
    const root = join(work, 'rootfs');
    for (const folder of ['bin', 'etc', 'root', 'tmp']) await mkdir(join(root, folder), { recursive: true });
    await chmod(join(root, 'tmp'), 0o1777);
    await chmod(join(root, 'root'), 0o700);
    await copyFile(busybox, join(root, 'bin', 'busybox'));
    await chmod(join(root, 'bin', 'busybox'), 0o755);
    const list = await run(busybox, ['--list']);
    if (list.exitCode !== 0) throw new Error(`Test setup: \`${busybox} --list\` failed: ${list.all}`);
    const applets = list.stdout
      .split('\n')
      .map((name) => name.trim())
      .filter((name) => /^[\w.[-]+$/.test(name) && name !== 'busybox');
    for (const applet of applets) await symlink('busybox', join(root, 'bin', applet));
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(root, 'etc', 'group'), 'root:x:0:\n');

    const archive = join(work, 'rootfs.tar');
    const tar = await run('tar', ['-C', root, '--owner=0', '--group=0', '--numeric-owner', '-cf', archive, '.']);
    if (tar.exitCode !== 0) throw new Error(`Test setup: could not pack the busybox root filesystem: ${tar.all}`);
    const imported = await run('docker', ['import', '--change', `ENV ${IMAGE_PATH}`, '--change', 'CMD ["sh"]', archive, TEST_BASE]);
    if (imported.exitCode !== 0) throw new Error(`Test setup: \`docker import\` of ${TEST_BASE} failed: ${imported.all}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** TEST_BASE plus 40 MiB that no compression shrinks. */
async function makeFatImage(): Promise<void> {
  const context = await mkdtemp(join(tmpdir(), 'footprint-fat-'));
  await writeFile(
    join(context, 'Dockerfile'),
    `FROM ${TEST_BASE}\nRUN mkdir -p /usr/lib && dd if=/dev/urandom of=/usr/lib/fat.bin bs=1M count=40 iflag=fullblock 2>/dev/null\n`
  );
  try {
    const built = await run('docker', ['build', '--network=none', '-t', TEST_FAT_BASE, context], { env: { BUILDKIT_PROGRESS: 'plain' } });
    if (built.exitCode !== 0) throw new Error(`Test setup: building ${TEST_FAT_BASE} failed:\n${tail(built.all, 15)}`);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}
