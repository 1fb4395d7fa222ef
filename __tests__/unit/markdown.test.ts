import { describe, expect, it } from '@jest/globals';
import { UserError } from '../../src/errors.js';
import { baseLabel, budgetText, changeText, commentMarker, renderMarkdown, verdict } from '../../src/report/markdown.js';
import type { Report } from '../../src/report/types.js';
import {
  allOkReport,
  hugeLogReport,
  imageReport,
  manyImagesReport,
  mixedReport,
  reportOf
} from '../support/report-fixtures.js';

const MB = 1e6;

/** The table rows of a rendering, split into cells on the pipes that are not escaped. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| '))
    .map((line) => line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
}

/** The first cell of the main table's rows, without the dockerfile line. */
function mainTableNames(markdown: string): string[] {
  const main = markdown.split('<details>')[0]!;
  return tableRows(main)
    .slice(1)
    .map((cells) => cells[0]!.replace(/<br>.*$/, ''))
    .filter((name) => name !== ':---');
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
        'total 625.0 MB · +17.4 MB vs base main (0123456)'
    );
  });

  it('lists failing images first, then the rest in report order, with unchanged ones folded', () => {
    expect(mainTableNames(body)).toEqual(['api', 'worker', 'batch', 'web', 'cron', 'legacy', '**Total** (7 images)']);
    expect(body).toContain('<details><summary>1 unchanged image</summary>');
    const folded = body.slice(body.indexOf('<summary>1 unchanged image'));
    expect(tableRows(folded.slice(0, folded.indexOf('</details>')))).toEqual([
      ['Image', 'Size', 'Budget'],
      [':---', '---:', '---:'],
      ['docs<br><sub>docs/Dockerfile</sub>', '20.0 MB', '250.0 MB (8%)']
    ]);
  });

  it('fills every column of the main table, ending with the totals', () => {
    const rows = tableRows(body.split('<details>')[0]!);
    expect(rows[0]).toEqual(['Image', 'Size', 'Change vs base', 'Budget', 'Status']);
    expect(rows.slice(2)).toEqual([
      ['api<br><sub>api/Dockerfile</sub>', '275.0 MB', '+35.0 MB (+14.6%)', '250.0 MB (111%)', '❌ **over budget**'],
      ['worker<br><sub>worker/Dockerfile</sub>', '—', '—', '250.0 MB', '💥 **failed**'],
      ['batch<br><sub>batch/Dockerfile</sub>', '130.0 MB', '+30.0 MB (+30.0%)', '250.0 MB (52%)', '❌ **over increase**'],
      ['web<br><sub>web/Dockerfile</sub>', '100.0 MB', '+1.2 MB (+1.2%)', '250.0 MB (40%)', '✅ ok'],
      ['cron<br><sub>cron/Dockerfile</sub>', '100.0 MB', 'new', '250.0 MB (40%)', '🆕 new'],
      ['legacy<br><sub>legacy/Dockerfile</sub>', '—', 'removed', '—', '🗑️ removed'],
      ['**Total** (7 images)', '**625.0 MB**', '**+17.4 MB**', '', '']
    ]);
  });

  it('gives the reasons of each failing image, the build log of the failed one, then the size note and the footer', () => {
    const tail = body.slice(body.lastIndexOf('</details>\n\n- ') + '</details>\n\n'.length);
    expect(tail).toBe(
      [
        '- **api**: 275\\.0 MB is 25.0 MB over the 250MB budget',
        '- **worker**: the image could not be built: docker build exited with code 1',
        '- **batch**: grew 30.0 MB \\(+30.0%\\), more than the 10% allowed',
        '',
        '<details><summary>Build log: worker</summary>',
        '',
        '```text',
        'Step 3/5 : RUN make',
        'make: *** No rule to make target. Stop.',
        '```',
        '',
        '</details>',
        '',
        '<sub>Sizes are uncompressed bytes, as `docker images` shows them.</sub>',
        '',
        '<sub>Commit abc1234 · measured by footprint</sub>',
        ''
      ].join('\n')
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
    expect(markdown).toContain(
      "\n- **web**: the base branch's build failed, so there is no change to show: RUN exited with 2 &lt;see log&gt;\n"
    );
  });

  it('says so when there is nothing to measure, without a table', () => {
    const markdown = renderMarkdown(reportOf([]), { key: 'default' });
    expect(markdown).toContain('✅ **No images to measure** · total 0 B');
    expect(tableRows(markdown)).toEqual([]);
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

    it('keeps every table row at five cells', () => {
      for (const cells of tableRows(markdown)) expect(cells).toHaveLength(5);
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
    it.each<[string, Parameters<typeof imageReport>[0], string]>([
      ['within', { name: 'a', size: size(97 * MB) }, '250.0 MB (38%)'],
      ['just under never reads 100%', { name: 'a', size: size(249.9 * MB) }, '250.0 MB (99%)'],
      ['just over never reads 100%', { name: 'a', size: size(250.1 * MB) }, '250.0 MB (101%)'],
      [
        'a compressed budget uses the compressed size',
        { name: 'a', size: size(500 * MB, 100 * MB), budget: { bytes: 200 * MB, metric: 'compressed', source: '200MB' } },
        '200.0 MB compressed (50%)'
      ],
      ['no size', { name: 'a', size: null }, '250.0 MB'],
      ['no budget', { name: 'a', budget: null }, '—']
    ])('budget %s', (_, overrides, expected) => {
      expect(budgetText(imageReport(overrides))).toBe(expected);
    });
  });

  describe('staying under the comment limit', () => {
    const note = (count: string) =>
      `⚠️ Truncated: ${count} not shown (the comment limit is 65,536 characters); see the job summary or the report output.`;

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
      expect(markdown).toContain(note(`${(2000 - listed).toLocaleString('en-US')} images`));
      expect(markdown).not.toContain('unchanged image');
    });

    it('drops only the build logs that do not fit, last first', () => {
      const markdown = renderMarkdown(hugeLogReport(3, 28_000), { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      expect(markdown).toContain('Build log: broken-0');
      expect(markdown).toContain('Build log: broken-1');
      expect(markdown).not.toContain('Build log: broken-2');
      expect(markdown).toContain(note('1 build log'));
      expect(mainTableNames(markdown)).toEqual(['broken-0', 'broken-1', 'broken-2', 'web', '**Total** (4 images)']);
    });

    it('drops build logs bigger than the whole comment, keeping every row', () => {
      const markdown = renderMarkdown(hugeLogReport(2, 1_000_000), { key: 'default' });
      expect(markdown.length).toBeLessThanOrEqual(65536);
      expect(markdown).not.toContain('Build log:');
      expect(markdown).toContain(note('2 build logs'));
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
        `⚠️ Truncated: ${400 - shown} images not shown, ${200 - shown} of them failing (the comment limit is 6,000 characters)`
      );
    });

    it('keeps the marker and the verdict even when the footer alone is too long', () => {
      const markdown = renderMarkdown(mixedReport, { key: 'default', maxChars: 1000, footer: 'x'.repeat(5000) });
      expect(markdown.length).toBeLessThanOrEqual(1000);
      expect(markdown.split('\n').slice(0, 2)).toEqual([
        '<!-- footprint:default -->',
        expect.stringContaining('3 of 7 images fail the size check')
      ]);
    });

    it('leaves a body that fits untouched', () => {
      expect(renderMarkdown(mixedReport, { key: 'default' })).not.toContain('Truncated');
    });
  });
});
