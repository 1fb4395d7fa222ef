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
}

export interface Waste {
  /** Avoidable bytes in the Dockerfile's own layers. */
  bytes: number;
  /** Bytes wasted inside the base image's layers (not the Dockerfile's doing). */
  baseBytes: number;
  /** The largest wasted paths, largest first (at most a few dozen). */
  paths: WastedPath[];
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
