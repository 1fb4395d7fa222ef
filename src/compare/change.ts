/**
 * The change record (model/change.ts) of an image measured on both sides: by
 * Dockerfile line, by path and by package, plus the waste and caches that came
 * or went. Pure: made from each side's inventory, layers and, when both images
 * were read in this run, their final filesystems (else their folder summaries).
 */
import type { FinalFiles } from '../analyse/final-files.js';
import { folderSizes } from '../analyse/inventory.js';
import type { CacheChange, ChangeRecord, ChangeSide } from '../model/change.js';
import { folderChanges, type FolderSummary, hasFolderSummary, inventorySummary } from './change-folders.js';
import { lineChanges } from './change-lines.js';
import { packageChanges } from './change-packages.js';
import { pathChanges } from './change-paths.js';

/** One side of the comparison; `files` is null when the image's files are not at hand (a stored report). */
export interface ComparedSide extends ChangeSide {
  files: FinalFiles | null;
}

function cacheChanges(head: ChangeSide['caches'], base: ChangeSide['caches']): CacheChange[] {
  const changes: CacheChange[] = [];
  const before = new Map(base.map((cache) => [cache.path, cache]));
  const after = new Map(head.map((cache) => [cache.path, cache]));
  for (const path of new Set([...before.keys(), ...after.keys()])) {
    const [old, now] = [before.get(path), after.get(path)];
    const deltaBytes = (now?.bytes ?? 0) - (old?.bytes ?? 0);
    if (deltaBytes === 0) continue;
    changes.push({ path, kind: (now ?? old)!.kind, baseBytes: old?.bytes ?? 0, headBytes: now?.bytes ?? 0, deltaBytes, line: now?.line ?? null });
  }
  return changes.sort((a, b) => Math.abs(b.deltaBytes) - Math.abs(a.deltaBytes) || (a.path < b.path ? -1 : 1));
}

function hasFolders(side: ComparedSide): boolean {
  return side.files !== null || hasFolderSummary(side.inventory.folders);
}

/** A side's folders: every one when its files are at hand (more folders known on both sides), else its inventory's largest. */
function folderSummary(side: ComparedSide): FolderSummary {
  return side.files !== null ? { folders: folderSizes(side.files), complete: true } : inventorySummary(side.inventory.folders);
}

/** How the PR's image (`head`) differs from the base branch's (`base`). */
export function changeRecord(head: ComparedSide, base: ComparedSide): ChangeRecord {
  const deltaBytes = head.inventory.bytes - base.inventory.bytes;
  const paths =
    head.files !== null && base.files !== null
      ? { from: 'files' as const, ...pathChanges(head.files, base.files, deltaBytes) }
      : hasFolders(head) && hasFolders(base)
        ? { from: 'folders' as const, ...folderChanges(folderSummary(head), folderSummary(base), deltaBytes) }
        : null;
  return {
    deltaBytes,
    lines: lineChanges({ layers: head.layers, baseImage: head.inventory.baseImage }, { layers: base.layers, baseImage: base.inventory.baseImage }),
    paths: paths?.rows ?? null,
    pathsFrom: paths?.from ?? null,
    pathRowsTotal: paths?.total ?? 0,
    packages: packageChanges(head.inventory.packages, base.inventory.packages),
    waste:
      head.wastedBytes === null || base.wastedBytes === null
        ? null
        : { baseBytes: base.wastedBytes, headBytes: head.wastedBytes, deltaBytes: head.wastedBytes - base.wastedBytes },
    caches: cacheChanges(head.caches, base.caches)
  };
}
