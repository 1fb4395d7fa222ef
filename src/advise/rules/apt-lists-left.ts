import { APT_LISTS, cacheMounted, coversAny, type Step } from '../run-facts.js';
import { buildkitVariant, bytesPhrase, cacheBytes, eachRun, type Rule } from './rule.js';

/** An install after an earlier RUN's `apt-get update` reads lists that RUN left: that RUN gets the finding. */
function aptUpdatedBefore(steps: readonly Step[], line: number): boolean {
  return steps.some((step) => step.instruction.line < line && step.facts?.aptUpdate === true);
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
          'End the same RUN with `&& rm -rf /var/lib/apt/lists/*` (after apt-get install).' +
          buildkitVariant(context, 'Or keep the lists out of the layer with `RUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked ...`'),
        bytes
      };
    })
};
