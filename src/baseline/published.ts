/**
 * Base images a team already published from its base branch (config `base-image`): pulled with the
 * runner's own `docker login` and measured like any image, instead of building the base commit.
 * A pull or a measurement that fails leaves the image to the worktree build, with a note.
 */
import type { Engine } from '../build/engine.js';
import type { Target } from '../discover/target.js';
import type { Measurement } from '../measure/measurement.js';

/** What a `base-image` template's placeholders stand for in this run; null where unknown. */
export interface TemplateValues {
  sha: string | null;
  /** The base branch's name (`main`). */
  branch: string | null;
}

/** The reference a template names for the target, or why it cannot be filled in. */
export function publishedRef(template: string, target: Pick<Target, 'name'>, values: TemplateValues): { ref: string } | { unknown: string } {
  const fill: Record<string, string | null> = { '{name}': target.name, '{base-sha}': values.sha, '{base-ref}': values.branch };
  const missing = Object.keys(fill).find((placeholder) => template.includes(placeholder) && fill[placeholder] === null);
  if (missing !== undefined) return { unknown: `${missing} is not known in this run` };
  return { ref: template.replace(/\{name\}|\{base-sha\}|\{base-ref\}/g, (placeholder) => fill[placeholder] as string) };
}

export interface PublishedOptions {
  targets: Target[];
  values: TemplateValues;
  engine: Pick<Engine, 'pull' | 'inspect' | 'remove'>;
  /** Measures images given by reference on the base side. */
  measure(targets: Target[]): Promise<Measurement[]>;
  log(message: string): void;
}

export interface Published {
  /** The base side's measurement of each image whose published image was measured, by name. */
  measured: Map<string, Measurement>;
  /** Per image, what was used or why it was not (for the report's reasons). */
  notes: Map<string, string>;
}

/** Pulls and measures the published base image of each target that names one. */
export async function measurePublished(options: PublishedOptions): Promise<Published> {
  const measured = new Map<string, Measurement>();
  const notes = new Map<string, string>();
  for (const target of options.targets) {
    if (target.baseImage === null || target.dockerfile === null) continue;
    const named = publishedRef(target.baseImage, target, options.values);
    if ('unknown' in named) {
      notes.set(target.name, `base side built from the base commit: base-image ${target.baseImage}: ${named.unknown}`);
      continue;
    }
    const { ref } = named;
    // Pulled even when present: a tag such as `:main` moves. Removed again only when it was not there before.
    const present = await options.engine.inspect(ref).then(
      () => true,
      () => false
    );
    const pulled = await options.engine.pull(ref, target.platform);
    if (!pulled.ok) {
      notes.set(target.name, `base side built from the base commit: the published image ${ref} could not be pulled (${pulled.message})`);
      options.log(`${target.name}: the published image ${ref} could not be pulled: ${pulled.message}`);
      continue;
    }
    try {
      const [measurement] = await options.measure([{ ...target, dockerfile: null, context: null, image: ref }]);
      if (!measurement || measurement.error || measurement.size === null) {
        const why = measurement?.error?.message ?? 'it could not be read';
        notes.set(target.name, `base side built from the base commit: the published image ${ref} could not be measured (${why})`);
        continue;
      }
      measured.set(target.name, { ...measurement, target: { ...measurement.target, name: target.name } });
      notes.set(target.name, `base side: the published image ${ref}`);
    } finally {
      if (!present) await options.engine.remove([ref]);
    }
  }
  return { measured, notes };
}
