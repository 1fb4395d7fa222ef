import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { planTargets } from '../../src/discover/plan.js';
import { DEFAULT_DOCKERFILE_GLOBS } from '../../src/inputs.js';

const examples = resolve(import.meta.dirname, '..', '..', 'examples');
const noDefaults = { budget: null, maxIncrease: null, maxWasted: null, metric: null, buildArgs: {}, target: null, platform: null };

describe('examples/', () => {
  test('the example config is valid and names every example Dockerfile', async () => {
    const config = await loadConfig(join(examples, 'footprint.yml'), { required: true, displayPath: 'examples/footprint.yml' });
    const targets = await planTargets({
      root: examples,
      globs: DEFAULT_DOCKERFILE_GLOBS,
      config,
      defaults: noDefaults,
      images: [],
      side: 'head'
    });
    expect(targets.map((t) => [t.name, t.dockerfile, t.budget?.source])).toEqual([
      ['python-debian', 'python/Dockerfile', '1.2GB'],
      ['python-alpine', 'python/Dockerfile.alpine', '80MB'],
      ['go-toolchain', 'go/Dockerfile', '1GB'],
      ['go-alpine', 'go/Dockerfile.alpine', '25MB'],
      ['go-scratch', 'go/Dockerfile.scratch', '15MB']
    ]);
    expect(targets.find((t) => t.name === 'go-scratch')?.maxIncrease).toMatchObject({ bytes: 1_000_000, percent: null });
  });

  test('the example workflow measures pushes and pull requests, with permission to comment and to read stored reports', async () => {
    const workflow = parse(await readFile(join(examples, 'workflow.yml'), 'utf8'));
    const events = typeof workflow.on === 'string' ? [workflow.on] : Object.keys(workflow.on);
    expect(events).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(workflow.permissions['pull-requests']).toBe('write');
    expect(workflow.permissions.actions).toBe('read');
    const steps = workflow.jobs.footprint.steps as Array<{ uses?: string }>;
    expect(steps.some((step) => step.uses?.startsWith('footprint-action/footprint@'))).toBe(true);
  });
});

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

const root = resolve(import.meta.dirname, '..', '..');

/** Every workflow the project shows: the YAML blocks of README.md with jobs, and the workflow files under examples/. */
function workflows(): Array<{ where: string; steps: Step[] }> {
  const found: Array<{ where: string; text: string }> = [];
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const [index, block] of [...readme.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].entries()) {
    found.push({ where: `README.md yaml block ${index + 1}`, text: block[1]! });
  }
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(folder, entry.name)) : /\.ya?ml$/.test(entry.name) ? [join(folder, entry.name)] : []
    );
  for (const file of walk(examples)) found.push({ where: file.slice(root.length + 1), text: readFileSync(file, 'utf8') });
  return found
    .map(({ where, text }) => ({ where, parsed: parse(text) as { jobs?: Record<string, { steps?: Step[] }> } | null }))
    .filter(({ parsed }) => parsed?.jobs)
    .map(({ where, parsed }) => ({ where, steps: Object.values(parsed!.jobs!).flatMap((job) => job.steps ?? []) }));
}

/** GitHub's default shell for run steps on Linux. */
function runStep(script: string, cwd: string, env: Record<string, string>) {
  return spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8'
  });
}

/** A comment body as a hostile PR can shape it: its build log and names end up in the body. */
const HOSTILE_BODY = [
  '<!-- footprint:default -->',
  '### footprint — image sizes',
  'FOOTPRINT_EOF',
  'touch pwned-heredoc',
  'EOF',
  '$(touch pwned-substitution) `touch pwned-backtick` "; touch pwned-quote; \' \\',
  '%s %n -e ${HOME}'
].join('\n');

describe('workflows in the README and examples/', () => {
  const all = workflows();

  test('are found: the quick start, the fork recipe (both workflows) and examples/workflow.yml', () => {
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(all.map((workflow) => workflow.where)).toContain('examples/workflow.yml');
    expect(all.flatMap((workflow) => workflow.steps).some((step) => step.run?.includes('COMMENT_BODY'))).toBe(true);
    expect(all.flatMap((workflow) => workflow.steps).some((step) => typeof step.with?.script === 'string')).toBe(true);
  });

  test('never interpolate ${{ }} into run: or script: text; values arrive through env:', () => {
    const pasted = all.flatMap(({ where, steps }) =>
      steps.flatMap((step) =>
        [step.run, step.with?.script]
          .filter((text): text is string => typeof text === 'string' && text.includes('${{'))
          .map((text) => `${where}: ${text.match(/\$\{\{[^}]*\}\}/)?.[0] ?? text}`)
      )
    );
    expect(pasted).toEqual([]);
  });

  test('the fork recipe writes a hostile comment body to its artifact byte for byte, and runs none of it', () => {
    const step = all.flatMap((workflow) => workflow.steps).find((candidate) => candidate.env?.COMMENT_BODY);
    expect(step?.env).toEqual({
      COMMENT_BODY: '${{ steps.footprint.outputs.comment-body }}',
      PR_NUMBER: '${{ github.event.pull_request.number }}'
    });
    const folder = mkdtempSync(join(tmpdir(), 'footprint-recipe-'));
    try {
      const result = runStep(step!.run!, folder, { COMMENT_BODY: HOSTILE_BODY, PR_NUMBER: '42' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(readFileSync(join(folder, 'footprint', 'comment.md'), 'utf8')).toBe(HOSTILE_BODY);
      expect(readFileSync(join(folder, 'footprint', 'pr-number'), 'utf8')).toBe('42\n');
      expect(readdirSync(folder)).toEqual(['footprint']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('the github-script of the fork recipe compiles, as github-script wraps it (an async function)', () => {
    const scripts = all.flatMap((workflow) => workflow.steps).flatMap((step) => (typeof step.with?.script === 'string' ? [step.with.script] : []));
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => unknown;
    for (const script of scripts) expect(() => new AsyncFunction('require', 'github', 'context', 'core', script)).not.toThrow();
  });

  test('the heredoc the recipe used to have, with the body pasted in as GitHub does, runs the body', () => {
    const old = [
      'mkdir -p footprint',
      "cat > footprint/comment.md <<'FOOTPRINT_EOF'",
      '${{ steps.footprint.outputs.comment-body }}',
      'FOOTPRINT_EOF'
    ].join('\n');
    const folder = mkdtempSync(join(tmpdir(), 'footprint-recipe-'));
    try {
      runStep(old.replace('${{ steps.footprint.outputs.comment-body }}', HOSTILE_BODY), folder, {});
      expect(existsSync(join(folder, 'pwned-heredoc'))).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
