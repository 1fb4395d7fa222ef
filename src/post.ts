/**
 * The action's `post:` step: removes what a killed run left (its base-branch worktree, temporary folders, image
 * tags), as listed in the state the main step saved after every change. What is already gone is skipped; nothing
 * here ever fails the job.
 */
import * as core from '@actions/core';
import { describeLeftover, parseLeftovers, removeLeftover, STATE_NAME } from './cleanup.js';

export async function post(): Promise<void> {
  const leftovers = parseLeftovers(core.getState(STATE_NAME) || '[]');
  if (leftovers.length === 0) {
    core.info('Nothing to clean up.');
    return;
  }
  core.info(`The run left ${leftovers.length} thing${leftovers.length === 1 ? '' : 's'} behind; removing them.`);
  // Newest first, as the run itself would: an image tag before the worktree it was built from.
  for (const leftover of leftovers.reverse()) {
    core.info(`removing ${describeLeftover(leftover)}`);
    await removeLeftover(leftover);
  }
}

await post();
