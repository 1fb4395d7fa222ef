/**
 * The report record: every stage fills part of one `ImageReport` per image, and
 * the PR comment, the job summary, the CLI table and the `report` output are all
 * renderings of the same `Report`. The README documents this shape; keep the two
 * in step.
 */
import type { ImageLimits } from '../limits/index.js';
import type { ChangeRecord, Inventory } from './change.js';
import type { Breach, BudgetMetric } from './limits.js';
import type { Trend } from './trend.js';

/** Outcome of one image, most severe first when several apply. */
export type ImageStatus =
  | 'failed' // the PR's image could not be built or read
  | 'over-budget' // bigger than its budget, or more wasted bytes than `max-wasted` allows
  | 'over-increase' // grew more than `max-increase` allows against the base branch
  | 'new' // no image of this name on the base branch
  | 'removed' // on the base branch, gone in the PR
  | 'unchanged' // same bytes as on the base branch
  | 'ok';

/** How the PR's image compares with the base branch's image of the same name. */
export type Comparison =
  | 'changed'
  | 'unchanged'
  | 'new'
  | 'removed'
  | 'base-failed' // the base branch's image failed to build: no delta
  | 'not-compared'; // comparison disabled or unavailable

export interface SizeFigures {
  /** Uncompressed bytes: the sum of regular-file sizes in the image's layers (base included). */
  bytes: number;
  /** gzip-compressed bytes as a registry stores them and `docker pull` transfers; null when not measured. */
  compressedBytes: number | null;
  /** What `docker images` / `docker image inspect .Size` reported; null for an image read from an archive. */
  dockerBytes: number | null;
}

/** One layer of the image, bottom (0) to top. */
export interface LayerReport {
  index: number;
  /** True for layers of the base image (`FROM`), false for the Dockerfile's own; null when unknown. */
  fromBase: boolean | null;
  /** The instruction that made it, e.g. `RUN pip install -r requirements.txt` (shortened); null when unknown. */
  instruction: string | null;
  /** 1-based line of that instruction in the Dockerfile; null when unknown. */
  line: number | null;
  /** The stage that ran it: its `AS` name, or `#N` for an unnamed one (0-based); null when unknown or in the base image. */
  stage: string | null;
  /** Uncompressed bytes (regular files in the layer). */
  bytes: number;
  compressedBytes: number | null;
  /** Entries in the layer that are not directories or whiteouts. */
  files: number;
}

/** A path whose bytes ship in a layer but are hidden by a later one (deleted or replaced). */
export interface WastedPath {
  /** Path inside the image, for display (`/var/cache/apt/archives/x.deb`); a folder when `files` > 1. */
  path: string;
  /** How many files the row stands for: a folder deleted as a whole is one row. */
  files: number;
  bytes: number;
  /** Dockerfile lines that added and that removed or replaced it; null when unknown or in the base image. */
  addedAtLine: number | null;
  removedAtLine: number | null;
  addedInLayer: number;
  removedInLayer: number;
  /** True when the copy that is wasted sits in a base-image layer. */
  inBase: boolean;
  /**
   * True for package-manager bookkeeping (dpkg/apk/rpm databases, debconf, ld.so.cache, their logs) added by a layer
   * of unknown origin: rewritten on every install, no Dockerfile change avoids it. Absent in reports of older versions.
   */
  bookkeeping?: boolean;
}

/** All copies wasted between one pair of layers: added by one, deleted or replaced by the other. */
export interface WastePair {
  /** Dockerfile lines of the two layers; null when unknown or in the base image. */
  addedAtLine: number | null;
  removedAtLine: number | null;
  addedInLayer: number;
  removedInLayer: number;
  /** The exact total of every copy wasted between the two layers, however many paths. */
  bytes: number;
  files: number;
  inBase: boolean;
  bookkeeping: boolean;
}

/** The wasted copies. `bytes`, `baseBytes` and `bookkeepingBytes` split them: each copy counts in exactly one. */
export interface Waste {
  /** Avoidable bytes in the Dockerfile's own layers (or in layers of unknown origin), bookkeeping excluded. */
  bytes: number;
  /** Bytes wasted inside the base image's layers (not the Dockerfile's doing). */
  baseBytes: number;
  /**
   * Package-manager bookkeeping (WastedPath.bookkeeping) that layers of unknown origin (an image given without a
   * Dockerfile) added and later ones rewrote: not avoidable, so not in `bytes`. Absent in reports of older versions.
   */
  bookkeepingBytes?: number;
  /** The largest wasted paths, largest first (at most a few dozen). */
  paths: WastedPath[];
  /**
   * Every pair of layers that wasted copies, largest first, with exact totals: the rows with neither `inBase` nor
   * `bookkeeping` add up to `bytes`. Absent in reports of older versions.
   */
  byLines?: WastePair[];
}

export type CacheKind = 'apk' | 'apt' | 'yum' | 'dnf' | 'pip' | 'npm' | 'yarn' | 'pnpm' | 'go' | 'cargo' | 'maven' | 'gradle' | 'tmp';

/** Bytes left in the final filesystem under a well-known package-manager or build cache. */
export interface LeftoverCache {
  /** The cache folder, for display (`/var/cache/apk`, `/root/.cache/pip`). */
  path: string;
  kind: CacheKind;
  bytes: number;
  files: number;
  /** Dockerfile line of the layer that left most of these bytes; null when unknown or from the base image. */
  line: number | null;
  fromBase: boolean | null;
}

/**
 * A piece of advice on one image: a size rule that fired on a Dockerfile line, or a
 * smaller base image. Ordered by savings in the report (measured first).
 */
export interface Finding {
  /** Stable id, e.g. `apt-lists-left`, `apk-no-cache`, `base-slim`; usable in `ignore:` and inline comments. */
  rule: string;
  /** 1-based Dockerfile line the advice is about; null when it is about the image as a whole. */
  line: number | null;
  severity: 'warning' | 'notice';
  /** One line: what is wrong and why it costs bytes. */
  message: string;
  /** How to fix it: a sentence, and for base images and multi-stage builds a short Dockerfile sketch. */
  fix: string;
  /** What the fix would save; null when unknown. */
  savingsBytes: number | null;
  /** Which figure `savingsBytes` is: compressed for base images (as the registry stores them), uncompressed for layers. */
  savingsMetric: 'compressed' | 'uncompressed' | null;
  /** True when the bytes were measured (in this image's layers or in the registry), false when estimated or unknown. */
  measured: boolean;
  /** The fix as a change of the Dockerfile, when it is mechanical (what verification builds); null otherwise. */
  patch: Patch | null;
  /** What building the image with the patch applied showed (`verify-advice`); null when it was not tried. */
  verification: Verification | null;
}

/** Lines `line`..`endLine` of the Dockerfile (1-based, inclusive) replaced by `text` (one or more lines). */
export interface Patch {
  line: number;
  endLine: number;
  text: string;
}

/**
 * A fix tried for real: the image built again from a copy of its Dockerfile with the patch applied (same context,
 * args and target) and measured like any image. `builds`: it built, and `bytes` is what it weighs; `fails`: the
 * build failed (`message` says where and why, `logTail` shows the end of its log); `timed-out`: the time budget
 * ran out during the build; `skipped`: not tried, the image's time budget was spent (`message` says so).
 */
export interface Verification {
  outcome: 'builds' | 'fails' | 'timed-out' | 'skipped';
  /** The patched image's uncompressed and compressed bytes; null unless it built. */
  bytes: number | null;
  compressedBytes: number | null;
  /** The image's bytes minus the patched image's (uncompressed; negative when it grew); null unless it built. */
  savingsBytes: number | null;
  /** The same in compressed bytes, when both were measured. */
  compressedSavingsBytes: number | null;
  /** Seconds the build and measurement took. */
  seconds: number;
  /** For a failure: `fails on python:3.12-alpine at line 8: gcc: not found`; for a skip, why. Null when it built. */
  message: string | null;
  logTail: string | null;
}

/**
 * What the image runs: the program its ENTRYPOINT/CMD starts, found in the image's final filesystem
 * (PATH searched, symlinks followed) and read from its headers.
 * `static`: an ELF binary with no loader and no libraries (it runs on `scratch`); `dynamic`: an ELF binary with a
 * loader and libraries; `script`: a `#!` script; `other`: a file that is neither; `missing`: no such file in the
 * image; `unknown`: the command could not be read (a shell form that is more than a command).
 */
export type EntrypointKind = 'static' | 'dynamic' | 'script' | 'other' | 'missing' | 'unknown';

export interface Entrypoint {
  /** ENTRYPOINT then CMD, as the image config holds them (a shell form is `/bin/sh -c "…"`). */
  command: string[];
  /** The program: the exec form's first word, or the first word of a shell form's command; null when none could be read. */
  program: string | null;
  /** The file it is in the image, after PATH and symlinks (`/usr/local/bin/app`); null when not found. */
  path: string | null;
  kind: EntrypointKind;
  /** ELF: the loader (`/lib64/ld-linux-x86-64.so.2`); script: the `#!` line's interpreter; else null. */
  interpreter: string | null;
  /** ELF: the shared libraries it needs (`libc.so.6`); [] for a static binary; null when unknown or not ELF. */
  needed: string[] | null;
  /** ELF: the machine (`x86-64`, `aarch64`); null otherwise. */
  machine: string | null;
  /** Bytes of the file; null when not found. */
  bytes: number | null;
  /** The layer (0 = bottom) that holds the file; null when not found. */
  layer: number | null;
  /** The config's USER (`app`, `1000:1000`); null when it runs as root by default. */
  user: string | null;
}

/** The digest of what a build of the image can see (Dockerfile, context after .dockerignore, args, target, platform, base images). */
export interface BuildInputs {
  /** `sha256:…`; null when unknown (a base image or a file could not be read): unknown never equals anything. */
  digest: string | null;
  /** Why the digest is unknown; null when known. */
  unknown: string | null;
}

/**
 * Why an image was not built for a side: `same-inputs`, built once from the PR and used for the base
 * branch too; `stored`, not built at all, its measurement is the base commit's stored report's.
 */
export type Reuse = 'same-inputs' | 'stored';

/** One image's record. Its limits (`budget`, `maxIncrease`, `maxWasted`) are those of the PR's image; a removed image has none. */
export interface ImageReport extends ImageLimits {
  /** Display name: the config's key, or the Dockerfile's repo-relative path. */
  name: string;
  /** Repo-relative POSIX path of the Dockerfile, or null for an image given by reference. */
  dockerfile: string | null;
  /** Repo-relative POSIX path of the build context. */
  context: string | null;
  /** Image reference given through the `images` input (measured, not built). */
  image: string | null;
  status: ImageStatus;
  comparison: Comparison;
  size: SizeFigures | null;
  base: { bytes: number; compressedBytes: number | null } | null;
  delta: { bytes: number; percent: number | null } | null;
  /** Layer anatomy of the PR's image; null when the image could not be read. */
  layers: LayerReport[] | null;
  wasted: Waste | null;
  caches: LeftoverCache[] | null;
  /** The PR image's folder sizes and packages (what a later run compares with); null when it was not read layer by layer. */
  inventory: Inventory | null;
  /** What changed against the base branch's image, by line, path and package; null unless both were read and differ. */
  change: ChangeRecord | null;
  /** What the PR's image runs (its ENTRYPOINT/CMD program and what kind of file that is); null when it names none or was not read. */
  entrypoint: Entrypoint | null;
  /** Advice with numbers, largest measured savings first; empty when there is nothing to say. */
  findings: Finding[];
  /** The limits the PR's image broke, with the figures (a failed build is one); empty when it is within them. */
  breaches: Breach[];
  /** Why this status, in words (one line each): the breaches, then notes (new image, a limit that could not be checked, …). */
  reasons: string[];
  /** Set when the PR's image failed to build or be measured. */
  error: { message: string; logTail: string } | null;
  /** Set when the base branch's image failed to build. */
  baseError: { message: string; logTail: string } | null;
  /** The PR image's build-input digest; null for an image given by reference. */
  buildInputs: BuildInputs | null;
  /** Set when the image was not rebuilt because its build inputs equal the base branch's; null when it was built as usual. */
  reused: Reuse | null;
}

/** Where the base side of the comparison came from, and why. */
export interface BaselineInfo {
  /**
   * `stored`: the report the base commit's own run kept (images with the same build inputs are not built);
   * `published`: every image's base side read from the image the base branch published (config `base-image`);
   * `build`: built from the base commit in a worktree (images with a published base image read from it); `none`: not compared.
   */
  source: 'stored' | 'published' | 'build' | 'none';
  /** Why this route, in one line (e.g. why no stored report could be used); null when there is nothing to say. */
  note: string | null;
  /** The workflow run that stored the baseline; only for `stored`. */
  run: { id: number; url: string | null } | null;
}

export interface Report {
  /** Bumped when the shape changes incompatibly. */
  version: 1;
  /** Which figure `size.bytes` is. */
  sizeMetric: 'uncompressed bytes: regular files in all layers';
  /** The base branch commit compared with, when comparison ran. */
  base: { ref: string; sha: string } | null;
  /** Why there is no comparison although one was asked for. */
  baseError: string | null;
  /** Where the base side came from. */
  baseline: BaselineInfo;
  /** The base branch's size history from its stored reports, oldest first; null when there is none. */
  trend: Trend | null;
  images: ImageReport[];
  totals: {
    bytes: number;
    baseBytes: number | null;
    deltaBytes: number | null;
    /** null when any measured image has no compressed figure. */
    compressedBytes: number | null;
    wastedBytes: number;
  };
  /** True when any image is failed, over budget or over its increase limit. */
  overBudget: boolean;
}

const FAILING: ReadonlySet<ImageStatus> = new Set<ImageStatus>(['failed', 'over-budget', 'over-increase']);

/** Statuses that fail the job (with `fail-on: budget`). */
export function isFailing(status: ImageStatus): boolean {
  return FAILING.has(status);
}

/** The size a metric names: uncompressed bytes, or the compressed bytes (null when not measured). */
export function sizeIn(size: SizeFigures, metric: BudgetMetric): number | null {
  return metric === 'compressed' ? size.compressedBytes : size.bytes;
}
