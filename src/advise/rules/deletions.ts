/**
 * The deletion analysis behind delete-in-later-run and join-runs: RUNs that
 * delete or rewrite (chown/chmod) what an earlier instruction of the shipped
 * stages created, whose bytes therefore still ship in the earlier layer. Where
 * the anatomy tells layers from lines, its wasted paths say exactly what each
 * RUN took from which line and how many bytes; otherwise the words are read.
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
  /** `deletes`, `rewrites` or `deletes or rewrites`. */
  verb: string;
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

function deletion(remover: Step, creators: Creator[], paths: string[]): Deletion {
  const consecutive = creators.filter((creator) => creator.step.facts !== null && creator.step.block === remover.block);
  const rewrites = remover.facts!.rewritten.length > 0;
  return {
    remover,
    consecutive,
    earlier: creators.filter((creator) => !consecutive.includes(creator)),
    shown: paths.slice(0, 3).join(', ') + (paths.length > 3 ? ', ...' : ''),
    rewrites,
    verb: !rewrites ? 'deletes' : remover.facts!.removed.length > 0 ? 'deletes or rewrites' : 'rewrites'
  };
}

/** Deletions the anatomy measured: wasted paths added at one Dockerfile line and removed by a later RUN. */
function measuredDeletions(steps: readonly Step[], wasted: Waste): Deletion[] {
  const byLine = new Map(steps.map((step) => [step.instruction.line, step]));
  const groups = new Map<number, Map<number, { bytes: number; paths: string[] }>>();
  for (const path of wasted.paths) {
    if (path.inBase || path.addedAtLine === null || path.removedAtLine === null) continue;
    const remover = byLine.get(path.removedAtLine);
    if (remover?.facts == null || !byLine.has(path.addedAtLine) || path.addedAtLine >= path.removedAtLine) continue;
    const perCreator = groups.get(path.removedAtLine) ?? new Map<number, { bytes: number; paths: string[] }>();
    const group = perCreator.get(path.addedAtLine) ?? { bytes: 0, paths: [] };
    group.bytes += path.bytes;
    group.paths.push(path.path);
    perCreator.set(path.addedAtLine, group);
    groups.set(path.removedAtLine, perCreator);
  }
  return [...groups].map(([removedAt, perCreator]) =>
    deletion(
      byLine.get(removedAt)!,
      [...perCreator].map(([line, group]) => ({ step: byLine.get(line)!, bytes: group.bytes })),
      [...perCreator.values()].flatMap((group) => group.paths)
    )
  );
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
    if (creators.length > 0) deletions.push(deletion(remover, creators, paths));
  });
  return deletions;
}

// Both rules read the same analysis: made once per checkRules call.
const analysed = new WeakMap<RuleContext, Deletion[]>();

/** The RUNs that delete or rewrite what an earlier instruction created, in the order of the anatomy's paths or of the steps. */
export function deletionsOf(context: RuleContext): Deletion[] {
  let deletions = analysed.get(context);
  if (deletions === undefined) {
    const { anatomy, steps } = context;
    // Without lines in the anatomy its paths cannot be placed: guess from the words.
    const anatomyKnowsLines = anatomy !== null && anatomy.layers.some((layer) => layer.line !== null);
    deletions = anatomyKnowsLines ? measuredDeletions(steps, anatomy.wasted) : guessedDeletions(steps);
    analysed.set(context, deletions);
  }
  return deletions;
}
