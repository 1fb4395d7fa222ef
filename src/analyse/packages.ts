/**
 * Installed packages and the bytes their own files take, read from the package
 * databases an image ships (dpkg, apk, Python's dist-info/egg-info, npm's
 * node_modules) without starting a container. The streaming reader keeps the
 * bytes of the few files `isPackageDatabaseFile` accepts; `installedPackages`
 * then measures each package's files against the final filesystem.
 *
 * Paths are the normalised binary (latin1) form of LayerEntry.path. Database
 * files are read as latin1 too, so the paths they list keep their raw bytes
 * and match the tar's names even when they are not valid UTF-8.
 */
import type { InstalledPackage, PackageManager } from '../model/change.js';
import { compareCodeUnits, type FinalFiles } from './final-files.js';
import { baseName, displayPath, normalisePath, parentPath } from './paths.js';

const DPKG_STATUS = 'var/lib/dpkg/status';
const DPKG_INFO = 'var/lib/dpkg/info/';
const APK_INSTALLED = 'lib/apk/db/installed';
const DIST_INFO = '.dist-info';
const EGG_INFO = '.egg-info';
/** The files of an egg-info folder that are read: what it installed, its top-level modules, its metadata. */
const EGG_INFO_FILES = new Set(['installed-files.txt', 'top_level.txt', 'PKG-INFO']);
/** How many unreadable files the note names before it only counts them. */
const NOTE_NAMES = 3;

/**
 * Whether the reader should keep the bytes of the (normalised binary) file at `path`
 * because the package list is read from it. Called for every tar entry, so it looks
 * at the base name first and only then at the folders.
 */
export function isPackageDatabaseFile(path: string): boolean {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  switch (name) {
    case 'status':
      return path === DPKG_STATUS;
    case 'installed':
      return path === APK_INSTALLED;
    case 'RECORD':
      return isSpecialFolder(path, slash, DIST_INFO);
    case 'installed-files.txt':
    case 'top_level.txt':
    case 'PKG-INFO':
      return isSpecialFolder(path, slash, EGG_INFO);
    case 'package.json':
      return isNpmManifest(path, slash);
  }
  if (name.endsWith('.list')) return name.length > 5 && slash === DPKG_INFO.length - 1 && path.startsWith(DPKG_INFO);
  // Debian's python3-* packages install egg-info as one file of PKG-INFO text.
  return name.endsWith(EGG_INFO) && name.length > EGG_INFO.length;
}

/** Whether the folder holding the file (its `/` at `slash`) is named `<something><suffix>`. */
function isSpecialFolder(path: string, slash: number, suffix: string): boolean {
  if (slash <= 0) return false;
  const start = path.lastIndexOf('/', slash - 1) + 1;
  return slash - start > suffix.length && path.endsWith(suffix, slash);
}

/** `…node_modules/<name>/package.json` or `…node_modules/@scope/<name>/package.json`: a package's own manifest. */
function isNpmManifest(path: string, slash: number): boolean {
  if (slash <= 0) return false;
  const folderStart = path.lastIndexOf('/', slash - 1) + 1;
  const folder = path.slice(folderStart, slash);
  // A scope folder is no package; `.bin`, `.cache` and the like hold none either.
  if (folder === '' || folder.startsWith('@') || folder.startsWith('.') || folder === 'node_modules') return false;
  let parentEnd = folderStart - 1;
  if (parentEnd <= 0) return false;
  let parentStart = path.lastIndexOf('/', parentEnd - 1) + 1;
  if (path[parentStart] === '@' && parentEnd - parentStart > 1) {
    parentEnd = parentStart - 1;
    if (parentEnd <= 0) return false;
    parentStart = path.lastIndexOf('/', parentEnd - 1) + 1;
  }
  return path.slice(parentStart, parentEnd) === 'node_modules';
}

/**
 * The packages installed in the image, sorted by manager, name and location.
 * `files` are the visible database files the reader kept (path → content); each
 * package's bytes and file count are those of its own files visible in `fs`.
 * Bad content never throws: a package that cannot be read is left out, and a
 * database file that cannot be read at all is named in `note`.
 */
export function installedPackages(files: ReadonlyMap<string, Buffer>, fs: FinalFiles): { packages: InstalledPackage[]; note: string | null } {
  const unreadable: string[] = [];
  const packages = [
    ...dpkgPackages(files, fs, unreadable),
    ...apkPackages(files, fs, unreadable),
    ...pythonPackages(files, fs, unreadable),
    ...npmPackages(files, fs)
  ];
  packages.sort(comparePackages);
  return { packages, note: unreadableNote(unreadable) };
}

function comparePackages(a: InstalledPackage, b: InstalledPackage): number {
  return (
    compareCodeUnits(a.manager, b.manager) ||
    compareCodeUnits(a.name, b.name) ||
    (a.location === b.location ? 0 : a.location === null ? -1 : b.location === null ? 1 : compareCodeUnits(a.location, b.location)) ||
    compareCodeUnits(a.version, b.version)
  );
}

function unreadableNote(paths: string[]): string | null {
  if (paths.length === 0) return null;
  const named = paths.slice(0, NOTE_NAMES).map(displayPath).join(', ');
  if (paths.length === 1) return `Could not read the package database file ${named}.`;
  const more = paths.length > NOTE_NAMES ? ` and ${paths.length - NOTE_NAMES} more` : '';
  return `Could not read ${paths.length} package database files: ${named}${more}.`;
}

/** A NUL byte never occurs in the text formats read here: such a file is binary or corrupt. */
function isText(content: Buffer): boolean {
  return !content.includes(0);
}

/** Binary (latin1) name → text, for names and versions a person reads. */
function text(binary: string): string {
  return Buffer.from(binary, 'latin1').toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Counting a package's files

/** Folders that merged-/usr images (Debian 12, Ubuntu) replace by a symlink to `usr/<same>`. */
const USR_MERGED = new Set(['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'libo32']);

/** One package's files, each counted once. */
class Tally {
  bytes = 0;
  files = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly fs: FinalFiles) {}

  /** Counts a path whose bytes are known (from a scan of `fs`). */
  addKnown(path: string, bytes: number): void {
    if (this.seen.has(path)) return;
    this.seen.add(path);
    this.bytes += bytes;
    this.files += 1;
  }

  /** Counts the path if it is a visible file (a folder or a missing file counts nothing); true when it is. */
  add(path: string): boolean {
    const bytes = this.fs.sizeOf(path);
    if (bytes === null) return false;
    this.addKnown(path, bytes);
    return true;
  }

  /**
   * Counts a path a system package manager lists. On a merged-/usr image `/bin` is a
   * symlink to `usr/bin`, so the tar holds `usr/bin/bash` where dpkg lists `/bin/bash`:
   * when the listed path is missing and its top folder is a visible symlink, the file
   * is looked for below `usr/`.
   */
  addListed(path: string): void {
    const slash = path.indexOf('/');
    // dpkg lists `/bin` as a folder; the symlink in its place is usrmerge's, not the package's.
    if (slash === -1 && USR_MERGED.has(path)) return;
    if (this.add(path) || slash <= 0 || !USR_MERGED.has(path.slice(0, slash))) return;
    if (this.fs.sizeOf(path.slice(0, slash)) !== null) this.add(`usr/${path}`);
  }

  /** Counts every file below `folder`. */
  addFolder(folder: string): void {
    for (const [path, bytes] of this.fs.under(folder)) this.addKnown(path, bytes);
  }

  /** Counts the files directly in the folder of `prefix` whose names start with its last segment and satisfy `accept(rest of name)`. */
  addMatching(prefix: string, accept: (rest: string) => boolean): void {
    const { paths, bytes } = this.fs;
    for (let at = lowerBound(paths, prefix); at < paths.length && paths[at]!.startsWith(prefix); at++) {
      const rest = paths[at]!.slice(prefix.length);
      if (!rest.includes('/') && accept(rest)) this.addKnown(paths[at]!, bytes[at]!);
    }
  }

  result(manager: PackageManager, name: string, version: string, location: string | null): InstalledPackage {
    return { manager, name, version, bytes: this.bytes, files: this.files, location };
  }
}

/** Index of the first of the sorted `paths` not less than `path`, searching from `low`. */
function lowerBound(paths: readonly string[], path: string, low = 0): number {
  let high = paths.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (paths[middle]! < path) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * `relative` resolved against the folder `base` (both normalised binary paths; a
 * leading `/` makes it absolute): `.` and `..` segments resolved, null when it climbs
 * above the root. Loops over segments, so any depth is fine.
 */
function resolvePath(base: string, relative: string): string | null {
  const segments = relative.startsWith('/') || base === '' ? [] : base.split('/');
  for (const segment of relative.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') segments.push(segment);
    else if (segments.pop() === undefined) return null;
  }
  return segments.join('/');
}

// ---------------------------------------------------------------------------------------------
// Text formats

/** Lines of a text file, without their `\r\n`/`\n` ends. */
function lines(content: string): string[] {
  return content.split(/\r?\n/);
}

/**
 * RFC 822-style paragraphs (dpkg's status, PKG-INFO's header): `Field: value` lines,
 * paragraphs separated by blank lines. Continuation lines (starting with a space or
 * tab) belong to multi-line fields that are never needed here, so they are skipped;
 * a line that is neither is ignored.
 */
function paragraphs(content: string): Array<Map<string, string>> {
  const result: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  for (const line of lines(content)) {
    if (line.trim() === '') {
      if (current.size > 0) result.push(current);
      current = new Map();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) current.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  if (current.size > 0) result.push(current);
  return result;
}

/**
 * The first field of every row of a CSV file (RFC 4180): a RECORD's path, which is
 * quoted, with `""` for a quote, when it holds a comma, a quote or a line break. The
 * other fields (hash, size) never hold a quote, so the rest of a row is skipped up to
 * its line end. One pass over the text.
 */
function csvFirstFields(content: string): string[] {
  const fields: string[] = [];
  let at = 0;
  while (at < content.length) {
    let field = '';
    if (content[at] === '"') {
      at++;
      for (;;) {
        const quote = content.indexOf('"', at);
        if (quote === -1) {
          field += content.slice(at);
          at = content.length;
          break;
        }
        field += content.slice(at, quote);
        at = quote + 1;
        if (content[at] !== '"') break;
        field += '"';
        at++;
      }
    } else {
      let end = at;
      while (end < content.length && content[end] !== ',' && content[end] !== '\n') end++;
      field = content.slice(at, end).replace(/\r$/, '');
      at = end;
    }
    const lineEnd = content.indexOf('\n', at);
    at = lineEnd === -1 ? content.length : lineEnd + 1;
    if (field !== '') fields.push(field);
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// dpkg: /var/lib/dpkg/status lists the packages, /var/lib/dpkg/info/<pkg>[:<arch>].list their files

function dpkgPackages(files: ReadonlyMap<string, Buffer>, fs: FinalFiles, unreadable: string[]): InstalledPackage[] {
  const status = files.get(DPKG_STATUS);
  if (status === undefined) return [];
  const content = status.toString('latin1');
  const stanzas = isText(status) ? paragraphs(content).filter((stanza) => stanza.has('Package')) : [];
  if (stanzas.length === 0) {
    if (content.trim() !== '') unreadable.push(DPKG_STATUS);
    return [];
  }
  const packages: InstalledPackage[] = [];
  for (const stanza of stanzas) {
    const name = stanza.get('Package')!;
    // `install ok installed`, `hold ok installed`; not `half-installed`, `config-files` or `not-installed`.
    const state = (stanza.get('Status') ?? '').split(/\s+/);
    if (name === '' || state[state.length - 1] !== 'installed') continue;
    const arch = stanza.get('Architecture');
    const plain = `${DPKG_INFO}${name}.list`;
    const qualified = arch ? `${DPKG_INFO}${name}:${arch}.list` : plain;
    // dpkg names the list `<pkg>:<arch>.list` for a `Multi-Arch: same` package only; either may be there.
    const candidates = stanza.get('Multi-Arch') === 'same' ? [qualified, plain] : [plain, qualified];
    const listPath = candidates.find((path) => files.has(path));
    const tally = new Tally(fs);
    if (listPath !== undefined) {
      const list = files.get(listPath)!;
      if (!isText(list)) unreadable.push(listPath);
      else for (const line of lines(list.toString('latin1'))) if (line !== '') tally.addListed(normalisePath(line));
    }
    packages.push(tally.result('dpkg', name, stanza.get('Version') ?? '', null));
  }
  return packages;
}

// ---------------------------------------------------------------------------------------------
// apk: /lib/apk/db/installed ("Installed Database V2" of the Apk spec): one paragraph per
// package, `P:` name, `V:` version, `F:` a folder and the `R:` files in it that follow.

function apkPackages(files: ReadonlyMap<string, Buffer>, fs: FinalFiles, unreadable: string[]): InstalledPackage[] {
  const database = files.get(APK_INSTALLED);
  if (database === undefined) return [];
  const content = database.toString('latin1');
  const packages: InstalledPackage[] = [];
  if (isText(database)) {
    let name = '';
    let version = '';
    let folder = '';
    let tally = new Tally(fs);
    const flush = (): void => {
      if (name !== '') packages.push(tally.result('apk', name, version, null));
      name = version = folder = '';
      tally = new Tally(fs);
    };
    for (const line of lines(content)) {
      if (line.trim() === '') {
        flush();
        continue;
      }
      if (line.length < 2 || line[1] !== ':') continue; // other lines are not part of the format
      const value = line.slice(2);
      if (line[0] === 'P') name = value;
      else if (line[0] === 'V') version = value;
      else if (line[0] === 'F') folder = normalisePath(value);
      else if (line[0] === 'R' && value !== '') tally.addListed(normalisePath(folder === '' ? value : `${folder}/${value}`));
    }
    flush();
  }
  if (packages.length === 0 && content.trim() !== '') unreadable.push(APK_INSTALLED);
  return packages;
}

// ---------------------------------------------------------------------------------------------
// Python: `<site>/<name>-<version>.dist-info/RECORD` and `<site>/<name>-<version>[-pyX.Y].egg-info`
// (a folder, or one file of PKG-INFO text)

function pythonPackages(files: ReadonlyMap<string, Buffer>, fs: FinalFiles, unreadable: string[]): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  /** Egg-info folders → their kept files by name. */
  const eggFolders = new Map<string, Map<string, Buffer>>();
  for (const [path, content] of files) {
    const name = baseName(path);
    if (name === 'RECORD' && isSpecialFolder(path, path.length - name.length - 1, DIST_INFO)) {
      const distInfo = parentPath(path);
      if (!isText(content)) unreadable.push(path);
      else packages.push(distInfoPackage(distInfo, content, fs));
    } else if (EGG_INFO_FILES.has(name) && isSpecialFolder(path, path.length - name.length - 1, EGG_INFO)) {
      const folder = parentPath(path);
      const kept = eggFolders.get(folder) ?? new Map<string, Buffer>();
      eggFolders.set(folder, kept.set(name, content));
    } else if (name.endsWith(EGG_INFO) && name.length > EGG_INFO.length) {
      // One file of PKG-INFO text: the package's only file that can be known.
      const { name: packageName, version } = eggName(name, content);
      const tally = new Tally(fs);
      tally.add(path);
      packages.push(tally.result('python', packageName, version, displayPath(path)));
    }
  }
  for (const [folder, kept] of eggFolders) packages.push(eggFolderPackage(folder, kept, fs));
  return packages;
}

/** `<name>-<version>` split at its last `-` (the wheel spec writes a `-` in either as `_`; a legacy name may keep one). */
function splitNameVersion(stem: string): { name: string; version: string } | null {
  const dash = stem.lastIndexOf('-');
  return dash > 0 && dash < stem.length - 1 ? { name: text(stem.slice(0, dash)), version: text(stem.slice(dash + 1)) } : null;
}

function distInfoPackage(distInfo: string, record: Buffer, fs: FinalFiles): InstalledPackage {
  const site = parentPath(distInfo);
  const stem = baseName(distInfo).slice(0, -DIST_INFO.length);
  const { name, version } = splitNameVersion(stem) ?? { name: text(stem), version: '' };
  const tally = new Tally(fs);
  // RECORD paths are relative to the site folder (`../../../bin/pip` for scripts); one above the root is ignored.
  for (const field of csvFirstFields(record.toString('latin1'))) {
    const path = resolvePath(site, field);
    if (path !== null) tally.add(path);
  }
  return tally.result('python', name, version, displayPath(distInfo));
}

/** Name and version from an egg-info's name (`six-1.16.0`, `Python-2.7.18-py2.7`), else from its PKG-INFO text. */
function eggName(fileName: string, pkgInfo: Buffer | undefined): { name: string; version: string } {
  const stem = fileName.slice(0, -EGG_INFO.length).replace(/-py\d+(\.\d+)*(-.*)?$/, '');
  const fromName = splitNameVersion(stem);
  // A version starts with a digit: `cryptography.egg-info`, `zope-interface.egg-info` are a name alone.
  if (fromName !== null && /^\d/.test(fromName.version)) return fromName;
  const header = pkgInfo !== undefined && isText(pkgInfo) ? paragraphs(pkgInfo.toString('latin1'))[0] : undefined;
  return { name: text(stem), version: text(header?.get('Version') ?? '') };
}

function eggFolderPackage(folder: string, kept: Map<string, Buffer>, fs: FinalFiles): InstalledPackage {
  const site = parentPath(folder);
  const { name, version } = eggName(baseName(folder), kept.get('PKG-INFO'));
  const tally = new Tally(fs);
  const installed = kept.get('installed-files.txt');
  const topLevel = kept.get('top_level.txt');
  if (installed !== undefined && isText(installed)) {
    // pip's list of what it installed, relative to the egg-info folder.
    for (const line of lines(installed.toString('latin1'))) {
      const path = line === '' ? null : resolvePath(folder, line);
      if (path !== null) tally.add(path);
    }
  } else if (topLevel !== undefined && isText(topLevel)) {
    // Only the top-level modules are known: a module's folder, its `.py`, its extension modules and cached bytecode.
    for (const line of lines(topLevel.toString('latin1'))) {
      const module = normalisePath(line.trim());
      if (module === '' || module.split('/').includes('..')) continue;
      const path = site === '' ? module : `${site}/${module}`;
      tally.addFolder(path);
      tally.add(`${path}.py`);
      tally.addMatching(`${path}.`, (rest) => rest.endsWith('.so'));
      const parent = parentPath(path);
      tally.addMatching(`${parent === '' ? '' : `${parent}/`}__pycache__/${baseName(path)}.`, (rest) => rest.endsWith('.pyc'));
    }
  }
  tally.addFolder(folder);
  return tally.result('python', name, version, displayPath(folder));
}

// ---------------------------------------------------------------------------------------------
// npm: every `node_modules/<name>/package.json` and `node_modules/@scope/<name>/package.json`

function npmPackages(files: ReadonlyMap<string, Buffer>, fs: FinalFiles): InstalledPackage[] {
  const packages: InstalledPackage[] = [];
  for (const [path, content] of files) {
    if (baseName(path) !== 'package.json' || !isNpmManifest(path, path.length - 'package.json'.length - 1)) continue;
    const manifest = parseManifest(content);
    if (manifest === null) continue; // not JSON, or no version: not an installed package (a test fixture, a broken copy)
    const folder = parentPath(path);
    const scoped = baseName(parentPath(folder)).startsWith('@');
    const folderName = text(scoped ? `${baseName(parentPath(folder))}/${baseName(folder)}` : baseName(folder));
    const tally = new Tally(fs);
    addNpmFiles(tally, fs, folder);
    packages.push(tally.result('npm', manifest.name ?? folderName, manifest.version, displayPath(folder)));
  }
  return packages;
}

function parseManifest(content: Buffer): { name: string | null; version: string } | null {
  let manifest: unknown;
  try {
    manifest = JSON.parse(content.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return null;
  const { name, version } = manifest as Record<string, unknown>;
  if (typeof version !== 'string' || version === '') return null;
  return { name: typeof name === 'string' && name !== '' ? name : null, version };
}

/**
 * The package folder's files except those below a nested `node_modules/` (its own
 * packages, counted on their own). Such a folder is jumped over by one binary search,
 * so a deep tree is not walked once per enclosing package.
 */
function addNpmFiles(tally: Tally, fs: FinalFiles, folder: string): void {
  const { paths, bytes } = fs;
  const prefix = `${folder}/`;
  let at = lowerBound(paths, prefix);
  while (at < paths.length && paths[at]!.startsWith(prefix)) {
    const path = paths[at]!;
    const rest = path.slice(prefix.length);
    // Where a nested `node_modules/` starts in `rest` (at 0 or just after a `/`); -1 when there is none.
    const nested = rest.startsWith('node_modules/') ? 0 : rest.indexOf('/node_modules/') + 1 || -1;
    if (nested === -1) {
      tally.addKnown(path, bytes[at]!);
      at++;
      continue;
    }
    at = lowerBound(paths, `${prefix}${rest.slice(0, nested)}node_modules0`, at + 1);
  }
}
