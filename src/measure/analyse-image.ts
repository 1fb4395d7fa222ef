/**
 * One image read layer by layer and analysed: its anatomy, its inventory and the
 * files a container sees. Runs in the measuring process, or in a worker thread
 * (./analysis-worker.ts) where the bundle has one, to bound its memory.
 */
import { analyseImage, type Anatomy } from '../analyse/anatomy.js';
import { entrypointOf } from '../analyse/entrypoint.js';
import { isNpmProjectFile, npmDevDependencies, type NpmDevDependencies } from '../analyse/npm-dev.js';
import { FinalFiles } from '../analyse/final-files.js';
import { layerOrigins } from '../analyse/history.js';
import { inventoryOf } from '../analyse/inventory.js';
import type { ImageArchive } from '../analyse/model.js';
import { isPackageDatabaseFile } from '../analyse/packages.js';
import { readImage, type ImageSource } from '../analyse/source.js';
import { finalChain, type ParsedDockerfile } from '../dockerfile/parse.js';
import type { Inventory } from '../model/change.js';
import type { Entrypoint } from '../model/report.js';

/** Streams an image and returns its layer tables (the effect behind the anatomy; tests may pass their own). */
export type ImageReader = (
  source: ImageSource,
  options: { estimateCompressed: boolean; keep?: (path: string) => boolean; probeExecutables?: boolean }
) => Promise<ImageArchive>;

export interface AnalysisRequest {
  source: ImageSource;
  /** Estimate the gzip size of layers that arrive uncompressed. */
  estimateCompressed: boolean;
  /** The Dockerfile the image was built from, parsed with the build's args and target; null when none. */
  dockerfile: ParsedDockerfile | null;
}

export interface Analysis {
  anatomy: Anatomy;
  inventory: Inventory;
  files: FinalFiles;
  /** What the image's ENTRYPOINT/CMD runs; null when it names none. */
  entrypoint: Entrypoint | null;
  /** npm devDependencies installed in the image, per project. */
  npmDev: NpmDevDependencies[];
}

/** The files whose contents the analysis reads: package databases, and npm projects' manifests and hidden lockfiles. */
export function keptForAnalysis(path: string): boolean {
  return isPackageDatabaseFile(path) || isNpmProjectFile(path);
}

/** Reads and analyses one image; throws with a one-line message when it cannot be read. */
export type Analyser = (request: AnalysisRequest) => Promise<Analysis>;

/** The image the built stage's chain starts FROM (`python:3.12-slim`); null when unknown. */
function baseImageOf(dockerfile: ParsedDockerfile | null): string | null {
  if (dockerfile === null || dockerfile.final === null || dockerfile.targetMissing) return null;
  const root = finalChain(dockerfile)[0];
  return root === undefined || root.from.stage !== null ? null : root.from.image;
}

/** Analyses an image in this thread, reading it with `read` (default: the real reader). */
export async function analyseInProcess(request: AnalysisRequest, read: ImageReader = readImage): Promise<Analysis> {
  const archive = await read(request.source, { estimateCompressed: request.estimateCompressed, keep: keptForAnalysis, probeExecutables: true });
  const analysis = analyseImage(archive, layerOrigins(archive.config, archive.layers.length, request.dockerfile));
  const inventory = inventoryOf(analysis, baseImageOf(request.dockerfile), archive.notKept);
  // The kept package databases are read into the inventory: only the file list stays, for the comparison.
  const { files, kept, ...anatomy } = analysis;
  return {
    anatomy,
    inventory,
    files,
    entrypoint: entrypointOf(archive.config, archive.layers),
    npmDev: npmDevDependencies(kept, inventory.packages)
  };
}

/** What crosses from the worker: the analysis with the file list as its two arrays. */
export type AnalysisMessage =
  | {
      ok: true;
      anatomy: Anatomy;
      inventory: Inventory;
      entrypoint: Entrypoint | null;
      npmDev: NpmDevDependencies[];
      paths: readonly string[];
      bytes: Float64Array;
    }
  | { ok: false; message: string };

export function toMessage(analysis: Analysis): AnalysisMessage {
  const { anatomy, inventory, entrypoint, npmDev, files } = analysis;
  return { ok: true, anatomy, inventory, entrypoint, npmDev, paths: files.paths, bytes: files.bytes };
}

export function fromMessage(message: AnalysisMessage): Analysis {
  if (!message.ok) throw new Error(message.message);
  const { anatomy, inventory, entrypoint, npmDev } = message;
  return { anatomy, inventory, entrypoint, npmDev, files: FinalFiles.sorted(message.paths, message.bytes) };
}
