import { describe, expect, test } from '@jest/globals';
import { UserError } from '../../src/errors.js';
import { actionInputReader, DEFAULT_DOCKERFILE_GLOBS, readInputs, type Inputs, type WorkflowEvent } from '../../src/inputs.js';

const BASE_SHA = 'a'.repeat(40);
const BEFORE_SHA = 'b'.repeat(40);
const PULL_REQUEST: WorkflowEvent = { name: 'pull_request', payload: { pull_request: { base: { sha: BASE_SHA } } } };
const NO_EVENT: WorkflowEvent = { name: 'workflow_dispatch', payload: {} };

/** A getInput over a fixed table: absent names are "not provided". */
function reader(values: Record<string, string>) {
  return (name: string) => (Object.hasOwn(values, name) ? values[name]!.trim() : undefined);
}

function read(values: Record<string, string>, event: WorkflowEvent = NO_EVENT): Inputs {
  return readInputs(reader(values), event);
}

describe('readInputs: defaults', () => {
  test('nothing provided', () => {
    expect(read({})).toEqual({
      dockerfiles: DEFAULT_DOCKERFILE_GLOBS,
      config: { path: '.github/footprint.yml', required: false },
      settings: {
        budget: null,
        maxIncrease: null,
        maxWasted: null,
        metric: null,
        buildArgs: {},
        target: null,
        platform: null
      },
      compressedSize: true,
      baseRef: null,
      comment: 'always',
      commentKey: 'default',
      commentAuthor: null,
      failOn: 'budget',
      images: [],
      baseline: 'auto',
      baseBranch: null,
      verify: null,
      githubToken: ''
    } satisfies Inputs);
  });

  test('empty values are the defaults too (as action.yml defaults of "" arrive)', () => {
    const inputs = read({ dockerfiles: ' ', config: '', budget: '', comment: '', 'comment-key': '', 'fail-on': '', target: '' });
    expect(inputs.dockerfiles).toEqual(DEFAULT_DOCKERFILE_GLOBS);
    expect(inputs.config).toEqual({ path: '.github/footprint.yml', required: false });
    expect(inputs.settings.budget).toBeNull();
    expect(inputs.comment).toBe('always');
    expect(inputs.commentKey).toBe('default');
    expect(inputs.failOn).toBe('budget');
    expect(inputs.settings.target).toBeNull();
  });
});

describe('readInputs: values', () => {
  test.each([
    ['svc/*/Dockerfile', ['svc/*/Dockerfile']],
    ['a/Dockerfile, b/Dockerfile', ['a/Dockerfile', 'b/Dockerfile']],
    ['a/Dockerfile\n\n  b/Dockerfile  \n,c/**/Dockerfile,', ['a/Dockerfile', 'b/Dockerfile', 'c/**/Dockerfile']],
    [',\n,', DEFAULT_DOCKERFILE_GLOBS]
  ])('dockerfiles %p', (value, globs) => {
    expect(read({ dockerfiles: value }).dockerfiles).toEqual(globs);
  });

  test('a named config file is required', () => {
    expect(read({ config: 'ci/footprint.yaml' }).config).toEqual({ path: 'ci/footprint.yaml', required: true });
  });

  test('the default config path stays optional when the runner passes it as the default', () => {
    expect(read({ config: '.github/footprint.yml' }).config).toEqual({ path: '.github/footprint.yml', required: false });
  });

  test.each<[Record<string, string>, { timeoutSeconds: number } | null]>([
    [{}, null],
    [{ 'verify-advice': 'false', 'verify-timeout': '5m' }, null],
    [{ 'verify-advice': 'true' }, { timeoutSeconds: 300 }],
    [{ 'verify-advice': 'TRUE', 'verify-timeout': '90s' }, { timeoutSeconds: 90 }],
    [{ 'verify-advice': 'true', 'verify-timeout': '1.5h' }, { timeoutSeconds: 5400 }],
    [{ 'verify-advice': 'true', 'verify-timeout': '45' }, { timeoutSeconds: 45 }]
  ])('verify-advice and verify-timeout %j', (values, verify) => {
    expect(read(values).verify).toEqual(verify);
  });

  test('max-wasted, metric and compressed-size are parsed', () => {
    const inputs = read({ 'max-wasted': '20MB, 10%', metric: 'Compressed', 'compressed-size': 'FALSE' });
    expect(inputs.settings.maxWasted).toEqual({ percent: 10, bytes: 20_000_000, source: '20MB, 10%' });
    expect(inputs.settings.metric).toBe('compressed');
    expect(inputs.compressedSize).toBe(false);
  });

  test('archive image references may hold spaces; daemon references may not', () => {
    expect(read({ images: 'app=oci-archive:build/my image.tar' }).images).toEqual([{ name: 'app', ref: 'oci-archive:build/my image.tar' }]);
    expect(() => read({ images: 'app=my image' })).toThrow(/not an image reference/);
  });

  test('budget and max-increase are parsed', () => {
    const inputs = read({ budget: '250MB', 'max-increase': '10%, 5MB' });
    expect(inputs.settings.budget).toEqual({ bytes: 250_000_000, source: '250MB' });
    expect(inputs.settings.maxIncrease).toEqual({ percent: 10, bytes: 5_000_000, source: '10%, 5MB' });
  });

  test.each(['always', 'on-change', 'never'] as const)('comment %s', (mode) => {
    expect(read({ comment: mode }).comment).toBe(mode);
  });

  test.each(['budget', 'never'] as const)('fail-on %s', (mode) => {
    expect(read({ 'fail-on': mode }).failOn).toBe(mode);
  });

  test.each(['default', 'web-images', 'shard_1.linux'])('comment-key %p', (key) => {
    expect(read({ 'comment-key': key }).commentKey).toBe(key);
  });

  test.each(['footprint-app[bot]', 'octocat', 'jane-doe', 'a'])('comment-author %p', (login) => {
    expect(read({ 'comment-author': login }).commentAuthor).toBe(login);
  });

  test.each(['-jane', 'jane-', 'a b', 'x[bot', 'evil[bot]x', 'app[bot][bot]', 'a'.repeat(101)])('comment-author %p is not a login', (login) => {
    expect(() => read({ 'comment-author': login })).toThrow(/input comment-author: .* is not a GitHub login/);
  });

  test('images: name=ref lines, split on the first "="', () => {
    expect(read({ images: 'api=ghcr.io/org/api:1.2\n\n  web = registry.local:5000/web@sha256:abc  \nq=img:tag=odd' }).images).toEqual([
      { name: 'api', ref: 'ghcr.io/org/api:1.2' },
      { name: 'web', ref: 'registry.local:5000/web@sha256:abc' },
      { name: 'q', ref: 'img:tag=odd' }
    ]);
  });

  test('build-args: KEY=VALUE lines, values may be empty or hold "="', () => {
    expect(read({ 'build-args': 'VERSION=1.2\nEMPTY=\nQUERY=a=b\n' }).settings.buildArgs).toEqual({
      VERSION: '1.2',
      EMPTY: '',
      QUERY: 'a=b'
    });
  });

  test('target, platform and token', () => {
    const inputs = read({ target: 'runtime', platform: 'linux/arm64', 'github-token': 'ghs_secret' });
    expect([inputs.settings.target, inputs.settings.platform, inputs.githubToken]).toEqual(['runtime', 'linux/arm64', 'ghs_secret']);
  });
});

describe('readInputs: base-ref', () => {
  test.each<[string, string | undefined, WorkflowEvent, string | null]>([
    ['pull_request: the base commit', undefined, PULL_REQUEST, BASE_SHA],
    [
      'pull_request_target: the base commit',
      undefined,
      { name: 'pull_request_target', payload: { pull_request: { base: { sha: BASE_SHA } } } },
      BASE_SHA
    ],
    ['push: the commit before', undefined, { name: 'push', payload: { before: BEFORE_SHA } }, BEFORE_SHA],
    ['push that created the branch', undefined, { name: 'push', payload: { before: '0'.repeat(40) } }, null],
    ['other events: none', undefined, { name: 'schedule', payload: {} }, null],
    ['a pull_request payload without base', undefined, { name: 'pull_request', payload: {} }, null],
    ['explicit empty: disabled', '', PULL_REQUEST, null],
    ['explicit ref wins over the event', 'origin/main', PULL_REQUEST, 'origin/main'],
    ['explicit SHA', BEFORE_SHA, NO_EVENT, BEFORE_SHA],
    ['explicit all-zero SHA: disabled', '0000000', PULL_REQUEST, null],
    ['revision syntax', 'HEAD~1', NO_EVENT, 'HEAD~1']
  ])('%s', (_label, value, event, expected) => {
    const values: Record<string, string> = value === undefined ? {} : { 'base-ref': value };
    expect(read(values, event).baseRef).toBe(expected);
  });
});

describe('readInputs: baseline and the base branch', () => {
  test.each(['auto', 'build', 'stored', 'none'] as const)('baseline: %s', (value) => {
    expect(read({ baseline: value }).baseline).toBe(value);
  });

  test.each<[string, WorkflowEvent, string | null]>([
    ['pull_request: its base branch', { name: 'pull_request', payload: { pull_request: { base: { sha: BASE_SHA, ref: 'main' } } } }, 'main'],
    ['push: the branch it moved', { name: 'push', payload: { ref: 'refs/heads/release/2.x', before: BEFORE_SHA } }, 'release/2.x'],
    ['push of a tag: no branch', { name: 'push', payload: { ref: 'refs/tags/v1.2.0', before: BEFORE_SHA } }, null],
    ['other events: none', NO_EVENT, null]
  ])('the base branch for {base-ref}, %s', (_label, event, expected) => {
    expect(read({}, event).baseBranch).toBe(expected);
  });
});

describe('readInputs: errors name the input', () => {
  test.each<[Record<string, string>, string]>([
    [
      { budget: 'huge' },
      'input budget: "huge" is not a size; expected a number with a unit such as 250MB, 1.2GB, 300MiB or 900kB (a bare number means MB)'
    ],
    [
      { 'max-increase': 'abc' },
      'input max-increase: "abc" is not an increase limit; expected a percentage, a size or both separated by a comma, such as 10%, 25MB or "10%, 5MB"'
    ],
    [{ comment: 'sometimes' }, 'input comment: "sometimes" is not one of always, on-change, never'],
    [{ comment: 'Always' }, 'input comment: "Always" is not one of always, on-change, never'],
    [{ 'fail-on': 'increase' }, 'input fail-on: "increase" is not one of budget, never'],
    [{ metric: 'gzip' }, 'input metric: "gzip" is not one of uncompressed, compressed'],
    [{ 'compressed-size': 'yes' }, 'input compressed-size: "yes" is not one of true, false'],
    [{ baseline: 'cached' }, 'input baseline: "cached" is not one of auto, build, stored, none'],
    [{ 'verify-advice': 'yes' }, 'input verify-advice: "yes" is not one of true, false'],
    [{ 'verify-advice': 'true', 'verify-timeout': 'soon' }, 'input verify-timeout: "soon" is not a duration; expected e.g. 90s, 5m or 1h'],
    [{ 'verify-timeout': '0s' }, 'input verify-timeout: "0s" is not a duration; expected e.g. 90s, 5m or 1h'],
    [
      { 'max-wasted': 'much' },
      'input max-wasted: "much" is not a waste limit; expected a percentage, a size or both separated by a comma, such as 10%, 25MB or "10%, 5MB"'
    ],
    [{ 'comment-key': 'my key' }, 'input comment-key: "my key" is not a valid key; use only letters, digits, ".", "_" and "-"'],
    [{ 'comment-key': 'x-->' }, 'input comment-key: "x-->" is not a valid key; use only letters, digits, ".", "_" and "-"'],
    [{ images: 'api' }, 'input images: "api" is not name=image-ref (one image a line)'],
    [{ images: '=ghcr.io/x' }, 'input images: "=ghcr.io/x" is not name=image-ref (one image a line)'],
    [{ images: 'api=' }, 'input images: "api=" has no image reference after "="'],
    [{ images: 'api=a:1\napi=b:2' }, 'input images: the name "api" is given more than once; names must be unique'],
    [{ images: 'api=--output=/tmp/x' }, 'input images: "--output=/tmp/x" is not an image reference (such as ghcr.io/org/app:1.2 or app@sha256:...)'],
    [{ 'build-args': 'NOVALUE' }, 'input build-args: "NOVALUE" is not KEY=VALUE (one build argument a line)'],
    [{ 'build-args': 'A=1\nA=2' }, 'input build-args: "A" is given more than once'],
    [{ 'build-args': 'MY ARG=1' }, 'input build-args: "MY ARG" is not a build argument name (no spaces)'],
    [{ 'base-ref': '--upload-pack=evil' }, 'input base-ref: "--upload-pack=evil" is not a branch, tag or commit SHA'],
    [{ 'base-ref': 'main..feature' }, 'input base-ref: "main..feature" is not a branch, tag or commit SHA'],
    [{ 'base-ref': 'main feature' }, 'input base-ref: "main feature" is not a branch, tag or commit SHA']
  ])('%p', (values, message) => {
    expect(() => read(values)).toThrow(UserError);
    expect(() => read(values)).toThrow(message);
  });
});

describe('actionInputReader', () => {
  test.each<[Record<string, string>, string, string | undefined]>([
    [{ 'INPUT_MAX-INCREASE': ' 10% ' }, 'max-increase', '10%'],
    [{ 'INPUT_GITHUB-TOKEN': 'ghs_x' }, 'github-token', 'ghs_x'],
    [{ INPUT_MY_INPUT: 'v' }, 'my input', 'v'],
    [{ 'INPUT_BASE-REF': '' }, 'base-ref', ''],
    [{}, 'base-ref', undefined],
    [{ INPUT_MAX_INCREASE: '10%' }, 'max-increase', undefined]
  ])('%p: %s', (env, name, value) => {
    expect(actionInputReader(env)(name)).toBe(value);
  });

  test('an empty base-ref input disables comparison, an absent one uses the event', () => {
    expect(readInputs(actionInputReader({ 'INPUT_BASE-REF': '' }), PULL_REQUEST).baseRef).toBeNull();
    expect(readInputs(actionInputReader({}), PULL_REQUEST).baseRef).toBe(BASE_SHA);
  });

  test('reads process.env by default, when called', () => {
    process.env['INPUT_COMMENT-KEY'] = 'from-env';
    try {
      expect(readInputs(actionInputReader(), NO_EVENT).commentKey).toBe('from-env');
    } finally {
      delete process.env['INPUT_COMMENT-KEY'];
    }
  });
});
