/**
 * What GitHub Actions keeps for a repository, shared by the stand-ins that play its parts: the results
 * service records the artifacts @actions/artifact uploads (their bytes are in Azurite), the fake REST API
 * lists the workflow runs the test registers and the artifacts linked to them.
 */

export interface StoredArtifact {
  id: number;
  name: string;
  /** As the uploader reported it when finalizing: the zip's size. */
  size: number;
  /** `sha256:<hex>` from the finalize request, or null. */
  digest: string | null;
  /** The run and job the runtime token named, as the upload's requests carried them. */
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  /** Where the zip is in Azurite. */
  container: string;
  blob: string;
  createdAt: Date;
  expiresAt: Date | null;
  /** The workflow run the test linked it to, or null. */
  runId: number | null;
}

export interface StoredRun {
  id: number;
  headSha: string;
  event: string;
  /** completed runs have a conclusion: success, failure, cancelled... */
  status: string;
  conclusion: string | null;
  /** `owner/repo` the run's code came from: the repository, or a fork. */
  headRepository: string;
  /** The workflow's file name, `ci.yml`. */
  workflow: string;
  workflowId: number;
  createdAt: Date;
}

export interface NewRun {
  id: number;
  headSha: string;
  event: string;
  conclusion: string | null;
  headRepository: string;
  workflow: string;
  status?: string;
}

export interface ActionsStore {
  artifacts: StoredArtifact[];
  /** Oldest first; the REST API lists them newest first. */
  runs: StoredRun[];
  addRun(run: NewRun): StoredRun;
  /** Makes an uploaded artifact one of the run's, as when that run's job uploaded it. */
  linkArtifact(artifactId: number, runId: number): void;
  /** A new artifact id, as the results service hands out when it finalizes one. */
  nextArtifactId(): number;
}

export function createActionsStore(): ActionsStore {
  const artifacts: StoredArtifact[] = [];
  const runs: StoredRun[] = [];
  const workflowIds = new Map<string, number>();
  let artifactId = 7000;
  // Runs are created in the order the test adds them; one second apart keeps "newest first" unambiguous.
  let clock = Date.parse('2025-06-01T12:00:00Z');
  return {
    artifacts,
    runs,
    addRun(run) {
      if (runs.some((existing) => existing.id === run.id)) throw new Error(`actions store: run ${run.id} exists already`);
      if (!workflowIds.has(run.workflow)) workflowIds.set(run.workflow, 160_000 + workflowIds.size);
      const stored: StoredRun = {
        status: 'completed',
        ...run,
        workflowId: workflowIds.get(run.workflow)!,
        createdAt: new Date((clock += 1000))
      };
      runs.push(stored);
      return stored;
    },
    linkArtifact(id, runId) {
      const artifact = artifacts.find((candidate) => candidate.id === id);
      if (!artifact) throw new Error(`actions store: no artifact ${id} was uploaded`);
      if (!runs.some((run) => run.id === runId)) throw new Error(`actions store: no run ${runId}; add it first`);
      artifact.runId = runId;
    },
    nextArtifactId: () => ++artifactId
  };
}
