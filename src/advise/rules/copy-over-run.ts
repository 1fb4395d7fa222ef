import { formatBytes } from '../../units.js';
import type { Step } from '../run-facts.js';
import { linesPhrase, measuredPairsOf, shownPaths, type MeasuredPair } from './deletions.js';
import type { Hit, Rule } from './rule.js';

/**
 * Below this a replaced file is a configuration file put in place of a package's default (`nginx.conf`): the
 * usual way to configure, and no fix would save anything worth the change.
 */
export const COPY_OVER_RUN_MIN_BYTES = 1_000_000;

export const copyOverRun: Rule = {
  id: 'copy-over-run',
  summary: "a COPY/ADD replaces files an earlier RUN made: the RUN's copies still ship in its layer",
  check: (context) => {
    const byCopy = new Map<Step, MeasuredPair[]>();
    for (const pair of measuredPairsOf(context)) {
      const { creator, remover } = pair;
      const copies = remover.instruction.keyword === 'COPY' || remover.instruction.keyword === 'ADD';
      if (!copies || creator.facts === null) continue;
      byCopy.set(remover, [...(byCopy.get(remover) ?? []), pair]);
    }
    // Hits in the order of the instructions.
    const ordered = [...byCopy].sort(([a], [b]) => a.instruction.line - b.instruction.line);
    return ordered.flatMap(([remover, pairs]): Hit[] => {
      const bytes = pairs.reduce((sum, pair) => sum + pair.bytes, 0);
      if (bytes < COPY_OVER_RUN_MIN_BYTES) return [];
      const files = pairs.reduce((sum, pair) => sum + pair.files, 0);
      const named = pairs.reduce((sum, pair) => sum + pair.namedFiles, 0);
      const lines = pairs.map((pair) => pair.creator.instruction.line);
      const runs = `the RUN${new Set(lines).size > 1 ? 's' : ''} on ${linesPhrase(lines)}`;
      return [
        {
          instruction: remover.instruction,
          severity: 'warning',
          message:
            `This ${remover.instruction.keyword} replaces ${formatBytes(bytes)} of files ${runs} made ` +
            `(${shownPaths(
              pairs.flatMap((pair) => pair.paths),
              files,
              named
            )}): the RUN's copies still ship in its layer.`,
          fix:
            `Make each file once: copy first and run after when ${runs} needs the copied files, leave out of the copy what ` +
            'the RUN makes anyway (a .dockerignore entry for node_modules or build output, or a narrower COPY), or keep the RUN ' +
            'from making them (build in a stage of its own and COPY --from it only what ships).',
          bytes
        }
      ];
    });
  }
};
