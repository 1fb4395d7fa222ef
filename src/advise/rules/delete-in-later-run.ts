import { bytesOf, deletionsOf, linesPhrase, sumBytes } from './deletions.js';
import type { Hit, Rule } from './rule.js';

export const deleteInLaterRun: Rule = {
  id: 'delete-in-later-run',
  summary: 'a RUN deletes or rewrites what an earlier instruction created: the bytes still ship in the earlier layer',
  check: (context) =>
    deletionsOf(context).flatMap(({ remover, earlier, shown, rewrites, verb }): Hit[] => {
      if (earlier.length === 0) return [];
      const bytes = sumBytes(earlier);
      const from = linesPhrase(earlier.map((creator) => creator.step.instruction.line));
      // COPY/ADD creators have no RUN facts.
      const copied = earlier.some((creator) => creator.step.facts === null);
      const onlyCopied = earlier.every((creator) => creator.step.facts === null);
      const fix =
        rewrites && copied
          ? 'Set owner and mode while copying (`COPY --chown=user:group --chmod=755 ...`) instead of changing the files in a later RUN, which copies every one of them into a new layer.'
          : onlyCopied
            ? `Keep it out of the image at ${from} instead: a .dockerignore entry, a narrower COPY, or a build stage; deleting in a later RUN does not shrink the image.`
            : `Delete in the same RUN that creates it (${from})${copied ? ', or keep copied files out with .dockerignore or a build stage' : ''}; deleting in a later RUN does not shrink the image.`;
      return [
        {
          instruction: remover.instruction,
          severity: 'warning',
          message: `This RUN ${verb} ${bytesOf(bytes)}what ${from} created (${shown}): the bytes still ship in the earlier layer.`,
          fix,
          bytes
        }
      ];
    })
};
