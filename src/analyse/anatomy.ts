/**
 * Layer anatomy: from the layer tables of an image (model.ts) and the origin of
 * each layer (history.ts), the per-layer table, the wasted bytes and the
 * leftover caches. Pure: no I/O.
 *
 * The layers are overlaid bottom to top as the OCI image spec says. In layer L,
 * `D/.wh.NAME` deletes `D/NAME` (and all below it) from the layers under L, and
 * `D/.wh..wh..opq` hides everything the layers under L put in `D`; then L's own
 * entries are added, each replacing what lower layers had at its path (a file
 * where a folder was hides the folder's subtree, and the other way round). The
 * filesystem is held as a tree of folders with child maps, so a deletion costs
 * what the deleted folder contains, and memory grows with the number of entries.
 *
 * Wasted bytes are the copies that ship but cannot be seen: a regular file's copy
 * in layer i is wasted when a later layer deletes or replaces it. Only that
 * avoidable copy counts, never the visible one that replaced it. Hard links share
 * one copy: it is wasted only once no link to it is visible any more.
 *
 * Wasted paths are grouped per removal: all files a single deletion or replacement
 * of a folder took away (a whiteout of the folder, an opaque whiteout of it, or an
 * entry of another kind at its path) that were added by the same layer make one
 * row (`/tmp/build` with `files: 3201`), with their summed bytes. A removal that takes a
 * single file is shown as that file's path. Files deleted one by one (a whiteout
 * each) stay one row each. Only the largest rows are kept; the exact totals of every
 * pair of layers (`Waste.byLines`) are kept whole, for advice that states bytes.
 *
 * Package-manager bookkeeping (bookkeeping.ts) added by a layer of unknown origin
 * (an image without a Dockerfile) is counted apart: it is rewritten on every install
 * and no Dockerfile change avoids it, so it is not the avoidable `bytes`.
 */
import type { LayerReport, LeftoverCache, Waste, WastedPath, WastePair } from '../model/report.js';
import { bookkeepingArea, type BookkeepingArea } from './bookkeeping.js';
import { CACHE_MIN_BYTES, MAX_CACHE_DEPTH, cacheOf } from './caches.js';
import type { LayerOrigin } from './history.js';
import type { ImageArchive, LayerEntry } from './model.js';
import { compareCodeUnits, FinalFiles } from './final-files.js';
import { displayPath, isWhiteout, whiteoutTarget } from './paths.js';

export interface Anatomy {
  /** Uncompressed bytes: the sum of every layer's regular-file bytes (what docker counts). */
  bytes: number;
  /** Sum of the layers' gzip-compressed bytes; null when any layer has none. */
  compressedBytes: number | null;
  layers: LayerReport[];
  wasted: Waste;
  caches: LeftoverCache[];
}

/** The anatomy, and the final filesystem it was worked out on (for the inventory and for comparing with another image). */
export interface ImageAnalysis extends Anatomy {
  /** The files a container sees. */
  files: FinalFiles;
  /** The kept files (LayerContents.kept) that a container still sees, by normalised path. */
  kept: Map<string, Buffer>;
}

export interface AnatomyOptions {
  /** How many wasted paths to keep, largest first (default 20). */
  topPaths?: number;
}

export const DEFAULT_TOP_PATHS = 20;

const UNKNOWN_ORIGIN: LayerOrigin = { fromBase: null, instruction: null, line: null, stage: null };

/** One copy of a regular file's content (or a symlink's target), shared by its hard links. */
interface Inode {
  bytes: number;
  /** Layer whose tar holds the bytes. */
  layer: number;
  /** Visible paths naming it. */
  links: number;
  /** A symlink: its bytes are what a container sees, but a hidden one is not counted as waste. */
  symlink: boolean;
}

interface TreeNode {
  name: string;
  parent: TreeNode | null;
  /** Set for a folder. */
  children: Map<string, TreeNode> | null;
  /** Set for a regular file, a symlink, or a hard link to one. */
  inode: Inode | null;
}

/** One deletion or replacement: what every copy it wastes is grouped under. */
interface Removal {
  /** Layer that deleted or replaced. */
  layer: number;
  /** The path removed (a file, or a folder whose contents went). */
  root: string;
}

interface WasteGroup {
  root: string;
  /** The first wasted file's path: the row's name when the group holds one file. */
  path: string;
  files: number;
  bytes: number;
  addedInLayer: number;
  removedInLayer: number;
  bookkeeping: boolean;
}

function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

function newFolder(name: string, parent: TreeNode | null): TreeNode {
  return { name, parent, children: new Map(), inode: null };
}

/** The overlaid filesystem and the copies it wasted on the way. */
class Overlay {
  readonly root = newFolder('', null);
  readonly groups = new Map<string, WasteGroup>();

  /** `unknownLayer` tells the layers whose origin is unknown: their bookkeeping copies are not avoidable. */
  constructor(private readonly unknownLayer: (layer: number) => boolean) {}

  /** The node at a normalised path, or null. */
  lookup(path: string): TreeNode | null {
    if (path === '') return this.root;
    let node: TreeNode = this.root;
    for (const name of path.split('/')) {
      const child = node.children?.get(name);
      if (child === undefined) return null;
      node = child;
    }
    return node;
  }

  /** Applies a layer's whiteouts to what the layers below it built. */
  applyWhiteouts(entries: LayerEntry[], layer: number): void {
    for (const entry of entries) {
      const target = whiteoutTarget(entry.path);
      if (target === null) continue;
      if (target.kind === 'file') {
        const node = this.lookup(target.path);
        if (node !== null && node !== this.root) this.detach(node, target.path, { layer, root: target.path });
      } else {
        const folder = this.lookup(target.dir);
        if (folder?.children == null) continue;
        const removal = { layer, root: target.dir };
        for (const child of folder.children.values()) this.release(child, joinPath(target.dir, child.name), removal);
        folder.children.clear();
      }
    }
  }

  /** Adds a layer's own entries (whiteouts excluded), replacing lower ones at the same paths. */
  addEntries(entries: LayerEntry[], layer: number): void {
    for (const entry of entries) {
      if (entry.path === '' || isWhiteout(entry.path)) continue;
      const names = entry.path.split('/');
      const name = names.pop()!;
      let parent = this.root;
      for (let depth = 0; depth < names.length; depth++) {
        const folderName = names[depth]!;
        let child = parent.children!.get(folderName);
        if (child?.children == null) {
          // Missing, or a non-folder in the way: this layer makes it a folder.
          if (child !== undefined) {
            const path = names.slice(0, depth + 1).join('/');
            this.release(child, path, { layer, root: path });
          }
          child = newFolder(folderName, parent);
          parent.children!.set(folderName, child);
        }
        parent = child;
      }
      const existing = parent.children!.get(name);
      if (entry.kind === 'directory') {
        if (existing?.children != null) continue; // folders merge
        if (existing !== undefined) this.release(existing, entry.path, { layer, root: entry.path });
        parent.children!.set(name, newFolder(name, parent));
        continue;
      }
      let inode: Inode | null = null;
      if (entry.kind === 'file' || entry.kind === 'symlink') inode = { bytes: entry.bytes, layer, links: 0, symlink: entry.kind === 'symlink' };
      else if (entry.kind === 'hardlink' && entry.linkTarget !== null) {
        const target = this.lookup(entry.linkTarget);
        if (target !== null && target === existing) continue; // a link to itself changes nothing
        inode = target?.inode ?? null;
      }
      if (inode !== null) inode.links++;
      if (existing !== undefined) this.release(existing, entry.path, { layer, root: entry.path });
      parent.children!.set(name, { name, parent, children: null, inode });
    }
  }

  /** Removes a node from its folder and releases everything below it. */
  private detach(node: TreeNode, path: string, removal: Removal): void {
    node.parent?.children?.delete(node.name);
    this.release(node, path, removal);
  }

  /** Drops the links of a node and its subtree; a copy whose last link goes is wasted. */
  private release(node: TreeNode, path: string, removal: Removal): void {
    // Paths below `node` are spelled out only for a row's name: building each one would cost the
    // square of the depth in a deep tree. Only the few folders above a bookkeeping path get theirs,
    // to tell which of their files are bookkeeping.
    const stack: Array<[TreeNode, BookkeepingArea, string]> = [[node, bookkeepingArea(path), path]];
    while (stack.length > 0) {
      const [current, area, currentPath] = stack.pop()!;
      if (current.children !== null) {
        for (const child of current.children.values()) {
          if (area !== 'above') {
            stack.push([child, area, '']);
            continue;
          }
          const childPath = joinPath(currentPath, child.name);
          stack.push([child, bookkeepingArea(childPath), childPath]);
        }
        continue;
      }
      const inode = current.inode;
      if (inode === null) continue;
      inode.links--;
      if (inode.links === 0 && inode.bytes > 0 && !inode.symlink) {
        const bookkeeping = area === 'inside' && this.unknownLayer(inode.layer);
        this.waste(inode, () => pathBelow(node, path, current), removal, bookkeeping);
      }
    }
  }

  private waste(inode: Inode, path: () => string, removal: Removal, bookkeeping: boolean): void {
    const key = `${removal.root}\u0000${inode.layer}\u0000${removal.layer}\u0000${bookkeeping}`;
    const group = this.groups.get(key);
    if (group === undefined) {
      this.groups.set(key, {
        root: removal.root,
        path: path(),
        files: 1,
        bytes: inode.bytes,
        addedInLayer: inode.layer,
        removedInLayer: removal.layer,
        bookkeeping
      });
    } else {
      group.files++;
      group.bytes += inode.bytes;
    }
  }
}

/** The path of `node`, which lies in the subtree of `top` (at `topPath`). */
function pathBelow(top: TreeNode, topPath: string, node: TreeNode): string {
  const names: string[] = [];
  for (let current: TreeNode | null = node; current !== null && current !== top; current = current.parent) names.push(current.name);
  names.reverse();
  return names.length === 0 ? topPath : joinPath(topPath, names.join('/'));
}

function originOf(origins: LayerOrigin[], layer: number): LayerOrigin {
  return origins[layer] ?? UNKNOWN_ORIGIN;
}

function wasteOf(groups: Iterable<WasteGroup>, origins: LayerOrigin[], topPaths: number): Waste {
  let bytes = 0;
  let baseBytes = 0;
  let bookkeepingBytes = 0;
  const paths: WastedPath[] = [];
  const pairs = new Map<string, WastePair>();
  for (const group of groups) {
    const inBase = originOf(origins, group.addedInLayer).fromBase === true;
    const { bookkeeping } = group;
    if (inBase) baseBytes += group.bytes;
    else if (bookkeeping) bookkeepingBytes += group.bytes;
    else bytes += group.bytes;
    const where = {
      addedAtLine: originOf(origins, group.addedInLayer).line,
      removedAtLine: originOf(origins, group.removedInLayer).line,
      addedInLayer: group.addedInLayer,
      removedInLayer: group.removedInLayer,
      inBase
    };
    paths.push({ path: displayPath(group.files === 1 ? group.path : group.root), files: group.files, bytes: group.bytes, ...where, bookkeeping });
    const key = `${group.addedInLayer}:${group.removedInLayer}:${bookkeeping}`;
    const pair = pairs.get(key);
    if (pair === undefined) pairs.set(key, { ...where, bytes: group.bytes, files: group.files, bookkeeping });
    else {
      pair.bytes += group.bytes;
      pair.files += group.files;
    }
  }
  paths.sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.addedInLayer - b.addedInLayer));
  const byLines = [...pairs.values()].sort(
    (a, b) =>
      b.bytes - a.bytes || a.addedInLayer - b.addedInLayer || a.removedInLayer - b.removedInLayer || Number(a.bookkeeping) - Number(b.bookkeeping)
  );
  return { bytes, baseBytes, bookkeepingBytes, paths: paths.slice(0, topPaths), byLines };
}

interface CacheTally {
  kind: LeftoverCache['kind'];
  bytes: number;
  files: number;
  inodes: Set<Inode>;
  bytesByLayer: Map<number, number>;
}

/** The visible files under well-known caches, one tally per cache folder. */
function cachesOf(root: TreeNode, origins: LayerOrigin[]): LeftoverCache[] {
  const tallies = new Map<string, CacheTally>();
  const count = (tally: CacheTally, node: TreeNode): void => {
    const stack = [node];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (current.children !== null) {
        for (const child of current.children.values()) stack.push(child);
        continue;
      }
      const inode = current.inode;
      if (inode === null || inode.symlink) continue;
      tally.files++;
      if (tally.inodes.has(inode)) continue;
      tally.inodes.add(inode);
      tally.bytes += inode.bytes;
      tally.bytesByLayer.set(inode.layer, (tally.bytesByLayer.get(inode.layer) ?? 0) + inode.bytes);
    }
  };
  // Walk the folders outside caches; a folder that is a cache is tallied whole. Caches lie at most
  // MAX_CACHE_DEPTH folders down, so the walk goes no deeper, however deep the image's folders are.
  const folders: Array<[TreeNode, string, number]> = [[root, '', 0]];
  while (folders.length > 0) {
    const [folder, path, depth] = folders.pop()!;
    for (const child of folder.children!.values()) {
      if (child.children === null) continue;
      const childPath = joinPath(path, child.name);
      const cache = cacheOf(childPath);
      if (cache === null) {
        if (depth + 1 < MAX_CACHE_DEPTH) folders.push([child, childPath, depth + 1]);
        continue;
      }
      let tally = tallies.get(cache.root);
      if (tally === undefined) {
        tally = { kind: cache.kind, bytes: 0, files: 0, inodes: new Set(), bytesByLayer: new Map() };
        tallies.set(cache.root, tally);
      }
      count(tally, child);
    }
  }
  const caches: LeftoverCache[] = [];
  for (const [path, tally] of tallies) {
    if (tally.bytes < CACHE_MIN_BYTES) continue;
    let topLayer = -1;
    let topBytes = -1;
    for (const [layer, bytes] of [...tally.bytesByLayer].sort((a, b) => a[0] - b[0])) {
      if (bytes > topBytes) [topLayer, topBytes] = [layer, bytes];
    }
    const origin = originOf(origins, topLayer);
    caches.push({ path, kind: tally.kind, bytes: tally.bytes, files: tally.files, line: origin.line, fromBase: origin.fromBase });
  }
  return caches.sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Every path a container sees with its bytes; a hard-linked file's bytes go to the first of its
 * paths in path order only, so two images holding the same links agree whatever order their
 * layers named the paths in (the walk's order would follow the tree's insertion order).
 */
function finalFiles(root: TreeNode): FinalFiles {
  const found: Array<[string, Inode]> = [];
  const stack: Array<[TreeNode, string]> = [[root, '']];
  while (stack.length > 0) {
    const [folder, path] = stack.pop()!;
    for (const child of folder.children!.values()) {
      const childPath = joinPath(path, child.name);
      if (child.children !== null) stack.push([child, childPath]);
      else if (child.inode !== null) found.push([childPath, child.inode]);
    }
  }
  // Each path occurs once in the tree: sorted here, the list is what FinalFiles holds.
  found.sort((a, b) => compareCodeUnits(a[0], b[0]));
  const seen = new Set<Inode>();
  const bytes = new Float64Array(found.length);
  found.forEach(([, inode], index) => {
    bytes[index] = seen.has(inode) ? 0 : inode.bytes;
    seen.add(inode);
  });
  return FinalFiles.sorted(
    found.map(([path]) => path),
    bytes
  );
}

/** The kept files that are still what a container sees at their path (not deleted or replaced by a later layer). */
function visibleKept(overlay: Overlay, archive: ImageArchive): Map<string, Buffer> {
  const kept = new Map<string, Buffer>();
  for (const [index, layer] of archive.layers.entries()) {
    for (const [path, data] of layer.kept) {
      const inode = overlay.lookup(path)?.inode;
      if (inode != null && !inode.symlink && inode.layer === index) kept.set(path, data);
    }
  }
  return kept;
}

/**
 * The anatomy of an image: its layers with their origins, the bytes wasted in
 * them, and the caches left in its final filesystem. `origins` has one entry per
 * layer (layerOrigins in history.ts); missing entries count as unknown.
 */
export function analyseImage(archive: ImageArchive, origins: LayerOrigin[], options: AnatomyOptions = {}): ImageAnalysis {
  const topPaths = options.topPaths ?? DEFAULT_TOP_PATHS;
  const overlay = new Overlay((layer) => originOf(origins, layer).fromBase === null);
  const layers: LayerReport[] = [];
  let bytes = 0;
  let compressedBytes: number | null = 0;
  for (const [index, layer] of archive.layers.entries()) {
    overlay.applyWhiteouts(layer.entries, index);
    overlay.addEntries(layer.entries, index);
    bytes += layer.fileBytes;
    compressedBytes = compressedBytes === null || layer.compressedBytes === null ? null : compressedBytes + layer.compressedBytes;
    // Sizes come from the archive: refuse a sum no byte count can reach rather than report "Infinity TB".
    if (!Number.isSafeInteger(bytes) || (compressedBytes !== null && !Number.isSafeInteger(compressedBytes))) {
      throw new Error(`the image's layers add up to more than 9 PB (at layer ${index}): the archive is corrupt`);
    }
    const origin = originOf(origins, index);
    layers.push({
      index,
      fromBase: origin.fromBase,
      instruction: origin.instruction,
      line: origin.line,
      stage: origin.stage,
      bytes: layer.fileBytes,
      compressedBytes: layer.compressedBytes,
      files: layer.entries.reduce((files, entry) => (entry.kind === 'directory' || isWhiteout(entry.path) ? files : files + 1), 0)
    });
  }
  return {
    bytes,
    compressedBytes,
    layers,
    wasted: wasteOf(overlay.groups.values(), origins, topPaths),
    caches: cachesOf(overlay.root, origins),
    files: finalFiles(overlay.root),
    kept: visibleKept(overlay, archive)
  };
}
