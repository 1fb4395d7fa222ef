#!/usr/bin/env node
// The stored-baseline benchmark: what a pull request costs when the base side comes from the
// report the base commit's push run kept, against building both sides as before. The bundled
// action (dist/index.js) runs end to end as the e2e test __tests__/e2e/baseline.test.ts runs it:
// a git repository with a bare origin, the REST API stand-in (fake-github.ts) serving workflow
// runs and artifacts, the Actions results service stand-in with Azurite behind it, and a
// `docker` shim first on the action's PATH that notes every call and how long it took. The
// repository holds six images on the local bases (four on TEST_BASE, two on TEST_FAT_BASE),
// each with a RUN step that writes and compresses tens of MB, so a build costs seconds.
// Measured, as the wall time of the action's run (event files to exit), each scenario on a base
// commit of its own:
//   1. "today": a docs-only PR (README.md only) with `baseline: build`: every image built on
//      both sides, 12 builds;
//   2. "stored, docs-only": the same PR with `baseline: auto` after a push run of the base commit
//      kept its report (the push run is set-up, not measured);
//   3. "stored, one image changed": a PR that adds a file to one image's context;
//   4. for reference, "worktree fallback, docs-only": `baseline: auto` on a base commit whose
//      push run never ran: the base commit is built in a worktree, each image once (PR side).
// Goals: (2) builds nothing and takes under 10% of (1)'s time; (3) builds exactly one image;
// (1) and (4) make 12 and 6 builds. A missed goal is reported, not an error: the exit code is
// non-zero only when something crashed (or the action itself failed).
//
// The build cache must not flatter "today": every base commit's Dockerfiles carry a salt of
// their own in the RUN step, so no measured run finds a step cached from an earlier run. The
// action removes each image once it is measured; on the classic builder (what `docker build`
// is without buildx) that deletes its cached steps too, so within one "today" run the base
// side's builds, whose inputs equal the PR side's, really build again. With buildx (BuildKit)
// the cache outlives the tags and the base side is answered from it, as in one CI job: the
// output splits the build time by side to show which happened. Nothing is pruned:
// `docker builder prune` and `docker image prune` act on the whole engine, which the test
// suite and the other benchmarks share (and the salt makes it unnecessary).
//
// Environment: BENCH_RUNS (default 3) runs of each scenario, interleaved, the median counts;
// BENCH_BUILD_MB (default 24) the MB each image's RUN step writes and compresses (the first
// image; each next one 2 MB more).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, printTable, run } from './bench/common.mjs';
import { allowTypeScriptImports } from './bench/ts-support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('dist/index.js is missing: run `npm run package` first.');
  process.exit(1);
}
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const BUILD_MB = Math.max(1, Number(process.env.BENCH_BUILD_MB ?? 24));
const GOALS = { storedShare: 0.1 };

// The test suite's own engine setup and stand-ins (Node 24 loads the TypeScript directly; the
// hook maps their `./x.js` imports to `./x.ts`).
allowTypeScriptImports();
const { default: setUpEngine, TEST_BASE, TEST_FAT_BASE } = await import('../__tests__/support/global-setup.ts');
const { default: tearDownEngine } = await import('../__tests__/support/global-teardown.ts');
const { startAzurite } = await import('../__tests__/support/azurite.ts');
const { createActionsStore } = await import('../__tests__/support/actions-store.ts');
const { startResultsService } = await import('../__tests__/support/results-service.ts');
const { startFakeGitHub } = await import('../__tests__/support/fake-github.ts');
const { runAction, pushPayload, pullRequestPayload } = await import('../__tests__/support/run-action.ts');

const OWNER = 'Codertocat';
const REPO = 'Hello-World';
const PR_NUMBER = 2; // the number in GitHub's example pull_request payload
const TOKEN = 'ghs_benchBaselineToken0123456789';
const WORKFLOW = 'footprint.yml';
const ZERO_SHA = '0'.repeat(40);
/** The six images: name (its folder) and base. */
const IMAGES = [
  ['api', TEST_BASE],
  ['web', TEST_BASE],
  ['worker', TEST_BASE],
  ['cron', TEST_BASE],
  ['search', TEST_FAT_BASE],
  ['ml', TEST_FAT_BASE]
];
/** The image whose context scenario 3 changes. */
const CHANGED = 'web';
/** Run ids of this benchmark: its image tags (`footprint-local/…:<run id>-1-head`) are told apart from the tests'. */
let nextRunId = 770_000_000 + (process.pid % 1000) * 1000;

/** `bytes` of text that differs for each `seed`. */
const filler = (seed, bytes) => `${seed}\n`.repeat(Math.ceil(bytes / (seed.length + 1))).slice(0, bytes);

/**
 * An image's Dockerfile: its context copied in, then tens of MB of random bytes written, compressed
 * and summed (seconds of CPU and disk). The salt makes the step new to the build cache.
 */
const dockerfile = (base, mb, salt) =>
  [
    `FROM ${base}`,
    'COPY . /app/',
    `RUN echo ${salt} > /etc/bench-salt && mkdir -p /data && head -c ${mb}000000 /dev/urandom > /data/blob.bin && ` +
      'gzip -9 -c /data/blob.bin > /data/blob.gz && sha256sum /data/blob.bin /data/blob.gz > /data/sums',
    'CMD ["sh"]',
    ''
  ].join('\n');

/** A base commit's files: every Dockerfile with this salt (the contexts stay the same). */
function mainFiles(salt) {
  const files = { 'README.md': '# six images\n' };
  IMAGES.forEach(([name, base], index) => {
    files[`${name}/Dockerfile`] = dockerfile(base, BUILD_MB + 2 * index, salt);
    files[`${name}/app.txt`] = filler(`${name} app`, 50_000);
  });
  files['api/.dockerignore'] = '*.log\n';
  return files;
}

// Git with the machine's config switched off, so a developer's settings cannot change the outcome.
const gitEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^GIT_(DIR|WORK_TREE|INDEX_FILE)$/.test(key)));
Object.assign(gitEnv, { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' });
const git = (cwd, args) => run('git', args, { cwd, env: gitEnv }).trim();

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const percent = (ratio) => `${(ratio * 100).toFixed(1)}%`;

await setUpEngine();
const dockerPath = run('sh', ['-c', 'command -v docker']).trim();
const work = realpathSync(mkdtempSync(join(tmpdir(), 'footprint-bench-baseline-')));
let azurite = null;
let results = null;
let github = null;
/** Run ids the action ran under: whatever tag of theirs is left is removed at the end. */
const runIds = [];
try {
  // A `docker` first on the action's PATH that notes each call and its start and end (ns), then runs the real one.
  const shim = join(work, 'shim');
  const calls = join(shim, 'calls');
  mkdirSync(shim);
  writeFileSync(
    join(shim, 'docker'),
    [
      '#!/bin/sh',
      `call="$(mktemp '${calls}/docker.XXXXXX')"`,
      `printf '%s\\n' "$@" > "$call"`,
      'started="$(date +%s%N)"',
      `'${dockerPath}' "$@"`,
      'status=$?',
      `printf '%s %s\\n' "$started" "$(date +%s%N)" > "$call.time"`,
      'exit $status',
      ''
    ].join('\n')
  );
  chmodSync(join(shim, 'docker'), 0o755);

  // A bare origin, a working clone that makes the commits, and the clone the action runs in (full history).
  const origin = join(work, 'origin.git');
  const author = join(work, 'work');
  const checkout = join(work, 'checkout');
  git(work, ['init', '--quiet', '--bare', '--initial-branch=main', origin]);
  git(work, ['init', '--quiet', '--initial-branch=main', author]);
  for (const [key, value] of [
    ['user.name', 'Footprint Bench'],
    ['user.email', 'footprint-bench@example.com'],
    ['commit.gpgsign', 'false']
  ]) {
    git(author, ['config', key, value]);
  }
  git(author, ['remote', 'add', 'origin', `file://${origin}`]);

  /** Commits `files` on top of `parent` (null: where HEAD is) as `branch`, pushes it, returns its SHA. */
  const commit = (branch, parent, files, message) => {
    git(author, ['checkout', '--quiet', '--force', '-B', branch, ...(parent ? [parent] : [])]);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(author, path)), { recursive: true });
      writeFileSync(join(author, path), content);
    }
    git(author, ['add', '--all']);
    git(author, ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', message]);
    git(author, ['push', '--quiet', '--force', 'origin', branch]);
    return git(author, ['rev-parse', 'HEAD']);
  };
  commit('main', null, { 'README.md': '# six images\n' }, 'start');
  git(work, ['clone', '--quiet', `file://${origin}`, checkout]);

  azurite = await startAzurite();
  const store = createActionsStore();
  results = await startResultsService({ store, azurite });
  github = await startFakeGitHub({ owner: OWNER, repo: REPO, issueNumber: PR_NUMBER, token: TOKEN, actions: { store, azurite } });

  /** The docker calls of the last run: each one's arguments and milliseconds. */
  const dockerCalls = () =>
    readdirSync(calls)
      .filter((name) => !name.endsWith('.time'))
      .map((name) => {
        const args = readFileSync(join(calls, name), 'utf8').split('\n').slice(0, -1);
        const time = existsSync(join(calls, `${name}.time`))
          ? readFileSync(join(calls, `${name}.time`), 'utf8')
              .trim()
              .split(' ')
          : [];
        const ms = time.length === 2 ? Number(BigInt(time[1]) - BigInt(time[0])) / 1e6 : NaN;
        return { args, ms };
      });

  /** Runs the action on `sha` as the runner would after actions/checkout (fetch-depth: 0). */
  async function act(eventName, payload, sha, inputs = {}) {
    git(checkout, ['fetch', '--quiet', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
    git(checkout, ['checkout', '--quiet', '--force', '--detach', sha]);
    git(checkout, ['clean', '--quiet', '-fdx']);
    rmSync(calls, { recursive: true, force: true });
    mkdirSync(calls);
    const runId = nextRunId++;
    runIds.push(runId);
    const started = performance.now();
    const result = await runAction({
      workspace: checkout,
      eventName,
      payload,
      apiUrl: github.url,
      token: TOKEN,
      repository: `${OWNER}/${REPO}`,
      inputs: { 'fail-on': 'never', ...inputs },
      env: {
        ...results.env(),
        PATH: `${shim}:${process.env.PATH ?? ''}`,
        GITHUB_SHA: sha,
        GITHUB_REF: eventName === 'pull_request' ? `refs/pull/${PR_NUMBER}/merge` : 'refs/heads/main',
        GITHUB_RUN_ID: String(runId),
        GITHUB_WORKFLOW_REF: `${OWNER}/${REPO}/.github/workflows/${WORKFLOW}@refs/heads/main`
      }
    });
    const ms = performance.now() - started;
    if (result.exitCode !== 0 || result.reportFile === null) {
      throw new Error(`the action failed (exit code ${result.exitCode}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
    }
    const all = dockerCalls();
    const builds = all
      .filter(({ args }) => args[0] === 'build' || (args[0] === 'buildx' && args[1] === 'build'))
      .map(({ args, ms: buildMs }) => ({
        image: basename(dirname(args[args.indexOf('-f') + 1] ?? '')),
        side: /-(head|base)$/.exec(args[args.indexOf('-t') + 1] ?? '')?.[1] ?? '?',
        ms: buildMs
      }));
    const sum = (list) => list.reduce((total, call) => total + call.ms, 0);
    return { runId, ms, report: JSON.parse(result.reportFile), builds, buildMs: sum(builds), dockerMs: sum(all) };
  }

  /** A push run on main that keeps its report; the run and its artifact are registered as GitHub would. */
  async function push(sha) {
    const uploaded = store.artifacts.length;
    // A push that made the branch (nothing before it): set-up only, so nothing is compared.
    const result = await act('push', await pushPayload(ZERO_SHA, sha), sha);
    if (store.artifacts.length !== uploaded + 1) throw new Error('the push run kept no report as an artifact');
    store.addRun({ id: result.runId, headSha: sha, event: 'push', conclusion: 'success', headRepository: `${OWNER}/${REPO}`, workflow: WORKFLOW });
    store.linkArtifact(store.artifacts.at(-1).id, result.runId);
    return result;
  }

  const pullRequest = async (base, head, inputs = {}) => act('pull_request', await pullRequestPayload(base, head), head, inputs);

  const SCENARIOS = {
    today: { label: 'today: docs-only PR, baseline: build', goal: '12 builds (both sides)', expected: 12 },
    storedDocs: { label: 'stored, docs-only', goal: `0 builds, < ${GOALS.storedShare * 100}% of today`, expected: 0 },
    storedOne: { label: 'stored, one image changed', goal: 'exactly 1 build', expected: 1 },
    fallback: { label: 'worktree fallback, docs-only', goal: '6 builds (PR side only)', expected: 6 }
  };
  const measured = Object.fromEntries(Object.keys(SCENARIOS).map((key) => [key, []]));
  const pushes = [];
  const notes = [];
  const expectSource = (key, result, source) => {
    if (result.report.baseline?.source !== source) {
      notes.push(`${SCENARIOS[key].label}, run ${result.runId}: the base side came from "${result.report.baseline?.source}", not "${source}".`);
    }
  };

  console.log(
    `Six images (${IMAGES.map(([name]) => name).join(', ')}); each build writes and compresses ${BUILD_MB}-${BUILD_MB + 10} MB. ` +
      `${RUNS} runs of each scenario, interleaved, medians count.`
  );
  const loadAtStart = loadavg()[0];
  for (let round = 1; round <= RUNS; round++) {
    // Each scenario on a base commit of its own, whose salt no earlier build has seen.
    const salt = (scenario) => `${scenario}-${round}-${process.pid}-${Date.now()}`;
    const docs = (base, scenario) =>
      commit(`docs-${scenario}-${round}`, base, { 'README.md': `# six images, documented (${scenario} ${round})\n` }, 'docs');

    // Set-up, not measured (it also warms the page cache for the runs that follow): a push run keeps the base commit's report.
    const storedBase = commit('main', 'main', mainFiles(salt('stored')), `stored ${round}`);
    pushes.push(await push(storedBase));

    const todayBase = commit('main', 'main', mainFiles(salt('today')), `today ${round}`);
    const today = await pullRequest(todayBase, docs(todayBase, 'today'), { baseline: 'build' });
    measured.today.push(today);
    expectSource('today', today, 'build');

    const storedDocs = await pullRequest(storedBase, docs(storedBase, 'stored'));
    measured.storedDocs.push(storedDocs);
    expectSource('storedDocs', storedDocs, 'stored');

    const oneChanged = commit(`grow-${CHANGED}-${round}`, storedBase, { [`${CHANGED}/extra.txt`]: filler(`${CHANGED} ${round}`, 200_000) }, 'grows');
    const storedOne = await pullRequest(storedBase, oneChanged);
    measured.storedOne.push(storedOne);
    expectSource('storedOne', storedOne, 'stored');
    if (storedOne.builds.some((build) => build.image !== CHANGED))
      notes.push(`stored, one image changed, run ${storedOne.runId}: built other images too.`);

    // A base commit whose push run never ran: no stored report, so the base commit is built in a worktree.
    const fallbackBase = commit('main', 'main', mainFiles(salt('fallback')), `fallback ${round}`);
    const fallback = await pullRequest(fallbackBase, docs(fallbackBase, 'fallback'));
    measured.fallback.push(fallback);
    expectSource('fallback', fallback, 'build');

    console.log(
      `Run ${round}/${RUNS}: ` +
        Object.entries(measured)
          .map(([key, list]) => `${key} ${(list.at(-1).ms / 1000).toFixed(2)} s (${list.at(-1).builds.length} builds)`)
          .join(', ')
    );
  }

  const todayMs = median(measured.today.map((result) => result.ms));
  const buildCounts = (list) => {
    const counts = [...new Set(list.map((result) => result.builds.length))].sort((a, b) => a - b);
    return { text: counts.join('/'), all: counts };
  };
  const rows = [['scenario', 'builds', 'wall (median)', 'ratio to today   goal   met?']];
  const cells = [];
  let met = true;
  for (const [key, scenario] of Object.entries(SCENARIOS)) {
    const list = measured[key];
    const ms = median(list.map((result) => result.ms));
    const counts = buildCounts(list);
    let ok = counts.all.length === 1 && counts.all[0] === scenario.expected;
    if (key === 'storedDocs') ok &&= ms < GOALS.storedShare * todayMs;
    if (key === 'storedDocs' || key === 'storedOne') met &&= ok;
    cells.push([scenario.label, counts.text, seconds(ms), `${(ms / todayMs).toFixed(3)}x`, scenario.goal, ok ? 'met' : 'NOT met']);
  }
  const width = (column) => Math.max(...cells.map((row) => row[column].length));
  rows[0][3] = `${'ratio'.padEnd(width(3))}   ${'goal'.padEnd(width(4))}   met?`;
  for (const row of cells) rows.push([row[0], row[1], row[2], `${row[3].padEnd(width(3))}   ${row[4].padEnd(width(4))}   ${row[5]}`]);
  printTable(rows);

  // Is "today" dominated by builds, and did its PR side really build?
  const today = measured.today;
  const share = median(today.map((result) => result.buildMs / result.ms));
  const perBuild = (side) => median(today.flatMap((result) => result.builds.filter((build) => build.side === side).map((build) => build.ms)));
  console.log(
    `\nToday: ${percent(share)} of the wall time inside \`docker build\` (median ${seconds(median(today.map((r) => r.buildMs)))} of ` +
      `${seconds(todayMs)}), ${percent(median(today.map((r) => r.dockerMs / r.ms)))} inside docker calls of any kind.`
  );
  const [headBuild, baseBuild] = [perBuild('head'), perBuild('base')];
  console.log(
    `  One build, median: PR side ${seconds(headBuild)}, base side ${seconds(baseBuild)}: ` +
      (baseBuild < headBuild / 2
        ? "the base side's builds (the same inputs) were answered from the cache the PR side's builds made, as in one CI job."
        : 'the base side really built again (the action removes each image once measured, and on the classic builder its cached steps with it).')
  );
  const fallbackBuild = median(measured.fallback.flatMap((result) => result.builds.map((build) => build.ms)));
  const oneBuild = median(measured.storedOne.flatMap((result) => result.builds.map((build) => build.ms)));
  console.log(
    `  For comparison, one build in the worktree fallback ${seconds(fallbackBuild)}, the one in "stored, one image changed" ${seconds(oneBuild)}.`
  );
  console.log(
    `Inside docker calls of any kind (median): ${Object.keys(SCENARIOS)
      .map((key) => `${key} ${seconds(median(measured[key].map((result) => result.dockerMs)))}`)
      .join(', ')}.`
  );
  console.log(`Set-up push runs (6 builds each, not measured): ${pushes.map((result) => (result.ms / 1000).toFixed(2)).join(' ')} s.`);
  console.log(
    `Runs (s): ${Object.keys(SCENARIOS)
      .map((key) => `${key} ${measured[key].map((result) => (result.ms / 1000).toFixed(2)).join(' ')}`)
      .join('; ')}.`
  );
  console.log(`Load average (1 min): ${loadAtStart.toFixed(2)} at the first run, ${loadavg()[0].toFixed(2)} at the end.`);
  const contract = [...github.errors, ...results.errors];
  if (contract.length > 0) notes.push(`The stand-ins saw requests outside the API contracts: ${contract.slice(0, 5).join('; ')}`);
  for (const note of notes) console.log(`Note: ${note}`);
  // A missed goal is a finding to report, not a failure of the benchmark.
  console.log(`\n${met ? 'All goals met.' : 'Some goals NOT met.'}`);
} finally {
  await github?.close();
  await results?.close();
  await azurite?.stop();
  // The action removes its own tags; a run that stopped half-way may have left some.
  const left = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', 'footprint-local/*'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((ref) => runIds.some((id) => ref.endsWith(`:${id}-1-head`) || ref.endsWith(`:${id}-1-base`)));
  if (left.length > 0) spawnSync('docker', ['image', 'rm', '--', ...left], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
  await tearDownEngine();
}
