#!/usr/bin/env node
// Stands in for `docker` on PATH during the benchmark: runs the real docker (the next one on
// PATH) with the same arguments and records how long each call took in calls.jsonl beside
// itself, so the benchmark can split wall time into "inside docker build" and the rest.
// footprint runs docker with a cleaned environment, so the shim needs no variables of its own.
import { spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const real = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => dir && dir !== here)
  .map((dir) => join(dir, 'docker'))
  .find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
if (!real) {
  console.error('docker shim: no docker on PATH');
  process.exit(127);
}
const args = process.argv.slice(2);
const started = performance.now();
const result = spawnSync(real, args, { stdio: 'inherit' });
const ms = performance.now() - started;
// performance.now() counts from this process's start: what is not the real docker's time is the shim's own
// (node start-up), which the benchmark takes off the overhead it reports.
const shimMs = performance.now() - ms;
appendFileSync(join(here, 'calls.jsonl'), `${JSON.stringify({ command: args.slice(0, 2).join(' '), ms, shimMs })}\n`);
process.exit(result.status ?? 1);
