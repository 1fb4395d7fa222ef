import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig, type Config } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';

const FILE = '.github/footprint.yml';
const IMAGE_KEYS = 'dockerfile, context, target, build-args, platform, budget, max-increase, max-wasted, metric, ignore, skip';
const SIZE_HINT = 'expected a number with a unit such as 250MB, 1.2GB, 300MiB or 900kB (a bare number means MB)';

function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

function errorOf(text: string): string {
  try {
    parseConfig(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('parseConfig: valid files', () => {
  test('a full file', () => {
    const config = parseConfig(
      yaml(
        '# yaml-language-server: $schema=../schema/footprint.schema.json',
        'budget: 500MB',
        'max-increase: 10%, 5MB',
        'max-wasted: 20MB, 10%',
        'metric: compressed',
        'ignore: [join-runs]',
        'images:',
        '  api:',
        '    dockerfile: ./svc/api/Dockerfile',
        '    context: svc/',
        '    target: runtime',
        '    build-args:',
        '      VERSION: 1.2',
        '      DEBUG: false',
        '      NAME: api',
        '    platform: linux/amd64',
        '    budget: 1.2GB',
        '    max-increase: 25MB',
        '    max-wasted: 5%',
        '    metric: uncompressed',
        '    ignore:',
        '      - pip-no-cache-dir',
        '  worker:',
        '    skip: true',
        '  svc/web/Dockerfile:',
        '    budget: 80'
      ),
      FILE
    );
    expect(config).toEqual({
      file: FILE,
      budget: { bytes: 500_000_000, source: '500MB' },
      maxIncrease: { percent: 10, bytes: 5_000_000, source: '10%, 5MB' },
      maxWasted: { percent: 10, bytes: 20_000_000, source: '20MB, 10%' },
      metric: 'compressed',
      ignore: ['join-runs'],
      images: [
        {
          name: 'api',
          dockerfile: 'svc/api/Dockerfile',
          context: 'svc',
          target: 'runtime',
          buildArgs: { VERSION: '1.2', DEBUG: 'false', NAME: 'api' },
          platform: 'linux/amd64',
          budget: { bytes: 1_200_000_000, source: '1.2GB' },
          maxIncrease: { percent: null, bytes: 25_000_000, source: '25MB' },
          maxWasted: { percent: 5, bytes: null, source: '5%' },
          metric: 'uncompressed',
          ignore: ['pip-no-cache-dir'],
          skip: false
        },
        {
          name: 'worker',
          dockerfile: null,
          context: null,
          target: null,
          buildArgs: {},
          platform: null,
          budget: null,
          maxIncrease: null,
          maxWasted: null,
          metric: null,
          ignore: [],
          skip: true
        },
        {
          name: 'svc/web/Dockerfile',
          dockerfile: null,
          context: null,
          target: null,
          buildArgs: {},
          platform: null,
          budget: { bytes: 80_000_000, source: '80' },
          maxIncrease: null,
          maxWasted: null,
          metric: null,
          ignore: [],
          skip: false
        }
      ]
    } satisfies Config);
  });

  test.each([
    ['an empty file', ''],
    ['only comments', '# nothing yet\n'],
    ['an explicit null document', '~\n']
  ])('%s is an empty config', (_label, text) => {
    expect(parseConfig(text, FILE)).toEqual({ file: FILE, budget: null, maxIncrease: null, maxWasted: null, metric: null, ignore: [], images: [] });
  });

  test('images in file order', () => {
    const config = parseConfig(yaml('images:', '  zeta: {budget: 1MB}', '  alpha: {budget: 2MB}'), FILE);
    expect(config.images.map((image) => image.name)).toEqual(['zeta', 'alpha']);
  });

  test.each([
    ['./Dockerfile', 'Dockerfile'],
    ['a//b/../c/Dockerfile', 'a/c/Dockerfile'],
    ['docker/', 'docker']
  ])('dockerfile %p is normalised to %p', (written, normal) => {
    expect(parseConfig(yaml('images:', '  x:', `    dockerfile: ${written}`), FILE).images[0]!.dockerfile).toBe(normal);
  });

  test('context "." stays the root', () => {
    expect(parseConfig(yaml('images:', '  x:', '    context: .'), FILE).images[0]!.context).toBe('.');
  });
});

describe('parseConfig: errors name the file, line and key', () => {
  test.each([
    ['YAML syntax error', yaml('budget: 500MB', 'images:', '  api:', '    budget: [1, 2', '  web: {}'), /^\.github\/footprint\.yml:5:\d+: /],
    ['bad indentation', yaml('images:', '  api:', '     budget: 1MB', '    dockerfile: x'), /^\.github\/footprint\.yml:4:\d+: /],
    ['duplicate key', yaml('images:', '  api: {}', '  api: {}'), /^\.github\/footprint\.yml:3:3: Map keys must be unique/],
    ['tab indentation', 'images:\n\tapi: {}\n', /^\.github\/footprint\.yml:2:1: /],
    [
      'two documents',
      yaml('budget: 1GB', '---', 'budget: 2GB'),
      /^\.github\/footprint\.yml:2:1: the file must hold a single YAML document \(found a second "---"\)$/
    ]
  ])('%s', (_label, text, pattern) => {
    const message = errorOf(text);
    expect(message).toMatch(pattern);
    expect(message).not.toMatch(/\n/);
    expect(message).not.toMatch(/at line \d+, column/);
  });

  test.each([
    [
      'unknown image key',
      yaml('budget: 1GB', 'images:', '  api:', '    dockerfile: a/Dockerfile', '    dockerfil: b/Dockerfile'),
      `${FILE}:5: images.api: unknown key "dockerfil" (expected one of ${IMAGE_KEYS})`
    ],
    [
      'unknown top-level key',
      yaml('budget: 1GB', '', 'budgets: 2GB'),
      `${FILE}:3: unknown key "budgets" (expected one of budget, max-increase, max-wasted, metric, ignore, images)`
    ],
    [
      'wrong type for a size',
      yaml('images:', '  api:', '    dockerfile: a/Dockerfile', '', '', '', '    budget: [250MB]'),
      `${FILE}:7: images.api.budget: must be string or number`
    ],
    ['wrong type for images', yaml('images: [api, web]'), `${FILE}:1: images: must be object`],
    ['empty images', yaml('images:'), `${FILE}:1: images: must be object`],
    ['an image that is not a mapping', yaml('images:', '  api: yes'), `${FILE}:2: images.api: must be object`],
    ['skip not a boolean', yaml('images:', '  api:', '    skip: "no"'), `${FILE}:3: images.api.skip: must be boolean`],
    [
      'a build-arg that is a list',
      yaml('images:', '  api:', '    build-args:', '      A: 1', '      B: [x]'),
      `${FILE}:5: images.api.build-args.B: must be string or number or boolean`
    ],
    ['empty dockerfile', yaml('images:', '  api:', '    dockerfile: ""'), `${FILE}:3: images.api.dockerfile: must not be empty`],
    ['top level a list', yaml('- api'), `${FILE}:1: must be object`],
    ['ignore not a list', yaml('ignore: join-runs'), `${FILE}:1: ignore: must be array`],
    ['ignore with a rule twice', yaml('ignore: [a, a]'), `${FILE}:1: ignore: lists an item more than once`],
    ['an unknown metric', yaml('budget: 1GB', 'metric: gzip'), `${FILE}:2: metric: must be one of uncompressed, compressed`],
    [
      'an unknown image metric',
      yaml('images:', '  api:', '    metric: zstd'),
      `${FILE}:3: images.api.metric: must be one of uncompressed, compressed`
    ],
    ['an empty image name', yaml('budget: 1GB', 'images:', '  "": {}'), `${FILE}:2: images: the key "" is not valid: a key must not be empty`],
    [
      'an empty build-arg name',
      yaml('images:', '  api:', '    build-args:', '      "": 1'),
      `${FILE}:3: images.api.build-args: the key "" is not valid: a key must not be empty`
    ],
    ['top level a string', yaml('hello'), `${FILE}:1: must be object`],
    [
      'a name with a slash in the path',
      yaml('images:', '  svc/api/Dockerfile:', '    buget: 1MB'),
      `${FILE}:3: images.svc/api/Dockerfile: unknown key "buget" (expected one of ${IMAGE_KEYS})`
    ],
    [
      'a bad waste limit',
      yaml('max-wasted: lots'),
      `${FILE}:1: max-wasted: "lots" is not a waste limit; expected a percentage, a size or both separated by a comma, such as 10%, 25MB or "10%, 5MB"`
    ],
    [
      'a bad size',
      yaml('budget: 1GB', 'images:', '  api:', '    budget: 250 megs'),
      `${FILE}:4: images.api.budget: "250 megs" is not a size; ${SIZE_HINT}`
    ],
    ['a bad top-level size', yaml('budget: -3'), `${FILE}:1: budget: "-3" is not a size; ${SIZE_HINT}`],
    [
      'a bad increase',
      yaml('images:', '  api:', '    max-increase: 10%, 20%'),
      `${FILE}:3: images.api.max-increase: "10%, 20%" has more than one percentage; expected a percentage, a size or both separated by a comma, such as 10%, 25MB or "10%, 5MB"`
    ],
    [
      'an absolute dockerfile',
      yaml('images:', '  api:', '    dockerfile: /etc/Dockerfile'),
      `${FILE}:3: images.api.dockerfile: "/etc/Dockerfile" must be a path inside the repository, relative to its root`
    ],
    [
      'a context outside the repository',
      yaml('images:', '  api:', '    context: a/../../outside'),
      `${FILE}:3: images.api.context: "a/../../outside" must be a path inside the repository, relative to its root`
    ]
  ])('%s', (_label, text, message) => {
    expect(errorOf(text)).toBe(message);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'footprint-config-'));
    await mkdir(join(dir, 'folder.yml'));
    await writeFile(join(dir, 'footprint.yml'), yaml('budget: 100MB'));
    await writeFile(join(dir, 'broken.yml'), yaml('images:', '  api:', '    dockerfile: [a'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads a file', async () => {
    const config = await loadConfig(join(dir, 'footprint.yml'), { required: true, displayPath: 'ci/footprint.yml' });
    expect(config.file).toBe('ci/footprint.yml');
    expect(config.budget).toEqual({ bytes: 100_000_000, source: '100MB' });
  });

  test('a missing file that was not asked for is an empty config', async () => {
    const config = await loadConfig(join(dir, 'missing.yml'), { required: false, displayPath: FILE });
    expect(config).toEqual({ file: null, budget: null, maxIncrease: null, maxWasted: null, metric: null, ignore: [], images: [] });
  });

  test.each([
    ['missing.yml', 'config: ci/footprint.yml does not exist'],
    ['folder.yml', 'config: ci/footprint.yml is a folder, not a file']
  ])('%s when required', async (name, message) => {
    const load = loadConfig(join(dir, name), { required: true, displayPath: 'ci/footprint.yml' });
    await expect(load).rejects.toThrow(UserError);
    await expect(loadConfig(join(dir, name), { required: true, displayPath: 'ci/footprint.yml' })).rejects.toThrow(message);
  });

  test('syntax errors name the display path', async () => {
    await expect(loadConfig(join(dir, 'broken.yml'), { required: false, displayPath: FILE })).rejects.toThrow(/^\.github\/footprint\.yml:\d+:\d+: /);
  });
});
