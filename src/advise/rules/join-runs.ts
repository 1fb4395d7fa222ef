import { bytesOf, deletionsOf, linesPhrase, sumBytes } from './deletions.js';
import type { Hit, Rule } from './rule.js';

export const joinRuns: Rule = {
  id: 'join-runs',
  summary: 'consecutive RUNs where a later one cleans up what an earlier one created: joined, the bytes never reach a layer',
  check: (context) =>
    deletionsOf(context).flatMap(({ remover, consecutive, shown, verb }): Hit[] => {
      if (consecutive.length === 0) return [];
      const bytes = sumBytes(consecutive);
      const lines = consecutive.map((creator) => creator.step.instruction.line);
      return [
        {
          instruction: remover.instruction,
          severity: 'notice',
          message: `This RUN ${verb} ${bytesOf(bytes)}what the RUN${lines.length > 1 ? 's' : ''} on ${linesPhrase(lines)} just created (${shown}): in separate layers the bytes still ship.`,
          fix: `Join the RUNs on ${linesPhrase([...lines, remover.instruction.line])} into one RUN (\`... && ...\`), so the files never reach a layer.`,
          bytes
        }
      ];
    })
};
