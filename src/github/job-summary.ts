import * as actionsCore from '@actions/core';

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
