import type { Instruction, ParsedDockerfile } from '../../dockerfile/parse.js';
import { APT_LISTS, cacheMounted, coversAny, stepsOf, type Step } from '../run-facts.js';
import { appendPatch } from './patches.js';
import { buildkitVariant, bytesPhrase, cacheBytes, eachRun, type Rule } from './rule.js';

const CLEANUP = 'rm -rf /var/lib/apt/lists/*';

/** An install after an earlier RUN's `apt-get update` reads lists that RUN left: that RUN gets the finding. */
function aptUpdatedBefore(steps: readonly Step[], line: number): boolean {
  return steps.some((step) => step.instruction.line < line && step.facts?.aptUpdate === true);
}

/**
 * A later RUN of a stage built on this one that installs with apt without its own `apt-get update` reads the lists
 * this RUN leaves: removing them here would break that install, so the fix is not mechanical.
 */
function listsReadLater(dockerfile: ParsedDockerfile, instruction: Instruction): boolean {
  return dockerfile.stages.some((stage) => {
    const steps = stepsOf({ ...dockerfile, final: stage });
    const at = steps.findIndex((step) => step.instruction === instruction);
    return (
      at !== -1 &&
      steps.slice(at + 1).some(({ facts }) => facts !== null && !facts.aptUpdate && facts.installs.some((install) => install.manager === 'apt'))
    );
  });
}

export const aptListsLeft: Rule = {
  id: 'apt-lists-left',
  summary: 'apt-get update/install in a RUN that does not also remove /var/lib/apt/lists/* (hadolint DL3009)',
  check: (context) =>
    eachRun(context, ({ instruction }, facts) => {
      const installs = facts.installs.some((install) => install.manager === 'apt');
      const fetchesLists = facts.aptUpdate || (installs && !aptUpdatedBefore(context.steps, instruction.line));
      if (!fetchesLists || coversAny(facts.removed, APT_LISTS) || cacheMounted(instruction, [APT_LISTS])) return null;
      const bytes = cacheBytes(context, ['apt'], instruction.line);
      return {
        instruction,
        severity: 'warning',
        message: `This RUN leaves ${bytesPhrase(bytes, 'apt package lists')} in its layer (/var/lib/apt/lists).`,
        fix:
          `End the same RUN with \`&& ${CLEANUP}\` (after apt-get install).` +
          buildkitVariant(context, 'Or keep the lists out of the layer with `RUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked ...`'),
        bytes,
        patch: listsReadLater(context.dockerfile, instruction)
          ? undefined
          : (appendPatch(context, instruction, CLEANUP, (after) => coversAny(after.removed, APT_LISTS)) ?? undefined)
      };
    })
};
