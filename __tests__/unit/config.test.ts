import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, MAX_CONFIG_BYTES, parseConfig, type Config } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';
import { createRepoPair, type RepoPair } from '../support/git-fixture.js';

const FILE = '.github/footprint.yml';
const IMAGE_KEYS = 'dockerfile, context, target, build-args, platform, budget, max-increase, max-wasted, metric, base-image, ignore, skip';
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
        'base-image: ghcr.io/acme/{name}:sha-{base-sha}',
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
        "    base-image: ' ghcr.io/acme/api:{base-ref} '",
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
          skip: false,
          baseImage: 'ghcr.io/acme/api:{base-ref}'
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
          skip: true,
          baseImage: null
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
          skip: false,
          baseImage: null
        }
      ],
      baseImage: 'ghcr.io/acme/{name}:sha-{base-sha}'
    } satisfies Config);
  });

  test.each([
    ['ghcr.io/acme/{nmae}:main', '{nmae}'],
    ['ghcr.io/acme/api:{sha}', '{sha}'],
    ['ghcr.io/acme/api main', 'a space'],
    ['--all-tags', 'an option']
  ])('a base-image of %s (%s) is refused, naming the line and the placeholders allowed', (value) => {
    const text = yaml('images:', '  api:', `    base-image: "${value}"`);
    expect(() => parseConfig(text, FILE)).toThrow(
      `${FILE}:3: images.api.base-image: "${value}" is not an image reference; expected e.g. ghcr.io/acme/api:main, with only {name}, {base-sha}, {base-ref} as placeholders`
    );
  });

  test.each([
    ['an empty file', ''],
    ['only comments', '# nothing yet\n'],
    ['an explicit null document', '~\n']
  ])('%s is an empty config', (_label, text) => {
    expect(parseConfig(text, FILE)).toEqual({
      file: FILE,
      budget: null,
      maxIncrease: null,
      maxWasted: null,
      metric: null,
      ignore: [],
      images: [],
      baseImage: null
    });
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
      `${FILE}:3: unknown key "budgets" (expected one of budget, max-increase, max-wasted, metric, base-image, ignore, images)`
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
    expect(config).toEqual({ file: null, budget: null, maxIncrease: null, maxWasted: null, metric: null, ignore: [], images: [], baseImage: null });
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

describe('loadConfig: a config file committed as a symlink', () => {
  const SECRET = 'OUTSIDE-SECRET-c0nf: hunter2';
  let pair: RepoPair;
  let secrets: string;

  beforeAll(async () => {
    secrets = await realpath(await mkdtemp(join(tmpdir(), 'footprint-secrets-')));
    // Shaped like a config, so it would parse (and its values would be quoted) if it were read.
    await writeFile(join(secrets, 'footprint.yml'), yaml(`budget: "${SECRET}"`));
    await mkdir(join(secrets, 'github'));
    await writeFile(join(secrets, 'github', 'footprint.yml'), yaml(`budget: "${SECRET}"`));
    pair = await createRepoPair({
      base: {
        '.github/footprint.yml': { symlink: join(secrets, 'footprint.yml') },
        'ci/inside.yml': { symlink: '../conf/real.yml' },
        'conf/real.yml': yaml('budget: 100MB'),
        'linked-folder': { symlink: join(secrets, 'github') }
      },
      head: {}
    });
  });
  afterAll(async () => {
    await pair.cleanup();
    await rm(secrets, { recursive: true, force: true });
  });

  const load = (path: string, required = false) => loadConfig(join(pair.checkout, path), { required, displayPath: path, root: pair.checkout });
  const leaves = (path: string) =>
    `config: ${path} leads out of the repository through a symlink; footprint does not read or build anything outside it`;

  test.each([
    ['.github/footprint.yml', false],
    ['.github/footprint.yml', true],
    ['linked-folder/footprint.yml', true]
  ])('%s (required: %s) leads out: refused with a UserError, unread', async (path, required) => {
    const error = await load(path, required).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(leaves(path));
    expect((error as Error).message).not.toContain(SECRET);
  });

  test('a symlink that stays inside the repository is read', async () => {
    expect((await load('ci/inside.yml', true)).budget).toEqual({ bytes: 100_000_000, source: '100MB' });
  });

  test('a file outside the repository that the workflow names itself is read (not a path the repository chose)', async () => {
    const config = await loadConfig(join(pair.checkout, '..', 'conf.yml'), { required: false, displayPath: '../conf.yml', root: pair.checkout });
    expect(config.file).toBeNull();
  });
});

describe('loadConfig and parseConfig: size', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'footprint-config-size-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a file over 1 MiB is refused, naming the file', async () => {
    await writeFile(join(dir, 'big.yml'), `budget: 100MB\n# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    await expect(loadConfig(join(dir, 'big.yml'), { required: false, displayPath: FILE })).rejects.toThrow(
      new UserError(`config: ${FILE} is bigger than 1,048,576 bytes (1 MiB); a config file must be smaller`)
    );
  });

  test('a file of exactly 1 MiB is read', async () => {
    const head = 'budget: 100MB\n# ';
    await writeFile(join(dir, 'full.yml'), `${head}${'x'.repeat(MAX_CONFIG_BYTES - head.length - 1)}\n`);
    expect((await loadConfig(join(dir, 'full.yml'), { required: false, displayPath: FILE })).budget?.bytes).toBe(100_000_000);
  });

  test.each([
    [
      'a size',
      yaml(`budget: "${'9'.repeat(50)}${'z'.repeat(100_000)}"`),
      `${FILE}:1: budget: "${'9'.repeat(50)}${'z'.repeat(10)}…" (100,050 characters) is not a size`
    ],
    ['a share', yaml(`max-increase: "${'%'.repeat(100_000)}"`), `${FILE}:1: max-increase: "${'%'.repeat(60)}…" (100,000 characters) is not`],
    [
      'a path',
      yaml('images:', '  api:', `    dockerfile: /${'a'.repeat(100_000)}`),
      `${FILE}:3: images.api.dockerfile: "/${'a'.repeat(59)}…" (100,001 characters) must be`
    ],
    // YAML keys are at most 1,024 characters.
    ['a key', yaml(`${'k'.repeat(1000)}: 1`), `${FILE}:1: unknown key "${'k'.repeat(60)}…" (1,000 characters)`],
    [
      'an image name',
      yaml('images:', `  ${'n'.repeat(1000)}:`, '    budget: huge'),
      `${FILE}:3: images.${'n'.repeat(60)}….budget: "huge" is not a size`
    ]
  ])('an error about %s quotes only the start of a long value', (_, text, start) => {
    const message = errorOf(text);
    expect(message.slice(0, start.length)).toBe(start);
    expect(message.length).toBeLessThan(400);
  });
});
