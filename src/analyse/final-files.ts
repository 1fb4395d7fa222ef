/**
 * The files a container sees (the final filesystem after every layer and
 * whiteout), as two parallel arrays sorted by path. Sorting the binary
 * (latin1) paths by code unit puts every path below a folder `F` in one run
 * (they all start with `F/`), so a folder's files are a slice, a file is
 * found by binary search, and two images are compared by one merge of their
 * lists. Held between measuring the PR's image and the base branch's; it
 * grows with the number of files, never with their bytes.
 */
export class FinalFiles {
  /** Normalised binary paths (see LayerEntry.path), sorted by code unit. */
  readonly paths: readonly string[];
  /** Bytes of each path: a regular file's size (a hard-linked file's bytes on one of its paths only), a symlink's target length. */
  readonly bytes: Float64Array;

  private constructor(paths: readonly string[], bytes: Float64Array) {
    this.paths = paths;
    this.bytes = bytes;
  }

  /** From `[path, bytes]` pairs in any order; a path given twice keeps its last bytes. */
  static of(entries: Iterable<readonly [string, number]>): FinalFiles {
    const byPath = new Map<string, number>();
    for (const [path, bytes] of entries) byPath.set(path, bytes);
    const paths = [...byPath.keys()].sort(compareCodeUnits);
    const bytes = new Float64Array(paths.length);
    paths.forEach((path, index) => (bytes[index] = byPath.get(path)!));
    return new FinalFiles(paths, bytes);
  }

  /** From paths already sorted by code unit and their bytes, as a worker sends them. */
  static sorted(paths: readonly string[], bytes: Float64Array): FinalFiles {
    if (paths.length !== bytes.length) throw new Error('FinalFiles.sorted: paths and bytes differ in length');
    return new FinalFiles(paths, bytes);
  }

  get count(): number {
    return this.paths.length;
  }

  /** Sum of every file's bytes. */
  totalBytes(): number {
    let total = 0;
    for (const bytes of this.bytes) total += bytes;
    return total;
  }

  /** The bytes of the file at `path`, or null when there is none. */
  sizeOf(path: string): number | null {
    const at = this.lowerBound(path);
    return at < this.paths.length && this.paths[at] === path ? this.bytes[at]! : null;
  }

  /** Every file below the folder `folder` (`''` for the root), in path order. */
  *under(folder: string): Generator<[path: string, bytes: number]> {
    const prefix = folder === '' ? '' : `${folder}/`;
    for (let at = this.lowerBound(prefix); at < this.paths.length && this.paths[at]!.startsWith(prefix); at++) {
      yield [this.paths[at]!, this.bytes[at]!];
    }
  }

  /** Index of the first path not less than `path`. */
  private lowerBound(path: string): number {
    let low = 0;
    let high = this.paths.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.paths[middle]! < path) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** Orders strings by UTF-16 code unit: for binary (latin1) paths, byte order. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
