/**
 * The change "by path" when one side's files are not at hand (a stored report
 * keeps an inventory, not a file list): the same rows as change-paths.ts, made
 * from the two inventories' folder summaries. Pure.
 *
 * A folder summary holds the largest folders with every ancestor of a kept one,
 * each with the visible bytes and files below it. So a row can only be a folder,
 * its change is net (which files grew or shrank inside it is not known: `grew`
 * and `shrank` say which way the folder went), and a folder's own files show only
 * in what its listed subfolders leave of it. Rows are chosen top-down as for
 * files, with the same shares, and never overlap: a folder is either one row or
 * gives rows to its larger subfolders and an `other` row to the rest of it.
 */
import { INVENTORY_FOLDERS } from '../analyse/inventory.js';
import { displayPath, parentPath } from '../analyse/paths.js';
import type { FolderSize, PathChange, PathChangeKind } from '../model/change.js';
import { DOMINANT_SHARE, finishRows, MAX_PATH_ROWS, ROW_SHARE } from './change-paths.js';

/** A folder's figures on one side: `listed` false for a folder that side does not have (no files below it). */
interface Known {
  bytes: number;
  files: number;
  listed: boolean;
}

interface Node {
  path: string;
  children: Node[];
  /** What each side's summary says of it; null when a side's summary cannot tell (a folder below the cut). */
  head: Known | null;
  base: Known | null;
  delta: number;
  /** The bytes that changed below it, as far as the summaries tell: a lower bound of the churn of its files. */
  churn: number;
  /** Files of a folder only one side has: all of them new, or all of them removed; 0 otherwise (not known). */
  added: number;
  removed: number;
}

const ABSENT: Known = { bytes: 0, files: 0, listed: false };

function known(node: Node): boolean {
  return node.head !== null && node.base !== null;
}

/** The folders of both summaries as one tree, root first (pre-order); a folder whose parent neither lists is left out. */
function folderTree(head: readonly FolderSize[], base: readonly FolderSize[]): Node[] {
  const nodes = new Map<string, Node>();
  const nodeAt = (path: string): Node => {
    let node = nodes.get(path);
    if (node === undefined) {
      node = { path, children: [], head: null, base: null, delta: 0, churn: 0, added: 0, removed: 0 };
      nodes.set(path, node);
    }
    return node;
  };
  const root = nodeAt('');
  for (const folder of head) nodeAt(folder.path).head = { bytes: folder.bytes, files: folder.files, listed: true };
  for (const folder of base) nodeAt(folder.path).base = { bytes: folder.bytes, files: folder.files, listed: true };
  for (const node of nodes.values()) if (node !== root) nodes.get(parentPath(node.path))?.children.push(node);
  const order: Node[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    order.push(node);
    // One at a time: a summary from a file may list tens of thousands of folders side by side.
    for (const child of node.children) stack.push(child);
  }
  return order;
}

/**
 * What one side's summary says of each folder it does not list. A complete summary lists
 * every folder that holds a file, so a folder it lacks has none there. A cut one (an
 * inventory keeps the INVENTORY_FOLDERS largest) also lacks the folders below the cut,
 * whose size there is unknown (anything up to the smallest kept folder's), unless their
 * parent has no files or its listed subfolders hold all its files. Conservatively, an
 * unknown folder gets no row: its change stays with its nearest ancestor known on both
 * sides (in that folder's row or its `other` row), coarse but true.
 */
function resolveSide(order: Node[], side: 'head' | 'base', complete: boolean): void {
  const root = order[0]!;
  if (root[side] === null && complete) root[side] = ABSENT;
  // Pre-order: a folder is settled before its subfolders are.
  for (const node of order) {
    const folder = node[side];
    if (folder === null) continue;
    const listedFiles = node.children.reduce((sum, child) => sum + (child[side]?.files ?? 0), 0);
    if (complete || !folder.listed || listedFiles >= folder.files) {
      for (const child of node.children) child[side] ??= ABSENT;
    }
  }
}

/** Each known folder's delta, churn and counts, children before parents. */
function measure(order: Node[]): void {
  for (let at = order.length - 1; at >= 0; at--) {
    const node = order[at]!;
    if (!known(node)) continue;
    const [head, base] = [node.head!, node.base!];
    node.delta = head.bytes - base.bytes;
    let childDelta = 0;
    let childChurn = 0;
    for (const child of node.children.filter(known)) {
      childDelta += child.delta;
      childChurn += child.churn;
    }
    // What the listed subfolders leave: the folder's own files and its unlisted subfolders, netted.
    node.churn = Math.abs(node.delta - childDelta) + childChurn;
    if (!base.listed) node.added = head.files;
    if (!head.listed) node.removed = base.files;
  }
}

function wholeKind(node: Node): 'new' | 'removed' | null {
  if (node.path === '') return null;
  if (!node.base!.listed && node.head!.listed) return 'new';
  if (!node.head!.listed && node.base!.listed) return 'removed';
  return null;
}

function rowOf(node: Node, kind: PathChangeKind, delta: number, added: number, removed: number): PathChange {
  return { kind, path: displayPath(node.path), folder: true, deltaBytes: delta, added, removed, grew: 0, shrank: 0 };
}

/** The rows below the root, in no particular order (as change-paths.ts chooses them for files). */
function chooseRows(root: Node): PathChange[] {
  const threshold = Math.max(1, root.churn * ROW_SHARE);
  const rows: PathChange[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const whole = wholeKind(node);
    const children = node.children.filter(known);
    const dominant = children.reduce<Node | null>((best, child) => (best === null || child.churn > best.churn ? child : best), null);
    const large =
      whole === null
        ? children.filter((child) => child.churn >= threshold)
        : dominant !== null && dominant.churn >= DOMINANT_SHARE * node.churn
          ? [dominant]
          : [];
    if (large.length === 0) {
      if (node.churn >= threshold && node.path !== '') {
        rows.push(rowOf(node, whole ?? (node.delta > 0 ? 'grew' : 'shrank'), node.delta, node.added, node.removed));
      }
      continue;
    }
    for (const child of large) stack.push(child);
    const sum = (pick: (child: Node) => number): number => large.reduce((total, child) => total + pick(child), 0);
    if (node.churn - sum((child) => child.churn) >= threshold && node.path !== '') {
      // Only a folder one side has knows its files (all new, or all gone), and so what its rows leave.
      const [added, removed] = whole === null ? [0, 0] : [node.added - sum((child) => child.added), node.removed - sum((child) => child.removed)];
      rows.push(rowOf(node, 'other', node.delta - sum((child) => child.delta), added, removed));
    }
  }
  return rows;
}

/** One side's folders (as folderSizes lists them); `complete` when none were cut, so a folder it lacks has no files there. */
export interface FolderSummary {
  folders: readonly FolderSize[];
  complete: boolean;
}

/** An inventory's folders (Inventory.folders) as a summary: one shorter than INVENTORY_FOLDERS was not cut. */
export function inventorySummary(folders: readonly FolderSize[]): FolderSummary {
  return { folders, complete: folders.length < INVENTORY_FOLDERS };
}

/** Whether a side's folders can stand in for its files: they hold the root, which every summary keeps. */
export function hasFolderSummary(folders: readonly FolderSize[]): boolean {
  return folders.some((folder) => folder.path === '');
}

/**
 * The path rows between two images from their folder summaries, largest change first, cut
 * to `limit`, then `hidden` (`deltaBytes` minus the change in visible bytes, that is the
 * change in hidden bytes) and `rest`, each when non-zero: together they add up to
 * `deltaBytes` exactly. File counts are known only for folders one side has (all their
 * files are new or gone); the other rows count none.
 */
export function folderChanges(
  head: FolderSummary,
  base: FolderSummary,
  deltaBytes: number,
  limit = MAX_PATH_ROWS
): { rows: PathChange[]; total: number } {
  const order = folderTree(head.folders, base.folders);
  resolveSide(order, 'head', head.complete);
  resolveSide(order, 'base', base.complete);
  measure(order);
  const root = order[0]!;
  // The root holds every visible byte; a summary without one (not made by this tool) leaves everything to `rest` and `hidden`.
  const visibleDelta = (root.head?.bytes ?? 0) - (root.base?.bytes ?? 0);
  return finishRows(known(root) ? chooseRows(root) : [], visibleDelta, deltaBytes, limit, null);
}
