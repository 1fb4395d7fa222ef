import { stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import fg from 'fast-glob';
import type { Config, ImageConfig } from '../config/load.js';
import { UserError } from '../errors.js';
import type { GivenImage } from '../input-parsers.js';
import { resolveLimits } from '../limits/index.js';
import type { Settings } from '../model/settings.js';
import { leavesRepo, realPathInRepo } from '../repo-path.js';
import type { Target } from './target.js';

export interface PlanOptions {
  /** Absolute path of the checkout to plan for. */
  root: string;
  /** Dockerfile globs, relative to `root`. */
  globs: string[];
  config: Config;
  /** Settings from the action inputs or CLI options: the least specific level. */
  defaults: Settings;
  /** Images given by reference through the `images` input. */
  images: GivenImage[];
  /** The PR's checkout ('head') or the base branch's ('base'), where images new in the PR are missing. */
  side: 'head' | 'base';
}

/** Folders never searched: dependencies and git internals hold Dockerfiles that are not the repository's own. */
const IGNORED = ['**/node_modules/**', '**/.git/**', '**/*.dockerignore'];

/**
 * Lists the images to build: config entries (in file order), then Dockerfiles
 * found by the globs that no entry names, then images given by reference only.
 * Settings: image config > config top level > action inputs.
 */
export async function planTargets(options: PlanOptions): Promise<Target[]> {
  const discovered = await findDockerfiles(options.root, options.globs);
  const discoveredSet = new Set(discovered);
  const imageRefs = new Map(options.images.map((image) => [image.name, image.ref]));
  const settings = resolveSettings(options.config, options.defaults);
  const configFile = options.config.file ?? 'config';

  // A Dockerfile that a config entry names (by `dockerfile`, or by its own name) is that entry's, skipped or not.
  const dockerfileOf = (entry: ImageConfig) => entry.dockerfile ?? (discoveredSet.has(entry.name) ? entry.name : null);
  const claimed = new Set(options.config.images.map(dockerfileOf).filter((path) => path !== null));
  const configNames = new Set(options.config.images.map((image) => image.name));
  const targets: Target[] = [];

  for (const entry of options.config.images) {
    if (entry.skip) continue;
    const ref = imageRefs.get(entry.name) ?? null;
    const dockerfile = dockerfileOf(entry);

    if (entry.dockerfile !== null) {
      if (!(await isFile(join(options.root, entry.dockerfile)))) {
        if (options.side === 'base') continue; // the image is new in the PR
        throw new UserError(`${configFile}: images.${entry.name}.dockerfile: ${entry.dockerfile} does not exist in the repository`);
      }
      if (discoveredSet.has(entry.name) && !claimed.has(entry.name) && !imageRefs.has(entry.name)) {
        // That Dockerfile would be listed under its path, which is this entry's name.
        throw new UserError(
          `${configFile}: images.${entry.name}: the name is the path of another Dockerfile (${entry.name}); give this image another name`
        );
      }
    } else if (dockerfile === null && ref === null) {
      if (options.side === 'base') continue; // the Dockerfile it names may be new in the PR
      throw new UserError(
        `${configFile}: images.${entry.name}: has no dockerfile, and there is neither an image "${entry.name}" in the images input nor a Dockerfile at that path matched by the dockerfiles input`
      );
    }
    targets.push(settings.forEntry(entry, dockerfile, ref));
  }

  for (const dockerfile of discovered) {
    if (claimed.has(dockerfile) || imageRefs.has(dockerfile)) continue;
    targets.push(settings.forDiscovered(dockerfile));
  }

  for (const image of options.images) {
    if (configNames.has(image.name)) continue;
    const dockerfile = discoveredSet.has(image.name) ? image.name : null;
    targets.push(settings.forImage(image.name, dockerfile, image.ref));
  }

  assertUniqueNames(targets);
  const confined: Target[] = [];
  for (const target of targets) {
    const refused = await refusal(options.root, target);
    confined.push(refused === null ? target : { ...target, refused });
  }
  return confined;
}

/**
 * Why a target must not be built: a path it names (its Dockerfile, its context, the
 * `.dockerignore` files docker would read) leads out of the repository through a
 * symlink. docker and footprint follow symlinks, so the PR could make them read any file.
 */
async function refusal(root: string, target: Target): Promise<string | null> {
  if (target.dockerfile === null) return null;
  const paths: [what: string, path: string][] = [
    [`Dockerfile ${target.dockerfile}`, target.dockerfile],
    [`${target.dockerfile}.dockerignore`, `${target.dockerfile}.dockerignore`]
  ];
  if (target.context !== null) {
    const ignore = posix.join(target.context, '.dockerignore');
    paths.push([`context ${target.context}`, target.context], [ignore, ignore]);
  }
  for (const [what, path] of paths) {
    if ((await realPathInRepo(root, path)).kind === 'outside') return leavesRepo(what);
  }
  return null;
}

/** Repo-relative POSIX paths of the Dockerfiles the globs match, sorted. */
export async function findDockerfiles(root: string, globs: string[]): Promise<string[]> {
  for (const glob of globs) checkGlob(glob);
  const found = await fg(globs, {
    cwd: root,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    ignore: IGNORED,
    unique: true
  });
  return found.sort();
}

/** A glob must stay inside the repository: no absolute paths, no `..`. */
function checkGlob(glob: string): void {
  const pattern = glob.startsWith('!') ? glob.slice(1) : glob;
  if (posix.isAbsolute(pattern) || /^[A-Za-z]:[\\/]/.test(pattern) || pattern.split(/[\\/]/).includes('..')) {
    throw new UserError(`input dockerfiles: "${glob}" must be a pattern relative to the repository root, without ".." segments`);
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The precedence rules in one place: image config > config top level > action inputs. */
function resolveSettings(config: Config, defaults: Settings) {
  const contextOf = (dockerfile: string | null) => (dockerfile === null ? null : posix.dirname(dockerfile));
  const base = (name: string, dockerfile: string | null, image: string | null): Target => ({
    name,
    dockerfile,
    context: contextOf(dockerfile),
    image,
    target: defaults.target,
    buildArgs: { ...defaults.buildArgs },
    platform: defaults.platform,
    ...resolveLimits([config, defaults]),
    ignore: [...config.ignore],
    baseImage: config.baseImage
  });
  return {
    forEntry(entry: ImageConfig, dockerfile: string | null, image: string | null): Target {
      const target = base(entry.name, dockerfile, image);
      return {
        ...target,
        context: dockerfile === null ? null : (entry.context ?? target.context),
        target: entry.target ?? target.target,
        buildArgs: { ...target.buildArgs, ...entry.buildArgs },
        platform: entry.platform ?? target.platform,
        ...resolveLimits([entry, config, defaults]),
        ignore: [...new Set([...target.ignore, ...entry.ignore])],
        baseImage: entry.baseImage ?? target.baseImage
      };
    },
    forDiscovered: (dockerfile: string): Target => base(dockerfile, dockerfile, null),
    forImage: (name: string, dockerfile: string | null, image: string): Target => base(name, dockerfile, image)
  };
}

function assertUniqueNames(targets: Target[]): void {
  const seen = new Set<string>();
  for (const target of targets) {
    if (seen.has(target.name)) throw new Error(`planTargets: two targets are named "${target.name}"`);
    seen.add(target.name);
  }
}
