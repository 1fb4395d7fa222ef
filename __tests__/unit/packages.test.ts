/**
 * Package attribution against real package databases of this machine (a Debian 12
 * system with Python and the project's own node_modules), read at test time: each
 * package's bytes are summed here independently, with lstat, and compared. apk's
 * database is written from its documented format, as no Alpine system is at hand.
 */
import { describe, expect, it, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { FinalFiles } from '../../src/analyse/final-files.js';
import { installedPackages, isPackageDatabaseFile } from '../../src/analyse/packages.js';
import { displayPath } from '../../src/analyse/paths.js';
import type { InstalledPackage } from '../../src/model/change.js';

/** A text path in the binary (latin1) form layer entries use, without its leading `/`. */
function binary(text: string): string {
  return Buffer.from(text.replace(/^\/+/, ''), 'utf8').toString('latin1');
}

/** A normalised binary path as the machine's absolute path (raw bytes). */
function onDisk(path: string): Buffer {
  return Buffer.from(`/${path}`, 'latin1');
}

/** What the final filesystem holds for the path: a regular file's size, a symlink's target length; null for a folder or nothing. */
function measured(path: string): number | null {
  try {
    const stats = lstatSync(onDisk(path));
    if (stats.isFile()) return stats.size;
    if (stats.isSymbolicLink()) return readlinkSync(onDisk(path), 'buffer').length;
  } catch {
    // missing or unreadable: nothing a container would see
  }
  return null;
}

/** Every file and symlink below a folder (an absolute text path), as [binary path, bytes]. */
function walk(root: string, skip: (name: string) => boolean = () => false): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  const stack = [root];
  while (stack.length > 0) {
    const folder = stack.pop()!;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!skip(entry.name)) stack.push(path);
      } else {
        const bytes = measured(binary(path));
        if (bytes !== null) found.push([binary(path), bytes]);
      }
    }
  }
  return found;
}

function sum(entries: Iterable<readonly [string, number]>): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const [, size] of entries) {
    bytes += size;
    files += 1;
  }
  return { bytes, files };
}

function find(packages: InstalledPackage[], manager: string, name: string, location: string | null = null): InstalledPackage {
  const found = packages.find((p) => p.manager === manager && p.name === name && (location === null || p.location === location));
  if (found === undefined) throw new Error(`no ${manager} package ${name} ${location ?? ''}`);
  return found;
}

function isSorted(packages: InstalledPackage[]): boolean {
  const key = (p: InstalledPackage): string[] => [p.manager, p.name, p.location ?? ''];
  return packages.every((p, i) => {
    if (i === 0) return true;
    const [a, b] = [key(packages[i - 1]!), key(p)];
    const at = a.findIndex((part, index) => part !== b[index]);
    return at === -1 || a[at]! < b[at]!;
  });
}

describe('isPackageDatabaseFile', () => {
  test.each<[string, boolean]>([
    ['var/lib/dpkg/status', true],
    ['var/lib/dpkg/info/bash.list', true],
    ['var/lib/dpkg/info/libc6:amd64.list', true],
    ['lib/apk/db/installed', true],
    ['usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD', true],
    ['app/.venv/lib/python3.12/site-packages/numpy-2.1.0.dist-info/RECORD', true],
    ['usr/lib/python3/dist-packages/six-1.16.0.egg-info/top_level.txt', true],
    ['usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO', true],
    ['usr/local/lib/python3.12/site-packages/foo-1.0-py3.12.egg-info/installed-files.txt', true],
    ['usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info', true],
    ['app/node_modules/express/package.json', true],
    ['app/node_modules/@babel/core/package.json', true],
    ['node_modules/a/node_modules/b/package.json', true],
    ['app/node_modules/.pnpm/x@1.0.0/node_modules/x/package.json', true],
    ['var/lib/dpkg/status-old', false],
    ['var/lib/dpkg/status.d/bash', false],
    ['etc/dpkg/status', false],
    ['var/lib/dpkg/info/bash.md5sums', false],
    ['var/lib/dpkg/info/sub/bash.list', false],
    ['var/lib/dpkg/info/.list', false],
    ['usr/share/bash.list', false],
    ['lib/apk/db/installed.bak', false],
    ['etc/apk/installed', false],
    ['usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA', false],
    ['usr/lib/python3/dist-packages/.dist-info/RECORD', false],
    ['RECORD', false],
    ['usr/lib/python3/dist-packages/six-1.16.0.egg-info/requires.txt', false],
    ['usr/lib/python3/dist-packages/top_level.txt', false],
    ['.egg-info', false],
    ['app/node_modules/x/lib/package.json', false],
    ['app/node_modules/@scope/package.json', false],
    ['app/node_modules/package.json', false],
    ['app/node_modules/.bin/package.json', false],
    ['app/package.json', false],
    ['package.json', false],
    ['node_modules/@babel/core/lib/package.json', false],
    ['usr/bin/bash', false],
    ['', false]
  ])('%j → %s', (path, expected) => {
    expect(isPackageDatabaseFile(path)).toBe(expected);
  });
});

const hasDpkg = existsSync('/var/lib/dpkg/status') && existsSync('/usr/bin/dpkg-query');

(hasDpkg ? describe : describe.skip)("dpkg, on this machine's own database", () => {
  const info = '/var/lib/dpkg/info';
  const files = new Map<string, Buffer>([['var/lib/dpkg/status', readFileSync('/var/lib/dpkg/status')]]);
  for (const name of readdirSync(info, { encoding: 'buffer' })) {
    if (name.toString('latin1').endsWith('.list'))
      files.set(`var/lib/dpkg/info/${name.toString('latin1')}`, readFileSync(Buffer.concat([Buffer.from(`${info}/`), name])));
  }

  // Where this system's layer tar would hold a listed file: below its folder's real path (on a
  // merged-/usr system `/bin/bash` is `usr/bin/bash`, `/bin` being a symlink).
  const realFolders = new Map<string, string>();
  const tarPath = (path: string): string => {
    const slash = path.lastIndexOf('/');
    if (slash === -1) return path;
    const folder = path.slice(0, slash);
    let real = realFolders.get(folder);
    if (real === undefined) {
      try {
        real = realpathSync(onDisk(folder), { encoding: 'buffer' }).toString('latin1').slice(1);
      } catch {
        real = folder;
      }
      realFolders.set(folder, real);
    }
    return real === '' ? path.slice(slash + 1) : `${real}/${path.slice(slash + 1)}`;
  };

  /** Per list file: its files as the tar holds them, with their bytes (independent of the code under test). */
  const expected = new Map<string, Map<string, number>>();
  const entries = new Map<string, number>();
  for (const [key, list] of files) {
    if (!key.endsWith('.list')) continue;
    const own = new Map<string, number>();
    for (const line of list.toString('latin1').split('\n')) {
      const path = line.replace(/^\/+/, '');
      const bytes = path === '' || path === '.' ? null : measured(path);
      // dpkg lists `/bin` as a folder: the symlink usrmerge put in its place is no package's.
      if (bytes === null || (!path.includes('/') && lstatSync(onDisk(path)).isSymbolicLink())) continue;
      own.set(tarPath(path), bytes);
      entries.set(tarPath(path), bytes);
    }
    expected.set(key, own);
  }
  // The merged-/usr symlinks themselves (`bin` → `usr/bin`) are files of the final filesystem too.
  for (const top of readdirSync('/')) {
    const bytes = measured(top);
    if (bytes !== null) entries.set(top, bytes);
  }
  const fs = FinalFiles.of(entries);
  const { packages, note } = installedPackages(files, fs);
  const dpkg = packages.filter((p) => p.manager === 'dpkg');

  it('lists every installed package with the version dpkg-query gives', () => {
    const listed = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${Version}\t${db:Status-Status}\n'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.endsWith('\tinstalled'))
      .map((line) => line.split('\t').slice(0, 2).join(' '))
      .sort();
    expect(dpkg.map((p) => `${p.name} ${p.version}`).sort()).toEqual(listed);
    expect(note).toBeNull();
    expect(dpkg.every((p) => p.location === null)).toBe(true);
  });

  it("gives bash the version `dpkg-query -W -f='${Version}' bash` prints", () => {
    expect(find(dpkg, 'dpkg', 'bash').version).toBe(execFileSync('dpkg-query', ['-W', '-f=${Version}', 'bash'], { encoding: 'utf8' }));
  });

  it('measures each package as the sum of its own listed files (lstat), through merged-/usr symlinks', () => {
    // dpkg names each package's list `${binary:Package}.list` (`libc6:amd64` for Multi-Arch: same).
    const lists = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${binary:Package}\t${db:Status-Status}\n'], { encoding: 'utf8' });
    let checked = 0;
    for (const line of lists.split('\n')) {
      const [name, qualified, state] = line.split('\t');
      if (state !== 'installed') continue;
      const own = expected.get(`var/lib/dpkg/info/${binary(qualified!)}.list`) ?? new Map<string, number>();
      const found = find(dpkg, 'dpkg', name!);
      expect({ name, ...sum(own) }).toEqual({ name, bytes: found.bytes, files: found.files });
      checked++;
    }
    expect(checked).toBe(dpkg.length);
  });

  test.each<[string, string]>([
    ['bash', 'bin/bash'],
    ['coreutils', 'bin/ls'],
    ['libc6', 'lib/x86_64-linux-gnu/libc.so.6']
  ])('%s: its main file %s counts, where the tar holds it', (name, main) => {
    const where = tarPath(main);
    if (lstatSync('/bin').isSymbolicLink()) expect(where).toBe(`usr/${main}`); // listed as /bin/…, held below usr/
    const without = FinalFiles.of([...entries].filter(([path]) => path !== where));
    const lessOne = find(installedPackages(files, without).packages, 'dpkg', name);
    const found = find(dpkg, 'dpkg', name);
    expect({ bytes: found.bytes - lessOne.bytes, files: found.files - lessOne.files }).toEqual({ bytes: measured(main), files: 1 });
  });
});

/** Dist-info folders on this machine: pip of a pyenv Python (its RECORD climbs to `../../../bin`) and Debian's. */
function distInfos(): string[] {
  const found: string[] = [];
  const pyenv = '/root/.pyenv/versions';
  if (existsSync(pyenv)) {
    for (const version of readdirSync(pyenv).sort()) {
      const lib = join(pyenv, version, 'lib');
      if (!existsSync(lib)) continue;
      for (const python of readdirSync(lib).filter((name) => name.startsWith('python3'))) {
        const site = join(lib, python, 'site-packages');
        if (existsSync(site))
          found.push(
            ...readdirSync(site)
              .filter((name) => /^pip-.*\.dist-info$/.test(name))
              .map((name) => join(site, name))
          );
      }
      if (found.length > 0) break;
    }
  }
  const debian = '/usr/lib/python3/dist-packages';
  if (existsSync(debian))
    found.push(
      ...readdirSync(debian)
        .filter((name) => name.endsWith('.dist-info'))
        .map((name) => join(debian, name))
    );
  return found.filter((folder) => existsSync(join(folder, 'RECORD')));
}

const realDistInfos = distInfos();

(realDistInfos.length > 0 ? describe : describe.skip)('python dist-info, real ones on this machine', () => {
  test.each(realDistInfos)('%s', (distInfo) => {
    const site = resolve(distInfo, '..');
    const record = readFileSync(join(distInfo, 'RECORD'), 'utf8');
    // Independent of the code under test: no RECORD here quotes a path, so its first comma ends it.
    const own = new Map<string, number>();
    for (const line of record.split('\n')) {
      if (line === '') continue;
      expect(line.startsWith('"')).toBe(false);
      const path = binary(posix.resolve(site, line.slice(0, line.indexOf(','))));
      const bytes = measured(path);
      if (bytes !== null) own.set(path, bytes);
    }
    // The final filesystem: the whole site folder (other packages' files too), and what RECORD names outside it.
    const fs = FinalFiles.of([...walk(site), ...own]);
    const files = new Map([[binary(join(distInfo, 'RECORD')), Buffer.from(record)]]);
    expect(isPackageDatabaseFile([...files.keys()][0]!)).toBe(true);
    const { packages, note } = installedPackages(files, fs);
    expect(note).toBeNull();
    expect(packages).toHaveLength(1);
    const metadata = readFileSync(join(distInfo, 'METADATA'), 'utf8');
    const field = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(metadata)![1]!.trim();
    const [, folderName, folderVersion] = /^(.*)-([^-]*)\.dist-info$/.exec(distInfo.split('/').pop()!)!;
    expect(packages[0]).toEqual({ manager: 'python', name: folderName, version: folderVersion, ...sum(own), location: distInfo });
    expect(packages[0]!.version).toBe(field('Version'));
    expect(packages[0]!.name.toLowerCase()).toBe(
      field('Name')
        .toLowerCase()
        .replace(/[-_.]+/g, '_')
    );
    expect(packages[0]!.bytes).toBeGreaterThan(0);
  });
});

const debianSite = '/usr/lib/python3/dist-packages';
const realEggFolders = existsSync(debianSite)
  ? readdirSync(debianSite).filter((name) => name.endsWith('.egg-info') && lstatSync(join(debianSite, name)).isDirectory())
  : [];

(realEggFolders.length > 0 ? describe : describe.skip)("python egg-info folders, Debian's own", () => {
  const siteFiles = walk(debianSite);
  const fs = FinalFiles.of(siteFiles);
  const files = new Map<string, Buffer>();
  for (const egg of realEggFolders) {
    for (const name of readdirSync(join(debianSite, egg))) {
      const path = binary(join(debianSite, egg, name));
      if (isPackageDatabaseFile(path)) files.set(path, readFileSync(join(debianSite, egg, name)));
    }
  }
  const { packages, note } = installedPackages(files, fs);

  test.each(realEggFolders)('%s: its top-level modules and its own files', (egg) => {
    const folder = binary(join(debianSite, egg));
    const site = binary(debianSite);
    const own = new Map(siteFiles.filter(([path]) => path.startsWith(`${folder}/`)));
    for (const module of readFileSync(join(debianSite, egg, 'top_level.txt'), 'utf8')
      .split('\n')
      .filter(Boolean)) {
      for (const [path, bytes] of siteFiles) {
        const rest = path.slice(site.length + 1);
        const cached = rest.startsWith(`__pycache__/${module}.`) && rest.endsWith('.pyc') && rest.split('/').length === 2;
        const extension = rest.startsWith(`${module}.`) && rest.endsWith('.so') && !rest.includes('/');
        if (rest.startsWith(`${module}/`) || rest === `${module}.py` || cached || extension) own.set(path, bytes);
      }
    }
    const pkgInfo = readFileSync(join(debianSite, egg, 'PKG-INFO'), 'utf8');
    const found = packages.find((p) => p.location === displayPath(folder))!;
    expect(found).toMatchObject({ manager: 'python', ...sum(own) });
    expect(found.version).toBe(/^Version: (.*)$/m.exec(pkgInfo)![1]!.trim());
  });

  it('names them as their folders write them', () => {
    expect(note).toBeNull();
    expect(packages).toHaveLength(realEggFolders.length);
    const six = packages.find((p) => p.location === `${debianSite}/six-1.16.0.egg-info`);
    if (six !== undefined) {
      expect(six).toMatchObject({ name: 'six', version: '1.16.0' });
      expect(six.bytes).toBeGreaterThanOrEqual(measured(binary(`${debianSite}/six.py`))!);
    }
    // No version in the folder's name: it comes from PKG-INFO.
    const unversioned = packages.find((p) => p.location === `${debianSite}/cryptography.egg-info`);
    if (unversioned !== undefined) expect(unversioned).toMatchObject({ name: 'cryptography', version: expect.stringMatching(/^\d/) });
  });
});

const singleFileEggs = [
  '/root/.pyenv/versions/2.7.18/lib/python2.7/wsgiref.egg-info',
  '/root/.pyenv/versions/2.7.18/lib/python2.7/lib-dynload/Python-2.7.18-py2.7.egg-info'
].filter((path) => existsSync(path) && lstatSync(path).isFile());

(singleFileEggs.length > 0 ? describe : describe.skip)('python egg-info files, real ones on this machine', () => {
  test.each(singleFileEggs)('%s', (path) => {
    const content = readFileSync(path);
    const fs = FinalFiles.of([[binary(path), content.length]]);
    expect(isPackageDatabaseFile(binary(path))).toBe(true);
    const { packages } = installedPackages(new Map([[binary(path), content]]), fs);
    const field = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(content.toString('utf8'))![1]!.trim();
    expect(packages).toEqual([
      { manager: 'python', name: field('Name'), version: field('Version'), bytes: content.length, files: 1, location: path }
    ]);
  });
});

describe('python, written by hand', () => {
  const site = 'usr/local/lib/python3.12/site-packages';

  it('reads installed-files.txt relative to the egg-info folder', () => {
    const egg = `${site}/foo_bar-2.0-py3.12.egg-info`;
    const installed = ['../foo/__init__.py', '../foo/core.py', '../../../../bin/foo', 'PKG-INFO', 'installed-files.txt', '../foo', '../gone.py'].join(
      '\n'
    );
    const fs = FinalFiles.of([
      [`${site}/foo/__init__.py`, 10],
      [`${site}/foo/core.py`, 200],
      [`${site}/foo/extra.py`, 7000], // under the module, but not in the list
      ['usr/local/bin/foo', 30],
      [`${egg}/PKG-INFO`, 400],
      [`${egg}/installed-files.txt`, installed.length],
      [`${egg}/top_level.txt`, 4]
    ]);
    const files = new Map([
      [`${egg}/installed-files.txt`, Buffer.from(installed)],
      [`${egg}/PKG-INFO`, Buffer.from('Metadata-Version: 2.1\nName: foo-bar\nVersion: 2.0\n')]
    ]);
    expect(installedPackages(files, fs).packages).toEqual([
      { manager: 'python', name: 'foo_bar', version: '2.0', bytes: 10 + 200 + 30 + 400 + installed.length + 4, files: 6, location: `/${egg}` }
    ]);
  });

  it('reads top_level.txt: the module folder, its .py, extension modules and cached bytecode', () => {
    const egg = `${site}/spam-1.0.egg-info`;
    const fs = FinalFiles.of([
      [`${site}/spam/__init__.py`, 1],
      [`${site}/spam/sub/deep.py`, 2],
      [`${site}/_spam.py`, 4],
      [`${site}/_spam.cpython-312-x86_64-linux-gnu.so`, 8],
      [`${site}/__pycache__/_spam.cpython-312.pyc`, 16],
      [`${site}/spammer.py`, 1000], // another module that only starts alike
      [`${site}/spam.egg-info/PKG-INFO`, 2000],
      [`${egg}/PKG-INFO`, 32],
      [`${egg}/top_level.txt`, 11]
    ]);
    const files = new Map([
      [`${egg}/top_level.txt`, Buffer.from('spam\n_spam\n\n')],
      [`${egg}/PKG-INFO`, Buffer.from('Name: spam\nVersion: 1.0\n')]
    ]);
    expect(installedPackages(files, fs).packages).toEqual([
      { manager: 'python', name: 'spam', version: '1.0', bytes: 1 + 2 + 4 + 8 + 16 + 32 + 11, files: 7, location: `/${egg}` }
    ]);
  });

  it('reads quoted RECORD paths and ignores one that climbs above the root', () => {
    const distInfo = `${site}/odd_pkg-0.1.dist-info`;
    const record = [
      'odd_pkg/__init__.py,sha256=abc,5',
      '"odd_pkg/with,comma.py",sha256=abc,6',
      '"odd_pkg/with ""quote"".py",,',
      '../../../../../../../../etc/passwd,,',
      '/etc/absolute.conf,,',
      `${distInfo.split('/').pop()}/RECORD,,`,
      'odd_pkg/caf\u00e9.py,sha256=abc,7'
    ].join('\r\n');
    const fs = FinalFiles.of([
      [`${site}/odd_pkg/__init__.py`, 5],
      [`${site}/odd_pkg/with,comma.py`, 6],
      [`${site}/odd_pkg/with "quote".py`, 8],
      ['etc/passwd', 1000],
      ['etc/absolute.conf', 9],
      [`${distInfo}/RECORD`, record.length],
      [`${site}/odd_pkg/caf\u00c3\u00a9.py`, 7] // `é` in UTF-8, as the tar names it
    ]);
    const { packages } = installedPackages(new Map([[`${distInfo}/RECORD`, Buffer.from(record)]]), fs);
    expect(packages).toEqual([
      { manager: 'python', name: 'odd_pkg', version: '0.1', bytes: 5 + 6 + 8 + 9 + record.length + 7, files: 6, location: `/${distInfo}` }
    ]);
  });
});

const nodeModules = resolve(import.meta.dirname, '..', '..', 'node_modules');

(existsSync(nodeModules) ? describe : describe.skip)("npm, the project's own node_modules", () => {
  const entries = walk(nodeModules);
  const fs = FinalFiles.of(entries);
  const files = new Map(entries.filter(([path]) => isPackageDatabaseFile(path)).map(([path]) => [path, readFileSync(onDisk(path))]));
  const { packages, note } = installedPackages(files, fs);
  const npm = packages.filter((p) => p.manager === 'npm');

  /** A package folder with a nested node_modules holding a package, found at test time. */
  const nested = readdirSync(nodeModules)
    .flatMap((name) => (name.startsWith('@') ? readdirSync(join(nodeModules, name)).map((inner) => `${name}/${inner}`) : [name]))
    .find(
      (name) =>
        existsSync(join(nodeModules, name, 'node_modules')) &&
        readdirSync(join(nodeModules, name, 'node_modules')).some((inner) => !inner.startsWith('.'))
    );

  const chosen = ['semver', 'tar-stream', '@actions/core', ...(nested === undefined ? [] : [nested])].filter((name) =>
    existsSync(join(nodeModules, name, 'package.json'))
  );

  test.each(chosen)('%s: its folder without nested node_modules', (name) => {
    const folder = join(nodeModules, name);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    const own = walk(folder, (entry) => entry === 'node_modules');
    const found = find(npm, 'npm', manifest.name, folder);
    expect(found).toEqual({ manager: 'npm', name: manifest.name, version: manifest.version, ...sum(own), location: folder });
    if (name === nested) expect(sum(own).bytes).toBeLessThan(sum(walk(folder)).bytes);
  });

  it('finds the nested packages too, each file counted for one package at most', () => {
    expect(note).toBeNull();
    expect(nested).toBeDefined();
    expect(npm.some((p) => p.location!.startsWith(`${nodeModules}/${nested}/node_modules/`))).toBe(true);
    const total = sum(entries);
    expect(npm.reduce((bytes, p) => bytes + p.bytes, 0)).toBeLessThanOrEqual(total.bytes);
    expect(npm.reduce((files, p) => files + p.files, 0)).toBeLessThanOrEqual(total.files);
    expect(isSorted(packages)).toBe(true);
  });
});

describe('npm, written by hand', () => {
  const fs = FinalFiles.of([
    ['app/node_modules/a/package.json', 10],
    ['app/node_modules/a/index.js', 100],
    ['app/node_modules/a/lib/node_modules/x/y.js', 5000], // below a nested node_modules: not a's
    ['app/node_modules/a/node_modules/b/package.json', 20],
    ['app/node_modules/a/node_modules/b/b.js', 200],
    ['app/node_modules/a/zz.js', 1],
    ['app/node_modules/@s/c/package.json', 30],
    ['app/node_modules/bom/package.json', 40],
    ['app/node_modules/broken/package.json', 50],
    ['app/node_modules/noversion/package.json', 60],
    ['app/node_modules/noname/package.json', 70]
  ]);
  const files = new Map<string, Buffer>([
    ['app/node_modules/a/package.json', Buffer.from('{"name":"a","version":"1.0.0"}')],
    ['app/node_modules/a/node_modules/b/package.json', Buffer.from('{"name":"b","version":"2.0.0"}')],
    ['app/node_modules/@s/c/package.json', Buffer.from('{"name":"@s/c","version":"3.0.0"}')],
    ['app/node_modules/bom/package.json', Buffer.from('\uFEFF{"name":"bom","version":"4.0.0"}')],
    ['app/node_modules/broken/package.json', Buffer.from('{"name":"broken",')],
    ['app/node_modules/noversion/package.json', Buffer.from('{"name":"noversion"}')],
    ['app/node_modules/noname/package.json', Buffer.from('{"version":"5.0.0"}')]
  ]);

  it('skips manifests that are not JSON or have no version, and names a nameless one by its folder', () => {
    const { packages, note } = installedPackages(files, fs);
    expect(note).toBeNull();
    expect(packages).toEqual([
      { manager: 'npm', name: '@s/c', version: '3.0.0', bytes: 30, files: 1, location: '/app/node_modules/@s/c' },
      { manager: 'npm', name: 'a', version: '1.0.0', bytes: 111, files: 3, location: '/app/node_modules/a' },
      { manager: 'npm', name: 'b', version: '2.0.0', bytes: 220, files: 2, location: '/app/node_modules/a/node_modules/b' },
      { manager: 'npm', name: 'bom', version: '4.0.0', bytes: 40, files: 1, location: '/app/node_modules/bom' },
      { manager: 'npm', name: 'noname', version: '5.0.0', bytes: 70, files: 1, location: '/app/node_modules/noname' }
    ]);
  });
});

/** An installed database after the Apk spec ("Installed Database V2"), as `apk add musl busybox ca-certificates-bundle` leaves it. */
const APK_INSTALLED = `C:Q1SLkS9hBidUbPwwrw+XR0Whv3ww8=
P:musl
V:1.2.5-r0
A:x86_64
S:410490
I:663552
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1712578418
c:0bb5458ec8fb76ba9a5f24ee0e31a05d50df8b3c
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1MMvFzRMCvBAJ8BKRqpuOBOYlCpk=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1Ph3iVhUePk3oD/uyRwBlvtdfwN0=
P:busybox
V:1.36.1-r29
A:x86_64
S:513271
I:950272
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1716382425
c:1a1d4e5ee6c7e2a0a2c4f3c7b8c4b5a0c9d8e7f6
D:so:libc.musl-x86_64.so.1
p:/bin/sh cmd:busybox=1.36.1-r29 cmd:sh=1.36.1-r29
r:busybox-initscripts
F:bin
R:busybox
a:0:0:755
Z:Q1BrbSvWpqNHuO3bd9mpyDOeqcD+Y=
R:sh
a:0:0:777
Z:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=
F:etc
R:securetty
Z:Q1mB95Hq2NUTZ599RDiSsj9w5FrOU=
F:etc/busybox-paths.d
R:busybox
Z:Q1Jt8mU+rn/L9kXh2Lq9rY0UI7Zk0=
F:usr
M:0:0:755
F:usr/share
F:usr/share/udhcpc
R:default.script
a:0:0:755
Z:Q1t9vir/ZrX3nbSIYT9BDLWZT1SqU=
F:var/cache/misc

C:Q1X5m2hVd5SFBqy3fIL0yfJ2+1DTo=
P:ca-certificates-bundle
V:20240226-r0
A:x86_64
S:126049
I:221184
T:Pre generated bundle of Certificate Authority certificates
U:https://www.mozilla.org/en-US/about/governance/policies/security-group/certs/
L:MPL-2.0 AND MIT
o:ca-certificates
m:Natanael Copa <ncopa@alpinelinux.org>
t:1710505785
c:6a9b2a7e6b6a0c8d4a5b0f0b6f0e0a1b2c3d4e5f
F:etc
F:etc/ssl
R:cert.pem
a:0:0:777
Z:Q1Nj6gTBdkZpTFW/obJGdpfvK0ExM=
F:etc/ssl/certs
R:ca-certificates.crt
Z:Q17vjuHEYmrWuV7vJkVLWWLm+1bVU=
F:etc/ssl1.1
R:cert.pem
a:0:0:777
R:certs
a:0:0:777

`;

describe('apk, a database written from its spec', () => {
  const fs = FinalFiles.of([
    ['lib/ld-musl-x86_64.so.1', 659_184],
    ['lib/libc.musl-x86_64.so.1', 19], // a symlink: its target's length
    ['bin/busybox', 808_712],
    ['bin/sh', 12],
    ['etc/securetty', 125],
    ['etc/busybox-paths.d/busybox', 8_960],
    ['usr/share/udhcpc/default.script', 3_211],
    ['etc/ssl/cert.pem', 25],
    ['etc/ssl/certs/ca-certificates.crt', 219_342],
    // etc/ssl1.1/cert.pem and etc/ssl1.1/certs: deleted by a later layer
    ['etc/hostname', 13] // no package's
  ]);

  it('counts the R: files of each package, each in the F: folder above it', () => {
    const { packages, note } = installedPackages(new Map([['lib/apk/db/installed', Buffer.from(APK_INSTALLED)]]), fs);
    expect(note).toBeNull();
    expect(packages).toEqual([
      { manager: 'apk', name: 'busybox', version: '1.36.1-r29', bytes: 808_712 + 12 + 125 + 8_960 + 3_211, files: 5, location: null },
      { manager: 'apk', name: 'ca-certificates-bundle', version: '20240226-r0', bytes: 25 + 219_342, files: 2, location: null },
      { manager: 'apk', name: 'musl', version: '1.2.5-r0', bytes: 659_184 + 19, files: 2, location: null }
    ]);
  });

  it('reads a database with CRLF line ends and no final blank line', () => {
    const text = APK_INSTALLED.trim().replace(/\n/g, '\r\n');
    const { packages } = installedPackages(new Map([['lib/apk/db/installed', Buffer.from(text)]]), fs);
    expect(packages.map((p) => [p.name, p.files])).toEqual([
      ['busybox', 5],
      ['ca-certificates-bundle', 2],
      ['musl', 2]
    ]);
  });
});

describe('bad and unusual input', () => {
  const fs = FinalFiles.of([
    ['usr/bin/tool', 100],
    ['usr/share/doc/tool/caf\u00c3\u00a9', 3],
    ['usr/share/raw\u00ff', 4]
  ]);

  it('notes a status file that is not text, and lists nothing from it', () => {
    const garbage = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe, 0x0a, 0x50]);
    const result = installedPackages(new Map([['var/lib/dpkg/status', garbage]]), fs);
    expect(result).toEqual({ packages: [], note: 'Could not read the package database file /var/lib/dpkg/status.' });
  });

  it('notes text with no package in it, and names several unreadable files', () => {
    const files = new Map([
      ['var/lib/dpkg/status', Buffer.from('this is not\na status file\n')],
      ['lib/apk/db/installed', Buffer.from('\u0000\u0001')]
    ]);
    expect(installedPackages(files, fs).note).toBe('Could not read 2 package database files: /var/lib/dpkg/status, /lib/apk/db/installed.');
  });

  it('keeps installed dpkg packages only, reads list bytes raw, and counts a package without a list as empty', () => {
    const status = [
      'Package: tool',
      'Status: install ok installed',
      'Architecture: amd64',
      'Version: 1:2.0-1',
      'Description: a tool',
      ' with a long description',
      ' .',
      ' Package: not-a-field',
      '',
      'Package: half',
      'Status: install reinstreq half-installed',
      'Version: 1.0',
      '',
      'Package: removed',
      'Status: deinstall ok config-files',
      'Version: 1.0',
      '',
      'Package: nolist',
      'Status: hold ok installed',
      'Version: 0.1',
      ''
    ].join('\n');
    const list = Buffer.concat([
      Buffer.from('/.\n/usr\n/usr/bin\n/usr/bin/tool\n/usr/share/doc/tool/caf\u00e9\n/usr/share/raw'),
      Buffer.from([0xff, 0x0a]),
      Buffer.from('/usr/bin/gone\n')
    ]);
    const files = new Map([
      ['var/lib/dpkg/status', Buffer.from(status)],
      ['var/lib/dpkg/info/tool.list', list]
    ]);
    expect(installedPackages(files, fs)).toEqual({
      packages: [
        { manager: 'dpkg', name: 'nolist', version: '0.1', bytes: 0, files: 0, location: null },
        { manager: 'dpkg', name: 'tool', version: '1:2.0-1', bytes: 107, files: 3, location: null }
      ],
      note: null
    });
  });

  it('finds the list of a Multi-Arch: same package under <pkg>:<arch>.list', () => {
    const status = 'Package: libtool1\nStatus: install ok installed\nArchitecture: arm64\nMulti-Arch: same\nVersion: 3\n';
    const files = new Map([
      ['var/lib/dpkg/status', Buffer.from(status)],
      ['var/lib/dpkg/info/libtool1:arm64.list', Buffer.from('/usr/bin/tool\n')]
    ]);
    expect(installedPackages(files, fs).packages).toEqual([
      { manager: 'dpkg', name: 'libtool1', version: '3', bytes: 100, files: 1, location: null }
    ]);
  });

  it('finds a listed /bin file below usr/ when bin is a symlink, and does not count the symlink', () => {
    const merged = FinalFiles.of([
      ['bin', 7],
      ['usr/bin/tool', 100],
      ['lib/x.so', 5], // a real lib folder: found where listed
      ['sbin/other', 9] // no package's
    ]);
    const files = new Map([
      ['var/lib/dpkg/status', Buffer.from('Package: tool\nStatus: install ok installed\nVersion: 1\n')],
      ['var/lib/dpkg/info/tool.list', Buffer.from('/.\n/bin\n/bin/tool\n/lib\n/lib/x.so\n/sbin\n/sbin/gone\n/etc/missing\n')]
    ]);
    expect(installedPackages(files, merged).packages).toEqual([
      { manager: 'dpkg', name: 'tool', version: '1', bytes: 105, files: 2, location: null }
    ]);
  });

  it('sorts packages by manager, name and location', () => {
    const all = FinalFiles.of([
      ['b/node_modules/z/package.json', 1],
      ['a/node_modules/z/package.json', 1],
      ['a/node_modules/y/package.json', 1],
      ['site/zeta-1.0.dist-info/RECORD', 1],
      ['site/alpha-1.0.dist-info/RECORD', 1]
    ]);
    const manifest = (name: string): Buffer => Buffer.from(JSON.stringify({ name, version: '1.0.0' }));
    const files = new Map<string, Buffer>([
      ['b/node_modules/z/package.json', manifest('z')],
      ['site/zeta-1.0.dist-info/RECORD', Buffer.from('zeta-1.0.dist-info/RECORD,,\n')],
      ['a/node_modules/z/package.json', manifest('z')],
      ['lib/apk/db/installed', Buffer.from('P:zlib\nV:1.3.1-r0\n\nP:alpine-baselayout\nV:3.6.5-r0\n')],
      ['site/alpha-1.0.dist-info/RECORD', Buffer.from('alpha-1.0.dist-info/RECORD,,\n')],
      ['var/lib/dpkg/status', Buffer.from('Package: base-files\nStatus: install ok installed\nVersion: 12.4\n')],
      ['a/node_modules/y/package.json', manifest('y')]
    ]);
    const { packages } = installedPackages(files, all);
    expect(packages.map((p) => `${p.manager} ${p.name} ${p.location ?? '-'}`)).toEqual([
      'apk alpine-baselayout -',
      'apk zlib -',
      'dpkg base-files -',
      'npm y /a/node_modules/y',
      'npm z /a/node_modules/z',
      'npm z /b/node_modules/z',
      'python alpha /site/alpha-1.0.dist-info',
      'python zeta /site/zeta-1.0.dist-info'
    ]);
    expect(isSorted(packages)).toBe(true);
  });

  it('never throws on empty or odd database files', () => {
    const files = new Map<string, Buffer>([
      ['var/lib/dpkg/status', Buffer.alloc(0)],
      ['lib/apk/db/installed', Buffer.from('\n\n')],
      ['x/y-1.0.dist-info/RECORD', Buffer.from('"unterminated,\n,,,\n\n')],
      ['x/z.egg-info/top_level.txt', Buffer.from('../..\n/\n')],
      ['node_modules/j/package.json', Buffer.from('[1,2]')],
      ['node_modules/k/package.json', Buffer.from('null')]
    ]);
    const { packages, note } = installedPackages(files, fs);
    expect(note).toBeNull();
    expect(packages.map((p) => [p.name, p.version, p.bytes])).toEqual([
      ['y', '1.0', 0],
      ['z', '', 0]
    ]);
  });
});

describe('scale', () => {
  it('handles a deep node_modules tree and a long dpkg list in bounded time', () => {
    // 200 packages nested in each other: every file is reached once, not once per enclosing package.
    const entries: Array<[string, number]> = [];
    const files = new Map<string, Buffer>();
    let folder = 'app';
    for (let depth = 0; depth < 200; depth++) {
      folder = `${folder}/node_modules/p${depth}`;
      entries.push([`${folder}/package.json`, 1]);
      for (let file = 0; file < 100; file++) entries.push([`${folder}/f${file}.js`, 1]);
      files.set(`${folder}/package.json`, Buffer.from(JSON.stringify({ name: `p${depth}`, version: '1.0.0' })));
    }
    const list = Array.from({ length: 50_000 }, (_, index) => `/usr/lib/x/${index}`).join('\n');
    for (let index = 0; index < 50_000; index++) entries.push([`usr/lib/x/${index}`, 2]);
    files.set('var/lib/dpkg/status', Buffer.from('Package: big\nStatus: install ok installed\nVersion: 1\n'));
    files.set('var/lib/dpkg/info/big.list', Buffer.from(list));
    const started = Date.now();
    const { packages } = installedPackages(files, FinalFiles.of(entries));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(packages.find((p) => p.name === 'big')).toMatchObject({ bytes: 100_000, files: 50_000 });
    expect(packages.filter((p) => p.manager === 'npm').every((p) => p.files === 101)).toBe(true);
    expect(packages).toHaveLength(201);
  });
});
