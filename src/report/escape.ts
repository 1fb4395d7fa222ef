import { stripVTControlCharacters } from 'node:util';

/**
 * Everything that comes from the repository (image names, paths, refs, error
 * messages, build output) is untrusted text: it must show as written and never
 * become a link, an image, a mention, HTML, or a copy of the comment's marker.
 */

/** A zero-width space as an HTML entity: breaks `@name` and `#123` so GitHub neither notifies nor links. */
const ZERO_WIDTH = '&#8203;';

/** Where a link would start, the escapers put this character, which they then write as {@link ZERO_WIDTH}. */
const BREAK = '\u200b';

/**
 * Characters that reorder the text around them (bidirectional embeddings,
 * overrides, isolates and marks) or hide in it (zero-width spaces and joiners,
 * the word joiner, invisible operators, the byte order mark): from the
 * repository they show as `\ufffd`, so a name reads as it is stored.
 */
const INVISIBLE = /[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

/** Bidirectional and zero-width characters made visible as `\ufffd`. */
export function visibleInvisibles(text: string): string {
  return text.replace(INVISIBLE, '\ufffd');
}

/**
 * Text GitHub would turn into a link, broken with {@link BREAK} where it shows
 * nothing: before the `://` of a URL (GFM links `http://`, `https://`, `ftp://`
 * after letters), after the `www` of `www.` (GFM links `www.` + a domain), after
 * `GH-` before an issue number, and a word that could be a commit SHA (7 to 40
 * hex digits) into runs of six. `@` (mentions, e-mail and `mailto:`
 * links, `user@sha`) and `#` (`#7`, `owner/repo#7`) are broken where they are escaped.
 * GitHub finds URLs in the Markdown source and references in the rendered
 * text, after entities are decoded; a zero-width space stops both.
 */
function breakLinks(text: string): string {
  return text
    .replace(/(?<![0-9a-z_])[0-9a-f]{7,40}(?![0-9a-z_])/gi, (run) => (run.match(/[0-9a-f]{1,6}/gi) ?? [run]).join(BREAK))
    .replace(/:\/\//g, `${BREAK}://`)
    .replace(/(www)(?=\.)/gi, `$1${BREAK}`)
    .replace(/(gh-)(?=\d)/gi, `$1${BREAK}`);
}

/** Cuts to `maxLength` code points (never inside a surrogate pair) and marks the cut with `…`. */
function shorten(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const points = Array.from(text);
  return points.length <= maxLength ? text : `${points.slice(0, Math.max(0, maxLength - 1)).join('')}…`;
}

/** One line: newlines and other control characters become spaces, terminal colour codes go. */
function singleLine(text: string): string {
  return (
    stripVTControlCharacters(text)
      .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
      // eslint-disable-next-line no-control-regex -- control characters are what this removes
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
      .replace(/\t/g, ' ')
  );
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function inlineReplacement(char: string): string {
  if (char === BREAK) return ZERO_WIDTH;
  if (char === '@' || char === '#') return `${char}${ZERO_WIDTH}`;
  return ENTITIES[char] ?? `\\${char}`;
}

/**
 * Every byte of a path stays visible: C0 controls become their Unicode control
 * pictures (a newline reads `␊`), DEL `␡`, C1 controls, the bidirectional
 * characters that could reorder the text around them and the zero-width ones
 * that hide in it `�`. Nothing else changes.
 */
export function visibleControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this makes visible
  const pictured = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    return code === 0x7f ? '\u2421' : '\ufffd';
  });
  return visibleInvisibles(pictured);
}

/** An instruction on one line: whitespace runs (line continuations, heredocs, tabs) become one space. */
export function oneLine(text: string): string {
  return stripVTControlCharacters(text).replace(/\s+/g, ' ').trim();
}

export interface EscapeOptions {
  /** Longest text kept, in characters, before escaping; longer text ends in `…`. */
  maxLength?: number;
}

/**
 * Untrusted text for inline Markdown (a table cell, a bullet, bold text): one
 * line, HTML entities for `& < > "`, backslashes before Markdown punctuation,
 * `@`/`#` broken so they neither mention nor link, URLs and references broken
 * so they do not link, bidirectional and zero-width characters shown as `�`.
 */
export function escapeMarkdown(text: string, options: EscapeOptions = {}): string {
  const line = breakLinks(shorten(visibleInvisibles(singleLine(text)), options.maxLength ?? Number.POSITIVE_INFINITY));
  // One pass, character by character, so the `&` and `#` of an entity added for
  // one character are never escaped again for another.
  const escaped = line.replace(/[\\`*_{}[\]()!|~&<>"@#\u200b]/g, inlineReplacement);
  // `+`, `-`, `=` and `1.` only start a list or heading at the start of a line.
  return escaped.replace(/^(\s*)([+\-=])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/**
 * Untrusted text inside raw HTML such as `<summary>`, where Markdown is not
 * parsed (backslashes would show) but GitHub still links mentions, references
 * and URLs: broken as in {@link escapeMarkdown}.
 */
export function escapeHtml(text: string, options: EscapeOptions = {}): string {
  const line = breakLinks(shorten(visibleInvisibles(singleLine(text)), options.maxLength ?? Number.POSITIVE_INFINITY));
  return line.replace(/[&<>"'@#\u200b]/g, (char) => (char === BREAK ? ZERO_WIDTH : (ENTITIES[char] ?? `${char}${ZERO_WIDTH}`)));
}

/**
 * A fenced code block for build logs. GitHub renders neither HTML, links nor
 * mentions inside one, so the only way out is a closing fence: the fence is one
 * backtick longer than the longest backtick run in the text, which no line can
 * close. Bidirectional and zero-width characters show as `�`, and the comment's
 * marker is broken as in {@link codeSpan}.
 */
export function codeBlock(text: string, language = ''): string {
  const body = visibleInvisibles(stripVTControlCharacters(text)).replace(/\r\n?/g, '\n').replace(/\n+$/, '').replace(/<!--/g, '<\u200b!--');
  let longestRun = 0;
  for (const match of body.matchAll(/`+/g)) longestRun = Math.max(longestRun, match[0].length);
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  // The info string may not contain backticks; the language is ours, but be strict anyway.
  const info = language.replace(/[^\w+-]/g, '');
  return `${fence}${info}\n${body}\n${fence}`;
}

export interface CodeSpanOptions extends EscapeOptions {
  /** In a table cell, where `|` would end the cell even inside a code span; GitHub reads `\\|` there as a plain `|`. */
  inTable?: boolean;
}

/**
 * Untrusted text as an inline code span, shown exactly (control characters as
 * pictures): GitHub renders neither HTML, links nor mentions inside one, so the
 * only ways out are a backtick run as long as the fence, which the fence
 * outgrows, and, in a table, a `|`, which is escaped. The comment's marker is
 * broken with a zero-width space so the body never carries a second copy.
 * Empty text gives an empty string.
 */
export function codeSpan(text: string, options: CodeSpanOptions = {}): string {
  let body = shorten(visibleControls(text), options.maxLength ?? Number.POSITIVE_INFINITY).replace(/<!--/g, '<\u200b!--');
  if (body === '') return '';
  if (options.inTable) body = body.replace(/\|/g, '\\|');
  let longestRun = 0;
  for (const match of body.matchAll(/`+/g)) longestRun = Math.max(longestRun, match[0].length);
  const fence = '`'.repeat(longestRun + 1);
  // A code span drops one space from each end when both ends have one, and a
  // backtick at either end would join the fence: pad both ends with a space then.
  const pad = body.trim() !== '' && (/^`|`$/.test(body) || (body.startsWith(' ') && body.endsWith(' ')));
  return pad ? `${fence} ${body} ${fence}` : `${fence}${body}${fence}`;
}
