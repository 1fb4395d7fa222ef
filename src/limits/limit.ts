import type { BudgetMetric, LimitBreach } from '../model/limits.js';
import type { SizeFigures } from '../model/report.js';

/** What a limit's check sees of the PR's image. */
export interface ImageFacts {
  size: SizeFigures;
  /** The base branch's image of the same name; null when there is nothing to compare with. */
  base: { bytes: number } | null;
  /** Head minus base, uncompressed; null when there is nothing to compare with. */
  delta: { bytes: number; percent: number | null } | null;
  /** Avoidable bytes in the Dockerfile's own layers; null when the image was not analysed. */
  wasted: { bytes: number } | null;
}

/** A breach in words, each form for one place; all of them say the same figures. */
export interface BreachWords {
  /** A line of the image's reasons: `12.3 MB over its 250.0 MB budget (262.3 MB)`. */
  reason: string;
  /** Figures for the job's fail message, after the image's size: `budget 250.0 MB, over by 12.3 MB`. */
  detail: string;
  /** A sentence that follows the image's name, for annotations: `is 275.0 MB, 25.0 MB over its budget of 250.0 MB (250MB).` */
  sentence: string;
}

/** A breach, a note on why the limit could not be checked, or null when the image is within it. */
export type CheckResult = LimitBreach | { unchecked: string } | null;

/**
 * Everything about one kind of limit: how it is written, how the value that
 * applies to an image is chosen, how it is checked and how a breach is said.
 * Adding a limit is adding one of these to the registry in ./index.ts.
 */
export interface LimitDefinition<Parsed, Resolved> {
  /** The key in the action's inputs, the config file and the CLI's options. */
  name: string;
  /** Its CLI option's help: what a value looks like. */
  help: string;
  /** Parses what the user wrote; a bad value is a UserError that starts with `what`. */
  parse(text: string | number, what: string): Parsed;
  /** The limit for one image from the most specific value given and the image's metric setting. */
  resolve(value: Parsed | null, metric: BudgetMetric): Resolved | null;
  check(limit: Resolved, image: ImageFacts): CheckResult;
  /** The status a breach gives the image. */
  status: 'over-budget' | 'over-increase';
  explain(breach: LimitBreach): BreachWords;
}
