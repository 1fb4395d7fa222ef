/**
 * Property: whatever a repository names its images, paths, Dockerfile lines and
 * error messages, the comment (renderMarkdown) and the CLI table (renderTerminal)
 * show it without a link, an HTML tag, a mention or reference GitHub would link,
 * a bidirectional or zero-width character, or a second copy of the comment's marker.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import type { ImageReport, Report } from '../../src/model/report.js';
import { finding, imageReport, reportOf, sampleLayers, sampleWaste } from '../support/report-fixtures.js';

const MARKER = '<!-- footprint:default -->';
/** The fixture's base commit, which the summary shows (and GitHub links) on purpose. */
const BASE_SHA = '0123456789abcdef0123456789abcdef01234567';

/** Pieces of hostile text; the generator joins them in any order, with random text between. */
const PIECES = [
  'https://evil.example/x',
  'http://a.example',
  'HTTPS://EVIL.EXAMPLE/a?b=c',
  'ftp://files.example',
  'www.evil.example',
  'WWW.Evil.example/path',
  'www.',
  'mailto:a@b.example',
  'xmpp:a@b.example',
  'user@evil.example',
  '@octocat',
  '@org/team',
  '#7',
  'GH-7',
  'gh-12',
  'octo/repo#7',
  'octo/repo@a5c3785ed8d6a35868bc169f07e40e889087fd2e',
  'a5c3785',
  'a5c3785ed8d6a35868bc169f07e40e889087fd2e',
  'DEADBEEF1',
  '\u202e',
  '\u202a',
  '\u202d',
  '\u2066',
  '\u2067',
  '\u2069',
  '\u200e',
  '\u200f',
  '\u061c',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '<img src=x onerror=alert(1)>',
  '<a href="https://evil.example">x</a>',
  '<script>alert(1)</script>',
  '</summary></details>',
  '<picture>',
  '</td></tr></table>',
  MARKER,
  '<!--',
  '-->',
  '[x](https://evil.example)',
  '![x](http://e.test/a.png)',
  '<https://evil.example>',
  '[x]: https://evil.example',
  '`',
  '``',
  '```',
  '|',
  '\\',
  '*',
  '_',
  '~',
  '\n',
  '\r\n',
  ' ',
  '-',
  '1.',
  '&amp;',
  '&#58;',
  '&#x3a;',
  ':',
  '//',
  '.',
  '(',
  ')',
  '\u001b[31m',
  '\u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007'
];

const hostile = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 10 })
  .map((parts) => parts.join(''));

/** Hostile text in every field that comes from the repository. */
const hostileImage = fc
  .record({
    name: hostile,
    dockerfile: hostile,
    reason: hostile,
    message: hostile,
    fix: hostile,
    rule: hostile,
    path: hostile,
    cache: hostile,
    kind: hostile,
    instruction: hostile,
    error: hostile,
    log: hostile,
    baseError: hostile,
    failed: fc.boolean()
  })
  .map((text) => ({
    text,
    build: (index: number): ImageReport => {
      const name = `${index}${text.name}`;
      const common = {
        name,
        dockerfile: text.dockerfile,
        reasons: [text.reason],
        baseError: { message: text.baseError }
      } as Partial<ImageReport>;
      if (text.failed) {
        return imageReport({
          ...common,
          name,
          status: 'failed',
          size: null,
          delta: null,
          error: { message: text.error, logTail: text.log }
        });
      }
      const [first, ...rest] = sampleLayers();
      return imageReport({
        ...common,
        name,
        status: 'over-budget',
        layers: [{ ...first!, instruction: text.instruction }, ...rest],
        wasted: { ...sampleWaste(), paths: sampleWaste().paths.map((path, i) => (i === 0 ? { ...path, path: text.path } : path)) },
        caches: [{ path: text.cache, kind: text.kind as 'apt', bytes: 18e6, files: 4, line: 4, fromBase: false }],
        findings: [
          finding({ rule: text.rule, line: 4, message: text.message, fix: text.fix, savingsBytes: 9e6, measured: true }),
          finding({ rule: 'join-runs', line: 7, message: text.message, fix: `${text.fix}\nFROM scratch\n${text.instruction}` })
        ]
      });
    }
  }));

const hostileReport = fc
  .record({ images: fc.array(hostileImage, { minLength: 1, maxLength: 3 }), baseError: fc.option(hostile), ref: hostile })
  .map(({ images, baseError, ref }): Report => {
    const report = reportOf(images.map((image, index) => image.build(index)));
    return baseError === null ? { ...report, base: { ref, sha: BASE_SHA } } : { ...report, base: null, baseError };
  });

/** Bidirectional (embeddings, overrides, isolates, marks) and zero-width characters. */
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;

/**
 * The Markdown that GitHub parses for inline content: fenced code blocks and code
 * spans taken out (GitHub neither links nor renders HTML inside them), the way
 * CommonMark finds them: a backslash escapes the next character, and a span ends at
 * the next backtick run of the same length.
 */
function outsideCode(markdown: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const opener = /^ {0,3}(`{3,})/.exec(line);
    if (fence !== null) {
      if (opener && opener[1]!.length >= fence.length && /^ *`+ *$/.test(line)) fence = null;
      continue;
    }
    if (opener) {
      fence = opener[1]!;
      continue;
    }
    let text = '';
    for (let i = 0; i < line.length;) {
      if (line[i] === '\\') {
        text += line.slice(i, i + 2);
        i += 2;
        continue;
      }
      const run = /^`+/.exec(line.slice(i));
      if (!run) {
        text += line[i];
        i++;
        continue;
      }
      const length = run[0].length;
      const close = new RegExp(`(?<!\`)\`{${length}}(?!\`)`, 'g');
      close.lastIndex = i + length;
      const end = close.exec(line);
      if (end) {
        text += ' CODE ';
        i = end.index + length;
      } else {
        text += run[0];
        i += length;
      }
    }
    out.push(text);
  }
  return out.join('\n');
}

/** The text GitHub's reference and mention filters see: entities decoded, backslash escapes gone. */
function rendered(markdown: string): string {
  return markdown
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(parseInt(code, 16)))
    .replace(/&(lt|gt|quot|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', amp: '&' })[name] as string);
}

function expectNoLink(text: string): void {
  // GFM's extended autolinks: a scheme and `://`, or `www.`.
  expect(text).not.toMatch(/[a-z]:\/\//i);
  expect(text).not.toMatch(/www\./i);
}

describe('repository text in the comment and the terminal (property)', () => {
  it('never becomes a link, a tag, a mention or reference, an invisible character or a second marker in the comment', () => {
    fc.assert(
      fc.property(hostileReport, (report) => {
        const markdown = renderMarkdown(report, { key: 'default' });

        // One marker, the first line; the only zero-width character is the one that breaks a `<!--` in code.
        expect(markdown.startsWith(`${MARKER}\n`)).toBe(true);
        expect(markdown.indexOf('<!-- footprint', 1)).toBe(-1);
        expect(markdown.replaceAll('<\u200b!--', '')).not.toMatch(INVISIBLE);

        const live = outsideCode(markdown.slice(MARKER.length));
        // No link: no Markdown link or image (outside the HTML blocks, where Markdown is not parsed), no anchor, no autolink.
        const markdownLines = live.split('\n').filter((line) => !line.startsWith('<details>'));
        expect(markdownLines.join('\n')).not.toMatch(/(?<!\\)\]\(/);
        expect(live).not.toMatch(/<a[\s>]/i);
        // No tag from the input: the only tags are the comment's own, and they pair up.
        expect(live).not.toMatch(/<(?!\/?(details|summary|sub|br)>)/);
        for (const tag of ['details', 'summary', 'sub']) {
          expect(live.split(`<${tag}>`).length).toBe(live.split(`</${tag}>`).length);
        }

        const text = rendered(live.replace(`(${BASE_SHA.slice(0, 7)})`, ''));
        expectNoLink(text);
        expect(text).not.toMatch(/@[\w-]/);
        expect(text).not.toMatch(/#\d/);
        expect(text).not.toMatch(/gh-\d/i);
        expect(text).not.toMatch(/(?<![0-9a-z_])[0-9a-f]{7,40}(?![0-9a-z_])/i);
      }),
      { numRuns: 300 }
    );
  });

  it('never shows a link, a terminal escape or an invisible character in the terminal', () => {
    fc.assert(
      fc.property(hostileReport, (report) => {
        const text = renderTerminal(report, { color: false });
        expectNoLink(text);
        expect(text).not.toMatch(INVISIBLE);
        // eslint-disable-next-line no-control-regex -- control characters are what this looks for
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      }),
      { numRuns: 300 }
    );
  });
});
