/**
 * Stored baselines as workflow artifacts: a branch's run keeps its report, a pull request's run
 * finds the one its base commit kept. Nothing here fails the job: a report that cannot be kept
 * or found is a warning, and the run builds the base side instead.
 */
import type { Octokit } from '../github/octokit.js';
import type { BaselineLookup, BaselineStore } from '../pipeline.js';
import { extendTrend, trendPoint } from '../compare/trend.js';
import type { Report } from '../model/report.js';
import { baselineArtifactName, findBaseline, uploadBaseline } from './artifacts.js';
import { BASELINE_FORMAT, BASELINE_VERSION, parseStoredBaseline, type StoredBaseline } from './stored.js';

export interface StoreOptions {
  /** Made when the first lookup is made: a run that never looks makes no GitHub client. */
  octokit: () => Octokit;
  /** The job's token, for the artifact download; never logged. */
  token: string;
  owner: string;
  repo: string;
  /** The workflow file of this run (its runs are the ones searched); null: any workflow of the repository. */
  workflow: string | null;
  commentKey: string;
  warn(message: string): void;
}

/** What a workflow must grant for the lookup, quoted in the warning when it is refused. */
export const ACTIONS_READ_HINT = 'give the workflow `permissions: actions: read` so pull requests can use the reports their base commits stored';

/** Looks up the report a base commit's own run stored, and trusts it only once it is validated. */
export function createBaselineStore(options: StoreOptions): BaselineStore {
  const repository = `${options.owner}/${options.repo}`;
  let octokit: Octokit | null = null;
  return {
    async find(sha: string): Promise<BaselineLookup> {
      const found = await findBaseline({
        octokit: (octokit ??= options.octokit()),
        token: options.token,
        owner: options.owner,
        repo: options.repo,
        workflow: options.workflow,
        sha,
        name: baselineArtifactName(options.commentKey)
      });
      if (found.kind === 'refused') {
        options.warn(`The stored report of the base commit could not be looked up: ${found.reason.replace(/\.$/, '')}; ${ACTIONS_READ_HINT}.`);
        return found;
      }
      if (found.kind === 'missing') return found;
      const parsed = parseStoredBaseline(found.json, { repository, sha });
      if (!parsed.ok) {
        const reason = `its stored report (workflow run ${found.run.id}) is ignored: ${parsed.reason}`;
        options.warn(
          `The base commit's stored report (workflow run ${found.run.id}) is ignored, so the base side is built instead: ${parsed.reason}.`
        );
        return { kind: 'missing', reason };
      }
      return { kind: 'found', baseline: parsed.baseline, run: { id: found.run.id, url: found.run.htmlUrl } };
    }
  };
}

/** What a run knows about itself, for the stored report. */
export interface RunFacts {
  repository: string;
  sha: string;
  ref: string | null;
  event: string;
  createdAt: string;
}

/** The report to keep: this run's report with the branch's history up to this commit. */
export function newBaseline(report: Report, run: RunFacts): StoredBaseline {
  const trend = extendTrend(report.trend, trendPoint(report, run.sha, run.createdAt));
  // The history is kept once, beside the report.
  return { format: BASELINE_FORMAT, version: BASELINE_VERSION, ...run, report: { ...report, trend: null }, trend };
}

/** Keeps the report as this run's artifact; a failure is a warning, never the job's outcome. */
export async function keepBaseline(
  report: Report,
  run: RunFacts,
  commentKey: string,
  log: { info(m: string): void; warn(m: string): void }
): Promise<boolean> {
  const name = baselineArtifactName(commentKey);
  try {
    const { id, size } = await uploadBaseline(name, JSON.stringify(newBaseline(report, run)));
    log.info(`Kept this report as the artifact ${name} (id ${id}, ${size} bytes) for pull requests based on ${run.sha.slice(0, 7)}.`);
    return true;
  } catch (error) {
    log.warn(
      `This report could not be kept as the artifact ${name}, so pull requests based on this commit will build their base side: ${error instanceof Error ? error.message : String(error)}`
    );
    return false;
  }
}
