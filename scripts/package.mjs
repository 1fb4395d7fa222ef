#!/usr/bin/env node
// Bundles the action (dist/index.js), its post step (dist/post/index.js), the CLI (dist/cli/index.js) and the
// worker both analyse images in (dist/analysis-worker/index.js) with ncc.
// CI checks that the committed dist/ is exactly what this produces.
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';

const ncc = 'node_modules/@vercel/ncc/dist/ncc/cli.js';
rmSync('dist', { recursive: true, force: true });
for (const [entry, out] of [
  ['src/index.ts', 'dist'],
  ['src/post.ts', 'dist/post'],
  ['src/cli.ts', 'dist/cli'],
  ['src/measure/analysis-worker.ts', 'dist/analysis-worker']
]) {
  const result = spawnSync(process.execPath, [ncc, 'build', entry, '-o', out, '--license', 'licenses.txt', '--quiet', '--target', 'es2022'], {
    stdio: 'inherit'
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
chmodSync('dist/cli/index.js', 0o755);
