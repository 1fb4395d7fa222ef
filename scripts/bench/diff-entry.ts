/**
 * The measuring process of the diff benchmark (scripts/bench-diff.mjs bundles it
 * with ncc). Two modes, each printing one JSON line:
 *
 *   node index.js analyse IMAGE DOCKERFILE
 *     What the pipeline did per image before the comparison existed: reads the image
 *     from the local daemon (compression estimate off, no package databases kept) and
 *     works out its anatomy. Prints `{ ms, cpuMs, files, bytes, peakRssMb }`.
 *
 *   node index.js pair HEAD HEAD_DOCKERFILE BASE BASE_DOCKERFILE WORKER
 *     What the pipeline does now for one image on both sides, in one process: each
 *     image read keeping its package databases, its anatomy and inventory worked out
 *     in the analysis worker the bundles ship (WORKER: dist/analysis-worker/index.js),
 *     the PR's file list held while the base branch's image is measured (as
 *     measureTargets does), then the change record. Prints `{ ms, cpuMs,
 *     diffMs, sides, inventoryJsonBytes, change, peakRssMb }`.
 *
 * `ms` is the wall time from before the first read to the end (Node's start-up and
 * the bundle's loading are left out, so one process and two compare fairly); `cpuMs`
 * the CPU time this process used over the same span (waiting for `docker save` costs
 * none, so it shows the analysis's own cost without the daemon's);
 * `peakRssMb` is the process's peak resident set size in MB (10^6 bytes).
 */
import { readFileSync } from 'node:fs';
import { analyseImage } from '../../src/analyse/anatomy.js';
import { layerOrigins } from '../../src/analyse/history.js';
import { readImage } from '../../src/analyse/source.js';
import { changeRecord, type ComparedSide } from '../../src/compare/change.js';
import { parseDockerfile, type ParsedDockerfile } from '../../src/dockerfile/parse.js';
import { messageOf } from '../../src/errors.js';
import type { Analyser } from '../../src/measure/analyse-image.js';
import { workerAnalyser } from '../../src/measure/isolated.js';

/** CPU time (user and system, all threads) this process has used, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** maxRSS is in kibibytes. */
function peakRssMb(): number {
  return (process.resourceUsage().maxRSS * 1024) / 1e6;
}

/** One image as the pipeline analysed it before the comparison: no kept files, no inventory. */
async function analyseOnly(ref: string, dockerfilePath: string): Promise<void> {
  const dockerfile = parseDockerfile(readFileSync(dockerfilePath, 'utf8'));
  const [started, cpuStarted] = [performance.now(), cpuMs()];
  const archive = await readImage({ kind: 'daemon', ref }, { estimateCompressed: false });
  const analysis = analyseImage(archive, layerOrigins(archive.config, archive.layers.length, dockerfile));
  const ms = performance.now() - started;
  const cpu = cpuMs() - cpuStarted;
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: cpu, files: analysis.files.count, bytes: analysis.bytes, peakRssMb: peakRssMb() })}\n`);
}

/** One side as measure.ts's `analyse` and compare.ts's `comparedSide` make it, with the time it took. */
async function measureSide(analyser: Analyser, ref: string, dockerfile: ParsedDockerfile): Promise<{ side: ComparedSide; ms: number }> {
  const started = performance.now();
  const { anatomy, inventory, files } = await analyser({ source: { kind: 'daemon', ref }, estimateCompressed: false, dockerfile });
  return {
    side: { inventory, layers: anatomy.layers, wastedBytes: anatomy.wasted.bytes, caches: anatomy.caches, files },
    ms: performance.now() - started
  };
}

async function pair(headRef: string, headDockerfilePath: string, baseRef: string, baseDockerfilePath: string, worker: string): Promise<void> {
  const analyser = workerAnalyser(worker);
  const headDockerfile = parseDockerfile(readFileSync(headDockerfilePath, 'utf8'));
  const baseDockerfile = parseDockerfile(readFileSync(baseDockerfilePath, 'utf8'));
  const [started, cpuStarted] = [performance.now(), cpuMs()];
  // The PR's side first, then the base branch's, as the action's pipeline measures them.
  const head = await measureSide(analyser, headRef, headDockerfile);
  const base = await measureSide(analyser, baseRef, baseDockerfile);
  const diffStarted = performance.now();
  const change = changeRecord(head.side, base.side);
  const ended = performance.now();
  const cpu = cpuMs() - cpuStarted;
  const sideInfo = ({ side, ms }: { side: ComparedSide; ms: number }) => ({
    ms,
    files: side.inventory.files,
    bytes: side.inventory.bytes,
    folders: side.inventory.folders.length,
    packages: side.inventory.packages.length
  });
  process.stdout.write(
    `${JSON.stringify({
      ms: ended - started,
      cpuMs: cpu,
      diffMs: ended - diffStarted,
      sides: { head: sideInfo(head), base: sideInfo(base) },
      inventoryJsonBytes: {
        head: Buffer.byteLength(JSON.stringify(head.side.inventory)),
        base: Buffer.byteLength(JSON.stringify(base.side.inventory))
      },
      change: {
        deltaBytes: change.deltaBytes,
        lines: change.lines.length,
        pathRows: change.paths?.length ?? null,
        pathRowsTotal: change.pathRowsTotal,
        packages: change.packages.length,
        caches: change.caches.length,
        jsonBytes: Buffer.byteLength(JSON.stringify(change))
      },
      peakRssMb: peakRssMb()
    })}\n`
  );
}

async function main(args: string[]): Promise<void> {
  const [mode, ...rest] = args;
  if (mode === 'analyse' && rest.length === 2) return analyseOnly(rest[0]!, rest[1]!);
  if (mode === 'pair' && rest.length === 5) return pair(rest[0]!, rest[1]!, rest[2]!, rest[3]!, rest[4]!);
  throw new Error('usage: diff-entry analyse IMAGE DOCKERFILE | diff-entry pair HEAD HEAD_DOCKERFILE BASE BASE_DOCKERFILE WORKER');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${messageOf(error)}\n`);
  process.exitCode = 1;
});
