/**
 * The change "by path" made from two folder summaries (a stored report keeps its
 * largest folders, not its files): hand-made summaries for each rule, and a property
 * over random pairs of file trees summarised by the real folderSizes, cut or not: the
 * rows always add up to the delta, never overlap, and say of each folder only what
 * the files say.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { FinalFiles } from '../../src/analyse/final-files.js';
import { folderSizes, INVENTORY_FOLDERS, largestFolders } from '../../src/analyse/inventory.js';
import { folderChanges, type FolderSummary, hasFolderSummary, inventorySummary } from '../../src/compare/change-folders.js';
import type { FolderSize, PathChange } from '../../src/model/change.js';

const COUNTS = { added: 0, removed: 0, grew: 0, shrank: 0 };

function row(kind: PathChange['kind'], path: string | null, deltaBytes: number, counts: Partial<typeof COUNTS> = {}): PathChange {
  return { kind, path, folder: path !== null, deltaBytes, ...COUNTS, ...counts };
}

/** A summary from `[path, bytes, files]` triples. */
function summary(complete: boolean, ...folders: Array<[string, number, number]>): FolderSummary {
  return { folders: folders.map(([path, bytes, files]) => ({ path, bytes, files })), complete };
}

function sumOf(rows: readonly PathChange[]): number {
  return rows.reduce((total, found) => total + found.deltaBytes, 0);
}

/** The rows, checked to add up to `deltaBytes`. */
function changes(head: FolderSummary, base: FolderSummary, deltaBytes: number, limit?: number) {
  const result = folderChanges(head, base, deltaBytes, limit);
  expect(sumOf(result.rows)).toBe(deltaBytes);
  return result;
}

describe('folderChanges', () => {
  const usr = summary(true, ['', 100, 2], ['usr', 100, 2]);
  const withOpt = summary(true, ['', 160, 5], ['opt', 60, 3], ['usr', 100, 2]);

  test('a folder only the PR has is one "new" row, with its files; one only the base has is "removed"', () => {
    expect(changes(withOpt, usr, 60)).toEqual({ rows: [row('new', '/opt', 60, { added: 3 })], total: 1 });
    expect(changes(usr, withOpt, -60)).toEqual({ rows: [row('removed', '/opt', -60, { removed: 3 })], total: 1 });
  });

  test('a folder that grew: the subfolder that made it gets the row, the rest of the folder an "other" row', () => {
    const base = summary(true, ['', 1000, 10], ['app', 1000, 10], ['app/vendor', 500, 4]);
    const head = summary(true, ['', 3200, 12], ['app', 3200, 12], ['app/vendor', 2600, 5]);
    expect(changes(head, base, 2200)).toEqual({ rows: [row('grew', '/app/vendor', 2100), row('other', '/app', 100)], total: 2 });
  });

  test('a folder whose change is all in one subfolder is that subfolder, with no "other" row', () => {
    const base = summary(true, ['', 1000, 10], ['app', 1000, 10], ['app/vendor', 500, 4]);
    const head = summary(true, ['', 800, 10], ['app', 800, 10], ['app/vendor', 300, 4]);
    expect(changes(head, base, -200)).toEqual({ rows: [row('shrank', '/app/vendor', -200)], total: 1 });
  });

  test('a new folder that is nearly all one subfolder is shown as it, the rest of it as "other"', () => {
    const head = summary(true, ['', 1100, 12], ['opt', 1000, 10], ['opt/big', 950, 1], ['usr', 100, 2]);
    expect(changes(head, usr, 1000)).toEqual({ rows: [row('new', '/opt/big', 950, { added: 1 }), row('other', '/opt', 50, { added: 9 })], total: 2 });
  });

  const cutBase = (...more: Array<[string, number, number]>) => summary(false, ['', 1000, 10], ['usr', 900, 8], ['usr/lib', 800, 5], ...more);
  const numpyHead = (...more: Array<[string, number, number]>) =>
    summary(true, ['', 1500, 13], ['usr', 1400, 11], ['usr/lib', 1300, 8], ['usr/lib/numpy', 500, 3], ...more);

  test('a folder below the cut of one summary gets no row: its change stays with the nearest folder both summaries know', () => {
    // The base may have had a small numpy folder below its cut: only /usr/lib's change is certain.
    expect(changes(numpyHead(), cutBase(), 500)).toEqual({ rows: [row('grew', '/usr/lib', 500)], total: 1 });
    // The same figures from a summary that was not cut: numpy is new.
    const complete = { ...cutBase(), complete: true };
    expect(changes(numpyHead(), complete, 500)).toEqual({ rows: [row('new', '/usr/lib/numpy', 500, { added: 3 })], total: 1 });
  });

  test('a cut summary still tells a folder is missing when the listed subfolders of its parent hold all the parent’s files', () => {
    const base = cutBase(['usr/lib/x', 800, 5]);
    const head = numpyHead(['usr/lib/x', 800, 5]);
    expect(changes(head, base, 500)).toEqual({ rows: [row('new', '/usr/lib/numpy', 500, { added: 3 })], total: 1 });
    // So is everything below a folder it knows is missing.
    const deeper = numpyHead(['usr/lib/x', 800, 5], ['usr/lib/numpy/core', 450, 2]);
    expect(changes(deeper, base, 500).rows).toEqual([
      row('new', '/usr/lib/numpy/core', 450, { added: 2 }),
      row('other', '/usr/lib/numpy', 50, { added: 1 })
    ]);
  });

  test('the hidden row is the delta less the change in visible bytes, that is the change in hidden bytes', () => {
    expect(changes(withOpt, usr, 60 + 25).rows).toEqual([row('new', '/opt', 60, { added: 3 }), row('hidden', null, 25)]);
    expect(changes(withOpt, usr, 0).rows).toEqual([row('new', '/opt', 60, { added: 3 }), row('hidden', null, -60)]);
  });

  test('changes too small for a row go to rest; rows are cut to the limit, the cut ones in rest after hidden', () => {
    const base = summary(true, ['', 10000, 4], ['a', 5000, 1], ['b', 4000, 1], ['c', 1000, 2]);
    const head = summary(true, ['', 12003, 4], ['a', 8000, 1], ['b', 3000, 1], ['c', 1003, 2]);
    expect(changes(head, base, 2003)).toEqual({ rows: [row('grew', '/a', 3000), row('shrank', '/b', -1000), row('rest', null, 3)], total: 2 });
    expect(changes(head, base, 2103, 1)).toEqual({ rows: [row('grew', '/a', 3000), row('hidden', null, 100), row('rest', null, -997)], total: 2 });
    expect(changes(head, base, 2003, 0)).toEqual({ rows: [row('rest', null, 2003)], total: 2 });
  });

  test('no change: no rows, or only the hidden one', () => {
    expect(changes(usr, usr, 0)).toEqual({ rows: [], total: 0 });
    expect(changes(usr, usr, 7)).toEqual({ rows: [row('hidden', null, 7)], total: 0 });
  });

  test('paths show as the file view shows them: a leading /, bytes that are not UTF-8 as escapes', () => {
    const head = summary(true, ['', 150, 3], ['usr', 100, 2], ['\xff', 50, 1]);
    expect(changes(head, usr, 50).rows).toEqual([row('new', '/\\xff', 50, { added: 1 })]);
  });

  test('a summary without a root (not made by this tool) gives no rows: the change is in rest and hidden', () => {
    const rootless = summary(false, ['usr', 100, 2]);
    expect(changes(withOpt, rootless, 90)).toEqual({ rows: [row('hidden', null, -70), row('rest', null, 160)], total: 0 });
    expect(hasFolderSummary(rootless.folders)).toBe(false);
    expect(hasFolderSummary(usr.folders)).toBe(true);
  });

  test('an inventory keeping fewer folders than it may was not cut', () => {
    const folders = (count: number): FolderSize[] =>
      Array.from({ length: count }, (_, index) => ({ path: index === 0 ? '' : `f${index}`, bytes: 1, files: 1 }));
    expect(inventorySummary(folders(INVENTORY_FOLDERS - 1)).complete).toBe(true);
    expect(inventorySummary(folders(INVENTORY_FOLDERS)).complete).toBe(false);
  });

  test('a flat summary of many thousand folders is no trouble', () => {
    const many = (bytes: number): FolderSummary => ({
      folders: [
        { path: '', bytes: 200000 * bytes, files: 200000 },
        ...Array.from({ length: 200000 }, (_, index) => ({ path: `d${index}`, bytes, files: 1 }))
      ],
      complete: false
    });
    const { rows, total } = changes(many(2), many(1), 200000);
    expect(total).toBe(0);
    expect(rows).toEqual([row('rest', null, 200000)]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random pairs of file trees

/** Paths of up to three folders then a file: folder and file names differ, so a path is never both. */
const pathArbitrary = fc
  .tuple(fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }), fc.constantFrom('x', 'y', 'z'))
  .map(([folders, name]) => [...folders, name].join('/'));
const filesArbitrary = fc.array(fc.tuple(pathArbitrary, fc.nat({ max: 1000 })), { maxLength: 30 });

/** A side's summary as an inventory keeps it: every folder, or the `kept` largest (cut when there were more). */
function summaryOf(files: FinalFiles, kept: number | null): FolderSummary {
  const all = folderSizes(files);
  if (kept === null) return { folders: all, complete: true };
  const folders = largestFolders(all, kept);
  return { folders, complete: folders.length < kept };
}

/** Bytes below each folder, from the files themselves ('' is the root). */
function truth(files: FinalFiles): Map<string, number> {
  return new Map(folderSizes(files).map((folder) => [folder.path, folder.bytes]));
}

function below(path: string, folder: string): boolean {
  return path.startsWith(`${folder}/`);
}

describe('folderChanges: a property of random file trees', () => {
  test('rows add up to the delta, never overlap, are largest first and at most `limit`, and agree with the files', () => {
    fc.assert(
      fc.property(
        filesArbitrary,
        filesArbitrary,
        fc.array(pathArbitrary, { maxLength: 10 }),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 8 }),
        (baseEntries, edits, dropped, headKept, baseKept, hiddenChange, limit) => {
          // The PR's tree is the base's with files removed, changed and added, as a PR makes it.
          const gone = new Set(dropped);
          const base = FinalFiles.of(baseEntries);
          const head = FinalFiles.of([...baseEntries.filter(([path]) => !gone.has(path)), ...edits]);
          const visibleDelta = head.totalBytes() - base.totalBytes();
          const deltaBytes = visibleDelta + hiddenChange;
          const [headSummary, baseSummary] = [summaryOf(head, headKept), summaryOf(base, baseKept)];

          const { rows, total } = folderChanges(headSummary, baseSummary, deltaBytes, limit);
          expect(sumOf(rows)).toBe(deltaBytes);
          const listed = rows.filter((found) => found.path !== null);
          expect(listed.length).toBeLessThanOrEqual(Math.min(limit, total));
          for (let at = 1; at < listed.length; at++)
            expect(Math.abs(listed[at - 1]!.deltaBytes)).toBeGreaterThanOrEqual(Math.abs(listed[at]!.deltaBytes));
          expect(rows.filter((found) => found.kind === 'hidden').map((found) => found.deltaBytes)).toEqual(hiddenChange === 0 ? [] : [hiddenChange]);

          // Every row, uncut: no two for one folder, nothing below a folder's own row, and each figure as the files say.
          const all = folderChanges(headSummary, baseSummary, deltaBytes, Number.POSITIVE_INFINITY).rows.filter((found) => found.path !== null);
          const [headBytes, baseBytes] = [truth(head), truth(base)];
          const change = (path: string): number => (headBytes.get(path) ?? 0) - (baseBytes.get(path) ?? 0);
          const paths = all.map((found) => found.path!.slice(1));
          expect(new Set(paths).size).toBe(paths.length);
          for (const found of all) {
            const path = found.path!.slice(1);
            const inside = all.filter((other) => below(other.path!.slice(1), path));
            if (found.kind === 'other') {
              expect(inside.length).toBeGreaterThan(0);
              continue;
            }
            expect(inside).toEqual([]);
            expect(found.deltaBytes).toBe(change(path));
            if (found.kind === 'new') expect([baseBytes.has(path), found.added]).toEqual([false, [...head.under(path)].length]);
            if (found.kind === 'removed') expect([headBytes.has(path), found.removed]).toEqual([false, [...base.under(path)].length]);
            if (found.kind === 'grew' || found.kind === 'shrank') expect(found.kind).toBe(found.deltaBytes > 0 ? 'grew' : 'shrank');
          }
        }
      ),
      { numRuns: 500 }
    );
  });
});
