import { describe, expect, test } from '@jest/globals';
import { buildFailureReason, lastErrorLine, logLines, logTail, stripAnsi } from '../../src/build/log.js';

const ESC = '\u001b';

describe('stripAnsi', () => {
  test.each([
    ['colours', `${ESC}[91m5+0 records in${ESC}[0m`, '5+0 records in'],
    ['cursor moves', `${ESC}[2K${ESC}[1Aline`, 'line'],
    ['a link (OSC 8)', `${ESC}]8;;https://example.com${ESC}\\docs${ESC}]8;;${ESC}\\`, 'docs'],
    ['a title ended by BEL', `${ESC}]0;title\u0007text`, 'text'],
    ['plain text', 'no escapes [here]', 'no escapes [here]']
  ])('removes %s', (_what, input, expected) => {
    expect(stripAnsi(input)).toBe(expected);
  });
});

describe('logLines', () => {
  test('keeps the last state of a line redrawn with carriage returns', () => {
    expect(logLines('downloading 10%\rdownloading 50%\rdownloading 100%\r\nnext')).toEqual(['downloading 100%', 'next']);
  });
});

describe('logTail', () => {
  const numbered = (count: number) => Array.from({ length: count }, (_, index) => `line ${index + 1}`).join('\n');

  test.each([
    ['a short log whole', 'a\nb\nc', 30, 4000, 'a\nb\nc'],
    ['the last lines of a long one', numbered(40), 3, 4000, 'line 38\nline 39\nline 40'],
    ['without trailing blank lines', 'a\nb\n\n\n', 30, 4000, 'a\nb'],
    ['without leading blank lines in the tail', 'a\n\nb\nc', 2, 4000, 'b\nc'],
    ['Windows line ends', 'a\r\nb\r\n', 30, 4000, 'a\nb'],
    ['dropping older lines to fit the character budget', 'aaaa\nbbbb\ncccc', 30, 9, 'bbbb\ncccc'],
    ['an empty log as empty', '', 30, 4000, '']
  ])('returns %s', (_what, log, maxLines, maxChars, expected) => {
    expect(logTail(log, maxLines, maxChars)).toBe(expected);
  });

  test('strips escapes and caps each line', () => {
    const tail = logTail(`${ESC}[91m${'x'.repeat(1000)}${ESC}[0m\nshort`);
    const [long, short] = tail.split('\n');
    expect(long).toBe(`${'x'.repeat(399)}…`);
    expect(short).toBe('short');
  });

  test('keeps the last line even when it alone is longer than the budget', () => {
    expect(logTail('first\n' + 'y'.repeat(50), 30, 10)).toBe(`${'y'.repeat(9)}…`);
  });

  test('stays within the defaults for a huge log', () => {
    const tail = logTail(Array.from({ length: 500 }, (_, index) => `${index} ${'z'.repeat(300)}`).join('\n'));
    expect(tail.length).toBeLessThanOrEqual(4000);
    expect(tail.split('\n').length).toBeLessThanOrEqual(30);
    expect(tail.endsWith(`499 ${'z'.repeat(300)}`)).toBe(true);
  });
});

describe('lastErrorLine', () => {
  test.each([
    [
      'the classic builder',
      "Step 2/2 : RUN exit 3\n ---> Running in 1a2b\nThe command '/bin/sh -c exit 3' returned a non-zero code: 3",
      "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    ],
    [
      'BuildKit',
      '#5 ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3\n------\n > [2/2] RUN exit 3:\n------\nERROR: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3\n',
      'ERROR: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3'
    ],
    ['a coloured line', `${ESC}[31merror: could not find package foo${ESC}[0m\nsome trailing note`, 'error: could not find package foo'],
    ['nothing when no line looks like an error', 'Step 1/1 : FROM busybox\nSuccessfully built 1234', null]
  ])('finds the cause in output of %s', (_what, log, expected) => {
    expect(lastErrorLine(log)).toBe(expected);
  });

  test('caps a long line', () => {
    expect(lastErrorLine(`error: ${'q'.repeat(1000)}`, 20)).toBe(`error: ${'q'.repeat(12)}…`);
  });
});

describe('buildFailureReason: the engine’s own reason, in one line', () => {
  const buildKitCopy = [
    '#6 [2/2] COPY missing.txt /x',
    '#6 sha256:c0553e7a09b3da37dc3ba579d34872a3c42a4ff37950fe83a748e666bea9a06d',
    '#6 ERROR: "/missing.txt" not found: not found',
    '------',
    ' > [2/2] COPY missing.txt /x:',
    '------',
    'failed to compute cache key: "/missing.txt" not found: not found'
  ].join('\n');
  const buildKitPull = [
    '#3 [internal] load metadata for example.invalid/nothing:1',
    '#3 ERROR: failed to do request: Head "https://example.invalid/v2/nothing/manifests/1": dial tcp: lookup example.invalid: no such host',
    '------',
    ' > [internal] load metadata for example.invalid/nothing:1:',
    '------',
    'ERROR: failed to solve: example.invalid/nothing:1: failed to resolve source metadata'
  ].join('\n');
  const buildxRun = [
    '#5 [2/2] RUN apk add --no-cache curl',
    '#5 0.210 /bin/sh: apk: not found',
    '#5 ERROR: process "/bin/sh -c apk add --no-cache curl" did not complete successfully: exit code: 127',
    '------',
    'Dockerfile:2',
    'ERROR: failed to solve: process "/bin/sh -c apk add --no-cache curl" did not complete successfully: exit code: 127'
  ].join('\n');

  test.each<[string, string, string, string]>([
    ['a missing COPY source (BuildKit)', buildKitCopy, '', '[2/2] COPY missing.txt /x: "/missing.txt" not found: not found'],
    [
      'an unpullable base image (BuildKit)',
      buildKitPull,
      '',
      '[internal] load metadata for example.invalid/nothing:1: failed to do request: Head "https://example.invalid/v2/nothing/manifests/1": dial tcp: lookup example.invalid: no such host'
    ],
    [
      'a failing RUN (buildx), with what it printed last',
      buildxRun,
      '',
      '[2/2] RUN apk add --no-cache curl: process "/bin/sh -c apk add --no-cache curl" did not complete successfully: exit code: 127 (its last output: /bin/sh: apk: not found)'
    ],
    [
      'a Dockerfile buildx cannot parse (no step failed)',
      '#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\nERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: FOO',
      '',
      'failed to solve: dockerfile parse error on line 2: unknown instruction: FOO'
    ],
    [
      'an unpullable base image (classic builder): the last line of stderr, past the deprecation notice',
      'Step 1/2 : FROM example.invalid/nothing:1\nGet "https://example.invalid/v2/": dial tcp: lookup example.invalid: no such host',
      'DEPRECATED: The legacy builder is deprecated\n            https://docs.docker.com/go/buildx/\nGet "https://example.invalid/v2/": dial tcp: lookup example.invalid: no such host',
      'Get "https://example.invalid/v2/": dial tcp: lookup example.invalid: no such host'
    ],
    [
      'a registry that refuses (classic builder)',
      'Step 1/1 : FROM private.example/app:1',
      "Error response from daemon: pull access denied for private.example/app, repository does not exist or may require 'docker login'",
      "Error response from daemon: pull access denied for private.example/app, repository does not exist or may require 'docker login'"
    ],
    [
      'a missing COPY source (classic builder)',
      'Step 2/2 : COPY missing.txt /x',
      'COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist',
      'COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist'
    ],
    ['no stderr: the last error-like line of the log', 'Step 1/1\nsomething failed here\nbye', '', 'something failed here']
  ])('%s', (_what, log, stderr, reason) => {
    expect(buildFailureReason(log, stderr)).toBe(reason);
  });

  test('nothing to say gives null; a long reason is capped', () => {
    expect(buildFailureReason('Step 1/1', '')).toBeNull();
    expect(buildFailureReason('', `ERROR: ${'x'.repeat(1000)}`)).toHaveLength(400);
  });
});
