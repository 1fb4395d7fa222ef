/**
 * Builders of synthetic layer tables for the pure analysis:
 * `image(layer([file('a', 10), whiteout('a'), opaque('dir'), hardlink('b', 'a'), dir('x')]))`.
 * Paths are written as text (UTF-8) and stored in the binary form the reader hands over.
 */
import type { ExecutableFacts } from '../../src/analyse/executable.js';
import type { ImageArchive, ImageConfigJson, LayerContents, LayerEntry } from '../../src/analyse/model.js';
import { normalisePath, OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from '../../src/analyse/paths.js';

/** A path given as text (UTF-8), in the binary form layer entries use (one char per byte). */
export function binaryPath(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function entryPath(text: string): string {
  return binaryPath(normalisePath(text));
}

function child(folder: string, name: string): string {
  const parent = normalisePath(folder);
  return parent === '' ? name : `${parent}/${name}`;
}

/** A regular file of `bytes` bytes. */
export function file(path: string, bytes: number): LayerEntry {
  return { path: entryPath(path), kind: 'file', bytes, linkTarget: null };
}

export function dir(path: string): LayerEntry {
  return { path: entryPath(path), kind: 'directory', bytes: 0, linkTarget: null };
}

/** A symlink to `target`: its bytes are the target's length, as the reader counts them (none when no target is given). */
export function symlink(path: string, target = ''): LayerEntry {
  return { path: entryPath(path), kind: 'symlink', bytes: binaryPath(target).length, linkTarget: target === '' ? null : binaryPath(target) };
}

/** A hard link at `path` to the file at `target` (an earlier entry). */
export function hardlink(path: string, target: string): LayerEntry {
  return { path: entryPath(path), kind: 'hardlink', bytes: 0, linkTarget: entryPath(target) };
}

/** `.wh.NAME` next to `path`: deletes `path` from the layers below. */
export function whiteout(path: string): LayerEntry {
  const normal = normalisePath(path);
  const slash = normal.lastIndexOf('/');
  const folder = slash === -1 ? '' : normal.slice(0, slash);
  return file(child(folder, WHITEOUT_PREFIX + normal.slice(slash + 1)), 0);
}

/** `DIR/.wh..wh..opq`: hides what the layers below put in `dir`. */
export function opaque(folder: string): LayerEntry {
  return file(child(folder, OPAQUE_WHITEOUT), 0);
}

/** A layer of these entries; fileBytes is the sum of regular-file sizes and symlink targets, as the reader counts it. */
export function layer(
  entries: LayerEntry[],
  options: { compressedBytes?: number | null; kept?: Map<string, Buffer>; executables?: Map<string, ExecutableFacts> } = {}
): LayerContents {
  const fileBytes = entries.reduce((sum, entry) => sum + (entry.kind === 'file' || entry.kind === 'symlink' ? entry.bytes : 0), 0);
  return {
    entries,
    kept: options.kept ?? new Map(),
    executables: new Map([...(options.executables ?? new Map<string, ExecutableFacts>())].map(([path, facts]) => [entryPath(path), facts])),
    fileBytes,
    storedBytes: fileBytes,
    compression: 'none',
    compressedBytes: options.compressedBytes === undefined ? null : options.compressedBytes,
    compressedMeasured: false
  };
}

/** An image of these layers, bottom first. */
export function image(layers: LayerContents[], config: ImageConfigJson = {}): ImageArchive {
  return { layout: 'docker', config, layers, notKept: 0 };
}
