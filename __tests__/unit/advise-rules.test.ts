import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { RULES, checkRules, type RuleInput } from '../../src/advise/rules/index.js';
import { splitCommands } from '../../src/advise/shell.js';
import type { LayerReport, LeftoverCache, WastedPath } from '../../src/model/report.js';

const root = resolve(import.meta.dirname, '..', '..');
const fixtures = join(root, '__tests__', 'fixtures', 'dockerfiles');

async function check(path: string, options: Partial<Omit<RuleInput, 'dockerfile'>> = {}) {
  const dockerfile = parseDockerfile(await readFile(path, 'utf8'));
  expect(dockerfile.problems).toEqual([]);
  return checkRules({ dockerfile, anatomy: null, hasDockerignore: true, ignore: [], ...options });
}

function fromText(text: string, options: Partial<Omit<RuleInput, 'dockerfile'>> = {}) {
  return checkRules({ dockerfile: parseDockerfile(text), anatomy: null, hasDockerignore: true, ignore: [], ...options });
}

describe('rules on the test Dockerfiles', () => {
  test.each<[string, Partial<Omit<RuleInput, 'dockerfile'>>, Array<[string, number]>]>([
    ['apt-lists-left.Dockerfile', {}, [['apt-lists-left', 2]]],
    ['apt-lists-left.mount.Dockerfile', {}, []],
    ['apt-lists-left.ignored.Dockerfile', {}, []],
    ['apt-lists-left.Dockerfile', { ignore: ['apt-lists-left'] }, []],
    ['apt-no-install-recommends.Dockerfile', {}, [['apt-no-install-recommends', 2]]],
    ['apk-no-cache.Dockerfile', {}, [['apk-no-cache', 2]]],
    ['apk-no-cache.mount.Dockerfile', {}, []],
    ['apk-no-cache.Dockerfile', { ignore: ['apk-no-cache'] }, []],
    ['yum-cache-left.Dockerfile', {}, [['yum-cache-left', 2]]],
    ['yum-cache-left.microdnf.Dockerfile', {}, [['yum-cache-left', 2]]],
    ['build-deps-kept.apk.Dockerfile', {}, [['build-deps-kept', 2]]],
    ['build-deps-kept.apt.Dockerfile', {}, [['build-deps-kept', 2]]],
    [
      'pip-no-cache-dir.Dockerfile',
      {},
      [
        ['pip-no-cache-dir', 4],
        ['pip-no-cache-dir', 5]
      ]
    ],
    ['pip-no-cache-dir.env.Dockerfile', {}, []],
    ['pip-no-cache-dir.mount.Dockerfile', {}, []],
    ['delete-in-later-run.Dockerfile', {}, [['delete-in-later-run', 5]]],
    ['delete-in-later-run.chown.Dockerfile', {}, [['delete-in-later-run', 3]]],
    [
      'join-runs.Dockerfile',
      {},
      [
        ['apt-lists-left', 2],
        ['join-runs', 3]
      ]
    ],
    ['join-runs.Dockerfile', { ignore: ['join-runs', 'apt-lists-left'] }, []],
    ['join-runs.download.Dockerfile', {}, [['join-runs', 4]]],
    [
      'add-remote-archive.Dockerfile',
      {},
      [
        ['add-remote-archive', 2],
        ['delete-in-later-run', 3]
      ]
    ],
    ['copy-all-without-dockerignore.Dockerfile', { hasDockerignore: false }, [['copy-all-without-dockerignore', 3]]],
    ['copy-all-without-dockerignore.Dockerfile', { hasDockerignore: true }, []],
    ['chain.Dockerfile', {}, [['apt-lists-left', 2]]],
    ['clean-go-multistage.Dockerfile', { hasDockerignore: false }, []],
    ['clean-python-slim.Dockerfile', { hasDockerignore: false }, []],
    ['clean-alpine-virtual.Dockerfile', {}, []],
    ['clean-apt-purge.Dockerfile', {}, []],
    ['clean-consecutive-runs.Dockerfile', {}, []],
    ['clean-heredoc.Dockerfile', {}, []],
    ['clean-dnf.Dockerfile', {}, []],
    ['clean-escape.Dockerfile', {}, []]
  ])('%s %j', async (name, options, expected) => {
    const findings = await check(join(fixtures, name), options);
    expect(findings.map((found) => [found.rule, found.line])).toEqual(expected);
    for (const found of findings) {
      expect(RULES.map((rule) => rule.id)).toContain(found.rule);
      expect(found.message).not.toContain('\n');
      expect(found.fix.length).toBeGreaterThan(10);
      expect([found.savingsBytes, found.savingsMetric, found.measured]).toEqual([null, null, false]);
    }
  });

  test.each(['python/Dockerfile', 'python/Dockerfile.alpine', 'go/Dockerfile', 'go/Dockerfile.alpine', 'go/Dockerfile.scratch'])(
    'examples/%s raises no size rule',
    async (name) => {
      expect(await check(join(root, 'examples', name), { hasDockerignore: false })).toEqual([]);
    }
  );

  test('every rule id is covered by a test Dockerfile', async () => {
    const names = RULES.map((rule) => rule.id);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([
      'apt-lists-left',
      'apt-no-install-recommends',
      'apk-no-cache',
      'yum-cache-left',
      'build-deps-kept',
      'pip-no-cache-dir',
      'npm-dev-dependencies',
      'join-runs',
      'delete-in-later-run',
      'copy-over-run',
      'add-remote-archive',
      'copy-all-without-dockerignore'
    ]);
  });
});

describe('rule details', () => {
  test('build-deps-kept names the tools and gives a --virtual snippet for apk', async () => {
    const [found] = await check(join(fixtures, 'build-deps-kept.apk.Dockerfile'));
    expect(found!.message).toContain('gcc, musl-dev, libffi-dev');
    expect(found!.fix).toContain('apk add --no-cache --virtual .build-deps gcc musl-dev libffi-dev');
    expect(found!.fix).toContain('apk del .build-deps');
    expect(found!.severity).toBe('warning');
  });

  test('build-deps-kept suggests apt-get purge for apt', async () => {
    const [found] = await check(join(fixtures, 'build-deps-kept.apt.Dockerfile'));
    expect(found!.fix).toContain('apt-get purge -y --auto-remove build-essential python3-dev');
  });

  test('a chown in a later RUN is fixed with COPY --chown', async () => {
    const [found] = await check(join(fixtures, 'delete-in-later-run.chown.Dockerfile'));
    expect(found!.message).toContain('line 2');
    expect(found!.fix).toContain('--chown');
  });

  test('add-remote-archive gives a one-RUN download snippet', async () => {
    const [found] = await check(join(fixtures, 'add-remote-archive.Dockerfile'));
    expect(found!.severity).toBe('warning');
    expect(found!.fix).toContain('RUN curl -fsSL https://example.com/releases/tool-1.2.3-linux-amd64.tar.gz');
    expect(found!.fix).toContain('&& rm /tmp/tool-1.2.3-linux-amd64.tar.gz');
  });

  test('join-runs names the lines to join and is a notice without measured bytes', async () => {
    const findings = await check(join(fixtures, 'join-runs.download.Dockerfile'));
    expect(findings[0]!.fix).toContain('lines 2, 3 and 4');
    expect(findings[0]!.severity).toBe('notice');
  });

  test.each<[string, string, Array<[string, number]>]>([
    [
      'inline ignore of several rules',
      'FROM ubuntu\n# footprint-ignore: apt-lists-left, apt-no-install-recommends\nRUN apt-get update && apt-get install -y curl\n',
      []
    ],
    ['inline ignore of all', 'FROM ubuntu\n# footprint-ignore: all\nRUN apt-get update && apt-get install -y curl\n', []],
    [
      'an ignore comment applies to the next instruction only',
      'FROM alpine\n# footprint-ignore: apk-no-cache\nRUN apk add a\nRUN apk add b\n',
      [['apk-no-cache', 4]]
    ],
    ['a blank line breaks the comment block', 'FROM alpine\n# footprint-ignore: apk-no-cache\n\nRUN apk add a\n', [['apk-no-cache', 4]]],
    [
      'cache mount on /var/cache/apt only still leaves the lists',
      'FROM debian\nRUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y --no-install-recommends x\n',
      [['apt-lists-left', 2]]
    ],
    ['pip cache mount on ~/.cache', 'FROM python\nRUN --mount=type=cache,target=/root/.cache pip install x\n', []],
    ['PIP_NO_CACHE_DIR on the command', 'FROM python\nRUN PIP_NO_CACHE_DIR=1 pip install x\n', []],
    ['rm -rf ~/.cache in the same RUN', 'FROM python\nRUN pip install x && rm -rf ~/.cache\n', []],
    ['pip in exec form', 'FROM python\nRUN ["pip", "install", "x"]\n', [['pip-no-cache-dir', 2]]],
    ['pip through sh -c in exec form', 'FROM python\nRUN ["/bin/sh", "-c", "pip3 install --no-cache-dir x"]\n', []],
    ['pip in a heredoc', 'FROM python\nRUN <<EOF\npip install x\nEOF\n', [['pip-no-cache-dir', 2]]],
    ['a python heredoc is not shell', 'FROM python\nRUN python3 <<EOF\nimport os; os.system("pip install x")\nEOF\n', []],
    ['apk cache removed by rm', 'FROM alpine\nRUN apk add curl && rm -rf /var/cache/apk/*\n', []],
    [
      'install recommends switched off in apt.conf',
      'FROM debian\nRUN echo \'APT::Install-Recommends "false";\' > /etc/apt/apt.conf.d/no-rec\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n',
      []
    ],
    [
      'apt install after an earlier update is not flagged twice',
      'FROM debian\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\n',
      [['apt-lists-left', 2]]
    ],
    ['plain consecutive RUNs are fine', 'FROM alpine\nRUN echo one > /one\nRUN echo two > /two\n', []],
    ['build tools in a build stage that is only copied from', 'FROM alpine AS build\nRUN apk add gcc\nFROM alpine\nCOPY --from=build /x /x\n', []],
    ['ADD of a local archive is fine', 'FROM alpine\nADD app.tar.gz /opt/\n', []],
    ['ADD of a remote file that is not an archive ships once either way', 'FROM alpine\nADD https://example.com/key.pem /etc/key.pem\n', []],
    ['ADD of a remote binary ships once either way', 'FROM alpine\nADD https://example.com/tool /usr/local/bin/tool\n', []],
    ['ADD of a remote archive that nothing unpacks ships once', 'FROM alpine\nADD https://example.com/data.tar.gz /srv/data.tar.gz\n', []],
    ['COPY . from another stage is not the context', 'FROM alpine AS a\nFROM alpine\nCOPY --from=a . /x\n', []],
    ['ADD . without .dockerignore', 'FROM alpine\nADD . /src\n', [['copy-all-without-dockerignore', 2]]],
    ['the target stage decides what ships', 'FROM alpine AS dev\nRUN apk add curl\nFROM alpine AS prod\n', []]
  ])('%s', (_name, text, expected) => {
    expect(fromText(text, { hasDockerignore: false }).map((found) => [found.rule, found.line])).toEqual(expected);
  });

  test('the target stage is checked when chosen', () => {
    const dockerfile = parseDockerfile('FROM alpine AS dev\nRUN apk add curl\nFROM alpine AS prod\n', { target: 'dev' });
    expect(checkRules({ dockerfile, anatomy: null, hasDockerignore: true, ignore: [] }).map((found) => found.rule)).toEqual(['apk-no-cache']);
  });
});

describe('splitCommands', () => {
  test.each<[string, string[][]]>([
    ['a && b || c; d | e & f', [['a'], ['b'], ['c'], ['d'], ['e'], ['f']]],
    ['echo "a b" \'c d\' e\\ f', [['echo', 'a b', 'c d', 'e f']]],
    ['make 2>&1 >/dev/null && x', [['make', '2>&1', '>/dev/null'], ['x']]],
    ['(cd /x && make) # comment && y\nz', [['cd', '/x'], ['make'], ['z']]],
    ['a \\\n b', [['a', 'b']]]
  ])('%j', (script, expected) => {
    expect(splitCommands(script)).toEqual(expected);
  });
});

describe('measured bytes from the anatomy', () => {
  const layer = (index: number, line: number | null, bytes = 1000): LayerReport => ({
    index,
    fromBase: line === null,
    instruction: null,
    stage: null,
    line,
    bytes,
    compressedBytes: null,
    files: 1
  });
  const cache = (kind: LeftoverCache['kind'], line: number | null, bytes: number, path = '/x'): LeftoverCache => ({
    path,
    kind,
    bytes,
    files: 10,
    line,
    fromBase: line === null ? true : false
  });
  const waste = (path: string, bytes: number, addedAtLine: number | null, removedAtLine: number | null, inBase = false): WastedPath => ({
    path,
    files: 1,
    bytes,
    addedAtLine,
    removedAtLine,
    addedInLayer: 1,
    removedInLayer: 2,
    inBase
  });
  const anatomy = (lines: number[], caches: LeftoverCache[], paths: WastedPath[] = []) => ({
    layers: [layer(0, null), ...lines.map((line, at) => layer(at + 1, line))],
    wasted: { bytes: paths.reduce((sum, path) => sum + path.bytes, 0), baseBytes: 0, paths },
    caches
  });

  test.each<[string, string, ReturnType<typeof anatomy>, Array<[string, number, number | null]>]>([
    [
      'apt lists at the line',
      'FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n',
      anatomy([2], [cache('apt', 2, 18_400_000, '/var/lib/apt/lists'), cache('apt', 2, 600, '/var/cache/apt'), cache('apt', null, 5000)]),
      [['apt-lists-left', 2, 18_400_600]]
    ],
    ['apk index', 'FROM alpine\nRUN apk add curl\n', anatomy([2], [cache('apk', 2, 2_345_678, '/var/cache/apk')]), [['apk-no-cache', 2, 2_345_678]]],
    [
      'pip cache of the right line only',
      'FROM python\nRUN pip install a\nRUN pip install b\n',
      anatomy([2, 3], [cache('pip', 2, 50_000_000), cache('pip', 3, 7_000)]),
      [
        ['pip-no-cache-dir', 2, 50_000_000],
        ['pip-no-cache-dir', 3, 7_000]
      ]
    ],
    [
      'dnf cache for a dnf install',
      'FROM fedora\nRUN dnf install -y python3\n',
      anatomy([2], [cache('dnf', 2, 90_000_000), cache('pip', 2, 1_000_000)]),
      [['yum-cache-left', 2, 90_000_000]]
    ],
    ['no cache measured at the line: no number', 'FROM alpine\nRUN apk add curl\n', anatomy([2], []), [['apk-no-cache', 2, null]]],
    [
      'wasted bytes between consecutive RUNs: join-runs',
      'FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nRUN rm -rf /var/lib/apt/lists/*\n',
      anatomy(
        [2, 3],
        [],
        [waste('/var/lib/apt/lists', 18_000_000, 2, 3), waste('/var/lib/apt/lists/lock', 20, 2, 3), waste('/usr/lib/x', 999, null, 3, true)]
      ),
      [
        ['apt-lists-left', 2, null],
        ['join-runs', 3, 18_000_020]
      ]
    ],
    [
      'wasted bytes from a COPY: delete-in-later-run',
      'FROM alpine\nCOPY src/ /app/\nENV A=1\nRUN rm -rf /app/tests\n',
      anatomy([2, 4], [], [waste('/app/tests', 12_000_000, 2, 4)]),
      [['delete-in-later-run', 4, 12_000_000]]
    ],
    [
      'one remover, a consecutive and an earlier creator',
      'FROM alpine\nCOPY big.bin /big.bin\nRUN wget -O /tmp/x.tgz https://e.com/x.tgz\nRUN rm /tmp/x.tgz /big.bin\n',
      anatomy([2, 3, 4], [], [waste('/big.bin', 5_000_000, 2, 4), waste('/tmp/x.tgz', 3_000_000, 3, 4)]),
      [
        ['join-runs', 4, 3_000_000],
        ['delete-in-later-run', 4, 5_000_000]
      ]
    ],
    ['the anatomy measured no waste: no guess either', 'FROM alpine\nCOPY src/ /app/\nENV A=1\nRUN rm -rf /app/tests\n', anatomy([2, 4], []), []]
  ])('%s', (_name, text, measured, expected) => {
    const findings = checkRules({ dockerfile: parseDockerfile(text), anatomy: measured, hasDockerignore: true, ignore: [] });
    expect(findings.map((found) => [found.rule, found.line, found.savingsBytes])).toEqual(expected);
    for (const found of findings) {
      if (found.savingsBytes === null) {
        expect([found.savingsMetric, found.measured]).toEqual([null, false]);
      } else {
        expect([found.savingsMetric, found.measured, found.severity]).toEqual(['uncompressed', true, 'warning']);
      }
    }
  });

  test('the measured bytes appear in the message', () => {
    const [found] = checkRules({
      dockerfile: parseDockerfile('FROM debian\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n'),
      anatomy: anatomy([2], [cache('apt', 2, 18_400_000)]),
      hasDockerignore: true,
      ignore: []
    });
    expect(found!.message).toBe('This RUN leaves 18.4 MB of apt package lists in its layer (/var/lib/apt/lists).');
  });
});
