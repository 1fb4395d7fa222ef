import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createDockerEngine } from './build/engine.js';
import { loadConfig } from './config/load.js';
import { messageOf, UserError } from './errors.js';
import { exec } from './exec.js';
import { hasChanges } from './gate/verdict.js';
import { upsertComment } from './github/comment.js';
import { logUntrusted } from './github/job-log.js';
import { writeJobSummary } from './github/job-summary.js';
import { createOctokit } from './github/octokit.js';
import { actionInputReader, payloadField, readInputs, type Inputs, type WorkflowEvent } from './inputs.js';
import { bundledAnalyser } from './measure/isolated.js';
import { runPipeline, type BaselineStore } from './pipeline.js';
import { workflowFileOf } from './baseline/artifacts.js';
import { BASELINE_EVENTS } from './baseline/stored.js';
import { createBaselineStore, keepBaseline } from './baseline/store.js';
import { createRegistryClient } from './registry/client.js';
import { annotate } from './report/annotations.js';
import { failMessage } from './report/fail-message.js';
import { renderMarkdown, SUMMARY_DETAIL, type MarkdownOptions } from './report/markdown.js';
import type { Report } from './model/report.js';

/** GitHub's limit for one step's job summary: 1 MiB, counted in bytes of UTF-8. */
export const SUMMARY_MAX_BYTES = 1024 * 1024;
/** Room under the limit for the line break the summary writer adds. */
const SUMMARY_MARGIN_BYTES = 1024;

/**
 * The report for the job summary, fitted to GitHub's limit in bytes: renderMarkdown fits
 * characters, so the budget shrinks by the measured bytes per character until it fits.
 */
export function summaryMarkdown(report: Report, rendering: Omit<MarkdownOptions, 'maxChars'>): string {
  const limit = SUMMARY_MAX_BYTES - SUMMARY_MARGIN_BYTES;
  let maxChars = limit;
  for (let attempt = 0; attempt < 4; attempt++) {
    const body = renderMarkdown(report, { maxDetail: SUMMARY_DETAIL, ...rendering, maxChars });
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes <= limit) return body;
    maxChars = Math.floor(maxChars * (limit / bytes) * 0.95);
  }
  // UTF-8 needs at most 3 bytes per UTF-16 code unit, so this budget always fits.
  return renderMarkdown(report, { maxDetail: SUMMARY_DETAIL, ...rendering, maxChars: Math.floor(limit / 3) });
}

/** The workflow event, read from the files and variables the runner provides. */
export function readEvent(env: NodeJS.ProcessEnv = process.env): WorkflowEvent {
  const name = env.GITHUB_EVENT_NAME ?? '';
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return { name, payload: {} };
  try {
    return { name, payload: JSON.parse(readFileSync(path, 'utf8')) as unknown };
  } catch (error) {
    throw new UserError(`GITHUB_EVENT_PATH ${path} could not be read as JSON: ${messageOf(error)}`);
  }
}

/** The action's entry point: the one place that sets the step's outcome. */
export async function run(): Promise<void> {
  try {
    const event = readEvent();
    const inputs = readInputs(actionInputReader(), event);
    const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
    const baselines = baselineStore(inputs, event);
    const report = await measure(inputs, workspace, baselines);
    const failure = await publish(report, inputs, event);
    if (BASELINE_EVENTS.includes(event.name) && inputs.baseline !== 'none') await keep(report, inputs, event, baselines);
    if (failure && inputs.failOn === 'budget') core.setFailed(failure);
  } catch (error) {
    if (error instanceof UserError) {
      core.setFailed(error.message);
    } else {
      core.debug(error instanceof Error ? (error.stack ?? error.message) : String(error));
      core.setFailed(`footprint stopped on an unexpected error: ${messageOf(error)}`);
    }
  }
}

async function measure(inputs: Inputs, workspace: string, baselines: BaselineStore | null): Promise<Report> {
  const configPath = isAbsolute(inputs.config.path) ? inputs.config.path : resolve(workspace, inputs.config.path);
  const config = await loadConfig(configPath, { required: inputs.config.required, displayPath: inputs.config.path, root: workspace });
  const engine = await createDockerEngine({ exec });
  core.info(`Building with ${engine.builder}.`);
  const analyser = bundledAnalyser('analysis-worker/index.js');
  return runPipeline(
    {
      repo: workspace,
      root: workspace,
      inputs,
      config,
      runId: `${process.env.GITHUB_RUN_ID ?? process.pid}-${process.env.GITHUB_RUN_ATTEMPT ?? '1'}`
    },
    {
      engine,
      exec,
      registry: createRegistryClient({ log: core.debug }),
      ...(baselines ? { baselines } : {}),
      // dist/index.js analyses each image in the worker bundled beside it.
      ...(analyser ? { analyser } : {}),
      // Messages may quote the repository (a Dockerfile's problems, git's output): info lines cannot issue commands;
      // a warning is a command whose text @actions/core escapes (% CR LF), so it cannot end the line and start another.
      log: { info: (message) => logUntrusted(message, core.info), warning: (message) => core.warning(message) },
      hooks: {
        onStart: ({ side, target, index, total }) => core.startGroup(`${side === 'head' ? 'PR' : 'Base'} ${index}/${total}: ${target.name}`),
        onLine: ({ line }) => logUntrusted(line, core.info),
        onDone: ({ measurement, seconds }) => {
          core.endGroup();
          const outcome = measurement.error ? `failed: ${measurement.error.message}` : `${measurement.size?.bytes} bytes`;
          logUntrusted(`${measurement.target.name}: ${outcome} (${seconds.toFixed(1)} s)`, core.info);
        }
      }
    }
  );
}

/** The stored reports this run may compare with: only with a token, and only for pull requests and branch runs. */
function baselineStore(inputs: Inputs, event: WorkflowEvent): BaselineStore | null {
  const lookup = pullRequest(event) !== null || BASELINE_EVENTS.includes(event.name);
  if (!lookup || !inputs.githubToken || inputs.baseline === 'build' || inputs.baseline === 'none') return null;
  const [owner = '', repo = ''] = (process.env.GITHUB_REPOSITORY ?? '/').split('/');
  return createBaselineStore({
    octokit: () => createOctokit(inputs.githubToken, { log: core }),
    token: inputs.githubToken,
    owner,
    repo,
    workflow: workflowFileOf(process.env.GITHUB_WORKFLOW_REF ?? ''),
    commentKey: inputs.commentKey,
    warn: (message) => core.warning(message)
  });
}

/** Keeps the report of a branch run as the workflow artifact later pull requests compare with. */
async function keep(report: Report, inputs: Inputs, event: WorkflowEvent, baselines: BaselineStore | null): Promise<void> {
  const sha = process.env.GITHUB_SHA ?? '';
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) {
    core.warning('This report is not kept for pull requests: the commit it measured is unknown (no GITHUB_SHA).');
    return;
  }
  const run = {
    repository: process.env.GITHUB_REPOSITORY ?? '',
    sha,
    ref: process.env.GITHUB_REF || null,
    event: event.name,
    createdAt: new Date().toISOString()
  };
  // A run that compared with no stored report (a scheduled run, a push after one that kept none) continues the
  // history of an earlier run of the same commit, if one kept a report; else the history starts here.
  const earlier = report.trend === null && baselines ? await baselines.find(sha) : null;
  const trend = report.trend ?? (earlier?.kind === 'found' ? earlier.baseline.trend : null);
  await keepBaseline({ ...report, trend }, run, inputs.commentKey, { info: core.info, warn: (message) => core.warning(message) });
}

/** GitHub refuses a step output over 1 MB. */
const OUTPUT_MAX_BYTES = 1_000_000;

/**
 * The `report` output: the whole report when it fits in an output, else without the
 * inventories, then also without the change records (the `report-file` has everything).
 */
export function reportOutput(report: Report, json = JSON.stringify(report)): string {
  if (Buffer.byteLength(json) <= OUTPUT_MAX_BYTES) return json;
  const lean = JSON.stringify({ ...report, images: report.images.map((image) => ({ ...image, inventory: null })) });
  if (Buffer.byteLength(lean) <= OUTPUT_MAX_BYTES) return lean;
  return JSON.stringify({ ...report, images: report.images.map((image) => ({ ...image, inventory: null, change: null })) });
}

/** Outputs, job summary, annotations and the PR comment. Returns the gate's failure message, if any. */
async function publish(report: Report, inputs: Inputs, event: WorkflowEvent): Promise<string | null> {
  const pr = pullRequest(event);
  const rendering = { key: inputs.commentKey, footer: footer(pr?.headSha ?? null), chartLabel: pr ? 'PR' : 'this run' };
  const body = renderMarkdown(report, rendering);
  const json = JSON.stringify(report);
  const file = join(process.env.RUNNER_TEMP || tmpdir(), `footprint-report-${inputs.commentKey}.json`);
  await writeFile(file, json);
  core.setOutput('report-file', file);
  core.setOutput('report', reportOutput(report, json));
  core.setOutput('comment-body', body);
  core.setOutput('over-budget', String(report.overBudget));
  // The job summary may be far longer than a comment (GitHub allows 1 MiB per step).
  await writeJobSummary(summaryMarkdown(report, { ...rendering, charts: 'every' }));
  annotate(report, core);

  let commentUrl = '';
  if (pr && inputs.comment !== 'never' && !inputs.githubToken) {
    core.warning('No github-token: the PR comment is skipped; the report is in the job summary and the outputs.');
  } else if (pr && inputs.comment !== 'never') {
    const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? '/').split('/');
    const octokit = createOctokit(inputs.githubToken, { log: core });
    const result = await upsertComment({
      octokit,
      owner: owner as string,
      repo: repo as string,
      issueNumber: pr.number,
      key: inputs.commentKey,
      body,
      mode: inputs.comment,
      changed: hasChanges(report.images),
      author: inputs.commentAuthor
    });
    if (result.action === 'forbidden' || result.action === 'failed') core.warning(result.message);
    else core.info(result.message);
    commentUrl = result.url ?? '';
  } else if (!pr) {
    core.info('Not a pull request event: the report is in the job summary and the outputs.');
  }
  core.setOutput('comment-url', commentUrl);
  return failMessage(report.images);
}

function pullRequest(event: WorkflowEvent): { number: number; headSha: string | null } | null {
  const number = payloadField(event.payload, 'pull_request', 'number');
  const headSha = payloadField(event.payload, 'pull_request', 'head', 'sha');
  if (typeof number !== 'number') return null;
  return { number, headSha: typeof headSha === 'string' ? headSha : null };
}

function footer(headSha: string | null): string {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = process.env;
  const parts: string[] = [];
  if (headSha && /^[0-9a-f]{7,64}$/i.test(headSha)) parts.push(`Commit ${headSha.slice(0, 7)}`);
  if (server && repository && runId && /^\d+$/.test(runId)) {
    parts.push(`[workflow run](${encodeURI(`${server}/${repository}/actions/runs/${runId}`)})`);
  }
  return parts.length ? `<sub>${parts.join(' · ')} · measured by footprint</sub>` : '<sub>measured by footprint</sub>';
}
