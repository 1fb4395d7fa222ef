/**
 * The analysis of what one instruction hides of another's files, behind
 * delete-in-later-run, join-runs and copy-over-run: RUNs that delete or rewrite
 * (chown/chmod) what an earlier instruction of the shipped stages created, and
 * COPY/ADD that replace what an earlier RUN made; the earlier copies still ship
 * in the earlier layer. Where the anatomy tells layers from lines, its exact
 * totals per pair of layers (`Waste.byLines`) say what each instruction took from
 * which line and how many bytes, and its largest paths name them; otherwise the
 * words are read.
 */
import type { Waste } from '../../model/report.js';
import { formatBytes } from '../../units.js';
import { overlaps, type Step } from '../run-facts.js';
import type { RuleContext } from './rule.js';

export interface Creator {
  step: Step;
  /** The bytes measured between this creator and the remover; null when not measured. */
  bytes: number | null;
}

export interface Deletion {
  remover: Step;
  /** Creators among the RUNs right before the remover: joined with it, their bytes never reach a layer. */
  consecutive: Creator[];
  /** The other creators: COPY/ADD, or a RUN with another instruction in between. */
  earlier: Creator[];
  /** What is deleted, as the message names it: the first three paths. */
  shown: string;
  /** Whether the remover changes files in place (chown/chmod), which copies them into its layer. */
  rewrites: boolean;
  /** Whether the remover's words neither delete nor rewrite anything: the anatomy saw it write over the files. */
  replaces: boolean;
  /** `deletes`, `rewrites`, `deletes or rewrites` or `replaces`. */
  verb: string;
}

/** The files one instruction hid of an earlier one's, as the anatomy measured them. */
export interface MeasuredPair {
  creator: Step;
  remover: Step;
  /** The exact total of every copy hidden. */
  bytes: number;
  files: number;
  /** The largest of them, as the anatomy's path list names them; may be none when the list was cut. */
  paths: string[];
  /** How many of the files those paths stand for (a folder row stands for many). */
  namedFiles: number;
}

/** `lines 5 and 7`, `line 5`. */
export function linesPhrase(lines: number[]): string {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  if (sorted.length === 1) return `line ${sorted[0]}`;
  return `lines ${sorted.slice(0, -1).join(', ')} and ${sorted.at(-1)}`;
}

/** The bytes of all creators; null when any was not measured. */
export function sumBytes(creators: readonly Creator[]): number | null {
  if (creators.some((creator) => creator.bytes === null)) return null;
  return creators.reduce((sum, creator) => sum + creator.bytes!, 0);
}

/** `12.0 MB of ` when measured, else nothing. */
export function bytesOf(bytes: number | null): string {
  return bytes === null ? '' : `${formatBytes(bytes)} of `;
}

/** `/a, /b, /c, ...` for the first three paths; `1,204 files` when the anatomy's list named none of them. */
export function shownPaths(paths: readonly string[], files: number, namedFiles: number): string {
  if (paths.length === 0) return `${files.toLocaleString('en-US')} file${files === 1 ? '' : 's'}`;
  return paths.slice(0, 3).join(', ') + (paths.length > 3 || namedFiles < files ? ', ...' : '');
}

function deletion(remover: Step, creators: Creator[], shown: string, measured: boolean): Deletion {
  const consecutive = creators.filter((creator) => creator.step.facts !== null && creator.step.block === remover.block);
  const facts = remover.facts!;
  const rewrites = facts.rewritten.length > 0;
  const replaces = measured && !rewrites && facts.removed.length === 0;
  return {
    remover,
    consecutive,
    earlier: creators.filter((creator) => !consecutive.includes(creator)),
    shown,
    rewrites,
    replaces,
    verb: replaces ? 'replaces' : !rewrites ? 'deletes' : facts.removed.length > 0 ? 'deletes or rewrites' : 'rewrites'
  };
}

/**
 * Every pair of instructions of the shipped stages where the later one hid files the earlier one made, with the
 * exact bytes: from the anatomy's totals per pair of layers (or, in a report without them, its listed paths).
 * Largest first.
 */
function pairsOf(steps: readonly Step[], wasted: Waste): MeasuredPair[] {
  const byLine = new Map(steps.map((step) => [step.instruction.line, step]));
  const pairs = new Map<string, MeasuredPair>();
  const place = (row: { addedAtLine: number | null; removedAtLine: number | null; inBase: boolean; bookkeeping?: boolean }) => {
    if (row.inBase || row.bookkeeping === true || row.addedAtLine === null || row.removedAtLine === null) return null;
    if (row.addedAtLine >= row.removedAtLine) return null;
    const creator = byLine.get(row.addedAtLine);
    const remover = byLine.get(row.removedAtLine);
    return creator === undefined || remover === undefined ? null : { creator, remover, key: `${row.addedAtLine}:${row.removedAtLine}` };
  };
  for (const row of wasted.byLines ?? wasted.paths) {
    const placed = place(row);
    if (placed === null) continue;
    const pair = pairs.get(placed.key) ?? { creator: placed.creator, remover: placed.remover, bytes: 0, files: 0, paths: [], namedFiles: 0 };
    pair.bytes += row.bytes;
    pair.files += row.files;
    pairs.set(placed.key, pair);
  }
  // The paths name what was hidden; their bytes are already in the totals.
  for (const path of wasted.paths) {
    const pair = pairs.get(place(path)?.key ?? '');
    if (pair === undefined) continue;
    pair.paths.push(path.path);
    pair.namedFiles += path.files;
  }
  return [...pairs.values()].sort((a, b) => b.bytes - a.bytes);
}

/** Deletions the anatomy measured: copies added at one line and deleted, rewritten or replaced by a later RUN. */
function measuredDeletions(pairs: readonly MeasuredPair[]): Deletion[] {
  const byRemover = new Map<Step, MeasuredPair[]>();
  for (const pair of pairs) {
    if (pair.remover.facts === null) continue;
    byRemover.set(pair.remover, [...(byRemover.get(pair.remover) ?? []), pair]);
  }
  return [...byRemover].map(([remover, found]) => {
    const paths = found.flatMap((pair) => pair.paths);
    const files = found.reduce((sum, pair) => sum + pair.files, 0);
    const named = found.reduce((sum, pair) => sum + pair.namedFiles, 0);
    return deletion(
      remover,
      found.map((pair) => ({ step: pair.creator, bytes: pair.bytes })),
      shownPaths(paths, files, named),
      true
    );
  });
}

/** Deletions read from the text alone: rm (or chown/chmod) paths that an earlier instruction of the shipped stages created. */
function guessedDeletions(steps: readonly Step[]): Deletion[] {
  const deletions: Deletion[] = [];
  steps.forEach((remover, at) => {
    if (remover.facts === null) return;
    const targets = [...remover.facts.removed, ...remover.facts.rewritten];
    const creators: Creator[] = [];
    const paths: string[] = [];
    for (const creator of steps.slice(0, at)) {
      const hits = targets.filter((target) => creator.created.some((created) => overlaps(target, created)));
      if (hits.length === 0) continue;
      creators.push({ step: creator, bytes: null });
      for (const hit of hits) if (!paths.includes(hit)) paths.push(hit);
    }
    if (creators.length > 0) deletions.push(deletion(remover, creators, shownPaths(paths, paths.length, paths.length), false));
  });
  return deletions;
}

interface Analysis {
  /** null when the anatomy does not tell layers from lines. */
  pairs: MeasuredPair[] | null;
  deletions: Deletion[];
}

// The rules read the same analysis: made once per checkRules call.
const analysed = new WeakMap<RuleContext, Analysis>();

function analysisOf(context: RuleContext): Analysis {
  let analysis = analysed.get(context);
  if (analysis === undefined) {
    const { anatomy, steps } = context;
    // Without lines in the anatomy its paths cannot be placed: guess from the words.
    const anatomyKnowsLines = anatomy !== null && anatomy.layers.some((layer) => layer.line !== null);
    const pairs = anatomyKnowsLines ? pairsOf(steps, anatomy.wasted) : null;
    analysis = { pairs, deletions: pairs === null ? guessedDeletions(steps) : measuredDeletions(pairs) };
    analysed.set(context, analysis);
  }
  return analysis;
}

/** The RUNs that delete or rewrite what an earlier instruction created, largest measured first, else in the order of the steps. */
export function deletionsOf(context: RuleContext): Deletion[] {
  return analysisOf(context).deletions;
}

/** The measured pairs of instructions where a later one hid an earlier one's files, largest first; [] when not measured. */
export function measuredPairsOf(context: RuleContext): MeasuredPair[] {
  return analysisOf(context).pairs ?? [];
}
