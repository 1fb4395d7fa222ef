import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
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
import { lineOfStep } from '../../src/verify/verify.js';
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
