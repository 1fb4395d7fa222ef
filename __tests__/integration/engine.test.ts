import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDockerEngine, imageTag, type BuildRequest, type Engine } from '../../src/build/engine.js';
import { logTail } from '../../src/build/log.js';
import { UserError } from '../../src/errors.js';
import { exec } from '../../src/exec.js';
import { TEST_BASE, TEST_FAT_BASE, dockerJson, imageExists, makeBuildDir } from '../support/engine.js';

const MiB = 1024 * 1024;
/** Layer metadata (directory entries, whiteouts) on top of the file bytes. */
const SLACK = 16 * 1024;
const runId = `engine-test-${process.pid}`;

let engine: Engine;
let baseBytes: number;
const tags: string[] = [];
const folders: string[] = [];

function tagFor(name: string): string {
  const tag = imageTag(name, 'head', runId);
  tags.push(tag);
  return tag;
}

async function buildDir(files: Record<string, string>): Promise<string> {
  const folder = await makeBuildDir(files);
  folders.push(folder);
  return folder;
}

function request(folder: string, tag: string, extra: Partial<BuildRequest> = {}): BuildRequest {
  return { dockerfile: join(folder, 'Dockerfile'), context: folder, tag, target: null, buildArgs: {}, platform: null, ...extra };
}

/** Runs a command in the image with no network and returns its stdout. */
async function runInImage(image: string, command: string[]): Promise<string> {
  const result = await exec('docker', ['run', '--rm', '--network=none', image, ...command]);
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

async function withEnv<T>(values: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  try {
    return await work();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

beforeAll(async () => {
  engine = await createDockerEngine({ exec });
  baseBytes = (await engine.inspect(TEST_BASE)).bytes;
});

afterAll(async () => {
  await engine.remove(tags);
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

describe('the test base images', () => {
  test('the fat base is the busybox base plus 40 MiB', async () => {
    const fat = await engine.inspect(TEST_FAT_BASE);
    expect(Math.abs(fat.bytes - baseBytes - 40 * MiB)).toBeLessThan(SLACK);
  });
});

describe('build and inspect', () => {
  test('an image is its base plus the bytes its RUN wrote, as docker image inspect reports', async () => {
    const folder = await buildDir({ Dockerfile: `FROM ${TEST_BASE}\nRUN dd if=/dev/zero of=/big bs=1M count=5\n` });
    const tag = tagFor('svc/Five MB/Dockerfile');
    const lines: string[] = [];
    const result = await engine.build(request(folder, tag, { onLine: (line) => lines.push(line) }));

    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines.some((line) => line.includes('dd if=/dev/zero'))).toBe(true);

    const image = await engine.inspect(tag);
    expect(image.id).toBe(result.imageId);
    expect(Math.abs(image.bytes - baseBytes - 5 * MiB)).toBeLessThan(SLACK);
    const [details] = await dockerJson<Array<{ Id: string; Size: number }>>(['image', 'inspect', tag]);
    expect(image).toEqual({ id: details!.Id, bytes: details!.Size });
  });

  test('build args and the target stage are honoured', async () => {
    const folder = await buildDir({
      Dockerfile: [
        `FROM ${TEST_BASE} AS small`,
        'ARG PAYLOAD=none',
        'RUN printf %s "$PAYLOAD" > /payload',
        'FROM small AS big',
        'RUN dd if=/dev/zero of=/extra bs=1M count=3',
        ''
      ].join('\n')
    });
    const payload = 'x'.repeat(3000);
    const tag = tagFor('multi-stage');
    const result = await engine.build(request(folder, tag, { target: 'small', buildArgs: { PAYLOAD: payload } }));

    expect(result).toMatchObject({ ok: true });
    expect(await runInImage(tag, ['wc', '-c', '/payload'])).toMatch(/^\s*3000\s+\/payload$/);
    // The later `big` stage was not built into this image.
    expect(await runInImage(tag, ['ls', '/'])).not.toMatch(/\bextra\b/);
    const { bytes } = await engine.inspect(tag);
    expect(Math.abs(bytes - baseBytes - payload.length)).toBeLessThan(SLACK);
  });

  test('a failing RUN is a failed build whose log tail shows the RUN output', async () => {
    const folder = await buildDir({ Dockerfile: `FROM ${TEST_BASE}\nRUN echo "checking the widget config" && exit 3\n` });
    const tag = tagFor('failing');
    const result = await engine.build(request(folder, tag));

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(/^docker build exited with code [1-9]\d*: .*(non-zero code: 3|exit code: 3)/);
    expect(logTail(result.log)).toContain('checking the widget config');
    expect(await imageExists(tag)).toBe(false);
  });

  test('a missing Dockerfile or context fails with a message naming it', async () => {
    const folder = await buildDir({ 'app.txt': 'hello\n' });
    const tag = tagFor('missing');

    const noDockerfile = await engine.build(request(folder, tag));
    expect(noDockerfile).toEqual({ ok: false, message: `Dockerfile not found: ${join(folder, 'Dockerfile')}`, log: '' });

    const noContext = await engine.build(request(folder, tag, { dockerfile: join(folder, 'app.txt'), context: join(folder, 'gone') }));
    expect(noContext).toEqual({ ok: false, message: `build context not found: ${join(folder, 'gone')}`, log: '' });
  });

  test('a docker that cannot be started fails the build with a message that says so', async () => {
    const folder = await buildDir({ Dockerfile: `FROM ${TEST_BASE}\n` });
    const broken = await createDockerEngine({ exec, docker: join(folder, 'no-such-docker') });
    expect(broken.builder).toBe('docker build');

    const result = await broken.build(request(folder, 'footprint-local/never:built'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/^could not start `.*no-such-docker` \(is Docker installed and on PATH\?\)/);
  });

  test('inspect of a missing image throws a clear error', async () => {
    await expect(engine.inspect('footprint-local/does-not-exist:0-head')).rejects.toThrow(
      'image footprint-local/does-not-exist:0-head not found in the local Docker engine'
    );
  });
});

describe('remove', () => {
  test('removes our tag and its dangling parents, never the base or an image another tag uses', async () => {
    const folder = await buildDir({ Dockerfile: `FROM ${TEST_BASE}\nRUN echo one > /one\nRUN echo two > /two\n` });
    const tag = tagFor('removable');
    const shared = tagFor('shared');
    const built = await engine.build(request(folder, tag));
    expect(built).toMatchObject({ ok: true });
    if (!built.ok) return;
    const sharedBuild = await engine.build(request(folder, shared));
    expect(sharedBuild).toMatchObject({ ok: true, imageId: built.imageId });

    // The classic builder keeps each step as an untagged parent image; BuildKit does not.
    const [{ Parent: parent }] = (await dockerJson<Array<{ Parent: string }>>(['image', 'inspect', built.imageId])) as [{ Parent: string }];

    // The image keeps another tag: only our tag goes.
    await engine.remove([tag]);
    expect(await imageExists(tag)).toBe(false);
    expect(await imageExists(built.imageId)).toBe(true);

    // The last tag goes, and with it the image; a ref that does not exist is no error.
    await engine.remove([shared, 'footprint-local/never-built:0-head']);
    expect(await imageExists(shared)).toBe(false);
    expect(await imageExists(built.imageId)).toBe(false);
    if (parent) expect(await imageExists(parent)).toBe(false);
    expect(await imageExists(TEST_BASE)).toBe(true);
  });
});

describe('secrets', () => {
  test('tokens in the environment reach neither the docker client nor the build; DOCKER_* settings do', async () => {
    const sentinel = `footprint-sentinel-${process.pid}`;
    const folder = await buildDir({ Dockerfile: `FROM ${TEST_BASE}\nRUN env > /env.txt\n` });
    // A docker that records the environment it was started with, then runs the real one.
    const realDocker = (await exec('sh', ['-c', 'command -v docker'])).stdout.trim();
    const clientEnv = join(folder, 'client-env.txt');
    const recordingDocker = join(folder, 'recording-docker');
    await writeFile(recordingDocker, `#!/bin/sh\nenv > '${clientEnv}'\nexec '${realDocker}' "$@"\n`);
    await chmod(recordingDocker, 0o755);
    const tag = tagFor('secrets');

    const result = await withEnv(
      { GITHUB_TOKEN: sentinel, 'INPUT_GITHUB-TOKEN': sentinel, ACTIONS_RUNTIME_TOKEN: sentinel, DOCKER_FOOTPRINT_PROBE: 'passed-through' },
      async () => (await createDockerEngine({ exec, docker: recordingDocker })).build(request(folder, tag))
    );

    expect(result).toMatchObject({ ok: true });
    const client = await readFile(clientEnv, 'utf8');
    expect(client).not.toContain(sentinel);
    expect(client).toContain('DOCKER_FOOTPRINT_PROBE=passed-through');
    const inBuild = await runInImage(tag, ['cat', '/env.txt']);
    expect(inBuild).toContain('PATH=');
    expect(inBuild).not.toContain(sentinel);
  });
});

// The docker CLI of Debian's docker.io package (the global setup installs it where no engine is
// installed): it builds with BuildKit under DOCKER_BUILDKIT=1 without the buildx plugin. Where it
// is missing this test fails and says so; it is never skipped.
const buildKitDocker = '/usr/bin/docker';
describe('BuildKit through the docker build command', () => {
  test(`DOCKER_BUILDKIT=1 ${buildKitDocker} builds with BuildKit and reports the image id`, async () => {
    if (!existsSync(buildKitDocker))
      throw new Error(`${buildKitDocker} is missing: install Debian's docker.io package, whose CLI builds with BuildKit on its own.`);
    const folder = await buildDir({
      Dockerfile: [`FROM ${TEST_BASE} AS app`, 'ARG FILE=small.bin', 'COPY ${FILE} /payload', 'FROM app AS extra', 'COPY small.bin /extra', ''].join(
        '\n'
      ),
      'small.bin': 's'.repeat(100),
      'large.bin': 'L'.repeat(200 * 1024)
    });
    const tag = tagFor('buildkit');

    const { result, failure, buildKitEngine } = await withEnv({ DOCKER_BUILDKIT: '1' }, async () => {
      const buildKitEngine = await createDockerEngine({ exec, docker: buildKitDocker });
      return {
        buildKitEngine,
        result: await buildKitEngine.build(request(folder, tag, { target: 'app', buildArgs: { FILE: 'large.bin' } })),
        failure: await buildKitEngine.build(request(folder, tagFor('buildkit-failing'), { target: 'app', buildArgs: { FILE: 'missing.bin' } }))
      };
    });

    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    // BuildKit's plain progress numbers its steps.
    expect(result.log).toMatch(/^#\d+ /m);
    const image = await buildKitEngine.inspect(tag);
    expect(image.id).toBe(result.imageId);
    expect(Math.abs(image.bytes - baseBytes - 200 * 1024)).toBeLessThan(SLACK);

    expect(failure.ok).toBe(false);
    if (!failure.ok) expect(failure.message).toMatch(/^docker build exited with code 1: .*missing\.bin/);
  });
});

// What the engine itself says is why a build failed: the failure message quotes it, for every kind of failure.
describe('failure messages quote the engine’s reason', () => {
  const cases: Array<[string, (base: string) => Record<string, string>, RegExp]> = [
    ['a missing COPY source', (base) => ({ Dockerfile: `FROM ${base}\nCOPY missing.txt /x\n` }), /missing\.txt.*(not found|does not exist)/],
    // No registry is reachable here: the name cannot even be resolved.
    [
      'an unpullable base image',
      () => ({ Dockerfile: 'FROM example.invalid/nothing:1\nRUN true\n' }),
      /example\.invalid.*(no such host|lookup|dial tcp|resolve)/
    ],
    [
      'a failing RUN',
      (base) => ({ Dockerfile: `FROM ${base}\nRUN echo boom >&2 && exit 3\n` }),
      /returned a non-zero code: 3|did not complete successfully: exit code: 3|executor failed running \[\/bin\/sh -c echo boom >&2 && exit 3\]/
    ]
  ];

  test.each(cases)('the classic builder: %s', async (what, files, reason) => {
    const folder = await buildDir(files(TEST_BASE));
    const result = await engine.build(request(folder, tagFor(`classic ${what}`)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(new RegExp(`^docker (buildx )?build exited with code \\d+: .*(${reason.source})`));
  });

  test.each(cases)('BuildKit: %s', async (what, files, reason) => {
    if (!existsSync(buildKitDocker)) throw new Error(`${buildKitDocker} is missing: install Debian's docker.io package.`);
    const folder = await buildDir(files(TEST_BASE));
    const result = await withEnv({ DOCKER_BUILDKIT: '1' }, async () =>
      (await createDockerEngine({ exec, docker: buildKitDocker })).build(request(folder, tagFor(`buildkit ${what}`)))
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // The step that failed and BuildKit's own ERROR line.
    expect(result.message).toMatch(new RegExp(`^docker build exited with code 1: \\[[^\\]]*\\] .*(${reason.source})`));
  });
});

describe('ensureReachable with the real docker client', () => {
  test('the running engine answers', async () => {
    await expect(engine.ensureReachable()).resolves.toBeUndefined();
  });

  test('a DOCKER_HOST socket that does not exist: one UserError naming it', async () => {
    const error = await withEnv({ DOCKER_HOST: 'unix:///tmp/footprint-nothing.sock' }, async () =>
      (await createDockerEngine({ exec })).ensureReachable().catch((caught: unknown) => caught)
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      /^No Docker engine is reachable \(DOCKER_HOST is unix:\/\/\/tmp\/footprint-nothing\.sock\): .*Cannot connect to the Docker daemon at unix:\/\/\/tmp\/footprint-nothing\.sock/
    );
  });
});
