import type { Patch } from '../../model/report.js';
import { bytesOf, deletionsOf, linesPhrase, sumBytes, type Deletion } from './deletions.js';
import { joinPatch } from './patches.js';
import type { Hit, Rule, RuleContext } from './rule.js';

/** The named RUNs joined into one, when nothing else (no other instruction, no unparsed line) lies between them. */
function joinedPatch(context: RuleContext, { remover, consecutive }: Deletion): Patch | null {
  const runs = [...new Set([...consecutive.map((creator) => creator.step.instruction), remover.instruction])].sort((a, b) => a.line - b.line);
  const first = runs[0]!.line;
  const last = runs.at(-1)!;
  const between = context.steps.filter((step) => step.instruction.line >= first && step.instruction.line <= last.line);
  const stray = context.dockerfile.problems.some((problem) => problem.line >= first && problem.line <= last.endLine);
  return between.length !== runs.length || stray ? null : joinPatch(context, runs);
}

export const joinRuns: Rule = {
  id: 'join-runs',
  summary: 'consecutive RUNs where a later one cleans up what an earlier one created: joined, the bytes never reach a layer',
  check: (context) =>
    deletionsOf(context).flatMap((deletion): Hit[] => {
      const { remover, consecutive, shown, verb } = deletion;
      if (consecutive.length === 0) return [];
      const bytes = sumBytes(consecutive);
      const lines = consecutive.map((creator) => creator.step.instruction.line);
      return [
        {
          instruction: remover.instruction,
          severity: 'notice',
          message: `This RUN ${verb} ${bytesOf(bytes)}what the RUN${lines.length > 1 ? 's' : ''} on ${linesPhrase(lines)} just created (${shown}): in separate layers the bytes still ship.`,
          fix: `Join the RUNs on ${linesPhrase([...lines, remover.instruction.line])} into one RUN (\`... && ...\`), so the files never reach a layer.`,
          bytes,
          patch: joinedPatch(context, deletion) ?? undefined
        }
      ];
    })
};
