/**
 * Runs the bundled action (dist/index.js) as a child process the way the GitHub runner
 * does: INPUT_* variables (with action.yml's defaults filled in), an event payload file,
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and GITHUB_API_URL pointing at a test server.
 */
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
export const ACTION_ENTRY = join(PROJECT_ROOT, 'dist', 'index.js');

export interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** What the step saved for its post step (GITHUB_STATE), the last value of each name, as the runner passes it on. */
  state: Record<string, string>;
  /** The file the `report-file` output names, read before RUNNER_TEMP is removed; null when there is none. */
  reportFile: string | null;
}

export interface RunActionOptions {
  workspace: string;
  eventName: string;
  payload: unknown;
  inputs?: Record<string, string>;
  apiUrl?: string;
  token?: string;
  repository?: string;
  /** Extra environment variables for the action's process. */
  env?: Record<string, string>;
  /** Called once the process has started, with it (to signal it, as a cancelled job does). */
  whileRunning?: (child: ResultPromise) => void;
}

interface ActionYaml {
  inputs: Record<string, { default?: string }>;
}

/** Fills in action.yml defaults as the runner would, evaluating the two expressions it uses. */
async function inputEnvironment(options: RunActionOptions): Promise<Record<string, string>> {
  const action = parse(await readFile(join(PROJECT_ROOT, 'action.yml'), 'utf8')) as ActionYaml;
  const payload = options.payload as { pull_request?: { base?: { sha?: string } }; before?: string };
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    let value = spec.default ?? '';
    if (value.includes('github.token')) value = options.token ?? '';
    else if (value.includes('github.event')) value = payload.pull_request?.base?.sha ?? payload.before ?? '';
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) env[`INPUT_${name.toUpperCase()}`] = value;
  return env;
}

/** GITHUB_OUTPUT holds `name<<DELIMITER`, the value's lines, then `DELIMITER`. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] as string);
    if (!match) continue;
    const [, name, delimiter] = match as unknown as [string, string, string];
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] as string);
    outputs[name] = value.join('\n');
  }
  return outputs;
}

export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  if (!existsSync(ACTION_ENTRY)) throw new Error(`${ACTION_ENTRY} is missing: run \`npm run package\` first`);
  const dir = await mkdtemp(join(tmpdir(), 'footprint-run-'));
  try {
    const eventPath = join(dir, 'event.json');
    const outputPath = join(dir, 'output');
    const summaryPath = join(dir, 'summary.md');
    const statePath = join(dir, 'state');
    await writeFile(eventPath, JSON.stringify(options.payload));
    await writeFile(outputPath, '');
    await writeFile(summaryPath, '');
    await writeFile(statePath, '');
    // Start from the machine's environment without anything GitHub-specific the test itself may run under.
    const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GITHUB_|INPUT_|RUNNER_|ACTIONS_)/.test(key)));
    const child = execa(process.execPath, [ACTION_ENTRY], {
      cwd: options.workspace,
      reject: false,
      extendEnv: false,
      env: {
        ...base,
        ...(await inputEnvironment(options)),
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: options.eventName,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_WORKSPACE: options.workspace,
        GITHUB_REPOSITORY: options.repository ?? 'Codertocat/Hello-World',
        GITHUB_API_URL: options.apiUrl ?? 'http://127.0.0.1:9',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_RUN_ID: '4242',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_OUTPUT: outputPath,
        GITHUB_STEP_SUMMARY: summaryPath,
        GITHUB_STATE: statePath,
        RUNNER_TEMP: dir,
        ...options.env
      }
    });
    options.whileRunning?.(child);
    const result = await child;
    const outputs = parseOutputFile(await readFile(outputPath, 'utf8'));
    return {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
      outputs,
      reportFile: outputs['report-file'] ? await readFile(outputs['report-file'], 'utf8').catch(() => null) : null,
      summary: await readFile(summaryPath, 'utf8'),
      state: parseOutputFile(await readFile(statePath, 'utf8'))
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function exampleEvents(name: string): Promise<Array<Record<string, any>>> {
  const all = JSON.parse(
    await readFile(join(PROJECT_ROOT, 'node_modules', '@octokit', 'webhooks-examples', 'api.github.com', 'index.json'), 'utf8')
  ) as Array<{ name: string; examples: Array<Record<string, any>> }>;
  const examples = all.find((e) => e.name === name)?.examples ?? [];
  if (examples.length === 0) throw new Error(`no ${name} example payload in @octokit/webhooks-examples`);
  return examples;
}

/** A pull_request payload from GitHub's own examples, pointed at the test repository's commits. */
export async function pullRequestPayload(baseSha: string, headSha: string): Promise<Record<string, any>> {
  const opened = (await exampleEvents('pull_request')).find((e) => e.action === 'opened');
  const payload = structuredClone(opened) as Record<string, any>;
  payload.pull_request.base.sha = baseSha;
  payload.pull_request.head.sha = headSha;
  return payload;
}

/** A push payload from GitHub's own examples, pointed at the test repository's commits. */
export async function pushPayload(before: string, after: string): Promise<Record<string, any>> {
  const [push] = await exampleEvents('push');
  return { ...structuredClone(push), before, after };
}
