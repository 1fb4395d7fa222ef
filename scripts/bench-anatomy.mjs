#!/usr/bin/env node
// The layer-anatomy benchmark: reads an image of about 1 GB and 50,000+ files, built from a
// local base, and compares the analysis with `docker save IMAGE > /dev/null` alone.
// Goals: analysis / docker save at most 1.3 with the compression estimate off and at most
// 2.0 with it on; peak RSS of the analysing process under 200 MB. Reading what the entrypoint
// runs probes every executable file's headers: measured on a copy of the image whose 25,000
// scripts and 200 MB binary are all made executable, the probe may add at most 5% to the analysis.
//
// Node cannot import the TypeScript sources directly (they import `.js` paths), so the
// analysis entry (scripts/bench/anatomy-entry.ts) is bundled with ncc into a temp folder first.
// Environment: BENCH_RUNS (default 3) runs of each measurement, the median counts;
// BENCH_REBUILD=1 rebuilds the image.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry, imageExists, median, printTable, run } from './bench/common.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGE = 'footprint-bench/anatomy:1';
/** IMAGE with every file under /app and /src made executable: the most the executable probe can have to read. */
const EXEC_IMAGE = 'footprint-bench/anatomy-exec:1';
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const GOALS = { ratioOff: 1.3, ratioOn: 2.0, rssMb: 200, probeShare: 0.05 };

// The test suite's own engine setup (Node 24 loads the TypeScript directly): starts a daemon
// when none runs and makes the local base images, so the benchmark needs no registry.
const { default: setUpEngine, TEST_BASE } = await import('../__tests__/support/global-setup.ts');
const { default: tearDownEngine } = await import('../__tests__/support/global-teardown.ts');

/**
 * About 1 GB in 57,000 files over six layers: incompressible data, source-like text files,
 * machine code, a long text file, zeros, and a layer that deletes part of the earlier ones.
 * Loops use the shell's builtins only, so making 55,000 files takes seconds, not minutes.
 */
function dockerfile(base) {
  return [
    `FROM ${base}`,
    '# 450 MB that no compression shrinks (downloaded archives, media, wheels)',
    'RUN mkdir -p /data && for i in 1 2 3; do head -c 150000000 /dev/urandom > /data/blob$i.bin; done',
    '# 30,000 small text files (a source tree, node_modules)',
    'RUN text="$(busybox --help 2>&1)"; mkdir -p /src && d=0; while [ $d -lt 300 ]; do mkdir /src/d$d; f=0; ' +
      'while [ $f -lt 100 ]; do echo "$d/$f $text" > /src/d$d/f$f.txt; f=$((f+1)); done; d=$((d+1)); done',
    '# 25,000 more small files and 200 MB of machine code',
    'RUN text="$(busybox --help 2>&1)"; mkdir -p /app/lib /app/bin && d=0; while [ $d -lt 250 ]; do mkdir /app/lib/m$d; f=0; ' +
      'while [ $f -lt 100 ]; do echo "module $d.$f ${text%%Currently*}" > /app/lib/m$d/i$f.js; f=$((f+1)); done; d=$((d+1)); done && ' +
      'i=0; while [ $i -lt 100 ]; do cat /bin/busybox; i=$((i+1)); done > /app/bin/tool',
    '# 170 MB of text in one file (logs, data)',
    'RUN seq 1 20000000 > /data/numbers.txt',
    '# 50 MB of zeros',
    'RUN dd if=/dev/zero of=/data/zeros.bin bs=1M count=50 2>/dev/null',
    '# deletes a blob and half of the source tree: whiteouts over earlier layers',
    'RUN rm -f /data/blob1.bin && d=0; while [ $d -lt 150 ]; do rm -rf /src/d$d; d=$((d+1)); done',
    'CMD ["sh"]',
    ''
  ].join('\n');
}

function ensureImage() {
  if (imageExists(IMAGE) && process.env.BENCH_REBUILD !== '1') return;
  const context = mkdtempSync(join(tmpdir(), 'footprint-bench-anatomy-'));
  try {
    writeFileSync(join(context, 'Dockerfile'), dockerfile(TEST_BASE));
    console.log(`Building ${IMAGE} (about 1 GB, once) ...`);
    const started = performance.now();
    run('docker', ['build', '--network=none', '-t', IMAGE, context], { stdio: ['ignore', 'ignore', 'pipe'] });
    console.log(`Built in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

function ensureExecImage() {
  if (imageExists(EXEC_IMAGE) && process.env.BENCH_REBUILD !== '1') return;
  const context = mkdtempSync(join(tmpdir(), 'footprint-bench-anatomy-exec-'));
  try {
    writeFileSync(join(context, 'Dockerfile'), `FROM ${IMAGE}\nRUN chmod -R a+x /app /src\n`);
    run('docker', ['build', '--network=none', '-t', EXEC_IMAGE, context], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Wall time of `docker save IMAGE` with its stdout on /dev/null. */
function timeDockerSave() {
  return new Promise((resolve, reject) => {
    const devNull = openSync('/dev/null', 'w');
    const started = performance.now();
    const child = spawn('docker', ['save', IMAGE], { stdio: ['ignore', devNull, 'pipe'] });
    closeSync(devNull);
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`docker save ${IMAGE} failed (exit code ${code}): ${stderr}`));
    });
  });
}

/** Wall time of the bundled analysis of IMAGE, and what it printed. */
function timeAnalysis(bundle, compress, image = IMAGE, probe = false) {
  return new Promise((resolve, reject) => {
    const args = [bundle, image, ...(compress ? [] : ['--no-compress']), ...(probe ? ['--probe'] : [])];
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`analysis of ${IMAGE} failed (exit code ${code}): ${stderr}`));
      try {
        resolve({ ms, ...JSON.parse(stdout) });
      } catch {
        reject(new Error(`analysis of ${IMAGE} printed no JSON: ${stdout.slice(0, 500)} ${stderr}`));
      }
    });
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;

await setUpEngine();
const work = mkdtempSync(join(tmpdir(), 'footprint-bench-entry-'));
try {
  ensureImage();
  ensureExecImage();
  const bundleDir = join(work, 'entry');
  mkdirSync(bundleDir);
  const bundle = bundleEntry(root, 'scripts/bench/anatomy-entry.ts', bundleDir);

  // One unmeasured pass of each, so every measurement reads the image from the page cache.
  await timeDockerSave();
  const first = await timeAnalysis(bundle, false);
  console.log(`${IMAGE}: ${first.layers} layers, ${first.files} files, ${mb(first.bytes)} uncompressed; ${RUNS} runs each, medians count.`);

  const save = [];
  const off = [];
  const on = [];
  const plain = [];
  const probed = [];
  await timeAnalysis(bundle, false, EXEC_IMAGE);
  for (let index = 0; index < RUNS; index++) {
    save.push(await timeDockerSave());
    off.push(await timeAnalysis(bundle, false));
    on.push(await timeAnalysis(bundle, true));
    plain.push(await timeAnalysis(bundle, false, EXEC_IMAGE));
    probed.push(await timeAnalysis(bundle, false, EXEC_IMAGE, true));
  }
  const probeShare = median(probed.map((r) => r.ms)) / median(plain.map((r) => r.ms)) - 1;
  const saveMs = median(save);
  const offMs = median(off.map((r) => r.ms));
  const onMs = median(on.map((r) => r.ms));
  const rssMb = Math.max(...off.map((r) => r.peakRssMb), ...on.map((r) => r.peakRssMb));
  const ratioOff = offMs / saveMs;
  const ratioOn = onMs / saveMs;
  const compressed = on[0].compressedBytes;

  const rows = [
    ['docker save > /dev/null', seconds(saveMs), '', ''],
    [
      'analysis, compression estimate off',
      seconds(offMs),
      `ratio ${ratioOff.toFixed(2)}`,
      `goal <= ${GOALS.ratioOff}: ${ratioOff <= GOALS.ratioOff ? 'met' : 'NOT met'}`
    ],
    [
      'analysis, compression estimate on',
      seconds(onMs),
      `ratio ${ratioOn.toFixed(2)}`,
      `goal <= ${GOALS.ratioOn}: ${ratioOn <= GOALS.ratioOn ? 'met' : 'NOT met'}`
    ],
    ['peak RSS of the analysis', `${rssMb.toFixed(0)} MB`, '', `goal < ${GOALS.rssMb} MB: ${rssMb < GOALS.rssMb ? 'met' : 'NOT met'}`],
    [
      `every executable probed (${probed[0].executables.toLocaleString('en-US')} programs among them), estimate off`,
      seconds(median(probed.map((r) => r.ms))),
      `${seconds(median(plain.map((r) => r.ms)))} without: ${probeShare >= 0 ? '+' : ''}${(probeShare * 100).toFixed(1)}%`,
      `goal <= +${GOALS.probeShare * 100}%: ${probeShare <= GOALS.probeShare ? 'met' : 'NOT met'}`
    ]
  ];
  printTable(rows);
  console.log(`\nCompressed (estimated gzip, as docker push would upload): ${compressed === null ? 'n/a' : mb(compressed)}.`);
  console.log(
    `Runs (s): save ${save.map((ms) => (ms / 1000).toFixed(2)).join(' ')}; off ${off.map((r) => (r.ms / 1000).toFixed(2)).join(' ')}; on ${on.map((r) => (r.ms / 1000).toFixed(2)).join(' ')}.`
  );
  const met = ratioOff <= GOALS.ratioOff && ratioOn <= GOALS.ratioOn && rssMb < GOALS.rssMb && probeShare <= GOALS.probeShare;
  console.log(`\n${met ? 'All goals met.' : 'Some goals NOT met.'}`);
  process.exitCode = met ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
  await tearDownEngine();
}
