import { PIP_CACHE, cacheMounted, coversAny } from '../run-facts.js';
import { bytesPhrase, cacheBytes, eachRun, type Rule } from './rule.js';

/** PIP_NO_CACHE_DIR set to anything but an empty or false value switches pip's cache off. */
function pipCacheOff(env: Record<string, string>): boolean {
  const value = env['PIP_NO_CACHE_DIR'];
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.toLowerCase());
}

export const pipNoCacheDir: Rule = {
  id: 'pip-no-cache-dir',
  summary: 'pip install without --no-cache-dir (or PIP_NO_CACHE_DIR) leaves the wheel cache in ~/.cache/pip (DL3042)',
  check: (context) =>
    eachRun(context, ({ instruction, env }, facts) => {
      const caching = facts.pipInstalls.some((pip) => !pip.noCacheDir && !pipCacheOff(pip.env));
      if (!caching || pipCacheOff(env) || coversAny(facts.removed, PIP_CACHE) || cacheMounted(instruction, [PIP_CACHE])) return null;
      const bytes = cacheBytes(context, ['pip'], instruction.line);
      return {
        instruction,
        severity: 'warning',
        message: `\`pip install\` without --no-cache-dir leaves ${bytesPhrase(bytes, 'downloaded wheels')} in ~/.cache/pip.`,
        fix: 'Use `pip install --no-cache-dir ...`, or set `ENV PIP_NO_CACHE_DIR=1` before it.',
        bytes
      };
    })
};
