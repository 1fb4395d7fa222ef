#!/usr/bin/env node
// Stands in for `docker` on PATH during the benchmark: runs the real docker with the same
// arguments and records how long each `build` took, so the benchmark can split wall time
// into "inside docker build" and "everything else".
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';

const real = process.env.FOOTPRINT_BENCH_REAL_DOCKER;
const log = process.env.FOOTPRINT_BENCH_LOG;
const args = process.argv.slice(2);
const started = performance.now();
const result = spawnSync(real, args, { stdio: 'inherit' });
const ms = performance.now() - started;
if (log) appendFileSync(log, `${JSON.stringify({ command: args.slice(0, 2).join(' '), ms })}\n`);
process.exit(result.status ?? 1);
