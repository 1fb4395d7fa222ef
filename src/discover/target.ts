import { limitsOf } from '../limits/index.js';
import type { ResolvedSettings } from '../model/settings.js';

/** One image to build (or, with `image`, to measure as given), with its resolved settings. */
export interface Target extends ResolvedSettings {
  /** Display name, unique in a run, stable between the base branch and the PR. */
  name: string;
  /** Repo-relative POSIX path of the Dockerfile; null for an image given by reference only. */
  dockerfile: string | null;
  /** Repo-relative POSIX path of the build context ('.' for the root). */
  context: string | null;
  /** Image reference from the `images` input: measured instead of built on the PR side. */
  image: string | null;
  /** Advice rule ids switched off for this image (the config's top level and the image's own). */
  ignore: string[];
  /** The published image to measure as the base side, a template (`{name}`, `{base-sha}`, `{base-ref}`); null when none. */
  baseImage: string | null;
  /**
   * Set when a path the target names (Dockerfile, context, .dockerignore) leads out of the
   * repository through a symlink: the target is reported as failed with this message and
   * nothing it names is read or built.
   */
  refused?: string;
}

/** A target with no settings of its own (no limits, args or advice switched off): an image measured as it is. */
export function bareTarget(fields: Pick<Target, 'name' | 'dockerfile' | 'context' | 'image'>): Target {
  return { ...fields, target: null, buildArgs: {}, platform: null, ...limitsOf(null), ignore: [], baseImage: null };
}
