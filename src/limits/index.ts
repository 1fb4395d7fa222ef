/**
 * The registry of limits. Inputs, the config file and the CLI parse every limit
 * through it, planning resolves it per image, the gate checks it, and renderers
 * explain its breaches: a new limit is one definition added here.
 */
import type { BudgetMetric, LimitBreach } from '../model/limits.js';
import { budget } from './budget.js';
import type { BreachWords, ImageFacts, LimitDefinition } from './limit.js';
import { maxIncrease } from './max-increase.js';
import { maxWasted } from './max-wasted.js';

export type { BreachWords, ImageFacts } from './limit.js';

/** Every limit, in the order their breaches are listed. */
export const LIMITS = { budget, maxWasted, maxIncrease } as const;

export type LimitKey = keyof typeof LIMITS;

/** The limits as written at one level (an action input, the config's top level, an image's entry); null where not given. */
export type LimitValues = { [K in LimitKey]: Parameters<(typeof LIMITS)[K]['resolve']>[0] };

/** The limits that apply to one image, each resolved from the most specific level that gives it. */
export type ImageLimits = { [K in LimitKey]: ReturnType<(typeof LIMITS)[K]['resolve']> };

export const LIMIT_KEYS = Object.keys(LIMITS) as LimitKey[];

/** The registry without its per-limit types, for code that treats every limit alike. */
function definition(key: LimitKey): LimitDefinition<unknown, unknown> {
  return LIMITS[key];
}

/** The limit's key as users write it: `max-increase`. */
export function limitName(key: LimitKey): string {
  return LIMITS[key].name;
}

/**
 * Parses every limit that `valueOf` has a value for (undefined = not given), by
 * the limit's name (`max-increase`); `what` names the place in messages (`input max-increase`).
 */
export function parseLimits(valueOf: (name: string) => string | number | undefined, what: (name: string) => string): LimitValues {
  const values = {} as Record<LimitKey, unknown>;
  for (const key of LIMIT_KEYS) {
    const limit = definition(key);
    const value = valueOf(limit.name);
    values[key] = value === undefined ? null : limit.parse(value, what(limit.name));
  }
  return values as LimitValues;
}

/** No limit given at this level. */
export function noLimits(): LimitValues {
  return parseLimits(() => undefined, String);
}

/**
 * The limits of one image from levels of settings, most specific first (image
 * entry, config top level, action inputs): each limit from the first level that
 * gives it, the budget measured by the first metric given (uncompressed by default).
 */
export function resolveLimits(levels: ReadonlyArray<LimitValues & { metric: BudgetMetric | null }>): ImageLimits {
  const metric = levels.find((level) => level.metric !== null)?.metric ?? 'uncompressed';
  const limits = {} as Record<LimitKey, unknown>;
  for (const key of LIMIT_KEYS) {
    const value = levels.find((level) => level[key] !== null)?.[key] ?? null;
    limits[key] = definition(key).resolve(value, metric);
  }
  return limits as ImageLimits;
}

export interface LimitsVerdict {
  breaches: LimitBreach[];
  /** Why a limit that is set could not be checked. */
  unchecked: string[];
}

/** Checks the image against every limit set for it. */
export function checkLimits(limits: ImageLimits, image: ImageFacts): LimitsVerdict {
  const verdict: LimitsVerdict = { breaches: [], unchecked: [] };
  for (const key of LIMIT_KEYS) {
    const limit = limits[key];
    if (limit === null) continue;
    const result = definition(key).check(limit, image);
    if (result === null) continue;
    if ('unchecked' in result) verdict.unchecked.push(result.unchecked);
    else verdict.breaches.push(result);
  }
  return verdict;
}

function definitionOf(breach: LimitBreach): LimitDefinition<unknown, unknown> {
  const key = LIMIT_KEYS.find((candidate) => LIMITS[candidate].name === breach.limit);
  if (key === undefined) throw new Error(`no limit is named "${breach.limit}"`);
  return definition(key);
}

/** The status a breach gives its image: `over-budget` or `over-increase`. */
export function breachStatus(breach: LimitBreach): 'over-budget' | 'over-increase' {
  return definitionOf(breach).status;
}

/** A breach in words: a reason line, the fail message's figures and an annotation's sentence. */
export function explainBreach(breach: LimitBreach): BreachWords {
  return definitionOf(breach).explain(breach);
}

/** Just the limits of a target's settings; all null for none (a removed image has no limits). */
export function limitsOf(settings: ImageLimits | null): ImageLimits {
  return Object.fromEntries(LIMIT_KEYS.map((key) => [key, settings?.[key] ?? null])) as ImageLimits;
}
