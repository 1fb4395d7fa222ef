// What the benchmarks share: running a command, asking docker whether an image exists, medians.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Runs a command and returns its stdout; throws with the end of its stderr when it fails. */
export function run(file, args, options = {}) {
  const result = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    throw new Error(
      `${file} ${args.join(' ')} failed (${result.error?.message ?? `exit code ${result.status}`}):\n${(result.stderr ?? '').slice(-3000)}`
    );
  }
  return result.stdout;
}

export function imageExists(ref) {
  return spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', '--', ref], { stdio: 'ignore' }).status === 0;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Bundles a benchmark entry (TypeScript that imports the sources) with ncc into `dir` and returns the
 * bundle's path: Node cannot import the sources directly, as they import `.js` paths. Type checking is
 * `npm run build`'s job: transpile only, so the benchmark measures the code as it is.
 */
export function bundleEntry(root, entry, dir) {
  const ncc = join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js');
  run(process.execPath, [ncc, 'build', join(root, entry), '-o', dir, '--quiet', '--transpile-only', '--target', 'es2022'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe']
  });
  return join(dir, 'index.js');
}

/** Prints rows of [what, figure, comparison, verdict] as aligned columns. */
export function printTable(rows) {
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length)));
  console.log('');
  for (const row of rows) {
    console.log(
      row
        .map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell))
        .join('   ')
        .trimEnd()
    );
  }
}
