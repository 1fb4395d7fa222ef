import { stripVTControlCharacters } from 'node:util';

/**
 * Everything that comes from the repository (image names, paths, refs, error
 * messages, build output) is untrusted text: it must show as written and never
 * become a link, an image, a mention, HTML, or a copy of the comment's marker.
 */

/** A zero-width space as an HTML entity: breaks `@name` and `#123` so GitHub neither notifies nor links. */
const ZERO_WIDTH = '&#8203;';

/** Cuts to `maxLength` code points (never inside a surrogate pair) and marks the cut with `…`. */
function shorten(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const points = Array.from(text);
  return points.length <= maxLength ? text : `${points.slice(0, Math.max(0, maxLength - 1)).join('')}…`;
}

/** One line: newlines and other control characters become spaces, terminal colour codes go. */
function singleLine(text: string): string {
  return stripVTControlCharacters(text)
    .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ')
    .replace(/\t/g, ' ');
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function inlineReplacement(char: string): string {
  if (char === '@' || char === '#') return `${char}${ZERO_WIDTH}`;
  return ENTITIES[char] ?? `\\${char}`;
}

export interface EscapeOptions {
  /** Longest text kept, in characters, before escaping; longer text ends in `…`. */
  maxLength?: number;
}

/**
 * Untrusted text for inline Markdown (a table cell, a bullet, bold text): one
 * line, HTML entities for `& < > "`, backslashes before Markdown punctuation, and
 * `@`/`#` broken so they neither mention nor link.
 */
export function escapeMarkdown(text: string, options: EscapeOptions = {}): string {
  const line = shorten(singleLine(text), options.maxLength ?? Number.POSITIVE_INFINITY);
  // One pass, character by character, so the `&` and `#` of an entity added for
  // one character are never escaped again for another.
  const escaped = line.replace(/[\\`*_{}[\]()!|~&<>"@#]/g, inlineReplacement);
  // `+`, `-`, `=` and `1.` only start a list or heading at the start of a line.
  return escaped.replace(/^(\s*)([+\-=])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/**
 * Untrusted text inside raw HTML such as `<summary>`, where Markdown is not
 * parsed (backslashes would show) but GitHub still links mentions and references.
 */
export function escapeHtml(text: string, options: EscapeOptions = {}): string {
  const line = shorten(singleLine(text), options.maxLength ?? Number.POSITIVE_INFINITY);
  return line.replace(/[&<>"'@#]/g, (char) => ENTITIES[char] ?? `${char}${ZERO_WIDTH}`);
}

/**
 * A fenced code block for build logs. GitHub renders neither HTML nor mentions
 * inside one, so the only way out is a closing fence: the fence is one backtick
 * longer than the longest backtick run in the text, which no line can close.
 */
export function codeBlock(text: string, language = ''): string {
  const body = stripVTControlCharacters(text).replace(/\r\n?/g, '\n').replace(/\n+$/, '');
  let longestRun = 0;
  for (const match of body.matchAll(/`+/g)) longestRun = Math.max(longestRun, match[0].length);
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  // The info string may not contain backticks; the language is ours, but be strict anyway.
  const info = language.replace(/[^\w+-]/g, '');
  return `${fence}${info}\n${body}\n${fence}`;
}
