/**
 * Analyses each image in a worker thread with a small young generation, so that
 * measuring two 1 GB images one after the other stays in bounded memory (see the
 * README's benchmark). Used where the bundle ships the worker; tests and the
 * sources run the analysis in the process itself.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fromMessage, type Analyser, type AnalysisMessage } from './analyse-image.js';

/** The young generation of the worker's heap, in MB (V8 grows it to 64 MB on a large machine). */
const YOUNG_GENERATION_MB = 12;

/** Runs the analysis in a worker started from `entry` (a bundled analysis-worker). */
export function workerAnalyser(entry: string): Analyser {
  return (request) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(entry, { workerData: request, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      let settled = false;
      worker.once('message', (message: AnalysisMessage) => {
        settled = true;
        if (message.ok) resolve(fromMessage(message));
        else reject(new Error(message.message));
      });
      worker.once('error', (error: Error) => {
        settled = true;
        reject(error);
      });
      worker.once('exit', (code) => {
        if (!settled) reject(new Error(`the analysis stopped before it finished (exit code ${code})`));
      });
    });
}

/**
 * The worker analyser when the running bundle has the worker beside it (`relative` to the
 * bundle's folder, e.g. `analysis-worker/index.js`), else undefined: the analysis then runs
 * in the process.
 */
export function bundledAnalyser(relative: string, main = process.argv[1]): Analyser | undefined {
  if (main === undefined) return undefined;
  let entry: string;
  try {
    entry = join(dirname(realpathSync(main)), relative);
  } catch {
    return undefined;
  }
  return existsSync(entry) ? workerAnalyser(entry) : undefined;
}
