#!/usr/bin/env node
import { handleSignals } from './cleanup.js';
import { runCli } from './cli/main.js';

// Ctrl-C stops the builds and removes the base-branch worktree, temporary folders and image tags first.
handleSignals({ log: (message) => process.stderr.write(`footprint: ${message}\n`) });

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env
});
