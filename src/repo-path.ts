/**
 * The one check every path the repository names goes through before footprint
 * reads it or hands it to docker: followed through all its symlinks, it must
 * stay inside the repository. A pull request can commit a symlink to anywhere.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Where a path really is: inside the root (with its real path), outside it, or not there at all. */
export type RepoPath = { kind: 'inside'; real: string } | { kind: 'outside' } | { kind: 'missing' };

/** True when `path` is `root` or below it (both absolute, compared as written). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Follows every symlink on `path` (absolute, or relative to `root`) and says whether
 * it ends inside `root` (itself followed through its symlinks). A path that does not
 * exist, or cannot be followed (a loop), is `missing`: nothing can be read through it.
 */
export async function realPathInRepo(root: string, path: string): Promise<RepoPath> {
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(resolve(root, path));
  } catch {
    return { kind: 'missing' };
  }
  return isWithin(realRoot, real) ? { kind: 'inside', real } : { kind: 'outside' };
}

/** The message for a path that leads out of the repository; `what` names it as the user wrote it. */
export function leavesRepo(what: string): string {
  return `${what} leads out of the repository through a symlink; footprint does not read or build anything outside it`;
}
