import { downloadOf } from '../run-facts.js';
import { bytesOf, deletionsOf, linesPhrase, sumBytes, type Deletion } from './deletions.js';
import { buildkitVariant, type Hit, type Rule, type RuleContext } from './rule.js';

/**
 * Owner and mode set while copying instead of in a later RUN. `COPY --chown` works on every builder, `COPY --chmod`
 * needs BuildKit: without it, the mode comes from the build context (git keeps the executable bit) or a build stage.
 */
function copyRewriteFix(context: RuleContext, modeChanged: boolean): string {
  const tail = ' instead of changing the files in a later RUN, which copies every one of them into a new layer.';
  if (!modeChanged) return `Set the owner while copying (\`COPY --chown=user:group ...\`, which every builder supports)${tail}`;
  const withBuildkit = 'Set owner and mode while copying (`COPY --chown=user:group --chmod=755 ...`)';
  if (context.builder === 'buildkit') return `${withBuildkit}${tail}`;
  return (
    'Give the files their mode before they are copied: in the build context (git keeps the executable bit: ' +
    '`git update-index --chmod=+x <file>`) or in a build stage they are copied from, and set the owner with ' +
    `\`COPY --chown=user:group ...\`${tail}` +
    buildkitVariant(context, 'Or set both while copying: `COPY --chown=user:group --chmod=755 ...`')
  );
}

/** A downloaded file's mode set in the RUN that downloads it: ADD saves downloads with mode 600. */
function downloadRewriteFix(context: RuleContext, download: { url: string; file: string }): string {
  return (
    `Download and set the mode in one RUN, in place of the ADD: \`RUN curl -fsSLo ${download.file} ${download.url} && chmod 755 ${download.file}\`` +
    ' (the image needs curl; without it, download in a build stage and COPY --from it, which keeps the mode).' +
    buildkitVariant(context, `Or keep the ADD and set the mode while downloading: \`ADD --chmod=755 ${download.url} ${download.file}\``)
  );
}

function fixOf(context: RuleContext, found: Deletion, from: string): string {
  const { earlier, remover, rewrites, replaces } = found;
  // COPY/ADD creators have no RUN facts.
  const copied = earlier.some((creator) => creator.step.facts === null);
  const onlyCopied = earlier.every((creator) => creator.step.facts === null);
  const downloads = earlier.flatMap((creator) => downloadOf(creator.step.instruction, creator.step.workdir) ?? []);
  if (rewrites && downloads.length === 1 && earlier.length === 1) return downloadRewriteFix(context, downloads[0]!);
  if (rewrites && copied) return copyRewriteFix(context, remover.facts!.modeChanged);
  if (replaces) {
    return onlyCopied
      ? `Leave these files out of the copy at ${from} (a .dockerignore entry or a narrower COPY): this RUN writes them again, so the copied ones ship unseen.`
      : `Write these files once: this RUN writes again what ${from} made, so the first copies ship unseen. Make them in one RUN, or leave them out of the earlier one.`;
  }
  if (onlyCopied) {
    return `Keep it out of the image at ${from} instead: a .dockerignore entry, a narrower COPY, or a build stage; deleting in a later RUN does not shrink the image.`;
  }
  const deletes = remover.facts!.removed.length > 0;
  const action = !rewrites ? 'Delete' : deletes ? 'Delete or change owner and mode' : 'Change owner and mode';
  return (
    `${action} in the same RUN that creates it (${from})${copied ? ', or keep copied files out with .dockerignore or a build stage' : ''}; ` +
    `${!rewrites ? 'deleting' : deletes ? 'deleting or changing them' : 'changing them'} in a later RUN does not shrink the image.`
  );
}

export const deleteInLaterRun: Rule = {
  id: 'delete-in-later-run',
  summary: 'a RUN deletes or rewrites what an earlier instruction created: the bytes still ship in the earlier layer',
  check: (context) =>
    deletionsOf(context).flatMap((found): Hit[] => {
      const { remover, earlier, shown, verb } = found;
      if (earlier.length === 0) return [];
      const bytes = sumBytes(earlier);
      const from = linesPhrase(earlier.map((creator) => creator.step.instruction.line));
      return [
        {
          instruction: remover.instruction,
          severity: 'warning',
          message: `This RUN ${verb} ${bytesOf(bytes)}what ${from} created (${shown}): the bytes still ship in the earlier layer.`,
          fix: fixOf(context, found, from),
          bytes
        }
      ];
    })
};
