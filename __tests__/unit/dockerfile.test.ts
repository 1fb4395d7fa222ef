import { describe, expect, test } from '@jest/globals';
import { finalChain, parseDockerfile, substitute } from '../../src/dockerfile/parse.js';

describe('parseDockerfile: stages and FROM', () => {
  test.each<
    [string, string, { buildArgs?: Record<string, string>; target?: string | null }, Array<[string | null, string, string | null, number | null]>]
  >([
    ['a plain image', 'FROM python:3.12\n', {}, [[null, 'python:3.12', null, null]]],
    ['ARG default in FROM', 'ARG PY_VERSION=3.11\nFROM python:${PY_VERSION}-slim\n', {}, [[null, 'python:3.11-slim', null, null]]],
    [
      'build arg overrides the default',
      'ARG PY_VERSION=3.11\nFROM python:${PY_VERSION}-slim\n',
      { buildArgs: { PY_VERSION: '3.13' } },
      [[null, 'python:3.13-slim', null, null]]
    ],
    ['$NAME form and a quoted default', 'ARG BASE="alpine:3.20"\nFROM $BASE\n', {}, [[null, 'alpine:3.20', null, null]]],
    ['${NAME:-default} without a value', 'ARG TAG\nFROM node:${TAG:-20}-alpine\n', {}, [[null, 'node:20-alpine', null, null]]],
    ['a build arg for an undeclared ARG is not used', 'FROM alpine:${X:-3.19}\n', { buildArgs: { X: '3.20' } }, [[null, 'alpine:3.19', null, null]]],
    [
      'AS names, lower-cased, and stage references',
      'FROM golang:1.22 AS Build\nFROM build AS test\nFROM scratch\n',
      {},
      [
        ['build', 'golang:1.22', null, null],
        ['test', 'build', null, 0],
        [null, 'scratch', null, null]
      ]
    ],
    [
      '--platform with an automatic ARG kept',
      'FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM --platform=linux/arm64 alpine\n',
      {},
      [
        ['build', 'golang:1.22', '$BUILDPLATFORM', null],
        [null, 'alpine', 'linux/arm64', null]
      ]
    ],
    ['--platform from an ARG', 'ARG P=linux/amd64\nFROM --platform=${P} alpine\n', {}, [[null, 'alpine', 'linux/amd64', null]]]
  ])('%s', (_name, text, options, expected) => {
    const parsed = parseDockerfile(text, options);
    expect(parsed.problems).toEqual([]);
    expect(parsed.stages.map((stage) => [stage.name, stage.from.image, stage.from.platform, stage.from.stage])).toEqual(expected);
    expect(parsed.final).toBe(parsed.stages.at(-1));
  });

  test('a footprint-ignore comment above FROM is kept for base-image advice', () => {
    const parsed = parseDockerfile('# footprint-ignore: base-slim, base-alpine\nFROM python:3.12\n');
    expect(parsed.final?.from.ignored).toEqual(['base-slim', 'base-alpine']);
  });

  test('raw keeps the text as written and lines are 1-based', () => {
    const parsed = parseDockerfile('# comment\nARG V=1\n\nFROM alpine:${V}\n');
    expect(parsed.final?.from).toEqual({ image: 'alpine:1', raw: 'alpine:${V}', platform: null, line: 4, stage: null, ignored: [] });
  });

  test('target picks the final stage; the chain follows FROM <stage>', () => {
    const text = 'FROM debian AS base\nRUN a\nFROM base AS dev\nRUN b\nFROM alpine AS prod\n';
    const parsed = parseDockerfile(text, { target: 'DEV' });
    expect(parsed.final?.name).toBe('dev');
    expect(finalChain(parsed).map((stage) => stage.name)).toEqual(['base', 'dev']);
    expect(finalChain(parseDockerfile(text)).map((stage) => stage.name)).toEqual(['prod']);
  });
});

describe('parseDockerfile: instructions', () => {
  test('continuations are joined and keep first and last line', () => {
    const parsed = parseDockerfile('FROM alpine\nRUN apk add \\\n# inside\n    curl \\\n    git\nCMD ["sh"]\n');
    const [run, cmd] = parsed.final!.instructions;
    expect(run).toMatchObject({ keyword: 'RUN', line: 2, endLine: 5 });
    expect(run!.args.replace(/\s+/g, ' ')).toBe('apk add curl git');
    expect(cmd).toMatchObject({ keyword: 'CMD', line: 6, endLine: 6, args: '["sh"]' });
  });

  test('the escape directive', () => {
    const parsed = parseDockerfile('# escape=`\nFROM mcr.microsoft.com/windows/nanoserver\nRUN dir `\n    C:\\\nCOPY . C:\\app\\\n');
    const [run, copy] = parsed.final!.instructions;
    expect(run).toMatchObject({ line: 3, endLine: 4 });
    expect(run!.args.replace(/\s+/g, ' ')).toBe('dir C:\\');
    expect(copy).toMatchObject({ keyword: 'COPY', line: 5, args: '. C:\\app\\' });
  });

  test('flags and mounts', () => {
    const parsed = parseDockerfile(
      'FROM alpine AS a\nFROM alpine\nRUN --mount=type=cache,target=/var/cache/apk,sharing=locked --mount=type=tmpfs,dst=/tmp --mount=type=secret,id=x --network=none apk add x\nCOPY --from=a --chown=1:1 /x /y\n'
    );
    const [run, copy] = parsed.final!.instructions;
    expect(run!.mounts).toEqual([
      { type: 'cache', target: '/var/cache/apk' },
      { type: 'tmpfs', target: '/tmp' },
      { type: 'secret', target: null }
    ]);
    expect(run!.flags['network']).toBe('none');
    expect(run!.args).toBe('apk add x');
    expect(copy!.flags).toEqual({ from: 'a', chown: '1:1' });
    expect(copy!.args).toBe('/x /y');
  });

  test('heredoc bodies', () => {
    const parsed = parseDockerfile('FROM alpine\nRUN <<EOF\nset -e\napk add curl\nEOF\nCOPY <<-CONF /etc/app.conf\n\tkey=value\nCONF\n');
    const [run, copy] = parsed.final!.instructions;
    expect(run).toMatchObject({ line: 2, endLine: 5, heredocs: ['set -e\napk add curl'] });
    expect(copy).toMatchObject({ line: 6, endLine: 8, heredocs: ['\tkey=value'] });
  });

  test.each<[string, string, string[]]>([
    ['one id', '# footprint-ignore: apk-no-cache\n', ['apk-no-cache']],
    ['ids with commas and spaces', '#footprint-ignore:a, b  c\n', ['a', 'b', 'c']],
    ['over several comment lines', '# footprint-ignore: a\n# why: reasons\n# footprint-ignore: b\n', ['b', 'a']],
    ['a blank line in between', '# footprint-ignore: a\n\n', []],
    ['another comment', '# nothing to ignore\n', []]
  ])('inline ignore: %s', (_name, above, ids) => {
    const parsed = parseDockerfile(`FROM alpine\n${above}RUN apk add x\n`);
    expect(parsed.final!.instructions[0]!.ignored).toEqual(ids);
  });
});

describe('parseDockerfile: problems', () => {
  test.each<[string, string, { buildArgs?: Record<string, string>; target?: string | null }, Array<[number, RegExp]>]>([
    [
      'no FROM',
      'RUN echo hi\n',
      {},
      [
        [1, /RUN before the first FROM/],
        [1, /no FROM instruction/]
      ]
    ],
    ['an empty file', '', {}, [[1, /no FROM instruction/]]],
    ['an ARG without value in FROM', 'ARG BASE\nFROM $BASE\n', {}, [[2, /ARG BASE, which has no default and no build arg/]]],
    ['an undeclared variable in FROM', 'FROM python:${VERSION}\n', {}, [[1, /\$VERSION, which no ARG before the first FROM declares/]]],
    ['a stage ARG is not seen by FROM', 'FROM alpine\nARG TAG=1\nFROM alpine:$TAG\n', {}, [[3, /\$TAG/]]],
    [
      'COPY --from an unknown stage',
      'FROM alpine AS build\nFROM alpine\nCOPY --from=biuld /x /y\n',
      {},
      [[3, /--from=biuld names no earlier stage/]]
    ],
    ['COPY --from a later stage index', 'FROM alpine\nCOPY --from=1 /x /y\nFROM alpine\n', {}, [[2, /--from=1 names no earlier stage/]]],
    ['an unknown instruction', 'FROM debian\nRUN apt-get update &&\n    apt-get install x\n', {}, [[3, /unknown instruction "apt-get"/]]],
    ['FROM with junk after the image', 'FROM alpine latest\n', {}, [[1, /FROM takes an image/]]],
    ['an unknown target', 'FROM alpine AS a\nFROM alpine AS b\n', { target: 'c' }, [[2, /no stage named "c"/]]],
    ['a stage name used twice', 'FROM alpine AS a\nFROM alpine AS a\n', {}, [[2, /used twice/]]]
  ])('%s', (_name, text, options, expected) => {
    const parsed = parseDockerfile(text, options);
    expect(parsed.problems.map((problem) => problem.line)).toEqual(expected.map(([line]) => line));
    parsed.problems.forEach((problem, at) => expect(problem.message).toMatch(expected[at]![1]));
  });

  test('COPY --from an image is not a problem', () => {
    expect(parseDockerfile('FROM alpine\nCOPY --from=nginx:1.27 /etc/nginx /etc/nginx\n').problems).toEqual([]);
  });

  test('the rest of the file is still parsed after a problem', () => {
    const parsed = parseDockerfile('FROM debian\nRUN apt-get update &&\n    apt-get install x\nRUN echo ok\n');
    expect(parsed.final!.instructions.map((instruction) => instruction.args)).toEqual(['apt-get update &&', 'echo ok']);
  });
});

describe('substitute', () => {
  const values = new Map<string, string | null>([
    ['A', 'a'],
    ['E', ''],
    ['N', null]
  ]);
  test.each<[string, string, string[]]>([
    ['$A-${A}', 'a-a', []],
    ['${E:-x}|${E-x}|${N:-y}|${U-z}', 'x||y|z', []],
    ['${A:+set}|${E:+set}|${E+set}|${N+set}', 'set||set|', []],
    ['\\$A', '$A', []],
    ['$N$U', '', ['N', 'U']],
    ['$TARGETARCH', '$TARGETARCH', []]
  ])('%s', (text, out, missing) => {
    expect(substitute(text, values)).toEqual({ text: out, missing });
  });
});
