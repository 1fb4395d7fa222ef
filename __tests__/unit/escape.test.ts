import { describe, expect, it } from '@jest/globals';
import { codeBlock, codeSpan, escapeHtml, escapeMarkdown, oneLine, visibleControls } from '../../src/report/escape.js';

describe('escapeMarkdown', () => {
  it.each([
    ['plain text stays as is', 'web', 'web'],
    ['an HTML tag becomes entities', '<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert\\(1\\)&gt;'],
    ['a closing details tag cannot close ours', '</details>', '&lt;/details&gt;'],
    ['a link is not a link', '[x](javascript:alert(1))', '\\[x\\]\\(javascript:alert\\(1\\)\\)'],
    ['an image is not an image', '![x](http://e.test/a.png)', '\\!\\[x\\]\\(http&#8203;://e.test/a.png\\)'],
    ['bold is not bold', '**bold**', '\\*\\*bold\\*\\*'],
    ['underscores in names are literal', 'my_service_name', 'my\\_service\\_name'],
    ['a mention does not notify', '@octocat', '@&#8203;octocat'],
    ['a team mention does not notify', '@org/team', '@&#8203;org/team'],
    ['an issue reference does not link', 'fixes #12', 'fixes #&#8203;12'],
    ['a pipe cannot split a table cell', 'a|b', 'a\\|b'],
    ['backticks do not start code', 'run `rm -rf /`', 'run \\`rm -rf /\\`'],
    ['the comment marker cannot be forged', '<!-- footprint:default -->', '&lt;\\!-- footprint:default --&gt;'],
    ['newlines collapse to spaces', 'line one\nline two\r\nline three\rfour', 'line one line two line three four'],
    ['tabs and control characters become spaces', 'a\tb\u0007c', 'a b c'],
    ['terminal colours are dropped', '\u001b[31mred\u001b[0m', 'red'],
    ['ampersands and quotes are entities', 'a & b "c"', 'a &amp; b &quot;c&quot;'],
    ['an existing entity is shown, not decoded', '&lt;', '&amp;lt;'],
    ['backslashes are literal', 'C:\\path', 'C:\\\\path'],
    ['a leading dash is not a list', '- item', '\\- item'],
    ['a leading plus is not a list', '+ item', '\\+ item'],
    ['a leading number is not an ordered list', '1. item', '1\\. item'],
    ['a leading hash is not a heading', '# title', '#&#8203; title'],
    ['a quote is not a block quote', '> quoted', '&gt; quoted'],
    ['strikethrough is literal', '~~gone~~', '\\~\\~gone\\~\\~'],
    ['dashes and dots inside a path stay readable', 'services/api-gw/Dockerfile.prod', 'services/api-gw/Dockerfile.prod']
  ])('%s', (_, input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it.each([
    '<img src=x onerror=alert(1)>',
    '</details><script>alert(1)</script>',
    '[x](javascript:alert(1)) @octocat #1 a|b `c` <!-- footprint:default -->\n- item',
    '@@@|||<<<>>>```'
  ])('leaves no raw HTML, line break, unescaped pipe, live mention or marker in %j', (input) => {
    const escaped = escapeMarkdown(input);
    expect(escaped).not.toMatch(/[<>\n\r]/);
    expect(escaped).not.toMatch(/(^|[^\\])\|/);
    expect(escaped).not.toMatch(/(^|[^\\])`/);
    expect(escaped).not.toMatch(/@(?!&#8203;)/);
    expect(escaped).not.toMatch(/#(?!&#8203;|8203;)/);
    expect(escaped).not.toContain('<!--');
  });

  it('cuts very long text to maxLength characters, ending in an ellipsis', () => {
    const escaped = escapeMarkdown('a'.repeat(10_000), { maxLength: 200 });
    expect(escaped).toBe(`${'a'.repeat(199)}…`);
  });

  it('cuts before escaping, so an entity or escape is never split', () => {
    const escaped = escapeMarkdown('<'.repeat(50), { maxLength: 10 });
    expect(escaped).toBe(`${'&lt;'.repeat(9)}…`);
  });

  it('does not split a character outside the basic plane', () => {
    expect(escapeMarkdown('🐳'.repeat(10), { maxLength: 4 })).toBe('🐳🐳🐳…');
  });

  it('keeps long text whole without maxLength', () => {
    expect(escapeMarkdown('x'.repeat(100_000))).toHaveLength(100_000);
  });
});

describe('escapeHtml', () => {
  it.each([
    ['tags become entities', '<b>x</b>', '&lt;b&gt;x&lt;/b&gt;'],
    ['a closing summary tag cannot close ours', '</summary></details>', '&lt;/summary&gt;&lt;/details&gt;'],
    ['Markdown punctuation is left alone (HTML does not parse it)', 'my_service *x*', 'my_service *x*'],
    ['quotes are entities', `"a" 'b'`, '&quot;a&quot; &#39;b&#39;'],
    ['a mention does not notify', '@octocat', '@&#8203;octocat'],
    ['an issue reference does not link', '#42', '#&#8203;42'],
    ['newlines collapse', 'a\nb', 'a b']
  ])('%s', (_, input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });
});

/** Where a fenced block opened by `fence` closes, following CommonMark: up to 3 spaces, a run at least as long, then only spaces. */
function closingLine(lines: string[], fence: string): number {
  return lines.findIndex((line, index) => {
    if (index === 0) return false;
    const match = /^ {0,3}(`+)[ \t]*$/.exec(line);
    return match !== null && match[1]!.length >= fence.length;
  });
}

describe('codeBlock', () => {
  it.each([
    ['a plain log', 'Step 1/2 : FROM alpine\nStep 2/2 : RUN make', 3],
    ['a log with a three-backtick fence inside', 'before\n```\nrm -rf /\n```\nafter', 4],
    ['a log with an indented fence inside', 'a\n   ````\nb', 5],
    ['a log with a long backtick run', `x ${'`'.repeat(8)} y`, 9],
    ['a log trying to close details and forge the marker', '</details>\n<!-- footprint:x -->\n@octocat #1', 3],
    ['an empty log', '', 3]
  ])('%s: the fence is longer than any backtick run and only the last line closes it', (_, log, fenceLength) => {
    const block = codeBlock(log, 'text');
    const lines = block.split('\n');
    const fence = '`'.repeat(fenceLength);
    expect(lines[0]).toBe(`${fence}text`);
    expect(closingLine(lines, fence)).toBe(lines.length - 1);
    expect(lines[lines.length - 1]).toBe(fence);
  });

  it('keeps the log verbatim between the fences (GitHub renders no HTML or mention inside), but for the marker', () => {
    const log = '</details>\n<!-- footprint:x -->\n@octocat';
    expect(codeBlock(log)).toBe(`\`\`\`\n${log.replace('<!--', '<\u200b!--')}\n\`\`\``);
  });

  it('normalises line endings, drops terminal colours and trailing newlines', () => {
    expect(codeBlock('\u001b[1ma\u001b[0m\r\nb\rc\n\n')).toBe('```\na\nb\nc\n```');
  });

  it('keeps only word characters in the language', () => {
    expect(codeBlock('x', 'te`xt\n').split('\n')[0]).toBe('```text');
  });
});

describe('visibleControls', () => {
  it.each([
    ['plain text stays as is', '/usr/lib/x.so', '/usr/lib/x.so'],
    ['a newline becomes a picture', 'a\nb', 'a␊b'],
    ['tab, carriage return and escape become pictures', '\t\r\u001b[31m', '␉␍␛[31m'],
    ['NUL and DEL become pictures', '\u0000\u007f', '␀␡'],
    ['C1 controls become a replacement character', 'a\u0085b\u009bc', 'a�b�c'],
    ['bidirectional overrides cannot reorder the text', 'evil\u202egnp.exe', 'evil�gnp.exe'],
    ['spaces, quotes and non-ASCII stay', ' "it\'s" café 日本 ', ' "it\'s" café 日本 ']
  ])('%s', (_, input, expected) => {
    expect(visibleControls(input)).toBe(expected);
  });
});

describe('oneLine', () => {
  it.each([
    [
      'line continuations and indentation collapse',
      'RUN apt-get update \\\n    && apt-get install -y curl',
      'RUN apt-get update \\ && apt-get install -y curl'
    ],
    ['tabs and colours go', '\tRUN\u001b[1m make\u001b[0m\t', 'RUN make'],
    ['a heredoc reads as one line', 'RUN <<EOF\nset -e\nmake\nEOF', 'RUN <<EOF set -e make EOF']
  ])('%s', (_, input, expected) => {
    expect(oneLine(input)).toBe(expected);
  });
});

describe('codeSpan', () => {
  it.each([
    ['plain text', 'RUN make', {}, '`RUN make`'],
    ['a backtick inside takes a longer fence', 'echo `date` now', {}, '``echo `date` now``'],
    ['a backtick at the end is padded away from the fence', 'echo `date`', {}, '`` echo `date` ``'],
    ['a double backtick run takes a triple fence', 'a``b', {}, '```a``b```'],
    ['a backtick at the start is padded away from the fence', '`x', {}, '`` `x ``'],
    ['spaces at both ends are padded so they stay', ' x ', {}, '`  x  `'],
    ['a space at one end needs no padding', ' x', {}, '` x`'],
    ['only spaces stay as they are', '   ', {}, '`   `'],
    ['HTML and mentions are literal inside', '</details> @octocat #1', {}, '`</details> @octocat #1`'],
    ['the marker is broken with a zero-width space', '<!-- footprint:default -->', {}, '`<\u200b!-- footprint:default -->`'],
    ['a newline shows as a picture', 'a\nb', {}, '`a␊b`'],
    ['a pipe is escaped in a table', 'a|b', { inTable: true }, '`a\\|b`'],
    ['a pipe is left alone outside a table', 'a|b', {}, '`a|b`'],
    ['a backslash before a pipe keeps its own', 'a\\|b', { inTable: true }, '`a\\\\|b`'],
    ['long text is cut', 'abcdefghij', { maxLength: 5 }, '`abcd…`'],
    ['empty text gives nothing', '', {}, '']
  ])('%s', (_, input, options, expected) => {
    expect(codeSpan(input, options)).toBe(expected);
  });

  it.each(['`', '``', 'a`', '`a`', '```a````b', ' ` ', '|`|'])('no backtick run inside %j is as long as the fence', (input) => {
    const span = codeSpan(input, { inTable: true });
    const fence = /^`+/.exec(span)![0];
    expect(span.endsWith(fence)).toBe(true);
    const inner = span.slice(fence.length, -fence.length);
    for (const run of inner.match(/`+/g) ?? []) expect(run.length).not.toBe(fence.length);
    expect(inner).not.toMatch(/(^|[^\\])\|/);
  });
});

describe('links and invisible characters in repository text', () => {
  const Z = '&#8203;';
  it.each([
    ['a URL does not link', 'see https://evil.example/x', `see https${Z}://evil.example/x`],
    ['nor in capitals, nor ftp', 'HTTP://A.EXAMPLE ftp://f.example', `HTTP${Z}://A.EXAMPLE ftp${Z}://f.example`],
    ['a www. domain does not link', 'www.evil.example', `www${Z}.evil.example`],
    ['a GH- reference does not link', 'fixes GH-7', `fixes GH-${Z}7`],
    ['an owner/repo#7 reference does not link', 'octo/repo#7', `octo/repo#${Z}7`],
    ['a commit SHA does not link', 'a5c3785ed8d6a3', `a5c378${Z}5ed8d6${Z}a3`],
    ['a word with hex letters in it is left alone', 'deadbeefy abcdef', 'deadbeefy abcdef'],
    ['a 64-digit digest is no commit SHA', 'f'.repeat(64), 'f'.repeat(64)],
    ['a bidirectional override shows as �', 'evil\u202egnp.exe', 'evil\ufffdgnp.exe'],
    ['isolates and marks show as �', '\u2066a\u2069\u200e\u200f\u061c', '\ufffda\ufffd\ufffd\ufffd\ufffd'],
    ['zero-width characters show as �', 'a\u200bb\u200cc\u200dd\u2060e\ufeff', 'a\ufffdb\ufffdc\ufffdd\ufffde\ufffd']
  ])('escapeMarkdown: %s', (_title, input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it('escapeHtml breaks links the same way', () => {
    expect(escapeHtml('https://e.example www.e.example GH-1 a5c3785 \u202e')).toBe(
      `https${Z}://e.example www${Z}.e.example GH-${Z}1 a5c378${Z}5 \ufffd`
    );
  });

  it('code spans and blocks keep URLs (GitHub links none there) but show bidirectional and zero-width characters', () => {
    expect(codeSpan('https://e.example/\u202ex\u200d')).toBe('`https://e.example/\ufffdx\ufffd`');
    expect(codeBlock('curl https://e.example\n\u2067x\ufeff')).toBe('```\ncurl https://e.example\n\ufffdx\ufffd\n```');
  });
});
