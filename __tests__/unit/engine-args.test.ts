import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDockerEngine, dockerBuildArgs, imageTag, type BuildRequest } from '../../src/build/engine.js';
import { UserError } from '../../src/errors.js';
import type { Exec, ExecOptions, ExecResult } from '../../src/exec.js';

const request: BuildRequest = {
  dockerfile: '/repo/svc/Dockerfile',
  context: '/repo/svc',
  tag: 'footprint-local/svc:1-head',
  target: null,
  buildArgs: {},
  platform: null
};

describe('dockerBuildArgs', () => {
  test.each<[string, Partial<BuildRequest>, string[]]>([
    ['plain', {}, []],
    ['a target', { target: 'runtime' }, ['--target=runtime']],
    ['build args in order', { buildArgs: { VERSION: '1.2', EXTRA: 'a=b c' } }, ['--build-arg=VERSION=1.2', '--build-arg=EXTRA=a=b c']],
    ['a platform', { platform: 'linux/arm64' }, ['--platform=linux/arm64']],
    [
      'everything',
      { target: '-looks-like-a-flag', buildArgs: { A: '-1' }, platform: 'linux/amd64' },
      ['--target=-looks-like-a-flag', '--build-arg=A=-1', '--platform=linux/amd64']
    ]
  ])('%s', (_what, changes, extra) => {
    const built = { ...request, ...changes };
    const common = ['--iidfile', '/tmp/x/iid', '-f', '/repo/svc/Dockerfile', '-t', 'footprint-local/svc:1-head', ...extra];
    expect(dockerBuildArgs(built, 'buildx', '/tmp/x/iid')).toEqual(['buildx', 'build', '--load', '--progress=plain', ...common, '/repo/svc']);
    expect(dockerBuildArgs(built, 'docker build', '/tmp/x/iid')).toEqual(['build', '--force-rm', ...common, '/repo/svc']);
  });
});

// A docker reference as the distribution project defines it, without a registry host.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*:[\\w][\\w.-]{0,127}$`);

function expectValidReference(ref: string): void {
  expect(ref).toMatch(REFERENCE);
  expect(ref.split(':')[0]!.length).toBeLessThanOrEqual(255);
}

describe('imageTag', () => {
  test.each([
    ['a name that is already a valid path component', 'api', '1234', 'base', /^footprint-local\/api:1234-base$/],
    ['a Dockerfile path', 'svc/API/Dockerfile', '1234', 'head', /^footprint-local\/svc-api-dockerfile-[0-9a-f]{8}:1234-head$/],
    ['a name with spaces', 'my web app', '1234', 'head', /^footprint-local\/my-web-app-[0-9a-f]{8}:1234-head$/],
    ['accented letters', 'café/Dockerfile', '1234', 'head', /^footprint-local\/cafe-dockerfile-[0-9a-f]{8}:1234-head$/],
    ['a name with no Latin letters', '日本語のサービス', '1234', 'head', /^footprint-local\/image-[0-9a-f]{8}:1234-head$/],
    ['an emoji', '🚀 rocket', '1234', 'head', /^footprint-local\/rocket-[0-9a-f]{8}:1234-head$/],
    ['separators at the ends', '--_weird__name..', '1234', 'head', /^footprint-local\/weird-name-[0-9a-f]{8}:1234-head$/],
    ['an odd run id', 'api', '12/34 attempt #2', 'head', /^footprint-local\/api:12-34-attempt-2-head$/],
    ['a run id starting with a dot', 'api', '.hidden', 'head', /^footprint-local\/api:hidden-head$/],
    ['an empty run id', 'api', '', 'head', /^footprint-local\/api:run-head$/]
  ] as const)('%s', (_what, name, runId, side, expected) => {
    const tag = imageTag(name, side, runId);
    expect(tag).toMatch(expected);
    expectValidReference(tag);
  });

  test('a very long name or run id still gives a valid reference', () => {
    const tag = imageTag(`${'services/'.repeat(60)}Dockerfile`, 'base', '9'.repeat(300));
    expectValidReference(tag);
    expect(tag.length).toBeLessThan(255);
  });

  test('names that read alike get different tags; the same name always gets the same one', () => {
    const names = ['svc/API/Dockerfile', 'svc/api/Dockerfile', 'svc-api-dockerfile', 'svc api Dockerfile', 'x'.repeat(200), `${'x'.repeat(200)}y`];
    const tags = names.map((name) => imageTag(name, 'head', '1'));
    expect(new Set(tags).size).toBe(names.length);
    expect(imageTag('svc/API/Dockerfile', 'head', '1')).toBe(tags[0]);
    expect(imageTag('svc/API/Dockerfile', 'base', '1')).toBe(tags[0]!.replace(/-head$/, '-base'));
  });
});

interface Call {
  file: string;
  args: readonly string[];
  options: ExecOptions | undefined;
}

type Reply = Partial<ExecResult> & { imageId?: string };

/** An Exec that answers like docker would, writing the iidfile when asked to. */
function scriptedDocker(reply: (args: readonly string[]) => Reply): { exec: Exec; calls: Call[] } {
  const calls: Call[] = [];
  const exec: Exec = async (file, args, options) => {
    calls.push({ file, args, options });
    const { imageId, ...result } = reply(args);
    const iidfile = args.indexOf('--iidfile');
    if (imageId !== undefined && iidfile >= 0) await writeFile(args[iidfile + 1]!, imageId);
    return { exitCode: 0, stdout: '', stderr: '', all: '', failure: null, ...result };
  };
  return { exec, calls };
}

const IMAGE_ID = `sha256:${'ab'.repeat(32)}`;
const noBuildx = (args: readonly string[]): Reply | null => (args[0] === 'buildx' ? { exitCode: 1, all: 'unknown command' } : null);

describe('createDockerEngine with a scripted docker', () => {
  let folder: string;
  let build: BuildRequest;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'footprint-engine-unit-'));
    await writeFile(join(folder, 'Dockerfile'), 'FROM scratch\n');
    build = { ...request, dockerfile: join(folder, 'Dockerfile'), context: folder };
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  test('uses buildx when `docker buildx version` works, and reads the image id from the iidfile', async () => {
    const { exec, calls } = scriptedDocker(() => ({ imageId: `${IMAGE_ID}\n`, all: 'building' }));
    const engine = await createDockerEngine({ exec, docker: '/opt/docker' });
    const lines: string[] = [];

    const result = await engine.build({ ...build, onLine: (line) => lines.push(line) });

    expect(engine.builder).toBe('buildx');
    expect(result).toEqual({ ok: true, imageId: IMAGE_ID, log: 'building' });
    const buildCall = calls[1]!;
    expect(buildCall.file).toBe('/opt/docker');
    expect(buildCall.args.slice(0, 4)).toEqual(['buildx', 'build', '--load', '--progress=plain']);
    expect(buildCall.options?.onLine).toBeDefined();
    // The temporary iidfile is gone afterwards.
    expect(existsSync(buildCall.args[buildCall.args.indexOf('--iidfile') + 1]!)).toBe(false);
  });

  test('falls back to `docker build` with plain BuildKit progress; every command has a clean environment', async () => {
    const { exec, calls } = scriptedDocker((args) => noBuildx(args) ?? { imageId: IMAGE_ID });
    const engine = await createDockerEngine({ exec });

    expect(await engine.build(build)).toMatchObject({ ok: true, imageId: IMAGE_ID });
    await engine.inspect('x').catch(() => undefined);
    await engine.remove(['x']);

    expect(engine.builder).toBe('docker build');
    expect(calls[1]!.args[0]).toBe('build');
    expect(calls[1]!.options?.env).toEqual({ BUILDKIT_PROGRESS: 'plain' });
    expect(calls.map((call) => [call.file, call.options?.cleanEnv])).toEqual(calls.map(() => ['docker', true]));
  });

  test.each<[string, Reply, string]>([
    [
      'a non-zero exit, naming the last error line',
      { exitCode: 1, all: "Step 2/2 : RUN exit 3\nThe command '/bin/sh -c exit 3' returned a non-zero code: 3" },
      "docker build exited with code 1: The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    ],
    ['a non-zero exit with no error line', { exitCode: 2, all: 'Step 1/1' }, 'docker build exited with code 2'],
    [
      'docker that cannot be started',
      { exitCode: -1, failure: 'Command failed with ENOENT: docker build' },
      'could not start `docker` (is Docker installed and on PATH?): Command failed with ENOENT: docker build'
    ],
    [
      'a timeout',
      { exitCode: 143, failure: 'Command timed out after 5 milliseconds' },
      'docker build did not finish: Command timed out after 5 milliseconds'
    ],
    ['a success without an image id', { exitCode: 0, imageId: 'garbage' }, 'docker build succeeded but wrote no image id']
  ])('reports %s as a failed build', async (_what, reply, message) => {
    const { exec } = scriptedDocker((args) => noBuildx(args) ?? reply);
    const engine = await createDockerEngine({ exec });
    expect(await engine.build(build)).toEqual({ ok: false, message, log: reply.all ?? '' });
  });

  test('a build given a time limit says whether it ran out of time, and passes the limit to docker', async () => {
    const { exec, calls } = scriptedDocker((args) => noBuildx(args) ?? { exitCode: 143, failure: 'Command timed out after 0 milliseconds' });
    const engine = await createDockerEngine({ exec });
    expect(await engine.build({ ...build, timeoutMs: 0 })).toMatchObject({ ok: false, timedOut: true });
    expect(calls.at(-1)!.options?.timeoutMs).toBe(0);
  });

  test('does not call docker when the Dockerfile is missing', async () => {
    const { exec, calls } = scriptedDocker(() => ({}));
    const engine = await createDockerEngine({ exec });
    const missing = join(folder, 'nope', 'Dockerfile');
    expect(await engine.build({ ...build, dockerfile: missing })).toEqual({ ok: false, message: `Dockerfile not found: ${missing}`, log: '' });
    expect(await engine.build({ ...build, context: join(folder, 'Dockerfile') })).toMatchObject({
      message: `build context is not a directory: ${join(folder, 'Dockerfile')}`
    });
    expect(calls).toHaveLength(1); // only `buildx version`
  });

  test('inspect reads the id and size from the JSON docker prints', async () => {
    const { exec, calls } = scriptedDocker(() => ({ stdout: JSON.stringify({ Id: IMAGE_ID, Size: 1234, RepoTags: ['a:b'] }) }));
    const engine = await createDockerEngine({ exec });
    expect(await engine.inspect('a:b')).toEqual({ id: IMAGE_ID, bytes: 1234 });
    expect(calls[1]!.args).toEqual(['image', 'inspect', '--format', '{{json .}}', '--', 'a:b']);
  });

  test.each<[string, Reply, string]>([
    ['a missing image', { exitCode: 1, all: 'Error: No such image: a:b' }, 'image a:b not found in the local Docker engine'],
    [
      'an engine that is not running',
      { exitCode: 1, all: 'Cannot connect to the Docker daemon. Is the docker daemon running?' },
      'docker image inspect a:b failed: Cannot connect to the Docker daemon. Is the docker daemon running?'
    ],
    ['another failure without words', { exitCode: 125, all: '' }, 'docker image inspect a:b failed: exit code 125'],
    ['output that is not JSON', { stdout: 'not json' }, 'docker image inspect a:b printed something other than JSON'],
    ['JSON without a size', { stdout: '{"Id":"sha256:1"}' }, 'docker image inspect a:b did not report an image id and size'],
    [
      'docker that cannot be started',
      { exitCode: -1, failure: 'spawn docker ENOENT' },
      'could not start `docker` to inspect image a:b: spawn docker ENOENT'
    ]
  ])('inspect throws a clear error for %s', async (_what, reply, message) => {
    const { exec } = scriptedDocker((args) => (args[0] === 'image' ? reply : {}));
    const engine = await createDockerEngine({ exec });
    await expect(engine.inspect('a:b')).rejects.toThrow(message);
  });

  test('remove untags each ref once, without force, and never throws', async () => {
    const { exec, calls } = scriptedDocker(() => ({}));
    const engine = await createDockerEngine({ exec });
    await engine.remove([]);
    await engine.remove(['a:1', 'b:2', 'a:1']);
    expect(calls.slice(1).map((call) => call.args)).toEqual([['image', 'rm', '--', 'a:1', 'b:2']]);

    const failing: Exec = async (_file, args) => {
      if (args[0] === 'buildx') return { exitCode: 0, stdout: '', stderr: '', all: '', failure: null };
      throw new Error('exec broke');
    };
    await expect((await createDockerEngine({ exec: failing })).remove(['a:1'])).resolves.toBeUndefined();
  });
});

describe('ensureReachable: one clear error when no engine answers', () => {
  const saved = { host: process.env.DOCKER_HOST, context: process.env.DOCKER_CONTEXT };
  afterAll(() => {
    for (const [key, value] of [
      ['DOCKER_HOST', saved.host],
      ['DOCKER_CONTEXT', saved.context]
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  test('an engine that answers: resolves, asking once with machine output however often it is called', async () => {
    const { exec, calls } = scriptedDocker((args) => (args[0] === 'version' ? { stdout: '{"Version":"28.2.2"}' } : {}));
    const engine = await createDockerEngine({ exec });
    await engine.ensureReachable();
    await engine.ensureReachable();
    const versions = calls.filter((call) => call.args[0] === 'version');
    expect(versions).toHaveLength(1);
    expect(versions[0]!.args).toEqual(['version', '--format', '{{json .Server}}']);
    expect(versions[0]!.options).toMatchObject({ cleanEnv: true, timeoutMs: 60_000 });
  });

  test('a socket nobody listens on: a UserError naming DOCKER_HOST and docker’s reason', async () => {
    process.env.DOCKER_HOST = 'unix:///tmp/nothing.sock';
    const { exec } = scriptedDocker((args) =>
      args[0] === 'version'
        ? { exitCode: 1, stdout: 'null', stderr: 'Cannot connect to the Docker daemon at unix:///tmp/nothing.sock. Is the docker daemon running?' }
        : {}
    );
    const engine = await createDockerEngine({ exec });
    const error = await engine.ensureReachable().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      'No Docker engine is reachable (DOCKER_HOST is unix:///tmp/nothing.sock): Cannot connect to the Docker daemon at unix:///tmp/nothing.sock. Is the docker daemon running? Nothing was built or measured.'
    );
  });

  test('without DOCKER_HOST the message names the default socket', async () => {
    delete process.env.DOCKER_HOST;
    delete process.env.DOCKER_CONTEXT;
    const { exec } = scriptedDocker((args) => (args[0] === 'version' ? { exitCode: 1, stdout: 'null', stderr: 'permission denied' } : {}));
    const engine = await createDockerEngine({ exec });
    await expect(engine.ensureReachable()).rejects.toThrow(/DOCKER_HOST is not set.*unix:\/\/\/var\/run\/docker\.sock\): permission denied/);
  });

  test('docker that is not installed says so', async () => {
    const { exec } = scriptedDocker(() => ({ exitCode: -1, failure: 'Command failed with ENOENT: docker version\nspawn docker ENOENT' }));
    const engine = await createDockerEngine({ exec });
    await expect(engine.ensureReachable()).rejects.toThrow(
      /^Docker is not installed or not on PATH: could not start `docker` \(Command failed with ENOENT: docker version\)/
    );
  });

  test('a build stopped by a signal or a timeout is never reported as docker missing', async () => {
    const { exec } = scriptedDocker(
      (args) => noBuildx(args) ?? { exitCode: -1, failure: 'Command was killed with SIGTERM (Termination): docker build' }
    );
    const engine = await createDockerEngine({ exec });
    const folder = await mkdtemp(join(tmpdir(), 'footprint-engine-unit-'));
    await writeFile(join(folder, 'Dockerfile'), 'FROM scratch\n');
    const result = await engine.build({ ...request, dockerfile: join(folder, 'Dockerfile'), context: folder });
    await rm(folder, { recursive: true, force: true });
    expect(result).toMatchObject({ ok: false, message: 'docker build did not finish: Command was killed with SIGTERM (Termination): docker build' });
  });
});
