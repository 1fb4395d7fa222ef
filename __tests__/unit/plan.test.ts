import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Config, ImageConfig } from '../../src/config/load.js';
import type { Target } from '../../src/discover/target.js';
import { findDockerfiles, planTargets, type PlanOptions } from '../../src/discover/plan.js';
import { UserError } from '../../src/errors.js';
import { DEFAULT_DOCKERFILE_GLOBS } from '../../src/inputs.js';
import type { Budget, ShareLimit, SizeLimit } from '../../src/model/limits.js';
import type { Settings } from '../../src/model/settings.js';
import { createRepoPair, type RepoPair } from '../support/git-fixture.js';

const FILES = [
  'Dockerfile',
  'svc/api/Dockerfile',
  'svc/api/Dockerfile.dev',
  'svc/api/Dockerfile.dockerignore',
  'svc/web/Dockerfile-alpine',
  'tools/build.Dockerfile',
  '.devcontainer/Dockerfile',
  'node_modules/pkg/Dockerfile',
  'svc/web/node_modules/dep/Dockerfile',
  '.git/Dockerfile',
  'docs/README.md',
  'odd/custom.docker'
];

/** A budget as written (in the config or an input): no metric yet. */
const size = (mb: number): SizeLimit => ({ bytes: mb * 1e6, source: `${mb}MB` });
/** A budget as a target has it, once its metric is resolved. */
const budget = (mb: number): Budget => ({ ...size(mb), metric: 'uncompressed' });
const increase = (source: string, percent: number | null, bytes: number | null): ShareLimit => ({ percent, bytes, source });

const NO_DEFAULTS: Settings = {
  budget: null,
  maxIncrease: null,
  maxWasted: null,
  metric: null,
  buildArgs: {},
  target: null,
  platform: null
};
const waste = (source: string, bytes: number | null, percent: number | null): ShareLimit => ({ bytes, percent, source });
const compressed = (limit: Budget): Budget => ({ ...limit, metric: 'compressed' });

function entry(name: string, settings: Partial<ImageConfig> = {}): ImageConfig {
  return {
    name,
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
    skip: false,
    baseImage: null,
    ...settings
  };
}

function config(images: ImageConfig[], top: Partial<Config> = {}): Config {
  return {
    file: '.github/footprint.yml',
    budget: null,
    maxIncrease: null,
    maxWasted: null,
    metric: null,
    ignore: [],
    images,
    baseImage: null,
    ...top
  };
}

/** A target for a Dockerfile with no settings. */
function plain(name: string, dockerfile: string | null, context: string | null, image: string | null = null): Target {
  return {
    name,
    dockerfile,
    context,
    image,
    target: null,
    buildArgs: {},
    platform: null,
    budget: null,
    maxIncrease: null,
    maxWasted: null,
    ignore: [],
    baseImage: null
  };
}

let root: string;
let outside: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'footprint-plan-'));
  for (const file of FILES) {
    await mkdir(join(root, dirname(file)), { recursive: true });
    await writeFile(join(root, file), 'FROM scratch\n');
  }
  // A link to a folder outside the repository must not be followed.
  outside = await mkdtemp(join(tmpdir(), 'footprint-outside-'));
  await writeFile(join(outside, 'Dockerfile'), 'FROM scratch\n');
  await symlink(outside, join(root, 'linked'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

function plan(options: Partial<PlanOptions>): Promise<Target[]> {
  return planTargets({
    root,
    globs: DEFAULT_DOCKERFILE_GLOBS,
    config: config([]),
    defaults: NO_DEFAULTS,
    images: [],
    side: 'head',
    ...options
  });
}

describe('findDockerfiles', () => {
  test('default globs find Dockerfiles by their usual names, skipping dependencies, .git, ignore files and links out', async () => {
    expect(await findDockerfiles(root, DEFAULT_DOCKERFILE_GLOBS)).toEqual([
      '.devcontainer/Dockerfile',
      'Dockerfile',
      'svc/api/Dockerfile',
      'svc/api/Dockerfile.dev',
      'svc/web/Dockerfile-alpine',
      'tools/build.Dockerfile'
    ]);
  });

  test.each([
    [['svc/**/Dockerfile*'], ['svc/api/Dockerfile', 'svc/api/Dockerfile.dev', 'svc/web/Dockerfile-alpine']],
    [
      ['odd/*.docker', 'Dockerfile'],
      ['Dockerfile', 'odd/custom.docker']
    ],
    [
      ['**/Dockerfile', '!svc/**'],
      ['.devcontainer/Dockerfile', 'Dockerfile']
    ],
    [['nothing/**'], []]
  ])('globs %p', async (globs, found) => {
    expect(await findDockerfiles(root, globs)).toEqual(found);
  });

  test.each(['/etc/**/Dockerfile', '../**/Dockerfile', 'svc/../../Dockerfile', '!../x', 'C:\\repo\\Dockerfile'])('rejects %p', async (glob) => {
    const find = findDockerfiles(root, ['Dockerfile', glob]);
    await expect(find).rejects.toThrow(UserError);
    await expect(findDockerfiles(root, [glob])).rejects.toThrow(
      `input dockerfiles: "${glob}" must be a pattern relative to the repository root, without ".." segments`
    );
  });
});

describe('planTargets: naming and order', () => {
  test('discovered Dockerfiles are named after their path, with their folder as context', async () => {
    expect(await plan({ globs: ['Dockerfile', 'svc/**/Dockerfile*'] })).toEqual([
      plain('Dockerfile', 'Dockerfile', '.'),
      plain('svc/api/Dockerfile', 'svc/api/Dockerfile', 'svc/api'),
      plain('svc/api/Dockerfile.dev', 'svc/api/Dockerfile.dev', 'svc/api'),
      plain('svc/web/Dockerfile-alpine', 'svc/web/Dockerfile-alpine', 'svc/web')
    ]);
  });

  test('config entries first in file order, then unclaimed Dockerfiles, then images-input-only images', async () => {
    const targets = await plan({
      globs: ['svc/**/Dockerfile*', 'Dockerfile'],
      config: config([
        entry('web', { dockerfile: 'svc/web/Dockerfile-alpine', context: 'svc' }),
        entry('api', { dockerfile: 'svc/api/Dockerfile' }),
        entry('tools', { dockerfile: 'tools/build.Dockerfile' })
      ]),
      images: [
        { name: 'cache', ref: 'redis:7' },
        { name: 'api', ref: 'ghcr.io/org/api:pr-1' }
      ]
    });
    expect(targets).toEqual([
      plain('web', 'svc/web/Dockerfile-alpine', 'svc'),
      plain('api', 'svc/api/Dockerfile', 'svc/api', 'ghcr.io/org/api:pr-1'),
      plain('tools', 'tools/build.Dockerfile', 'tools'),
      plain('Dockerfile', 'Dockerfile', '.'),
      plain('svc/api/Dockerfile.dev', 'svc/api/Dockerfile.dev', 'svc/api'),
      plain('cache', null, null, 'redis:7')
    ]);
  });

  test('a config entry without dockerfile applies to the discovered Dockerfile of that path', async () => {
    const targets = await plan({
      globs: ['svc/api/Dockerfile*'],
      config: config([entry('svc/api/Dockerfile.dev', { budget: size(50) })])
    });
    expect(targets).toEqual([
      { ...plain('svc/api/Dockerfile.dev', 'svc/api/Dockerfile.dev', 'svc/api'), budget: budget(50) },
      plain('svc/api/Dockerfile', 'svc/api/Dockerfile', 'svc/api')
    ]);
  });

  test('a config entry without dockerfile applies to the images-input image of that name', async () => {
    const targets = await plan({
      globs: ['Dockerfile'],
      config: config([entry('cache', { budget: size(100) })]),
      images: [{ name: 'cache', ref: 'redis:7' }]
    });
    expect(targets).toEqual([{ ...plain('cache', null, null, 'redis:7'), budget: budget(100) }, plain('Dockerfile', 'Dockerfile', '.')]);
  });

  test("an images-input name that is a discovered path measures that Dockerfile's image", async () => {
    const targets = await plan({ globs: ['Dockerfile', 'svc/api/Dockerfile'], images: [{ name: 'svc/api/Dockerfile', ref: 'api:pr' }] });
    expect(targets).toEqual([plain('Dockerfile', 'Dockerfile', '.'), plain('svc/api/Dockerfile', 'svc/api/Dockerfile', 'svc/api', 'api:pr')]);
  });

  test('a config dockerfile is used even when the globs do not match it', async () => {
    const targets = await plan({ globs: ['Dockerfile'], config: config([entry('custom', { dockerfile: 'odd/custom.docker' })]) });
    expect(targets.map((target) => [target.name, target.dockerfile])).toEqual([
      ['custom', 'odd/custom.docker'],
      ['Dockerfile', 'Dockerfile']
    ]);
  });

  test('two config entries may build the same Dockerfile with different settings', async () => {
    const targets = await plan({
      globs: ['svc/api/Dockerfile'],
      config: config([
        entry('api', { dockerfile: 'svc/api/Dockerfile', target: 'runtime' }),
        entry('api-debug', { dockerfile: 'svc/api/Dockerfile', target: 'debug' })
      ])
    });
    expect(targets.map((target) => [target.name, target.target])).toEqual([
      ['api', 'runtime'],
      ['api-debug', 'debug']
    ]);
  });

  test('no Dockerfile anywhere: no targets', async () => {
    expect(await plan({ globs: ['nothing/**'] })).toEqual([]);
  });
});

describe('planTargets: skip', () => {
  test.each<[string, ImageConfig, string[]]>([
    ['by dockerfile', entry('api', { dockerfile: 'svc/api/Dockerfile', skip: true }), ['Dockerfile']],
    ['by path name', entry('svc/api/Dockerfile', { skip: true }), ['Dockerfile']],
    ['an images-input image', entry('cache', { skip: true }), ['Dockerfile', 'svc/api/Dockerfile']],
    ['a missing Dockerfile', entry('gone', { dockerfile: 'gone/Dockerfile', skip: true }), ['Dockerfile', 'svc/api/Dockerfile']]
  ])('%s', async (_label, skipped, names) => {
    const targets = await plan({
      globs: ['Dockerfile', 'svc/api/Dockerfile'],
      config: config([skipped]),
      images: [{ name: 'cache', ref: 'redis:7' }]
    });
    expect(targets.map((target) => target.name)).toEqual([...names, ...(skipped.name === 'cache' ? [] : ['cache'])]);
  });
});

describe('planTargets: precedence (image config > config top level > inputs)', () => {
  const defaults: Settings = {
    budget: size(300),
    maxIncrease: increase('20%', 20, null),
    maxWasted: waste('30MB', 30e6, null),
    metric: null,
    buildArgs: { FROM_INPUT: '1', SHARED: 'input' },
    target: 'input-stage',
    platform: 'linux/amd64'
  };

  test.each<[string, Config, Partial<Target>]>([
    [
      'inputs only',
      config([]),
      {
        budget: budget(300),
        maxIncrease: increase('20%', 20, null),
        buildArgs: { FROM_INPUT: '1', SHARED: 'input' },
        target: 'input-stage',
        platform: 'linux/amd64'
      }
    ],
    [
      'config top level over inputs',
      config([], { budget: size(200), maxIncrease: increase('5MB', null, 5e6) }),
      { budget: budget(200), maxIncrease: increase('5MB', null, 5e6) }
    ],
    [
      'image config over both',
      config(
        [
          entry('Dockerfile', {
            budget: size(100),
            maxIncrease: increase('1%', 1, null),
            buildArgs: { SHARED: 'image', OWN: 'x' },
            target: 'slim',
            platform: 'linux/arm64'
          })
        ],
        { budget: size(200), maxIncrease: increase('5MB', null, 5e6) }
      ),
      {
        budget: budget(100),
        maxIncrease: increase('1%', 1, null),
        buildArgs: { FROM_INPUT: '1', SHARED: 'image', OWN: 'x' },
        target: 'slim',
        platform: 'linux/arm64'
      }
    ],
    [
      'max-wasted: image config > config top level > inputs',
      config([entry('Dockerfile', { maxWasted: waste('5%', null, 5) })], { maxWasted: waste('10MB', 10e6, null) }),
      { maxWasted: waste('5%', null, 5) }
    ],
    ['max-wasted from the inputs', config([]), { maxWasted: waste('30MB', 30e6, null) }],
    [
      'ignore: the image adds to the top-level list',
      config([entry('Dockerfile', { ignore: ['pip-no-cache-dir', 'join-runs'] })], { ignore: ['join-runs'] }),
      { ignore: ['join-runs', 'pip-no-cache-dir'] }
    ],
    [
      'the metric applies to a budget from another level',
      config([entry('Dockerfile', { metric: 'compressed' })], { budget: size(200) }),
      { budget: compressed(budget(200)) }
    ],
    [
      'a top-level metric applies to every budget, an image metric wins',
      config([entry('Dockerfile', { budget: size(50), metric: 'uncompressed' })], {
        metric: 'compressed',
        budget: size(200)
      }),
      { budget: budget(50) }
    ],
    [
      'image config without a budget takes the top level one',
      config([entry('Dockerfile', { target: 'slim' })], { budget: size(200) }),
      { budget: budget(200), maxIncrease: increase('20%', 20, null), target: 'slim', platform: 'linux/amd64' }
    ]
  ])('%s', async (_label, cfg, expected) => {
    const [target] = await plan({ globs: ['Dockerfile'], config: cfg, defaults });
    expect(target).toMatchObject(expected);
  });

  test('the metric input applies where the config names none', async () => {
    const [target] = await plan({ globs: ['Dockerfile'], config: config([]), defaults: { ...defaults, metric: 'compressed' } });
    expect(target?.budget).toEqual(compressed(budget(300)));
    const [configured] = await plan({
      globs: ['Dockerfile'],
      config: config([], { metric: 'uncompressed' }),
      defaults: { ...defaults, metric: 'compressed' }
    });
    expect(configured?.budget).toEqual(budget(300));
  });

  test('a top-level compressed metric reaches images with no metric of their own', async () => {
    const targets = await plan({
      globs: ['Dockerfile', 'svc/api/Dockerfile'],
      config: config([entry('svc/api/Dockerfile')], { metric: 'compressed', budget: size(200) }),
      defaults
    });
    expect(targets.map((target) => target.budget)).toEqual([compressed(budget(200)), compressed(budget(200))]);
  });

  test('images-input-only and discovered targets get the config top level and inputs', async () => {
    const targets = await plan({
      globs: ['Dockerfile'],
      config: config([], { budget: size(200) }),
      defaults,
      images: [{ name: 'cache', ref: 'redis:7' }]
    });
    for (const target of targets) {
      expect(target).toMatchObject({ budget: budget(200), maxIncrease: increase('20%', 20, null), target: 'input-stage' });
    }
    expect(targets).toHaveLength(2);
  });

  test('build args are copied, not shared between targets', async () => {
    const targets = await plan({ globs: ['Dockerfile', 'svc/api/Dockerfile'], defaults });
    targets[0]!.buildArgs.CHANGED = 'yes';
    expect(targets[1]!.buildArgs).toEqual({ FROM_INPUT: '1', SHARED: 'input' });
    expect(defaults.buildArgs).toEqual({ FROM_INPUT: '1', SHARED: 'input' });
  });
});

describe('planTargets: missing Dockerfiles and config mistakes', () => {
  const missing = config([entry('api', { dockerfile: 'svc/api/Dockerfile' }), entry('new', { dockerfile: 'svc/new/Dockerfile' })]);

  test('on the PR side a missing config dockerfile is an error naming the key and the path', async () => {
    await expect(plan({ globs: ['Dockerfile'], config: missing })).rejects.toThrow(
      new UserError('.github/footprint.yml: images.new.dockerfile: svc/new/Dockerfile does not exist in the repository')
    );
  });

  test('a folder is not a Dockerfile', async () => {
    await expect(plan({ config: config([entry('svc', { dockerfile: 'svc/api' })]) })).rejects.toThrow(
      '.github/footprint.yml: images.svc.dockerfile: svc/api does not exist in the repository'
    );
  });

  test('on the base side it is left out: the image is new in the PR', async () => {
    const targets = await plan({ globs: ['Dockerfile'], config: missing, side: 'base' });
    expect(targets.map((target) => target.name)).toEqual(['api', 'Dockerfile']);
  });

  test('a config entry that matches nothing is an error on the PR side', async () => {
    const cfg = config([entry('svc/new/Dockerfile', { budget: size(10) })]);
    await expect(plan({ config: cfg })).rejects.toThrow(
      new UserError(
        '.github/footprint.yml: images.svc/new/Dockerfile: has no dockerfile, and there is neither an image "svc/new/Dockerfile" in the images input nor a Dockerfile at that path matched by the dockerfiles input'
      )
    );
    expect((await plan({ config: cfg, globs: ['Dockerfile'], side: 'base' })).map((target) => target.name)).toEqual(['Dockerfile']);
  });

  test('a config name that is the path of another, unclaimed Dockerfile is an error', async () => {
    const cfg = config([entry('Dockerfile', { dockerfile: 'svc/api/Dockerfile' })]);
    await expect(plan({ globs: ['Dockerfile', 'svc/api/Dockerfile'], config: cfg })).rejects.toThrow(
      '.github/footprint.yml: images.Dockerfile: the name is the path of another Dockerfile (Dockerfile); give this image another name'
    );
  });

  test('that name is fine when another entry claims that Dockerfile', async () => {
    const cfg = config([entry('Dockerfile', { dockerfile: 'svc/api/Dockerfile' }), entry('root', { dockerfile: 'Dockerfile' })]);
    const targets = await plan({ globs: ['Dockerfile', 'svc/api/Dockerfile'], config: cfg });
    expect(targets.map((target) => [target.name, target.dockerfile])).toEqual([
      ['Dockerfile', 'svc/api/Dockerfile'],
      ['root', 'Dockerfile']
    ]);
  });
});

describe('planTargets: paths that lead out of the repository through a committed symlink', () => {
  const SECRET = 'OUTSIDE-SECRET-7f3a: root:x:0:0';
  let pair: RepoPair;
  let secrets: string;
  const leaves = (what: string) => `${what} leads out of the repository through a symlink; footprint does not read or build anything outside it`;

  beforeAll(async () => {
    secrets = await realpath(await mkdtemp(join(tmpdir(), 'footprint-secrets-')));
    await writeFile(join(secrets, 'passwd'), `${SECRET}\n`);
    await writeFile(join(secrets, 'Dockerfile'), `FROM scratch\n# ${SECRET}\n`);
    await writeFile(join(secrets, 'ignore'), `${SECRET}\n`);
    pair = await createRepoPair({
      base: {
        'app/Dockerfile': 'FROM scratch\n',
        // A symlink named Dockerfile: discovery does not follow symlinks, a config entry may name it.
        'evil/Dockerfile': { symlink: join(secrets, 'passwd') },
        'ctx/Dockerfile': 'FROM scratch\n',
        'outside-ctx': { symlink: secrets },
        'ig/Dockerfile': 'FROM scratch\n',
        'ig/.dockerignore': { symlink: join(secrets, 'ignore') },
        'bk/Dockerfile': 'FROM scratch\n',
        'bk/Dockerfile.dockerignore': { symlink: join(secrets, 'ignore') },
        // Links that stay inside the repository are fine.
        'real/Dockerfile.prod': 'FROM scratch\n',
        'inside/Dockerfile': { symlink: '../real/Dockerfile.prod' },
        'inside/.dockerignore': { symlink: '../app/Dockerfile' }
      },
      head: {}
    });
  });

  afterAll(async () => {
    await pair.cleanup();
    await rm(secrets, { recursive: true, force: true });
  });

  const planIn = (cfg: Config, side: 'head' | 'base' = 'head') =>
    planTargets({ root: pair.checkout, globs: DEFAULT_DOCKERFILE_GLOBS, config: cfg, defaults: NO_DEFAULTS, images: [], side });

  test('a Dockerfile, a context, a .dockerignore or a <Dockerfile>.dockerignore that leads out refuses its image, and only that one', async () => {
    const cfg = config([
      entry('linked-context', { dockerfile: 'ctx/Dockerfile', context: 'outside-ctx' }),
      entry('named-evil', { dockerfile: 'evil/Dockerfile' })
    ]);
    const targets = await planIn(cfg);
    expect(Object.fromEntries(targets.map((target) => [target.name, target.refused ?? null]))).toEqual({
      'linked-context': leaves('context outside-ctx'),
      'named-evil': leaves('Dockerfile evil/Dockerfile'),
      'app/Dockerfile': null,
      'bk/Dockerfile': leaves('bk/Dockerfile.dockerignore'),
      'ig/Dockerfile': leaves('ig/.dockerignore'),
      'real/Dockerfile.prod': null
    });
    // The message names the path in the repository, never where the link points or what is there.
    for (const target of targets) {
      expect(target.refused ?? '').not.toContain(secrets);
      expect(target.refused ?? '').not.toContain(SECRET);
    }
  });

  test('discovery never follows a symlink, in or out; a config entry may name one that stays inside', async () => {
    expect(await findDockerfiles(pair.checkout, DEFAULT_DOCKERFILE_GLOBS)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(evil|inside)\//)])
    );
    const targets = await planIn(config([entry('inside', { dockerfile: 'inside/Dockerfile' })]));
    expect(targets[0]).toMatchObject({ name: 'inside', dockerfile: 'inside/Dockerfile', context: 'inside' });
    expect(targets[0]?.refused).toBeUndefined();
  });

  test('the base side refuses the same way', async () => {
    const targets = await planIn(config([entry('evil', { dockerfile: 'evil/Dockerfile' })]), 'base');
    expect(targets.filter((target) => target.refused).map((target) => target.name)).toEqual(['evil', 'bk/Dockerfile', 'ig/Dockerfile']);
  });

  test('a root reached through a symlink is compared by its real path: links inside still pass', async () => {
    const alias = join(secrets, 'alias');
    await symlink(pair.checkout, alias);
    try {
      const targets = await planTargets({
        root: alias,
        globs: ['app/Dockerfile'],
        config: config([entry('inside', { dockerfile: 'inside/Dockerfile' })]),
        defaults: NO_DEFAULTS,
        images: [],
        side: 'head'
      });
      expect(targets.map((target) => [target.name, target.refused ?? null])).toEqual([
        ['inside', null],
        ['app/Dockerfile', null]
      ]);
    } finally {
      await rm(alias, { force: true });
    }
  });
});
