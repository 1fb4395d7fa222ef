import type { Instruction } from '../../dockerfile/parse.js';
import type { Patch } from '../../model/report.js';
import { APK_CACHE, cacheMounted, coversAny, APK_VALUED } from '../run-facts.js';
import { editableScript, hasOption, insertEdit, patchOf, programAt, programName, subcommandWord, type Command, type Edit } from './patches.js';
import { bytesPhrase, cacheBytes, eachRun, type Rule, type RuleContext } from './rule.js';

/** The `apk update` of a command that is nothing else, right before an `apk add` it is joined to by `&&`: a clean cut. */
function separateUpdate(command: Command, next: Command | undefined): boolean {
  return (
    programAt(command) === 0 &&
    command.words.every((word) => word.plain) &&
    command.after === '&&' &&
    ['', '&&', ';'].includes(command.before) &&
    next !== undefined &&
    programAt(next) === 0 &&
    programName(next) === 'apk' &&
    subcommandWord(next, 1, 'add', APK_VALUED) !== null
  );
}

/**
 * `--no-cache` after each `apk add` that lacks it, and `apk update && ` in front of an `apk add` dropped (`--no-cache`
 * fetches the index itself). Null when an `apk update` cannot be cut out so, or other apk commands would miss the index.
 */
function noCachePatch(context: RuleContext, instruction: Instruction): Patch | null {
  const script = editableScript(context, instruction);
  if (script === null) return null;
  const edits: Edit[] = [];
  let others = false;
  for (const [index, command] of script.commands.entries()) {
    if (programName(command) !== 'apk') continue;
    const from = programAt(command) + 1;
    const add = subcommandWord(command, from, 'add', APK_VALUED);
    const update = subcommandWord(command, from, 'update', APK_VALUED);
    if (add === 'unsafe' || update === 'unsafe') return null;
    if (add !== null) {
      if (!add.plain) return null;
      if (!hasOption(command, from, '--no-cache')) edits.push(insertEdit(add, '--no-cache'));
    } else if (update !== null && !hasOption(command, from, '--no-cache')) {
      const next = script.commands[index + 1];
      if (!separateUpdate(command, next)) return null;
      const drop = [...command.words.map((word) => word.token), command.afterToken];
      edits.push({ start: command.words[0]!.start, end: next!.words[0]!.start, text: '', drop });
    } else if (update === null && subcommandWord(command, from, 'del', APK_VALUED) === null) {
      others = true;
    }
  }
  if (others && edits.some((edit) => edit.drop !== undefined)) return null;
  return patchOf(
    instruction,
    context.dockerfile.escape,
    script,
    edits,
    (after) => !after.apkUpdate && after.installs.every((install) => install.manager !== 'apk' || install.clean)
  );
}

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
        fix: `Use \`apk add --no-cache ...\` (it fetches the index without storing it)${facts.apkUpdate ? ' and drop the separate `apk update`' : ''}.`,
        bytes,
        patch: noCachePatch(context, instruction) ?? undefined
      };
    })
};
