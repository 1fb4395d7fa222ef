/**
 * An image's size history as a Mermaid line chart, which GitHub draws from a
 * fenced `mermaid` block: the base branch's commits, oldest first, then the PR's
 * image. Names and commits come from the repository and from stored reports, so
 * every text is cut down to characters that mean nothing to Mermaid or HTML.
 */
import { TREND_POINTS } from '../model/trend.js';

const MAX_TITLE_NAME = 60;
const MAX_LABEL = 20;
const SHORT_SHA = 7;

/**
 * Text for a quoted Mermaid string, kept to letters, digits, spaces and `._/:+()@,-`:
 * a `"` would end the string, `%%` starts a comment or a directive, a backtick after the
 * quote makes Markdown of it, `;` and a newline end the statement, `#` starts an entity,
 * `<`, `>` and `&` could read as markup in the drawing, and a backtick run could close the
 * block. Bidirectional and invisible characters go too. Cut to `maxLength` code points.
 */
export function mermaidText(text: string, maxLength: number): string {
  const points = Array.from(
    text
      .replace(/[^\p{L}\p{N} ._/:+()@,-]+/gu, ' ')
      .replace(/ +/g, ' ')
      .trim()
  );
  return points.length <= maxLength
    ? points.join('')
    : `${points
        .slice(0, maxLength - 1)
        .join('')
        .trimEnd()}…`;
}

/** Tenths of a MB as Mermaid reads a number: `125.3`, `90`. */
function megabytes(tenths: number): string {
  return String(tenths / 10);
}

/** Rounds up to 1, 2 or 5 times a power of ten, and to at least 1. */
function niceStep(rough: number): number {
  if (rough <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((multiple) => multiple * power).find((step) => step >= rough)!;
}

/**
 * The y-axis range, in tenths of a MB (whole numbers, so no float noise reaches the chart):
 * the values with a margin, on round steps, never below 0.
 */
function axisRange(tenths: number[]): [number, number] {
  const low = Math.min(...tenths);
  const high = Math.max(...tenths);
  // The margin keeps the line off the frame; a flat line still gets a band around it.
  const margin = Math.max((high - low) * 0.1, high * 0.02, 1);
  const step = niceStep((high - low + 2 * margin) / 5);
  return [Math.max(0, Math.floor((low - margin) / step) * step), Math.ceil((high + margin) / step) * step];
}

/** The x-axis labels, each distinct (`abc1234 (2)`): a band axis draws equal labels as one. */
function distinct(labels: string[]): string[] {
  const used = new Set<string>();
  return labels.map((label) => {
    let unique = label;
    for (let count = 2; used.has(unique); count++) unique = `${label} (${count})`;
    used.add(unique);
    return unique;
  });
}

/**
 * A ```mermaid block charting one image's size: `series` are the base branch's commits,
 * oldest first (labelled by short SHA), `current` the PR's image (labelled `current.label`),
 * in decimal MB rounded to 0.1. Null with fewer than two points: no history, no chart.
 */
export function trendChart(
  name: string,
  series: Array<{ sha: string; bytes: number }>,
  current: { label: string; bytes: number } | null
): string | null {
  const points = [
    ...series.slice(-TREND_POINTS).map((point) => ({ label: mermaidText(point.sha.slice(0, SHORT_SHA), MAX_LABEL) || '?', bytes: point.bytes })),
    ...(current === null ? [] : [{ label: mermaidText(current.label, MAX_LABEL) || '?', bytes: current.bytes }])
  ].filter((point) => Number.isFinite(point.bytes) && point.bytes >= 0);
  if (points.length < 2) return null;
  const tenths = points.map((point) => Math.round(point.bytes / 1e5));
  const [low, high] = axisRange(tenths);
  const labels = distinct(points.map((point) => point.label));
  return [
    '```mermaid',
    'xychart-beta',
    `    title "${mermaidText(name, MAX_TITLE_NAME) || 'image'}: size by commit"`,
    `    x-axis [${labels.map((label) => `"${label}"`).join(', ')}]`,
    `    y-axis "MB" ${megabytes(low)} --> ${megabytes(high)}`,
    `    line [${tenths.map(megabytes).join(', ')}]`,
    '```'
  ].join('\n');
}
