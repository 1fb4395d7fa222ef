import { APK_CACHE, cacheMounted, coversAny } from '../run-facts.js';
import { bytesPhrase, cacheBytes, eachRun, type Rule } from './rule.js';

export const apkNoCache: Rule = {
  id: 'apk-no-cache',
  summary: 'apk add/update without --no-cache leaves the package index in /var/cache/apk (DL3019)',
  check: (context) =>
    eachRun(context, ({ instruction }, facts) => {
      const caching = facts.installs.some((install) => install.manager === 'apk' && !install.clean) || facts.apkUpdate;
      if (!caching || coversAny(facts.removed, APK_CACHE) || cacheMounted(instruction, [APK_CACHE, '/etc/apk/cache'])) return null;
      const bytes = cacheBytes(context, ['apk'], instruction.line);
      return {
        instruction,
        severity: 'warning',
        message: `\`apk ${facts.apkUpdate ? 'update' : 'add'}\` without --no-cache leaves ${bytesPhrase(bytes, 'the package index')} in /var/cache/apk.`,
        fix: 'Use `apk add --no-cache ...` (it fetches the index without storing it) and drop a separate `apk update`.',
        bytes
      };
    })
};
