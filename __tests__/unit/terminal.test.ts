import { describe, expect, it } from '@jest/globals';
import { stripVTControlCharacters } from 'node:util';
import { displayWidth, renderTerminal } from '../../src/report/terminal.js';
import { imageReport, mixedReport, reportOf } from '../support/report-fixtures.js';

const ESC = '\u001b';

/** The table's lines: from the header to the totals row. */
function tableLines(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith('IMAGE'));
  const end = lines.findIndex((line) => line.startsWith('Total ('));
  return lines.slice(start, end + 1);
}

/** The display column where `label` starts on `line`. */
function columnOf(line: string, label: string): number {
  return displayWidth(line.slice(0, line.lastIndexOf(label)));
}

describe('displayWidth', () => {
  it.each([
    ['ascii', 'web', 3],
    ['CJK characters take two columns', '日本語', 6],
    ['Hangul takes two columns', '한국', 4],
    ['fullwidth forms take two columns', 'ＡＢ', 4],
    ['an emoji takes two columns', '🐳', 2],
    ['an emoji with a skin tone is one emoji', '👍🏽', 2],
    ['a family joined by zero-width joiners is one emoji', '👨‍👩‍👧', 2],
    ['a combining accent takes none', 'e\u0301', 1],
    ['accented Latin takes one', 'café', 4],
    ['colour codes take none', `${ESC}[31mred${ESC}[0m`, 3],
    ['a zero-width space takes none', 'a\u200bb', 2]
  ])('%s', (_, text, width) => {
    expect(displayWidth(text)).toBe(width);
  });
});

describe('renderTerminal', () => {
  const text = renderTerminal(mixedReport, { color: false });

  it('prints the verdict, an aligned table in the comment order, the reasons and the size note', () => {
    expect(text).toBe(
      [
        '3 of 7 images fail the size check (1 over budget, 1 grew more than allowed, 1 failed to build) · total 625.0 MB · +17.4 MB vs base main (0123456)',
        '',
        'IMAGE                           SIZE     CHANGE VS BASE           BUDGET  STATUS',
        '──────────────────────────  ────────  ─────────────────  ───────────────  ─────────────',
        'api (api/Dockerfile)        275.0 MB  +35.0 MB (+14.6%)  250.0 MB (111%)  OVER BUDGET',
        'worker (worker/Dockerfile)         —                  —         250.0 MB  FAILED',
        'batch (batch/Dockerfile)    130.0 MB  +30.0 MB (+30.0%)   250.0 MB (52%)  OVER INCREASE',
        'web (web/Dockerfile)        100.0 MB    +1.2 MB (+1.2%)   250.0 MB (40%)  ok',
        'cron (cron/Dockerfile)      100.0 MB                new   250.0 MB (40%)  new',
        'legacy (legacy/Dockerfile)         —            removed                —  removed',
        'docs (docs/Dockerfile)       20.0 MB                0 B    250.0 MB (8%)  unchanged',
        '──────────────────────────  ────────  ─────────────────  ───────────────  ─────────────',
        'Total (7 images)            625.0 MB           +17.4 MB',
        '',
        'api: 275.0 MB is 25.0 MB over the 250MB budget',
        'worker: the image could not be built: docker build exited with code 1',
        'batch: grew 30.0 MB (+30.0%), more than the 10% allowed',
        '',
        'Sizes are uncompressed bytes, as `docker images` shows them.'
      ].join('\n')
    );
  });

  it('has no colour codes unless asked, and the same text with them', () => {
    expect(text).not.toContain(ESC);
    const colored = renderTerminal(mixedReport, { color: true });
    expect(colored).toContain(`${ESC}[31mOVER BUDGET${ESC}[0m`);
    expect(colored).toContain(`${ESC}[32mok${ESC}[0m`);
    expect(stripVTControlCharacters(colored)).toBe(text);
  });

  it('keeps the columns aligned with wide, emoji and combining names, in colour too', () => {
    const report = reportOf(
      ['日本語のイメージ', '🐳 whale', '👨‍👩‍👧 family', 'cafe\u0301', 'plain'].map((name) => imageReport({ name, dockerfile: null }))
    );
    for (const color of [false, true]) {
      const lines = tableLines(stripVTControlCharacters(renderTerminal(report, { color })));
      const rows = lines.filter((line) => !line.startsWith('─') && !line.startsWith('Total'));
      expect(rows).toHaveLength(6);
      const sizeEnd = columnOf(lines[0]!, 'SIZE') + 'SIZE'.length;
      const statusStart = columnOf(lines[0]!, 'STATUS');
      for (const row of rows.slice(1)) {
        expect(columnOf(row, '100.0 MB') + '100.0 MB'.length).toBe(sizeEnd);
        expect(columnOf(row, 'ok')).toBe(statusStart);
      }
      expect(displayWidth(lines[1]!)).toBe(displayWidth(lines[lines.length - 2]!));
    }
  });

  it('cannot be driven by control characters in repository text', () => {
    const report = reportOf([
      imageReport({ name: `evil${ESC}[2J${ESC}]0;title\u0007\r\nname`, dockerfile: null, status: 'failed', reasons: [`bad\r${ESC}[31mred`] })
    ]);
    const plain = renderTerminal(report, { color: false });
    expect(plain).not.toContain(ESC);
    expect(plain).not.toContain('\r');
    expect(plain.split('\n').filter((line) => line.startsWith('evil'))).toEqual([
      expect.stringMatching(/^evil name +100\.0 MB/),
      'evil name: bad red'
    ]);
  });

  it("notes images whose base build failed and a base branch that could not be compared", () => {
    const report = reportOf(
      [imageReport({ name: 'web', comparison: 'base-failed', delta: null, baseError: { message: 'RUN exited with 2', logTail: '' } })],
      { baseError: 'The base branch (main) could not be compared: git fetch failed' }
    );
    const output = renderTerminal(report, { color: false });
    expect(output.split('\n')[1]).toBe('The base branch (main) could not be compared: git fetch failed');
    expect(output).toContain("\nweb: the base branch's build failed, so there is no change to show: RUN exited with 2\n");
  });

  it('prints the verdict alone when there are no images', () => {
    expect(renderTerminal(reportOf([]), { color: false })).toBe(
      'No images to measure · total 0 B\n\nSizes are uncompressed bytes, as `docker images` shows them.'
    );
  });
});
