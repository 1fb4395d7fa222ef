import * as actionsCore from '@actions/core';
import { formatBytes, formatDelta, formatPercent } from '../units.js';
import { budgetedBytes, isFailingImage } from './markdown.js';
import type { ImageReport, Report } from './types.js';

/** The part of @actions/core the job summary needs. */
export interface SummaryWriter {
  summary: { addRaw(text: string, addEOL?: boolean): { write(): Promise<unknown> } };
}

/** Appends the report to the job summary; false (and nothing written) outside a workflow step. */
export async function writeJobSummary(markdown: string, core: SummaryWriter = actionsCore): Promise<boolean> {
  if (!process.env.GITHUB_STEP_SUMMARY) return false;
  await core.summary.addRaw(markdown, true).write();
  return true;
}

export interface AnnotationLog {
  error(message: string, properties: { title: string; file?: string; startLine?: number }): void;
}

/** What went wrong with a failing image, in one sentence with the figures. */
export function annotationMessage(image: ImageReport): { title: string; message: string } {
  const reasons = image.reasons.join(' ');
  if (image.status === 'failed') {
    return { title: `${image.name} failed to build`, message: image.error?.message ?? (reasons || 'The image could not be built.') };
  }
  if (image.status === 'over-budget' && image.budget) {
    const used = budgetedBytes(image);
    const metric = image.budget.metric === 'compressed' ? ' compressed' : '';
    const message =
      used === null
        ? reasons
        : `${image.name} is ${formatBytes(used)}${metric}, ${formatBytes(used - image.budget.bytes)} over its budget of ` +
          `${formatBytes(image.budget.bytes)} (${image.budget.source}).`;
    return { title: `${image.name} is over budget`, message: message || reasons };
  }
  if (image.status === 'over-increase' && image.delta) {
    const limit = image.maxIncrease ? ` The limit is ${image.maxIncrease.source}.` : '';
    const message = `${image.name} grew by ${formatDelta(image.delta.bytes)} (${formatPercent(image.delta.percent)}) against the base branch.${limit}`;
    return { title: `${image.name} grew more than allowed`, message };
  }
  return { title: `${image.name}: ${image.status}`, message: reasons || image.status };
}

/** An error annotation on the Dockerfile of each failing image; none for the others. */
export function annotate(report: Report, log: AnnotationLog): void {
  for (const image of report.images.filter(isFailingImage)) {
    const { title, message } = annotationMessage(image);
    log.error(message, image.dockerfile ? { title, file: image.dockerfile, startLine: 1 } : { title });
  }
}
