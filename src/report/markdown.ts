import { UserError } from '../errors.js';
import { formatBytes, formatDelta, formatPercent } from '../units.js';
import { isFailing } from '../gate/rules.js';
import { codeBlock, escapeHtml, escapeMarkdown } from './escape.js';
import type { ImageReport, ImageStatus, Report } from './types.js';

/*
 * The plain-text pieces (order, change, budget, verdict) are shared with the
 * terminal table, so the PR comment and the CLI always say the same thing.
 */

export const DEFAULT_MAX_CHARS = 65536;

/** Longest repository text shown in a cell or a bullet; the report output has it in full. */
const MAX_NAME = 200;
const MAX_REASON = 1000;

export function isFailingImage(image: ImageReport): boolean {
  return isFailing(image.status);
}

/** Failing images first, then the rest, then the unchanged ones; report order within each group. */
export function displayGroups(images: readonly ImageReport[]): {
  failing: ImageReport[];
  passing: ImageReport[];
  unchanged: ImageReport[];
} {
  return {
    failing: images.filter(isFailingImage),
    passing: images.filter((image) => !isFailingImage(image) && image.status !== 'unchanged'),
    unchanged: images.filter((image) => image.status === 'unchanged')
  };
}

/** `+1.2 MB (+3.4%)`, `new`, `removed`, or `—` when there is nothing to compare with. */
export function changeText(image: ImageReport): string {
  if (image.comparison === 'new') return 'new';
  if (image.comparison === 'removed') return 'removed';
  if (!image.delta) return '—';
  if (image.delta.bytes === 0) return formatDelta(0);
  return `${formatDelta(image.delta.bytes)} (${formatPercent(image.delta.percent)})`;
}

/** The figure the budget applies to: uncompressed bytes, or compressed bytes for a compressed budget. */
export function budgetedBytes(image: ImageReport): number | null {
  if (!image.budget || !image.size) return null;
  return image.budget.metric === 'compressed' ? image.size.compressedBytes : image.size.bytes;
}

/** How much of the budget is used, in whole percent; never shows 100% for an image that is over. */
export function budgetUsePercent(image: ImageReport): number | null {
  const used = budgetedBytes(image);
  if (used === null || !image.budget || image.budget.bytes <= 0) return null;
  const percent = (used / image.budget.bytes) * 100;
  return used > image.budget.bytes ? Math.ceil(percent) : Math.floor(percent);
}

/** `250.0 MB (97%)`, `250.0 MB compressed (97%)`, or `—` without a budget. */
export function budgetText(image: ImageReport): string {
  if (!image.budget) return '—';
  const limit = `${formatBytes(image.budget.bytes)}${image.budget.metric === 'compressed' ? ' compressed' : ''}`;
  const percent = budgetUsePercent(image);
  return percent === null ? limit : `${limit} (${percent}%)`;
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

/** The one-line verdict: `2 of 5 images over budget`, `All 5 images within budget`, ... */
export function verdict(report: Report): { ok: boolean; text: string } {
  const images = report.images;
  const count = (status: ImageStatus) => images.filter((image) => image.status === status).length;
  const overBudget = count('over-budget');
  const overIncrease = count('over-increase');
  const failed = count('failed');
  const failing = overBudget + overIncrease + failed;
  const of = `${failing.toLocaleString('en-US')} of ${plural(images.length, 'image')}`;
  if (failing > 0 && failing === overBudget) return { ok: false, text: `${of} over budget` };
  if (failing > 0 && failing === failed) return { ok: false, text: `${of} failed to build` };
  if (failing > 0) {
    const parts = [
      overBudget ? `${overBudget.toLocaleString('en-US')} over budget` : '',
      overIncrease ? `${overIncrease.toLocaleString('en-US')} grew more than allowed` : '',
      failed ? `${failed.toLocaleString('en-US')} failed to build` : ''
    ].filter(Boolean);
    return { ok: false, text: `${of} fail the size check (${parts.join(', ')})` };
  }
  if (images.length === 0) return { ok: true, text: 'No images to measure' };
  if (!images.some((image) => image.budget || image.maxIncrease)) {
    return { ok: true, text: `${plural(images.length, 'image')} measured, no budget set` };
  }
  return { ok: true, text: images.length === 1 ? '1 image within budget' : `All ${plural(images.length, 'image')} within budget` };
}

/** The marker that finds this report's comment again; keys are checked so it can never be broken out of. */
export function commentMarker(key: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(key)) {
    throw new UserError(`comment key "${key}" is not valid; use only letters, digits, ".", "_" and "-"`);
  }
  return `<!-- footprint:${key} -->`;
}

export interface MarkdownOptions {
  /** Names the comment: one comment per pull request and key. */
  key: string;
  title?: string;
  /** GitHub refuses comments over 65,536 characters. */
  maxChars?: number;
  /** Markdown added at the end (commit, run link); made safe by the caller. */
  footer?: string;
}

/** What a rendering includes; shrunk step by step until the body fits. */
interface Plan {
  /** How many build logs to show, from the first failed image on. */
  logs: number;
  /** How many failing rows to show. */
  failingRows: number;
  /** How many passing rows (ok, new, removed) to show after them. */
  passingRows: number;
  /** Whether the unchanged images are listed in their folded table. */
  listUnchanged: boolean;
}

const STATUS: Record<ImageStatus, string> = {
  failed: '💥 **failed**',
  'over-budget': '❌ **over budget**',
  'over-increase': '❌ **over increase**',
  new: '🆕 new',
  removed: '🗑️ removed',
  unchanged: '➖ unchanged',
  ok: '✅ ok'
};

function imageCell(image: ImageReport): string {
  const name = escapeMarkdown(image.name, { maxLength: MAX_NAME });
  const source = image.dockerfile ?? image.image;
  if (!source || source === image.name) return name;
  return `${name}<br><sub>${escapeMarkdown(source, { maxLength: MAX_NAME })}</sub>`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function mainTable(report: Report, rows: ImageReport[]): string[] {
  const { deltaBytes, bytes } = report.totals;
  return [
    row(['Image', 'Size', 'Change vs base', 'Budget', 'Status']),
    row([':---', '---:', '---:', '---:', ':---']),
    ...rows.map((image) =>
      row([
        imageCell(image),
        image.size ? formatBytes(image.size.bytes) : '—',
        changeText(image),
        budgetText(image),
        STATUS[image.status]
      ])
    ),
    row([
      `**Total** (${plural(report.images.length, 'image')})`,
      `**${formatBytes(bytes)}**`,
      deltaBytes === null ? '—' : `**${formatDelta(deltaBytes)}**`,
      '',
      ''
    ])
  ];
}

function unchangedTable(images: ImageReport[]): string[] {
  return [
    `<details><summary>${plural(images.length, 'unchanged image')}</summary>`,
    '',
    row(['Image', 'Size', 'Budget']),
    row([':---', '---:', '---:']),
    ...images.map((image) => row([imageCell(image), image.size ? formatBytes(image.size.bytes) : '—', budgetText(image)])),
    '',
    '</details>'
  ];
}

/** `main (abc1234)`, or just `abc1234` when the ref is the SHA itself; `escape` makes the ref safe for the output. */
export function baseLabel(base: NonNullable<Report['base']>, escape: (text: string) => string): string {
  const short = /^[0-9a-f]{7,64}$/i.test(base.sha) ? base.sha.slice(0, 7) : escape(base.sha);
  const refIsSha = /^[0-9a-f]{7,64}$/i.test(base.ref) && base.sha.toLowerCase().startsWith(base.ref.toLowerCase());
  return refIsSha ? short : `${escape(base.ref)} (${short})`;
}

function summaryLine(report: Report): string {
  const { ok, text } = verdict(report);
  const parts = [`${ok ? '✅' : '❌'} **${text}**`, `total ${formatBytes(report.totals.bytes)}`];
  if (report.totals.deltaBytes !== null && report.base) {
    const label = baseLabel(report.base, (text) => escapeMarkdown(text, { maxLength: MAX_NAME }));
    parts.push(`${formatDelta(report.totals.deltaBytes)} vs base ${label}`);
  }
  return parts.join(' · ');
}

function reasonBullet(image: ImageReport): string {
  const reasons = image.reasons.length ? image.reasons : image.error ? [image.error.message] : [];
  const text = reasons.map((reason) => escapeMarkdown(reason, { maxLength: MAX_REASON })).join('; ');
  return `- **${escapeMarkdown(image.name, { maxLength: MAX_NAME })}**: ${text || STATUS[image.status]}`;
}

function hasBuildLog(image: ImageReport): boolean {
  return image.status === 'failed' && Boolean(image.error?.logTail.trim());
}

function buildLog(image: ImageReport): string[] {
  return [
    `<details><summary>Build log: ${escapeHtml(image.name, { maxLength: MAX_NAME })}</summary>`,
    '',
    codeBlock(image.error?.logTail ?? '', 'text'),
    '',
    '</details>'
  ];
}

function baseNote(image: ImageReport): string {
  const why = image.baseError ? `: ${escapeMarkdown(image.baseError.message, { maxLength: MAX_REASON })}` : '';
  return `- **${escapeMarkdown(image.name, { maxLength: MAX_NAME })}**: the base branch's build failed, so there is no change to show${why}`;
}

function render(report: Report, options: MarkdownOptions, plan: Plan): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const groups = displayGroups(report.images);
  const failingShown = groups.failing.slice(0, plan.failingRows);
  const listed = [...failingShown, ...groups.passing.slice(0, plan.passingRows)];
  const shown = listed.length + (plan.listUnchanged ? groups.unchanged.length : 0);
  const hidden = report.images.length - shown;
  const hiddenFailing = groups.failing.length - failingShown.length;
  const withLogs = failingShown.filter(hasBuildLog);
  const logsHidden = withLogs.length - Math.min(plan.logs, withLogs.length);
  const limit = `the comment limit is ${maxChars.toLocaleString('en-US')} characters`;

  const lines: string[] = [commentMarker(options.key), `### ${options.title ? escapeMarkdown(options.title) : 'footprint — image sizes'}`, ''];
  lines.push(summaryLine(report), '');
  if (report.baseError) lines.push(`⚠️ ${escapeMarkdown(report.baseError, { maxLength: MAX_REASON })}`, '');
  if (report.images.length > 0) lines.push(...mainTable(report, listed), '');
  if (plan.listUnchanged && groups.unchanged.length > 0) lines.push(...unchangedTable(groups.unchanged), '');
  if (hidden > 0) {
    const failingNote = hiddenFailing > 0 ? `, ${hiddenFailing.toLocaleString('en-US')} of them failing` : '';
    lines.push(`⚠️ Truncated: ${plural(hidden, 'image')} not shown${failingNote} (${limit}); see the job summary or the report output.`, '');
  } else if (logsHidden > 0) {
    lines.push(`⚠️ Truncated: ${plural(logsHidden, 'build log')} not shown (${limit}); see the job summary or the report output.`, '');
  }
  if (failingShown.length > 0) lines.push(...failingShown.map(reasonBullet), '');
  for (const image of withLogs.slice(0, plan.logs)) lines.push(...buildLog(image), '');
  const baseFailed = listed.filter((image) => image.comparison === 'base-failed' || image.baseError);
  if (baseFailed.length > 0) lines.push(...baseFailed.map(baseNote), '');
  lines.push(`<sub>Sizes are ${report.sizeMetric}.</sub>`);
  if (options.footer) lines.push('', options.footer);
  return `${lines.join('\n')}\n`;
}

/** The largest count in [0, high] for which `fits` holds (which only shrinks as the count grows); 0 when none does. */
function largestFitting(high: number, fits: (count: number) => boolean): number {
  let low = 0;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * The PR comment and job summary: hidden marker, verdict, a table with failing
 * images first, reasons and build logs. When the body would pass `maxChars`, it
 * drops build logs, then passing rows, then failing rows, and says so.
 */
export function renderMarkdown(report: Report, options: MarkdownOptions): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const groups = displayGroups(report.images);
  const failingRows = groups.failing.length;
  const passingRows = groups.passing.length;
  const logs = groups.failing.filter(hasBuildLog).length;
  const attempt = (plan: Plan) => render(report, options, plan);
  const fits = (plan: Plan) => attempt(plan).length <= maxChars;

  const full: Plan = { logs, failingRows, passingRows, listUnchanged: true };
  // Each stage gives up more than the one before: first build logs (last ones
  // first), then the unchanged table and passing rows, then failing rows.
  const stages: Array<() => Plan> = [
    () => ({ ...full, logs: largestFitting(logs, (count) => fits({ ...full, logs: count })) }),
    () => {
      const plan = { ...full, logs: 0, listUnchanged: false };
      return { ...plan, passingRows: largestFitting(passingRows, (count) => fits({ ...plan, passingRows: count })) };
    },
    () => {
      const plan = { ...full, logs: 0, listUnchanged: false, passingRows: 0 };
      return { ...plan, failingRows: largestFitting(failingRows, (count) => fits({ ...plan, failingRows: count })) };
    }
  ];
  if (fits(full)) return attempt(full);
  for (const stage of stages) {
    const plan = stage();
    if (fits(plan)) return attempt(plan);
  }
  // Only a huge title or footer gets here: keep the marker and the verdict.
  const notice = `⚠️ Truncated (the comment limit is ${maxChars.toLocaleString('en-US')} characters).`;
  return `${commentMarker(options.key)}\n${summaryLine(report)}\n${notice}\n`.slice(0, maxChars);
}
