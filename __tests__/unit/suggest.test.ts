import { describe, expect, test } from '@jest/globals';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { LOOKUP_CONCURRENCY, mapConcurrent, suggestBases } from '../../src/advise/suggest.js';
import type { RegistryClient } from '../../src/registry/client.js';
import type { Finding } from '../../src/model/report.js';

const MB = 1e6;
const MINUS = '\u2212';
const ARROW = '\u2192';

/**
 * An in-memory registry: `images` maps a reference to its compressed bytes
 * (null: the tag exists but its size cannot be read); `unreachable` lists
 * references the registry cannot be asked about. Everything else does not exist.
 */
function memoryRegistry(images: Record<string, number | null>, unreachable: string[] = []) {
  const calls: Array<{ method: 'exists' | 'compressedSize'; ref: string; platform: string }> = [];
  const client: RegistryClient = {
    async exists(ref, platform) {
      calls.push({ method: 'exists', ref, platform });
      if (unreachable.includes(ref)) return null;
      return Object.hasOwn(images, ref);
    },
    async compressedSize(ref, platform) {
      calls.push({ method: 'compressedSize', ref, platform });
      if (unreachable.includes(ref)) return null;
      return images[ref] ?? null;
    },
    async manifestDigest() {
      return null;
    }
  };
  return { client, calls };
}

async function suggest(text: string, registry: RegistryClient, options: { ignore?: string[]; platform?: string } = {}): Promise<Finding[]> {
  return suggestBases({
    dockerfile: parseDockerfile(text),
    registry,
    platform: options.platform ?? 'linux/amd64',
    ignore: options.ignore ?? []
  });
}

const PYTHON = 'FROM python:3.12\nRUN pip install --no-cache-dir flask\nCMD ["python"]\n';
const summary = (findings: Finding[]) => findings.map((finding) => [finding.rule, finding.savingsBytes, finding.severity]);

describe('suggestBases', () => {
  test('measured savings, largest first, to the byte', async () => {
    const { client } = memoryRegistry({
      'python:3.12': 412_345_678,
      'python:3.12-slim': 51_234_567,
      'python:3.12-alpine': 19_876_543
    });
    const findings = await suggest(PYTHON, client);
    expect(summary(findings)).toEqual([
      ['base-alpine', 412_345_678 - 19_876_543, 'warning'],
      ['base-slim', 412_345_678 - 51_234_567, 'warning']
    ]);
    const [alpine, slim] = findings;
    expect(alpine).toMatchObject({ line: 1, measured: true, savingsMetric: 'compressed' });
    expect(alpine!.message).toBe(
      `python:3.12 ${ARROW} python:3.12-alpine: ${MINUS}392.5 MB compressed, measured in the registry (412.3 MB ${ARROW} 19.9 MB). ` +
        'The alpine variant is the same Python on Alpine Linux, the smallest variant.'
    );
    expect(alpine!.fix).toMatch(/^Change line 1 to `FROM python:3.12-alpine`\. Caveat: Python packages with C extensions/);
    expect(alpine!.fix).not.toContain('\n');
    expect(slim!.message).toMatch(new RegExp(`^python:3\\.12 ${ARROW} python:3\\.12-slim: ${MINUS}361\\.1 MB compressed, measured in the registry`));
    expect(slim!.fix).toMatch(/^Change line 1 to `FROM python:3\.12-slim`\. Caveat: slim has no compilers/);
  });

  test('a saving of half the base or less is a notice', async () => {
    const { client } = memoryRegistry({ 'python:3.12': 100 * MB, 'python:3.12-slim': 50 * MB, 'python:3.12-alpine': 49 * MB });
    expect(summary(await suggest(PYTHON, client))).toEqual([
      ['base-alpine', 51 * MB, 'warning'],
      ['base-slim', 50 * MB, 'notice']
    ]);
  });

  test('a tag the registry does not have is dropped', async () => {
    const { client } = memoryRegistry({ 'python:3.12': 400 * MB, 'python:3.12-alpine': 20 * MB });
    expect(summary(await suggest(PYTHON, client))).toEqual([['base-alpine', 380 * MB, 'warning']]);
  });

  test('a candidate that is not smaller is dropped', async () => {
    const { client } = memoryRegistry({ 'python:3.12': 40 * MB, 'python:3.12-slim': 45 * MB, 'python:3.12-alpine': 40 * MB });
    expect(await suggest(PYTHON, client)).toEqual([]);
  });

  test('an unreachable registry keeps the suggestions, without a number', async () => {
    const { client } = memoryRegistry({}, ['python:3.12', 'python:3.12-slim', 'python:3.12-alpine']);
    const findings = await suggest(PYTHON, client);
    expect(findings.map((finding) => finding.rule)).toEqual(['base-slim', 'base-alpine']);
    for (const finding of findings) {
      expect(finding).toMatchObject({ savingsBytes: null, savingsMetric: null, measured: false, severity: 'notice', line: 1 });
      expect(finding.message).toMatch(/the registry could not be reached, so the saving is not measured/);
    }
    expect(findings[0]!.message).toMatch(new RegExp(`^python:3\\.12 ${ARROW} python:3\\.12-slim: `));
  });

  test('measured and unmeasured together: measured first', async () => {
    const { client } = memoryRegistry({ 'python:3.12': 400 * MB, 'python:3.12-alpine': 20 * MB }, ['python:3.12-slim']);
    const findings = await suggest(PYTHON, client);
    expect(summary(findings)).toEqual([
      ['base-alpine', 380 * MB, 'warning'],
      ['base-slim', null, 'notice']
    ]);
  });

  test('the tag exists but a size cannot be read: no number', async () => {
    const { client } = memoryRegistry({ 'python:3.12': null, 'python:3.12-slim': 50 * MB, 'python:3.12-alpine': null });
    const findings = await suggest(PYTHON, client);
    expect(findings.map((finding) => [finding.rule, finding.savingsBytes])).toEqual([
      ['base-slim', null],
      ['base-alpine', null]
    ]);
    expect(findings[0]!.message).toMatch(/the saving could not be measured in the registry/);
  });

  test('ignored rules are neither suggested nor looked up', async () => {
    const { client, calls } = memoryRegistry({ 'python:3.12': 400 * MB, 'python:3.12-slim': 50 * MB, 'python:3.12-alpine': 20 * MB });
    expect(summary(await suggest(PYTHON, client, { ignore: ['base-alpine'] }))).toEqual([['base-slim', 350 * MB, 'warning']]);
    expect(calls.some((call) => call.ref.includes('alpine'))).toBe(false);
  });

  test('nothing to suggest asks no registry', async () => {
    const { client, calls } = memoryRegistry({});
    expect(await suggest('FROM python:3.12 AS build\nRUN pip wheel .\nFROM gcr.io/distroless/python3-debian12\n', client)).toEqual([]);
    expect(await suggest('FROM python:3.12-alpine\n', client)).toEqual([]);
    expect(await suggest('# nothing here\n', client)).toEqual([]);
    expect(calls).toEqual([]);
  });

  test('a registry on 127.0.0.1 keeps its host and repository; platform from FROM --platform', async () => {
    const { client, calls } = memoryRegistry({
      '127.0.0.1:5000/library/python:3.12': 300 * MB,
      '127.0.0.1:5000/library/python:3.12-slim': 60 * MB
    });
    const text = 'FROM --platform=linux/arm64 127.0.0.1:5000/library/python:3.12 AS app\nCMD ["python"]\n';
    const findings = await suggest(text, client);
    expect(summary(findings)).toEqual([['base-slim', 240 * MB, 'warning']]);
    expect(findings[0]!.message).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:5000/library/python:3\\.12 ${ARROW} 127\\.0\\.0\\.1:5000/library/python:3\\.12-slim: ${MINUS}240\\.0 MB`)
    );
    expect(findings[0]!.fix).toBe('Change line 1 to `FROM --platform=linux/arm64 127.0.0.1:5000/library/python:3.12-slim AS app`.');
    expect(new Set(calls.map((call) => call.platform))).toEqual(new Set(['linux/arm64']));
    expect(new Set(calls.map((call) => call.ref))).toEqual(
      new Set(['127.0.0.1:5000/library/python:3.12', '127.0.0.1:5000/library/python:3.12-slim', '127.0.0.1:5000/library/python:3.12-alpine'])
    );
  });

  test('the build platform is used when FROM has none (or names $BUILDPLATFORM)', async () => {
    const { client, calls } = memoryRegistry({ 'python:3.12': 300 * MB });
    await suggest('FROM --platform=$BUILDPLATFORM python:3.12\n', client, { platform: 'linux/arm64/v8' });
    expect(new Set(calls.map((call) => call.platform))).toEqual(new Set(['linux/arm64/v8']));
  });

  test('FROM <stage>: the finding is on the FROM that names the image', async () => {
    const { client } = memoryRegistry({ 'node:20': 380 * MB, 'node:20-slim': 70 * MB });
    const findings = await suggest('# app\nFROM node:20 AS deps\nRUN npm ci\n\nFROM deps\nCMD ["node"]\n', client);
    expect(findings.map((finding) => [finding.rule, finding.line, finding.fix])).toEqual([
      [
        'base-slim',
        2,
        'Change line 2 to `FROM node:20-slim AS deps`. Caveat: slim has no compilers or -dev libraries: packages that build native code on install need them added (and removed again) in the same RUN.'
      ]
    ]);
  });

  test('Go to scratch: an upper bound from the current base, no number, the sketch in the fix', async () => {
    const { client, calls } = memoryRegistry({ 'golang:1.22': 280 * MB, 'golang:1.22-alpine': 75 * MB });
    const findings = await suggest('FROM golang:1.22\nRUN CGO_ENABLED=0 go build -o /app .\nCMD ["/app"]\n', client);
    expect(summary(findings)).toEqual([
      ['base-alpine', 205 * MB, 'warning'],
      ['base-scratch', null, 'notice']
    ]);
    const scratch = findings[1]!;
    expect(scratch.measured).toBe(false);
    expect(scratch.message).toBe(
      `golang:1.22 ${ARROW} a multi-stage build on scratch: up to ${MINUS}280.0 MB compressed, all of golang:1.22 as measured in the registry, less the copied build output. ` +
        'The final image carries the Go toolchain of golang:1.22, which only compiling needs; the binary is static (CGO_ENABLED=0), so it runs on scratch.'
    );
    const [first, ...sketch] = scratch.fix.split('\n');
    expect(first).toMatch(
      /^Build in one stage and copy only the result into a final stage on scratch, as sketched below\. Caveat: scratch has no shell/
    );
    expect(sketch).toEqual([
      'FROM golang:1.22 AS build',
      'WORKDIR /src',
      'COPY . .',
      'RUN CGO_ENABLED=0 go build -o /app .',
      '',
      'FROM scratch',
      'COPY --from=build /app /app',
      'ENTRYPOINT ["/app"]'
    ]);
    expect(calls.some((call) => call.ref === 'scratch')).toBe(false);
  });

  test('distroless measured in its registry; unreachable gcr.io keeps it without a number', async () => {
    const { client } = memoryRegistry({ 'golang:1.22': 280 * MB, 'gcr.io/distroless/base-debian12': 20 * MB }, ['golang:1.22-alpine']);
    const findings = await suggest('FROM golang:1.22\nRUN go build -o /app .\n', client);
    expect(summary(findings)).toEqual([
      ['base-distroless', 260 * MB, 'warning'],
      ['base-alpine', null, 'notice']
    ]);
    expect(findings[0]!.message).toMatch(
      new RegExp(
        `^golang:1\\.22 ${ARROW} a multi-stage build on gcr\\.io/distroless/base-debian12: ${MINUS}260\\.0 MB compressed, measured in the registry \\(280\\.0 MB ${ARROW} 20\\.0 MB, plus the copied build output\\)`
      )
    );
    const unreachable = memoryRegistry({}, ['golang:1.22', 'golang:1.22-alpine', 'gcr.io/distroless/base-debian12']);
    expect(summary(await suggest('FROM golang:1.22\nRUN go build -o /app .\n', unreachable.client))).toEqual([
      ['base-alpine', null, 'notice'],
      ['base-distroless', null, 'notice']
    ]);
  });

  test('scratch when the current base cannot be measured', async () => {
    const { client } = memoryRegistry({}, ['golang:1.22-alpine', 'golang:1.22']);
    const scratch = (await suggest('FROM golang:1.22-alpine\nRUN go build -o /app .\n', client))[0]!;
    expect(scratch.rule).toBe('base-scratch');
    expect(scratch.message).toMatch(/no saving measured \(golang:1\.22-alpine could not be measured in the registry\)/);
  });

  test('the same image suggested twice is looked up and reported once', async () => {
    const { client } = memoryRegistry({ 'openjdk:17': 330 * MB, 'openjdk:17-jre-slim': 80 * MB, 'openjdk:17-slim': 200 * MB });
    expect(summary(await suggest('FROM openjdk:17\n', client))).toEqual([
      ['base-jre', 250 * MB, 'warning'],
      ['base-slim', 130 * MB, 'notice']
    ]);
  });

  test('debian to alpine and slim, on the FROM line of the final stage', async () => {
    const { client } = memoryRegistry({ 'debian:12': 49 * MB, 'debian:12-slim': 28 * MB, 'alpine:3': 3_623_807 });
    const findings = await suggest(
      'FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n',
      client
    );
    expect(summary(findings)).toEqual([
      ['base-alpine', 49 * MB - 3_623_807, 'warning'],
      ['base-slim', 21 * MB, 'notice']
    ]);
    expect(findings[0]!.fix).toMatch(/^Change line 1 to `FROM alpine:3`\. Caveat: Alpine uses musl/);
  });
});

describe('mapConcurrent', () => {
  test('keeps the order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 11 }, (_, index) => index);
    const results = await mapConcurrent(items, LOOKUP_CONCURRENCY, async (item) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => setImmediate(resolve));
      running--;
      return item * 2;
    });
    expect(results).toEqual(items.map((item) => item * 2));
    expect(most).toBe(LOOKUP_CONCURRENCY);
  });

  test('an empty list', async () => {
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });
});
