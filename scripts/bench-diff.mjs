#!/usr/bin/env node
// The comparison ("what grew") benchmark: two related images of about 1 GB and 50,000 files,
// the base branch's and a PR's (same Dockerfile up to a changed line, then different steps:
// files grown, shrunk, added and deleted, folders new and gone, packages added, removed and
// upgraded, a cache left and one cleaned), built from a local base. Measured:
//   1. "analyse both": each image read (compression estimate off) and analysed in a fresh
//      process, as the pipeline did before the comparison existed;
//   2. "analyse both + diff": both images in one process, read keeping their package
//      databases, analysed, inventoried, the PR's file list held while the base branch's image
//      is measured, then the change record; with the process's peak RSS.
// Goals: (2) / (1) − 1 at most 10%; peak RSS of (2) under 250 MB. A missed goal is reported,
// not an error: the exit code is non-zero only when something crashed.
//
// Node cannot import the TypeScript sources directly (they import `.js` paths), so the
// measuring entry (scripts/bench/diff-entry.ts) is bundled with ncc into a temp folder first.
// Times are taken inside the measuring process (from before the first read), so Node's start-up
// counts neither once nor twice. Environment: BENCH_RUNS (default 3) runs of each measurement,
// the median counts; BENCH_REBUILD=1 rebuilds the images.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry, imageExists, median, printTable, run } from './bench/common.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGES = { base: 'footprint-bench/diff:base', head: 'footprint-bench/diff:head' };
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const GOALS = { overhead: 0.1, rssMb: 250 };

// The test suite's own engine setup (Node 24 loads the TypeScript directly): starts a daemon
// when none runs and makes the local base images, so the benchmark needs no registry.
const { default: setUpEngine, TEST_BASE } = await import('../__tests__/support/global-setup.ts');
const { default: tearDownEngine } = await import('../__tests__/support/global-teardown.ts');

const TEXT = 'text="$(busybox --help 2>&1)"';
const SITE = '/usr/lib/python3.12/site-packages';

/** `count` apk packages pkgFIRST… of 8 files each under /usr/lib, their database paragraphs on stdout. */
const apkPackages = (first, count) =>
  `${TEXT}; lib="$text$text$text"; i=${first}; while [ $i -lt ${first + count} ]; do mkdir -p /usr/lib/pkg$i; ` +
  'echo "P:pkg$i"; echo "V:1.$i.0-r0"; echo "F:usr/lib/pkg$i"; f=0; while [ $f -lt 8 ]; do echo "$i $f $lib" > /usr/lib/pkg$i/lib$f.so; ' +
  'echo "R:lib$f.so"; f=$((f+1)); done; echo; i=$((i+1)); done';

/** Python packages pyFIRST… at VERSION with `modules` modules each and their RECORD. */
const pythonPackages = (first, count, version, modules) =>
  `${TEXT}; s=${SITE}; mkdir -p $s && i=${first}; while [ $i -lt ${first + count} ]; do mkdir -p $s/py$i $s/py$i-${version}.dist-info; ` +
  `f=0; while [ $f -lt ${modules} ]; do echo "# ${version} $i.$f $text" > $s/py$i/mod$f.py; echo "py$i/mod$f.py,sha256=x,1"; f=$((f+1)); done ` +
  `> $s/py$i-${version}.dist-info/RECORD; i=$((i+1)); done`;

/**
 * The base branch's image (about 1 GB, 56,000 files in 10 layers) or the PR's (the same
 * Dockerfile up to `seq`, whose count changed, then other steps: about 1.3 GB with the copies
 * it hides). Loops use the shell's builtins only, so making the files takes seconds.
 */
function dockerfile(base, side) {
  const shared = [
    `FROM ${base}`,
    '# system packages: an apk database of 120 packages, 960 files',
    `RUN mkdir -p /lib/apk/db && { ${apkPackages(0, 120)}; } > /lib/apk/db/installed`,
    '# 450 MB that no compression shrinks',
    'RUN mkdir -p /data && for i in 1 2 3; do head -c 150000000 /dev/urandom > /data/blob$i.bin; done',
    '# 30,000 small text files (a source tree)',
    `RUN ${TEXT}; mkdir -p /src && d=0; while [ $d -lt 300 ]; do mkdir /src/d$d; f=0; ` +
      'while [ $f -lt 100 ]; do echo "$d/$f $text" > /src/d$d/f$f.txt; f=$((f+1)); done; d=$((d+1)); done',
    '# 250 npm packages of 100 files each, and 200 MB of machine code',
    `RUN ${TEXT}; mkdir -p /app/node_modules /app/bin && d=0; while [ $d -lt 250 ]; do p=/app/node_modules/m$d; mkdir $p; ` +
      `echo '{"name":"m'$d'","version":"1.0.'$d'"}' > $p/package.json; f=0; ` +
      'while [ $f -lt 99 ]; do echo "module $d.$f ${text%%Currently*}" > $p/i$f.js; f=$((f+1)); done; d=$((d+1)); done && ' +
      'i=0; while [ $i -lt 100 ]; do cat /bin/busybox; i=$((i+1)); done > /app/bin/tool',
    '# 60 Python packages of 30 modules each',
    `RUN ${pythonPackages(0, 60, '1.0', 30)}`,
    '# a pip cache left behind: 20 MB',
    'RUN mkdir -p /root/.cache/pip && i=0; while [ $i -lt 20 ]; do head -c 1000000 /dev/urandom > /root/.cache/pip/w$i; i=$((i+1)); done'
  ];
  const baseTail = [
    '# 170 MB of text in one file',
    'RUN seq 1 20000000 > /data/numbers.txt',
    '# 50 MB of zeros',
    'RUN dd if=/dev/zero of=/data/zeros.bin bs=1M count=50 2>/dev/null',
    '# deletes a blob and a third of the source tree',
    'RUN rm -f /data/blob1.bin && d=0; while [ $d -lt 100 ]; do rm -rf /src/d$d; d=$((d+1)); done'
  ];
  const headTail = [
    '# 97 MB of text in one file (shrank)',
    'RUN seq 1 12000000 > /data/numbers.txt',
    '# 50 MB of zeros',
    'RUN dd if=/dev/zero of=/data/zeros.bin bs=1M count=50 2>/dev/null',
    '# deletes a blob and half of the source tree',
    'RUN rm -f /data/blob1.bin && d=0; while [ $d -lt 100 ]; do rm -rf /src/d$d; d=$((d+1)); done && ' +
      'd=250; while [ $d -lt 300 ]; do rm -rf /src/d$d; d=$((d+1)); done',
    '# a blob grows to 200 MB',
    'RUN head -c 200000000 /dev/urandom > /data/blob2.bin',
    '# a new folder: 100 MB of models',
    'RUN mkdir -p /data/models && for i in 1 2 3 4; do head -c 25000000 /dev/urandom > /data/models/part$i.bin; done',
    '# npm: 20 packages removed, 30 added, 20 upgraded with bigger files, and its cache left behind',
    `RUN ${TEXT}; cd /app/node_modules && d=0; while [ $d -lt 20 ]; do rm -rf m$d; d=$((d+1)); done && ` +
      'd=0; while [ $d -lt 30 ]; do p=n$d; mkdir $p; echo \'{"name":"n\'$d\'","version":"3.1.\'$d\'"}\' > $p/package.json; f=0; ' +
      'while [ $f -lt 99 ]; do echo "module n$d.$f $text" > $p/i$f.js; f=$((f+1)); done; d=$((d+1)); done && ' +
      'd=100; while [ $d -lt 120 ]; do p=m$d; echo \'{"name":"m\'$d\'","version":"2.0.0"}\' > $p/package.json; f=0; ' +
      'while [ $f -lt 99 ]; do echo "module $d.$f v2 $text$text" > $p/i$f.js; f=$((f+1)); done; d=$((d+1)); done && ' +
      'mkdir -p /root/.npm/_cacache && i=0; while [ $i -lt 300 ]; do echo "$i $text$text" > /root/.npm/_cacache/c$i; i=$((i+1)); done',
    '# Python: 5 packages upgraded (more modules), 10 added; the pip cache cleaned',
    `RUN i=0; while [ $i -lt 5 ]; do rm -rf ${SITE}/py$i-1.0.dist-info; i=$((i+1)); done && ${pythonPackages(0, 5, '2.0', 40)} && ` +
      `${pythonPackages(60, 10, '1.0', 30)} && rm -rf /root/.cache/pip`,
    '# apk: one package upgraded, 5 added',
    `RUN sed -i 's/^V:1.7.0-r0$/V:1.8.0-r0/' /lib/apk/db/installed && { ${apkPackages(120, 5)}; } >> /lib/apk/db/installed`,
    '# 1,000 source files grow, 1,000 shrink',
    `RUN ${TEXT}; d=150; while [ $d -lt 160 ]; do f=0; while [ $f -lt 100 ]; do echo "$d/$f $text$text" > /src/d$d/f$f.txt; f=$((f+1)); done; d=$((d+1)); done && ` +
      'd=160; while [ $d -lt 170 ]; do f=0; while [ $f -lt 100 ]; do echo "$d/$f" > /src/d$d/f$f.txt; f=$((f+1)); done; d=$((d+1)); done'
  ];
  return [...shared, ...(side === 'base' ? baseTail : headTail), 'CMD ["sh"]', ''].join('\n');
}

/** Builds both images unless they exist (BENCH_REBUILD=1: always); the PR's reuses the base's layers up to the changed line. */
function ensureImages(dockerfiles) {
  const rebuild = process.env.BENCH_REBUILD === '1';
  for (const side of ['base', 'head']) {
    const image = IMAGES[side];
    if (imageExists(image) && !rebuild) continue;
    const context = mkdtempSync(join(tmpdir(), 'footprint-bench-diff-'));
    try {
      writeFileSync(join(context, 'Dockerfile'), dockerfiles[side]);
      console.log(`Building ${image} (about 1 GB, once) ...`);
      const started = performance.now();
      run('docker', ['build', '--network=none', '-t', image, context], { stdio: ['ignore', 'ignore', 'pipe'] });
      console.log(`Built in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  }
}

/** Runs the bundled entry and returns what it printed (one JSON line). */
function measure(bundle, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`diff-entry ${args.join(' ')} failed (exit code ${code}): ${stderr}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`diff-entry ${args.join(' ')} printed no JSON: ${stdout.slice(0, 500)} ${stderr}`));
      }
    });
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;
const kb = (bytes) => `${(bytes / 1e3).toFixed(1)} kB`;
const percent = (ratio) => `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(1)}%`;

await setUpEngine();
const work = mkdtempSync(join(tmpdir(), 'footprint-bench-entry-'));
try {
  const dockerfiles = { base: dockerfile(TEST_BASE, 'base'), head: dockerfile(TEST_BASE, 'head') };
  ensureImages(dockerfiles);
  // The entry parses the Dockerfiles as the pipeline does, to match layers to lines.
  const paths = { base: join(work, 'Dockerfile.base'), head: join(work, 'Dockerfile.head') };
  for (const side of ['base', 'head']) writeFileSync(paths[side], dockerfiles[side]);
  const bundleDir = join(work, 'entry');
  mkdirSync(bundleDir);
  const bundle = bundleEntry(root, 'scripts/bench/diff-entry.ts', bundleDir);
  const analyse = (side) => measure(bundle, ['analyse', IMAGES[side], paths[side]]);
  // The pair is analysed in the worker the action and the CLI ship: build the bundles first.
  run(process.execPath, [join(root, 'scripts/package.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  const worker = join(root, 'dist/analysis-worker/index.js');
  const pair = () => measure(bundle, ['pair', IMAGES.head, paths.head, IMAGES.base, paths.base, worker]);

  // One unmeasured pass, so every measurement reads the images from the page cache.
  const warm = { head: await analyse('head'), base: await analyse('base') };
  await pair();
  for (const side of ['base', 'head']) {
    console.log(`${IMAGES[side]}: ${warm[side].files} files visible, ${mb(warm[side].bytes)} uncompressed.`);
  }
  console.log(`${RUNS} runs each, medians count.`);
  // Other work on the machine slows `docker save` and the analysis unevenly: the load says how quiet it was.
  const loadAtStart = loadavg()[0];

  const alone = [];
  const together = [];
  for (let index = 0; index < RUNS; index++) {
    const head = await analyse('head');
    const base = await analyse('base');
    alone.push({ ms: head.ms + base.ms, cpuMs: head.cpuMs + base.cpuMs, peakRssMb: Math.max(head.peakRssMb, base.peakRssMb) });
    together.push(await pair());
  }
  const aloneMs = median(alone.map((r) => r.ms));
  const togetherMs = median(together.map((r) => r.ms));
  const diffMs = median(together.map((r) => r.diffMs));
  const overhead = togetherMs / aloneMs - 1;
  const aloneCpuMs = median(alone.map((r) => r.cpuMs));
  const togetherCpuMs = median(together.map((r) => r.cpuMs));
  const rssMb = Math.max(...together.map((r) => r.peakRssMb));
  const aloneRssMb = Math.max(...alone.map((r) => r.peakRssMb));
  const last = together[together.length - 1];

  const rows = [
    ['analyse both (two processes, estimate off)', seconds(aloneMs), '', `peak RSS ${aloneRssMb.toFixed(0)} MB per process`],
    [
      'analyse both + diff (one process)',
      seconds(togetherMs),
      `overhead ${percent(overhead)}`,
      `goal <= +${GOALS.overhead * 100}%: ${overhead <= GOALS.overhead ? 'met' : 'NOT met'}`
    ],
    ['peak RSS of the pair', `${rssMb.toFixed(0)} MB`, '', `goal < ${GOALS.rssMb} MB: ${rssMb < GOALS.rssMb ? 'met' : 'NOT met'}`],
    ['change record alone (changeRecord)', `${diffMs.toFixed(0)} ms`, '', 'info'],
    [
      'CPU time of the measuring process(es)',
      `${seconds(aloneCpuMs)} -> ${seconds(togetherCpuMs)}`,
      `${percent(togetherCpuMs / aloneCpuMs - 1)}`,
      'info'
    ]
  ];
  printTable(rows);
  const side = (key) => `${median(together.map((r) => r.sides[key].ms)).toFixed(0)} ms`;
  console.log(`\nIn the pair (medians): the PR's image read and analysed in ${side('head')}, the base branch's in ${side('base')}.`);
  console.log(
    `Inventories (JSON): head ${kb(last.inventoryJsonBytes.head)} (${last.sides.head.folders} folders, ${last.sides.head.packages} packages), ` +
      `base ${kb(last.inventoryJsonBytes.base)} (${last.sides.base.folders} folders, ${last.sides.base.packages} packages).`
  );
  const { change } = last;
  console.log(
    `Change record: ${mb(change.deltaBytes)} delta, ${change.lines} line rows, ${change.pathRows} path rows (${change.pathRowsTotal} paths found, ` +
      `then the hidden and rest rows), ` +
      `${change.packages} package changes, ${change.caches} cache changes; ${kb(change.jsonBytes)} as JSON.`
  );
  console.log(
    `Runs (s): analyse both ${alone.map((r) => (r.ms / 1000).toFixed(2)).join(' ')}; ` +
      `analyse both + diff ${together.map((r) => (r.ms / 1000).toFixed(2)).join(' ')}; ` +
      `peak RSS of the pair (MB) ${together.map((r) => r.peakRssMb.toFixed(0)).join(' ')}.`
  );
  console.log(`Load average (1 min): ${loadAtStart.toFixed(2)} at the first run, ${loadavg()[0].toFixed(2)} at the end.`);
  const met = overhead <= GOALS.overhead && rssMb < GOALS.rssMb;
  // A missed goal is a finding to report, not a failure of the benchmark.
  console.log(`\n${met ? 'All goals met.' : 'Some goals NOT met.'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await tearDownEngine();
}
