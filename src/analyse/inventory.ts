/**
 * An image's inventory (model/change.ts): its folder sizes and installed
 * packages, small enough to keep in a report and compare with later. Pure:
 * made from the final filesystem and the kept package databases.
 */
import type { FolderSize, Inventory } from '../model/change.js';
import type { ImageAnalysis } from './anatomy.js';
import type { FinalFiles } from './final-files.js';
import { installedPackages } from './packages.js';

/** Folders kept in an inventory: the largest ones, which bounds a stored report whatever the image holds. */
export const INVENTORY_FOLDERS = 500;

/**
 * Every folder that holds a file, with the bytes and files below it, in one pass
 * over the sorted paths: a folder's files are consecutive, so a stack of the
 * current folders is all the state there is.
 */
export function folderSizes(files: FinalFiles): FolderSize[] {
  const folders: FolderSize[] = [];
  // The open folders, root first: their paths and running totals.
  const open: FolderSize[] = [{ path: '', bytes: 0, files: 0 }];
  const close = (depth: number): void => {
    while (open.length > depth) {
      const done = open.pop()!;
      folders.push(done);
      const parent = open[open.length - 1];
      if (parent !== undefined) {
        parent.bytes += done.bytes;
        parent.files += done.files;
      }
    }
  };
  for (let at = 0; at < files.count; at++) {
    const path = files.paths[at]!;
    // Keep the open folders this path is in; close the others.
    let depth = 1;
    while (depth < open.length && path.startsWith(`${open[depth]!.path}/`)) depth++;
    close(depth);
    const names = path.split('/');
    names.pop();
    for (; depth <= names.length; depth++) open.push({ path: names.slice(0, depth).join('/'), bytes: 0, files: 0 });
    const folder = open[open.length - 1]!;
    folder.bytes += files.bytes[at]!;
    folder.files += 1;
  }
  close(0);
  return folders;
}

/** The largest folders, each with its ancestors, sorted by path. */
export function largestFolders(folders: FolderSize[], limit = INVENTORY_FOLDERS): FolderSize[] {
  const byPath = new Map(folders.map((folder) => [folder.path, folder]));
  // A folder's bytes are never below a folder inside it, so parents sort first among equals by path length.
  const ranked = [...folders].sort((a, b) => b.bytes - a.bytes || a.path.length - b.path.length || (a.path < b.path ? -1 : 1));
  const kept = new Map<string, FolderSize>();
  for (const folder of ranked) {
    if (kept.size >= limit) break;
    for (let path: string | null = folder.path; path !== null && !kept.has(path); path = parentOf(path)) {
      const found = byPath.get(path);
      if (found !== undefined) kept.set(path, found);
    }
  }
  return [...kept.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function parentOf(path: string): string | null {
  if (path === '') return null;
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** The inventory of an analysed image; `baseImage` is the base its built stage names, `notKept` the package files the reader skipped. */
export function inventoryOf(anatomy: ImageAnalysis, baseImage: string | null, notKept = 0): Inventory {
  const visibleBytes = anatomy.files.totalBytes();
  const { packages, note } = installedPackages(anatomy.kept, anatomy.files);
  const skipped = notKept > 0 ? `${notKept} package database file${notKept === 1 ? ' was' : 's were'} too big to read.` : null;
  return {
    baseImage,
    bytes: anatomy.bytes,
    visibleBytes,
    hiddenBytes: anatomy.bytes - visibleBytes,
    files: anatomy.files.count,
    folders: largestFolders(folderSizes(anatomy.files)),
    packages,
    // Each part is a sentence (installedPackages' note ends with a full stop too).
    packagesNote: [note, skipped].filter((part) => part !== null).join(' ') || null
  };
}
