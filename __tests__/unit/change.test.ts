/**
 * What grew: the final filesystem an analysis leaves (FinalFiles), the inventory kept per
 * image, and the change record made from two of them, by line, by path and by package.
 * Every figure is asserted to the byte, and every list of rows is checked to add up to
 * the image's delta exactly.
 */
import { describe, expect, test } from '@jest/globals';
import { analyseImage, type ImageAnalysis } from '../../src/analyse/anatomy.js';
import { FinalFiles } from '../../src/analyse/final-files.js';
import type { LayerOrigin } from '../../src/analyse/history.js';
import { folderSizes, inventoryOf, largestFolders } from '../../src/analyse/inventory.js';
import type { LayerContents, LayerEntry } from '../../src/analyse/model.js';
import { changeRecord, type ComparedSide } from '../../src/compare/change.js';
import { lineChanges } from '../../src/compare/change-lines.js';
import { packageChanges } from '../../src/compare/change-packages.js';
import { pathChanges } from '../../src/compare/change-paths.js';
import { compareImages, comparedSide } from '../../src/compare/compare.js';
import type { Measurement } from '../../src/measure/measurement.js';
import type { FolderSize, InstalledPackage, Inventory, LineChange, PackageChange, PathChange } from '../../src/model/change.js';
import type { LayerReport } from '../../src/model/report.js';
import { binaryPath, dir, file, hardlink, image, layer, opaque, symlink, whiteout } from '../support/layers.js';
import { folderTarget as target } from '../support/targets.js';

/** Every file of a final filesystem with its bytes, in path order. */
function listed(files: FinalFiles): Array<[string, number]> {
  return [...files.under('')];
}

/** The final filesystem of these layers (entries bottom first), origins unknown. */
function analyse(...layers: LayerEntry[][]): ImageAnalysis {
  return analyseImage(
    image(layers.map((entries) => layer(entries))),
    layers.map(() => ({ fromBase: null, instruction: null, line: null, stage: null }))
  );
}

/** A final filesystem from `{ path: bytes }` (text paths, ASCII here, so the binary form is the same). */
function filesOf(record: Record<string, number>): FinalFiles {
  return FinalFiles.of(Object.entries(record));
}

function sumOf(rows: ReadonlyArray<{ deltaBytes: number }>): number {
  return rows.reduce((sum, row) => sum + row.deltaBytes, 0);
}

/** A deterministic pseudo-random sequence (a 32-bit LCG), so "random" cases are the same every run. */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Paths made of few names and separators, so prefixes, `-`, `.` and `/` collide a lot. */
function trickyPaths(count: number, seed: number): Array<[string, number]> {
  const next = sequence(seed);
  const names = ['a', 'a-b', 'a.b', 'ab', 'b', 'a b', '\xff', 'a0'];
  const entries: Array<[string, number]> = [];
  for (let index = 0; index < count; index++) {
    const depth = 1 + Math.floor(next() * 4);
    const path = Array.from({ length: depth }, () => names[Math.floor(next() * names.length)]!).join('/');
    entries.push([path, Math.floor(next() * 1000)]);
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// FinalFiles

describe('FinalFiles', () => {
  const files = FinalFiles.of([
    ['ab', 5],
    ['a/b/c', 3],
    ['a', 1],
    ['a/b', 2],
    ['a-b', 4],
    ['a b/x', 6],
    ['a.b/y', 7],
    ['a0', 8]
  ]);

  test('sorts paths by code unit: `-`, `.` and space before `/`, and `/` before digits and letters', () => {
    expect(files.paths).toEqual(['a', 'a b/x', 'a-b', 'a.b/y', 'a/b', 'a/b/c', 'a0', 'ab']);
    expect([...files.bytes]).toEqual([1, 6, 4, 7, 2, 3, 8, 5]);
    expect(files.count).toBe(8);
    expect(files.totalBytes()).toBe(36);
  });

  test.each<[string, number | null]>([
    ['a', 1],
    ['a-b', 4],
    ['a/b', 2],
    ['a/b/c', 3],
    ['ab', 5],
    ['a0', 8],
    ['', null],
    ['a/', null],
    ['a/b/', null],
    ['a b', null],
    ['a.b', null],
    ['a/c', null],
    ['0', null],
    ['zz', null],
    ['A', null]
  ])('sizeOf(%j) is %j', (path, bytes) => {
    expect(files.sizeOf(path)).toBe(bytes);
  });

  test.each<[string, Array<[string, number]>]>([
    [
      'a',
      [
        ['a/b', 2],
        ['a/b/c', 3]
      ]
    ],
    ['a/b', [['a/b/c', 3]]],
    ['a/b/c', []],
    ['a-b', []],
    ['a b', [['a b/x', 6]]],
    ['a.b', [['a.b/y', 7]]],
    ['ab', []],
    ['b', []],
    ['zz', []]
  ])('under(%j) is exactly the files below that folder', (folder, expected) => {
    expect([...files.under(folder)]).toEqual(expected);
  });

  test("under('') is every file in path order", () => {
    expect(listed(files)).toEqual(files.paths.map((path, index) => [path, files.bytes[index]]));
  });

  test('an empty set', () => {
    const empty = FinalFiles.of([]);
    expect(empty.count).toBe(0);
    expect(empty.totalBytes()).toBe(0);
    expect(empty.sizeOf('')).toBeNull();
    expect(empty.sizeOf('a')).toBeNull();
    expect([...empty.under('')]).toEqual([]);
    expect([...empty.under('a')]).toEqual([]);
  });

  test('a path given twice keeps its last bytes and counts once', () => {
    const twice = FinalFiles.of([
      ['x', 1],
      ['y', 2],
      ['x', 3]
    ]);
    expect(listed(twice)).toEqual([
      ['x', 3],
      ['y', 2]
    ]);
    expect(twice.count).toBe(2);
    expect(twice.totalBytes()).toBe(5);
  });

  test('binary paths (bytes above 0x7f) sort after ASCII, as their bytes do', () => {
    const cafe = binaryPath('caf\u00e9');
    const set = FinalFiles.of([
      [cafe, 1],
      ['cafe', 2],
      ['caf/x', 3]
    ]);
    expect(set.paths).toEqual(['caf/x', 'cafe', cafe]);
    expect(set.sizeOf(cafe)).toBe(1);
  });

  test.each([1, 2, 3])('sizeOf and under agree with a plain scan (pseudo-random paths, seed %i)', (seed) => {
    const entries = trickyPaths(300, seed);
    const set = FinalFiles.of(entries);
    const last = new Map(entries);
    const sorted = [...last.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(set.paths).toEqual(sorted);
    const probes = new Set<string>(['']);
    for (const path of sorted) {
      const names = path.split('/');
      for (let depth = 1; depth <= names.length; depth++) probes.add(names.slice(0, depth).join('/'));
    }
    for (const probe of probes) {
      expect(set.sizeOf(probe)).toBe(last.get(probe) ?? null);
      const prefix = probe === '' ? '' : `${probe}/`;
      expect([...set.under(probe)]).toEqual(sorted.filter((path) => path.startsWith(prefix)).map((path) => [path, last.get(path)]));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// analyseImage: the final filesystem and the kept files

describe('analyseImage: files a container sees', () => {
  test.each<[string, LayerEntry[][], Array<[string, number]>, number]>([
    [
      'a whiteout deletes a file from the layers below',
      [
        [file('a/x', 10), file('a/y', 20), file('b', 5)],
        [whiteout('a/x'), whiteout('b')]
      ],
      [['a/y', 20]],
      15
    ],
    [
      'a whiteout of a folder deletes everything below it',
      [[dir('d'), file('d/x', 10), file('d/e/y', 20), file('k', 1)], [whiteout('d')]],
      [['k', 1]],
      30
    ],
    [
      "an opaque whiteout hides the lower contents of its folder, not its own layer's",
      [
        [file('d/x', 10), file('d/sub/y', 20), file('e/z', 3)],
        [dir('d'), opaque('d'), file('d/z', 5)]
      ],
      [
        ['d/z', 5],
        ['e/z', 3]
      ],
      30
    ],
    [
      'an opaque whiteout after its own layer’s file in the tar still keeps that file',
      [[file('d/x', 10)], [file('d/z', 5), opaque('d')]],
      [['d/z', 5]],
      10
    ],
    [
      'a file replaced by a folder',
      [[file('d', 10)], [file('d/x', 1), file('d/y', 2)]],
      [
        ['d/x', 1],
        ['d/y', 2]
      ],
      10
    ],
    ['a folder replaced by a file', [[file('d/x', 1), file('d/y/z', 2)], [file('d', 7)]], [['d', 7]], 3],
    ['a file overwritten', [[file('a', 100)], [file('a', 30)]], [['a', 30]], 100],
    [
      "hard links: the file's bytes once, on the first of its paths",
      [[file('bin/sh', 900), hardlink('bin/ash', 'bin/sh'), hardlink('usr/bin/sh', 'bin/sh')]],
      [
        ['bin/ash', 900],
        ['bin/sh', 0],
        ['usr/bin/sh', 0]
      ],
      0
    ],
    ['a hard link keeps the bytes of a deleted name visible', [[file('a', 100), hardlink('b', 'a')], [whiteout('a')]], [['b', 100]], 0],
    [
      'the copy is hidden once its last link goes',
      [
        [file('a', 100), hardlink('b', 'a')],
        [whiteout('a'), whiteout('b')]
      ],
      [],
      100
    ],
    ['a hard link to nothing is no file', [[hardlink('b', 'missing'), file('c', 1)]], [['c', 1]], 0],
    [
      "symlinks count their target's length",
      [[file('bin/busybox', 100), symlink('bin/ls', 'busybox'), symlink('bin/cat', '/bin/busybox')]],
      [
        ['bin/busybox', 100],
        ['bin/cat', '/bin/busybox'.length],
        ['bin/ls', 'busybox'.length]
      ],
      0
    ],
    ['a hidden symlink is hidden bytes', [[symlink('l', 'target')], [whiteout('l')]], [], 6],
    ['a symlink replaced by a file', [[symlink('l', 'abc')], [file('l', 10)]], [['l', 10]], 3],
    [
      'a hard link to a symlink shares its bytes',
      [[symlink('s', 'target'), hardlink('h', 's')]],
      [
        ['h', 6],
        ['s', 0]
      ],
      0
    ],
    ['an empty file is a file', [[file('empty', 0), dir('folder')]], [['empty', 0]], 0]
  ])('%s', (_name, layers, expected, hidden) => {
    const analysis = analyse(...layers);
    expect(listed(analysis.files)).toEqual(expected);
    expect(analysis.files.count).toBe(expected.length);
    expect(analysis.bytes).toBe(analysis.files.totalBytes() + hidden);
  });

  test('symlinks are hidden bytes, never waste', () => {
    const analysis = analyse([symlink('l', 'target'), file('f', 4)], [whiteout('l'), whiteout('f')]);
    expect(analysis.bytes - analysis.files.totalBytes()).toBe(10);
    expect(analysis.wasted.bytes).toBe(4);
  });

  test('which path of a hard link holds its bytes does not depend on the order the layers name them in', () => {
    // The same links, but `usr` reaches the tree before `bin`: the bytes stay on the first path.
    const one = analyse([file('bin/sh', 900), hardlink('usr/bin/sh', 'bin/sh')]);
    const two = analyse([dir('usr'), dir('usr/bin')], [file('bin/sh', 900), hardlink('usr/bin/sh', 'bin/sh')]);
    expect(listed(one.files)).toEqual([
      ['bin/sh', 900],
      ['usr/bin/sh', 0]
    ]);
    expect(listed(two.files)).toEqual(listed(one.files));
    expect(pathChanges(two.files, one.files, two.bytes - one.bytes).rows).toEqual([]);
  });

  test('bytes = visible + hidden, on a mix of everything', () => {
    const analysis = analyse(
      [dir('usr'), file('usr/bin/python', 5000), hardlink('usr/bin/python3', 'usr/bin/python'), symlink('usr/bin/py', 'python3'), file('tmp/a', 300)],
      [whiteout('tmp'), file('usr/bin/python', 5100), file('etc/conf', 40)],
      [dir('etc'), opaque('etc'), file('etc/conf/new', 2), symlink('usr/bin/py', 'python')]
    );
    expect(listed(analysis.files)).toEqual([
      ['etc/conf/new', 2],
      ['usr/bin/py', 6],
      ['usr/bin/python', 5100],
      ['usr/bin/python3', 5000]
    ]);
    // Hidden: tmp/a (300), etc/conf (40), the first symlink (7); python's first copy lives on as python3.
    expect(analysis.bytes).toBe(5000 + 7 + 300 + 5100 + 40 + 2 + 6);
    expect(analysis.bytes).toBe(analysis.files.totalBytes() + 300 + 40 + 7);
  });
});

describe('analyseImage: kept files', () => {
  const STATUS = 'var/lib/dpkg/status';
  const OLD = Buffer.from('Package: old\n\xff\x00 raw bytes\n', 'latin1');
  const NEW = Buffer.from('Package: new\n', 'latin1');

  /** The bottom layer: the status file, kept. */
  const bottom = (): LayerContents =>
    layer([dir('var/lib/dpkg'), file(STATUS, OLD.length), file('var/lib/other', 3)], { kept: new Map([[STATUS, OLD]]) });

  test.each<[string, LayerContents[], Array<[string, Buffer]>]>([
    ['visible from the layer that kept it', [bottom()], [[STATUS, OLD]]],
    ['a later layer adding files next to it leaves it', [bottom(), layer([dir('var/lib/dpkg'), file('var/lib/dpkg/lock', 0)])], [[STATUS, OLD]]],
    [
      'a later layer that replaces and keeps it: the new content',
      [bottom(), layer([file(STATUS, NEW.length)], { kept: new Map([[STATUS, NEW]]) })],
      [[STATUS, NEW]]
    ],
    ['a later layer that replaces it without keeping it (too big): none, never the stale copy', [bottom(), layer([file(STATUS, 99)])], []],
    ['deleted', [bottom(), layer([whiteout(STATUS)])], []],
    ['its folder deleted', [bottom(), layer([whiteout('var/lib/dpkg')])], []],
    ['its folder made opaque', [bottom(), layer([opaque('var/lib/dpkg')])], []],
    ['replaced by a folder', [bottom(), layer([file(`${STATUS}/inside`, 1)])], []],
    ['replaced by a symlink', [bottom(), layer([symlink(STATUS, 'elsewhere')])], []],
    ["replaced by a hard link to a later layer's file", [bottom(), layer([file('other', 4), hardlink(STATUS, 'other')])], []],
    ['its parent folder replaced by a file', [bottom(), layer([file('var/lib', 1)])], []],
    [
      'a symlink later in the same tar at its path (a path twice in one layer)',
      [layer([file(STATUS, OLD.length), symlink(STATUS, 'elsewhere')], { kept: new Map([[STATUS, OLD]]) })],
      []
    ]
  ])('%s', (_name, layers, expected) => {
    const analysis = analyseImage(image(layers), []);
    expect([...analysis.kept]).toEqual(expected);
    for (const [path, data] of expected) expect(analysis.kept.get(path)!.equals(data)).toBe(true);
  });

  test('kept files of several layers: each as its visible copy', () => {
    const list = 'var/lib/dpkg/info/curl.list';
    const listData = Buffer.from('/usr/bin/curl\n');
    const analysis = analyseImage(
      image([bottom(), layer([file(list, listData.length), file(STATUS, NEW.length)], { kept: new Map([[list, listData]]) })]),
      []
    );
    expect([...analysis.kept]).toEqual([[list, listData]]);
  });
});

// ---------------------------------------------------------------------------------------------
// Inventory

describe('folderSizes', () => {
  const byPath = (folders: FolderSize[]): FolderSize[] => [...folders].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  test('every folder holding a file, with the bytes and files below it; the root is ""', () => {
    const files = filesOf({ 'a/x': 10, 'a/b/y': 20, 'a/b/z': 5, 'a-c/w': 7, top: 1, 'ab/q': 3 });
    const folders = folderSizes(files);
    expect(byPath(folders)).toEqual([
      { path: '', bytes: 46, files: 6 },
      { path: 'a', bytes: 35, files: 3 },
      { path: 'a-c', bytes: 7, files: 1 },
      { path: 'a/b', bytes: 25, files: 2 },
      { path: 'ab', bytes: 3, files: 1 }
    ]);
    expect(folders).toHaveLength(5);
  });

  test('folders that hold only folders are listed with their totals', () => {
    expect(byPath(folderSizes(filesOf({ 'x/y/z/f': 100, 'x/y/g': 0 })))).toEqual([
      { path: '', bytes: 100, files: 2 },
      { path: 'x', bytes: 100, files: 2 },
      { path: 'x/y', bytes: 100, files: 2 },
      { path: 'x/y/z', bytes: 100, files: 1 }
    ]);
  });

  test('an empty filesystem has a root of nothing', () => {
    expect(folderSizes(FinalFiles.of([]))).toEqual([{ path: '', bytes: 0, files: 0 }]);
  });

  test.each([4, 5, 6])('agrees with a plain sum per folder (pseudo-random paths, seed %i)', (seed) => {
    const files = FinalFiles.of(trickyPaths(400, seed));
    const expected = new Map<string, FolderSize>([['', { path: '', bytes: 0, files: 0 }]]);
    files.paths.forEach((path, index) => {
      const names = path.split('/');
      for (let depth = 0; depth < names.length; depth++) {
        const folder = names.slice(0, depth).join('/');
        const found = expected.get(folder) ?? { path: folder, bytes: 0, files: 0 };
        found.bytes += files.bytes[index]!;
        found.files += 1;
        expected.set(folder, found);
      }
    });
    expect(byPath(folderSizes(files))).toEqual(byPath([...expected.values()]));
  });
});

describe('largestFolders', () => {
  const folders = folderSizes(filesOf({ 'a/x': 10, 'a/b/y': 20, 'a/b/z': 5, 'a-c/w': 7, top: 1, 'ab/q': 3 }));

  test.each<[number, string[]]>([
    [1, ['']],
    [2, ['', 'a']],
    [3, ['', 'a', 'a/b']],
    [4, ['', 'a', 'a-c', 'a/b']],
    [5, ['', 'a', 'a-c', 'a/b', 'ab']],
    [50, ['', 'a', 'a-c', 'a/b', 'ab']]
  ])('limit %i: the largest, sorted by path', (limit, paths) => {
    const kept = largestFolders(folders, limit);
    expect(kept.map((folder) => folder.path)).toEqual(paths);
    expect(kept).toEqual(paths.map((path) => folders.find((folder) => folder.path === path)));
  });

  test('ancestors of a kept folder are kept, even at equal bytes, and the limit holds', () => {
    const deep = folderSizes(filesOf({ 'x/y/z/f': 100, 'p/q': 60, 'p/r/s': 50 }));
    expect(largestFolders(deep, 2).map((folder) => folder.path)).toEqual(['', 'p']);
    expect(largestFolders(deep, 3).map((folder) => folder.path)).toEqual(['', 'p', 'x']);
    expect(largestFolders(deep, 4).map((folder) => folder.path)).toEqual(['', 'p', 'x', 'x/y']);
    expect(largestFolders(deep, 5).map((folder) => folder.path)).toEqual(['', 'p', 'x', 'x/y', 'x/y/z']);
    for (let limit = 1; limit <= 8; limit++) {
      const kept = largestFolders(deep, limit);
      expect(kept.length).toBe(Math.min(limit, deep.length));
      const paths = new Set(kept.map((folder) => folder.path));
      for (const { path } of kept) if (path !== '') expect(paths.has(path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')).toBe(true);
    }
  });
});

describe('inventoryOf', () => {
  const STATUS = 'var/lib/dpkg/status';
  const LIST = 'var/lib/dpkg/info/curl.list';
  const status = Buffer.from(
    'Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n'
  );
  const list = Buffer.from('/.\n/usr\n/usr/bin\n/usr/bin/curl\n/usr/share/doc/curl/copyright\n');

  function analysed(statusData: Buffer = status): ImageAnalysis {
    return analyseImage(
      image([
        layer(
          [
            file('usr/bin/curl', 300),
            file('usr/share/doc/curl/copyright', 50),
            file('usr/bin/other', 1000),
            file(STATUS, statusData.length),
            file(LIST, list.length),
            file('tmp/junk', 64)
          ],
          {
            kept: new Map([
              [STATUS, statusData],
              [LIST, list]
            ])
          }
        ),
        layer([whiteout('tmp'), symlink('usr/bin/c', 'curl')])
      ]),
      []
    );
  }

  test('bytes, visible and hidden bytes, files, folders and packages', () => {
    const analysis = analysed();
    const statusBytes = status.length;
    const visible = 300 + 50 + 1000 + statusBytes + list.length + 4;
    const expected: Inventory = {
      baseImage: 'debian:12-slim',
      bytes: visible + 64,
      visibleBytes: visible,
      hiddenBytes: 64,
      files: 6,
      folders: [
        { path: '', bytes: visible, files: 6 },
        { path: 'usr', bytes: 1354, files: 4 },
        { path: 'usr/bin', bytes: 1304, files: 3 },
        { path: 'usr/share', bytes: 50, files: 1 },
        { path: 'usr/share/doc', bytes: 50, files: 1 },
        { path: 'usr/share/doc/curl', bytes: 50, files: 1 },
        { path: 'var', bytes: statusBytes + list.length, files: 2 },
        { path: 'var/lib', bytes: statusBytes + list.length, files: 2 },
        { path: 'var/lib/dpkg', bytes: statusBytes + list.length, files: 2 },
        { path: 'var/lib/dpkg/info', bytes: list.length, files: 1 }
      ],
      packages: [{ manager: 'dpkg', name: 'curl', version: '7.88.1-10', bytes: 350, files: 2, location: null }],
      packagesNote: null
    };
    expect(inventoryOf(analysis, 'debian:12-slim')).toEqual(expected);
  });

  test.each<[number, string | null]>([
    [0, null],
    [1, '1 package database file was too big to read.'],
    [3, '3 package database files were too big to read.']
  ])('%i files not kept: note %j', (notKept, note) => {
    expect(inventoryOf(analysed(), null, notKept).packagesNote).toBe(note);
  });

  test('an unreadable database and files not kept: both in the note, one sentence each', () => {
    const inventory = inventoryOf(analysed(Buffer.from('\x00\x01binary', 'latin1')), null, 2);
    expect(inventory.packages).toEqual([]);
    expect(inventory.packagesNote).toBe(
      'Could not read the package database file /var/lib/dpkg/status. 2 package database files were too big to read.'
    );
  });
});

// ---------------------------------------------------------------------------------------------
// By line

/** Layers in this order, numbered. */
function layersOf(...layers: Array<Omit<LayerReport, 'index' | 'compressedBytes' | 'files'>>): LayerReport[] {
  return layers.map((found, index) => ({ index, compressedBytes: null, files: 1, ...found }));
}

function fromBase(bytes: number): Omit<LayerReport, 'index' | 'compressedBytes' | 'files'> {
  return { fromBase: true, instruction: null, line: null, stage: null, bytes };
}

function own(stage: string, instruction: string, line: number, bytes: number): Omit<LayerReport, 'index' | 'compressedBytes' | 'files'> {
  return { fromBase: false, instruction, line, stage, bytes };
}

function unknown(bytes: number): Omit<LayerReport, 'index' | 'compressedBytes' | 'files'> {
  return { fromBase: null, instruction: null, line: null, stage: null, bytes };
}

/** A row of the Dockerfile's own. */
function ownRow(
  stage: string,
  instruction: string,
  line: number | null,
  baseLine: number | null,
  headBytes: number | null,
  baseBytes: number | null,
  baseInstruction: string | null = null
): LineChange {
  return {
    kind: 'instruction',
    stage,
    instruction,
    baseInstruction,
    line,
    baseLine,
    image: null,
    headBytes,
    baseBytes,
    deltaBytes: (headBytes ?? 0) - (baseBytes ?? 0)
  };
}

function lines(head: LayerReport[], base: LayerReport[], images: [string | null, string | null] = [null, null]): LineChange[] {
  const rows = lineChanges({ layers: head, baseImage: images[0] }, { layers: base, baseImage: images[1] });
  const total = (layers: LayerReport[]): number => layers.reduce((sum, found) => sum + found.bytes, 0);
  expect(sumOf(rows)).toBe(total(head) - total(base));
  return rows;
}

describe('lineChanges', () => {
  test('an instruction that moved stays one row; a new one is added; the base image is one row', () => {
    const base = layersOf(fromBase(1000), fromBase(500), own('#0', 'RUN apt-get install -y curl', 3, 200), own('#0', 'COPY . /app', 4, 50));
    const head = layersOf(
      fromBase(1000),
      fromBase(500),
      own('#0', 'RUN pip install x', 3, 700),
      own('#0', 'RUN apt-get install -y curl', 4, 210),
      own('#0', 'COPY . /app', 5, 50)
    );
    expect(lines(head, base, ['python:3.12-slim', 'python:3.12-slim'])).toEqual([
      ownRow('#0', 'RUN pip install x', 3, null, 700, null),
      ownRow('#0', 'RUN apt-get install -y curl', 4, 3, 210, 200),
      {
        kind: 'base',
        stage: null,
        instruction: 'FROM python:3.12-slim',
        baseInstruction: null,
        line: null,
        baseLine: null,
        image: { before: 'python:3.12-slim', after: 'python:3.12-slim' },
        headBytes: 1500,
        baseBytes: 1500,
        deltaBytes: 0
      },
      ownRow('#0', 'COPY . /app', 5, 4, 50, 50)
    ]);
  });

  test('the same instruction several times: the n-th pairs with the n-th, extra copies are added', () => {
    const base = layersOf(own('#0', 'RUN make', 2, 100), own('#0', 'RUN make', 5, 300));
    const head = layersOf(own('#0', 'RUN make', 2, 150), own('#0', 'RUN make', 6, 300), own('#0', 'RUN make', 9, 40));
    expect(lines(head, base)).toEqual([
      ownRow('#0', 'RUN make', 2, 2, 150, 100),
      ownRow('#0', 'RUN make', 9, null, 40, null),
      ownRow('#0', 'RUN make', 6, 5, 300, 300)
    ]);
  });

  test('a changed text with the same keyword in the same stage is one row; another keyword is added and removed', () => {
    const base = layersOf(
      own('build', 'RUN pip install -r requirements.txt', 4, 1000),
      own('build', 'COPY . /src', 5, 10),
      own('build', 'ADD app.tar /srv', 6, 80)
    );
    const head = layersOf(
      own('build', 'RUN pip install --no-cache-dir -r requirements.txt', 4, 600),
      own('build', 'COPY . /src', 5, 10),
      own('build', 'COPY app /srv', 6, 90)
    );
    expect(lines(head, base)).toEqual([
      ownRow('build', 'RUN pip install --no-cache-dir -r requirements.txt', 4, 4, 600, 1000, 'RUN pip install -r requirements.txt'),
      ownRow('build', 'COPY app /srv', 6, null, 90, null),
      ownRow('build', 'ADD app.tar /srv', null, 6, null, 80),
      ownRow('build', 'COPY . /src', 5, 5, 10, 10)
    ]);
  });

  test('changed texts pair by keyword in order', () => {
    const base = layersOf(own('#0', 'RUN a', 2, 10), own('#0', 'RUN b', 3, 20));
    const head = layersOf(own('#0', 'RUN c', 2, 15), own('#0', 'RUN d', 3, 40), own('#0', 'RUN e', 4, 1));
    expect(lines(head, base)).toEqual([
      ownRow('#0', 'RUN d', 3, 3, 40, 20, 'RUN b'),
      ownRow('#0', 'RUN c', 2, 2, 15, 10, 'RUN a'),
      ownRow('#0', 'RUN e', 4, null, 1, null)
    ]);
  });

  test('a changed FROM is one base row with the image before and after', () => {
    const base = layersOf(fromBase(800), own('#0', 'COPY . /app', 2, 5));
    const head = layersOf(fromBase(300), fromBase(200), own('#0', 'COPY . /app', 2, 5));
    expect(lines(head, base, ['node:22-alpine', 'node:20'])).toEqual([
      {
        kind: 'base',
        stage: null,
        instruction: 'FROM node:22-alpine',
        baseInstruction: null,
        line: null,
        baseLine: null,
        image: { before: 'node:20', after: 'node:22-alpine' },
        headBytes: 500,
        baseBytes: 800,
        deltaBytes: -300
      },
      ownRow('#0', 'COPY . /app', 2, 2, 5, 5)
    ]);
  });

  test('base layers on one side only: the other side is null; an unknown image is a bare FROM', () => {
    const rows = lines(layersOf(fromBase(70), own('#0', 'RUN x', 2, 1)), layersOf(unknown(50)));
    expect(rows).toEqual([
      {
        kind: 'base',
        stage: null,
        instruction: 'FROM',
        baseInstruction: null,
        line: null,
        baseLine: null,
        image: { before: null, after: null },
        headBytes: 70,
        baseBytes: null,
        deltaBytes: 70
      },
      {
        kind: 'unknown',
        stage: null,
        instruction: null,
        baseInstruction: null,
        line: null,
        baseLine: null,
        image: null,
        headBytes: null,
        baseBytes: 50,
        deltaBytes: -50
      },
      ownRow('#0', 'RUN x', 2, null, 1, null)
    ]);
  });

  test('layers of unknown origin pair in order, n-th with n-th', () => {
    const unknownRow = (headBytes: number | null, baseBytes: number | null): LineChange => ({
      kind: 'unknown',
      stage: null,
      instruction: null,
      baseInstruction: null,
      line: null,
      baseLine: null,
      image: null,
      headBytes,
      baseBytes,
      deltaBytes: (headBytes ?? 0) - (baseBytes ?? 0)
    });
    expect(lines(layersOf(unknown(100), unknown(250), unknown(5)), layersOf(unknown(100), unknown(200)))).toEqual([
      unknownRow(250, 200),
      unknownRow(5, null),
      unknownRow(100, 100)
    ]);
  });

  test('instructions of different stages are never paired, not even by keyword', () => {
    const base = layersOf(own('build', 'RUN npm ci', 3, 500), own('build', 'RUN npm run build', 4, 30));
    const head = layersOf(own('runtime', 'RUN npm ci', 12, 400), own('runtime', 'RUN npm prune', 13, 20));
    expect(lines(head, base)).toEqual([
      ownRow('build', 'RUN npm ci', null, 3, null, 500),
      ownRow('runtime', 'RUN npm ci', 12, null, 400, null),
      ownRow('build', 'RUN npm run build', null, 4, null, 30),
      ownRow('runtime', 'RUN npm prune', 13, null, 20, null)
    ]);
  });

  test('largest change first, whatever its sign; equal changes in Dockerfile order', () => {
    const base = layersOf(own('#0', 'RUN a', 3, 100), own('#0', 'RUN b', 7, 0), own('#0', 'RUN c', 8, 10));
    const head = layersOf(own('#0', 'RUN a', 3, 0), own('#0', 'RUN b', 7, 100), own('#0', 'RUN c', 8, 1000));
    expect(lines(head, base).map((row) => [row.instruction, row.deltaBytes])).toEqual([
      ['RUN c', 990],
      ['RUN a', -100],
      ['RUN b', 100]
    ]);
  });

  test('no layers on either side: no rows', () => {
    expect(lines([], [])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// By path

const COUNTS = { added: 0, removed: 0, grew: 0, shrank: 0 };

function pathRow(
  kind: PathChange['kind'],
  path: string | null,
  folder: boolean,
  deltaBytes: number,
  counts: Partial<typeof COUNTS> = {}
): PathChange {
  return { kind, path, folder, deltaBytes, ...COUNTS, ...counts };
}

/** The path rows, checked to add up to `deltaBytes`. */
function paths(head: FinalFiles, base: FinalFiles, deltaBytes = head.totalBytes() - base.totalBytes(), limit?: number) {
  const result = pathChanges(head, base, deltaBytes, limit);
  expect(sumOf(result.rows)).toBe(deltaBytes);
  return result;
}

/** `count` files `folder/f<i>` of `bytes` each. */
function many(folder: string, count: number, bytes: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`${folder}/f${index}`, bytes]));
}

// A change gets a row of its own when it moves at least a share of the churn (ROW_SHARE); the
// cases below are sized to hold for any share between 1/50 and 1/500.
describe('pathChanges', () => {
  test('a new folder of files is one row', () => {
    const base = filesOf({ 'usr/bin/sh': 100 });
    const head = filesOf({ 'usr/bin/sh': 100, 'opt/a': 10, 'opt/b': 20, 'opt/lib/c': 30 });
    expect(paths(head, base)).toEqual({ rows: [pathRow('new', '/opt', true, 60, { added: 3 })], total: 1 });
  });

  test('a new folder that is nearly all one thing is shown as that thing', () => {
    const base = filesOf({ 'usr/bin/sh': 100 });
    const head = filesOf({ 'usr/bin/sh': 100, 'opt/app/a': 10, 'opt/app/b': 20, 'opt/app/lib/c': 30, 'usr/lib/fat.bin': 2000, 'usr/lib/x': 10 });
    expect(paths(head, base).rows.map((row) => [row.kind, row.path])).toEqual([
      ['new', '/usr/lib/fat.bin'],
      ['new', '/opt/app'],
      ['rest', null]
    ]);
  });

  test('many files of one folder that each changed enough for a row are one folder row', () => {
    const base = filesOf(many('app/static', 12, 1000));
    const head = filesOf(many('app/static', 12, 500));
    expect(paths(head, base)).toEqual({ rows: [pathRow('shrank', '/app/static', true, -6000, { shrank: 12 })], total: 1 });
  });

  test('a new folder inside one the base has is named as deep as it is new', () => {
    const base = filesOf({ 'opt/other': 5 });
    const head = filesOf({ 'opt/other': 5, 'opt/app/a': 10, 'opt/app/b': 20 });
    expect(paths(head, base)).toEqual({ rows: [pathRow('new', '/opt/app', true, 30, { added: 2 })], total: 1 });
  });

  test('a file that grew and one that shrank, in different folders: two file rows', () => {
    const base = filesOf({ 'a/x': 100, 'b/y': 100, 'c/z': 7 });
    const head = filesOf({ 'a/x': 200, 'b/y': 50, 'c/z': 7 });
    expect(paths(head, base)).toEqual({
      rows: [pathRow('grew', '/a/x', false, 100, { grew: 1 }), pathRow('shrank', '/b/y', false, -50, { shrank: 1 })],
      total: 2
    });
  });

  test('a removed folder is one row', () => {
    const base = filesOf({ 'tmp/build/a': 100, 'tmp/build/b/c': 50, 'tmp/keep': 1 });
    const head = filesOf({ 'tmp/keep': 1 });
    expect(paths(head, base)).toEqual({ rows: [pathRow('removed', '/tmp/build', true, -150, { removed: 2 })], total: 1 });
  });

  test('many small changes spread over a folder: one folder row', () => {
    const base = filesOf(many('srv/data', 600, 100));
    const head = filesOf(many('srv/data', 600, 90));
    expect(paths(head, base)).toEqual({ rows: [pathRow('shrank', '/srv/data', true, -6000, { shrank: 600 })], total: 1 });
  });

  test('40 files each shrinking a little next to a larger change: one folder row', () => {
    const base = filesOf(many('srv/data', 40, 100));
    const head = filesOf({ ...many('srv/data', 40, 90), 'opt/big': 10000 });
    expect(paths(head, base)).toEqual({
      rows: [pathRow('new', '/opt/big', false, 10000, { added: 1 }), pathRow('shrank', '/srv/data', true, -400, { shrank: 40 })],
      total: 2
    });
  });

  test('a folder the base has that only gained files grew: it is not new', () => {
    const base = filesOf({ 'srv/data/old': 5 });
    const head = filesOf({ 'srv/data/old': 5, ...many('srv/data', 600, 10) });
    expect(paths(head, base)).toEqual({ rows: [pathRow('grew', '/srv/data', true, 6000, { added: 600 })], total: 1 });
  });

  test('a folder with files added and others shrunk changed', () => {
    const base = filesOf(many('lib', 300, 100));
    const head: Record<string, number> = many('lib', 300, 90);
    for (let index = 0; index < 300; index++) head[`lib/n${index}`] = 12;
    expect(paths(filesOf(head), base)).toEqual({ rows: [pathRow('changed', '/lib', true, 600, { added: 300, shrank: 300 })], total: 1 });
  });

  test('a large child and scattered small changes: a row for the child and an "other" row for the rest of the parent', () => {
    const base = filesOf({ 'app/vendor/big.bin': 1000, 'app/vendor/small': 1, ...many('app', 30, 100) });
    const head: Record<string, number> = { 'app/vendor/big.bin': 21000, 'app/vendor/small': 1, ...many('app', 30, 110) };
    for (let index = 0; index < 30; index++) head[`app/m${index}/x`] = 10;
    expect(paths(filesOf(head), base)).toEqual({
      rows: [pathRow('grew', '/app/vendor/big.bin', false, 20000, { grew: 1 }), pathRow('other', '/app', true, 600, { added: 30, grew: 30 })],
      total: 2
    });
  });

  test('a file replaced by a folder of the same name: two rows', () => {
    const base = filesOf({ 'etc/conf': 10 });
    const head = filesOf({ 'etc/conf/a': 4, 'etc/conf/b': 3 });
    expect(paths(head, base)).toEqual({
      rows: [pathRow('removed', '/etc/conf', false, -10, { removed: 1 }), pathRow('new', '/etc/conf', true, 7, { added: 2 })],
      total: 2
    });
  });

  test('a folder replaced by a file of the same name: two rows', () => {
    const base = filesOf({ 'etc/conf/a': 4, 'etc/conf/b': 3 });
    const head = filesOf({ 'etc/conf': 10 });
    expect(paths(head, base)).toEqual({
      rows: [pathRow('new', '/etc/conf', false, 10, { added: 1 }), pathRow('removed', '/etc/conf', true, -7, { removed: 2 })],
      total: 2
    });
  });

  test('the hidden row is deltaBytes minus the visible delta', () => {
    const base = filesOf({ 'a/x': 100, 'b/y': 100 });
    const head = filesOf({ 'a/x': 200, 'b/y': 50 });
    expect(paths(head, base, 50 + 300).rows).toEqual([
      pathRow('grew', '/a/x', false, 100, { grew: 1 }),
      pathRow('shrank', '/b/y', false, -50, { shrank: 1 }),
      pathRow('hidden', null, false, 300)
    ]);
    expect(paths(head, base, 50 - 80).rows.at(-1)).toEqual(pathRow('hidden', null, false, -80));
  });

  test('hidden bytes from real layers: a file deleted in a later layer still ships', () => {
    const base = analyse([file('app/a', 100)]);
    const head = analyse([file('app/a', 100), file('tmp/x', 500)], [whiteout('tmp/x'), file('app/b', 20)]);
    expect(head.bytes - base.bytes).toBe(520);
    expect(paths(head.files, base.files, head.bytes - base.bytes)).toEqual({
      rows: [pathRow('new', '/app/b', false, 20, { added: 1 }), pathRow('hidden', null, false, 500)],
      total: 1
    });
  });

  test('changes too small for a row of their own go to rest, counted', () => {
    const base = filesOf({ b: 4000, 'c/d': 10, e: 1 });
    const head = filesOf({ a: 30000, b: 2000, 'c/d': 5 });
    expect(paths(head, base)).toEqual({
      rows: [
        pathRow('new', '/a', false, 30000, { added: 1 }),
        pathRow('shrank', '/b', false, -2000, { shrank: 1 }),
        pathRow('rest', null, false, -6, { removed: 1, shrank: 1 })
      ],
      total: 2
    });
  });

  test('rows cut to the limit: the rest row holds the others, after the hidden row', () => {
    const base = filesOf({ b: 4000, 'c/d': 10, e: 1 });
    const head = filesOf({ a: 30000, b: 2000, 'c/d': 5 });
    expect(paths(head, base, 27994 + 1000, 1)).toEqual({
      rows: [
        pathRow('new', '/a', false, 30000, { added: 1 }),
        pathRow('hidden', null, false, 1000),
        pathRow('rest', null, false, -2006, { removed: 1, shrank: 2 })
      ],
      total: 2
    });
  });

  test('every limit adds up and never lists more rows than asked', () => {
    const base: Record<string, number> = {};
    const head: Record<string, number> = {};
    // 40 changes of 1000 bytes and more, each with a row, and 300 one-byte changes netting nothing, none with a row.
    for (let index = 0; index < 40; index++) {
      base[`d${index}/f`] = 5000;
      head[`d${index}/f`] = 5000 + (index % 2 === 0 ? 1 : -1) * (1000 + index);
    }
    for (let index = 0; index < 300; index++) {
      base[`t${index}/f`] = 10;
      head[`t${index}/f`] = index % 2 === 0 ? 11 : 9;
    }
    for (let limit = 0; limit <= 45; limit++) {
      const { rows, total } = paths(filesOf(head), filesOf(base), 12345, limit);
      expect(total).toBe(40);
      expect(rows.filter((row) => row.path !== null)).toHaveLength(Math.min(limit, total));
      expect(rows.filter((row) => row.kind === 'hidden')).toHaveLength(1);
      if (limit < total) expect(rows.at(-1)!.kind).toBe('rest');
    }
    expect(paths(filesOf(head), filesOf(base), 12345, 39).rows.at(-1)).toEqual(pathRow('rest', null, false, 1000, { grew: 151, shrank: 150 }));
  });

  test('no visible change: only the hidden row, or nothing', () => {
    const files = filesOf({ a: 1, 'b/c': 2 });
    expect(paths(files, files, 0)).toEqual({ rows: [], total: 0 });
    expect(paths(files, files, 7)).toEqual({ rows: [pathRow('hidden', null, false, 7)], total: 0 });
    expect(paths(FinalFiles.of([]), FinalFiles.of([]), 0)).toEqual({ rows: [], total: 0 });
  });

  test('a pseudo-random pair of filesystems always adds up, and the counts add up to the changed files', () => {
    for (const seed of [7, 8, 9, 10]) {
      const next = sequence(seed);
      const base = trickyPaths(300, seed);
      const head = base.filter(() => next() > 0.2).map(([path, bytes]): [string, number] => [path, next() > 0.5 ? bytes : Math.floor(next() * 2000)]);
      head.push(...trickyPaths(50, seed + 100));
      const [h, b] = [FinalFiles.of(head), FinalFiles.of(base)];
      const { rows } = paths(h, b, h.totalBytes() - b.totalBytes() + seed);
      let changed = 0;
      for (const path of new Set([...h.paths, ...b.paths])) if (h.sizeOf(path) !== b.sizeOf(path)) changed++;
      const counted = rows.reduce((sum, row) => sum + row.added + row.removed + row.grew + row.shrank, 0);
      // Every changed file is counted once: in its row, or in rest. (Rows of no net change are left out,
      // and with no rest row their files go uncounted; never is a file counted twice.)
      if (rows.some((row) => row.kind === 'rest')) expect(counted).toBe(changed);
      else expect(counted).toBeLessThanOrEqual(changed);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// By package

function pkg(manager: InstalledPackage['manager'], name: string, version: string, bytes: number, location: string | null = null): InstalledPackage {
  return { manager, name, version, bytes, files: 1, location };
}

function pkgRow(
  manager: InstalledPackage['manager'],
  name: string,
  kind: PackageChange['kind'],
  before: string | null,
  after: string | null,
  baseBytes: number,
  headBytes: number
): PackageChange {
  return { manager, name, kind, before, after, baseBytes, headBytes, deltaBytes: headBytes - baseBytes };
}

describe('packageChanges', () => {
  test('added, removed, upgraded, downgraded, resized and changed; unchanged left out; largest change first', () => {
    const base = [
      pkg('dpkg', 'curl', '7.88.1-10', 200),
      pkg('dpkg', 'libssl3', '3.0.11-1', 2000),
      pkg('dpkg', 'tzdata', '2024a-0+deb12u1', 500),
      pkg('python', 'numpy', '1.26.4', 30000, '/usr/lib/python3/site-packages/numpy-1.26.4.dist-info'),
      pkg('python', 'requests', '2.31.0', 400),
      pkg('npm', 'lodash', '4.17.21', 100, '/app/node_modules/lodash'),
      pkg('npm', 'lodash', '4.17.21', 100, '/app/node_modules/x/node_modules/lodash'),
      pkg('npm', 'semver', '7.5.4', 60, '/app/node_modules/semver'),
      pkg('npm', 'semver', '6.3.1', 50, '/app/node_modules/y/node_modules/semver'),
      pkg('npm', 'same', '1.0.0', 5, '/a/node_modules/same'),
      pkg('npm', 'same', '2.0.0', 5, '/b/node_modules/same')
    ];
    const head = [
      pkg('dpkg', 'curl', '7.88.1-10', 200),
      pkg('dpkg', 'libssl3', '3.0.13-1', 2100),
      pkg('dpkg', 'git', '1:2.39.2-1', 9000),
      pkg('python', 'numpy', '2.0.0', 35000, '/usr/lib/python3/site-packages/numpy-2.0.0.dist-info'),
      pkg('python', 'requests', '2.28.0', 390),
      pkg('npm', 'lodash', '4.17.21', 100, '/app/node_modules/lodash'),
      pkg('npm', 'lodash', '4.17.21', 150, '/app/node_modules/x/node_modules/lodash'),
      pkg('npm', 'semver', '7.6.0', 70, '/app/node_modules/semver'),
      pkg('npm', 'same', '2.0.0', 5, '/b/node_modules/same'),
      pkg('npm', 'same', '1.0.0', 5, '/a/node_modules/same')
    ];
    expect(packageChanges(head, base)).toEqual([
      pkgRow('dpkg', 'git', 'added', null, '1:2.39.2-1', 0, 9000),
      pkgRow('python', 'numpy', 'upgraded', '1.26.4', '2.0.0', 30000, 35000),
      pkgRow('dpkg', 'tzdata', 'removed', '2024a-0+deb12u1', null, 500, 0),
      pkgRow('dpkg', 'libssl3', 'upgraded', '3.0.11-1', '3.0.13-1', 2000, 2100),
      pkgRow('npm', 'lodash', 'resized', '4.17.21', '4.17.21', 200, 250),
      pkgRow('npm', 'semver', 'changed', '6.3.1, 7.5.4', '7.6.0', 110, 70),
      pkgRow('python', 'requests', 'downgraded', '2.31.0', '2.28.0', 400, 390)
    ]);
  });

  test.each<[string, string, PackageChange['kind']]>([
    ['1.2.9', '1.2.10', 'upgraded'],
    ['1.2.10', '1.2.9', 'downgraded'],
    ['2.0', '1:1.0', 'upgraded'],
    ['1.0-r1', '1.0-r0', 'downgraded'],
    ['1.0~rc1', '1.0', 'upgraded'],
    ['1.0', '1.00', 'changed']
  ])('%s to %s: %s', (before, after, kind) => {
    expect(packageChanges([pkg('apk', 'x', after, 10)], [pkg('apk', 'x', before, 10)])).toEqual([pkgRow('apk', 'x', kind, before, after, 10, 10)]);
  });

  test('a version change with no change in bytes is listed; equal changes sort by manager, then name', () => {
    const base = [pkg('python', 'b', '1', 100), pkg('dpkg', 'z', '1', 100), pkg('python', 'a', '1', 100), pkg('npm', 'k', '1', 7)];
    const head = [pkg('python', 'b', '1', 200), pkg('dpkg', 'z', '1', 0), pkg('python', 'a', '1', 0), pkg('npm', 'k', '2', 7)];
    expect(packageChanges(head, base).map((row) => [row.manager, row.name, row.kind, row.deltaBytes])).toEqual([
      ['dpkg', 'z', 'resized', -100],
      ['python', 'a', 'resized', -100],
      ['python', 'b', 'resized', 100],
      ['npm', 'k', 'upgraded', 0]
    ]);
  });

  test('several versions are listed oldest first, in version order rather than text order', () => {
    const base = [pkg('npm', 'ms', '10.0.0', 5, '/a/node_modules/ms'), pkg('npm', 'ms', '9.0.0', 5, '/b/node_modules/ms')];
    const head = [pkg('npm', 'ms', '10.0.0', 5, '/a/node_modules/ms'), pkg('npm', 'ms', '2.1.3', 5, '/b/node_modules/ms')];
    expect(packageChanges(head, base)).toEqual([pkgRow('npm', 'ms', 'changed', '9.0.0, 10.0.0', '2.1.3, 10.0.0', 10, 10)]);
  });

  test('the same name under different managers is different packages', () => {
    expect(packageChanges([pkg('npm', 'six', '1.0.0', 3)], [pkg('python', 'six', '1.0.0', 3)])).toEqual([
      pkgRow('npm', 'six', 'added', null, '1.0.0', 0, 3),
      pkgRow('python', 'six', 'removed', '1.0.0', null, 3, 0)
    ]);
  });

  test('nothing on either side: no rows', () => {
    expect(packageChanges([], [])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The record

function inventory(bytes: number, overrides: Partial<Inventory> = {}): Inventory {
  return { baseImage: null, bytes, visibleBytes: bytes, hiddenBytes: 0, files: 0, folders: [], packages: [], packagesNote: null, ...overrides };
}

function side(bytes: number, overrides: Partial<ComparedSide> = {}): ComparedSide {
  return { inventory: inventory(bytes), layers: [], wastedBytes: null, caches: [], files: null, ...overrides };
}

describe('changeRecord', () => {
  test('everything together, each view adding up to the delta', () => {
    const baseFiles = filesOf({ 'usr/bin/sh': 1000, 'app/main.py': 200 });
    const headFiles = filesOf({ 'usr/bin/sh': 1000, 'app/main.py': 300, 'app/lib/util.py': 50 });
    const base: ComparedSide = {
      inventory: inventory(1500, { baseImage: 'python:3.12', packages: [pkg('python', 'six', '1.16.0', 10)] }),
      layers: layersOf(fromBase(1000), own('#0', 'COPY app /app', 3, 200), own('#0', 'RUN rm -rf /tmp/x', 4, 300)),
      wastedBytes: 300,
      caches: [
        { path: '/root/.cache/pip', kind: 'pip', bytes: 5000, line: 4 },
        { path: '/var/cache/apt', kind: 'apt', bytes: 2000, line: 2 },
        { path: '/tmp', kind: 'tmp', bytes: 100, line: 7 }
      ],
      files: baseFiles
    };
    const head: ComparedSide = {
      inventory: inventory(1700, { baseImage: 'python:3.12', packages: [pkg('python', 'six', '1.17.0', 12)] }),
      layers: layersOf(fromBase(1000), own('#0', 'COPY app /app', 3, 350), own('#0', 'RUN rm -rf /tmp/x', 4, 350)),
      wastedBytes: 350,
      caches: [
        { path: '/var/cache/apt', kind: 'apt', bytes: 2000, line: 3 },
        { path: '/tmp', kind: 'tmp', bytes: 1600, line: 9 },
        { path: '/root/.npm', kind: 'npm', bytes: 3000, line: 5 }
      ],
      files: headFiles
    };
    const record = changeRecord(head, base);
    expect(record).toEqual({
      deltaBytes: 200,
      lines: [
        ownRow('#0', 'COPY app /app', 3, 3, 350, 200),
        ownRow('#0', 'RUN rm -rf /tmp/x', 4, 4, 350, 300),
        {
          kind: 'base',
          stage: null,
          instruction: 'FROM python:3.12',
          baseInstruction: null,
          line: null,
          baseLine: null,
          image: { before: 'python:3.12', after: 'python:3.12' },
          headBytes: 1000,
          baseBytes: 1000,
          deltaBytes: 0
        }
      ],
      paths: [
        pathRow('grew', '/app/main.py', false, 100, { grew: 1 }),
        pathRow('new', '/app/lib/util.py', false, 50, { added: 1 }),
        pathRow('hidden', null, false, 50)
      ],
      pathsFrom: 'files',
      pathRowsTotal: 2,
      packages: [pkgRow('python', 'six', 'upgraded', '1.16.0', '1.17.0', 10, 12)],
      waste: { baseBytes: 300, headBytes: 350, deltaBytes: 50 },
      caches: [
        { path: '/root/.cache/pip', kind: 'pip', baseBytes: 5000, headBytes: 0, deltaBytes: -5000, line: null },
        { path: '/root/.npm', kind: 'npm', baseBytes: 0, headBytes: 3000, deltaBytes: 3000, line: 5 },
        { path: '/tmp', kind: 'tmp', baseBytes: 100, headBytes: 1600, deltaBytes: 1500, line: 9 }
      ]
    });
    expect(sumOf(record.lines)).toBe(record.deltaBytes);
    expect(sumOf(record.paths!)).toBe(record.deltaBytes);
  });

  test.each<[string, number | null, number | null]>([
    ['head', null, 10],
    ['base', 10, null],
    ['either', null, null]
  ])("waste is null when the %s side's is unknown", (_name, headWaste, baseWaste) => {
    expect(changeRecord(side(20, { wastedBytes: headWaste }), side(10, { wastedBytes: baseWaste })).waste).toBeNull();
  });

  test.each<[string, FinalFiles | null, FinalFiles | null]>([
    ['head', null, filesOf({ a: 1 })],
    ['base', filesOf({ a: 1 }), null],
    ['both', null, null]
  ])("paths are null when the %s side's files were not read and a side has no folder summary", (_name, headFiles, baseFiles) => {
    const record = changeRecord(side(20, { files: headFiles }), side(10, { files: baseFiles }));
    expect(record.paths).toBeNull();
    expect(record.pathsFrom).toBeNull();
    expect(record.pathRowsTotal).toBe(0);
    expect(record.deltaBytes).toBe(10);
  });

  test("without the base side's files (a stored report), the path rows come from the folder summaries", () => {
    const baseFiles = filesOf({ 'usr/bin/sh': 1000, 'app/main.py': 200 });
    const headFiles = filesOf({ 'usr/bin/sh': 1000, 'app/main.py': 300, 'app/lib/a.py': 30, 'app/lib/b.py': 20, 'opt/x/y': 400 });
    const stored = side(1500, {
      inventory: inventory(1500, { visibleBytes: 1200, hiddenBytes: 300, folders: largestFolders(folderSizes(baseFiles)) })
    });
    const record = changeRecord(side(1800, { inventory: inventory(1800, { visibleBytes: 1750, hiddenBytes: 50 }), files: headFiles }), stored);
    expect(record.pathsFrom).toBe('folders');
    // The base summary was not cut, so /opt is new (shown as /opt/x, all of it); /app grew by /app/lib (new) and main.py ("other").
    expect(record.paths).toEqual([
      pathRow('new', '/opt/x', true, 400, { added: 1 }),
      pathRow('other', '/app', true, 100),
      pathRow('new', '/app/lib', true, 50, { added: 2 }),
      pathRow('hidden', null, false, -250)
    ]);
    expect(record.pathRowsTotal).toBe(3);
    expect(sumOf(record.paths!)).toBe(record.deltaBytes);
  });

  test('a side with neither files nor a root folder gives no path rows', () => {
    const folders = largestFolders(folderSizes(filesOf({ 'a/b': 5 })));
    const record = changeRecord(
      side(20, { inventory: inventory(20, { folders }) }),
      side(10, { inventory: inventory(10, { folders: folders.slice(1) }) })
    );
    expect(record.paths).toBeNull();
    expect(record.pathsFrom).toBeNull();
  });

  test('a cache of unchanged size is left out, whatever its line', () => {
    const cache = { path: '/var/cache/apk', kind: 'apk', bytes: 4096, line: 2 };
    expect(changeRecord(side(1, { caches: [{ ...cache, line: 9 }] }), side(1, { caches: [cache] })).caches).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// compareImages

/** A measurement of an image analysed from these layers (all the Dockerfile's own, line i + 2). */
function measuredImage(name: string, layers: LayerEntry[][], baseImage: string | null = 'alpine:3.20'): Measurement {
  const origins: LayerOrigin[] = layers.map((_, index) => ({ fromBase: false, instruction: `RUN step ${index}`, line: index + 2, stage: '#0' }));
  const analysis = analyseImage(image(layers.map((entries) => layer(entries))), origins);
  const { files, kept: _kept, ...anatomy } = analysis;
  return {
    target: target(name),
    dockerfile: null,
    dockerfileError: null,
    size: { bytes: anatomy.bytes, compressedBytes: null, dockerBytes: null },
    anatomy,
    inventory: inventoryOf(analysis, baseImage),
    files,
    entrypoint: null,
    npmDev: [],
    analysisError: null,
    error: null,
    buildInputs: null,
    reused: null
  };
}

describe('compareImages: the change record', () => {
  const base = (): Measurement => measuredImage('app', [[file('app/a', 100), file('app/b', 50)], [file('tmp/t', 10)]]);
  const grown = (): Measurement =>
    measuredImage('app', [[file('app/a', 100), file('app/b', 80), file('app/c', 5)], [file('tmp/t', 10)], [whiteout('tmp/t')]]);

  test('set for a changed image with both sides analysed', () => {
    const [head, baseSide] = [grown(), base()];
    const [result] = compareImages([head], [baseSide]);
    expect(result!.comparison).toBe('changed');
    expect(result!.change).toEqual(changeRecord(comparedSide(head)!, comparedSide(baseSide)!));
    const change = result!.change!;
    expect(change.deltaBytes).toBe(35);
    expect(change.lines).toEqual([
      ownRow('#0', 'RUN step 0', 2, 2, 185, 150),
      ownRow('#0', 'RUN step 1', 3, 3, 10, 10),
      ownRow('#0', 'RUN step 2', 4, null, 0, null)
    ]);
    expect(change.paths).toEqual([
      pathRow('grew', '/app/b', false, 30, { grew: 1 }),
      pathRow('removed', '/tmp/t', false, -10, { removed: 1 }),
      pathRow('new', '/app/c', false, 5, { added: 1 }),
      pathRow('hidden', null, false, 10)
    ]);
    expect(change.pathRowsTotal).toBe(3);
    expect(sumOf(change.paths!)).toBe(35);
    expect(change.waste).toEqual({ baseBytes: 0, headBytes: 10, deltaBytes: 10 });
  });

  test('null for an unchanged image, even when its files moved', () => {
    const moved = measuredImage('app', [[file('app/z', 100), file('app/b', 50)], [file('tmp/t', 10)]]);
    const [result] = compareImages([moved], [base()]);
    expect(result!.comparison).toBe('unchanged');
    expect(result!.change).toBeNull();
  });

  test.each<[string, (m: Measurement) => Measurement, (m: Measurement) => Measurement]>([
    ['the base side was not analysed', (m) => m, (m) => ({ ...m, anatomy: null, inventory: null, files: null })],
    ['the head side has no inventory', (m) => ({ ...m, inventory: null }), (m) => m],
    ['the head side has no anatomy', (m) => ({ ...m, anatomy: null }), (m) => m]
  ])('null when %s', (_name, changeHead, changeBase) => {
    const [result] = compareImages([changeHead(grown())], [changeBase(base())]);
    expect(result!.comparison).toBe('changed');
    expect(result!.change).toBeNull();
  });

  test("without one side's files, the path rows come from the folder summaries", () => {
    const [result] = compareImages([{ ...grown(), files: null }], [base()]);
    expect(result!.change).toMatchObject({ deltaBytes: 35, pathsFrom: 'folders', pathRowsTotal: 2 });
    expect(result!.change!.paths).toEqual([
      pathRow('grew', '/app', true, 35),
      pathRow('removed', '/tmp', true, -10, { removed: 1 }),
      pathRow('hidden', null, false, 10)
    ]);
    expect(sumOf(result!.change!.lines)).toBe(35);
  });

  test('null for new, removed and uncompared images', () => {
    expect(compareImages([grown()], []).map((found) => found.change)).toEqual([null]);
    expect(compareImages([], [base()]).map((found) => found.change)).toEqual([null]);
    expect(compareImages([grown()], null).map((found) => found.change)).toEqual([null]);
  });
});
