import type { Anatomy } from '../analyse/anatomy.js';
import type { NpmDevDependencies } from '../analyse/npm-dev.js';
import type { FinalFiles } from '../analyse/final-files.js';
import type { Inventory } from '../model/change.js';
import type { Target } from '../discover/target.js';
import type { ParsedDockerfile } from '../dockerfile/parse.js';
import type { BuildInputs, Entrypoint, Reuse, SizeFigures } from '../model/report.js';

/** What build + measure + analyse produced for one target on one side (the PR or the base branch). */
export interface Measurement {
  target: Target;
  /**
   * The target's Dockerfile, read and parsed once with the build's args and target: the
   * history matcher and the advice both use it. Null when there is none or it could not be read.
   */
  dockerfile: ParsedDockerfile | null;
  /** Why the Dockerfile could not be read; null when it was read, or there is none. */
  dockerfileError: string | null;
  /** Null when the build or the measurement failed. */
  size: SizeFigures | null;
  /** Layers, waste and caches; null when the image could not be read layer by layer. */
  anatomy: Anatomy | null;
  /** Folder sizes and packages, kept in the report; null when the image could not be read layer by layer. */
  inventory: Inventory | null;
  /** The files a container sees, held until the other side is measured and compared; null when not read. */
  files: FinalFiles | null;
  /** What the image's ENTRYPOINT/CMD runs; null when it names none or the image was not read layer by layer. */
  entrypoint: Entrypoint | null;
  /** npm devDependencies installed in the image, per project; [] when none or not read. */
  npmDev: NpmDevDependencies[];
  /** Why the anatomy is missing although the image was measured (docker save failed, ...). */
  analysisError: string | null;
  error: { message: string; logTail: string } | null;
  /** The digest of the build inputs; null when none was taken (an image given by reference). */
  buildInputs: BuildInputs | null;
  /** Set when this measurement was not built for its side but reused (see Reuse). */
  reused: Reuse | null;
}
