import { YUM_CACHES, cacheMounted, coversAny } from '../run-facts.js';
import { appendPatch } from './patches.js';
import { bytesPhrase, cacheBytes, eachRun, type Rule } from './rule.js';

export const yumCacheLeft: Rule = {
  id: 'yum-cache-left',
  summary: 'yum/dnf/microdnf install without "clean all" in the same RUN leaves the package cache',
  check: (context) =>
    eachRun(context, ({ instruction }, facts) => {
      const yum = facts.installs.find((install) => install.manager === 'yum');
      if (yum === undefined || YUM_CACHES.some((cache) => coversAny(facts.removed, cache)) || cacheMounted(instruction, YUM_CACHES)) return null;
      const bytes = cacheBytes(context, ['yum', 'dnf'], instruction.line);
      const cleanup = `${yum.tool} clean all && rm -rf /var/cache/${yum.tool === 'yum' ? 'yum' : 'dnf'}`;
      return {
        instruction,
        severity: 'warning',
        message: `\`${yum.tool} install\` without \`${yum.tool} clean all\` in the same RUN leaves ${bytesPhrase(bytes, 'its package cache')} in /var/cache.`,
        fix: `End the same RUN with \`&& ${cleanup}\`.`,
        bytes,
        patch: appendPatch(context, instruction, cleanup, (after) => YUM_CACHES.some((cache) => coversAny(after.removed, cache))) ?? undefined
      };
    })
};
