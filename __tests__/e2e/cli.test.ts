/**
 * The bundled CLI (dist/cli/index.js) run as a user runs it: real builds on the real
 * engine, the table on stdout, a progress line per build on stderr, and the exit code.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TEST_BASE, makeBuildDir } from '../support/engine.js';
import { createRepoPair, type RepoPair } from '../support/git-fixture.js';
import { PROJECT_ROOT } from '../support/run-action.js';
import type { Report } from '../../src/model/report.js';

const CLI = join(PROJECT_ROOT, 'dist', 'cli', 'index.js');

function dockerfile(megabytes: number): string {
  return `FROM ${TEST_BASE}\nRUN head -c ${megabytes * 1_000_000} /dev/urandom > /payload.bin\n`;
}

async function footprint(args: string[], cwd = PROJECT_ROOT, env: Record<string, string> = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run package\` first`);
  const result = await execa(process.execPath, [CLI, ...args], { cwd, reject: false, env: { NO_COLOR: '1', ...env } });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('footprint CLI', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await makeBuildDir({
      'small/Dockerfile': dockerfile(1),
      'big/Dockerfile': dockerfile(6),
      '.github/footprint.yml': 'images:\n  big:\n    dockerfile: big/Dockerfile\n    budget: 5MB\n',
      'empty.yml': ''
    });
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test('prints the table and a progress line per build, and exits 1 over budget', async () => {
    const run = await footprint([folder]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/\[build 1\/2\] big …/);
    expect(run.stderr).toMatch(/\[build 2\/2\] small\/Dockerfile …/);
    const lines = run.stdout.split('\n');
    const big = lines.find((line) => line.startsWith('big ')) as string;
    expect(big).toMatch(/OVER BUDGET/);
    expect(lines.indexOf(big)).toBeLessThan(lines.findIndex((line) => line.startsWith('small/Dockerfile')));
    expect(run.stderr).toMatch(/big \(big\/Dockerfile\): .* budget 5\.0 MB, over by/);
    expect(run.stdout).not.toContain('\u001b['); // NO_COLOR and not a terminal
  });

  test('--json prints the report and exits 0 when everything fits', async () => {
    const run = await footprint([folder, '--json', '--budget', '1GB', '--config', join(folder, 'none.yml')]);
    expect(run.stderr).toMatch(/none\.yml does not exist/);
    expect(run.exitCode).toBe(2);

    // Images named in a config are always measured, so leave the config out to pick one Dockerfile.
    const config = join(folder, 'empty.yml');
    const ok = await footprint([folder, '--json', '--budget', '1GB', '--dockerfiles', 'small/Dockerfile', '--config', config]);
    expect(ok.exitCode).toBe(0);
    const report = JSON.parse(ok.stdout) as Report;
    expect(report.images).toHaveLength(1);
    expect(report.images[0]).toMatchObject({ name: 'small/Dockerfile', status: 'ok', comparison: 'not-compared' });
    expect(report.images[0]?.size?.bytes).toBeGreaterThan(1_000_000);
  });

  test('bad usage exits 2 with a message and the usage', async () => {
    const run = await footprint(['--budget', 'lots', folder]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/budget.*"lots" is not a size/);
    const unknown = await footprint(['--frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/Usage: footprint/);
  });
});

describe('footprint CLI with --base-ref in a shallow clone', () => {
  let repo: RepoPair;

  beforeAll(async () => {
    repo = await createRepoPair({ base: { 'app/Dockerfile': dockerfile(3) }, head: { 'app/Dockerfile': dockerfile(1) } });
  });

  afterAll(async () => {
    await repo?.cleanup();
  });

  test('fetches the base branch and shows the change', async () => {
    const run = await footprint([repo.checkout, '--json', '--base-ref', 'main']);
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report.base?.sha).toBe(repo.baseSha);
    expect(report.images[0]).toMatchObject({ name: 'app/Dockerfile', comparison: 'changed' });
    expect(report.images[0]?.delta?.bytes).toBeLessThan(-1_900_000);
    expect(run.stderr).toMatch(/\[base 1\/1\] app\/Dockerfile …/);
  });
});

describe('footprint CLI when builds fail or no engine answers', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await makeBuildDir({
      'copy/Dockerfile': `FROM ${TEST_BASE}\nCOPY missing.txt /x\n`,
      // No registry is reachable here.
      'pull/Dockerfile': 'FROM example.invalid/nothing:1\nRUN true\n',
      'run/Dockerfile': `FROM ${TEST_BASE}\nRUN echo boom >&2 && exit 3\n`,
      'archive/app.tar': 'not an archive'
    });
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  test('every failure quotes the engine’s reason, in the progress and in the fail message', async () => {
    const run = await footprint([folder]);
    expect(run.exitCode).toBe(1);
    const failMessage = run.stderr.slice(run.stderr.lastIndexOf('\n\n'));
    for (const [name, reason] of [
      ['copy/Dockerfile', /missing\.txt.*(not found|does not exist)/],
      ['pull/Dockerfile', /example\.invalid.*(no such host|lookup|dial tcp|resolve)/],
      ['run/Dockerfile', /returned a non-zero code: 3|exit code: 3|exit 3/]
    ] as const) {
      expect(run.stderr).toMatch(
        new RegExp(`\\[build\\] ${name.replace('/', '\\/')}: failed \\(docker (buildx )?build exited with code \\d+: .*(${reason.source})`)
      );
      expect(failMessage).toMatch(new RegExp(`${name.replace('/', '\\/')}.*failed to build: .*(${reason.source})`));
    }
  });

  test('an archive that cannot be read is reported as not read, not as a failed build', async () => {
    const run = await footprint([
      folder,
      '--json',
      '--dockerfiles',
      'none/Dockerfile',
      '--image',
      `app=oci-archive:${join(folder, 'archive/app.tar')}`
    ]);
    expect(run.exitCode).toBe(1);
    const report = JSON.parse(run.stdout) as Report;
    const app = report.images.find((image) => image.name === 'app');
    expect(app?.status).toBe('failed');
    expect(app?.reasons[0]).toMatch(/^image oci-archive:.*app\.tar could not be read: /);
  });

  test('no engine at DOCKER_HOST: exits 2 with one message naming DOCKER_HOST, before building anything', async () => {
    const run = await footprint([folder], PROJECT_ROOT, { DOCKER_HOST: 'unix:///tmp/footprint-nothing.sock' });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(
      /^footprint: No Docker engine is reachable \(DOCKER_HOST is unix:\/\/\/tmp\/footprint-nothing\.sock\): .*Cannot connect/m
    );
    expect(run.stderr).not.toMatch(/\[build/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
  });

  test('archives need no engine: an unreachable DOCKER_HOST does not matter', async () => {
    const run = await footprint(
      [folder, '--json', '--dockerfiles', 'none/Dockerfile', '--image', `app=oci-archive:${join(folder, 'archive/app.tar')}`],
      PROJECT_ROOT,
      { DOCKER_HOST: 'unix:///tmp/footprint-nothing.sock' }
    );
    expect(run.stderr).not.toMatch(/No Docker engine/);
    expect(run.exitCode).toBe(1);
  });
});

describe('footprint diff OLD NEW', () => {
  const tag = `footprint-test/diff:${process.pid}`;
  let folder: string;

  beforeAll(async () => {
    folder = await makeBuildDir({
      'old/Dockerfile': `FROM ${TEST_BASE}\nRUN mkdir /app && head -c 300000 /dev/urandom > /app/a.bin && head -c 100000 /dev/urandom > /app/gone.bin\n`,
      'new/Dockerfile':
        `FROM ${TEST_BASE}\nRUN mkdir /app && head -c 800000 /dev/urandom > /app/a.bin\n` +
        `RUN mkdir -p /app/node_modules/tiny && echo '{"name":"tiny","version":"2.0.0"}' > /app/node_modules/tiny/package.json\n`
    });
    for (const side of ['old', 'new']) {
      await execa('docker', ['build', '--network=none', '-q', '-t', `${tag}-${side}`, join(folder, side)]);
    }
    // One side as an archive file, read without the engine.
    await execa('docker', ['save', '-o', join(folder, 'old.tar'), `${tag}-old`]);
  });

  afterAll(async () => {
    await execa('docker', ['image', 'rm', `${tag}-old`, `${tag}-new`], { reject: false });
    await rm(folder, { recursive: true, force: true });
  });

  test('prints what changed by line, by path and by package, without building', async () => {
    const run = await footprint(['diff', `docker-archive:${join(folder, 'old.tar')}`, `${tag}-new`]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(`reading ${tag}-new`);
    expect(run.stdout).toContain(`changed +400.0 kB against docker-archive:${join(folder, 'old.tar')}`);
    expect(run.stdout).toMatch(/by line\n\s+\+400\.0 kB\s+RUN mkdir \/app && head -c 800000/);
    expect(run.stdout).toMatch(/\+500\.0 kB\s+\/app\/a\.bin\s+grew/);
    expect(run.stdout).toMatch(/-100\.0 kB\s+\/app\/gone\.bin\s+removed/);
    expect(run.stdout).toMatch(/\+ tiny 2\.0\.0 \(npm\)/);
  });

  test('--json has the change record, whose views add up to the delta', async () => {
    const run = await footprint(['diff', `${tag}-old`, `${tag}-new`, '--json']);
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    const image = report.images[0]!;
    const change = image.change!;
    expect(change.deltaBytes).toBe(image.delta!.bytes);
    expect(change.lines.reduce((sum, row) => sum + row.deltaBytes, 0)).toBe(change.deltaBytes);
    expect(change.paths!.reduce((sum, row) => sum + row.deltaBytes, 0)).toBe(change.deltaBytes);
    expect(change.packages).toEqual([expect.objectContaining({ manager: 'npm', name: 'tiny', kind: 'added', after: '2.0.0' })]);
  });

  test('bad usage exits 2 with the diff usage', async () => {
    const run = await footprint(['diff', 'only-one']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('expected two images, OLD and NEW, got 1');
    expect(run.stderr).toContain('Usage: footprint diff OLD NEW');
  });

  test('an image that cannot be read is named, with exit code 1', async () => {
    const run = await footprint(['diff', `oci-archive:${join(folder, 'missing.tar')}`, `${tag}-new`]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('missing.tar');
  });
});
