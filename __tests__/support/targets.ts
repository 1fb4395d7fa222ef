/** Targets for tests: what planning gives a Dockerfile with no settings, with the fields a test cares about changed. */
import type { Target } from '../../src/discover/target.js';

/** The target of `dockerfile` (default `Dockerfile`, named after it), built from `.` with no settings. */
export function testTarget(overrides: Partial<Target> = {}): Target {
  const dockerfile = overrides.dockerfile === undefined ? 'Dockerfile' : overrides.dockerfile;
  return {
    name: dockerfile ?? 'image',
    dockerfile,
    context: '.',
    image: null,
    target: null,
    buildArgs: {},
    platform: null,
    budget: null,
    maxIncrease: null,
    maxWasted: null,
    ignore: [],
    baseImage: null,
    ...overrides
  };
}

/** The target of `NAME/Dockerfile`, named NAME, with its folder as the context. */
export function folderTarget(name: string): Target {
  return testTarget({ name, dockerfile: `${name}/Dockerfile`, context: name });
}
