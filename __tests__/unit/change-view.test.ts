/**
 * The change record as the renderers show it: the "why" line beside an image's
 * change, the rows of the three views (by line, by path, by package), the
 * comment's and job summary's "what changed" section, the CLI's change section,
 * the annotation of an image over its increase limit, and the `report` output,
 * which drops the inventories and then the change records to fit in 1 MB.
 */
import { describe, expect, it } from '@jest/globals';
import { reportOutput, summaryMarkdown } from '../../src/main.js';
import type { ChangeRecord, Inventory, LineChange, PackageChange, PackageManager, PathChange } from '../../src/model/change.js';
import type { ImageReport, Report } from '../../src/model/report.js';
import { annotate, annotationMessage, type AnnotationProperties } from '../../src/report/annotations.js';
import {
  changedLines,
  changeHeading,
  grewMostLine,
  hasChange,
  leftoverLines,
  lineLabel,
  lineState,
  lineWhere,
  packageLabel,
  packageText,
  pathDetail,
  pathLabel,
  pathText,
  whyText
} from '../../src/report/change-view.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { formatDelta } from '../../src/units.js';
import { changedImage, imageReport, lineChange, packageChange, pathChange, reportOf, sampleChange } from '../support/report-fixtures.js';

const MB = 1e6;
const ESC = '\u001b';

/** A change record with nothing in it but what the test gives. */
function record(overrides: Partial<ChangeRecord> = {}): ChangeRecord {
  const pathsFrom = overrides.paths === undefined || overrides.paths === null ? null : 'files';
  return { deltaBytes: 0, lines: [], paths: null, pathsFrom, pathRowsTotal: 0, packages: [], waste: null, caches: [], ...overrides };
}

/** An image whose only interesting part is its change record. */
function withChange(change: ChangeRecord | null): ImageReport {
  return imageReport({ name: 'web', change });
}

// ---------------------------------------------------------------------------
// Markdown helpers, as in markdown.test.ts.

/** A table line split into cells on the pipes that are not escaped (GitHub's rule, code spans included). */
function cellsOf(line: string): string[] {
  return line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** The table that follows `heading` (its header and separator included), each row split into cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = markdown.slice(start).split('\n').slice(1);
  const first = lines.findIndex((line) => line.startsWith('| '));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('| ')) break;
    rows.push(cellsOf(line));
  }
  return rows;
}

/** The body rows of the table after `heading`. */
function bodyRows(markdown: string, heading: string): string[][] {
  return tableAfter(markdown, heading).slice(2);
}

/** The bullets of the list that follows `heading`. */
function bulletsAfter(markdown: string, heading: string): string[] {
  const lines = markdown.slice(markdown.indexOf(heading)).split('\n').slice(1);
  const first = lines.findIndex((line) => line.startsWith('- '));
  const bullets: string[] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('- ')) break;
    bullets.push(line);
  }
  return bullets;
}

/** What a code span shows; in a table GitHub reads `\|` as `|` first. Checks that no backtick run inside closes it early. */
function codeSpanText(span: string, inTable: boolean): string {
  const text = inTable ? span.replace(/\\\|/g, '|') : span;
  const fence = /^`+/.exec(text)![0];
  expect(text.endsWith(fence)).toBe(true);
  const inner = text.slice(fence.length, text.length - fence.length);
  for (const run of inner.match(/`+/g) ?? []) expect(run.length).not.toBe(fence.length);
  return inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '' ? inner.slice(1, -1) : inner;
}

/** Text outside code spans and fenced blocks, where HTML, mentions and Markdown are live. */
function liveText(markdown: string): string {
  return markdown.replace(/\n(`{3,})text\n[\s\S]*?\n\1\n/g, '\n').replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
}

/** The folded block of one image, from its `<details>` line to its `</details>`. */
function blockOf(markdown: string, name: string): string {
  const start = markdown.indexOf(`<details><summary>🔎 ${name} — `);
  expect(start).toBeGreaterThanOrEqual(0);
  return markdown.slice(start, markdown.indexOf('\n</details>', start) + '\n</details>'.length);
}

/** The main table's row of an image. */
function mainRow(markdown: string, name: string): string[] {
  const row = markdown.split('\n').find((line) => line.startsWith(`| ${name}<br>`) || line.startsWith(`| ${name} |`));
  expect(row).toBeDefined();
  return cellsOf(row!);
}

/**
 * A change of `count` rows in every view: line `i + 1` grew `count - i` MB, path
 * `/srv/part-i` likewise (with a `rest` row for the small ones not listed), and
 * package `pkg-i` was added with the same bytes.
 */
function bigChange(count: number): ChangeRecord {
  const sizes = Array.from({ length: count }, (_, index) => (count - index) * MB);
  const deltaBytes = sizes.reduce((sum, bytes) => sum + bytes, 0) + 0.5 * MB;
  return record({
    deltaBytes,
    lines: [
      ...sizes.map((bytes, index) => lineChange({ instruction: `RUN ./step-${index}.sh`, line: index + 1, baseLine: index + 1, deltaBytes: bytes })),
      lineChange({ instruction: 'RUN ./tiny.sh', line: count + 1, baseLine: count + 1, deltaBytes: 0.5 * MB })
    ],
    paths: [
      ...sizes.map((bytes, index) => pathChange({ path: `/srv/part-${index}`, added: 2, deltaBytes: bytes })),
      pathChange({ kind: 'rest', path: null, folder: false, added: 7, deltaBytes: 0.5 * MB })
    ],
    pathRowsTotal: count,
    packages: sizes.map((bytes, index) =>
      packageChange({
        manager: 'python',
        name: `pkg-${index}`,
        kind: 'added',
        before: null,
        after: '1.0',
        baseBytes: 0,
        headBytes: bytes,
        deltaBytes: bytes
      })
    )
  });
}

// ---------------------------------------------------------------------------

describe('whyText: one line on what made most of the change', () => {
  it('names the line that grew most, where it is (and was), its bytes and the package that grew most', () => {
    const change = record({
      deltaBytes: 10 * MB,
      lines: [
        // Larger, but the other way: a growing image is not explained by what shrank.
        lineChange({ instruction: 'RUN rm -rf /var/cache', line: 3, deltaBytes: -9 * MB }),
        lineChange({ instruction: 'COPY . /app', line: 14, baseLine: 12, deltaBytes: 2 * MB }),
        lineChange({ instruction: 'RUN pip install -r requirements.txt', line: 12, baseLine: 10, deltaBytes: 8.5 * MB })
      ],
      packages: [
        packageChange({ name: 'libold', kind: 'removed', before: '1', after: null, deltaBytes: -7 * MB }),
        packageChange({ manager: 'python', name: 'numpy', kind: 'added', before: null, after: '1.26', baseBytes: 0, deltaBytes: 6 * MB })
      ]
    });
    expect(whyText(withChange(change))).toBe('RUN pip install -r requirements.txt (line 12 (was 10)) +8.5 MB: numpy 1.26 (new)');
  });

  it('for an image that shrank, names what shrank most', () => {
    const change = record({
      deltaBytes: -5 * MB,
      lines: [
        lineChange({ instruction: 'RUN make', line: 3, deltaBytes: 3 * MB }),
        lineChange({ instruction: 'RUN make clean', line: 7, deltaBytes: -4 * MB }),
        lineChange({ instruction: 'RUN strip', line: 8, deltaBytes: -1 * MB })
      ],
      packages: [
        packageChange({ name: 'big', deltaBytes: 4 * MB }),
        packageChange({ name: 'x', kind: 'removed', before: '1', after: null, deltaBytes: -3 * MB })
      ]
    });
    expect(whyText(withChange(change))).toBe('RUN make clean (line 7) -4.0 MB: x 1 (removed)');
  });

  it.each<[string, Partial<PackageChange>, string]>([
    ['an upgrade', { kind: 'upgraded', before: '1.0', after: '2.0' }, 'a 1.0 → 2.0'],
    ['a downgrade', { kind: 'downgraded', before: '2.0', after: '1.0' }, 'a 2.0 → 1.0'],
    ['another build', { kind: 'changed', before: '1.0', after: '1.0+b1' }, 'a 1.0 → 1.0+b1'],
    ['a new package', { kind: 'added', before: null, after: '1.0' }, 'a 1.0 (new)'],
    ['a package of the same version that grew', { kind: 'resized', before: '1.0', after: '1.0' }, 'a']
  ])('names %s as the package', (_, overrides, text) => {
    const change = record({
      deltaBytes: 2 * MB,
      lines: [lineChange({ line: 5, baseLine: 5, deltaBytes: 2 * MB })],
      packages: [packageChange({ name: 'a', deltaBytes: MB, ...overrides })]
    });
    expect(whyText(withChange(change))).toBe(`RUN make (line 5) +2.0 MB: ${text}`);
  });

  it('without a package, names the largest listed path, never the rest or the hidden copies', () => {
    const change = record({
      deltaBytes: 12 * MB,
      lines: [lineChange({ instruction: 'COPY vendor /usr/lib', line: 6, baseLine: null, headBytes: 12 * MB, baseBytes: null, deltaBytes: 12 * MB })],
      paths: [
        pathChange({ kind: 'rest', path: null, folder: false, added: 40, deltaBytes: 5 * MB }),
        pathChange({ kind: 'hidden', path: null, folder: false, added: 0, deltaBytes: 4 * MB }),
        pathChange({ path: '/usr/lib/x', added: 3, deltaBytes: 2 * MB }),
        pathChange({ path: '/usr/lib/y', added: 1, deltaBytes: 1 * MB })
      ],
      pathRowsTotal: 2
    });
    expect(whyText(withChange(change))).toBe('COPY vendor /usr/lib (line 6) +12.0 MB: /usr/lib/x (new, 3 files)');
  });

  it('a line that is gone says where it was', () => {
    const change = record({ deltaBytes: -MB, lines: [lineChange({ line: null, baseLine: 9, headBytes: null, deltaBytes: -MB })] });
    expect(whyText(withChange(change))).toBe('RUN make (was line 9) -1.0 MB');
  });

  it('names the stage of a named stage, not of an unnamed one', () => {
    const named = record({ deltaBytes: MB, lines: [lineChange({ stage: 'build', deltaBytes: MB })] });
    const unnamed = record({ deltaBytes: MB, lines: [lineChange({ stage: '#1', deltaBytes: MB })] });
    expect(whyText(withChange(named))).toBe('RUN make [build] (line 5) +1.0 MB');
    expect(whyText(withChange(unnamed))).toBe('RUN make (line 5) +1.0 MB');
  });

  it('with only a package in the image’s direction, names the package alone', () => {
    const change = record({
      deltaBytes: MB,
      lines: [lineChange({ deltaBytes: -MB })],
      packages: [packageChange({ manager: 'python', name: 'numpy', kind: 'added', before: null, after: '1.26', deltaBytes: 3 * MB })]
    });
    expect(whyText(withChange(change))).toBe('numpy 1.26 (new)');
  });

  it('a new base image reads FROM old → new', () => {
    const change = record({
      deltaBytes: 20 * MB,
      lines: [
        {
          kind: 'base',
          stage: null,
          instruction: 'FROM python:3.12',
          baseInstruction: null,
          line: null,
          baseLine: null,
          image: { before: 'python:3.11', after: 'python:3.12' },
          headBytes: 50 * MB,
          baseBytes: 30 * MB,
          deltaBytes: 20 * MB
        }
      ]
    });
    expect(whyText(withChange(change))).toBe('FROM python:3.11 → python:3.12 +20.0 MB');
  });

  it('cuts a long instruction to 48 characters, ending in …', () => {
    const instruction = `RUN ${'x'.repeat(100)}`;
    const why = whyText(withChange(record({ deltaBytes: MB, lines: [lineChange({ instruction, deltaBytes: MB })] })))!;
    const label = why.slice(0, why.indexOf(' (line 5)'));
    expect(label).toHaveLength(48);
    expect(label).toBe(`${instruction.slice(0, 47)}…`);
    expect(why.endsWith(' (line 5) +1.0 MB')).toBe(true);
  });

  it('never cuts inside a character outside the BMP (an emoji is two UTF-16 units)', () => {
    // `RUN echo x` is 10 units: a cut at 47 units would keep the first half of a whale.
    const instruction = `RUN echo x${'🐳'.repeat(40)}`;
    const why = whyText(withChange(record({ deltaBytes: MB, lines: [lineChange({ instruction, deltaBytes: MB })] })))!;
    // A lone surrogate would not survive a round trip through UTF-8.
    expect(Buffer.from(why, 'utf8').toString('utf8')).toBe(why);
    // 48 characters, as the escapers count them: code points.
    expect(why).toBe(`RUN echo x${'🐳'.repeat(37)}… (line 5) +1.0 MB`);
  });

  it('reads a multi-line instruction on one line', () => {
    const instruction = 'RUN apt-get update && \\\n    apt-get install -y curl';
    const why = whyText(withChange(record({ deltaBytes: MB, lines: [lineChange({ instruction, deltaBytes: MB })] })));
    expect(why).toBe('RUN apt-get update && \\ apt-get install -y curl (line 5) +1.0 MB');
  });

  it.each<[string, ChangeRecord | null]>([
    ['no change record', null],
    ['no change', record({ deltaBytes: 0, lines: [lineChange({ deltaBytes: MB }), lineChange({ line: 6, deltaBytes: -MB })] })],
    ['nothing that went the image’s way', record({ deltaBytes: MB, lines: [lineChange({ deltaBytes: -MB })] })]
  ])('is null with %s', (_, change) => {
    expect(whyText(withChange(change))).toBeNull();
  });

  it('explains the sample change', () => {
    expect(whyText(changedImage({ name: 'web' }))).toBe('RUN pip install -r requirements.txt (line 12 (was 10)) +8.5 MB: numpy 1.26.4 (new)');
  });
});

describe('the rows of the views', () => {
  it.each<[string, Partial<PathChange> & { deltaBytes: number }, string]>([
    ['a new folder', { kind: 'new', added: 412, deltaBytes: MB }, 'new, 412 files'],
    ['a new folder of one file', { kind: 'new', added: 1, deltaBytes: MB }, 'new, 1 file'],
    ['a removed folder', { kind: 'removed', added: 0, removed: 6, deltaBytes: -MB }, 'removed, 6 files'],
    ['a folder whose files all shrank', { kind: 'shrank', added: 0, shrank: 37, deltaBytes: -MB }, '37 files shrank'],
    ['a folder whose files all grew', { kind: 'grew', added: 0, grew: 1234, deltaBytes: MB }, '1,234 files grew'],
    ['a folder of one file that grew', { kind: 'grew', added: 0, grew: 1, deltaBytes: MB }, '1 file grew'],
    ['a folder with files added and removed', { kind: 'changed', added: 3, removed: 2, deltaBytes: MB }, '3 added, 2 removed'],
    [
      'a folder with every kind of change',
      { kind: 'changed', added: 1200, removed: 2, grew: 5, shrank: 1, deltaBytes: MB },
      '1,200 added, 2 removed, 5 grew, 1 shrank'
    ],
    ['the other changes in a folder', { kind: 'other', added: 2, grew: 1, deltaBytes: MB }, '2 added, 1 grew'],
    ['a folder that grew, by folder (its files not counted)', { kind: 'grew', added: 0, deltaBytes: MB }, 'grew'],
    ['a folder that shrank, by folder', { kind: 'shrank', added: 0, deltaBytes: -MB }, 'shrank'],
    ['the other changes in a folder, by folder', { kind: 'other', added: 0, deltaBytes: MB }, 'its own files and smaller folders'],
    ['a file that grew', { kind: 'grew', folder: false, added: 0, grew: 1, deltaBytes: MB }, 'grew'],
    ['a file that shrank', { kind: 'shrank', folder: false, added: 0, shrank: 1, deltaBytes: -MB }, 'shrank'],
    ['a new file', { kind: 'new', folder: false, added: 1, deltaBytes: MB }, 'new'],
    ['a removed file', { kind: 'removed', folder: false, added: 0, removed: 1, deltaBytes: -MB }, 'removed'],
    ['the rest', { kind: 'rest', path: null, folder: false, added: 9, deltaBytes: MB }, '9 files added'],
    [
      'the hidden copies',
      { kind: 'hidden', path: null, folder: false, added: 0, deltaBytes: MB },
      'copies hidden by later layers (deleted or replaced files that still ship)'
    ]
  ])('pathDetail of %s', (_, overrides, detail) => {
    expect(pathDetail(pathChange(overrides))).toBe(detail);
  });

  it.each<[PathChange['kind'], string | null, string]>([
    ['new', '/usr/lib/numpy', '/usr/lib/numpy'],
    ['other', '/app', 'other changes in /app'],
    ['rest', null, 'everything else'],
    ['hidden', null, 'hidden copies']
  ])('pathLabel of a %s row', (kind, path, label) => {
    expect(pathLabel(pathChange({ kind, path, deltaBytes: MB }))).toBe(label);
  });

  it('pathText puts the change, the label and the detail together', () => {
    expect(pathText(pathChange({ path: '/usr/lib/python3/numpy', added: 412, deltaBytes: 8.2 * MB }))).toBe(
      '+8.2 MB /usr/lib/python3/numpy (new, 412 files)'
    );
    expect(pathText(pathChange({ kind: 'other', path: '/app', added: 2, grew: 1, deltaBytes: -MB }))).toBe(
      '-1.0 MB other changes in /app (2 added, 1 grew)'
    );
  });

  it.each<[PackageChange['kind'], string | null, string | null, string]>([
    ['added', null, '15.6', '+ libpq5 15.6 (deb)'],
    ['removed', '15.5', null, '\u2212 libpq5 15.5 (deb)'],
    ['upgraded', '15.5', '15.6', 'libpq5 15.5 → 15.6 (deb)'],
    ['downgraded', '15.6', '15.5', 'libpq5 15.6 → 15.5 (deb)'],
    ['changed', '15.6', '15.6+b1', 'libpq5 15.6 → 15.6+b1 (deb)'],
    ['resized', '15.6', '15.6', 'libpq5 15.6 (deb, same version)']
  ])('packageLabel of a package %s', (kind, before, after, label) => {
    expect(packageLabel(packageChange({ name: 'libpq5', kind, before, after, deltaBytes: MB }))).toBe(label);
  });

  it.each<[PackageManager, string]>([
    ['dpkg', 'deb'],
    ['apk', 'apk'],
    ['python', 'pip'],
    ['npm', 'npm']
  ])('a %s package is labelled %s', (manager, label) => {
    expect(packageLabel(packageChange({ manager, name: 'a', deltaBytes: MB }))).toBe(`a 1.0 → 2.0 (${label})`);
  });

  it('packageText adds the change', () => {
    expect(packageText(packageChange({ name: 'libpq5', kind: 'added', before: null, after: '15.6', deltaBytes: 2.1 * MB }))).toBe(
      '+ libpq5 15.6 (deb) +2.1 MB'
    );
  });

  it.each<[string, Partial<LineChange> & { deltaBytes: number }, string, string, string]>([
    ['a line on both sides', { line: 12, baseLine: 12, deltaBytes: MB }, 'RUN make', 'line 12', ''],
    ['a line that moved', { line: 12, baseLine: 10, deltaBytes: MB }, 'RUN make', 'line 12 (was 10)', ''],
    ['an added line', { line: 12, baseLine: null, baseBytes: null, deltaBytes: MB }, 'RUN make', 'line 12', 'added'],
    ['a removed line', { line: null, baseLine: 9, headBytes: null, deltaBytes: -MB }, 'RUN make', 'was line 9', 'removed'],
    ['an edited line', { baseInstruction: 'RUN make all', deltaBytes: MB }, 'RUN make', 'line 5', 'was: RUN make all'],
    ['a named stage', { stage: 'build', deltaBytes: MB }, 'RUN make [build]', 'line 5', ''],
    [
      'layers of unknown origin',
      { kind: 'unknown', stage: null, instruction: null, line: null, baseLine: null, deltaBytes: MB },
      'a layer of unknown origin',
      '',
      ''
    ],
    [
      'the same base image',
      {
        kind: 'base',
        stage: null,
        instruction: 'FROM alpine:3.20',
        line: null,
        baseLine: null,
        image: { before: 'alpine:3.20', after: 'alpine:3.20' },
        deltaBytes: MB
      },
      'FROM alpine:3.20',
      '',
      ''
    ],
    [
      'another base image',
      {
        kind: 'base',
        stage: null,
        instruction: 'FROM alpine:3.20',
        line: null,
        baseLine: null,
        image: { before: 'alpine:3.19', after: 'alpine:3.20' },
        deltaBytes: MB
      },
      'FROM alpine:3.19 → alpine:3.20',
      '',
      ''
    ]
  ])('lineLabel, lineWhere and lineState of %s', (_, overrides, label, where, state) => {
    const row = lineChange(overrides);
    expect([lineLabel(row), lineWhere(row), lineState(row)]).toEqual([label, where, state]);
  });

  it('changedLines leaves out the lines that did not change', () => {
    expect(changedLines(sampleChange()).map((row) => row.deltaBytes)).toEqual([8.5 * MB, 2 * MB, -1 * MB, 0.5 * MB]);
  });

  it('leftoverLines: the waste, then each cache that came, went or changed, with the line that left it', () => {
    const change = record({
      waste: { baseBytes: 0.9 * MB, headBytes: 4 * MB, deltaBytes: 3.1 * MB },
      caches: [
        { path: '/root/.cache/pip', kind: 'pip', baseBytes: 0, headBytes: 12 * MB, deltaBytes: 12 * MB, line: 7 },
        { path: '/var/cache/apk', kind: 'apk', baseBytes: 2 * MB, headBytes: 0, deltaBytes: -2 * MB, line: null },
        { path: '/root/.npm', kind: 'npm', baseBytes: 2 * MB, headBytes: 3 * MB, deltaBytes: MB, line: 9 }
      ]
    });
    expect(leftoverLines(change)).toEqual([
      { text: 'wasted bytes +3.1 MB (now 4.0 MB)', line: null },
      { text: '+12.0 MB left in /root/.cache/pip (pip cache)', line: 7 },
      { text: '-2.0 MB gone from /var/cache/apk (apk cache)', line: null },
      { text: '+1.0 MB changed in /root/.npm (npm cache)', line: 9 }
    ]);
    expect(leftoverLines(record({ waste: { baseBytes: MB, headBytes: MB, deltaBytes: 0 } }))).toEqual([]);
  });

  it('changeHeading: the change and both sizes', () => {
    expect(changeHeading(changedImage({ name: 'web' }))).toBe('+10.0 MB against the base branch (90.0 MB → 100.0 MB)');
  });

  it('hasChange: only a change record with a change', () => {
    expect(hasChange(withChange(null))).toBe(false);
    expect(hasChange(withChange(record()))).toBe(false);
    expect(hasChange(withChange(record({ deltaBytes: -1 })))).toBe(true);
  });

  it('grewMostLine: the line that grew most, never one that is gone or shrank', () => {
    const change = record({
      deltaBytes: 2 * MB,
      lines: [
        lineChange({ line: null, baseLine: 3, headBytes: null, deltaBytes: -9 * MB }),
        lineChange({ line: 4, deltaBytes: 3 * MB }),
        lineChange({ line: 8, deltaBytes: 8 * MB }),
        lineChange({ kind: 'base', line: null, baseLine: null, deltaBytes: 20 * MB })
      ]
    });
    expect(grewMostLine(withChange(change))).toBe(8);
    expect(grewMostLine(withChange(record({ deltaBytes: -MB, lines: [lineChange({ deltaBytes: -MB })] })))).toBeNull();
    expect(grewMostLine(withChange(null))).toBeNull();
  });
});

describe('the comment: what changed', () => {
  const report = reportOf([changedImage({ name: 'web' })]);
  const markdown = renderMarkdown(report, { key: 'default' });
  const block = blockOf(markdown, 'web');

  it('puts the why line under the change figure in the table', () => {
    expect(mainRow(markdown, 'web')[4]).toBe(
      '+10.0 MB (+11.1%)<br><sub>RUN pip install -r requirements.txt \\(line 12 \\(was 10\\)\\) +8.5 MB: numpy 1.26.4 \\(new\\)</sub>'
    );
  });

  it('has no why line for an image without a change record', () => {
    const plain = renderMarkdown(reportOf([imageReport({ name: 'web' })]), { key: 'default' });
    expect(mainRow(plain, 'web')[4]).toBe('+1.2 MB (+1.2%)');
    expect(plain).not.toContain('What changed');
  });

  it('titles the block with what changed first, then the heading', () => {
    expect(block.split('\n')[0]).toBe('<details><summary>🔎 web — what changed, layers, waste and caches</summary>');
    expect(block.split('\n')[2]).toBe('**What changed: \\+10.0 MB against the base branch \\(90.0 MB → 100.0 MB\\)**');
  });

  it('shows the three views in order, then the waste and caches, before the layers', () => {
    const order = [
      '**What changed',
      'By Dockerfile line:',
      'By path, in the final filesystem:',
      'By package (3 packages changed):',
      'wasted bytes',
      '**6 layers**'
    ];
    const at = order.map((text) => block.indexOf(text));
    expect(at.every((index) => index > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('lists the lines that changed with where they are, both sizes and the change', () => {
    expect(tableAfter(block, 'By Dockerfile line:')[0]).toEqual(['Instruction', 'Where', 'Base', 'PR', 'Change']);
    expect(bodyRows(block, 'By Dockerfile line:')).toEqual([
      ['`RUN pip install -r requirements.txt`', 'line 12 \\(was 10\\)', '20.0 MB', '28.5 MB', '**+8.5 MB**'],
      ['`COPY . /app`', 'line 14 \\(was 12\\)', '5.0 MB', '7.0 MB', '**+2.0 MB**'],
      ['`RUN rm -rf /tmp/old`', 'was line 9, removed', '1.0 MB', '—', '**-1.0 MB**'],
      ['`RUN apt-get update && apt-get install -y libpq5`', 'line 4', '45.0 MB', '45.5 MB', '**+500.0 kB**']
    ]);
  });

  it('lists the paths, the hidden copies and everything else, which add up to the change', () => {
    expect(bodyRows(block, 'By path, in the final filesystem:')).toEqual([
      ['`/usr/local/lib/python3.12/site-packages/numpy`', '**+6.0 MB**', 'new, 412 files'],
      ['`/app`', '**+2.0 MB**', '3 added, 2 removed, 5 grew'],
      ['`/srv/model.bin`', '**+1.2 MB**', 'new'],
      ['`/opt/old`', '**-800.0 kB**', 'removed, 6 files'],
      ['`/usr/share/doc`', '**-400.0 kB**', '37 files shrank'],
      ['hidden copies', '+300.0 kB', 'copies hidden by later layers \\(deleted or replaced files that still ship\\)'],
      ['everything else', '+1.7 MB', '']
    ]);
    const change = sampleChange();
    expect(change.paths!.reduce((sum, row) => sum + row.deltaBytes, 0)).toBeCloseTo(change.deltaBytes, 6);
  });

  it('lists the packages, then the waste and caches under their own lead, not as more packages', () => {
    expect(bulletsAfter(block, 'By package (3 packages changed):')).toEqual([
      '- `+ numpy 1.26.4 (pip)` +6.0 MB',
      '- `libpq5 15.5 → 15.6 (deb)` +200.0 kB',
      '- `− left-pad 1.3.0 (npm)` -10.0 kB'
    ]);
    // Two lists apart by a blank line are one list in Markdown: the waste needs words of its own between them.
    expect(bulletsAfter(block, 'Waste and caches:')).toEqual([
      '- wasted bytes +300.0 kB \\(now 20.0 MB\\)',
      '- \\+1.5 MB left in /root/.cache/pip \\(pip cache\\) (line 12)'
    ]);
  });

  it('leaves out the views that have nothing: no path rows when the files were not read, no packages', () => {
    const change = { ...sampleChange(), paths: null, packages: [], waste: null, caches: [] };
    const only = blockOf(renderMarkdown(reportOf([changedImage({ name: 'web', change })]), { key: 'default' }), 'web');
    expect(only).toContain('By Dockerfile line:');
    expect(only).not.toContain('By path');
    expect(only).not.toContain('By package');
    expect(only).not.toContain('Waste and caches');
  });

  it('says the rows are folders when they were made from folder summaries (a stored baseline)', () => {
    const blockFor = (change: ChangeRecord) => blockOf(renderMarkdown(reportOf([changedImage({ name: 'web', change })]), { key: 'default' }), 'web');
    const byFolder = blockFor({ ...sampleChange(), pathsFrom: 'folders' });
    expect(byFolder).toContain('\nBy folder, in the final filesystem (the stored baseline keeps folder sizes, not files):\n');
    expect(byFolder).not.toContain('By path');
    expect(blockFor({ ...bigChange(30), pathsFrom: 'folders' })).toContain(
      '\nBy folder, in the final filesystem (the stored baseline keeps folder sizes, not files; the 8 largest of 30):\n'
    );
  });

  describe('with more rows than the comment shows', () => {
    const big = reportOf([changedImage({ name: 'web', change: bigChange(30) })]);
    const comment = blockOf(renderMarkdown(big, { key: 'default' }), 'web');
    const summary = blockOf(summaryMarkdown(big, { key: 'default' }), 'web');

    it.each<[string, string, number]>([
      ['the comment', comment, 8],
      ['the job summary', summary, 25]
    ])('%s shows the largest rows of each view and says how many there were', (_, text, shown) => {
      expect(text).toContain(`By Dockerfile line (the ${shown} largest of 31):`);
      expect(bodyRows(text, 'By Dockerfile line')).toHaveLength(shown);
      expect(text).toContain(`By path, in the final filesystem (the ${shown} largest of 30):`);
      expect(text).toContain(`By package (30 packages changed, the ${shown} largest of 30):`);
      expect(bulletsAfter(text, 'By package')).toHaveLength(shown);
    });

    it.each<[string, string, number]>([
      ['the comment', comment, 8],
      ['the job summary', summary, 25]
    ])('in %s the paths cut join everything else, so the rows still add up', (_, text, shown) => {
      const change = bigChange(30);
      const rows = bodyRows(text, 'By path');
      expect(rows).toHaveLength(shown + 1);
      const listed = change.paths!.slice(0, shown).reduce((sum, row) => sum + row.deltaBytes, 0);
      expect(rows.at(-1)).toEqual(['everything else', formatDelta(change.deltaBytes - listed), '']);
    });
  });

  describe('staying under a small maxChars', () => {
    const big = reportOf([changedImage({ name: 'web', change: bigChange(30) })]);
    const full = renderMarkdown(big, { key: 'default' });
    const terse = renderMarkdown(big, { key: 'default', maxDetail: 1 });
    const maxChars = Math.floor((full.length + terse.length) / 2);
    const body = renderMarkdown(big, { key: 'default', maxChars });

    it('trims the change rows, says so, and stays under the limit', () => {
      expect(full.length).toBeGreaterThan(maxChars);
      expect(body.length).toBeLessThanOrEqual(maxChars);
      const note =
        /⚠️ Truncated \(the comment limit is [\d,]+ characters\): the folded blocks show only the (\d+) largest changes, layers, wasted paths and caches of each image\. The `report` output has everything\./.exec(
          body
        );
      expect(note).not.toBeNull();
      const shown = Number(note![1]);
      expect(shown).toBeGreaterThan(1);
      expect(shown).toBeLessThan(8);
      const block = blockOf(body, 'web');
      expect(block).toContain(`By Dockerfile line (the ${shown} largest of 31):`);
      expect(bodyRows(block, 'By Dockerfile line')).toHaveLength(shown);
      expect(bulletsAfter(block, 'By package')).toHaveLength(shown);
    });

    it('with room for one row only, says the largest change', () => {
      // Room for the note, not for a second row of every section.
      const tight = renderMarkdown(big, { key: 'default', maxChars: terse.length + 250 });
      expect(tight.length).toBeLessThanOrEqual(terse.length + 250);
      expect(tight).toContain('the folded blocks show only the largest change, layer, wasted path and cache of each image');
      expect(bodyRows(blockOf(tight, 'web'), 'By Dockerfile line')).toHaveLength(1);
    });
  });

  describe('escaping repository text', () => {
    const hostile = '`tick` ``two`` a|b <img src=x onerror=alert(1)> @octocat #1 https://evil.test/x [x](javascript:alert(1)) </details>';
    const paths = [
      '</details>',
      'a|b',
      'x`y``z',
      '`edge`',
      '@octocat #1 <img src=x onerror=alert(1)> [x](javascript:alert(1)) https://evil.test/p',
      'two\nlines',
      '<!-- footprint:default -->',
      ' both ends back\\|slash '
    ];
    const names = ['evil|pkg', '`tick`', '<img src=x onerror=alert(1)>', '@octocat', 'https://evil.test/pkg', 'x``y'];
    const lines: LineChange[] = [
      lineChange({ instruction: `RUN ${hostile}`, baseInstruction: `RUN ${hostile} old`, line: 3, baseLine: 3, deltaBytes: 9 * MB }),
      lineChange({ instruction: 'RUN echo a|b', stage: 'evil|<b>', line: 4, baseLine: 4, deltaBytes: 2 * MB }),
      {
        kind: 'base',
        stage: null,
        instruction: 'FROM <img src=x>|b',
        baseInstruction: null,
        line: null,
        baseLine: null,
        image: { before: 'evil:1 @octocat', after: '<img src=x>|b' },
        headBytes: 10 * MB,
        baseBytes: 9 * MB,
        deltaBytes: MB
      }
    ];
    const change = record({
      deltaBytes: 12 * MB,
      lines,
      paths: [
        ...paths.map((path, index) => pathChange({ path, added: 2, deltaBytes: (10 - index) * 0.1 * MB })),
        pathChange({ kind: 'other', path: '@octocat|x', added: 1, deltaBytes: 0.1 * MB })
      ],
      pathRowsTotal: paths.length + 1,
      packages: names.map((name, index) =>
        packageChange({ manager: 'npm', name, kind: 'added', before: null, after: `1.${index}|<b>`, baseBytes: 0, deltaBytes: (6 - index) * MB })
      )
    });
    // Room for every row: nine paths are more than the comment's eight.
    const markdown = renderMarkdown(reportOf([changedImage({ name: 'web', change })]), { key: 'default', maxDetail: 25 });
    const block = blockOf(markdown, 'web');

    it('keeps every table row at its number of cells', () => {
      for (const cells of bodyRows(block, 'By Dockerfile line')) expect(cells).toHaveLength(5);
      for (const cells of bodyRows(block, 'By path')) expect(cells).toHaveLength(3);
      expect(mainRow(markdown, 'web')).toHaveLength(7);
    });

    it('shows each instruction on one line, exactly, in a code span nothing closes early', () => {
      const shown = bodyRows(block, 'By Dockerfile line').map((cells) => codeSpanText(cells[0]!, true));
      expect(shown).toEqual([`RUN ${hostile}`.slice(0, 79) + '…', 'RUN echo a|b [evil|<b>]', 'FROM evil:1 @octocat → <img src=x>|b']);
    });

    it('shows each path exactly, control characters as pictures, in a code span nothing closes early', () => {
      const shown = bodyRows(block, 'By path')
        .slice(0, paths.length + 1)
        .map((cells) => codeSpanText(cells[0]!, true).replace('<\u200b!--', '<!--'));
      expect(shown).toEqual([...paths.map((path) => path.replace(/\n/g, '␊')), 'other changes in @octocat|x']);
    });

    it('shows each package exactly, in a code span nothing closes early (outside a table, `\\|` would show its backslash)', () => {
      const shown = bulletsAfter(block, 'By package').map((bullet) => codeSpanText(bullet.slice(2).replace(/ [+-][\d.]+ [kMGT]?B$/, ''), false));
      expect(shown).toEqual(names.map((name, index) => `+ ${name} 1.${index}|<b> (npm)`));
    });

    it('lets no HTML, mention, link or second marker through, and closes every block it opens', () => {
      const live = liveText(markdown);
      expect(live).not.toMatch(/<(img|script|b|a )[\s>]/i);
      expect(live).not.toMatch(/@(?!&#8203;)/);
      expect(live).not.toMatch(/https?:\/\//);
      expect(live).not.toMatch(/(^|[^\\])\[x(^|[^\\])\]/);
      expect(live.match(/<details>/g)).toHaveLength(1);
      expect(live.match(/<\/details>/g)).toHaveLength(1);
      expect(markdown.indexOf('<!-- footprint:default -->')).toBe(0);
      expect(markdown.lastIndexOf('<!-- footprint:default -->')).toBe(0);
    });

    it('escapes the why line and the edited instruction it was', () => {
      const why = mainRow(markdown, 'web')[4]!;
      expect(why).toMatch(
        /^\+10\.0 MB \(\+11\.1%\)<br><sub>RUN \\`tick\\` \\`\\`two\\`\\` a\\\|b &lt;img src=x onerror=alert… \\\(line 3\\\) \+9\.0 MB: /
      );
      expect(why).not.toMatch(/<img|@(?!&#8203;)|https:\/\//);
      const where = bodyRows(block, 'By Dockerfile line')[0]![1]!;
      expect(where).toContain('was: RUN \\`tick\\`');
      expect(where).toContain('https&#8203;://evil.test/x');
      expect(where).toContain('@&#8203;octocat #&#8203;1');
    });
  });
});

describe('the CLI: what changed', () => {
  const report = reportOf([changedImage({ name: 'web' })]);
  const text = renderTerminal(report, { color: false });
  const lines = text.split('\n');
  const section = lines.slice(
    lines.indexOf('web (web/Dockerfile)'),
    lines.findIndex((line) => line.startsWith('  largest layers'))
  );

  it('prints the heading, the why, then by line, by path, by package, and the waste and caches', () => {
    expect(section).toEqual([
      'web (web/Dockerfile)',
      '  changed +10.0 MB against the base branch (90.0 MB → 100.0 MB)',
      '  most of it: RUN pip install -r requirements.txt (line 12 (was 10)) +8.5 MB: numpy 1.26.4 (new)',
      '  by line',
      '      +8.5 MB  line 12 (was 10)     RUN pip install -r requirements.txt',
      '      +2.0 MB  line 14 (was 12)     COPY . /app',
      '      -1.0 MB  was line 9, removed  RUN rm -rf /tmp/old',
      '    +500.0 kB  line 4               RUN apt-get update && apt-get install -y libpq5',
      '  by path',
      '      +6.0 MB  /usr/local/lib/python3.12/site-packages/numpy  new, 412 files',
      '      +2.0 MB  /app                                           3 added, 2 removed, 5 grew',
      '      +1.2 MB  /srv/model.bin                                 new',
      '    -800.0 kB  /opt/old                                       removed, 6 files',
      '    -400.0 kB  /usr/share/doc                                 37 files shrank',
      '    +300.0 kB  hidden copies                                  copies hidden by later layers (deleted or replaced files that still ship)',
      '      +1.7 MB  everything else',
      '  by package',
      '      +6.0 MB  + numpy 1.26.4 (pip)',
      '    +200.0 kB  libpq5 15.5 → 15.6 (deb)',
      '     -10.0 kB  − left-pad 1.3.0 (npm)',
      '  waste and caches',
      '               wasted bytes +300.0 kB (now 20.0 MB)',
      '      line 12  +1.5 MB left in /root/.cache/pip (pip cache)'
    ]);
  });

  it('shows the base branch’s text of an edited line', () => {
    const change = record({ deltaBytes: MB, lines: [lineChange({ instruction: 'RUN make all', baseInstruction: 'RUN make', deltaBytes: MB })] });
    const out = renderTerminal(reportOf([changedImage({ name: 'web', change })]), { color: false });
    // The bytes column is as wide as the widest figure under the image (the sample's `500.0 kB` of waste).
    expect(out).toContain('\n  by line\n     +1.0 MB  line 5  RUN make all (was: RUN make)\n');
  });

  it('honours changeRows, and the paths it leaves out join everything else', () => {
    const out = renderTerminal(report, { color: false, changeRows: 2 }).split('\n');
    const at = (title: string) => out.indexOf(title);
    expect(out.slice(at('  by line (2 of 4)') + 1, at('  by path (2 of 5)'))).toEqual([
      '      +8.5 MB  line 12 (was 10)  RUN pip install -r requirements.txt',
      '      +2.0 MB  line 14 (was 12)  COPY . /app'
    ]);
    // 10 MB, less the 8 MB listed and the 0.3 MB hidden.
    expect(out.slice(at('  by path (2 of 5)') + 1, at('  by package (2 of 3)'))).toEqual([
      '      +6.0 MB  /usr/local/lib/python3.12/site-packages/numpy  new, 412 files',
      '      +2.0 MB  /app                                           3 added, 2 removed, 5 grew',
      '    +300.0 kB  hidden copies                                  copies hidden by later layers (deleted or replaced files that still ship)',
      '      +1.7 MB  everything else'
    ]);
    expect(out.slice(at('  by package (2 of 3)') + 1, at('  waste and caches'))).toEqual([
      '      +6.0 MB  + numpy 1.26.4 (pip)',
      '    +200.0 kB  libpq5 15.5 → 15.6 (deb)'
    ]);
    const big = renderTerminal(reportOf([changedImage({ name: 'web', change: bigChange(30) })]), { color: false, changeRows: 12 });
    expect(big).toContain('\n  by line (12 of 31)\n');
    expect(big).toContain('\n  by package (12 of 30)\n');
  });

  it('says the rows are folders when they were made from folder summaries (a stored baseline)', () => {
    const byFolder = reportOf([changedImage({ name: 'web', change: { ...sampleChange(), pathsFrom: 'folders' } })]);
    expect(renderTerminal(byFolder, { color: false })).toContain('\n  by folder (the stored baseline keeps folder sizes, not files)\n');
    expect(renderTerminal(byFolder, { color: false, changeRows: 2 })).toContain(
      '\n  by folder (the stored baseline keeps folder sizes, not files; 2 of 5)\n'
    );
  });

  it('shows five rows per view by default', () => {
    const out = renderTerminal(reportOf([changedImage({ name: 'web', change: bigChange(30) })]), { color: false });
    expect(out).toContain('\n  by line (5 of 31)\n');
    expect(out).toContain('\n  by package (5 of 30)\n');
  });

  it('writes no colour codes when colour is off, and some when it is on', () => {
    expect(text).not.toContain(ESC);
    const coloured = renderTerminal(report, { color: true });
    expect(coloured).toContain(`${ESC}[1mchanged +10.0 MB against the base branch (90.0 MB → 100.0 MB)${ESC}[0m`);
  });

  it('makes control characters in paths visible, so a path cannot move the cursor or recolour the terminal', () => {
    const path = '/app/two\nlines\u001b[31mred\u0007\u202e';
    const change = record({
      deltaBytes: 3 * MB,
      lines: [lineChange({ instruction: `COPY ${path} /x`, deltaBytes: 3 * MB })],
      paths: [pathChange({ path, added: 3, deltaBytes: 3 * MB })],
      pathRowsTotal: 1
    });
    for (const color of [false, true]) {
      const out = renderTerminal(reportOf([changedImage({ name: 'web', change })]), { color });
      // Colour codes go; the path's own must still show as `␛[31m` below.
      // eslint-disable-next-line no-control-regex -- colour codes are what this removes
      const plainOut = color ? out.replace(/\u001b\[(?:0|1|2|3[1-6])m/g, '') : out;
      // eslint-disable-next-line no-control-regex -- control characters are what this looks for
      expect(plainOut).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(plainOut).toContain('    +3.0 MB  /app/two␊lines␛[31mred␇�  new, 3 files');
      expect(plainOut).toMatch(/\n {2}most of it: COPY \/app\/two lines.*\(line 5\) \+3\.0 MB: \/app\/two.*\(new, 3 files\)\n/);
    }
  });
});

describe('annotations', () => {
  type Annotation = { level: 'error' | 'warning' | 'notice'; message: string; properties: AnnotationProperties };
  function annotations(report: Report): Annotation[] {
    const found: Annotation[] = [];
    annotate(report, {
      error: (message, properties) => found.push({ level: 'error', message, properties }),
      warning: (message, properties) => found.push({ level: 'warning', message, properties }),
      notice: (message, properties) => found.push({ level: 'notice', message, properties })
    });
    return found;
  }
  const overIncrease = (overrides: Partial<ImageReport> = {}) =>
    changedImage({
      name: 'web',
      status: 'over-increase',
      maxIncrease: { percent: 5, bytes: null, source: '5%' },
      reasons: ['grew 10.0 MB (+11.1%), more than the 5% allowed'],
      ...overrides
    });

  it('puts the error of an image over its increase limit on the line that grew most, with the why', () => {
    const [error] = annotations(reportOf([overIncrease()]));
    expect(error!.level).toBe('error');
    expect(error!.properties).toEqual({ title: 'web grew more than allowed', file: 'web/Dockerfile', startLine: 12 });
    expect(error!.message).toMatch(
      /^web .+\. Most of the change: RUN pip install -r requirements\.txt \(line 12 \(was 10\)\) \+8\.5 MB: numpy 1\.26\.4 \(new\)\.$/
    );
  });

  it('without a line that grew, falls back to the largest own layer', () => {
    const change = record({ deltaBytes: MB, packages: [packageChange({ name: 'a', deltaBytes: MB })] });
    const [error] = annotations(reportOf([overIncrease({ change })]));
    expect(error!.properties.startLine).toBe(4);
    expect(error!.message).toContain('Most of the change: a 1.0 → 2.0.');
    const [bare] = annotations(reportOf([overIncrease({ change: null })]));
    expect(bare!.properties.startLine).toBe(4);
    expect(bare!.message).not.toContain('Most of the change');
  });

  it('puts the error of an image over its budget on its largest own layer, without the why', () => {
    const image = changedImage({
      name: 'web',
      status: 'over-budget',
      size: { bytes: 300 * MB, compressedBytes: 120 * MB, dockerBytes: 300 * MB },
      reasons: ['300.0 MB is 50.0 MB over the 250MB budget']
    });
    const [error] = annotations(reportOf([image]));
    expect(error!.properties).toEqual({ title: 'web is over budget', file: 'web/Dockerfile', startLine: 4 });
    expect(error!.message).not.toContain('Most of the change');
  });

  it('shows control characters of a path in the why as pictures, as the other annotations do', () => {
    const path = '/app/two\nlines\u001b[31m';
    const change = record({
      deltaBytes: 3 * MB,
      lines: [lineChange({ instruction: 'COPY . /app', line: 7, deltaBytes: 3 * MB })],
      paths: [pathChange({ path, added: 3, deltaBytes: 3 * MB })],
      pathRowsTotal: 1
    });
    const { message } = annotationMessage(overIncrease({ change }));
    expect(message).toContain('Most of the change: COPY . /app (line 7) +3.0 MB: /app/two␊lines␛[31m (new, 3 files).');
  });
});

describe('reportOutput: the report output fits in 1 MB', () => {
  const LIMIT = 1_000_000;

  /** An inventory of `count` folders: about 80 bytes of JSON each. */
  function inventory(count: number): Inventory {
    return {
      baseImage: 'python:3.12-slim',
      bytes: 100 * MB,
      visibleBytes: 90 * MB,
      hiddenBytes: 10 * MB,
      files: count,
      folders: Array.from({ length: count }, (_, index) => ({
        path: `usr/lib/python3/dist-packages/folder-${index}`,
        bytes: 1000 + index,
        files: 3
      })),
      packages: [],
      packagesNote: null
    };
  }

  /** A change record with `count` path rows: about 130 bytes of JSON each. */
  function changeOf(count: number): ChangeRecord {
    return {
      ...sampleChange(),
      paths: Array.from({ length: count }, (_, index) =>
        pathChange({ path: `/usr/lib/python3/dist-packages/folder-${index}`, deltaBytes: 1000 + index })
      ),
      pathRowsTotal: count
    };
  }

  it('is the whole report when it fits', () => {
    const report = reportOf([changedImage({ name: 'web', inventory: inventory(10) }), imageReport({ name: 'api' })]);
    const json = JSON.stringify(report);
    expect(reportOutput(report)).toBe(json);
    expect(reportOutput(report, json)).toBe(json);
  });

  it('drops the inventories, keeping the change records, when they push it over', () => {
    const report = reportOf([
      changedImage({ name: 'web', inventory: inventory(8000) }),
      changedImage({ name: 'api', inventory: inventory(8000) }),
      imageReport({ name: 'docs' })
    ]);
    expect(Buffer.byteLength(JSON.stringify(report))).toBeGreaterThan(LIMIT);
    const output = reportOutput(report);
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(LIMIT);
    const parsed = JSON.parse(output) as Report;
    expect(parsed.images.map((image) => image.inventory)).toEqual([null, null, null]);
    expect(parsed.images.map((image) => image.change)).toEqual([sampleChange(), sampleChange(), null]);
    // Everything else is as it was.
    expect(parsed).toEqual({ ...report, images: report.images.map((image) => ({ ...image, inventory: null })) });
  });

  it('drops the change records too when they still push it over', () => {
    const report = reportOf([changedImage({ name: 'web', inventory: inventory(8000), change: changeOf(9000) }), changedImage({ name: 'api' })]);
    const lean = JSON.stringify({ ...report, images: report.images.map((image) => ({ ...image, inventory: null })) });
    expect(Buffer.byteLength(lean)).toBeGreaterThan(LIMIT);
    const output = reportOutput(report);
    expect(Buffer.byteLength(output)).toBeLessThanOrEqual(LIMIT);
    const parsed = JSON.parse(output) as Report;
    expect(parsed.images.map((image) => [image.inventory, image.change])).toEqual([
      [null, null],
      [null, null]
    ]);
    expect(parsed.images.map((image) => image.name)).toEqual(['web', 'api']);
    expect(parsed.totals).toEqual(report.totals);
  });

  it('counts bytes, not characters', () => {
    // 400,000 three-byte characters: 400,000 UTF-16 units but 1.2 MB of UTF-8.
    const wide = inventory(1);
    wide.folders[0]!.path = '界'.repeat(400_000);
    const report = reportOf([changedImage({ name: 'web', inventory: wide })]);
    expect(JSON.stringify(report).length).toBeLessThan(LIMIT);
    const parsed = JSON.parse(reportOutput(report)) as Report;
    expect(parsed.images[0]!.inventory).toBeNull();
    expect(parsed.images[0]!.change).toEqual(sampleChange());
  });
});
