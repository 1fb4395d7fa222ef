#!/usr/bin/env node
// The build-input digest benchmark: a build context of about 1 GB in 50,000 files (nested
// folders, mostly small source-like files and a few hundred big ones, none of it repeating),
// made once and kept in the temp folder. Measured:
//   1. "tar": `tar -c DIR`, its bytes counted in Node: what sending the context to a builder
//      costs at the least;
//   2. "digest": digestBuildInputs on the same folder (a `FROM scratch` Dockerfile at its top,
//      so no base image is asked about), in a fresh process.
// Goal: the digest takes no longer than tar. The page cache cannot be dropped reliably, so
// tar runs once first and every figure is a warm-cache one. A missed goal is reported, not
// an error: the exit code is non-zero only when something crashed.
//
// Node cannot import the TypeScript sources directly (they import `.js` paths), so the
// measuring entry (scripts/bench/digest-entry.ts) is bundled with ncc into a temp folder
// first. The digest's time is taken inside its process (Node's start-up is left out); tar's
// includes starting tar. Environment: BENCH_RUNS (default 3) runs of each, the median counts;
// BENCH_REBUILD=1 makes the context again.
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleEntry, median, printTable } from './bench/common.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
/** Bump when the context's recipe changes, so a cached one made by another recipe is made again. */
const RECIPE = 'digest-context/1';
const CONTEXT = join(tmpdir(), 'footprint-bench-digest-context');
const MARKER = `${CONTEXT}.complete`;
const SHAPE = { top: 50, middle: 20, files: 50 };
/** One file in this many is big (0.75 to 5.5 MB); the rest are small (up to about 24 KB, mostly a few KB). */
const BIG_EVERY = 250;

/** A deterministic generator, so every machine makes the same tree (the bytes come from randomFillSync). */
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Makes the context unless a complete one of this recipe is there (BENCH_REBUILD=1: always). */
function ensureContext() {
  if (process.env.BENCH_REBUILD !== '1' && existsSync(MARKER) && readFileSync(MARKER, 'utf8') === RECIPE) return;
  rmSync(MARKER, { force: true });
  rmSync(CONTEXT, { recursive: true, force: true });
  console.log(`Making a build context of about 1 GB in ${SHAPE.top * SHAPE.middle * SHAPE.files} files at ${CONTEXT} (once) ...`);
  const started = performance.now();
  const random = generator(42);
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  let index = 0;
  for (let top = 0; top < SHAPE.top; top++) {
    for (let middle = 0; middle < SHAPE.middle; middle++) {
      const folder = join(CONTEXT, `pkg${top}`, `mod${middle}`);
      mkdirSync(folder, { recursive: true });
      for (let file = 0; file < SHAPE.files; file++, index++) {
        const big = index % BIG_EVERY === BIG_EVERY - 1;
        // Small files: skewed towards a few KB, as sources are; big ones: 0.75 to 5.5 MB, as assets and vendored binaries are.
        const size = big ? Math.floor(750_000 + random() * 4_750_000) : Math.floor(100 + random() ** 2 * 24_000);
        writeFileSync(join(folder, big ? `asset${file}.bin` : `file${file}.src`), randomFillSync(buffer, 0, size).subarray(0, size));
      }
    }
  }
  writeFileSync(join(CONTEXT, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
  writeFileSync(MARKER, RECIPE);
  console.log(`Made in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}

/** `tar -c CONTEXT`, its output counted here: the wall time and the bytes. */
function tarContext() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('tar', ['-c', '-C', CONTEXT, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk) => (bytes += chunk.length));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`tar -c ${CONTEXT} failed (exit code ${code}): ${stderr.slice(-2000)}`));
      resolve({ ms: performance.now() - started, bytes });
    });
  });
}

/** Runs the bundled entry on the context and returns what it printed (one JSON line). */
function digestContext(bundle) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, CONTEXT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`digest-entry failed (exit code ${code}): ${stderr}`));
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`digest-entry printed no JSON: ${stdout.slice(0, 500)} ${stderr}`));
      }
    });
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;

ensureContext();
const work = mkdtempSync(join(tmpdir(), 'footprint-bench-entry-'));
try {
  const bundleDir = join(work, 'entry');
  mkdirSync(bundleDir);
  const bundle = bundleEntry(root, 'scripts/bench/digest-entry.ts', bundleDir);

  // One unmeasured pass of each, so every measurement reads the context from the page cache.
  const warmTar = await tarContext();
  const warm = await digestContext(bundle);
  console.log(`${CONTEXT}: ${warm.files} files, ${mb(warm.bytes)} hashed; tar stream ${mb(warmTar.bytes)}.`);
  console.log(`${RUNS} runs each, medians count; warm page cache (it cannot be dropped reliably), ${cpus().length} CPUs.`);
  const loadAtStart = loadavg()[0];

  const tars = [];
  const digests = [];
  for (let index = 0; index < RUNS; index++) {
    tars.push(await tarContext());
    digests.push(await digestContext(bundle));
  }
  if (new Set(digests.map((run) => run.digest)).size !== 1) throw new Error('the digest of an unchanged context differed between runs');
  const tarMs = median(tars.map((run) => run.ms));
  const digestMs = median(digests.map((run) => run.ms));
  const ratio = digestMs / tarMs;
  const met = digestMs <= tarMs;

  printTable([
    [
      'tar -c DIR, bytes counted (warm cache)',
      seconds(tarMs),
      '',
      `${mb(warmTar.bytes)} at ${(warmTar.bytes / 1e6 / (tarMs / 1000)).toFixed(0)} MB/s`
    ],
    [
      'digestBuildInputs (warm cache)',
      seconds(digestMs),
      `${ratio.toFixed(2)}x tar`,
      `goal <= tar: ${met ? 'met' : 'NOT met'}; CPU ${seconds(median(digests.map((run) => run.cpuMs)))}`
    ]
  ]);
  console.log(
    `\nRuns (s): tar ${tars.map((run) => (run.ms / 1000).toFixed(2)).join(' ')}; digest ${digests.map((run) => (run.ms / 1000).toFixed(2)).join(' ')}.`
  );
  console.log(`Digest: ${warm.digest} (${warm.files} files, ${warm.bytes} bytes).`);
  console.log(`Load average (1 min): ${loadAtStart.toFixed(2)} at the first run, ${loadavg()[0].toFixed(2)} at the end.`);
  // A missed goal is a finding to report, not a failure of the benchmark.
  console.log(`\n${met ? 'Goal met.' : 'Goal NOT met.'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
