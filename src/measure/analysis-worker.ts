/**
 * The worker thread's entry (bundled as dist/analysis-worker/index.js): analyses the
 * one image its workerData names and posts the result. A worker has its own heap,
 * whose young generation the parent caps: the analysis builds a tree of every file
 * that stays alive until it is done, which would otherwise grow the measuring
 * process's heap to its largest size and keep it there.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../errors.js';
import { analyseInProcess, toMessage, type AnalysisMessage, type AnalysisRequest } from './analyse-image.js';

let message: AnalysisMessage;
try {
  message = toMessage(await analyseInProcess(workerData as AnalysisRequest));
} catch (error) {
  message = { ok: false, message: messageOf(error) };
}
parentPort?.postMessage(message);
