import { APT_VALUED, type Step } from '../run-facts.js';
import { flagPatch, hasOption, programAt, programName, subcommandWord, type Command } from './patches.js';
import { eachRun, type Rule } from './rule.js';

const NO_RECOMMENDS = /APT::Install-Recommends=(?:false|0|no)/i;

/** The `install` of an apt-get/apt command that recommends (the patch's flag goes right after it). */
function recommendingInstall(command: Command) {
  const program = programAt(command);
  if (!['apt-get', 'apt'].includes(programName(command))) return null;
  const install = subcommandWord(command, program + 1, 'install', APT_VALUED);
  if (install === null || install === 'unsafe') return install;
  const off = hasOption(command, program + 1, '--no-install-recommends') || command.words.some((word) => NO_RECOMMENDS.test(word.value));
  return off ? null : install;
}

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
        bytes: null,
        patch:
          flagPatch(context, instruction, '--no-install-recommends', recommendingInstall, (after) =>
            after.installs.every((install) => install.manager !== 'apt' || install.clean || install.packages.length === 0)
          ) ?? undefined
      };
    })
};
