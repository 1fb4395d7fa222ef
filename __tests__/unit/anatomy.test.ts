import { describe, expect, test } from '@jest/globals';
import { analyseImage } from '../../src/analyse/anatomy.js';
import type { LayerOrigin } from '../../src/analyse/history.js';
import type { LayerContents, LayerEntry } from '../../src/analyse/model.js';
import type { Waste, WastedPath } from '../../src/model/report.js';
import { dir, file, hardlink, image, layer, opaque, symlink, whiteout } from '../support/layers.js';

/** Every layer the Dockerfile's own, layer i made by line i + 1. */
function ownOrigins(count: number): LayerOrigin[] {
  return Array.from({ length: count }, (_, index) => ({ fromBase: false, instruction: `RUN step ${index}`, line: index + 1, stage: null }));
}

function analyse(layers: LayerContents[], origins: LayerOrigin[] = ownOrigins(layers.length), topPaths?: number) {
  return analyseImage(image(layers), origins, topPaths === undefined ? {} : { topPaths });
}

/** A wasted path of the Dockerfile's own layers, lines as in ownOrigins. */
function own(path: string, bytes: number, added: number, removed: number, files = 1): WastedPath {
  return {
    path,
    files,
    bytes,
    addedInLayer: added,
    removedInLayer: removed,
    addedAtLine: added + 1,
    removedAtLine: removed + 1,
    inBase: false,
    bookkeeping: false
  };
}

/** The waste without its per-pair totals, which `expectExactPairs` checks. */
function shown(waste: Waste): Omit<Waste, 'byLines'> {
  const { byLines: _byLines, ...rest } = waste;
  return rest;
}

/**
 * The per-pair totals split the waste exactly as `bytes`, `baseBytes` and `bookkeepingBytes` do, and, when no
 * path was cut, each pair holds exactly the bytes and files of its paths.
 */
function expectExactPairs(waste: Waste, pathsComplete = true): void {
  const pairs = waste.byLines!;
  const sum = (keep: (pair: (typeof pairs)[number]) => boolean) => pairs.filter(keep).reduce((total, pair) => total + pair.bytes, 0);
  expect(sum((pair) => !pair.inBase && !pair.bookkeeping)).toBe(waste.bytes);
  expect(sum((pair) => pair.inBase)).toBe(waste.baseBytes);
  expect(sum((pair) => pair.bookkeeping)).toBe(waste.bookkeepingBytes);
  if (!pathsComplete) return;
  for (const pair of pairs) {
    const rows = waste.paths.filter(
      (path) => path.addedInLayer === pair.addedInLayer && path.removedInLayer === pair.removedInLayer && path.bookkeeping === pair.bookkeeping
    );
    expect([rows.reduce((total, row) => total + row.bytes, 0), rows.reduce((total, row) => total + row.files, 0)]).toEqual([pair.bytes, pair.files]);
  }
}

describe('wasted bytes', () => {
  test.each<[string, LayerEntry[][], number, WastedPath[]]>([
    ['a file deleted by a later layer', [[file('big', 100)], [whiteout('big')]], 100, [own('/big', 100, 0, 1)]],
    ['a file created and deleted in one layer is not in its tar: nothing wasted', [[file('keep', 5)], [file('other', 7)]], 0, []],
    ["a whiteout does not hide its own layer's entry", [[file('a', 10)], [file('a', 20), whiteout('a')]], 10, [own('/a', 10, 0, 1)]],
    ['an overwrite wastes only the lower copy', [[file('a', 100)], [], [file('a', 30)]], 100, [own('/a', 100, 0, 2)]],
    [
      'written three times: the two lower copies',
      [[file('a', 100)], [file('a', 200)], [file('a', 300)]],
      300,
      [own('/a', 200, 1, 2), own('/a', 100, 0, 1)]
    ],
    [
      "an opaque folder hides the lower contents, not its own layer's",
      [
        [dir('d'), file('d/x', 10), file('d/sub/y', 20)],
        [dir('d'), file('d/z', 5), opaque('d')]
      ],
      30,
      [own('/d', 30, 0, 1, 2)]
    ],
    ['a folder replaced by a file', [[dir('d'), file('d/a', 10), dir('d/sub'), file('d/sub/b', 20)], [file('d', 5)]], 30, [own('/d', 30, 0, 1, 2)]],
    ['a file replaced by a folder', [[file('d', 10)], [dir('d'), file('d/x', 1)]], 10, [own('/d', 10, 0, 1)]],
    ['a file replaced by a folder with no entry of its own', [[file('d', 10)], [file('d/x', 1)]], 10, [own('/d', 10, 0, 1)]],
    [
      'a whiteout of a folder',
      [[dir('tmp'), dir('tmp/build'), file('tmp/build/a', 100), file('tmp/build/b', 100), file('tmp/build/c/d', 100)], [whiteout('tmp/build')]],
      300,
      [own('/tmp/build', 300, 0, 1, 3)]
    ],
    [
      'a deleted folder with one file shows the file',
      [[file('tmp/build/only.o', 100)], [whiteout('tmp/build')]],
      100,
      [own('/tmp/build/only.o', 100, 0, 1)]
    ],
    [
      'a deleted folder filled by two layers: one row per adding layer',
      [[file('w/a', 10), file('w/b', 10)], [file('w/c', 50), file('w/d', 50)], [whiteout('w')]],
      120,
      [own('/w', 100, 1, 2, 2), own('/w', 20, 0, 2, 2)]
    ],
    [
      'the same folder deleted twice: two removals',
      [[file('c/a', 10)], [whiteout('c')], [file('c/a', 10)], [whiteout('c')]],
      20,
      [own('/c/a', 10, 0, 1), own('/c/a', 10, 2, 3)]
    ],
    ['a hard link keeps a deleted file alive', [[file('a', 100), hardlink('b', 'a')], [whiteout('a')]], 0, []],
    [
      'once the last link goes, the copy is wasted',
      [[file('a', 100), hardlink('b', 'a')], [whiteout('a')], [whiteout('b')]],
      100,
      [own('/b', 100, 0, 2)]
    ],
    [
      'hard links in a deleted folder waste the copy once',
      [[file('d/a', 100), hardlink('d/b', 'd/a'), hardlink('d/c', 'd/a')], [whiteout('d')]],
      100,
      [own('/d/a', 100, 0, 1)]
    ],
    ['a file replaced by a hard link to another file', [[file('a', 100), file('b', 7)], [hardlink('a', 'b')]], 100, [own('/a', 100, 0, 1)]],
    [
      'symlinks, folders and empty files waste nothing',
      [
        [symlink('s'), dir('e'), file('zero', 0)],
        [whiteout('s'), whiteout('e'), whiteout('zero')]
      ],
      0,
      []
    ],
    ['a whiteout of a path never there', [[file('a', 1)], [whiteout('nothing'), whiteout('a/b'), opaque('nowhere')]], 0, []],
    ['an opaque root hides every lower file', [[file('a', 1), file('b/c', 2)], [opaque('')]], 3, [own('/', 3, 0, 1, 2)]],
    ['a path twice in one tar: the first copy ships unseen', [[file('a', 10), file('a', 20)]], 10, [own('/a', 10, 0, 0)]],
    [
      'odd names are shown escaped',
      [
        [file('dir with space/"quoted"\nnew line', 40), file('caf\u00e9', 30)],
        [whiteout('dir with space/"quoted"\nnew line'), whiteout('caf\u00e9')]
      ],
      70,
      [own('/dir with space/"quoted"\\nnew line', 40, 0, 1), own('/caf\u00e9', 30, 0, 1)]
    ]
  ])('%s', (_name, layers, bytes, paths) => {
    const anatomy = analyse(layers.map((entries) => layer(entries)));
    expect(shown(anatomy.wasted)).toEqual({ bytes, baseBytes: 0, bookkeepingBytes: 0, paths });
    expectExactPairs(anatomy.wasted);
  });

  test('a name that is not UTF-8 keeps its identity and shows its bytes', () => {
    const raw = 'bad\xff\xfename'; // binary form: the bytes as they are in the tar
    const entry: LayerEntry = { path: raw, kind: 'file', bytes: 9, linkTarget: null };
    // The same name as it would read after a lossy UTF-8 decode: a different file.
    const other = file('bad\ufffd\ufffdname', 4);
    const anatomy = analyse([layer([entry, other]), layer([{ ...entry, path: `.wh.${raw}`, bytes: 0 }])]);
    expect(anatomy.wasted.paths).toEqual([own('/bad\\xff\\xfename', 9, 0, 1)]);
  });

  test('base-image waste is counted apart and not blamed on the Dockerfile, but still shown', () => {
    const origins: LayerOrigin[] = [
      { fromBase: true, instruction: 'ADD rootfs.tar /', line: null, stage: null },
      { fromBase: true, instruction: 'RUN apt-get update', line: null, stage: null },
      { fromBase: false, instruction: 'RUN build', line: 4, stage: null },
      { fromBase: false, instruction: 'RUN rm -rf /usr/share/doc /tmp/build', line: 5, stage: null }
    ];
    const anatomy = analyse(
      [
        layer([file('usr/share/doc/a', 300), file('usr/share/doc/b', 200), file('bin/sh', 1000)]),
        layer([file('var/lib/apt/lists/x', 70)]),
        layer([file('tmp/build/o', 40)]),
        layer([whiteout('usr/share/doc'), whiteout('tmp/build')])
      ],
      origins
    );
    expect(shown(anatomy.wasted)).toEqual({
      bytes: 40,
      baseBytes: 500,
      bookkeepingBytes: 0,
      paths: [
        {
          path: '/usr/share/doc',
          files: 2,
          bytes: 500,
          addedInLayer: 0,
          removedInLayer: 3,
          addedAtLine: null,
          removedAtLine: 5,
          inBase: true,
          bookkeeping: false
        },
        {
          path: '/tmp/build/o',
          files: 1,
          bytes: 40,
          addedInLayer: 2,
          removedInLayer: 3,
          addedAtLine: 4,
          removedAtLine: 5,
          inBase: false,
          bookkeeping: false
        }
      ]
    });
    expectExactPairs(anatomy.wasted);
  });

  test("waste whose adding layer is of unknown origin counts as the image's own", () => {
    const unknown: LayerOrigin = { fromBase: null, instruction: null, line: null, stage: null };
    const anatomy = analyse([layer([file('a', 10)]), layer([whiteout('a')])], [unknown, unknown]);
    expect(shown(anatomy.wasted)).toEqual({
      bytes: 10,
      baseBytes: 0,
      bookkeepingBytes: 0,
      paths: [
        {
          path: '/a',
          files: 1,
          bytes: 10,
          addedInLayer: 0,
          removedInLayer: 1,
          addedAtLine: null,
          removedAtLine: null,
          inBase: false,
          bookkeeping: false
        }
      ]
    });
  });

  test('the totals per pair of layers are exact however many paths were cut from the list', () => {
    // Line 2 makes 300 small files and 2 big ones; line 3 deletes all of them; line 4 replaces one big file.
    const small = Array.from({ length: 300 }, (_, index) => file(`app/cache/${index}`, 1000 + index));
    const anatomy = analyse(
      [
        layer([file('etc/base', 5)]),
        layer([...small, file('app/a.bin', 400_000), file('app/b.bin', 300_000)]),
        layer([...small.map((entry) => whiteout(entry.path)), whiteout('app/a.bin')]),
        layer([file('app/b.bin', 10)])
      ],
      ownOrigins(4),
      2
    );
    const smallBytes = 300 * 1000 + (299 * 300) / 2;
    expect(anatomy.wasted.paths).toEqual([own('/app/a.bin', 400_000, 1, 2), own('/app/b.bin', 300_000, 1, 3)]);
    expect(anatomy.wasted.byLines).toEqual([
      {
        addedAtLine: 2,
        removedAtLine: 3,
        addedInLayer: 1,
        removedInLayer: 2,
        bytes: 400_000 + smallBytes,
        files: 301,
        inBase: false,
        bookkeeping: false
      },
      { addedAtLine: 2, removedAtLine: 4, addedInLayer: 1, removedInLayer: 3, bytes: 300_000, files: 1, inBase: false, bookkeeping: false }
    ]);
    expect(anatomy.wasted.bytes).toBe(700_000 + smallBytes);
    expectExactPairs(anatomy.wasted, false);
  });

  test('one `rm -rf` of 50,000 files is one row, and only the largest rows are kept', () => {
    const build = Array.from({ length: 50_000 }, (_, index) => file(`tmp/build/obj/${index}.o`, 10));
    const singles = Array.from({ length: 30 }, (_, index) => file(`single/${index}`, 1000 + index));
    const anatomy = analyse(
      [layer([...build, ...singles]), layer([whiteout('tmp/build'), ...singles.map((entry) => whiteout(entry.path))])],
      ownOrigins(2),
      3
    );
    expect(anatomy.wasted.bytes).toBe(500_000 + 30 * 1000 + (29 * 30) / 2);
    expect(anatomy.wasted.paths).toEqual([own('/tmp/build', 500_000, 0, 1, 50_000), own('/single/29', 1029, 0, 1), own('/single/28', 1028, 0, 1)]);
  });

  test("visible bytes plus wasted bytes make the image's bytes", () => {
    const layers = [
      layer([file('a', 100), file('d/b', 50), hardlink('d/l', 'd/b'), file('e/f', 7)]),
      layer([file('a', 10), whiteout('d'), opaque('e'), file('e/g', 3)]),
      layer([file('d', 1), file('a', 1)])
    ];
    const anatomy = analyse(layers);
    // Visible: a (1), d (1), e/g (3).
    expect(anatomy.bytes).toBe(100 + 50 + 7 + 10 + 3 + 1 + 1);
    expect(anatomy.bytes - anatomy.wasted.bytes - anatomy.wasted.baseBytes).toBe(1 + 1 + 3);
  });
});

describe('layers', () => {
  test('per layer: bytes, compressed bytes, files (no folders or whiteouts) and origin', () => {
    const origins: LayerOrigin[] = [
      { fromBase: true, instruction: 'ADD file:abc in /', line: null, stage: null },
      { fromBase: false, instruction: 'COPY app /app', line: 3, stage: 'app' }
    ];
    const anatomy = analyse(
      [
        layer([dir('bin'), file('bin/sh', 900), symlink('bin/ls'), hardlink('bin/ash', 'bin/sh')], { compressedBytes: 400 }),
        layer([dir('app'), file('app/a', 10), file('app/b', 20), whiteout('bin/ls'), opaque('app')], { compressedBytes: 25 })
      ],
      origins
    );
    expect(anatomy.bytes).toBe(930);
    expect(anatomy.compressedBytes).toBe(425);
    expect(anatomy.layers).toEqual([
      { index: 0, fromBase: true, instruction: 'ADD file:abc in /', line: null, stage: null, bytes: 900, compressedBytes: 400, files: 3 },
      { index: 1, fromBase: false, instruction: 'COPY app /app', line: 3, stage: 'app', bytes: 30, compressedBytes: 25, files: 2 }
    ]);
  });

  test.each<[string, Array<number | null>, number | null]>([
    ['all measured', [5, 6, 7], 18],
    ['one missing', [5, null, 7], null],
    ['no layers', [], 0]
  ])('compressed total: %s', (_name, sizes, total) => {
    const anatomy = analyse(sizes.map((compressedBytes) => layer([file('x', 1)], { compressedBytes })));
    expect(anatomy.compressedBytes).toBe(total);
  });

  test('missing origins are unknown', () => {
    const anatomy = analyse([layer([file('a', 1)]), layer([file('b', 2)])], [{ fromBase: true, instruction: 'X', line: null, stage: null }]);
    expect(anatomy.layers.map((entry) => [entry.fromBase, entry.instruction, entry.line])).toEqual([
      [true, 'X', null],
      [null, null, null]
    ]);
  });
});

describe('scale', () => {
  test('60,000 files in six layers and 1,000 whiteouts: every file counted, the waste summed exactly, 20 paths listed', () => {
    const layers: LayerContents[] = [];
    for (let index = 0; index < 6; index++) {
      const entries: LayerEntry[] = [];
      for (let n = 0; n < 10_000; n++) entries.push(file(`usr/lib/pkg${n % 100}/layer${index}/f${n}.so`, 100 + n));
      if (index > 0) for (let n = 0; n < 1_000 / 5; n++) entries.push(whiteout(`usr/lib/pkg${n % 100}/layer${index - 1}/f${n}.so`));
      layers.push(layer(entries));
    }
    const anatomy = analyse(layers);
    expect(anatomy.layers.map((entry) => entry.files)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
    // 5 layers each delete 200 files (f0..f199) of the layer below: 100 + n bytes each.
    expect(anatomy.wasted.bytes).toBe(5 * (200 * 100 + (199 * 200) / 2));
    expect(anatomy.wasted.paths).toHaveLength(20);
  });
});

describe('deep folders', () => {
  // The longest path a layer may hold (MAX_PATH_BYTES): 16,383 folders. Paths are handled in time linear in their
  // depth; this test's own timeout catches a return of the quadratic walk (minutes at this depth).
  const DEPTH = 16_000;
  const deep = Array.from({ length: DEPTH }, () => 'd').join('/');

  test('a file 16,000 folders down, deleted by a whiteout of the top folder, is one exact waste row', () => {
    const layers = [layer([file(`${deep}/f`, 100), file('tmp/x', 2000)]), layer([whiteout('d')])];
    const anatomy = analyse(layers);
    expect(anatomy.bytes).toBe(2100);
    expect(anatomy.wasted.bytes).toBe(100);
    expect(anatomy.wasted.paths).toEqual([own(`/${deep}/f`, 100, 0, 1)]);
    expect(anatomy.caches.map((cache) => [cache.path, cache.bytes])).toEqual([['/tmp', 2000]]);
  });

  test('a deep tree under a cache folder is tallied whole; a deep tree elsewhere is not walked for caches', () => {
    const layers = [layer([file(`tmp/${deep}/f`, 5000), file(`${deep}/tmp/g`, 5000)])];
    const anatomy = analyse(layers);
    expect(anatomy.bytes).toBe(10_000);
    expect(anatomy.caches.map((cache) => [cache.path, cache.bytes, cache.files])).toEqual([['/tmp', 5000, 1]]);
  });

  test('layer totals that no byte count can reach are an error, not Infinity', () => {
    const huge = [layer([file('a', Number.MAX_SAFE_INTEGER)]), layer([file('b', Number.MAX_SAFE_INTEGER)])];
    expect(() => analyse(huge)).toThrow("the image's layers add up to more than 9 PB (at layer 1): the archive is corrupt");
  });
});
