/**
 * What the streaming image reader (read-archive.ts) hands to the pure analysis
 * (anatomy.ts): the image's config and, per layer in order, the table of its
 * tar entries. Memory grows with the number of entries, never with image bytes.
 */
import type { ExecutableFacts } from './executable.js';

export type EntryKind = 'file' | 'hardlink' | 'symlink' | 'directory' | 'other';

export interface LayerEntry {
  /**
   * The entry's path inside the image, normalised: no leading `./` or `/`, no
   * trailing `/`. Held as a "binary" (latin1) string, one char per byte of the
   * tar header, so names that are not valid UTF-8 keep their identity; use
   * `displayPath()` to show one.
   */
  path: string;
  kind: EntryKind;
  /**
   * Bytes of content: the size of a regular file, the length of a symlink's target (the
   * filesystem stores it and Docker's classic store counts it), 0 for every other kind.
   */
  bytes: number;
  /** For a hard link: the (normalised, binary) path it links to; for a symlink: its target as written (binary). */
  linkTarget: string | null;
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

export interface LayerContents {
  /** Every entry of the layer tar in archive order, whiteouts (`.wh.*`) included as they are. */
  entries: LayerEntry[];
  /** Contents of the regular files the reader was asked to keep (ReadOptions.keep), by normalised path. */
  kept: Map<string, Buffer>;
  /** What each executable regular file is (ELF or script), by normalised path, when the reader probed them (ReadOptions.probeExecutables). */
  executables: Map<string, ExecutableFacts>;
  /** Sum of the entries' bytes (regular files and symlink targets): what the layer adds uncompressed. */
  fileBytes: number;
  /** Bytes of the layer as the archive stored it (compressed or not). */
  storedBytes: number;
  compression: LayerCompression;
  /**
   * gzip-compressed bytes as a registry would store the layer: `storedBytes` when it
   * arrived as gzip, an estimate made while streaming when it arrived uncompressed and
   * estimation is on, otherwise null.
   */
  compressedBytes: number | null;
  /** True when `compressedBytes` was measured from stored gzip bytes, false when estimated. */
  compressedMeasured: boolean;
}

/** The parts of the OCI / Docker image config the analysis reads. */
export interface ImageConfigJson {
  architecture?: string;
  os?: string;
  config?: Record<string, unknown>;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}

export interface ImageArchive {
  /** Which layout the archive used. */
  layout: 'docker' | 'oci';
  config: ImageConfigJson;
  /** Layers bottom to top, as the manifest orders them. */
  layers: LayerContents[];
  /** Files the reader was asked to keep (ReadOptions.keep) but skipped, being over its size caps. */
  notKept: number;
}
