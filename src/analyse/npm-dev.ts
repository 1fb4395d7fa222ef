/**
 * npm devDependencies an image ships: for each project whose `node_modules` is in
 * the image, the packages only its development needs, and the bytes of their own
 * files. npm's hidden lockfile (`node_modules/.package-lock.json`, npm 7 and later)
 * marks every one of them, transitive ones included (`"dev": true`); without it the
 * project's `package.json` names the direct ones. The bytes are those the inventory
 * measured for each package's folder. Pure: kept files and the package list in.
 */
import type { InstalledPackage } from '../model/change.js';
import { baseName, displayPath, parentPath } from './paths.js';

/** One project's devDependencies found installed in the image. */
export interface NpmDevDependencies {
  /** The project's folder (`/app`), where its `node_modules` is. */
  project: string;
  /** Where the list came from: npm's hidden lockfile (every dev package) or the project's package.json (direct ones only). */
  source: 'lockfile' | 'package.json';
  packages: number;
  /** Bytes of those packages' own files that a container sees. */
  bytes: number;
  /** The largest of them. */
  largest: Array<{ name: string; bytes: number }>;
}

const HIDDEN_LOCKFILE = 'node_modules/.package-lock.json';
/** The largest dev packages named per project. */
const NAMED = 3;

/** A project's manifest (`app/package.json` with no `node_modules` above it) or npm's hidden lockfile: kept for this analysis. */
export function isNpmProjectFile(path: string): boolean {
  if (path === HIDDEN_LOCKFILE || path.endsWith(`/${HIDDEN_LOCKFILE}`)) return true;
  return baseName(path) === 'package.json' && !path.includes('node_modules/');
}

function json(content: Buffer | undefined): Record<string, unknown> | null {
  if (content === undefined) return null;
  try {
    const value: unknown = JSON.parse(content.toString('utf8').replace(/^\uFEFF/, ''));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** `node_modules/a/node_modules/@s/b` → the dev package folders the lockfile marks, relative to the project. */
function lockfileDevFolders(lock: Record<string, unknown>): string[] | null {
  const packages = lock.packages;
  if (typeof packages !== 'object' || packages === null) return null;
  return Object.entries(packages as Record<string, unknown>)
    .filter(
      ([key, entry]) => key.startsWith('node_modules/') && typeof entry === 'object' && entry !== null && (entry as { dev?: unknown }).dev === true
    )
    .map(([key]) => key);
}

function manifestDevFolders(manifest: Record<string, unknown>): string[] {
  const dev = manifest.devDependencies;
  if (typeof dev !== 'object' || dev === null) return [];
  return Object.keys(dev).map((name) => `node_modules/${name}`);
}

/** The dev dependencies of every project in the image that has any installed; [] when none. */
export function npmDevDependencies(kept: ReadonlyMap<string, Buffer>, packages: readonly InstalledPackage[]): NpmDevDependencies[] {
  const byLocation = new Map(packages.filter((pkg) => pkg.manager === 'npm' && pkg.location !== null).map((pkg) => [pkg.location!, pkg]));
  const projects = new Set<string>();
  for (const path of kept.keys()) {
    if (path.endsWith(HIDDEN_LOCKFILE)) projects.add(parentPath(parentPath(path)));
    else if (isNpmProjectFile(path)) projects.add(parentPath(path));
  }
  const found: NpmDevDependencies[] = [];
  for (const project of [...projects].sort()) {
    const prefix = project === '' ? '' : `${project}/`;
    const lock = json(kept.get(`${prefix}${HIDDEN_LOCKFILE}`));
    const fromLock = lock === null ? null : lockfileDevFolders(lock);
    const manifest = json(kept.get(`${prefix}package.json`));
    const folders = fromLock ?? (manifest === null ? [] : manifestDevFolders(manifest));
    // Latin1 paths, as the inventory's locations were made from them.
    const installed = folders
      .map((folder) => byLocation.get(displayPath(`${prefix}${Buffer.from(folder, 'utf8').toString('latin1')}`)))
      .filter((pkg): pkg is InstalledPackage => pkg !== undefined);
    const bytes = installed.reduce((sum, pkg) => sum + pkg.bytes, 0);
    if (installed.length === 0 || bytes === 0) continue;
    const largest = [...installed].sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1)).slice(0, NAMED);
    found.push({
      project: displayPath(project),
      source: fromLock === null ? 'package.json' : 'lockfile',
      packages: installed.length,
      bytes,
      largest: largest.map((pkg) => ({ name: pkg.name, bytes: pkg.bytes }))
    });
  }
  return found;
}
