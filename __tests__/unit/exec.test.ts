import { afterEach, describe, expect, test } from '@jest/globals';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnvironment, exec, execStream, MAX_LINE_CHARS, OUTPUT_TAIL_BYTES, toolOf } from '../../src/exec.js';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('execStream', () => {
  afterEach(() => {
    delete process.env.FOOTPRINT_TEST_TOKEN;
  });

  test('streams stdout, keeps stderr and the exit code, and a clean environment has no tokens', async () => {
    process.env.FOOTPRINT_TEST_TOKEN = 'must-not-leave';
    const command = execStream('sh', ['-c', 'env; echo oops >&2; exit 3'], { cleanEnv: true, env: { FOOTPRINT_EXTRA: 'given' } });
    const stdout = await text(command.stdout);
    expect(stdout).not.toContain('must-not-leave');
    expect(stdout).toContain('FOOTPRINT_EXTRA=given');
    expect(await command.exited).toEqual({ exitCode: 3, stderr: 'oops', failure: null });
  });

  test('a command that cannot be started says why and never rejects', async () => {
    const command = execStream('/no/such/command', ['x']);
    command.stdout.resume();
    const exit = await command.exited;
    expect(exit.exitCode).toBe(-1);
    expect(exit.failure).toMatch(/ENOENT/);
  });

  test('kill stops a command that would write forever', async () => {
    const command = execStream('yes', []);
    command.stdout.once('data', () => command.kill());
    command.stdout.resume();
    const exit = await command.exited;
    expect(exit.exitCode).toBe(-1);
    expect(exit.failure).not.toBeNull();
  });
});

describe('cleanEnvironment: each tool gets its own allowlist', () => {
  const env = {
    PATH: '/usr/bin',
    HOME: '/home/runner',
    LANG: 'C.UTF-8',
    HTTPS_PROXY: 'http://proxy:3128',
    SSH_AUTH_SOCK: '/tmp/agent.sock',
    DOCKER_HOST: 'unix:///run/docker.sock',
    DOCKER_CONFIG: '/home/runner/.docker',
    DOCKER_AUTH_CONFIG: '{"auths":{}}',
    DOCKER_REGISTRY_PASSWORD: 'secret',
    DOCKER_CREDENTIAL_HELPER: 'x',
    DOCKER_SIGNING_KEY: 'k',
    BUILDKIT_PROGRESS: 'plain',
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ASKPASS: '/usr/bin/askpass',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraheader',
    GIT_CONFIG_VALUE_0: 'AUTHORIZATION: basic abc',
    GIT_DIR: '/elsewhere/.git',
    GITHUB_TOKEN: 'ghs_x',
    'INPUT_GITHUB-TOKEN': 'ghs_x',
    ACTIONS_RUNTIME_TOKEN: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    NPM_AUTH: 'x'
  };

  test('docker gets DOCKER_*, BUILDKIT_* and the common variables, but no GIT_* and no credential names', () => {
    expect(Object.keys(cleanEnvironment('docker', env)).sort()).toEqual(
      ['BUILDKIT_PROGRESS', 'DOCKER_CONFIG', 'DOCKER_HOST', 'HOME', 'HTTPS_PROXY', 'LANG', 'PATH', 'SSH_AUTH_SOCK'].sort()
    );
  });

  test('git gets its transport settings and the common variables, but no DOCKER_*, no askpass, no config values, no GIT_DIR', () => {
    expect(Object.keys(cleanEnvironment('git', env)).sort()).toEqual(
      ['GIT_CONFIG_GLOBAL', 'GIT_SSH_COMMAND', 'HOME', 'HTTPS_PROXY', 'LANG', 'PATH', 'SSH_AUTH_SOCK'].sort()
    );
  });

  test('the tool is told by the command: git is git, anything else (docker, a docker wrapper) is docker', () => {
    expect(toolOf('git')).toBe('git');
    expect(toolOf('/usr/bin/git')).toBe('git');
    expect(toolOf('docker')).toBe('docker');
    expect(toolOf('/tmp/recording-docker')).toBe('docker');
    expect(toolOf('/tmp/gitlike-docker')).toBe('docker');
  });

  test('exec with cleanEnv gives git no DOCKER_* and docker no GIT_*', async () => {
    process.env.DOCKER_AUTH_CONFIG = 'must-not-leave';
    process.env.DOCKER_FOOTPRINT_PROBE = 'docker-only';
    process.env.GIT_SSH_COMMAND = 'git-only';
    try {
      // `git` here is a script named git: the name decides the allowlist.
      const dir = await mkdtemp(join(tmpdir(), 'footprint-exec-'));
      const fakeGit = join(dir, 'git');
      await writeFile(fakeGit, '#!/bin/sh\nenv\n');
      await chmod(fakeGit, 0o755);
      const asGit = (await exec(fakeGit, [], { cleanEnv: true })).stdout;
      const asDocker = (await exec('env', [], { cleanEnv: true })).stdout;
      await rm(dir, { recursive: true, force: true });
      expect(asGit).toContain('GIT_SSH_COMMAND=git-only');
      expect(asGit).not.toContain('DOCKER_');
      expect(asDocker).toContain('DOCKER_FOOTPRINT_PROBE=docker-only');
      expect(asDocker).not.toContain('GIT_SSH_COMMAND');
      expect(asDocker).not.toContain('must-not-leave');
    } finally {
      delete process.env.DOCKER_AUTH_CONFIG;
      delete process.env.DOCKER_FOOTPRINT_PROBE;
      delete process.env.GIT_SSH_COMMAND;
    }
  });
});

describe('exec keeps a bounded tail of the output', () => {
  test('300 MB of output in one line: the command exits 0, only the tail is kept, the line reaches onLine cut', async () => {
    const lines: string[] = [];
    const result = await exec('sh', ['-c', "head -c 300000000 /dev/zero | tr '\\0' 'a'; echo; echo the end >&2"], {
      onLine: (line) => lines.push(line)
    });
    expect(result).toMatchObject({ exitCode: 0, failure: null, stderr: 'the end' });
    expect(result.stdout.length).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES);
    expect(result.stdout.endsWith('aaaa')).toBe(true);
    expect(result.all.length).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES);
    expect(result.all.endsWith('the end')).toBe(true);
    expect(lines).toEqual(['a'.repeat(MAX_LINE_CHARS) + '…', 'the end']);
  }, 60_000);

  test('300 MB of output in many lines: every line reaches onLine, the last ones are in the result', async () => {
    let count = 0;
    let last = '';
    // 15 000 000 lines of 20 bytes.
    const result = await exec('sh', ['-c', 'yes 0123456789abcdefghi | head -n 15000000; echo done'], {
      onLine: (line) => {
        count++;
        last = line;
      }
    });
    expect(result).toMatchObject({ exitCode: 0, failure: null });
    expect(count).toBe(15_000_001);
    expect(last).toBe('done');
    expect(result.stdout.length).toBeLessThanOrEqual(OUTPUT_TAIL_BYTES);
    expect(result.stdout.endsWith('0123456789abcdefghi\ndone')).toBe(true);
  }, 60_000);

  test('a command that cannot be started says so; a non-zero exit is no failure', async () => {
    const missing = await exec('/no/such/command', []);
    expect(missing.exitCode).toBe(-1);
    expect(missing.failure).toMatch(/ENOENT/);
    const failing = await exec('sh', ['-c', 'echo out; echo err >&2; exit 4']);
    expect(failing).toEqual({ exitCode: 4, stdout: 'out', stderr: 'err', all: expect.stringMatching(/out\nerr|err\nout/), failure: null });
  });

  test('multi-byte characters split across chunks reach onLine whole', async () => {
    const lines: string[] = [];
    // 80 001 bytes: more than one pipe chunk, and the odd first byte puts a chunk boundary inside a character.
    const result = await exec('sh', ['-c', "printf a; yes é | head -n 40000 | tr -d '\\n'; echo"], { onLine: (line) => lines.push(line) });
    const expected = `a${'é'.repeat(40_000)}`;
    expect(result.stdout === expected).toBe(true);
    expect(lines.length).toBe(1);
    expect(lines[0] === expected).toBe(true);
  });
});
