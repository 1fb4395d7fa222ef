/**
 * What grew: the compact data kept per image (its inventory) and the change record
 * computed from two of them. The inventory is small and self-contained, so a stored
 * report can be compared later without its image; the README documents both shapes.
 */
import type { LayerReport } from './report.js';

export type PackageManager = 'dpkg' | 'apk' | 'python' | 'npm';

/** A package installed in an image, with the bytes its own files take in the final filesystem. */
export interface InstalledPackage {
  manager: PackageManager;
  /** As the package manager names it (`libpq5`, `numpy`, `@babel/core`). */
  name: string;
  version: string;
  /** Bytes of its files that a container sees (regular files and symlinks; folders are free). */
  bytes: number;
  /** How many of its files a container sees. */
  files: number;
  /** Where it is installed, for display: the dist-info or node_modules folder (`/app/node_modules/express`); null for dpkg and apk. */
  location: string | null;
}

/** A folder of the final filesystem with everything below it. */
export interface FolderSize {
  /** Normalised path (no leading `/`, `''` for the root), as a binary (latin1) string. */
  path: string;
  bytes: number;
  files: number;
}

/** Per-image data the change record is computed from: small enough to keep in a stored report. */
export interface Inventory {
  /** The base image the built stage comes from (`python:3.12-slim`); null when unknown (an image given by reference). */
  baseImage: string | null;
  /** Uncompressed bytes of the image (what every change adds up to). */
  bytes: number;
  /** Bytes a container sees: regular files (a hard-linked one once) and symlinks of the final filesystem. */
  visibleBytes: number;
  /** Bytes shipped in layers but hidden by later ones (`bytes - visibleBytes`), base image included. */
  hiddenBytes: number;
  /** Files a container sees. */
  files: number;
  /** The largest folders, with every ancestor of a kept folder kept too, sorted by path. */
  folders: FolderSize[];
  /** Installed packages, sorted by manager, name and location. */
  packages: InstalledPackage[];
  /** Why the package list may be incomplete (a package database too big to read); null when complete. */
  packagesNote: string | null;
}

/** One row "by line": the layers one instruction made, on each side. */
export interface LineChange {
  /** `base` for the base image's layers (the FROM), `instruction` for the Dockerfile's own, `unknown` for layers of unknown origin. */
  kind: 'base' | 'instruction' | 'unknown';
  /** The stage that ran it (`build`, `#0` for an unnamed one); null for the base image or unknown. */
  stage: string | null;
  /** The instruction (`RUN pip install -r requirements.txt`, shortened); for `base`, `FROM <image>`. */
  instruction: string | null;
  /** The base branch's instruction when its text changed (paired by stage and keyword); null when the same. */
  baseInstruction: string | null;
  /** Its line in the PR's Dockerfile, and in the base branch's; null on a side it is missing from. */
  line: number | null;
  baseLine: number | null;
  /** For `base`: the base image on each side (null when unknown). */
  image: { before: string | null; after: string | null } | null;
  /** Uncompressed bytes of its layers on each side; null on a side it is missing from (added or removed row). */
  headBytes: number | null;
  baseBytes: number | null;
  deltaBytes: number;
}

export type PathChangeKind =
  | 'new' // a file or folder the base image does not have
  | 'removed' // a file or folder the PR's image no longer has
  | 'grew' // one file that grew, or a folder whose changes all grew (by folder: a folder that grew overall)
  | 'shrank'
  | 'changed' // a folder with files added, removed, grown and shrunk together
  | 'other' // the changes inside a folder that no listed row below it covers
  | 'rest' // everything not listed
  | 'hidden'; // copies hidden by later layers (deleted or replaced files still shipped)

/** One row "by path": a file or folder of the final filesystem, or the rows that make the sum exact. */
export interface PathChange {
  kind: PathChangeKind;
  /** Display path (`/usr/lib/python3/dist-packages/numpy`); null for `rest` and `hidden`. */
  path: string | null;
  /** True when the row stands for a folder. */
  folder: boolean;
  deltaBytes: number;
  /** Files behind the row: added, removed, grown, shrunk. */
  added: number;
  removed: number;
  grew: number;
  shrank: number;
}

export type PackageChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'changed' | 'resized';

/** One row "by package". */
export interface PackageChange {
  manager: PackageManager;
  name: string;
  kind: PackageChangeKind;
  /** The version(s) on each side (`1.24.2`, or `1.0.0, 2.1.0` when several copies are installed); null when absent. */
  before: string | null;
  after: string | null;
  baseBytes: number;
  headBytes: number;
  deltaBytes: number;
}

/** A cache folder (see LeftoverCache) that the PR left, removed, or changed in size. */
export interface CacheChange {
  path: string;
  kind: string;
  baseBytes: number;
  headBytes: number;
  deltaBytes: number;
  /** The PR's Dockerfile line that left most of it; null when gone or unknown. */
  line: number | null;
}

/** How the PR's image differs from the base branch's, three ways, each adding up to `deltaBytes`. */
export interface ChangeRecord {
  /** Head minus base, uncompressed: the image's delta. */
  deltaBytes: number;
  /** Every row by Dockerfile line, largest change first; their deltas add up to `deltaBytes` exactly. */
  lines: LineChange[];
  /**
   * The largest path rows, then a `hidden` row (change in copies hidden by later layers) and a `rest`
   * row when non-zero: together they add up to `deltaBytes` exactly. Null when neither both sides'
   * files nor both sides' folder summaries (Inventory.folders) are at hand.
   */
  paths: PathChange[] | null;
  /**
   * What the path rows were made from: `files`, both final filesystems file by file; `folders`, the
   * folder summaries, when one side is a stored report (rows are folders, their changes net); null with `paths`.
   */
  pathsFrom: 'files' | 'folders' | null;
  /** How many path rows there were before the list was cut to the largest (the rest are in `rest`). */
  pathRowsTotal: number;
  /** Packages added, removed, up- or downgraded or resized, largest change first (see Inventory.packagesNote for what could not be read). */
  packages: PackageChange[];
  /** Wasted bytes (the Dockerfile's own) on each side. */
  waste: { baseBytes: number; headBytes: number; deltaBytes: number } | null;
  caches: CacheChange[];
}

/** What a change record is computed from, per side. */
export interface ChangeSide {
  inventory: Inventory;
  layers: LayerReport[];
  /** Wasted bytes of the Dockerfile's own layers. */
  wastedBytes: number | null;
  caches: Array<{ path: string; kind: string; bytes: number; line: number | null }>;
}
