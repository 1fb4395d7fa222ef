import { describe, expect, it } from '@jest/globals';
import { UserError } from '../../src/errors.js';
import { orderFindings } from '../../src/advise/advise.js';
import { commentMarker } from '../../src/github/marker.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import {
  baseLabel,
  budgetText,
  changeText,
  compressedText,
  isOverWasteLimit,
  measuredSavings,
  originText,
  savingsText,
  splitFix,
  verdict,
  wastedText,
  wasteWhere
} from '../../src/report/view.js';
import {
  adviceAnnotations,
  annotate,
  commonFolder,
  imageWarnings,
  warningsBesideAdvice,
  type AnnotationProperties
} from '../../src/report/annotations.js';
import type { Finding, ImageReport, LayerReport, Report, WastedPath } from '../../src/model/report.js';
import type { Trend } from '../../src/model/trend.js';
import {
  allOkReport,
  bareImage,
  finding,
  hugeLogReport,
  imageReport,
  manyImagesReport,
  mixedReport,
  reportOf,
  sampleFindings,
  sampleWaste
} from '../support/report-fixtures.js';

const MB = 1e6;

/** A table line split into cells on the pipes that are not escaped (GitHub's rule, code spans included). */
function cellsOf(line: string): string[] {
  return line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((cell) => cell.trim());
}

/** The table rows of a rendering, split into cells. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map(cellsOf);
}

/** The first cell of the main table's rows, without the dockerfile line. */
function mainTableNames(markdown: string): string[] {
  const main = markdown.split('<details>')[0]!;
  return tableRows(main)
    .slice(1)
    .map((cells) => cells[0]!.replace(/<br>.*$/, ''))
    .filter((name) => name !== ':---');
}

/** The anatomy block of one image, from its `<details>` line to its `</details>`; null when there is none. */
function anatomyBlock(markdown: string, name: string): string | null {
  const start = markdown.indexOf(`<details><summary>🔎 ${name} — `);
  if (start < 0) return null;
  return markdown.slice(start, markdown.indexOf('\n</details>', start) + '\n</details>'.length);
}

/** Names of the images with an anatomy block, in order. */
function blockNames(markdown: string): string[] {
  return [...markdown.matchAll(/<details><summary>🔎 (.*?) — /g)].map((match) => match[1]!);
}

/**
 * What GitHub shows for a table cell that is one code span: `\|` is a pipe, the
 * fence is the opening backtick run, one space is dropped from each end when
 * both ends have one.
 */
function codeSpanText(cell: string): string {
  const text = cell.replace(/\\\|/g, '|');
  const fence = /^`+/.exec(text)![0];
  expect(text.endsWith(fence)).toBe(true);
  const inner = text.slice(fence.length, text.length - fence.length);
  // No backtick run inside may be as long as the fence, or it would close it early.
  for (const run of inner.match(/`+/g) ?? []) expect(run.length).not.toBe(fence.length);
  return inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '' ? inner.slice(1, -1) : inner;
}

/** Text outside code spans and fenced blocks, where HTML, mentions and Markdown are live. */
function liveText(markdown: string): string {
  return markdown.replace(/\n(`{3,})text\n[\s\S]*?\n\1\n/g, '\n').replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
}

function layer(index: number, bytes: number, overrides: Partial<LayerReport> = {}): LayerReport {
  return {
    index,
    fromBase: false,
    instruction: `RUN step ${index}`,
    line: index + 1,
    stage: null,
    bytes,
    compressedBytes: bytes / 2,
    files: 10,
    ...overrides
  };
}

function wasted(path: string, bytes: number, overrides: Partial<WastedPath> = {}): WastedPath {
  return { path, files: 1, bytes, addedAtLine: 7, removedAtLine: 9, addedInLayer: 3, removedInLayer: 5, inBase: false, ...overrides };
}

describe('baseLabel', () => {
  const sha = '965756e2ec386cc58e2bb886ed20b5177ba2e281';
  it.each([
    [sha, '965756e'],
    ['965756e', '965756e'],
    ['main', 'main (965756e)'],
    ['origin/release-1.2', 'origin/release-1.2 (965756e)'],
    ['abcdef0', 'abcdef0 (965756e)']
  ])('ref %p shows as %p', (ref, label) => {
    expect(baseLabel({ ref, sha }, (text) => text)).toBe(label);
  });

  it('escapes the ref with the given function', () => {
    expect(baseLabel({ ref: '<b>x</b>', sha }, (text) => text.replace(/</g, '&lt;'))).toBe('&lt;b>x&lt;/b> (965756e)');
  });
});

describe('commentMarker', () => {
  it('is a hidden HTML comment naming the key', () => {
    expect(commentMarker('default')).toBe('<!-- footprint:default -->');
  });

  it.each(['', 'a -->', 'two words', 'x\ny', 'a>b'])('rejects the key %j, which could break out of the marker', (key) => {
    expect(() => commentMarker(key)).toThrow(UserError);
  });
});

describe('renderMarkdown', () => {
  const body = renderMarkdown(mixedReport, { key: 'default', footer: '<sub>Commit abc1234 · measured by footprint</sub>' });

  it('starts with the marker, then the heading and the verdict with the totals', () => {
    const lines = body.split('\n');
    expect(lines[0]).toBe('<!-- footprint:default -->');
    expect(lines[1]).toBe('### footprint — image sizes');
    expect(lines[3]).toBe(
      '❌ **3 of 7 images fail the size check (1 over budget, 1 grew more than allowed, 1 failed to build)** · ' +
        'total 625.0 MB · 250.0 MB compressed · 60.0 MB wasted · +66.2 MB vs base main (0123456)'
    );
  });

  it('lists failing images first, then the rest in report order, with unchanged ones folded', () => {
    expect(mainTableNames(body)).toEqual(['api', 'worker', 'batch', 'web', 'cron', 'legacy', '**Total** (7 images)']);
    expect(body).toContain('<details><summary>1 unchanged image</summary>');
    const folded = body.slice(body.indexOf('<summary>1 unchanged image'));
    expect(tableRows(folded.slice(0, folded.indexOf('</details>')))).toEqual([
      ['Image', 'Size', 'Compressed', 'Wasted', 'Budget'],
      [':---', '---:', '---:', '---:', '---:'],
      ['docs<br><sub>docs/Dockerfile</sub>', '20.0 MB', '8.0 MB', '0 B', '250.0 MB (8%)']
    ]);
  });

  it('fills every column of the main table, ending with the totals', () => {
    const rows = tableRows(body.split('<details>')[0]!);
    expect(rows[0]).toEqual(['Image', 'Size', 'Compressed', 'Wasted', 'Change vs base', 'Budget', 'Status']);
    expect(rows.slice(2)).toEqual([
      ['api<br><sub>api/Dockerfile</sub>', '275.0 MB', '110.0 MB', '0 B', '+35.0 MB (+14.6%)', '250.0 MB (111%)', '❌ **over budget**'],
      ['worker<br><sub>worker/Dockerfile</sub>', '—', '—', '—', '—', '250.0 MB', '💥 **failed**'],
      ['batch<br><sub>batch/Dockerfile</sub>', '130.0 MB', '52.0 MB', '20.0 MB', '+30.0 MB (+30.0%)', '250.0 MB (52%)', '❌ **over increase**'],
      ['web<br><sub>web/Dockerfile</sub>', '100.0 MB', '40.0 MB', '20.0 MB', '+1.2 MB (+1.2%)', '250.0 MB (40%)', '✅ ok'],
      ['cron<br><sub>cron/Dockerfile</sub>', '100.0 MB', '40.0 MB', '20.0 MB', 'new', '250.0 MB (40%)', '🆕 new'],
      ['legacy<br><sub>legacy/Dockerfile</sub>', '—', '—', '—', 'removed', '—', '🗑️ removed'],
      ['**Total** (7 images)', '**625.0 MB**', '**250.0 MB**', '**60.0 MB**', '**+66.2 MB**', '', '']
    ]);
  });

  it('gives the reasons, the build log, the anatomy blocks (failing images first), the size note and the footer, in that order', () => {
    const reasons = [
      '- **api**: 275\\.0 MB is 25.0 MB over the 250MB budget',
      '- **worker**: the image could not be built: docker build exited with code 1',
      '- **batch**: grew 30.0 MB \\(+30.0%\\), more than the 10% allowed'
    ].join('\n');
    const log = [
      '<details><summary>Build log: worker</summary>',
      '',
      '```text',
      'Step 3/5 : RUN make',
      'make: *** No rule to make target. Stop.',
      '```',
      '',
      '</details>'
    ].join('\n');
    const order = [reasons, log, '🔎 api', '🔎 batch', '🔎 web', '🔎 cron', '<sub>Sizes are', '<sub>Commit abc1234'].map((part) =>
      body.indexOf(part)
    );
    expect(order.every((index) => index > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(blockNames(body)).toEqual(['api', 'batch', 'web', 'cron']);
    expect(body.endsWith('<sub>Commit abc1234 · measured by footprint</sub>\n')).toBe(true);
    expect(body).toContain(
      '\n<sub>Sizes are uncompressed bytes: regular files in all layers. Compressed is the gzip size a registry stores and ' +
        '`docker pull` transfers; wasted is what a layer ships but a later layer deletes or replaces.</sub>\n'
    );
  });

  it('shows only the name when the Dockerfile path is the name', () => {
    const report = reportOf([imageReport({ name: 'services/api/Dockerfile', dockerfile: 'services/api/Dockerfile' })]);
    expect(mainTableNames(renderMarkdown(report, { key: 'default' }))[0]).toBe('services/api/Dockerfile');
  });

  it('shows the image reference of an image given by reference', () => {
    const report = reportOf([imageReport({ name: 'web', dockerfile: null, image: 'ghcr.io/acme/web:1.2' })]);
    expect(tableRows(renderMarkdown(report, { key: 'default' }))[2]![0]).toBe('web<br><sub>ghcr.io/acme/web:1.2</sub>');
  });

  it('uses the title, escaped', () => {
    expect(renderMarkdown(allOkReport, { key: 'default', title: 'Sizes <b>@team</b>' }).split('\n')[1]).toBe(
      '### Sizes &lt;b&gt;@&#8203;team&lt;/b&gt;'
    );
  });

  it('explains a base branch that could not be compared, and images whose base build failed', () => {
    const report = reportOf(
      [
        imageReport({
          name: 'web',
          comparison: 'base-failed',
          base: null,
          delta: null,
          baseError: { message: 'RUN exited with 2 <see log>', logTail: '' }
        })
      ],
      { baseError: 'The base branch (main) could not be compared: git fetch failed' }
    );
    const markdown = renderMarkdown(report, { key: 'default' });
    expect(markdown).toContain('\n⚠️ The base branch \\(main\\) could not be compared: git fetch failed\n');
    expect(markdown).toContain("\n- **web**: the base branch's build failed, so there is no change to show: RUN exited with 2 &lt;see log&gt;\n");
  });

  it('says so when there is nothing to measure, without a table', () => {
    const markdown = renderMarkdown(reportOf([]), { key: 'default' });
    expect(markdown).toContain('✅ **No images to measure** · total 0 B\n');
    expect(tableRows(markdown)).toEqual([]);
  });

  it('says when budgets apply to the compressed size', () => {
    const report = reportOf([imageReport({ name: 'web', budget: { bytes: 80 * MB, metric: 'compressed', source: '80MB' } })]);
    const markdown = renderMarkdown(report, { key: 'default' });
    expect(tableRows(markdown)[2]![5]).toBe('80.0 MB (gz, 50%)');
    expect(markdown).toContain(' Budgets marked gz apply to the compressed size.</sub>');
    expect(body).not.toContain('Budgets marked gz');
  });

  describe('escaping repository text', () => {
    const hostile = '<img src=x onerror=alert(1)> a|b @octocat #1 [x](javascript:alert(1)) `c`\n</details> <!-- footprint:default -->';
    const report = reportOf([
      imageReport({
        name: hostile,
        dockerfile: 'evil|path/<script>/Dockerfile',
        status: 'failed',
        size: null,
        delta: null,
        reasons: [hostile],
        error: { message: hostile, logTail: `${hostile}\n\`\`\`\n</details>\n<!-- footprint:default -->\n@octocat` }
      })
    ]);
    const markdown = renderMarkdown(report, { key: 'default' });

    it('keeps every table row at seven cells', () => {
      for (const cells of tableRows(markdown)) expect(cells).toHaveLength(7);
    });

    it('lets no HTML, link, mention or reference through outside the build log', () => {
      const outsideLog = markdown.replace(/\n(`{3,})text\n[\s\S]*?\n\1\n/, '\n');
      expect(outsideLog).not.toMatch(/<(img|script|a )/i);
      expect(outsideLog).not.toMatch(/(^|[^\\])\[x(^|[^\\])\]/);
      expect(outsideLog).not.toMatch(/@(?!&#8203;)/);
      const belowHeading = outsideLog.split('\n').slice(2).join('\n');
      expect(belowHeading).not.toMatch(/#(?!&#8203;|8203;)/);
      expect(outsideLog.match(/<\/details>/g)).toHaveLength(1);
      expect(outsideLog.match(/<details>/g)).toHaveLength(1);
    });

    it('never repeats the marker outside the fenced log, so it cannot be forged', () => {
      const outsideLog = markdown.replace(/\n(`{3,})text\n[\s\S]*?\n\1\n/, '\n');
      expect(outsideLog.indexOf(commentMarker('default'))).toBe(0);
      expect(outsideLog.lastIndexOf(commentMarker('default'))).toBe(0);
    });

    it('fences the build log with more backticks than it contains', () => {
      expect(markdown).toContain('\n````text\n');
      expect(markdown).toContain('\n@octocat\n````\n');
    });
  });

  describe('the verdict', () => {
    it.each<[string, Report, boolean, string]>([
      ['all within budget', allOkReport, true, 'All 3 images within budget'],
      ['one image', reportOf([imageReport({ name: 'web' })]), true, '1 image within budget'],
      [
        'no budget anywhere',
        reportOf([imageReport({ name: 'web', budget: null }), imageReport({ name: 'api', budget: null })]),
        true,
        '2 images measured, no budget set'
      ],
      ['only over budget', manyImagesReport(5, 2), false, '3 of 5 images over budget'],
      [
        'only failed builds',
        reportOf([imageReport({ name: 'web', status: 'failed' }), imageReport({ name: 'api' })]),
        false,
        '1 of 2 images failed to build'
      ]
    ])('%s', (_, report, ok, text) => {
      expect(verdict(report)).toEqual({ ok, text });
    });
  });

  describe('figures', () => {
    it.each<[string, Parameters<typeof imageReport>[0], string]>([
      ['growth', { name: 'a', delta: { bytes: 1.2 * MB, percent: 3.4 } }, '+1.2 MB (+3.4%)'],
      ['shrinkage', { name: 'a', delta: { bytes: -3.4 * MB, percent: -10 } }, '-3.4 MB (-10.0%)'],
      ['no change', { name: 'a', delta: { bytes: 0, percent: 0 } }, '0 B'],
      ['a new image', { name: 'a', comparison: 'new', delta: null }, 'new'],
      ['a removed image', { name: 'a', comparison: 'removed', delta: null }, 'removed'],
      ['a failed base build', { name: 'a', comparison: 'base-failed', delta: null }, '—'],
      ['no comparison', { name: 'a', comparison: 'not-compared', delta: null }, '—']
    ])('change for %s', (_, overrides, expected) => {
      expect(changeText(imageReport(overrides))).toBe(expected);
    });

    const size = (bytes: number, compressedBytes: number | null = null) => ({ bytes, compressedBytes, dockerBytes: bytes });
    const gz = (mb: number) => ({ bytes: mb * MB, metric: 'compressed' as const, source: `${mb}MB` });
    it.each<[string, Parameters<typeof imageReport>[0], string]>([
      ['within', { name: 'a', size: size(97 * MB) }, '250.0 MB (38%)'],
      ['just under never reads 100%', { name: 'a', size: size(249.9 * MB) }, '250.0 MB (99%)'],
      ['just over never reads 100%', { name: 'a', size: size(250.1 * MB) }, '250.0 MB (101%)'],
      [
        'a compressed budget uses the compressed size, marked gz',
        { name: 'a', size: size(500 * MB, 100 * MB), budget: gz(200) },
        '200.0 MB (gz, 50%)'
      ],
      ['a compressed budget over it', { name: 'a', size: size(500 * MB, 201 * MB), budget: gz(200) }, '200.0 MB (gz, 101%)'],
      ['a compressed budget without a compressed size', { name: 'a', size: size(500 * MB), budget: gz(200) }, '200.0 MB (gz)'],
      ['no size', { name: 'a', size: null }, '250.0 MB'],
      ['no budget', { name: 'a', budget: null }, '—']
    ])('budget %s', (_, overrides, expected) => {
      expect(budgetText(imageReport(overrides))).toBe(expected);
    });

    it.each<[string, Parameters<typeof imageReport>[0], string]>([
      ['measured', { name: 'a' }, '40.0 MB'],
      ['not measured', { name: 'a', size: size(100 * MB) }, '—'],
      ['no image', { name: 'a', size: null }, '—']
    ])('compressed when %s', (_, overrides, expected) => {
      expect(compressedText(imageReport(overrides))).toBe(expected);
    });

    it.each<[string, Parameters<typeof imageReport>[0], string]>([
      ['some', { name: 'a' }, '20.0 MB'],
      ['none', { name: 'a', wasted: { bytes: 0, baseBytes: 5 * MB, paths: [] } }, '0 B'],
      ['no anatomy', { name: 'a', wasted: null }, '—']
    ])('wasted when %s', (_, overrides, expected) => {
      expect(wastedText(imageReport(overrides))).toBe(expected);
    });

    const limit = (source: string, bytes: number | null, percent: number | null) => ({ maxWasted: { bytes, percent, source } });
    it.each<[string, Partial<ImageReport>, boolean]>([
      ['no limit', {}, false],
      ['bytes only, over', limit('10MB', 10 * MB, null), true],
      ['bytes only, exactly at it', limit('20MB', 20 * MB, null), false],
      ['percent only, over (20 MB of 100 MB)', limit('10%', null, 10), true],
      ['percent only, under', limit('25%', null, 25), false],
      ['both, over both', limit('10MB, 10%', 10 * MB, 10), true],
      ['both, over the size only', limit('10MB, 25%', 10 * MB, 25), false],
      ['both, over the percentage only', limit('30MB, 10%', 30 * MB, 10), false],
      ['base waste never counts', { ...limit('1MB', MB, null), wasted: { bytes: 0, baseBytes: 50 * MB, paths: [] } }, false],
      ['no anatomy', { ...limit('1MB', MB, null), wasted: null }, false]
    ])('max-wasted: %s', (_, overrides, expected) => {
      expect(isOverWasteLimit(imageReport({ name: 'a', ...overrides }))).toBe(expected);
    });

    it.each<[string, Partial<ImageReport>, boolean | null, number | null, string | null]>([
      ['a Dockerfile line', {}, false, 12, 'a/Dockerfile:12'],
      ['a base layer', {}, true, null, 'base'],
      ['a base layer with a line', {}, true, 3, 'base'],
      ['an image given by reference', { dockerfile: null }, false, 12, 'line 12'],
      ['an unknown line', {}, false, null, null],
      ['nothing known', {}, null, null, null]
    ])('origin of %s', (_, overrides, fromBase, line, expected) => {
      expect(originText(imageReport({ name: 'a', ...overrides }), fromBase, line)).toBe(expected);
    });

    it.each<[string, Partial<WastedPath>, string]>([
      ['lines known', {}, 'added at line 7, removed at line 9'],
      ['the adding line unknown', { addedAtLine: null }, 'added in layer 3, removed at line 9'],
      ['the removing line unknown', { removedAtLine: null }, 'added at line 7, removed in layer 5'],
      [
        'a base copy removed in the base',
        { inBase: true, addedAtLine: null, removedAtLine: null, addedInLayer: 0, removedInLayer: 1 },
        'in the base image (layer 0), removed in layer 1'
      ],
      [
        'a base copy removed by the Dockerfile',
        { inBase: true, addedAtLine: null, addedInLayer: 1 },
        'in the base image (layer 1), removed at line 9'
      ]
    ])('where a wasted copy is, with %s', (_, overrides, expected) => {
      expect(wasteWhere(wasted('/x', MB, overrides))).toBe(expected);
    });
  });

  describe('the anatomy block', () => {
    it('shows the largest layers, the waste with its largest copies and the leftover caches of an image', () => {
      const markdown = renderMarkdown(reportOf([imageReport({ name: 'web' })]), { key: 'default' });
      expect(anatomyBlock(markdown, 'web')).toBe(
        [
          '<details><summary>🔎 web — layers, waste and caches</summary>',
          '',
          '**6 layers**, 4 from the Dockerfile and 2 from the base image, largest first',
          '',
          '| Layer | Instruction | Size | Compressed | Files |',
          '| :--- | :--- | ---: | ---: | ---: |',
          '| web/Dockerfile:4 | `RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certif…` | 45.0 MB | 17.0 MB | 2,100 |',
          '| base | `ADD file:4f1c9a0e2b7d in /` | 28.0 MB | 11.0 MB | 1,480 |',
          '| web/Dockerfile:7 | `RUN mkdir -p /tmp/build && curl -fsSL https://example.test/toolchain.tar.gz \\| t…` | 20.0 MB | 9.0 MB | 310 |',
          '| web/Dockerfile:8 | `COPY . /app` | 5.0 MB | 2.0 MB | 64 |',
          '| base | `RUN set -eux; apt-get update; rm -rf /var/lib/apt/lists/*` | 2.0 MB | 1.0 MB | 35 |',
          '| web/Dockerfile:9 | `RUN rm -rf /tmp/build` | 0 B | 0 B | 0 |',
          '',
          "**Wasted: 20.0 MB (20.0% of the image)** in the Dockerfile's layers, shipped but deleted or replaced by a later layer; " +
            "120.0 kB more inside the base image, not the Dockerfile's doing",
          '',
          '| Path | Size | Files | Where |',
          '| :--- | ---: | ---: | :--- |',
          '| `/tmp/build` | 19.5 MB | 309 | added at line 7, removed at line 9 |',
          '| `/usr/local/bin/tool` | 500.0 kB | 1 | added at line 7, removed at line 8 |',
          '| `/var/cache/debconf/templates.dat` | 120.0 kB | 1 | in the base image (layer 0), removed in layer 1 |',
          '',
          '**Leftover caches: 18.4 MB** in the final image',
          '',
          '| Cache | Kind | Size | Files | Left by |',
          '| :--- | :--- | ---: | ---: | :--- |',
          '| `/var/lib/apt/lists` | apt | 18.4 MB | 42 | web/Dockerfile:4 |',
          '',
          '</details>'
        ].join('\n')
      );
    });

    it.each<[string, ImageReport, string | null, string[]]>([
      ['layers only', bareImage({ name: 'a' }), 'layers', ['**6 layers**']],
      [
        'waste inside the base image only',
        imageReport({ name: 'a', wasted: { bytes: 0, baseBytes: 0.12 * MB, paths: sampleWaste().paths.filter((path) => path.inBase) }, caches: [] }),
        'layers and waste',
        ["**Wasted inside the base image: 120.0 kB**, not the Dockerfile's doing"]
      ],
      ['caches without layers', imageReport({ name: 'a', layers: [], wasted: null }), 'caches', ['**Leftover caches: 18.4 MB**']],
      [
        'waste without paths',
        bareImage({ name: 'a', layers: [], wasted: { bytes: 3 * MB, baseBytes: 0, paths: [] } }),
        'waste',
        ['**Wasted: 3.0 MB (3.0% of the image)**']
      ],
      [
        'waste over max-wasted',
        imageReport({ name: 'a', status: 'over-budget', maxWasted: { bytes: 10 * MB, percent: null, source: '10MB' } }),
        'layers, waste and caches',
        ["in the Dockerfile's layers, shipped but deleted or replaced by a later layer, more than max-wasted 10MB;"]
      ],
      [
        'waste within max-wasted',
        imageReport({ name: 'a', maxWasted: { bytes: 30 * MB, percent: null, source: '30MB' } }),
        'layers, waste and caches',
        ['a later layer, within max-wasted 30MB;']
      ],
      ['nothing at all', bareImage({ name: 'a', layers: [] }), null, []],
      ['a failed build', imageReport({ name: 'a', status: 'failed', size: null, delta: null }), null, []],
      ['an unchanged image', imageReport({ name: 'a', status: 'unchanged', comparison: 'unchanged' }), null, []],
      ['a removed image', imageReport({ name: 'a', status: 'removed', comparison: 'removed', size: null }), null, []]
    ])('%s', (_, image, sections, texts) => {
      const markdown = renderMarkdown(reportOf([image]), { key: 'default' });
      const block = anatomyBlock(markdown, 'a');
      if (sections === null) {
        expect(block).toBeNull();
        return;
      }
      expect(block!.split('\n')[0]).toBe(`<details><summary>🔎 a — ${sections}</summary>`);
      for (const text of texts) expect(block).toContain(text);
      expect(block!.includes('**Wasted')).toBe(sections.includes('waste'));
      expect(block!.includes('**Leftover caches')).toBe(sections.includes('caches'));
      expect(block!.includes('| Layer |')).toBe(sections.includes('layers'));
    });

    it('marks waste over max-wasted in the Wasted column', () => {
      const report = reportOf([imageReport({ name: 'a', status: 'over-budget', maxWasted: { bytes: 10 * MB, percent: null, source: '10MB' } })]);
      expect(tableRows(renderMarkdown(report, { key: 'default' }))[2]![3]).toBe('20.0 MB ❌');
    });

    it('shows the 8 largest of many layers, largest first, with the line or base of each', () => {
      const layers = Array.from({ length: 50 }, (_, index) => layer(index, (index % 10) * MB + index, { fromBase: index < 5 }));
      const markdown = renderMarkdown(reportOf([bareImage({ name: 'a', layers })]), { key: 'default' });
      const block = anatomyBlock(markdown, 'a')!;
      expect(block).toContain('**The 8 largest of 50 layers**, 45 from the Dockerfile and 5 from the base image, largest first');
      expect(
        tableRows(block)
          .slice(2)
          .map((cells) => cells[0])
      ).toEqual([49, 39, 29, 19, 9, 48, 38, 28].map((index) => `a/Dockerfile:${index + 1}`));
      expect(markdown).not.toContain('Truncated');
    });

    it('gives unknown origins and instructions a dash', () => {
      const layers = [layer(0, MB, { fromBase: null, line: null, instruction: null, compressedBytes: null }), layer(1, 0, { instruction: '   ' })];
      const block = anatomyBlock(renderMarkdown(reportOf([bareImage({ name: 'a', layers })]), { key: 'default' }), 'a')!;
      expect(tableRows(block).slice(2)).toEqual([
        ['—', '—', '1.0 MB', '—', '10'],
        ['a/Dockerfile:2', '—', '0 B', '0 B', '10']
      ]);
    });

    it('lists the Dockerfile’s wasted copies before the base image’s, largest first', () => {
      const paths = [
        wasted('/base-big', 9 * MB, { inBase: true }),
        wasted('/small', 1 * MB),
        wasted('/big', 5 * MB),
        wasted('/base-small', 2 * MB, { inBase: true })
      ];
      const image = imageReport({ name: 'a', wasted: { bytes: 6 * MB, baseBytes: 11 * MB, paths } });
      const block = anatomyBlock(renderMarkdown(reportOf([image]), { key: 'default' }), 'a')!;
      const rows = tableRows(block.slice(block.indexOf('| Path |')));
      expect(rows.slice(2, 6).map((cells) => cells[0])).toEqual(['`/big`', '`/small`', '`/base-big`', '`/base-small`']);
    });
  });

  describe('escaping repository text in the anatomy', () => {
    const hostile = [
      '</details>',
      'a|b',
      'x`y``z',
      '`edge`',
      '@octocat #1 <img src=x onerror=alert(1)> [x](javascript:alert(1))',
      'two\nlines',
      '<!-- footprint:default -->',
      ' both ends back\\|slash '
    ];
    const image = imageReport({
      name: '</summary></details>@octocat',
      dockerfile: 'evil|<b>@me</b>/Dockerfile',
      layers: hostile.map((instruction, index) => layer(index, (100 - index) * MB, { instruction })),
      wasted: { bytes: 66 * MB, baseBytes: 0, paths: hostile.map((path, index) => wasted(path, (11 - index) * MB)) },
      caches: hostile.map((path, index) => ({ path, kind: 'tmp' as const, bytes: (11 - index) * MB, files: 1, line: index + 1, fromBase: false }))
    });
    const markdown = renderMarkdown(reportOf([image]), { key: 'default' });
    const block = markdown.slice(markdown.indexOf('<details><summary>🔎'));
    const bodyRows = (heading: string) => {
      const section = block.slice(block.indexOf(heading));
      return section
        .split('\n')
        .filter((line) => line.startsWith('| '))
        .slice(2, 10);
    };

    it('keeps every table row at its number of cells', () => {
      const widths = new Set(['| Layer |', '| Path |', '| Cache |']);
      for (const heading of widths) {
        const count = cellsOf(block.slice(block.indexOf(heading)).split('\n')[0]!).length;
        for (const line of bodyRows(heading)) expect(cellsOf(line)).toHaveLength(count);
      }
    });

    it.each([
      ['| Layer |', 1],
      ['| Path |', 0],
      ['| Cache |', 0]
    ])('shows each text under %s exactly, in a code span that nothing closes early', (heading, column) => {
      const shown = bodyRows(heading).map((line) => codeSpanText(cellsOf(line)[column]!));
      const expected = hostile.map((text) => (column === 1 ? text.replace(/\s+/g, ' ').trim() : text.replace(/\n/g, '␊')));
      // The marker is broken by an invisible zero-width space; everything else shows as written.
      expect(shown.map((text) => text.replace('<\u200b!--', '<!--'))).toEqual(expected);
    });

    it('lets no HTML, mention, link or second marker through, and closes every block it opens', () => {
      const live = liveText(markdown);
      expect(live).not.toMatch(/<(img|script|b|a )[\s>]/i);
      expect(live).not.toMatch(/@(?!&#8203;)/);
      expect(live.match(/<details>/g)).toHaveLength(1);
      expect(live.match(/<\/details>/g)).toHaveLength(1);
      expect(live.match(/<\/summary>/g)).toHaveLength(1);
      expect(markdown.indexOf('<!-- footprint:default -->')).toBe(0);
      expect(markdown.lastIndexOf('<!-- footprint:default -->')).toBe(0);
      expect(block.split('\n')[0]).toBe('<details><summary>🔎 &lt;/summary&gt;&lt;/details&gt;@&#8203;octocat — layers, waste and caches</summary>');
    });

    it('shows a newline in a path as a picture, keeping the row on one line', () => {
      expect(block).toContain('| `two␊lines` |');
    });

    it('escapes the Dockerfile path in the Layer column', () => {
      expect(cellsOf(bodyRows('| Layer |')[0]!)[0]).toBe('evil\\|&lt;b&gt;@&#8203;me&lt;/b&gt;/Dockerfile:1');
    });
  });

  describe('staying under the comment limit', () => {
    const limitText = 'the comment limit is 65,536 characters';
    const note = (cuts: string) => `⚠️ Truncated (${limitText}): ${cuts}. The \`report\` output has everything.`;

    /** `count` images with 50 layers and 1,000 wasted paths each; every `failEvery`-th one is over budget. */
    function bigAnatomyReport(count: number, failEvery: number): Report {
      const layers = Array.from({ length: 50 }, (_, index) =>
        layer(index, (50 - index) * MB, { instruction: `RUN ./build-step-${index}.sh --with-a-long-argument-list and more words` })
      );
      const paths = Array.from({ length: 1000 }, (_, index) => wasted(`/var/tmp/build/output/artifact-${index}.bin`, (1000 - index) * 100));
      const caches = [{ path: '/root/.cache/pip', kind: 'pip' as const, bytes: 30 * MB, files: 500, line: 12, fromBase: false }];
      const bytes = layers.reduce((sum, item) => sum + item.bytes, 0);
      const anatomy = {
        size: { bytes, compressedBytes: bytes / 2, dockerBytes: bytes },
        layers,
        wasted: { bytes: paths.reduce((sum, path) => sum + path.bytes, 0), baseBytes: MB, paths },
        caches
      };
      return reportOf(
        Array.from({ length: count }, (_, index) => {
          const name = `service-${String(index).padStart(4, '0')}`;
          return index % failEvery === 0
            ? imageReport({ name, ...anatomy, status: 'over-budget', reasons: [`${name} is 50.0 MB over the 250MB budget`] })
            : imageReport({ name, ...anatomy });
        })
      );
    }

    it('with 300 images of 50 layers and 1,000 wasted paths each, drops anatomy before any row', () => {
      const report = bigAnatomyReport(300, 10);
      const markdown = renderMarkdown(report, { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      expect(markdown.startsWith('<!-- footprint:default -->\n')).toBe(true);
      const failing = report.images.filter((image) => image.status === 'over-budget').map((image) => image.name);
      const names = mainTableNames(markdown);
      expect(names).toHaveLength(301);
      expect(names.slice(0, failing.length)).toEqual(failing);
      const blocks = blockNames(markdown);
      expect(blocks).toEqual(failing.slice(0, blocks.length));
      expect(markdown).toContain(
        note(
          `the layer anatomy of ${300 - blocks.length} images not shown, ${30 - blocks.length} of them failing; ` +
            'the folded blocks show only the largest change, layer, wasted path and cache of each image'
        )
      );
      for (const name of failing) expect(markdown).toContain(`- **${name}**: ${name} is 50.0 MB over the 250MB budget`);
    });

    it('first shows fewer rows per anatomy block, the same number in each', () => {
      const markdown = renderMarkdown(bigAnatomyReport(30, 4), { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      expect(blockNames(markdown)).toHaveLength(30);
      const detail = Number(/show only the (\d+) largest/.exec(markdown)![1]);
      expect(detail).toBeGreaterThan(1);
      expect(detail).toBeLessThan(8);
      expect(markdown).toContain(note(`the folded blocks show only the ${detail} largest changes, layers, wasted paths and caches of each image`));
      for (const name of blockNames(markdown)) {
        const block = anatomyBlock(markdown, name)!;
        expect(block).toContain(`**The ${detail} largest of 50 layers**`);
        expect(tableRows(block.slice(block.indexOf('| Path |'), block.indexOf('**Leftover')))).toHaveLength(2 + detail);
      }
    });

    it('then drops the blocks of passing images, keeping those of failing ones', () => {
      const markdown = renderMarkdown(bigAnatomyReport(100, 20), { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      const blocks = blockNames(markdown);
      expect(blocks.slice(0, 6)).toEqual(['service-0000', 'service-0020', 'service-0040', 'service-0060', 'service-0080', 'service-0001']);
      expect(blocks.length).toBeLessThan(100);
      expect(blocks.length).toBeGreaterThan(10);
      expect(mainTableNames(markdown)).toHaveLength(101);
      expect(markdown).toContain(
        note(
          `the layer anatomy of ${100 - blocks.length} images not shown; the folded blocks show only the largest change, layer, wasted path and cache of each image`
        )
      );
    });

    it('with 2,000 images keeps the marker, every failing row and as many others as fit', () => {
      const report = manyImagesReport(2000);
      const markdown = renderMarkdown(report, { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      expect(markdown.startsWith('<!-- footprint:default -->\n')).toBe(true);
      const names = mainTableNames(markdown);
      const failing = report.images.filter((image) => image.status === 'over-budget').map((image) => image.name);
      expect(names.slice(0, failing.length)).toEqual(failing);
      expect(names.at(-1)).toBe('**Total** (2,000 images)');
      const listed = names.length - 1;
      expect(listed).toBeGreaterThan(failing.length);
      expect(markdown).toContain(
        note(
          `${(2000 - listed).toLocaleString('en-US')} images not shown; the layer anatomy of ${listed.toLocaleString('en-US')} images not shown, 20 of them failing`
        )
      );
      expect(markdown).not.toContain('unchanged image');
      expect(blockNames(markdown)).toEqual([]);
    });

    it('drops only the build logs that do not fit, last first', () => {
      const markdown = renderMarkdown(hugeLogReport(3, 28_000), { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      expect(markdown).toContain('Build log: broken-0');
      expect(markdown).toContain('Build log: broken-1');
      expect(markdown).not.toContain('Build log: broken-2');
      expect(markdown).toContain(note('1 build log not shown; the layer anatomy of 1 image not shown'));
      expect(mainTableNames(markdown)).toEqual(['broken-0', 'broken-1', 'broken-2', 'web', '**Total** (4 images)']);
    });

    it('drops build logs bigger than the whole comment, keeping every row', () => {
      const markdown = renderMarkdown(hugeLogReport(2, 1_000_000), { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      expect(markdown).not.toContain('Build log:');
      expect(markdown).toContain(note('2 build logs not shown; the layer anatomy of 1 image not shown'));
      expect(mainTableNames(markdown)).toEqual(['broken-0', 'broken-1', 'web', '**Total** (3 images)']);
    });

    it('cuts failing rows last, and counts them in the note', () => {
      const report = manyImagesReport(400, 2);
      const markdown = renderMarkdown(report, { key: 'default', maxChars: 6000 });
      expect(markdown.length).toBeLessThanOrEqual(6000);
      const names = mainTableNames(markdown);
      const shown = names.length - 1;
      expect(names.slice(0, shown).every((name) => Number(name.slice(-4)) % 2 === 0)).toBe(true);
      expect(shown).toBeGreaterThan(5);
      expect(markdown).toContain(
        `⚠️ Truncated (the comment limit is 6,000 characters): ${400 - shown} images not shown, ${200 - shown} of them failing; ` +
          `the layer anatomy of ${shown} images not shown, ${shown} of them failing.`
      );
    });

    it('keeps the marker and the verdict even when the footer alone is too long', () => {
      const markdown = renderMarkdown(mixedReport, { key: 'default', maxChars: 1000, footer: 'x'.repeat(5000) });
      expect(markdown.length).toBeLessThanOrEqual(1000);
      expect(markdown.split('\n').slice(0, 2)).toEqual(['<!-- footprint:default -->', expect.stringContaining('3 of 7 images fail the size check')]);
    });

    it('leaves a body that fits untouched', () => {
      expect(renderMarkdown(mixedReport, { key: 'default' })).not.toContain('Truncated');
    });
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

  /** The sample advice on web: a notice on the FROM line, a warning on line 4 (where the apt cache warning is dropped), a notice on line 7. */
  const webAdvice: Annotation[] = [
    {
      level: 'notice',
      message:
        'python:3.12 → python:3.12-slim: the slim variant of the same version leaves out compilers, headers and docs. ' +
        'Build in python:3.12 and run in python:3.12-slim. (−612.0 MB compressed, measured)',
      properties: { title: 'web: base-slim', file: 'web/Dockerfile', startLine: 1 }
    },
    {
      level: 'warning',
      message:
        '`apt-get update` leaves the package lists in /var/lib/apt/lists, which ship in the layer. ' +
        'End the same RUN with `rm -rf /var/lib/apt/lists/*`. (−18.4 MB, measured in this image)',
      properties: { title: 'web: apt-lists-left', file: 'web/Dockerfile', startLine: 4 }
    },
    {
      level: 'notice',
      message:
        'The RUNs at lines 7 and 9 could be one: the files line 7 makes and line 9 deletes would never reach a layer. ' +
        'Join them with `&&` into one RUN.',
      properties: { title: 'web: join-runs', file: 'web/Dockerfile', startLine: 7 }
    }
  ];

  it('puts an error on the largest Dockerfile layer of each failing image, then the advice and warnings on the lines that left waste or caches', () => {
    expect(annotations(mixedReport)).toEqual([
      {
        level: 'error',
        message: 'api is 275.0 MB, 25.0 MB over its budget of 250.0 MB (250MB).',
        properties: { title: 'api is over budget', file: 'api/Dockerfile', startLine: 12 }
      },
      {
        level: 'error',
        message: 'docker build exited with code 1',
        properties: { title: 'worker failed to build', file: 'worker/Dockerfile', startLine: 1 }
      },
      {
        level: 'error',
        message: 'batch grew by +30.0 MB (+30.0%) against the base branch. The limit is 10%.',
        properties: { title: 'batch grew more than allowed', file: 'batch/Dockerfile', startLine: 4 }
      },
      {
        level: 'warning',
        message:
          '`pip install` without `--no-cache-dir` keeps the downloaded wheels in /root/.cache/pip. ' +
          'Add `--no-cache-dir` to `pip install`. (−60.0 MB, measured in this image)',
        properties: { title: 'api: pip-no-cache-dir', file: 'api/Dockerfile', startLine: 12 }
      },
      ...['batch', 'web', 'cron']
        .flatMap((name) => [
          ...(name === 'web' ? webAdvice : []),
          {
            level: 'warning',
            message: '19.5 MB shipped but deleted or replaced at line 9 (/tmp/build)',
            properties: { title: `${name}: wasted bytes`, file: `${name}/Dockerfile`, startLine: 7 }
          },
          {
            level: 'warning',
            message: '18.4 MB of apt cache left in the image (/var/lib/apt/lists)',
            properties: { title: `${name}: leftover cache`, file: `${name}/Dockerfile`, startLine: 4 }
          }
        ])
        .filter((annotation) => annotation.properties.title !== 'web: leftover cache')
    ]);
  });

  it.each<[string, Partial<ImageReport>, string]>([
    [
      'over max-wasted only',
      { maxWasted: { bytes: 10 * MB, percent: null, source: '10MB' } },
      'a wastes 20.0 MB (20.0% of the image): bytes shipped in one layer and deleted or replaced in a later one. The limit is 10MB.'
    ],
    [
      'over its compressed budget and max-wasted',
      { budget: { bytes: 30 * MB, metric: 'compressed', source: '30MB' }, maxWasted: { bytes: null, percent: 10, source: '10%' } },
      'a is 40.0 MB compressed, 10.0 MB over its budget of 30.0 MB (30MB). a wastes 20.0 MB (20.0% of the image): ' +
        'bytes shipped in one layer and deleted or replaced in a later one. The limit is 10%.'
    ]
  ])('says why an image is over budget: %s', (_, overrides, message) => {
    const [error] = annotations(reportOf([imageReport({ name: 'a', status: 'over-budget', ...overrides })]));
    expect(error).toEqual({ level: 'error', message, properties: { title: 'a is over budget', file: 'a/Dockerfile', startLine: 4 } });
  });

  it.each<[string, Partial<ImageReport>, number[]]>([
    ['an image whose layers have no lines', { layers: [layer(0, MB, { line: null })] }, [1]],
    ['an image with only base layers', { layers: [layer(0, MB, { fromBase: true, line: 3 })] }, [1]],
    ['an image with no anatomy', { layers: null, wasted: null, caches: null }, [1]]
  ])('puts the error on line 1 for %s', (_, overrides, lines) => {
    const found = annotations(reportOf([imageReport({ name: 'a', status: 'over-budget', wasted: null, caches: [], ...overrides })]));
    expect(found.map((annotation) => annotation.properties.startLine)).toEqual(lines);
  });

  it('warns only from 1 MB on, only on the Dockerfile’s own lines, at most 10 per image, largest first', () => {
    const paths = [
      ...Array.from({ length: 14 }, (_, index) => wasted(`/w/${index}`, (20 + index) * MB, { addedAtLine: 20 + index, removedAtLine: 40 })),
      wasted('/small', 0.9 * MB, { addedAtLine: 3 }),
      wasted('/base', 50 * MB, { inBase: true, addedAtLine: null })
    ];
    const caches = [
      { path: '/tmp', kind: 'tmp' as const, bytes: 25.5 * MB, files: 3, line: 5, fromBase: false },
      { path: '/var/cache/apk', kind: 'apk' as const, bytes: 90 * MB, files: 3, line: null, fromBase: true }
    ];
    const warnings = imageWarnings(imageReport({ name: 'a', wasted: { bytes: 400 * MB, baseBytes: 50 * MB, paths }, caches }));
    const waste = (line: number) => [line, `${line}.0 MB shipped but deleted or replaced at line 40 (/w/${line - 20})`];
    expect(warnings.map((warning) => [warning.line, warning.message])).toEqual([
      ...[33, 32, 31, 30, 29, 28, 27, 26].map(waste),
      [5, '25.5 MB of tmp cache left in the image (/tmp)'],
      waste(25)
    ]);
  });

  it('sums the wasted copies of one pair of lines, naming the folder they share', () => {
    const paths = [wasted('/opt/sdk/bin/tool', 3 * MB), wasted('/opt/sdk/lib/x.so', 2 * MB), wasted('/opt/other', 4 * MB, { removedAtLine: 11 })];
    expect(imageWarnings(bareImage({ name: 'a', wasted: { bytes: 9 * MB, baseBytes: 0, paths } })).map((warning) => warning.message)).toEqual([
      '5.0 MB shipped but deleted or replaced at line 9 (/opt/sdk)',
      '4.0 MB shipped but deleted or replaced at line 11 (/opt/other)'
    ]);
  });

  it('shows control characters in paths as pictures', () => {
    const image = bareImage({ name: 'a', caches: [{ path: '/tmp/a\nb', kind: 'tmp', bytes: 2 * MB, files: 1, line: 3, fromBase: false }] });
    expect(imageWarnings(image)[0]!.message).toBe('2.0 MB of tmp cache left in the image (/tmp/a␊b)');
  });

  it.each<[string[], string]>([
    [['/tmp/build/a', '/tmp/build/b/c'], '/tmp/build'],
    [['/tmp/build/a'], '/tmp/build/a'],
    [['/a', '/b'], '/'],
    [['/tmp/x', '/tmp/x'], '/tmp/x'],
    [['/tmp/build', '/tmp/build/a'], '/tmp']
  ])('the folder shared by %j is %j', (paths, folder) => {
    expect(commonFolder(paths)).toBe(folder);
  });

  it('warns for neither unchanged images nor images without a Dockerfile', () => {
    const report = reportOf([
      imageReport({ name: 'same', status: 'unchanged', comparison: 'unchanged' }),
      imageReport({ name: 'ref', dockerfile: null, image: 'ghcr.io/acme/ref:1' })
    ]);
    expect(annotations(report)).toEqual([]);
  });
});

/** `count` findings on lines 1…count, measured savings falling, each with a long message and a Dockerfile sketch. */
function manyFindings(count: number): Finding[] {
  return Array.from({ length: count }, (_, index) =>
    finding({
      rule: `rule-${index}`,
      line: index + 1,
      message: `Finding ${index}: ${'the layer keeps bytes it does not need at run time and they ship in every pull; '.repeat(4)}`,
      fix: `Do it in one stage, then copy the result:\n${Array.from({ length: 8 }, (_, step) => `RUN step-${step} --with a few arguments for the sketch`).join('\n')}`,
      savingsBytes: (count - index) * MB,
      savingsMetric: 'uncompressed',
      measured: true
    })
  );
}

/** The "How to shrink it" section of an image's block, up to the next section or the end of the block. */
function adviceSectionOf(markdown: string, name: string): string | null {
  const block = anatomyBlock(markdown, name);
  if (block === null || !block.includes('**How to shrink it**')) return null;
  const start = block.indexOf('**How to shrink it**');
  const end = block.slice(start).search(/\n\n\*\*(\d|The |Wasted|Leftover)/);
  return end < 0 ? block.slice(start, block.lastIndexOf('\n\n</details>')) : block.slice(start, start + end);
}

/** The list items of a section: one per finding. */
function adviceItems(section: string): string[] {
  return section.split('\n').filter((line) => line.startsWith('- **'));
}

describe('advice', () => {
  it.each<[string, Partial<Finding>, string]>([
    ['measured in a registry', { savingsBytes: 612 * MB, savingsMetric: 'compressed', measured: true }, '−612.0 MB compressed, measured'],
    ['measured in the image', { savingsBytes: 18.4 * MB, savingsMetric: 'uncompressed', measured: true }, '−18.4 MB, measured in this image'],
    ['measured, metric not given', { savingsBytes: 2 * MB, savingsMetric: null, measured: true }, '−2.0 MB, measured in this image'],
    ['estimated, compressed', { savingsBytes: 5 * MB, savingsMetric: 'compressed', measured: false }, 'about −5.0 MB compressed, estimated'],
    ['estimated', { savingsBytes: 900, savingsMetric: 'uncompressed', measured: false }, 'about −900 B, estimated'],
    ['unknown', { savingsBytes: null, savingsMetric: null, measured: false }, 'saving unknown']
  ])('the saving %s reads %p', (_, overrides, text) => {
    expect(savingsText(finding({ rule: 'r', ...overrides }))).toBe(text);
  });

  it.each<[string, string, { text: string; sketch: string | null }]>([
    ['a sentence', 'Add `--no-cache-dir`.', { text: 'Add `--no-cache-dir`.', sketch: null }],
    [
      'a sentence and a sketch',
      'Use a slim base:\nFROM python:3.12-slim\nCOPY . /app',
      { text: 'Use a slim base:', sketch: 'FROM python:3.12-slim\nCOPY . /app' }
    ],
    ['blank lines around the sketch, CRLF', 'Use it:\r\n\r\nFROM a\r\n  RUN b\r\n\r\n', { text: 'Use it:', sketch: 'FROM a\n  RUN b' }],
    ['an empty fix', '', { text: '', sketch: null }]
  ])('splits a fix: %s', (_, fix, parts) => {
    expect(splitFix(fix)).toEqual(parts);
  });

  it.each<[string, Partial<Finding>[], { compressed: number; uncompressed: number }]>([
    ['nothing', [], { compressed: 0, uncompressed: 0 }],
    [
      'alternatives for one FROM count once, the largest',
      [
        { line: 1, savingsBytes: 600 * MB, savingsMetric: 'compressed', measured: true },
        { line: 1, savingsBytes: 640 * MB, savingsMetric: 'compressed', measured: true }
      ],
      { compressed: 640 * MB, uncompressed: 0 }
    ],
    [
      'different lines add up, each metric apart',
      [
        { line: 1, savingsBytes: 600 * MB, savingsMetric: 'compressed', measured: true },
        { line: 4, savingsBytes: 18 * MB, savingsMetric: 'uncompressed', measured: true },
        { line: 12, savingsBytes: 60 * MB, savingsMetric: 'uncompressed', measured: true }
      ],
      { compressed: 600 * MB, uncompressed: 78 * MB }
    ],
    [
      'estimates and unknowns do not count',
      [
        { line: 2, savingsBytes: 9 * MB, savingsMetric: 'uncompressed', measured: false },
        { line: 3, savingsBytes: null, measured: false }
      ],
      { compressed: 0, uncompressed: 0 }
    ]
  ])('measured savings: %s', (_, findings, total) => {
    expect(measuredSavings(findings.map((overrides, index) => finding({ rule: `r${index}`, ...overrides })))).toEqual(total);
  });

  it('orders findings once, as the advise stage keeps them: measured savings largest first, then estimated ones, then those without a figure', () => {
    const findings = [
      finding({ rule: 'unknown-a' }),
      finding({ rule: 'estimated-small', savingsBytes: 1 * MB }),
      finding({ rule: 'measured-small', savingsBytes: 2 * MB, measured: true }),
      finding({ rule: 'estimated-big', savingsBytes: 900 * MB }),
      finding({ rule: 'unknown-b' }),
      finding({ rule: 'measured-big', savingsBytes: 600 * MB, savingsMetric: 'compressed', measured: true })
    ];
    expect(orderFindings(findings).map((item) => item.rule)).toEqual([
      'measured-big',
      'measured-small',
      'estimated-big',
      'estimated-small',
      'unknown-a',
      'unknown-b'
    ]);
    expect(findings.map((item) => item.rule)[0]).toBe('unknown-a');
  });

  describe('in the comment', () => {
    const markdown = renderMarkdown(mixedReport, { key: 'default' });

    it('opens the block of an image with advice with "How to shrink it": savings, line, rule, message, fix and sketch', () => {
      expect(anatomyBlock(markdown, 'web')!.split('\n')[0]).toBe('<details><summary>🔎 web — how to shrink it, layers, waste and caches</summary>');
      expect(adviceSectionOf(markdown, 'web')).toBe(
        [
          '**How to shrink it** — could save about 612.0 MB compressed and 18.4 MB uncompressed, measured',
          '',
          '- **−612.0 MB compressed, measured** · web/Dockerfile:1 · `base-slim`<br>python:3.12 → python:3.12-slim: the slim variant of the ' +
            'same version leaves out compilers, headers and docs<br>**Fix:** Build in python:3.12 and run in python:3.12-slim:',
          '  ```dockerfile',
          '  FROM python:3.12 AS build',
          '  RUN pip install --no-cache-dir --prefix=/install -r requirements.txt',
          '  FROM python:3.12-slim',
          '  COPY --from=build /install /usr/local',
          '  ```',
          '- **−18.4 MB, measured in this image** · web/Dockerfile:4 · `apt-lists-left`<br>\\`apt-get update\\` leaves the package lists in ' +
            '/var/lib/apt/lists, which ship in the layer<br>**Fix:** End the same RUN with \\`rm -rf /var/lib/apt/lists/\\*\\`.',
          '- **saving unknown** · web/Dockerfile:7 · `join-runs`<br>The RUNs at lines 7 and 9 could be one: the files line 7 makes and line 9 ' +
            'deletes would never reach a layer<br>**Fix:** Join them with \\`&amp;&amp;\\` into one RUN.'
        ].join('\n')
      );
      expect(adviceSectionOf(markdown, 'batch')).toBeNull();
    });

    it('says under the table what the measured advice adds up to', () => {
      const lines = markdown.split('\n');
      const total = lines.findIndex((line) => line.startsWith('| **Total**'));
      expect(lines.slice(total + 1, total + 3)).toEqual([
        '',
        '💡 Advice below could save about 612.0 MB compressed and 78.4 MB uncompressed (measured) across 2 images.'
      ]);
    });

    it.each<[string, Finding[], string | null]>([
      ['no advice', [], null],
      ['advice without figures', [finding({ rule: 'join-runs', line: 3 })], null],
      ['estimates only', [finding({ rule: 'x', line: 3, savingsBytes: 5 * MB })], null],
      [
        'a saving measured in the image',
        [finding({ rule: 'x', line: 3, savingsBytes: 5 * MB, savingsMetric: 'uncompressed', measured: true })],
        '💡 Advice below could save about 5.0 MB (measured) across 1 image.'
      ]
    ])('the savings line with %s', (_, findings, line) => {
      const body = renderMarkdown(reportOf([imageReport({ name: 'a', findings })]), { key: 'default' });
      const found = body.split('\n').find((text) => text.startsWith('💡')) ?? null;
      expect(found).toBe(line);
    });

    it('counts no advice of unchanged images, which are folded away', () => {
      const advice = [finding({ rule: 'x', line: 3, savingsBytes: 5 * MB, savingsMetric: 'uncompressed', measured: true })];
      const report = reportOf([imageReport({ name: 'same', status: 'unchanged', comparison: 'unchanged', findings: advice })]);
      const body = renderMarkdown(report, { key: 'default' });
      expect(body).not.toContain('💡');
      expect(body).not.toContain('How to shrink it');
    });

    it.each<[string, ImageReport, string | null]>([
      ['advice without an anatomy', bareImage({ name: 'a', layers: [], findings: sampleFindings() }), 'how to shrink it'],
      [
        'a failed build with advice',
        imageReport({ name: 'a', status: 'failed', size: null, delta: null, findings: sampleFindings() }),
        'how to shrink it'
      ],
      ['an anatomy without advice', bareImage({ name: 'a' }), 'layers'],
      ['an unchanged image with advice', imageReport({ name: 'a', status: 'unchanged', comparison: 'unchanged', findings: sampleFindings() }), null]
    ])('the block title for %s', (_, image, title) => {
      const block = anatomyBlock(renderMarkdown(reportOf([image]), { key: 'default' }), 'a');
      expect(block?.split('\n')[0] ?? null).toBe(title === null ? null : `<details><summary>🔎 a — ${title}</summary>`);
    });

    it.each<[string, Partial<ImageReport>, Partial<Finding>, string]>([
      ['a Dockerfile line', {}, { line: 3 }, ' · a/Dockerfile:3 · '],
      ['the whole image', {}, { line: null }, ' · the whole image · '],
      ['an image given by reference', { dockerfile: null, image: 'ghcr.io/acme/a:1' }, { line: 3 }, ' · line 3 · ']
    ])('names where the advice applies: %s', (_, overrides, at, where) => {
      const image = bareImage({ name: 'a', ...overrides, findings: [finding({ rule: 'x', ...at })] });
      expect(adviceItems(adviceSectionOf(renderMarkdown(reportOf([image]), { key: 'default' }), 'a')!)[0]).toContain(where);
    });

    it('shows the first 10 of many, saying so, and cuts a very long sketch with a note', () => {
      const findings = manyFindings(12);
      findings[0] = { ...findings[0]!, fix: `Use a builder:\n${Array.from({ length: 40 }, (_, index) => `RUN s${index}`).join('\n')}` };
      const section = adviceSectionOf(renderMarkdown(reportOf([bareImage({ name: 'a', findings })]), { key: 'default' }), 'a')!;
      expect(section.split('\n')[0]).toBe('**How to shrink it** — could save about 78.0 MB, measured (the first 10 of 12 shown)');
      expect(adviceItems(section)).toHaveLength(10);
      expect(section).toContain('\n  RUN s29\n  # … 10 more lines in the report output\n  ```\n');
      expect(section).not.toContain('RUN s30');
    });
  });

  describe('escaping repository and registry text in the advice', () => {
    const hostile = '</details></summary> `tick` ``two`` @octocat #12 <img src=x> a|b <!-- footprint:default --> [x](javascript:alert(1))';
    const sketch = ['FROM python:3.12-slim', '```', '</details>', '@octocat', '<!-- footprint:default -->', 'RUN a | b'].join('\n');
    const image = bareImage({
      name: 'a',
      layers: [],
      findings: [
        finding({ rule: 'base-slim', line: 1, message: hostile, fix: `${hostile}\n${sketch}`, savingsBytes: 9 * MB, measured: true }),
        finding({ rule: 'evil`rule|<b>', line: 2, message: `two\nlines ${hostile}`, fix: hostile })
      ]
    });
    const markdown = renderMarkdown(reportOf([image]), { key: 'default' });
    const section = adviceSectionOf(markdown, 'a')!;
    /** The markdown with the Dockerfile sketches taken out. */
    const outsideSketches = markdown.replace(/\n {2}(`{3,})dockerfile\n[\s\S]*?\n {2}\1\n/g, '\n');

    it('keeps one list item per finding, each on one line, and the sketch exactly, in a fence nothing closes early', () => {
      expect(adviceItems(section)).toHaveLength(2);
      const fence = /\n {2}(`{3,})dockerfile\n/.exec(section)![1]!;
      expect(fence.length).toBe(4);
      const start = section.indexOf(`  ${fence}dockerfile\n`) + fence.length + '  dockerfile\n'.length;
      const end = section.indexOf(`\n  ${fence}\n`, start);
      expect(
        section
          .slice(start, end)
          .split('\n')
          // The comment's marker is broken with a zero-width space, in a fence too.
          .map((line) => line.slice(2).replace('<\u200b!--', '<!--'))
      ).toEqual(sketch.split('\n'));
    });

    it('lets no HTML, mention, link or second marker through outside the sketch', () => {
      const live = liveText(outsideSketches);
      expect(live).not.toMatch(/<(img|script|b|a )[\s>]/i);
      expect(live).not.toMatch(/@(?!&#8203;)/);
      expect(live).not.toMatch(/(^|[^\\])\[x(^|[^\\])\]/);
      expect(live.match(/<details>/g)).toHaveLength(1);
      expect(live.match(/<\/details>/g)).toHaveLength(1);
      expect(live.match(/<\/summary>/g)).toHaveLength(1);
      expect(outsideSketches.indexOf('<!-- footprint:default -->')).toBe(0);
      expect(outsideSketches.lastIndexOf('<!-- footprint:default -->')).toBe(0);
      expect(markdown.startsWith('<!-- footprint:default -->\n')).toBe(true);
    });

    it('escapes the pipe, the backticks and the rule id', () => {
      const [first, second] = adviceItems(section);
      expect(first).toContain('a\\|b');
      expect(first).toContain('\\`tick\\` \\`\\`two\\`\\`');
      expect(second).toContain(' · ``evil`rule|<b>``<br>');
      expect(second).toContain('<br>two lines &lt;/details&gt;');
    });
  });

  describe('staying under the comment limit', () => {
    const limitText = 'the comment limit is 65,536 characters';

    it('first shows fewer pieces of advice per image, the same number in each, keeping every block whole otherwise', () => {
      const images = Array.from({ length: 7 }, (_, index) =>
        imageReport({ name: `svc-${index}`, status: index === 0 ? 'over-budget' : 'ok', findings: manyFindings(20) })
      );
      const markdown = renderMarkdown(reportOf(images), { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      const shown = Number(/the advice shows only the first (\d+) tips for each image/.exec(markdown)![1]);
      expect(shown).toBeGreaterThan(1);
      expect(shown).toBeLessThan(10);
      expect(markdown).toContain(`⚠️ Truncated (${limitText}): the advice shows only the first ${shown} tips for each image.`);
      expect(blockNames(markdown)).toHaveLength(7);
      for (const image of images) {
        const section = adviceSectionOf(markdown, image.name)!;
        expect(adviceItems(section)).toHaveLength(shown);
        expect(section.split('\n')[0]).toContain(`(the first ${shown} of 20 shown)`);
        expect(anatomyBlock(markdown, image.name)).toContain('**6 layers**');
      }
    });

    it('then drops the advice of passing images, keeping that of failing ones, before any anatomy', () => {
      const images = Array.from({ length: 100 }, (_, index) =>
        bareImage({
          name: `svc-${String(index).padStart(3, '0')}`,
          layers: [],
          status: index % 10 === 0 ? 'over-budget' : 'ok',
          findings: manyFindings(20)
        })
      );
      const markdown = renderMarkdown(reportOf(images), { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      const advised = blockNames(markdown);
      const failing = images.filter((image) => image.status === 'over-budget').map((image) => image.name);
      expect(advised.slice(0, 10)).toEqual(failing);
      expect(advised.length).toBeGreaterThan(10);
      expect(advised.length).toBeLessThan(100);
      for (const name of advised) expect(adviceItems(adviceSectionOf(markdown, name)!)).toHaveLength(1);
      expect(markdown).toContain(
        `⚠️ Truncated (${limitText}): the advice for ${100 - advised.length} images not shown; the advice shows only the first tip for each image.`
      );
      expect(mainTableNames(markdown)).toHaveLength(101);
    });

    it('with 300 images of 20 pieces of advice each, stays under the limit and keeps the marker and every failing row', () => {
      const report = reportOf(
        Array.from({ length: 300 }, (_, index) => {
          const name = `service-${String(index).padStart(4, '0')}`;
          return index % 10 === 0
            ? imageReport({ name, status: 'over-budget', reasons: [`${name} is 50.0 MB over the 250MB budget`], findings: manyFindings(20) })
            : imageReport({ name, findings: manyFindings(20) });
        })
      );
      const markdown = renderMarkdown(report, { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      expect(markdown.startsWith('<!-- footprint:default -->\n')).toBe(true);
      const failing = report.images.filter((image) => image.status === 'over-budget').map((image) => image.name);
      const names = mainTableNames(markdown);
      expect(names.slice(0, failing.length)).toEqual(failing);
      for (const name of failing) expect(markdown).toContain(`- **${name}**: ${name} is 50.0 MB over the 250MB budget`);
      const blocks = blockNames(markdown);
      expect(blocks).toEqual(failing.slice(0, blocks.length));
      const advised = blocks.filter((name) => adviceSectionOf(markdown, name) !== null);
      expect(markdown).toMatch(/⚠️ Truncated \(the comment limit is 65,536 characters\): [^\n]*the advice for [\d,]+ images not shown/);
      expect(markdown).toContain(`the advice for ${(names.length - 1 - advised.length).toLocaleString('en-US')} images not shown`);
      expect(markdown).toContain('💡 Advice below could save about');
    });
  });

  describe('annotations', () => {
    const measured = (rule: string, line: number, mb: number): Finding =>
      finding({ rule, line, savingsBytes: mb * MB, savingsMetric: 'uncompressed', measured: true });

    it('gives each finding with a line one annotation of its severity on that line, once per rule and line', () => {
      const image = bareImage({
        name: 'a',
        findings: [
          measured('apk-no-cache', 3, 5),
          measured('apk-no-cache', 3, 5),
          finding({ rule: 'apk-virtual', line: 3, severity: 'notice' }),
          finding({ rule: 'copy-all', line: null })
        ]
      });
      expect(adviceAnnotations(image)).toEqual([
        { level: 'warning', line: 3, title: 'a: apk-no-cache', message: 'apk-no-cache fired. Fix it. (−5.0 MB, measured in this image)' },
        { level: 'notice', line: 3, title: 'a: apk-virtual', message: 'apk-virtual fired. Fix it.' }
      ]);
    });

    it('annotates at most 10 findings per image, largest measured savings first', () => {
      const image = bareImage({ name: 'a', findings: Array.from({ length: 15 }, (_, index) => measured(`r${index}`, index + 1, index + 1)) });
      expect(adviceAnnotations(image).map((annotation) => annotation.line)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
    });

    it('gives the sentence of a fix with a sketch, and shows control characters as pictures', () => {
      const image = bareImage({
        name: 'a',
        findings: [
          finding({ rule: 'multi-stage', line: 1, message: 'go\u0007 toolchain', fix: 'Build in a stage:\nFROM golang AS build\nFROM scratch' })
        ]
      });
      expect(adviceAnnotations(image)[0]!.message).toBe('go␇ toolchain. Build in a stage.');
    });

    it.each<[string, Finding[], number[]]>([
      [
        'a finding measured in the image on the line drops its waste and cache warnings',
        [measured('apt-lists-left', 4, 18.4), measured('x', 7, 19.5)],
        []
      ],
      ['a finding without a figure keeps them', [finding({ rule: 'join-runs', line: 7 }), finding({ rule: 'apt-no-recommends', line: 4 })], [7, 4]],
      [
        'a base image saving keeps them',
        [finding({ rule: 'base-slim', line: 4, savingsBytes: 600 * MB, savingsMetric: 'compressed', measured: true })],
        [7, 4]
      ],
      ['a finding on another line keeps them', [measured('pip-no-cache-dir', 12, 60)], [7, 4]]
    ])('%s', (_, findings, lines) => {
      const image = imageReport({ name: 'a', findings });
      expect(warningsBesideAdvice(image).map((warning) => warning.line)).toEqual(lines);
    });

    it('annotates advice neither for unchanged images nor for images without a Dockerfile', () => {
      const report = reportOf([
        imageReport({ name: 'same', status: 'unchanged', comparison: 'unchanged', findings: sampleFindings() }),
        imageReport({ name: 'ref', dockerfile: null, image: 'ghcr.io/acme/ref:1', findings: sampleFindings() })
      ]);
      const calls: string[] = [];
      annotate(report, { error: () => calls.push('error'), warning: () => calls.push('warning'), notice: () => calls.push('notice') });
      expect(calls).toEqual([]);
    });
  });
});

describe('renderMarkdown: where the base side came from, and its history', () => {
  const SHAS = ['1111111', '2222222', '3333333'].map((short) => short.padEnd(40, 'a'));
  /** Three commits of the base branch: web grew, docs stayed, legacy was there. */
  const trend: Trend = {
    points: [90, 95, 98.8].map((web, index) => ({
      sha: SHAS[index]!,
      date: `2024-05-0${index + 1}T12:00:00.000Z`,
      images: {
        web: { bytes: web * MB, compressedBytes: null },
        docs: { bytes: 20 * MB, compressedBytes: null },
        legacy: { bytes: 50 * MB, compressedBytes: null }
      }
    }))
  };
  const STORED = { source: 'stored' as const, note: null, run: { id: 4242, url: 'https://github.com/octo/app/actions/runs/4242' } };

  /** web changed (built), docs unchanged and not rebuilt, a failed worker and a removed legacy image. */
  function historyReport(overrides: Partial<Report> = {}): Report {
    return reportOf(
      [
        imageReport({ name: 'web' }),
        imageReport({
          name: 'docs',
          status: 'unchanged',
          comparison: 'unchanged',
          size: { bytes: 20 * MB, compressedBytes: 8 * MB, dockerBytes: 20 * MB },
          base: { bytes: 20 * MB, compressedBytes: 8 * MB },
          delta: { bytes: 0, percent: 0 },
          reused: 'stored',
          reasons: ["not rebuilt: same build inputs as the base branch's stored report"]
        }),
        imageReport({
          name: 'worker',
          status: 'failed',
          size: null,
          delta: null,
          error: { message: 'docker build exited with code 1', logTail: 'make: *** No rule to make target.' },
          reasons: ['failed to build: docker build exited with code 1']
        }),
        imageReport({ name: 'legacy', status: 'removed', comparison: 'removed', size: null, delta: null, budget: null })
      ],
      { baseline: STORED, trend, ...overrides }
    );
  }

  function mermaidBlocks(markdown: string): string[] {
    return [...markdown.matchAll(/```mermaid\n[\s\S]*?\n```/g)].map((match) => match[0]);
  }

  /** The footnote under everything: the size note and where the base side came from. */
  function footnoteOf(markdown: string): string {
    return markdown.split('\n').find((line) => line.startsWith('<sub>Sizes are'))!;
  }

  describe('the footnote says where the base side came from', () => {
    it('a stored report: the workflow run that stored it, and how many images were not rebuilt', () => {
      expect(footnoteOf(renderMarkdown(historyReport(), { key: 'default' }))).toMatch(
        / Base side: the report workflow run 4242 stored for the base commit\. 1 of 2 not rebuilt: same build inputs\.<\/sub>$/
      );
    });

    it('a stored report of an unknown run', () => {
      const markdown = renderMarkdown(historyReport({ baseline: { source: 'stored', note: null, run: null } }), { key: 'default' });
      expect(footnoteOf(markdown)).toContain(' Base side: the report a workflow run stored for the base commit.');
    });

    it('published images', () => {
      const markdown = renderMarkdown(historyReport({ baseline: { source: 'published', note: null, run: null }, trend: null }), { key: 'default' });
      expect(footnoteOf(markdown)).toMatch(/ Base side: the images the base branch published\. 1 of 2 not rebuilt: same build inputs\.<\/sub>$/);
    });

    it('a worktree build: why no stored report was used', () => {
      const note = 'built from the base commit in a worktree: no stored report (the token may not read the artifacts of octo/app)';
      const report = historyReport({ baseline: { source: 'build', note, run: null }, trend: null });
      expect(footnoteOf(renderMarkdown(report, { key: 'default' }))).toContain(
        ' Base side: built from the base commit in a worktree: no stored report \\(the token may not read the artifacts of octo/app\\). 1 of 2 not rebuilt: same build inputs.</sub>'
      );
    });

    it('a worktree build with nothing to explain: only how many images were built once', () => {
      const report = reportOf([imageReport({ name: 'web' }), imageReport({ name: 'api', reused: 'same-inputs' })]);
      const footnote = footnoteOf(renderMarkdown(report, { key: 'default' }));
      expect(footnote).toMatch(/replaces\. 1 of 2 not rebuilt: same build inputs\.<\/sub>$/);
      expect(footnote).not.toContain('Base side');
    });

    it('no comparison: why not', () => {
      const note = 'not compared: no stored report of the base commit (no successful run), and the baseline input is stored';
      const report = historyReport({ baseline: { source: 'none', note, run: null }, base: null, trend: null });
      expect(footnoteOf(renderMarkdown(report, { key: 'default' }))).toContain(
        ' Base side: not compared: no stored report of the base commit \\(no successful run\\), and the baseline input is stored.'
      );
    });

    it('nothing at all when there is nothing to say', () => {
      expect(footnoteOf(renderMarkdown(allOkReport, { key: 'default' }))).not.toContain('Base side');
      expect(footnoteOf(renderMarkdown(allOkReport, { key: 'default' }))).not.toContain('not rebuilt');
    });

    it('escapes the note, which can quote GitHub and git', () => {
      const note = 'built from the base commit in a worktree: no stored report (<img src=x> @octocat see https://evil.example)';
      const footnote = footnoteOf(
        renderMarkdown(reportOf([imageReport({ name: 'web' })], { baseline: { source: 'build', note, run: null } }), { key: 'default' })
      );
      expect(footnote).not.toContain('<img');
      expect(footnote).not.toContain('@octocat');
      expect(footnote).not.toContain('https://');
      expect(footnote).toContain('&lt;img src=x&gt;');
    });
  });

  describe('an image that was not rebuilt', () => {
    it('says so under its name, in the main table', () => {
      const report = reportOf([
        imageReport({ name: 'web', reused: 'stored' }),
        imageReport({ name: 'services/api/Dockerfile', dockerfile: 'services/api/Dockerfile', reused: 'same-inputs' }),
        imageReport({ name: 'cron' })
      ]);
      expect(
        tableRows(renderMarkdown(report, { key: 'default' }))
          .map((cells) => cells[0])
          .slice(2, 5)
      ).toEqual([
        'web<br><sub>web/Dockerfile · not rebuilt</sub>',
        'services/api/Dockerfile<br><sub>not rebuilt</sub>',
        'cron<br><sub>cron/Dockerfile</sub>'
      ]);
    });

    it('says so in the folded table of unchanged images, where most of them are', () => {
      const markdown = renderMarkdown(historyReport(), { key: 'default' });
      const folded = markdown.slice(markdown.indexOf('<summary>1 unchanged image'));
      expect(tableRows(folded.slice(0, folded.indexOf('</details>')))[2]![0]).toBe('docs<br><sub>docs/Dockerfile · not rebuilt</sub>');
    });
  });

  describe('the size history', () => {
    it('charts the changed image in its folded block, and nothing else', () => {
      const markdown = renderMarkdown(historyReport(), { key: 'default' });
      const charts = mermaidBlocks(markdown);
      expect(charts).toHaveLength(1);
      const web = anatomyBlock(markdown, 'web')!;
      expect(web).toContain(charts[0]);
      expect(web.split('\n')[0]).toBe('<details><summary>🔎 web — size history, layers, waste and caches</summary>');
      expect(charts[0]).toContain('title "web: size by commit"');
      // The base branch's commits, oldest first, then this pull request.
      expect(charts[0]).toContain('x-axis ["1111111", "2222222", "3333333", "PR"]');
      expect(charts[0]).toContain('line [90, 95, 98.8, 100]');
      expect(blockNames(markdown)).toEqual(['web']);
      expect(markdown).not.toContain('size history on the base branch');
    });

    it("labels this run's point as told", () => {
      const [chart] = mermaidBlocks(renderMarkdown(historyReport(), { key: 'default', chartLabel: 'this run' }));
      expect(chart).toContain('x-axis ["1111111", "2222222", "3333333", "this run"]');
    });

    it('with charts: every, charts each image with a size and a history in a section of its own', () => {
      const markdown = renderMarkdown(historyReport(), { key: 'default', charts: 'every' });
      const start = markdown.indexOf('<details><summary>📈 size history on the base branch</summary>');
      expect(start).toBeGreaterThan(0);
      const section = markdown.slice(start, markdown.indexOf('\n</details>', start));
      const charts = mermaidBlocks(markdown);
      expect(charts).toHaveLength(2);
      for (const chart of charts) expect(section).toContain(chart);
      // The failed and the removed image have no size to put last; the folded blocks have no chart of their own.
      expect(charts.map((chart) => /title "(.*): size by commit"/.exec(chart)![1])).toEqual(['web', 'docs']);
      expect(anatomyBlock(markdown, 'web')).not.toContain('mermaid');
    });

    it('no history, no chart', () => {
      for (const charts of ['changed', 'every'] as const) {
        const markdown = renderMarkdown(historyReport({ trend: null }), { key: 'default', charts });
        expect(mermaidBlocks(markdown)).toEqual([]);
        expect(markdown).not.toContain('size history');
      }
    });

    it('an image the history does not know gets no chart: one point is no line', () => {
      const report = historyReport({ trend: { points: trend.points.map((point) => ({ ...point, images: { docs: point.images['docs']! } })) } });
      expect(mermaidBlocks(renderMarkdown(report, { key: 'default' }))).toEqual([]);
    });

    it('are the first thing given up when the comment is too long, and all else stays', () => {
      const withoutHistory = renderMarkdown(historyReport({ trend: null }), { key: 'default' });
      const withHistory = renderMarkdown(historyReport(), { key: 'default' });
      expect(withHistory.length).toBeGreaterThan(withoutHistory.length);

      const maxChars = withoutHistory.length;
      const cut = renderMarkdown(historyReport(), { key: 'default', maxChars });
      expect(mermaidBlocks(cut)).toEqual([]);
      expect(cut).toBe(renderMarkdown(historyReport({ trend: null }), { key: 'default', maxChars }));
      expect(cut).not.toContain('Truncated');
      expect(blockNames(cut)).toEqual(['web']);
      expect(anatomyBlock(cut, 'web')!.split('\n')[0]).toBe('<details><summary>🔎 web — layers, waste and caches</summary>');
      expect(cut).toContain('<details><summary>Build log: worker</summary>');
      expect(cut).toContain('<summary>1 unchanged image</summary>');
    });
  });
});
