/**
 * The analysing process of the anatomy benchmark (scripts/bench-anatomy.mjs bundles
 * it with ncc): reads one image from the local daemon the way footprint does and
 * prints what it found and what it cost as one JSON line.
 *
 *   node index.js IMAGE [--no-compress] [--probe]
 *
 * Prints `{ ms, layers, files, entries, bytes, compressedBytes, peakRssMb }`:
 * wall time of the read, layer count, non-directory entries, all entries,
 * uncompressed bytes, estimated gzip bytes (null with --no-compress), and the
 * process's peak resident set size. `--probe` reads the headers of every executable file as
 * the analysis does for the entrypoint (ReadOptions.probeExecutables), and adds `executables`.
 */
import { readImage } from '../../src/analyse/source.js';
import { messageOf } from '../../src/errors.js';

async function main(args: string[]): Promise<void> {
  const ref = args.find((arg) => !arg.startsWith('--'));
  const unknown = args.filter((arg) => arg.startsWith('--') && arg !== '--no-compress' && arg !== '--probe');
  if (ref === undefined || unknown.length > 0) throw new Error('usage: anatomy-entry IMAGE [--no-compress] [--probe]');
  const estimateCompressed = !args.includes('--no-compress');
  const probeExecutables = args.includes('--probe');

  const started = performance.now();
  const image = await readImage({ kind: 'daemon', ref }, { estimateCompressed, probeExecutables });
  const ms = performance.now() - started;

  let files = 0;
  let entries = 0;
  let bytes = 0;
  let compressedBytes: number | null = 0;
  for (const layer of image.layers) {
    entries += layer.entries.length;
    for (const entry of layer.entries) if (entry.kind !== 'directory') files++;
    bytes += layer.fileBytes;
    compressedBytes = compressedBytes === null || layer.compressedBytes === null ? null : compressedBytes + layer.compressedBytes;
  }
  // maxRSS is in kibibytes.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const executables = image.layers.reduce((sum, layer) => sum + layer.executables.size, 0);
  process.stdout.write(`${JSON.stringify({ ms, layers: image.layers.length, files, entries, bytes, compressedBytes, peakRssMb, executables })}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${messageOf(error)}\n`);
  process.exitCode = 1;
});
