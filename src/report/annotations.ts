/**
 * Annotations on the Dockerfiles' lines: an error for each failing image, the
 * advice where it applies, and warnings where bytes were wasted or caches left.
 */
import { grewMostLine, whyText } from './change-view.js';
import { explainBreach } from '../limits/index.js';
import type { Finding, ImageReport, Report } from '../model/report.js';
import { formatBytes } from '../units.js';
import { oneLine, visibleControls } from './escape.js';
import { anatomyOf, displayGroups, largestOwnLayerLine, limitBreaches, savingsText, splitFix } from './view.js';

export interface AnnotationProperties {
  title: string;
  file?: string;
  startLine?: number;
}

/** The part of @actions/core the annotations need. */
export interface AnnotationLog {
  error(message: string, properties: AnnotationProperties): void;
  warning(message: string, properties: AnnotationProperties): void;
  notice(message: string, properties: AnnotationProperties): void;
}

/** Waste or caches from this size on get a warning on the line that left them. */
const WARN_BYTES = 1e6;
/** Most warnings per image: GitHub shows only a few per step anyway, so the largest go first. */
const MAX_WARNINGS = 10;
/** Most annotations of advice per image, largest measured savings first. */
const MAX_ADVICE_ANNOTATIONS = 10;

const TITLES: Partial<Record<ImageReport['status'], string>> = {
  failed: 'failed to build',
  'over-budget': 'is over budget',
  'over-increase': 'grew more than allowed'
};

/** What went wrong with a failing image: a sentence per broken limit, with the figures. */
export function annotationMessage(image: ImageReport): { title: string; message: string } {
  const reasons = image.reasons.join(' ');
  const title = TITLES[image.status] ? `${image.name} ${TITLES[image.status]}` : `${image.name}: ${image.status}`;
  if (image.status === 'failed') {
    return { title, message: image.error?.message ?? (reasons || 'The image could not be built.') };
  }
  const sentences = limitBreaches(image).map((breach) => `${image.name} ${explainBreach(breach).sentence}`);
  const why = whyText(image);
  if (why !== null && image.status === 'over-increase') sentences.push(`Most of the change: ${visibleControls(why)}.`);
  return { title, message: sentences.join(' ') || reasons || image.status };
}

export interface Warning {
  line: number;
  bytes: number;
  title: string;
  message: string;
}

/** The deepest folder all paths share (`/tmp/build`), or the path itself when there is one. */
export function commonFolder(paths: readonly string[]): string {
  const unique = [...new Set(paths)];
  if (unique.length === 1) return unique[0]!;
  const split = unique.map((path) => path.split('/'));
  const shared: string[] = [];
  for (let index = 0; index < Math.min(...split.map((parts) => parts.length - 1)); index++) {
    const part = split[0]![index]!;
    if (!split.every((parts) => parts[index] === part)) break;
    shared.push(part);
  }
  const folder = shared.join('/');
  return folder === '' ? '/' : folder;
}

/**
 * Warnings for one image, largest first and at most MAX_WARNINGS: one per pair
 * of lines that added and removed wasted copies (naming the folder they share),
 * and one per leftover cache, each on the line that added the bytes, from 1 MB on.
 * Only the Dockerfile's own lines: the base image's bytes are not its doing.
 */
export function imageWarnings(image: ImageReport): Warning[] {
  const anatomy = anatomyOf(image);
  const groups = new Map<string, { added: number; removed: number | null; bytes: number; paths: string[] }>();
  // The exact totals per pair of lines where the report has them (the listed paths are only the largest); the paths name the folder.
  const pairs = image.wasted?.byLines;
  for (const row of [...(pairs ?? []), ...anatomy.paths]) {
    if (row.inBase || row.bookkeeping === true || row.addedAtLine === null) continue;
    const key = `${row.addedAtLine}:${row.removedAtLine}`;
    const group = groups.get(key) ?? { added: row.addedAtLine, removed: row.removedAtLine, bytes: 0, paths: [] };
    if ('path' in row) group.paths.push(row.path);
    if (pairs === undefined || !('path' in row)) group.bytes += row.bytes;
    groups.set(key, group);
  }
  const warnings: Warning[] = [];
  for (const group of groups.values()) {
    const where = group.removed === null ? 'by a later layer' : `at line ${group.removed}`;
    const folder = group.paths.length === 0 ? '' : ` (${visibleControls(commonFolder(group.paths))})`;
    warnings.push({
      line: group.added,
      bytes: group.bytes,
      title: `${image.name}: wasted bytes`,
      message: `${formatBytes(group.bytes)} shipped but deleted or replaced ${where}${folder}`
    });
  }
  for (const cache of anatomy.caches) {
    if (cache.fromBase === true || cache.line === null) continue;
    warnings.push({
      line: cache.line,
      bytes: cache.bytes,
      title: `${image.name}: leftover cache`,
      message: `${formatBytes(cache.bytes)} of ${cache.kind} cache left in the image (${visibleControls(cache.path)})`
    });
  }
  return warnings
    .filter((warning) => warning.bytes >= WARN_BYTES)
    .sort((a, b) => b.bytes - a.bytes || a.line - b.line)
    .slice(0, MAX_WARNINGS);
}

export interface AdviceAnnotation {
  level: 'warning' | 'notice';
  line: number;
  title: string;
  message: string;
}

/** The message of a finding's annotation: what is wrong, the fix (its sentence, without a sketch) and the saving when known. */
export function adviceMessage(finding: Finding): string {
  const sentence = (text: string) => (text === '' || /[.!?]$/.test(text) ? text : `${text.replace(/[:;,]$/, '')}.`);
  const message = sentence(oneLine(finding.message));
  const fix = sentence(splitFix(finding.fix).text);
  const saving = finding.savingsBytes === null ? '' : ` (${savingsText(finding)})`;
  return visibleControls([message, fix].filter(Boolean).join(' ') + saving);
}

/**
 * Annotations of an image's advice, on the Dockerfile lines it is about: at most
 * MAX_ADVICE_ANNOTATIONS, largest measured savings first, one per rule and line.
 */
export function adviceAnnotations(image: ImageReport): AdviceAnnotation[] {
  const seen = new Set<string>();
  const annotations: AdviceAnnotation[] = [];
  for (const finding of image.findings) {
    if (finding.line === null) continue;
    const key = `${finding.rule}\n${finding.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    annotations.push({ level: finding.severity, line: finding.line, title: `${image.name}: ${finding.rule}`, message: adviceMessage(finding) });
    if (annotations.length === MAX_ADVICE_ANNOTATIONS) break;
  }
  return annotations;
}

/**
 * The anatomy's warnings that the advice does not already make: a finding
 * measured in this image's layers states those bytes and how to get rid of
 * them, so a waste or cache warning on its line would say the same thing twice.
 */
export function warningsBesideAdvice(image: ImageReport): Warning[] {
  const measuredLines = new Set(
    image.findings
      .filter((finding) => finding.measured && finding.savingsMetric === 'uncompressed' && finding.line !== null)
      .map((finding) => finding.line)
  );
  return imageWarnings(image).filter((warning) => !measuredLines.has(warning.line));
}

/**
 * An error annotation on the Dockerfile of each failing image, on the line that
 * grew most for an image over its increase limit, else on its largest own layer when known; then, for the images the PR changed
 * (failing ones first), the advice on its lines (`warning` or `notice` as the
 * finding says) and warnings on the lines that left wasted copies or caches.
 */
export function annotate(report: Report, log: AnnotationLog): void {
  const { failing, passing } = displayGroups(report.images);
  for (const image of failing) {
    const { title, message } = annotationMessage(image);
    // Over its increase limit: point at the line that grew most; otherwise at the largest own layer.
    const line = (image.status === 'over-increase' ? grewMostLine(image) : null) ?? largestOwnLayerLine(image) ?? 1;
    log.error(message, image.dockerfile ? { title, file: image.dockerfile, startLine: line } : { title });
  }
  for (const image of [...failing, ...passing]) {
    if (!image.dockerfile) continue;
    for (const advice of adviceAnnotations(image)) {
      log[advice.level](advice.message, { title: advice.title, file: image.dockerfile, startLine: advice.line });
    }
    for (const warning of warningsBesideAdvice(image)) {
      log.warning(warning.message, { title: warning.title, file: image.dockerfile, startLine: warning.line });
    }
  }
}
