import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { BuildResult, Engine } from '../../src/build/engine.js';
import { bareTarget } from '../../src/discover/target.js';
import type { Analysis } from '../../src/measure/analyse-image.js';
import type { Measurement } from '../../src/measure/measurement.js';
import { join } from 'node:path';
import { orderFindings } from '../../src/advise/advise.js';
import { applyPatch } from '../../src/advise/patch.js';
import { failedStepOutput, failedStepText } from '../../src/build/log.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import type { Verification } from '../../src/model/report.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal, savingsCell } from '../../src/report/terminal.js';
import { effectiveSaving, measuredSavings, savingsText, verificationText, verificationTime } from '../../src/report/view.js';
import { formatDuration, parseDuration } from '../../src/units.js';
import { lineOfStep, verifyImage } from '../../src/verify/verify.js';
import { finding, imageReport, reportOf } from '../support/report-fixtures.js';

const MB = 1e6;
// Logs of `RUN echo start && make all` failing on a base without make, as each builder printed them.
const CLASSIC = readFileSync(join(import.meta.dirname, '../fixtures/logs/classic-run-fails.txt'), 'utf8');
const BUILDKIT = readFileSync(join(import.meta.dirname, '../fixtures/logs/buildkit-run-fails.txt'), 'utf8');

function verification(overrides: Partial<Verification>): Verification {
  return {
    outcome: 'builds',
    bytes: 61 * MB,
    compressedBytes: 20 * MB,
    savingsBytes: 121 * MB,
    compressedSavingsBytes: 40 * MB,
    seconds: 42,
    message: null,
    logTail: null,
    ...overrides
  };
}

describe('reading a failed build', () => {
  test.each([
    ['the classic builder', CLASSIC],
    ['BuildKit', BUILDKIT]
  ])('%s: the step it stopped at and what the step printed last', (_label, log) => {
    expect(failedStepText(log)).toBe('RUN echo start && make all');
    expect(failedStepOutput(log)).toBe('/bin/sh: make: not found');
  });

  test('named BuildKit stages and logs that name no step', () => {
    expect(failedStepText('#9 [build 2/4] RUN go build\n#9 ERROR: exit code: 1\n')).toBe('RUN go build');
    expect(failedStepText('ERROR: failed to solve: pull access denied\n')).toBeNull();
    expect(failedStepOutput('nothing useful\n')).toBeNull();
  });

  test('the step is found in the Dockerfile, continuations and case aside', () => {
    const dockerfile = parseDockerfile('FROM a AS build\nCOPY . .\nrun echo start \\\n  && make all\nFROM scratch\nCOPY --from=build /x /x\n');
    expect(lineOfStep(dockerfile, 'RUN echo start && make all')).toBe(3);
    expect(lineOfStep(dockerfile, 'FROM a AS build')).toBe(1);
    expect(lineOfStep(dockerfile, 'COPY --from=build /x /x')).toBe(6);
    expect(lineOfStep(dockerfile, 'RUN something else')).toBeNull();
  });
});

describe('applyPatch', () => {
  const text = 'FROM debian:12\nRUN a \\\n  && b\nCOPY x /x\nCMD ["/x"]\n';

  test('replaces the lines and maps lines back', () => {
    const patched = applyPatch(text, { line: 2, endLine: 3, text: 'RUN a \\\n  && b \\\n  && c \\\n  && d' })!;
    expect(patched.text).toBe('FROM debian:12\nRUN a \\\n  && b \\\n  && c \\\n  && d\nCOPY x /x\nCMD ["/x"]\n');
    expect([1, 2, 5, 6, 7].map((line) => patched.originalLine(line))).toEqual([1, 2, 2, 4, 5]);
  });

  test('one line for several, and patches that do not fit', () => {
    expect(applyPatch(text, { line: 1, endLine: 5, text: 'FROM scratch' })!.text).toBe('FROM scratch\n');
    expect(applyPatch(text, { line: 0, endLine: 1, text: 'x' })).toBeNull();
    expect(applyPatch(text, { line: 3, endLine: 2, text: 'x' })).toBeNull();
    expect(applyPatch(text, { line: 1, endLine: 99, text: 'x' })).toBeNull();
  });
});

describe('what a verified finding says and how it ranks', () => {
  const predicted = finding({ rule: 'base-slim', line: 1, savingsBytes: 80 * MB, savingsMetric: 'compressed', measured: true });
  const built = { ...predicted, verification: verification({}) };
  const failed = {
    ...predicted,
    rule: 'base-alpine',
    verification: verification({
      outcome: 'fails',
      bytes: null,
      compressedBytes: null,
      savingsBytes: null,
      compressedSavingsBytes: null,
      seconds: 3,
      message: 'fails on python:3.12-alpine at line 8: gcc: not found',
      logTail: '#8 0.1 gcc: not found'
    })
  };

  test('the truth in words', () => {
    expect(savingsText(built)).toBe('−121.0 MB, verified by building it');
    expect(verificationText(built)).toBe('verified: builds, 182.0 MB → 61.0 MB (−121.0 MB; 60.0 MB → 20.0 MB compressed) in 42 s');
    expect(savingsText(failed)).toBe('fails when built');
    expect(verificationText(failed)).toBe('fails on python:3.12-alpine at line 8: gcc: not found (tried in 3.0 s)');
    const grew = { ...predicted, verification: verification({ savingsBytes: -2 * MB, bytes: 63 * MB }) };
    expect(savingsText(grew)).toBe('+2.0 MB, verified: the image grows');
    expect(
      verificationText({
        ...predicted,
        verification: verification({ outcome: 'skipped', message: 'not tried: the verify-timeout of 5 min for this image was spent' })
      })
    ).toBe('not verified: not tried: the verify-timeout of 5 min for this image was spent');
    expect(verificationText(predicted)).toBeNull();
    expect(savingsCell(built)).toBe('-121.0 MB ok');
    expect(savingsCell(failed)).toBe('fails');
  });

  test('a failed fix is never a saving; a verified one counts with its real figure', () => {
    expect(effectiveSaving(failed)).toBeNull();
    expect(effectiveSaving(built)).toEqual({ bytes: 121 * MB, metric: 'uncompressed', measured: true });
    expect(effectiveSaving(predicted)).toEqual({ bytes: 80 * MB, metric: 'compressed', measured: true });
    expect(measuredSavings([failed])).toEqual({ compressed: 0, uncompressed: 0 });
    expect(measuredSavings([built, failed])).toEqual({ compressed: 0, uncompressed: 121 * MB });
  });

  test('verified savings first, failed fixes last, whatever was predicted', () => {
    const rule = finding({ rule: 'apt-lists-left', line: 2, savingsBytes: 200 * MB, savingsMetric: 'uncompressed', measured: true });
    const verifiedRule = { ...rule, rule: 'pip-no-cache-dir', line: 3, verification: verification({ savingsBytes: 5 * MB }) };
    const nothing = { ...rule, rule: 'join-runs', line: 4, verification: verification({ savingsBytes: 0 }) };
    expect(orderFindings([failed, nothing, rule, verifiedRule, built]).map((item) => item.rule)).toEqual([
      'base-slim',
      'pip-no-cache-dir',
      'apt-lists-left',
      'join-runs',
      'base-alpine'
    ]);
  });

  test('the comment, summary and CLI show each result, the failed build’s log and the time it took', () => {
    const image = imageReport({ name: 'api', findings: orderFindings([failed, built]) });
    expect(verificationTime(image.findings)).toBe('2 fixes built to verify them in 45 s');
    const markdown = renderMarkdown(reportOf([image]), { key: 'default' });
    expect(markdown).toContain('· 2 fixes built to verify them in 45 s');
    expect(markdown).toContain('**−121.0 MB, verified by building it**');
    expect(markdown).toContain('<br>✅ verified: builds, 182.0 MB → 61.0 MB');
    expect(markdown).toContain('**fails when built**');
    expect(markdown).toContain('<br>❌ fails on python:3.12-alpine at line 8: gcc: not found \\(tried in 3.0 s\\)');
    expect(markdown).toMatch(/<details><summary>end of the build log<\/summary>\n\n {2}```text\n {2}#8 0\.1 gcc: not found\n {2}```/);
    const terminal = renderTerminal(reportOf([image]), { color: false });
    expect(terminal).toContain('ok: verified by building it]; 2 fixes built to verify them in 45 s');
    expect(terminal).toContain('fails on python:3.12-alpine at line 8: gcc: not found (tried in 3.0 s)');
  });
});

test('durations', () => {
  expect([parseDuration('90s', 'x'), parseDuration('5m', 'x'), parseDuration('1.5h', 'x'), parseDuration('45', 'x')]).toEqual([90, 300, 5400, 45]);
  expect(() => parseDuration('-1m', 'input verify-timeout')).toThrow('input verify-timeout: "-1m" is not a duration; expected e.g. 90s, 5m or 1h');
  expect([0.42, 42, 300, 390].map(formatDuration)).toEqual(['0.4 s', '42 s', '5 min', '6 min 30 s']);
});

describe('verifyImage, with a scripted engine', () => {
  const CLASSIC_PULL_FAILS = 'Step 1/3 : FROM gcr.io/distroless/base-debian12\nGet "https://gcr.io/v2/": dial tcp: lookup gcr.io: no such host\n';
  const dockerfileText = 'FROM debian:12\nCOPY tool /usr/local/bin/tool\nENTRYPOINT ["tool"]\n';
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'footprint-verify-unit-'));
    await writeFile(join(root, 'Dockerfile'), dockerfileText);
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  function measurement(): Measurement {
    const target = bareTarget({ name: 'app', dockerfile: 'Dockerfile', context: '.', image: null });
    return {
      target,
      dockerfile: parseDockerfile(dockerfileText),
      dockerfileError: null,
      size: { bytes: 120 * MB, compressedBytes: 50 * MB, dockerBytes: 120 * MB },
      anatomy: null,
      inventory: null,
      files: null,
      entrypoint: null,
      npmDev: [],
      analysisError: null,
      error: null,
      buildInputs: null,
      reused: null
    };
  }

  const slim = finding({ rule: 'base-slim', line: 1, patch: { line: 1, endLine: 1, text: 'FROM debian:12-slim' } });
  const distroless = finding({ rule: 'base-distroless', line: 1, patch: { line: 1, endLine: 1, text: 'FROM gcr.io/distroless/base-debian12' } });
  const noPatch = finding({ rule: 'copy-all-without-dockerignore', line: 2 });

  function engine(builds: Record<string, BuildResult>): { engine: Engine; removed: string[][]; built: string[] } {
    const removed: string[][] = [];
    const built: string[] = [];
    return {
      removed,
      built,
      engine: {
        builder: 'docker build',
        buildKit: false,
        build: async (request) => {
          const text = readFileSync(request.dockerfile, 'utf8');
          built.push(text.split('\n')[0]!);
          return builds[text.split('\n')[0]!] ?? { ok: false, message: 'no such build', log: '' };
        },
        inspect: async () => ({ id: 'sha256:x', bytes: 0 }),
        ensureReachable: async () => undefined,
        remove: async (refs) => void removed.push(refs),
        pull: async () => ({ ok: true })
      }
    };
  }

  const analyser = async () => ({ anatomy: { bytes: 75 * MB, compressedBytes: 30 * MB } }) as unknown as Analysis;
  const options = { runId: '7', timeoutMs: 300_000, estimateCompressed: true };

  test('a fix that builds gets its real figures; a base that cannot be pulled is not tried, not failed; what it built is removed', async () => {
    const scripted = engine({
      'FROM debian:12-slim': { ok: true, imageId: 'sha256:slim', log: '' },
      'FROM gcr.io/distroless/base-debian12': { ok: false, message: 'docker build exited with code 1', log: CLASSIC_PULL_FAILS }
    });
    const result = await verifyImage(
      measurement(),
      [slim, distroless, noPatch],
      { root, ...options },
      { engine: scripted.engine, analyser, log: { info: () => undefined } }
    );
    expect(result.tried).toBe(2);
    expect(result.findings[0]!.verification).toMatchObject({
      outcome: 'builds',
      bytes: 75 * MB,
      savingsBytes: 45 * MB,
      compressedSavingsBytes: 20 * MB
    });
    expect(result.findings[1]!.verification).toMatchObject({
      outcome: 'skipped',
      message: 'not tried: gcr.io/distroless/base-debian12 could not be pulled: Get "https://gcr.io/v2/": dial tcp: lookup gcr.io: no such host'
    });
    expect(result.findings[2]).toBe(noPatch);
    expect(scripted.removed).toHaveLength(2);
  });

  test('past the time budget nothing more is tried; a build stopped at its time limit is timed out', async () => {
    let clock = 0;
    const scripted = engine({ 'FROM debian:12-slim': { ok: false, message: 'did not finish', log: '', timedOut: true } });
    const now = () => (clock += 200_000);
    const result = await verifyImage(
      measurement(),
      [slim, distroless],
      { root, ...options },
      { engine: scripted.engine, analyser, log: { info: () => undefined }, now }
    );
    expect(result.findings[0]!.verification).toMatchObject({ outcome: 'timed-out' });
    expect(result.findings[1]!.verification).toMatchObject({
      outcome: 'skipped',
      message: 'not tried: the verify-timeout of 5 min for this image was spent'
    });
    expect(scripted.built).toEqual(['FROM debian:12-slim']);
  });

  test('a patch that does not fit, and a Dockerfile that cannot be read, are reported as not tried', async () => {
    const scripted = engine({});
    const off = { ...slim, patch: { line: 9, endLine: 9, text: 'x' } };
    const [result] = (
      await verifyImage(measurement(), [off], { root, ...options }, { engine: scripted.engine, analyser, log: { info: () => undefined } })
    ).findings;
    expect(result!.verification).toMatchObject({ outcome: 'skipped', message: 'not tried: the patch does not fit the Dockerfile' });
    const gone = { ...measurement(), target: { ...measurement().target, dockerfile: 'missing/Dockerfile' } };
    const [unread] = (await verifyImage(gone, [slim], { root, ...options }, { engine: scripted.engine, analyser, log: { info: () => undefined } }))
      .findings;
    expect(unread!.verification!.outcome).toBe('skipped');
    expect(scripted.built).toEqual([]);
  });
});
