/**
 * The settings an image is built and judged with, declared once. Each level
 * (the action's inputs or CLI options, the config file's top level, an image's
 * entry) gives some of them; planning resolves them per image into a Target.
 */
import type { ImageLimits, LimitValues } from '../limits/index.js';
import type { BudgetMetric } from './limits.js';

/** How an image is built. */
export interface BuildSettings {
  buildArgs: Record<string, string>;
  /** Build stage to stop at; null = the last. */
  target: string | null;
  platform: string | null;
}

/** Limits as written at one level, with the metric budgets apply to; null where the level does not say. */
export type LimitSettings = LimitValues & { metric: BudgetMetric | null };

/** Every setting one level may give. */
export type Settings = LimitSettings & BuildSettings;

/** The settings of one image once the levels are resolved: its budget knows its metric. */
export type ResolvedSettings = ImageLimits & BuildSettings;
