import { describe, expect, it } from '@jest/globals';
import { stripVTControlCharacters } from 'node:util';
import { displayWidth, renderTerminal, savingsCell } from '../../src/report/terminal.js';
import type { Finding, ImageReport } from '../../src/model/report.js';
import { bareImage, finding, imageReport, mixedReport, reportOf, sampleFindings } from '../support/report-fixtures.js';

const MB = 1e6;

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

/** The sample advice under web's anatomy: measured savings first, the fix under each, the sketch under its fix. */
const webAdvice = [
  '  how to shrink it: could save about 612.0 MB compressed and 18.4 MB uncompressed, measured [gz: compressed, in the registry; ?: not known]',
  '    -612.0 MB gz  web/Dockerfile:1  python:3.12 → python:3.12-slim: the slim variant of the same version leaves out compilers, headers and docs',
  '                                    Build in python:3.12 and run in python:3.12-slim:',
  '                                      FROM python:3.12 AS build',
  '                                      RUN pip install --no-cache-dir --prefix=/install -r requirements.txt',
  '                                      FROM python:3.12-slim',
  '                                      COPY --from=build /install /usr/local',
  '        -18.4 MB  web/Dockerfile:4  `apt-get update` leaves the package lists in /var/lib/apt/lists, which ship in the layer',
  '                                    End the same RUN with `rm -rf /var/lib/apt/lists/*`.',
  '               ?  web/Dockerfile:7  The RUNs at lines 7 and 9 could be one: the files line 7 makes and line 9 deletes would never reach a layer',
  '                                    Join them with `&&` into one RUN.'
];

describe('renderTerminal', () => {
  const text = renderTerminal(mixedReport, { color: false });

  it('prints the verdict, an aligned table in the comment order, the reasons, the anatomy of notable images and the size note', () => {
    expect(text).toBe(
      [
        '3 of 7 images fail the size check (1 over budget, 1 grew more than allowed, 1 failed to build) · total 625.0 MB · ' +
          '250.0 MB compressed · 60.0 MB wasted · +66.2 MB vs base main (0123456)',
        '',
        'IMAGE                           SIZE  COMPRESSED   WASTED     CHANGE VS BASE           BUDGET  STATUS',
        '──────────────────────────  ────────  ──────────  ───────  ─────────────────  ───────────────  ─────────────',
        'api (api/Dockerfile)        275.0 MB    110.0 MB      0 B  +35.0 MB (+14.6%)  250.0 MB (111%)  OVER BUDGET',
        'worker (worker/Dockerfile)         —           —        —                  —         250.0 MB  FAILED',
        'batch (batch/Dockerfile)    130.0 MB     52.0 MB  20.0 MB  +30.0 MB (+30.0%)   250.0 MB (52%)  OVER INCREASE',
        'web (web/Dockerfile)        100.0 MB     40.0 MB  20.0 MB    +1.2 MB (+1.2%)   250.0 MB (40%)  ok',
        'cron (cron/Dockerfile)      100.0 MB     40.0 MB  20.0 MB                new   250.0 MB (40%)  new',
        'legacy (legacy/Dockerfile)         —           —        —            removed                —  removed',
        'docs (docs/Dockerfile)       20.0 MB      8.0 MB      0 B                0 B    250.0 MB (8%)  unchanged',
        '──────────────────────────  ────────  ──────────  ───────  ─────────────────  ───────────────  ─────────────',
        'Total (7 images)            625.0 MB    250.0 MB  60.0 MB           +66.2 MB',
        '',
        'api: 275.0 MB is 25.0 MB over the 250MB budget',
        'worker: the image could not be built: docker build exited with code 1',
        'batch: grew 30.0 MB (+30.0%), more than the 10% allowed',
        '',
        'api (api/Dockerfile)',
        '  largest layers (3 of 4)',
        '    200.0 MB  api/Dockerfile:12  RUN pip install -r requirements.txt',
        '     45.0 MB  api/Dockerfile:4   RUN apt-get update && apt-get install -y --no-install-recommends curl…',
        '     28.0 MB  base               ADD file:4f1c9a0e2b7d in /',
        '  wasted 120.0 kB inside the base image',
        '    120.0 kB  /var/cache/debconf/templates.dat  in the base image (layer 0), removed in layer 1',
        '  leftover caches 60.0 MB',
        '     60.0 MB  /root/.cache/pip  pip, left by api/Dockerfile:12',
        '  how to shrink it: could save about 60.0 MB, measured',
        '    -60.0 MB  api/Dockerfile:12  `pip install` without `--no-cache-dir` keeps the downloaded wheels in /root/.cache/pip',
        '                                 Add `--no-cache-dir` to `pip install`.',
        '',
        'batch (batch/Dockerfile)',
        '  largest layers (3 of 7)',
        '     45.0 MB  batch/Dockerfile:4   RUN apt-get update && apt-get install -y --no-install-recommends curl…',
        '     30.0 MB  batch/Dockerfile:11  COPY data/ /data',
        '     28.0 MB  base                 ADD file:4f1c9a0e2b7d in /',
        "  wasted 20.0 MB (15.4% of the image) in the Dockerfile's layers; 120.0 kB inside the base image",
        '     19.5 MB  /tmp/build                        added at line 7, removed at line 9 (309 files)',
        '    500.0 kB  /usr/local/bin/tool               added at line 7, removed at line 8',
        '    120.0 kB  /var/cache/debconf/templates.dat  in the base image (layer 0), removed in layer 1',
        '  leftover caches 18.4 MB',
        '     18.4 MB  /var/lib/apt/lists  apt, left by batch/Dockerfile:4',
        '',
        ...['web', 'cron'].flatMap((name) => [
          `${name} (${name}/Dockerfile)`,
          '  largest layers (3 of 6)',
          `     45.0 MB  ${name}/Dockerfile:4  RUN apt-get update && apt-get install -y --no-install-recommends curl…`,
          `     28.0 MB  base${' '.repeat(name.length + 11)}ADD file:4f1c9a0e2b7d in /`,
          `     20.0 MB  ${name}/Dockerfile:7  RUN mkdir -p /tmp/build && curl -fsSL https[:]//example.test/toolchai…`,
          "  wasted 20.0 MB (20.0% of the image) in the Dockerfile's layers; 120.0 kB inside the base image",
          '     19.5 MB  /tmp/build                        added at line 7, removed at line 9 (309 files)',
          '    500.0 kB  /usr/local/bin/tool               added at line 7, removed at line 8',
          '    120.0 kB  /var/cache/debconf/templates.dat  in the base image (layer 0), removed in layer 1',
          '  leftover caches 18.4 MB',
          `     18.4 MB  /var/lib/apt/lists  apt, left by ${name}/Dockerfile:4`,
          ...(name === 'web' ? webAdvice : []),
          ''
        ]),
        'Sizes are uncompressed bytes: regular files in all layers. Compressed is the gzip size a registry stores and ' +
          '`docker pull` transfers; wasted is what a layer ships but a later layer deletes or replaces.'
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
      'evil name: bad red',
      'evil name'
    ]);
  });

  it('notes images whose base build failed and a base branch that could not be compared', () => {
    const report = reportOf(
      [imageReport({ name: 'web', comparison: 'base-failed', delta: null, baseError: { message: 'RUN exited with 2', logTail: '' } })],
      { baseError: 'The base branch (main) could not be compared: git fetch failed' }
    );
    const output = renderTerminal(report, { color: false });
    expect(output.split('\n')[1]).toBe('The base branch (main) could not be compared: git fetch failed');
    expect(output).toContain("\nweb: the base branch's build failed, so there is no change to show: RUN exited with 2\n");
  });

  it('ends with where the base side came from, after the size note', () => {
    const report = reportOf([imageReport({ name: 'web' }), imageReport({ name: 'api', reused: 'stored' })], {
      baseline: { source: 'stored', note: null, run: { id: 4242, url: null } }
    });
    const lines = renderTerminal(report, { color: false }).split('\n');
    expect(lines.at(-2)).toMatch(/^Sizes are /);
    expect(lines.at(-1)).toBe('Base side: the report workflow run 4242 stored for the base commit. 1 of 2 not rebuilt: same build inputs.');
    // Dim in colour, like the size note.
    expect(renderTerminal(report, { color: true }).split('\n').at(-1)).toBe(`${ESC}[2m${lines.at(-1)}${ESC}[0m`);
  });

  it('prints a note that quotes GitHub or git on one line, with nothing to drive the terminal', () => {
    const note = `built from the base commit in a worktree: no stored report (HTTP 403: ${ESC}]0;owned${ESC}\\bad\nline)`;
    const output = renderTerminal(reportOf([imageReport({ name: 'web' })], { baseline: { source: 'build', note, run: null } }), { color: false });
    expect(output).not.toContain(ESC);
    expect(output.split('\n').at(-1)).toMatch(/^Base side: built from the base commit in a worktree: no stored report \(HTTP 403: +bad line\)\.$/);
  });

  it('has no note on the base side when there is nothing to say', () => {
    expect(renderTerminal(reportOf([imageReport({ name: 'web' })]), { color: false })).not.toContain('Base side');
  });

  it('prints the verdict alone when there are no images', () => {
    expect(renderTerminal(reportOf([]), { color: false })).toBe(
      'No images to measure · total 0 B\n\nSizes are uncompressed bytes: regular files in all layers. Compressed is the gzip size ' +
        'a registry stores and `docker pull` transfers; wasted is what a layer ships but a later layer deletes or replaces.'
    );
  });
});

describe('the anatomy under the table', () => {
  /** The names heading an anatomy, in order. */
  function anatomyNames(text: string): string[] {
    const lines = text.split('\n');
    return lines.filter((line, index) => lines[index + 1]?.startsWith('  ') && !line.startsWith(' ')).map((line) => line.replace(/ \(.*$/, ''));
  }

  const lowWaste = { bytes: 0.5 * MB, baseBytes: 30 * MB, paths: [] };
  const smallCache = [{ path: '/tmp', kind: 'tmp' as const, bytes: 0.9 * MB, files: 3, line: 2, fromBase: false }];
  it.each<[string, boolean, ImageReport]>([
    ['an image with 20 MB wasted', true, bareImage({ name: 'a', wasted: { bytes: 20 * MB, baseBytes: 0, paths: [] } })],
    ['an image with 18 MB of caches', true, imageReport({ name: 'a', wasted: lowWaste })],
    ['an unchanged image with notable waste', true, imageReport({ name: 'a', status: 'unchanged', comparison: 'unchanged' })],
    ['a failing image with little of either', true, bareImage({ name: 'a', status: 'over-budget', wasted: lowWaste, caches: smallCache })],
    ['a passing image with little of either', false, bareImage({ name: 'a', wasted: lowWaste, caches: smallCache })],
    ['a passing image with only base waste', false, bareImage({ name: 'a', wasted: { bytes: 0, baseBytes: 50 * MB, paths: [] } })],
    ['a failed build', false, imageReport({ name: 'a', status: 'failed', size: null })]
  ])('%s: shown %p', (_, shown, image) => {
    expect(anatomyNames(renderTerminal(reportOf([image]), { color: false }))).toEqual(shown ? ['a'] : []);
  });

  it('shows paths with control characters as pictures and instructions on one line, with nothing to drive the terminal', () => {
    const image = imageReport({
      name: 'a',
      dockerfile: null,
      layers: [
        { index: 0, fromBase: false, instruction: 'RUN a \\\n\t&& b \u001b[2J', line: 3, stage: null, bytes: MB, compressedBytes: null, files: 1 }
      ],
      wasted: {
        bytes: 5 * MB,
        baseBytes: 0,
        paths: [
          {
            path: '/tmp/evil\n\u001b]0;x\u0007name',
            files: 1,
            bytes: 5 * MB,
            addedAtLine: 3,
            removedAtLine: 4,
            addedInLayer: 0,
            removedInLayer: 1,
            inBase: false
          }
        ]
      },
      caches: []
    });
    const output = renderTerminal(reportOf([image]), { color: false });
    expect(output).not.toContain('\u001b');
    expect(output).not.toContain('\u0007');
    expect(output).toContain('\n    1.0 MB  line 3  RUN a \\ && b\n');
    expect(output).toContain('\n    5.0 MB  /tmp/evil␊␛]0;x␇name  added at line 3, removed at line 4\n');
  });

  it('shows the max-wasted limit, in red in the table when the waste is over it', () => {
    const image = imageReport({ name: 'a', status: 'over-budget', maxWasted: { bytes: 10 * MB, percent: null, source: '10MB' } });
    const colored = renderTerminal(reportOf([image]), { color: true });
    expect(colored).toContain('\u001b[31m20.0 MB\u001b[0m');
    expect(stripVTControlCharacters(colored)).toContain(
      "  wasted 20.0 MB (20.0% of the image) in the Dockerfile's layers, more than max-wasted 10MB; 120.0 kB inside the base image\n"
    );
  });

  it('shows the compressed total as a dash when an image has no compressed size', () => {
    const report = reportOf([imageReport({ name: 'a', size: { bytes: 100 * MB, compressedBytes: null, dockerBytes: null } })]);
    const totals = renderTerminal(report, { color: false })
      .split('\n')
      .find((line) => line.startsWith('Total ('))!;
    expect(totals.split(/ {2,}/)).toEqual(['Total (1 image)', '100.0 MB', '—', '20.0 MB', '+1.2 MB']);
  });
});

describe('the advice under the table', () => {
  it.each<[string, Partial<Finding>, string]>([
    ['measured in a registry', { savingsBytes: 612 * MB, savingsMetric: 'compressed', measured: true }, '-612.0 MB gz'],
    ['measured in the image', { savingsBytes: 18.4 * MB, savingsMetric: 'uncompressed', measured: true }, '-18.4 MB'],
    ['estimated', { savingsBytes: 5 * MB, savingsMetric: 'uncompressed', measured: false }, '~-5.0 MB'],
    ['estimated, compressed', { savingsBytes: 5 * MB, savingsMetric: 'compressed', measured: false }, '~-5.0 MB gz'],
    ['unknown', {}, '?']
  ])('the saving %s reads %p', (_, overrides, cell) => {
    expect(savingsCell(finding({ rule: 'r', ...overrides }))).toBe(cell);
  });

  it('shows the advice of an image without a notable anatomy on its own, under its name', () => {
    const image = bareImage({ name: 'a', dockerfile: null, wasted: { bytes: 0, baseBytes: 0, paths: [] }, findings: [sampleFindings()[2]!] });
    const output = renderTerminal(reportOf([image]), { color: false });
    expect(output).toContain(
      [
        '',
        'a',
        '  how to shrink it [?: not known]',
        '    ?  line 7  The RUNs at lines 7 and 9 could be one: the files line 7 makes and line 9 deletes would never reach a layer',
        '               Join them with `&&` into one RUN.',
        ''
      ].join('\n')
    );
    expect(output).not.toContain('largest layers');
  });

  it('shows the top 5 of many, largest measured savings first, saying how many there are', () => {
    const findings = Array.from({ length: 8 }, (_, index) =>
      finding({ rule: `r${index}`, line: index + 1, savingsBytes: (index + 1) * MB, savingsMetric: 'uncompressed', measured: index > 0 })
    );
    const lines = renderTerminal(reportOf([bareImage({ name: 'a', findings })]), { color: false }).split('\n');
    const title = lines.findIndex((line) => line.startsWith('  how to shrink it'));
    expect(lines[title]).toBe('  how to shrink it (5 of 8): could save about 35.0 MB, measured');
    expect(lines.slice(title + 1, title + 11).filter((_, index) => index % 2 === 0)).toEqual(
      [8, 7, 6, 5, 4].map((line) => `    -${line}.0 MB  a/Dockerfile:${line}  r${line - 1} fired`)
    );
    expect(lines[title + 11]).toBe('');
  });

  it('cannot be driven by control characters in messages, fixes or sketches', () => {
    const hostile = `evil${ESC}[2J${ESC}]0;title\u0007\r\nname`;
    const image = bareImage({
      name: 'a',
      findings: [finding({ rule: 'r', line: 1, message: hostile, fix: `Fix ${ESC}[2Jit\u0007\nFROM x${ESC}[31m\n\tRUN y\r` })]
    });
    const output = renderTerminal(reportOf([image]), { color: false });
    expect(output).not.toContain(ESC);
    expect(output).not.toContain('\r');
    expect(output).not.toContain('\u0007');
    expect(output).toContain('a/Dockerfile:1  evil name\n');
    expect(output).toContain('  evil name\n                       Fix it\n                         FROM x\n                          RUN y\n');
  });
});
