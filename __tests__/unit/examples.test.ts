import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { planTargets } from '../../src/discover/plan.js';
import { DEFAULT_DOCKERFILE_GLOBS } from '../../src/inputs.js';

const examples = resolve(import.meta.dirname, '..', '..', 'examples');
const noDefaults = { budget: null, maxIncrease: null, maxWasted: null, metric: null, buildArgs: {}, target: null, platform: null };

describe('examples/', () => {
  test('the example config is valid and names every example Dockerfile', async () => {
    const config = await loadConfig(join(examples, 'footprint.yml'), { required: true, displayPath: 'examples/footprint.yml' });
    const targets = await planTargets({
      root: examples,
      globs: DEFAULT_DOCKERFILE_GLOBS,
      config,
      defaults: noDefaults,
      images: [],
      side: 'head'
    });
    expect(targets.map((t) => [t.name, t.dockerfile, t.budget?.source])).toEqual([
      ['python-debian', 'python/Dockerfile', '1.2GB'],
      ['python-alpine', 'python/Dockerfile.alpine', '80MB'],
      ['go-toolchain', 'go/Dockerfile', '1GB'],
      ['go-alpine', 'go/Dockerfile.alpine', '25MB'],
      ['go-scratch', 'go/Dockerfile.scratch', '15MB']
    ]);
    expect(targets.find((t) => t.name === 'go-scratch')?.maxIncrease).toMatchObject({ bytes: 1_000_000, percent: null });
  });

  test('the example workflow uses the action on pull requests with permission to comment', async () => {
    const workflow = parse(await readFile(join(examples, 'workflow.yml'), 'utf8'));
    const events = typeof workflow.on === 'string' ? [workflow.on] : Object.keys(workflow.on);
    expect(events).toContain('pull_request');
    expect(workflow.permissions['pull-requests']).toBe('write');
    const steps = workflow.jobs.footprint.steps as Array<{ uses?: string }>;
    expect(steps.some((step) => step.uses?.startsWith('footprint-action/footprint@'))).toBe(true);
  });
});
