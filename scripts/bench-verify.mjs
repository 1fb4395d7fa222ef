#!/usr/bin/env node
// The verified-advice benchmark: what `--verify` costs, per image and in all. The bundled CLI
// (dist/cli/index.js) runs on a folder of three images whose bases live in a loopback registry
// under Debian's and Alpine's names (the tests' stand-ins: `debian:12` with make and 40 MB more,
// `debian:12-slim` without make, `alpine:3` without apt-get; the Debian ones with an apt-get that
// writes package lists and packages of known sizes):
//   go:    the blog post's Dockerfile, a static binary added to debian:12 (scratch, slim, alpine);
//   web:   apt-get update and install, then a COPY (slim, alpine that fails, the apt rules' fixes);
//   tools: a RUN that needs make (slim and alpine both fail).
// Measured: the CLI's wall time without and with --verify (medians of BENCH_RUNS, default 2),
// and per image the fixes built and the seconds their builds and measurements took, as the report
// says. No goal: verification is opt-in and costs one build per fix; the figures say how much.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, printTable, run } from './bench/common.mjs';
import { allowTypeScriptImports } from './bench/ts-support.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'dist', 'cli', 'index.js');
if (!existsSync(CLI)) {
  console.error('dist/cli/index.js is missing: run `npm run package` first.');
  process.exit(1);
}
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 2));

allowTypeScriptImports();
const { default: setUpEngine, TEST_BASE, TEST_FAT_BASE } = await import('../__tests__/support/global-setup.ts');
const { default: tearDownEngine } = await import('../__tests__/support/global-teardown.ts');

/**
 * Debian's docker-registry on a free loopback port, storage in `work` (the tests' registry helper imports the
 * sources, which Node's type stripping cannot load, so the benchmark starts its own).
 */
async function startRegistry(work) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${server.address().port}`;
  await new Promise((resolve) => server.close(resolve));
  const folder = join(work, 'registry');
  mkdirSync(folder);
  const config = join(folder, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${JSON.stringify(join(folder, 'data'))}\nhttp:\n  addr: ${address}\n`
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  for (let tries = 0; tries < 150; tries++) {
    const up = await fetch(`http://${address}/v2/`).then(
      (response) => response.ok,
      () => false
    );
    if (up) return { address, stop: () => child.kill('SIGTERM') };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry did not answer on ${address}`);
}

const APT_GET = `#!/bin/sh
case "$1" in
  update) mkdir -p /var/lib/apt/lists && head -c 3000000 /dev/urandom > /var/lib/apt/lists/main_Packages ;;
  install) mkdir -p /usr/share/pkg
    if echo "$*" | grep -q -- --no-install-recommends; then head -c 1000000 /dev/urandom > /usr/share/pkg/pkg.bin
    else head -c 6000000 /dev/urandom > /usr/share/pkg/pkg.bin; fi ;;
esac
`;
const MAKE = '#!/bin/sh\necho built > /built.txt\n';

const seconds = (s) => `${s.toFixed(1)} s`;

/** Builds `name` FROM `from` with these tools in /usr/local/bin and pushes it to the registry. */
function pushBase(address, name, from, tools, work) {
  const folder = mkdtempSync(join(work, 'base-'));
  const lines = [`FROM ${from}`];
  for (const [file, text] of Object.entries(tools)) {
    writeFileSync(join(folder, file), text);
    chmodSync(join(folder, file), 0o755);
    lines.push(`COPY ${file} /usr/local/bin/${file}`);
  }
  writeFileSync(join(folder, 'Dockerfile'), `${lines.join('\n')}\n`);
  const remote = `${address}/library/${name}`;
  run('docker', ['build', '--network=none', '-q', '-t', remote, folder]);
  run('docker', ['push', '-q', remote]);
  return remote;
}

/** The CLI's report and wall time on `folder`. */
function footprint(folder, verify) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [CLI, folder, '--json', ...(verify ? ['--verify', '--verify-timeout', '10m'] : [])], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024
  });
  const wall = (performance.now() - started) / 1000;
  if (result.status !== 0 && result.status !== 1) throw new Error(`footprint failed (exit code ${result.status}): ${result.stderr.slice(-2000)}`);
  return { wall, report: JSON.parse(result.stdout) };
}

/** Per image: fixes built (one record per build) and the seconds they took. */
function verificationOf(image) {
  const builds = new Map();
  for (const finding of image.findings) {
    const verification = finding.verification;
    if (verification && verification.outcome !== 'skipped') builds.set(JSON.stringify(finding.patch), verification);
  }
  const records = [...builds.values()];
  return {
    fixes: records.length,
    built: records.filter((record) => record.outcome === 'builds').length,
    seconds: records.reduce((sum, record) => sum + record.seconds, 0)
  };
}

await setUpEngine();
const work = mkdtempSync(join(tmpdir(), 'footprint-bench-verify-'));
const registry = await startRegistry(work);
const pushed = [];
try {
  const debian = pushBase(registry.address, 'debian:12', TEST_FAT_BASE, { 'apt-get': APT_GET, make: MAKE }, work);
  pushed.push(debian, pushBase(registry.address, 'debian:12-slim', TEST_BASE, { 'apt-get': APT_GET }, work));
  pushed.push(pushBase(registry.address, 'alpine:3', TEST_BASE, {}, work));
  const folder = join(work, 'repo');
  const files = {
    'go/Dockerfile': `FROM ${debian}\nADD main /\nCMD ["/main"]\n`,
    'web/Dockerfile': `FROM ${debian}\nRUN apt-get update && apt-get install -y curl\nCOPY index.html /srv/\n`,
    'web/index.html': '<h1>hello</h1>\n',
    'tools/Dockerfile': `FROM ${debian}\nRUN make\n`
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  copyFileSync('/bin/busybox', join(folder, 'go', 'main'));
  chmodSync(join(folder, 'go', 'main'), 0o755);

  // One unmeasured run of each, so both find the bases pulled.
  footprint(folder, false);
  footprint(folder, true);
  const plain = [];
  const verified = [];
  for (let index = 0; index < RUNS; index++) {
    plain.push(footprint(folder, false));
    verified.push(footprint(folder, true));
  }
  const plainWall = median(plain.map((r) => r.wall));
  const verifiedWall = median(verified.map((r) => r.wall));
  const rows = [
    ['footprint, 3 images', seconds(plainWall), '', ''],
    ['footprint --verify, 3 images', seconds(verifiedWall), `+${seconds(verifiedWall - plainWall)}`, '']
  ];
  const last = verified.at(-1).report;
  for (const image of last.images) {
    const { fixes, built, seconds: spent } = verificationOf(image);
    rows.push([`  ${image.name}`, seconds(spent), `${fixes} fixes tried, ${built} built`, `${fixes > 0 ? seconds(spent / fixes) : '-'} per fix`]);
  }
  printTable(rows);
  console.log(`\nRuns (s): plain ${plain.map((r) => r.wall.toFixed(1)).join(' ')}; --verify ${verified.map((r) => r.wall.toFixed(1)).join(' ')}.`);
} finally {
  spawnSync('docker', ['image', 'rm', ...pushed], { stdio: 'ignore' });
  registry.stop();
  rmSync(work, { recursive: true, force: true });
  await tearDownEngine();
}
