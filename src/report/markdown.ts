/**
 * The PR comment and the job summary: Markdown laid out from the shared view
 * (./view.ts), shrunk step by step to fit GitHub's limit.
 */
import { commentMarker } from '../github/marker.js';
import type { ImageReport, ImageStatus, Report } from '../model/report.js';
import { formatBytes, formatDelta } from '../units.js';
import { codeBlock, escapeHtml, escapeMarkdown } from './escape.js';
import { whyText } from './change-view.js';
import { seriesOf } from '../compare/trend.js';
import { trendChart } from './trend-chart.js';
import { anatomyBlock, hasAdvice, hasAnatomy, hasBlock, MAX_ADVICE, MAX_DETAIL, MAX_NAME, row } from './markdown-blocks.js';
import {
  anatomyOf,
  BASE_FAILED_NOTE,
  baseFailedImages,
  budgetText,
  changeText,
  compressedText,
  displayGroups,
  isFailingImage,
  isOverWasteLimit,
  measuredSavings,
  plural,
  reasonsOf,
  savingsTotalText,
  baselineNote,
  sizesNote,
  summaryFigures,
  verdict,
  wastedText,
  type SavingsTotal
} from './view.js';

export const DEFAULT_MAX_CHARS = 65536;
/** Rows per view in the job summary's folded blocks: it has room for fuller lists than the comment. */
export const SUMMARY_DETAIL = 25;

const MAX_REASON = 1000;
/** Longest "why" line under a change figure. */
const MAX_WHY = 160;

export interface MarkdownOptions {
  /** Names the comment: one comment per pull request and key. */
  key: string;
  title?: string;
  /** GitHub refuses comments over 65,536 characters. */
  maxChars?: number;
  /** Markdown added at the end (commit, run link); made safe by the caller. */
  footer?: string;
  /** Most rows per view in a folded block (default MAX_DETAIL); the job summary shows more. */
  maxDetail?: number;
  /**
   * Which images get a chart of the base branch's size history: `changed` ones, in their folded block (the
   * comment), or `every` image, in a section of its own (the job summary). Nothing without a stored history.
   */
  charts?: 'changed' | 'every';
  /** The x-axis label of this run's point in the charts; default `PR`. */
  chartLabel?: string;
}

/** What a rendering includes; shrunk step by step until the body fits. */
interface Plan {
  /** Pieces of advice per image, 1 to MAX_ADVICE. */
  advice: number;
  /** How many passing images with advice show it, from the first on; failing images always do while their block shows. */
  passingAdvice: number;
  /** Rows per section (changes, layers, wasted paths, caches) in the folded blocks, 1 to `maxDetail`. */
  detail: number;
  /** How many anatomy blocks of failing images to show, then of passing ones. */
  failingBlocks: number;
  passingBlocks: number;
  /** How many build logs to show, from the first failed image on. */
  logs: number;
  /** How many failing rows to show. */
  failingRows: number;
  /** How many passing rows (ok, new, removed) to show after them. */
  passingRows: number;
  /** Whether the unchanged images are listed in their folded table. */
  listUnchanged: boolean;
  /** Whether the base branch's size history is charted (the first thing given up). */
  charts: boolean;
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
  const notes = [
    ...(source && source !== image.name ? [escapeMarkdown(source, { maxLength: MAX_NAME })] : []),
    ...(image.reused ? ['not rebuilt'] : [])
  ];
  return notes.length === 0 ? name : `${name}<br><sub>${notes.join(' · ')}</sub>`;
}

function wastedCell(image: ImageReport): string {
  return isOverWasteLimit(image) ? `${wastedText(image)} ❌` : wastedText(image);
}

/** The change figure, with the one line on what made it when the change record tells. */
function changeCell(image: ImageReport): string {
  const why = whyText(image);
  return why === null ? changeText(image) : `${changeText(image)}<br><sub>${escapeMarkdown(why, { maxLength: MAX_WHY })}</sub>`;
}

function mainRow(image: ImageReport): string {
  return row([
    imageCell(image),
    image.size ? formatBytes(image.size.bytes) : '—',
    compressedText(image),
    wastedCell(image),
    changeCell(image),
    budgetText(image),
    STATUS[image.status]
  ]);
}

function mainTable(report: Report, rows: ImageReport[], memo: Memo): string[] {
  const { deltaBytes, bytes, compressedBytes, wastedBytes } = report.totals;
  return [
    row(['Image', 'Size', 'Compressed', 'Wasted', 'Change vs base', 'Budget', 'Status']),
    row([':---', '---:', '---:', '---:', '---:', '---:', ':---']),
    ...rows.map((image) => memo.row(image)),
    row([
      `**Total** (${plural(report.images.length, 'image')})`,
      `**${formatBytes(bytes)}**`,
      compressedBytes === null ? '—' : `**${formatBytes(compressedBytes)}**`,
      `**${formatBytes(wastedBytes)}**`,
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
    row(['Image', 'Size', 'Compressed', 'Wasted', 'Budget']),
    row([':---', '---:', '---:', '---:', '---:']),
    ...images.map((image) =>
      row([imageCell(image), image.size ? formatBytes(image.size.bytes) : '—', compressedText(image), wastedCell(image), budgetText(image)])
    ),
    '',
    '</details>'
  ];
}

function addTotals(a: SavingsTotal, b: SavingsTotal): SavingsTotal {
  return { compressed: a.compressed + b.compressed, uncompressed: a.uncompressed + b.uncompressed };
}

/** The measured savings the advice of these images adds up to, as one line; null when nothing was measured. */
function savingsLine(images: readonly ImageReport[]): string | null {
  const savings = images.map((image) => measuredSavings(image.findings)).filter((total) => total.compressed + total.uncompressed > 0);
  const total = savingsTotalText(savings.reduce(addTotals, { compressed: 0, uncompressed: 0 }));
  if (total === null) return null;
  return `💡 Advice below could save about ${total} (measured) across ${plural(savings.length, 'image')}.`;
}

function summaryLine(report: Report): string {
  const { ok, text } = verdict(report);
  const figures = summaryFigures(report, (ref) => escapeMarkdown(ref, { maxLength: MAX_NAME }));
  return [`${ok ? '✅' : '❌'} **${text}**`, ...figures].join(' · ');
}

function reasonBullet(image: ImageReport): string {
  const text = reasonsOf(image)
    .map((reason) => escapeMarkdown(reason, { maxLength: MAX_REASON }))
    .join('; ');
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
  return `- **${escapeMarkdown(image.name, { maxLength: MAX_NAME })}**: ${BASE_FAILED_NOTE}${why}`;
}

/** What stays the same while the plan shrinks, rendered once: groups, verdict, rows, build logs, blocks per detail. */
class Memo {
  readonly groups: ReturnType<typeof displayGroups>;
  readonly summary: string;
  /** `💡 Advice below could save about …`, or null without measured savings. */
  readonly savings: string | null;
  private readonly rows = new Map<ImageReport, string>();
  private readonly logs = new Map<ImageReport, string>();
  private readonly blocks = new Map<ImageReport, Map<string, string>>();
  private readonly charts = new Map<ImageReport, string | null>();

  constructor(
    private readonly report: Report,
    private readonly chartLabel: string
  ) {
    this.groups = displayGroups(report.images);
    this.summary = summaryLine(report);
    this.savings = savingsLine([...this.groups.failing, ...this.groups.passing]);
  }

  row(image: ImageReport): string {
    let text = this.rows.get(image);
    if (text === undefined) this.rows.set(image, (text = mainRow(image)));
    return text;
  }

  log(image: ImageReport): string {
    let text = this.logs.get(image);
    if (text === undefined) this.logs.set(image, (text = buildLog(image).join('\n')));
    return text;
  }

  block(image: ImageReport, detail: number, advice: number, chart: string | null): string {
    let byPlan = this.blocks.get(image);
    if (byPlan === undefined) this.blocks.set(image, (byPlan = new Map<string, string>()));
    const key = `${detail}:${advice}:${chart !== null}`;
    let text = byPlan.get(key);
    if (text === undefined) byPlan.set(key, (text = anatomyBlock(image, detail, advice, chart).join('\n')));
    return text;
  }

  /** The image's size history chart (memoised); null without history. */
  chart(image: ImageReport): string | null {
    if (!this.charts.has(image)) this.charts.set(image, historyChart(this.report, image, this.chartLabel));
    return this.charts.get(image) ?? null;
  }
}

/**
 * The body for a plan; null as soon as it is sure to pass `stopAt` characters,
 * so a plan with hundreds of anatomy blocks is rejected without building them all.
 */
function render(report: Report, options: MarkdownOptions, plan: Plan, memo: Memo, stopAt = Number.POSITIVE_INFINITY): string | null {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const groups = memo.groups;
  const failingShown = groups.failing.slice(0, plan.failingRows);
  const passingShown = groups.passing.slice(0, plan.passingRows);
  const listed = [...failingShown, ...passingShown];
  const shown = listed.length + (plan.listUnchanged ? groups.unchanged.length : 0);
  const hidden = report.images.length - shown;
  const hiddenFailing = groups.failing.length - failingShown.length;
  const withLogs = failingShown.filter(hasBuildLog);
  const logsHidden = withLogs.length - Math.min(plan.logs, withLogs.length);
  const failingWithBlock = failingShown.filter(hasBlock);
  const passingWithBlock = passingShown.filter(hasBlock);
  const blocks = [...failingWithBlock.slice(0, plan.failingBlocks), ...passingWithBlock.slice(0, plan.passingBlocks)];
  const inBlock = new Set(blocks);
  const anatomyHidden = [...failingWithBlock, ...passingWithBlock].filter((image) => !inBlock.has(image) && hasAnatomy(image));
  const failingAnatomyHidden = anatomyHidden.filter(isFailingImage).length;
  // Advice shows for every failing image with a block, and for the first `passingAdvice` passing images with advice.
  const passingAdvised = new Set(passingShown.filter(hasAdvice).slice(0, plan.passingAdvice));
  const advised = (image: ImageReport) => hasAdvice(image) && inBlock.has(image) && (isFailingImage(image) || passingAdvised.has(image));
  const adviceHidden = listed.filter((image) => hasAdvice(image) && !advised(image));
  const failingAdviceHidden = adviceHidden.filter(isFailingImage).length;

  const charts = options.charts ?? 'changed';
  const lines: string[] = [commentMarker(options.key), `### ${options.title ? escapeMarkdown(options.title) : 'footprint — image sizes'}`, ''];
  lines.push(memo.summary, '');
  if (report.baseError) lines.push(`⚠️ ${escapeMarkdown(report.baseError, { maxLength: MAX_REASON })}`, '');
  if (report.images.length > 0) lines.push(...mainTable(report, listed, memo), '');
  if (memo.savings !== null) lines.push(memo.savings, '');
  if (plan.listUnchanged && groups.unchanged.length > 0) lines.push(...unchangedTable(groups.unchanged), '');

  const cuts: string[] = [];
  const ofThem = (count: number) => (count > 0 ? `, ${count.toLocaleString('en-US')} of them failing` : '');
  if (hidden > 0) cuts.push(`${plural(hidden, 'image')} not shown${ofThem(hiddenFailing)}`);
  if (logsHidden > 0) cuts.push(`${plural(logsHidden, 'build log')} not shown`);
  if (adviceHidden.length > 0) cuts.push(`the advice for ${plural(adviceHidden.length, 'image')} not shown${ofThem(failingAdviceHidden)}`);
  const adviceCut = plan.advice < MAX_ADVICE && blocks.some((image) => advised(image) && image.findings.length > plan.advice);
  if (adviceCut) {
    cuts.push(
      plan.advice === 1
        ? 'the advice shows only the first tip for each image'
        : `the advice shows only the first ${plan.advice.toLocaleString('en-US')} tips for each image`
    );
  }
  if (anatomyHidden.length > 0) cuts.push(`the layer anatomy of ${plural(anatomyHidden.length, 'image')} not shown${ofThem(failingAnatomyHidden)}`);
  const detailCut =
    plan.detail < (options.maxDetail ?? MAX_DETAIL) &&
    blocks.some((image) => {
      const anatomy = anatomyOf(image);
      return Math.max(anatomy.layers.length, anatomy.paths.length, anatomy.caches.length, changeRows(image)) > plan.detail;
    });
  if (detailCut) {
    cuts.push(
      plan.detail === 1
        ? 'the folded blocks show only the largest change, layer, wasted path and cache of each image'
        : `the folded blocks show only the ${plan.detail.toLocaleString('en-US')} largest changes, layers, wasted paths and caches of each image`
    );
  }
  if (cuts.length > 0) {
    const limit = `the comment limit is ${maxChars.toLocaleString('en-US')} characters`;
    lines.push(`⚠️ Truncated (${limit}): ${cuts.join('; ')}. The \`report\` output has everything.`, '');
  }

  if (failingShown.length > 0) lines.push(...failingShown.map(reasonBullet), '');
  let size = lines.reduce((sum, line) => sum + line.length + 1, 0);
  const parts = [
    ...withLogs.slice(0, plan.logs).map((image) => memo.log(image)),
    ...blocks.map((image) => {
      const chart = plan.charts && charts === 'changed' && image.comparison === 'changed' ? memo.chart(image) : null;
      return memo.block(image, plan.detail, advised(image) ? plan.advice : 0, chart);
    }),
    ...(plan.charts && charts === 'every' ? [historySection(report.images, memo)] : [])
  ];
  for (const part of parts) {
    if (part === '') continue;
    size += part.length + 2;
    if (size > stopAt) return null;
    lines.push(part, '');
  }
  const baseFailed = baseFailedImages(listed);
  if (baseFailed.length > 0) lines.push(...baseFailed.map(baseNote), '');
  lines.push(footnote(report));
  if (options.footer) lines.push('', options.footer);
  return `${lines.join('\n')}\n`;
}

/** One image's size on the base branch's last commits, with this run's point last; null without two points. */
function historyChart(report: Report, image: ImageReport, label: string): string | null {
  if (report.trend === null || image.size === null) return null;
  return trendChart(image.name, seriesOf(report.trend, image.name), { label, bytes: image.size.bytes });
}

/** Every image's chart in one folded section (the job summary); empty when none has a history. */
function historySection(images: ImageReport[], memo: Memo): string {
  const charts = images.map((image) => memo.chart(image)).filter((chart) => chart !== null);
  if (charts.length === 0) return '';
  return [`<details><summary>📈 size history on the base branch</summary>`, '', ...charts.flatMap((chart) => [chart, '']), '</details>'].join('\n');
}

/** The most rows any view of the image's change record has. */
function changeRows(image: ImageReport): number {
  const change = image.change;
  if (change === null) return 0;
  return Math.max(change.lines.filter((line) => line.deltaBytes !== 0).length, change.pathRowsTotal, change.packages.length);
}

function footnote(report: Report): string {
  const gz = report.images.some((image) => image.budget?.metric === 'compressed') ? ' Budgets marked gz apply to the compressed size.' : '';
  const baseline = baselineNote(report);
  return `<sub>${sizesNote(report)}${gz}${baseline ? ` ${escapeMarkdown(baseline, { maxLength: MAX_REASON })}` : ''}</sub>`;
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
 * images first, the measured savings the advice adds up to, reasons, build logs
 * and a folded block per image with its advice ("How to shrink it") and its
 * anatomy. When the body would pass `maxChars`, it gives up, in order: pieces
 * of advice per image (down to one), the advice of passing images, rows of the
 * anatomy blocks, the blocks of passing images, those of failing images, build
 * logs, passing rows, failing rows; and says what it left out.
 */
export function renderMarkdown(report: Report, options: MarkdownOptions): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const maxDetail = options.maxDetail ?? MAX_DETAIL;
  const groups = displayGroups(report.images);
  const failingRows = groups.failing.length;
  const passingRows = groups.passing.length;
  const failingBlocks = groups.failing.filter(hasBlock).length;
  const passingBlocks = groups.passing.filter(hasBlock).length;
  const passingAdvice = groups.passing.filter(hasAdvice).length;
  const logs = groups.failing.filter(hasBuildLog).length;
  const memo = new Memo(report, options.chartLabel ?? 'PR');
  const attempt = (plan: Plan) => render(report, options, plan, memo)!;
  const fits = (plan: Plan) => (render(report, options, plan, memo, maxChars)?.length ?? Number.POSITIVE_INFINITY) <= maxChars;

  const full: Plan = {
    advice: MAX_ADVICE,
    passingAdvice,
    detail: maxDetail,
    failingBlocks,
    passingBlocks,
    logs,
    failingRows,
    passingRows,
    listUnchanged: true,
    charts: false
  };
  const brief: Plan = { ...full, advice: 1 };
  const noAdvice: Plan = { ...brief, passingAdvice: 0 };
  const terse: Plan = { ...noAdvice, detail: 1 };
  const noBlocks: Plan = { ...terse, failingBlocks: 0, passingBlocks: 0 };
  const bare: Plan = { ...noBlocks, logs: 0, listUnchanged: false };
  // Each stage gives up more than the one before.
  const stages: Array<() => Plan> = [
    () => ({ ...full, advice: 1 + largestFitting(MAX_ADVICE - 1, (count) => fits({ ...full, advice: 1 + count })) }),
    () => ({ ...brief, passingAdvice: largestFitting(passingAdvice, (count) => fits({ ...brief, passingAdvice: count })) }),
    () => ({ ...noAdvice, detail: 1 + largestFitting(maxDetail - 1, (count) => fits({ ...noAdvice, detail: 1 + count })) }),
    () => ({ ...terse, passingBlocks: largestFitting(passingBlocks, (count) => fits({ ...terse, passingBlocks: count })) }),
    () => {
      const plan = { ...terse, passingBlocks: 0 };
      return { ...plan, failingBlocks: largestFitting(failingBlocks, (count) => fits({ ...plan, failingBlocks: count })) };
    },
    () => ({ ...noBlocks, logs: largestFitting(logs, (count) => fits({ ...noBlocks, logs: count })) }),
    () => ({ ...bare, passingRows: largestFitting(passingRows, (count) => fits({ ...bare, passingRows: count })) }),
    () => {
      const plan = { ...bare, passingRows: 0 };
      return { ...plan, failingRows: largestFitting(failingRows, (count) => fits({ ...plan, failingRows: count })) };
    }
  ];
  // The charts go first when the body is too long.
  const charted: Plan = { ...full, charts: report.trend !== null };
  if (fits(charted)) return attempt(charted);
  if (fits(full)) return attempt(full);
  for (const stage of stages) {
    const plan = stage();
    if (fits(plan)) return attempt(plan);
  }
  // Only a huge title or footer gets here: keep the marker and the verdict.
  const notice = `⚠️ Truncated (the comment limit is ${maxChars.toLocaleString('en-US')} characters).`;
  return `${commentMarker(options.key)}\n${summaryLine(report)}\n${notice}\n`.slice(0, maxChars);
}
