/**
 * The size rules on Dockerfile lines, one registry entry each: id, summary and
 * check side by side. Each check reads the instructions of the stages whose
 * layers ship (the final stage and the stages its FROM chain names; a build
 * stage only copied from does not ship its caches) and, where the layer anatomy
 * of the built image measured them, states the bytes the fix saves. Pure: a
 * parsed Dockerfile and an anatomy in, findings out.
 *
 * A rule is switched off everywhere by the config's `ignore`, on one
 * instruction by `# footprint-ignore: rule-id` (or `all`) on the line(s) right
 * above it, and a cache rule by a `RUN --mount=type=cache` (or tmpfs) on that
 * cache's folder, which keeps the cache out of the layer.
 */
import type { Finding } from '../../model/report.js';
import { stepsOf } from '../run-facts.js';
import { addRemoteArchive } from './add-remote-archive.js';
import { apkNoCache } from './apk-no-cache.js';
import { aptListsLeft } from './apt-lists-left.js';
import { aptNoInstallRecommends } from './apt-no-install-recommends.js';
import { buildDepsKept } from './build-deps-kept.js';
import { copyAllWithoutDockerignore } from './copy-all-without-dockerignore.js';
import { copyOverRun } from './copy-over-run.js';
import { deleteInLaterRun } from './delete-in-later-run.js';
import { joinRuns } from './join-runs.js';
import { pipNoCacheDir } from './pip-no-cache-dir.js';
import { npmDevDependencies } from './npm-dev-dependencies.js';
import type { Hit, Rule, RuleContext, RuleInput } from './rule.js';
import { yumCacheLeft } from './yum-cache-left.js';

export type { Rule, RuleInput } from './rule.js';

/** Every size rule, in the order the README's table lists them. */
export const RULES: readonly Rule[] = [
  aptListsLeft,
  aptNoInstallRecommends,
  apkNoCache,
  yumCacheLeft,
  buildDepsKept,
  pipNoCacheDir,
  npmDevDependencies,
  joinRuns,
  deleteInLaterRun,
  copyOverRun,
  addRemoteArchive,
  copyAllWithoutDockerignore
];

/** A measured saving makes the finding a warning, whatever the rule says without one. */
function findingOf(rule: string, hit: Hit): Finding {
  const known = hit.bytes !== null && hit.bytes > 0;
  return {
    rule,
    line: hit.instruction.line,
    severity: known ? 'warning' : hit.severity,
    message: hit.message,
    fix: hit.fix,
    savingsBytes: known ? hit.bytes : null,
    savingsMetric: known ? 'uncompressed' : null,
    measured: known,
    patch: hit.patch ?? null,
    verification: null
  };
}

/** Every rule's findings that are not ignored, in the order of the lines; on one line, in registry order. */
export function checkRules(input: RuleInput): Finding[] {
  const context: RuleContext = { ...input, steps: stepsOf(input.dockerfile) };
  const findings: Finding[] = [];
  for (const rule of RULES) {
    if (input.ignore.includes(rule.id)) continue;
    for (const hit of rule.check(context)) {
      const { ignored } = hit.instruction;
      if (!ignored.includes(rule.id) && !ignored.includes('all')) findings.push(findingOf(rule.id, hit));
    }
  }
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
