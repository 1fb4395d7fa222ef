/**
 * The base branch's size history: a stored report's trend is the previous one's
 * plus its commit's point, at most TREND_POINTS, and an image's history charts as
 * a Mermaid line whatever the repository names things.
 */
import { describe, expect, test } from '@jest/globals';
import { extendTrend, seriesOf, trendPoint } from '../../src/compare/trend.js';
import type { ImageReport, Report } from '../../src/model/report.js';
import { type Trend, type TrendPoint, TREND_POINTS } from '../../src/model/trend.js';
import { mermaidText, trendChart } from '../../src/report/trend-chart.js';

const MB = 1_000_000;

function sha(index: number): string {
  return index.toString(16).padStart(40, '0');
}

function point(index: number, images: TrendPoint['images'] = { app: { bytes: index * MB, compressedBytes: null } }): TrendPoint {
  return { sha: sha(index), date: new Date(Date.UTC(2025, 0, 1 + index)).toISOString(), images };
}

function trendOf(count: number): Trend {
  return { points: Array.from({ length: count }, (_, index) => point(index + 1)) };
}

describe('extendTrend', () => {
  test('starts a trend from nothing', () => {
    expect(extendTrend(null, point(1))).toEqual({ points: [point(1)] });
  });

  test('adds the point last, oldest first', () => {
    expect(extendTrend(trendOf(2), point(3)).points.map((found) => found.sha)).toEqual([sha(1), sha(2), sha(3)]);
  });

  test(`keeps the last ${TREND_POINTS} points`, () => {
    const full = extendTrend(trendOf(TREND_POINTS), point(TREND_POINTS + 1));
    expect(full.points).toHaveLength(TREND_POINTS);
    expect(full.points[0]!.sha).toBe(sha(2));
    expect(full.points.at(-1)!.sha).toBe(sha(TREND_POINTS + 1));
    // A longer history than a trend keeps (from a file) is cut too.
    expect(extendTrend(trendOf(3 * TREND_POINTS), point(999)).points).toHaveLength(TREND_POINTS);
  });

  test('replaces the point of the same commit (a re-run), which goes last as the newest figures', () => {
    const rerun = point(2, { app: { bytes: 7 * MB, compressedBytes: 3 * MB } });
    const extended = extendTrend(trendOf(3), rerun);
    expect(extended.points.map((found) => found.sha)).toEqual([sha(1), sha(3), sha(2)]);
    expect(extended.points.at(-1)).toEqual(rerun);
  });

  test('leaves the previous trend as it was', () => {
    const previous = trendOf(2);
    extendTrend(previous, point(3));
    expect(previous).toEqual(trendOf(2));
  });
});

function image(name: string, overrides: Partial<ImageReport> = {}): ImageReport {
  return { name, status: 'ok', size: { bytes: 10 * MB, compressedBytes: 4 * MB, dockerBytes: null }, ...overrides } as ImageReport;
}

describe('trendPoint', () => {
  test('every image with a size, by name; failed and removed images are skipped', () => {
    const report = {
      images: [
        image('api'),
        image('worker', { size: { bytes: 20 * MB, compressedBytes: null, dockerBytes: 21 * MB } }),
        image('broken', { status: 'failed', size: null }),
        image('built-then-failed', { status: 'failed' }),
        image('gone', { status: 'removed', size: null })
      ]
    } as Report;
    expect(trendPoint(report, sha(9), '2025-03-01T12:00:00.000Z')).toEqual({
      sha: sha(9),
      date: '2025-03-01T12:00:00.000Z',
      images: { api: { bytes: 10 * MB, compressedBytes: 4 * MB }, worker: { bytes: 20 * MB, compressedBytes: null } }
    });
  });

  test('an image named like an object property is a name like any other', () => {
    const found = trendPoint({ images: [image('__proto__'), image('constructor')] } as Report, sha(1), 'now');
    expect(Object.keys(found.images)).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(found)).images.__proto__).toEqual({ bytes: 10 * MB, compressedBytes: 4 * MB });
  });
});

describe('seriesOf', () => {
  test("one image's points, oldest first, leaving out the commits that did not measure it", () => {
    const trend: Trend = {
      points: [point(1), point(2, { other: { bytes: 1, compressedBytes: null } }), point(3), point(4, {})]
    };
    expect(seriesOf(trend, 'app')).toEqual([
      { sha: sha(1), date: point(1).date, bytes: 1 * MB },
      { sha: sha(3), date: point(3).date, bytes: 3 * MB }
    ]);
    expect(seriesOf(trend, 'missing')).toEqual([]);
  });

  test('finds no image in what every object inherits', () => {
    expect(seriesOf(trendOf(3), 'constructor')).toEqual([]);
    expect(seriesOf(trendOf(3), 'toString')).toEqual([]);
    expect(seriesOf(trendOf(3), '__proto__')).toEqual([]);
  });
});

describe('trendChart', () => {
  const series = [
    { sha: 'a'.repeat(40), bytes: 100 * MB },
    { sha: 'b'.repeat(40), bytes: 110.04 * MB }
  ];

  test('a line of the base branch commits then the PR, in MB, on a round range', () => {
    expect(trendChart('app', series, { label: 'PR', bytes: 125.34 * MB })).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '    title "app: size by commit"',
        '    x-axis ["aaaaaaa", "bbbbbbb", "PR"]',
        '    y-axis "MB" 90 --> 130',
        '    line [100, 110, 125.3]',
        '```'
      ].join('\n')
    );
  });

  test('a flat line gets a band around it; small images a fine range', () => {
    expect(trendChart('app', series.slice(0, 1), { label: 'PR', bytes: 100 * MB })).toContain('y-axis "MB" 98 --> 102');
    expect(trendChart('app', [{ sha: '1234567', bytes: 120_000 }], { label: 'PR', bytes: 260_000 })).toContain(
      'y-axis "MB" 0 --> 0.4\n    line [0.1, 0.3]'
    );
  });

  test('the history alone, without the PR', () => {
    expect(trendChart('app', series, null)).toContain('x-axis ["aaaaaaa", "bbbbbbb"]\n    y-axis "MB" 95 --> 115\n    line [100, 110]');
  });

  test('null with fewer than two points: no history, no chart', () => {
    expect(trendChart('app', [], { label: 'PR', bytes: MB })).toBeNull();
    expect(trendChart('app', series.slice(0, 1), null)).toBeNull();
    expect(trendChart('app', [], null)).toBeNull();
  });

  test(`at most the last ${TREND_POINTS} commits, with labels kept distinct`, () => {
    const long = Array.from({ length: 2 * TREND_POINTS }, (_, index) => ({ sha: sha(index), bytes: MB }));
    const chart = trendChart('app', long, { label: 'PR', bytes: MB })!;
    const labels = JSON.parse(/x-axis (\[.*\])/.exec(chart)![1]!) as string[];
    expect(labels).toHaveLength(TREND_POINTS + 1);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels.slice(0, 3)).toEqual(['0000000', '0000000 (2)', '0000000 (3)']);
  });

  const HOSTILE = [
    'a"b',
    'x`y',
    '```',
    '````\n# heading',
    '</details><script>alert(1)</script>',
    'line\nbreak\r\nx-axis [1]',
    'a %%{init: {"theme": "dark"}}%%',
    '%% comment',
    'semi; line [1, 2]',
    '#quot; &amp; &#60;',
    '\u202eevil\u200b',
    '<!-- footprint:default -->',
    '@octocat #7 https://evil.example'
  ];

  test.each(HOSTILE)('a hostile name or label %j cannot leave its string or the block', (hostile) => {
    const chart = trendChart(hostile, [{ sha: hostile, bytes: MB }], { label: hostile, bytes: 2 * MB })!;
    const lines = chart.split('\n');
    expect(lines).toHaveLength(7);
    expect([lines[0], lines[1], lines[6]]).toEqual(['```mermaid', 'xychart-beta', '```']);
    expect(chart.slice(3, -3)).not.toContain('`');
    expect(lines[2]).toMatch(/^ {4}title "[^"%;#<>&`]*"$/);
    expect(lines[3]).toMatch(/^ {4}x-axis \["[^"%;#<>&`]*", "[^"%;#<>&`]*"\]$/);
    expect(lines[4]).toMatch(/^ {4}y-axis "MB" [\d.]+ --> [\d.]+$/);
    expect(lines[5]).toBe('    line [1, 2]');
    expect(chart).not.toMatch(/[\u202e\u200b]/);
  });

  test('text is kept to letters, digits and a few marks, and cut', () => {
    expect(mermaidText('services/api:latest (prod)', 60)).toBe('services/api:latest (prod)');
    expect(mermaidText('naïve-日本', 60)).toBe('naïve-日本');
    expect(mermaidText('a"b`c<d>e\nf', 60)).toBe('a b c d e f');
    expect(mermaidText('"""', 60)).toBe('');
    expect(mermaidText('abcdefghij', 5)).toBe('abcd…');
    expect(trendChart('"', [{ sha: '"', bytes: MB }], { label: '', bytes: MB })).toContain(
      'title "image: size by commit"\n    x-axis ["?", "? (2)"]'
    );
  });
});
