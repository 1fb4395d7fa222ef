/**
 * The change "by path": the files of the two final filesystems compared by one
 * merge of their sorted lists, and the changes aggregated into a handful of rows
 * a reviewer can read. Pure.
 *
 * Rows are chosen top-down on a tree of the changed files. A change that moves
 * less than a two-hundredth of all bytes that changed (the churn) is too small for a
 * row of its own and is left to "everything else". A file, or a folder that is
 * new or gone as a whole, is one row (unless one thing inside it is nearly all
 * of it: then that thing is); a folder whose changes are spread over many
 * small files is one row; otherwise its large children get rows and what they do
 * not cover becomes an "other changes in …" row. The listed rows, the `rest` row
 * and the `hidden` row (copies hidden by later layers) add up to the delta exactly.
 */
import type { PathChange, PathChangeKind } from '../model/change.js';
import type { FinalFiles } from '../analyse/final-files.js';
import { displayPath } from '../analyse/paths.js';

/** A change moving less than this share of the churn gets no row of its own. */
export const ROW_SHARE = 1 / 200;
/** A new or removed folder whose one child holds this share of its bytes is shown as that child. */
export const DOMINANT_SHARE = 0.9;
/** A folder with this many files large enough for a row of their own is one row instead. */
const SPREAD_FILES = 8;
/** Path rows kept in the record, largest first; the rest go to `rest`. */
export const MAX_PATH_ROWS = 30;

interface Node {
  name: string;
  children: Map<string, Node> | null;
  delta: number;
  churn: number;
  added: number;
  removed: number;
  grew: number;
  shrank: number;
}

function newNode(name: string, folder: boolean): Node {
  return { name, children: folder ? new Map() : null, delta: 0, churn: 0, added: 0, removed: 0, grew: 0, shrank: 0 };
}

/** Adds one changed file to the tree, counting it in every folder above it. */
function addChange(root: Node, path: string, before: number | null, after: number | null): void {
  const delta = (after ?? 0) - (before ?? 0);
  const count = (node: Node): void => {
    node.delta += delta;
    node.churn += Math.abs(delta);
    if (before === null) node.added++;
    else if (after === null) node.removed++;
    else if (delta > 0) node.grew++;
    else node.shrank++;
  };
  const names = path.split('/');
  let node = root;
  count(node);
  for (const [depth, name] of names.entries()) {
    const leaf = depth === names.length - 1;
    let child = node.children!.get(name);
    if (child === undefined || (child.children === null) !== leaf) {
      // A file where the other image has a folder of the same name: keep them apart.
      const key = child === undefined ? name : `${name}\u0000${leaf ? 'file' : 'folder'}`;
      child = node.children!.get(key) ?? newNode(name, !leaf);
      node.children!.set(key, child);
    }
    count(child);
    node = child;
  }
}

/** The tree of every file that was added, removed, grew or shrank (a file of the same size counts as unchanged). */
function changeTree(head: FinalFiles, base: FinalFiles): Node {
  const root = newNode('', true);
  let h = 0;
  let b = 0;
  while (h < head.count || b < base.count) {
    const headPath = h < head.count ? head.paths[h]! : null;
    const basePath = b < base.count ? base.paths[b]! : null;
    if (basePath === null || (headPath !== null && headPath < basePath)) {
      addChange(root, headPath!, null, head.bytes[h++]!);
    } else if (headPath === null || basePath < headPath) {
      addChange(root, basePath, base.bytes[b++]!, null);
    } else {
      const after = head.bytes[h++]!;
      const before = base.bytes[b++]!;
      if (after !== before) addChange(root, headPath, before, after);
    }
  }
  return root;
}

function kindOf(node: Node, whole: 'new' | 'removed' | null): PathChangeKind {
  if (whole !== null) return whole;
  const { added, removed, grew, shrank } = node;
  if (node.children === null) return added > 0 ? 'new' : removed > 0 ? 'removed' : grew > 0 ? 'grew' : 'shrank';
  // A folder both images have (one only the PR's has is `whole`): files added to it are growth.
  if (removed === 0 && shrank === 0) return 'grew';
  if (added === 0 && grew === 0) return 'shrank';
  return 'changed';
}

function rowOf(node: Node, path: string, kind: PathChangeKind): PathChange {
  return {
    kind,
    path: displayPath(path),
    folder: node.children !== null,
    deltaBytes: node.delta,
    added: node.added,
    removed: node.removed,
    grew: node.grew,
    shrank: node.shrank
  };
}

/** The rows for the changes below `root`, in no particular order. */
function chooseRows(root: Node, head: FinalFiles, base: FinalFiles): PathChange[] {
  const threshold = Math.max(1, root.churn * ROW_SHARE);
  const rows: PathChange[] = [];
  const stack: Array<[Node, string]> = [[root, '']];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (node.children === null) {
      rows.push(rowOf(node, path, kindOf(node, null)));
      continue;
    }
    // A folder only one image has is one row, however it is spread.
    const whole = path === '' ? null : !hasFilesUnder(base, path) ? 'new' : !hasFilesUnder(head, path) ? 'removed' : null;
    const children = [...node.children.values()];
    // A new or removed folder is one row, unless nearly all of it is one thing (a 40 MB file in a new /usr/lib): that gets the row.
    const dominant = children.reduce<Node | null>((best, child) => (best === null || child.churn > best.churn ? child : best), null);
    let large =
      whole === null
        ? children.filter((child) => child.churn >= threshold)
        : dominant !== null && dominant.churn >= DOMINANT_SHARE * node.churn
          ? [dominant]
          : [];
    // Many files of one folder that each changed (a folder of assets rebuilt) read best as that folder.
    if (path !== '' && large.length >= SPREAD_FILES && large.every((child) => child.children === null)) large = [];
    if (large.length === 0) {
      if (node.churn >= threshold && path !== '') rows.push(rowOf(node, path, kindOf(node, whole)));
      continue;
    }
    const other = newNode(node.name, true);
    other.delta = node.delta;
    other.churn = node.churn;
    for (const key of ['added', 'removed', 'grew', 'shrank'] as const) other[key] = node[key];
    for (const child of large) {
      stack.push([child, path === '' ? child.name : `${path}/${child.name}`]);
      other.delta -= child.delta;
      other.churn -= child.churn;
      for (const key of ['added', 'removed', 'grew', 'shrank'] as const) other[key] -= child[key];
    }
    if (other.churn >= threshold && path !== '') rows.push({ ...rowOf(other, path, 'other'), folder: true });
  }
  return rows;
}

function hasFilesUnder(files: FinalFiles, folder: string): boolean {
  return !files.under(folder).next().done;
}

/** How many changed files a row stands for, by way of change. */
export type FileCounts = Pick<PathChange, 'added' | 'removed' | 'grew' | 'shrank'>;

/** What `changed` counts that the rows do not. */
function countsLeft(changed: FileCounts, rows: PathChange[]): FileCounts {
  const left = (key: keyof FileCounts): number => changed[key] - rows.reduce((sum, row) => sum + row[key], 0);
  return { added: left('added'), removed: left('removed'), grew: left('grew'), shrank: left('shrank') };
}

/**
 * The listed rows, largest change first, cut to `limit`, then `hidden` (the change in copies
 * hidden by later layers: `deltaBytes` minus `visibleDelta`, the change in what a container
 * sees) and `rest` (what the listed rows leave of `visibleDelta`), each when non-zero; together
 * they add up to `deltaBytes` exactly. `changed` counts every changed file, so that the rest row
 * can count what the listed rows do not; null when the files are not known (its counts are 0).
 */
export function finishRows(
  candidates: PathChange[],
  visibleDelta: number,
  deltaBytes: number,
  limit: number,
  changed: FileCounts | null
): { rows: PathChange[]; total: number } {
  const all = candidates
    .filter((row) => row.deltaBytes !== 0)
    .sort((a, b) => Math.abs(b.deltaBytes) - Math.abs(a.deltaBytes) || (a.path! < b.path! ? -1 : 1));
  const rows = all.slice(0, limit);
  const listed = rows.reduce((sum, row) => sum + row.deltaBytes, 0);
  const rest = visibleDelta - listed;
  const hidden = deltaBytes - visibleDelta;
  const counts = { added: 0, removed: 0, grew: 0, shrank: 0 };
  if (hidden !== 0) rows.push({ kind: 'hidden', path: null, folder: false, deltaBytes: hidden, ...counts });
  if (rest !== 0) {
    const restCounts = changed === null ? counts : countsLeft(changed, rows);
    rows.push({ kind: 'rest', path: null, folder: false, deltaBytes: rest, ...restCounts });
  }
  return { rows, total: all.length };
}

/** The path rows between two images' final filesystems (see {@link finishRows}). */
export function pathChanges(head: FinalFiles, base: FinalFiles, deltaBytes: number, limit = MAX_PATH_ROWS): { rows: PathChange[]; total: number } {
  const root = changeTree(head, base);
  return finishRows(chooseRows(root, head, base), root.delta, deltaBytes, limit, root);
}
