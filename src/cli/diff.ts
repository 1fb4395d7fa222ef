/**
 * `footprint diff OLD NEW`: any two images compared without a build — local
 * references, `oci-archive:PATH` or `docker-archive:PATH` — printing what changed
 * by Dockerfile line, by path and by package (or the report as JSON).
 */
import { parseArgs } from 'node:util';
import { createDockerEngine } from '../build/engine.js';
import { messageOf, UserError } from '../errors.js';
import { exec } from '../exec.js';
import { parseImages } from '../input-parsers.js';
import { diffImages } from '../pipeline.js';
import { bundledAnalyser } from '../measure/isolated.js';
import { CLI_ANALYSIS_WORKER, printReport, type CliIo } from './main.js';

const DEFAULT_ROWS = 15;

export const DIFF_USAGE = `Usage: footprint diff OLD NEW [options]

Compares two images that are already built, without building anything, and prints
what changed: by Dockerfile line (from the images' history), by path and by package.
OLD and NEW are local image references, oci-archive:PATH or docker-archive:PATH.

Options:
  --rows N               rows per view (default ${DEFAULT_ROWS})
  --no-compressed-size   skip the gzip estimate for layers that arrive uncompressed (faster)
  --json                 print the report as JSON instead of the table
  --no-color             no colours
  -h, --help             this help

Example:
  footprint diff myapp:1.4 myapp:1.5
  footprint diff oci-archive:old.tar oci-archive:new.tar --json`;

/** Runs the subcommand with the arguments after `diff`; `print` writes repository text safely. Returns the exit code. */
export async function runDiff(argv: string[], io: CliIo, print: (stream: NodeJS.WritableStream, text: string) => void): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        rows: { type: 'string' },
        'no-compressed-size': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      }
    });
  } catch (error) {
    io.stderr.write(`footprint diff: ${messageOf(error)}\n\n${DIFF_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.stdout.write(`${DIFF_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 2) {
    io.stderr.write(`footprint diff: expected two images, OLD and NEW, got ${positionals.length}\n\n${DIFF_USAGE}\n`);
    return 2;
  }
  const rows = values.rows === undefined ? DEFAULT_ROWS : Number(values.rows);
  if (!Number.isInteger(rows) || rows < 1 || rows > 1000) {
    io.stderr.write(`footprint diff: --rows must be a whole number from 1 to 1000, got "${values.rows}"\n`);
    return 2;
  }
  try {
    // The same checks as --image: references that cannot read as options, archive paths as files.
    const [older, newer] = parseImages([`old=${positionals[0]}`, `new=${positionals[1]}`], 'footprint diff').map((image) => image.ref);
    const engine = await createDockerEngine({ exec });
    const analyser = bundledAnalyser(CLI_ANALYSIS_WORKER);
    const progress = (line: string) => print(io.stderr, line);
    const report = await diffImages(
      { old: older!, new: newer!, compressedSize: !values['no-compressed-size'] },
      {
        engine,
        ...(analyser ? { analyser } : {}),
        hooks: {
          onStart: ({ target }) => progress(`reading ${target.image} …`),
          onDone: ({ measurement, seconds }) => progress(`read ${measurement.target.image} in ${seconds.toFixed(1)} s`)
        }
      }
    );
    const image = report.images[0]!;
    printReport(report, io, { json: values.json, noColor: values['no-color'] }, { changeRows: rows, against: older! });
    const failure = image.error?.message ?? image.baseError?.message;
    if (failure !== undefined) {
      if (!values.json) print(io.stderr, `\nfootprint diff: ${failure}`);
      return 1;
    }
    return 0;
  } catch (error) {
    print(io.stderr, `footprint diff: ${error instanceof UserError ? error.message : `unexpected error: ${messageOf(error)}`}`);
    return 2;
  }
}
