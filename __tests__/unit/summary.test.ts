import { describe, expect, test } from '@jest/globals';
import { SUMMARY_MAX_BYTES, summaryMarkdown } from '../../src/main.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { imageReport, reportOf } from '../support/report-fixtures.js';

const MB = 1e6;

/** Images whose names and reasons are CJK text: 3 bytes of UTF-8 per character. */
function multiByteReport(count: number) {
  return reportOf(
    Array.from({ length: count }, (_, index) => {
      const name = `服务-${'界'.repeat(60)}-${index}`;
      return imageReport({
        name,
        status: 'over-budget',
        size: { bytes: 300 * MB, compressedBytes: 120 * MB, dockerBytes: 300 * MB },
        reasons: [`${name} ist 50,0 MB über dem Budget — ${'超'.repeat(200)}`]
      });
    })
  );
}

describe('summaryMarkdown: the job summary fits GitHub’s 1 MiB per step, counted in bytes', () => {
  const rendering = { key: 'footprint', footer: '<sub>measured by footprint</sub>' };

  test('multi-byte names: a budget in characters alone would pass 1 MiB; the summary stays under it in bytes', () => {
    const report = multiByteReport(3000);
    // The same budget in characters gives a body far over the limit in bytes.
    expect(Buffer.byteLength(renderMarkdown(report, { ...rendering, maxChars: SUMMARY_MAX_BYTES }), 'utf8')).toBeGreaterThan(SUMMARY_MAX_BYTES);

    const body = summaryMarkdown(report, rendering);
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(SUMMARY_MAX_BYTES - 1024);
    // Cut only as far as needed: most of the megabyte is still used, and the first image shows.
    expect(Buffer.byteLength(body, 'utf8')).toBeGreaterThan(SUMMARY_MAX_BYTES / 2);
    expect(body).toContain(`服务-${'界'.repeat(60)}-0`);
  });

  test('a report that fits is rendered whole', () => {
    const report = multiByteReport(3);
    expect(summaryMarkdown(report, rendering)).toBe(renderMarkdown(report, { ...rendering, maxChars: SUMMARY_MAX_BYTES }));
  });

  test('4-byte characters (two UTF-16 units each) fit too', () => {
    const report = reportOf(
      Array.from({ length: 4000 }, (_, index) =>
        imageReport({ name: `🐳${'🚀'.repeat(80)}-${index}`, status: 'failed', size: null, delta: null, reasons: ['🔥'.repeat(300)] })
      )
    );
    expect(Buffer.byteLength(summaryMarkdown(report, rendering), 'utf8')).toBeLessThanOrEqual(SUMMARY_MAX_BYTES - 1024);
  });
});
