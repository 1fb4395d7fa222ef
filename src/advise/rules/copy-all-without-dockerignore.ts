import { copyWords } from '../run-facts.js';
import { eachStep, type Rule } from './rule.js';

export const copyAllWithoutDockerignore: Rule = {
  id: 'copy-all-without-dockerignore',
  summary: 'COPY . with no .dockerignore copies the whole build context (.git, caches, local builds) into the image',
  check: (context) =>
    eachStep(context, ({ instruction }) => {
      // COPY --from copies from a stage or image, not from the build context.
      const fromContext = (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') && instruction.flags['from'] === undefined;
      if (!fromContext || context.hasDockerignore) return null;
      if (!copyWords(instruction).sources.some((source) => source === '.' || source === './')) return null;
      return {
        instruction,
        severity: 'notice',
        message: `\`${instruction.keyword} ${instruction.args.split('\n')[0]}\` copies the whole build context and it has no .dockerignore: .git, local builds and caches ship too.`,
        fix: 'Add a .dockerignore next to the build context listing what the image does not need (.git, node_modules, build output, tests), or copy only what it needs.',
        bytes: null
      };
    })
};
