import { PIP_CACHE, cacheMounted, coversAny } from '../run-facts.js';
import { envOf, flagPatch, hasOption, programAt, programName, subcommandWord, type Command } from './patches.js';
import { bytesPhrase, cacheBytes, eachRun, type Rule } from './rule.js';

/** pip options that take the next word as their value (the common ones: another one before `install` gives no patch). */
const PIP_VALUED = new Set([
  ...['-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-t', '--target', '--prefix', '--root', '--src'],
  ...['-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--trusted-host', '--proxy', '--cache-dir', '--log', '--timeout']
]);

/** PIP_NO_CACHE_DIR set to anything but an empty or false value switches pip's cache off. */
function pipCacheOff(env: Record<string, string>): boolean {
  const value = env['PIP_NO_CACHE_DIR'];
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.toLowerCase());
}

/** The `install` of a pip (`pip3`, `python -m pip`) command that keeps its cache (the patch's flag goes right after it). */
function cachingInstall(command: Command) {
  const program = programAt(command);
  const name = programName(command);
  const { words } = command;
  let from = program + 1;
  if (/^python(?:\d+(?:\.\d+)*)?$/.test(name) && words[program + 1]?.value === '-m' && /^pip\d*$/.test(words[program + 2]?.value ?? ''))
    from = program + 3;
  else if (!/^pip(?:\d+(?:\.\d+)*)?$/.test(name)) return null;
  const install = subcommandWord(command, from, 'install', PIP_VALUED);
  if (install === null || install === 'unsafe') return install;
  return hasOption(command, from, '--no-cache-dir') || pipCacheOff(envOf(command)) ? null : install;
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
        bytes,
        patch:
          flagPatch(context, instruction, '--no-cache-dir', cachingInstall, (after) =>
            after.pipInstalls.every((pip) => pip.noCacheDir || pipCacheOff(pip.env))
          ) ?? undefined
      };
    })
};
