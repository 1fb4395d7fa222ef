import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../../src/build/engine.js';
import type { Target } from '../../src/discover/target.js';
import { measureTargets, type ImageReader } from '../../src/measure/measure.js';
import { file, image, layer } from '../support/layers.js';
import { testTarget } from '../support/targets.js';

// Which stage is built depends on the build arg: only with it do the layers match the Dockerfile.
const DOCKERFILE = 'ARG FROM_STAGE=runtime\nFROM alpine AS build\nRUN make\nFROM alpine AS runtime\nCOPY x /x\nFROM ${FROM_STAGE}\nRUN echo hi\n';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'footprint-measure-'));
  await writeFile(join(root, 'Dockerfile'), DOCKERFILE);
  await writeFile(join(root, 'Broken.Dockerfile'), 'RUN echo no base\n');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function target(dockerfile: string, overrides: Partial<Target> = {}): Target {
  return testTarget({ dockerfile, ...overrides });
}

const engine: Engine = {
  builder: 'buildx',
  buildKit: true,
  build: async () => ({ ok: true, imageId: 'sha256:1', log: '' }),
  inspect: async () => ({ id: 'sha256:1', bytes: 30 }),
  remove: async () => undefined,
  ensureReachable: async () => undefined,
  pull: async () => ({ ok: false, message: 'not in this test' })
};

const readImage: ImageReader = async () =>
  image([layer([file('rootfs', 10)]), layer([file('out', 10)]), layer([file('hi', 10)])], {
    history: [
      { created_by: 'ADD rootfs / # buildkit' },
      { created_by: 'RUN /bin/sh -c make # buildkit' },
      { created_by: 'RUN /bin/sh -c echo hi # buildkit' }
    ]
  });

function measure(targets: Target[]) {
  return measureTargets({ engine, targets, root, side: 'head', runId: 'test', estimateCompressed: false, readImage });
}

describe('measureTargets reads each Dockerfile once', () => {
  test("parsed with the build's args: the history matcher and the advice see the stage that is built", async () => {
    const [measurement] = await measure([target('Dockerfile', { buildArgs: { FROM_STAGE: 'build' } })]);
    expect(measurement!.dockerfile?.final?.from.stage).toBe(0);
    expect(measurement!.dockerfileError).toBeNull();
    expect(measurement!.anatomy?.layers.map((item) => item.line)).toEqual([null, 3, 7]);
  });

  test('its problems stay on the parsed Dockerfile', async () => {
    const [measurement] = await measure([target('Broken.Dockerfile')]);
    expect(measurement!.dockerfile?.problems.map((problem) => problem.line)).toContain(1);
    expect(measurement!.dockerfileError).toBeNull();
  });

  test('an unreadable one keeps why, and the image is still measured', async () => {
    const [measurement] = await measure([target('Missing.Dockerfile')]);
    expect(measurement!.dockerfile).toBeNull();
    expect(measurement!.dockerfileError).toMatch(/ENOENT/);
    expect(measurement!.size?.bytes).toBe(30);
  });
});
