/**
 * The measuring process of the digest benchmark (scripts/bench-digest.mjs bundles it
 * with ncc):
 *
 *   node index.js CONTEXT
 *
 * digests the build inputs of CONTEXT/Dockerfile (a `FROM scratch` build of the whole
 * folder, so no base image is asked about) as the pipeline does, and prints one JSON
 * line `{ ms, cpuMs, files, bytes, digest }`. `ms` is the wall time of the digest
 * alone (Node's start-up and the bundle's loading are left out); `cpuMs` the CPU time
 * this process used over the same span.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestBuildInputs } from '../../src/baseline/digest.js';
import type { Target } from '../../src/discover/target.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { messageOf } from '../../src/errors.js';

/** CPU time (user and system, all threads) this process has used, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function main(args: string[]): Promise<void> {
  const [root] = args;
  if (root === undefined || args.length !== 1) throw new Error('usage: digest-entry CONTEXT');
  const target: Target = {
    name: 'bench',
    dockerfile: 'Dockerfile',
    context: '.',
    image: null,
    target: null,
    buildArgs: {},
    platform: null,
    budget: null,
    maxIncrease: null,
    maxWasted: null,
    ignore: [],
    baseImage: null
  };
  const dockerfile = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const startCpu = cpuMs();
  const started = performance.now();
  const result = await digestBuildInputs({
    root,
    target,
    dockerfile,
    builder: 'buildx',
    resolveBase: (ref) => Promise.reject(new Error(`the Dockerfile names no base image, yet ${ref} was asked for`))
  });
  const ms = performance.now() - started;
  if (result.digest === null) throw new Error(`no digest: ${result.unknown}`);
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: cpuMs() - startCpu, files: result.files, bytes: result.bytes, digest: result.digest })}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${messageOf(error)}\n`);
  process.exitCode = 1;
});
