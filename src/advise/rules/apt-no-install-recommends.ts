import type { Step } from '../run-facts.js';
import { eachRun, type Rule } from './rule.js';

/** An earlier RUN that switched recommends off for apt (`APT::Install-Recommends "false"` in apt.conf.d). */
function recommendsConfigured(steps: readonly Step[], line: number): boolean {
  return steps.some(
    (step) => step.instruction.line < line && /Install-Recommends\W+(?:false|0|no)\b/i.test(step.facts?.text ?? step.instruction.args)
  );
}

export const aptNoInstallRecommends: Rule = {
  id: 'apt-no-install-recommends',
  summary: 'apt-get install without --no-install-recommends pulls in recommended packages (DL3015)',
  check: (context) =>
    eachRun(context, ({ instruction }, facts) => {
      const recommending = facts.installs.filter((install) => install.manager === 'apt' && !install.clean && install.packages.length > 0);
      const first = recommending[0];
      if (first === undefined || recommendsConfigured(context.steps, instruction.line)) return null;
      return {
        instruction,
        severity: 'notice',
        message: `\`${first.tool} install\` without --no-install-recommends also installs every recommended package.`,
        fix: `Add \`--no-install-recommends\`: \`${first.tool} install -y --no-install-recommends ${first.packages.slice(0, 4).join(' ')}\`, and name any recommended package you do need.`,
        bytes: null
      };
    })
};
