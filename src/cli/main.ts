import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDockerEngine } from '../build/engine.js';
import { repoRoot } from '../compare/git.js';
import { loadConfig } from '../config/load.js';
import { messageOf, UserError } from '../errors.js';
import { exec } from '../exec.js';
import { DEFAULT_CONFIG_PATH, DEFAULT_DOCKERFILE_GLOBS } from '../inputs.js';
import { parseBaseRef, parseBuildArgs, parseImages, parseSettings } from '../input-parsers.js';
import { LIMIT_KEYS, LIMITS } from '../limits/index.js';
import { runPipeline, type PipelineInputs } from '../pipeline.js';
import { failMessage } from '../report/fail-message.js';
import { createRegistryClient } from '../registry/client.js';
import { renderTerminal, type TerminalOptions } from '../report/terminal.js';
import type { Report } from '../model/report.js';
import { logUntrusted } from '../github/job-log.js';
import { formatBytes } from '../units.js';
import { bundledAnalyser } from '../measure/isolated.js';
import { DEFAULT_VERIFY_TIMEOUT, readVerify } from '../input-parsers.js';
import { runDiff } from './diff.js';

/** The analysis worker's bundle, from the CLI's (dist/cli/index.js). */
export const CLI_ANALYSIS_WORKER = '../analysis-worker/index.js';

/** One `--name VALUE` line of the usage per limit, from the limits' own help. */
const LIMIT_USAGE = LIMIT_KEYS.map((key) => `  ${`--${LIMITS[key].name} LIMIT`.padEnd(23)}${LIMITS[key].help}`).join('\n');

export const USAGE = `Usage: footprint [folder] [options]
       footprint diff OLD NEW [options]   (see footprint diff --help)

Builds every Dockerfile in the folder, measures each image and prints a table.
Exits with 1 when an image is over its limits or fails to build, 2 on bad usage.

Options:
  --config FILE          config file (default: FOLDER/${DEFAULT_CONFIG_PATH} if it exists)
${LIMIT_USAGE}
  --metric METRIC        what budgets apply to: uncompressed (default) or compressed
  --no-compressed-size   skip the gzip estimate for layers that arrive uncompressed (faster)
  --base-ref REF         compare with the same images built from this git ref
  --dockerfiles GLOBS    comma-separated globs (default: Dockerfile, Dockerfile.*, Dockerfile-*, *.Dockerfile anywhere)
  --image NAME=REF       measure an image that is already built instead of building (repeatable);
                         REF may be oci-archive:PATH or docker-archive:PATH (no Docker needed)
  --build-arg KEY=VALUE  build argument for every build (repeatable)
  --target STAGE         build stage for every build
  --platform PLATFORM    platform for every build
  --verify               build each mechanical fix (smaller base, cache flags, joined RUNs) to prove it builds
                         and measure what it saves; slower: one build per fix
  --verify-timeout TIME  time the fixes of one image may take together (default: ${DEFAULT_VERIFY_TIMEOUT})
  --json                 print the report as JSON instead of the table
  --no-color             no colours in the table
  -h, --help             this help`;

const LIMIT_OPTIONS = Object.fromEntries(LIMIT_KEYS.map((key) => [LIMITS[key].name, { type: 'string' as const }]));

export interface CliIo {
  cwd: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** The local command: the action's pipeline with a terminal table instead of a PR comment. Returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'diff') return runDiff(argv.slice(1), io, printer(io));
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        ...LIMIT_OPTIONS,
        metric: { type: 'string' },
        'no-compressed-size': { type: 'boolean', default: false },
        'base-ref': { type: 'string' },
        dockerfiles: { type: 'string' },
        image: { type: 'string', multiple: true },
        'build-arg': { type: 'string', multiple: true },
        target: { type: 'string' },
        platform: { type: 'string' },
        verify: { type: 'boolean', default: false },
        'verify-timeout': { type: 'string' },
        json: { type: 'boolean', default: false },
        'no-color': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      }
    });
  } catch (error) {
    io.stderr.write(`footprint: ${messageOf(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.positionals.length > 1) {
    io.stderr.write(`footprint: expected at most one folder, got ${args.positionals.length}\n\n${USAGE}\n`);
    return 2;
  }
  const { values } = args;
  const print = printer(io);
  const folder = resolve(io.cwd, args.positionals[0] ?? '.');
  try {
    // Git reports the repository's real path; resolve symlinks so the two compare.
    const root = await realpath(folder).catch(() => {
      throw new UserError(`${folder} does not exist`);
    });
    const option = (name: string) => values[name as keyof typeof values] as string | undefined;
    const inputs: PipelineInputs = {
      dockerfiles: dockerfileGlobs(values.dockerfiles ?? ''),
      settings: parseSettings(option, (name) => `--${name}`, {
        buildArgs: parseBuildArgs(values['build-arg'] ?? [], '--build-arg'),
        target: values.target || null,
        platform: values.platform || null
      }),
      compressedSize: !values['no-compressed-size'],
      baseRef: parseBaseRef(values['base-ref'] ?? '', '--base-ref'),
      baseBranch: null,
      // No stored reports locally: the base side is built, an image with the same build inputs once.
      baseline: 'auto',
      images: parseImages(values.image ?? [], '--image'),
      verify: readVerify(values.verify ? 'true' : 'false', values['verify-timeout'] ?? '', '--verify-timeout')
    };
    const configPath = values.config ? resolve(io.cwd, values.config) : join(root, DEFAULT_CONFIG_PATH);
    const config = await loadConfig(configPath, {
      required: Boolean(values.config),
      displayPath: values.config && isAbsolute(values.config) ? values.config : relative(io.cwd, configPath) || configPath,
      root
    });
    const repo = inputs.baseRef ? await repoRoot(exec, root) : root;
    const engine = await createDockerEngine({ exec });
    const analyser = bundledAnalyser(CLI_ANALYSIS_WORKER);
    const progress = (line: string) => print(io.stderr, line);
    const report = await runPipeline(
      { repo, root, inputs, config, runId: `cli-${process.pid}` },
      {
        engine,
        exec,
        registry: createRegistryClient(),
        // dist/cli/index.js analyses each image in the worker bundled in dist/analysis-worker.
        ...(analyser ? { analyser } : {}),
        log: { info: progress, warning: (message) => progress(`warning: ${message}`) },
        hooks: {
          onStart: ({ side, target, index, total }) => progress(`[${side === 'head' ? 'build' : 'base'} ${index}/${total}] ${target.name} …`),
          onDone: ({ side, measurement, seconds }) =>
            progress(
              `[${side === 'head' ? 'build' : 'base'}] ${measurement.target.name}: ${
                measurement.size ? formatBytes(measurement.size.bytes) : `failed (${measurement.error?.message})`
              } in ${seconds.toFixed(1)} s`
            )
        }
      }
    );
    printReport(report, io, { json: values.json, noColor: values['no-color'] }, {});
    const failure = failMessage(report.images);
    if (failure) {
      if (!values.json) print(io.stderr, `\n${failure}`);
      return 1;
    }
    return 0;
  } catch (error) {
    print(io.stderr, `footprint: ${error instanceof UserError ? error.message : `unexpected error: ${messageOf(error)}`}`);
    return 2;
  }
}

/**
 * Prints the report: as JSON, or as the terminal table (coloured on a terminal unless
 * NO_COLOR or --no-color). JSON is read by programs, so it is never wrapped; in a workflow
 * `#` only occurs inside its strings, and as `\u0023` no `##[` command is left.
 */
export function printReport(report: Report, io: CliIo, options: { json: boolean; noColor: boolean }, terminal: Omit<TerminalOptions, 'color'>): void {
  if (options.json) {
    const json = JSON.stringify(report, null, 2);
    io.stdout.write(`${io.env.GITHUB_ACTIONS === 'true' ? json.replaceAll('#', '\\u0023') : json}\n`);
    return;
  }
  const color = !options.noColor && Boolean(io.stdout.isTTY) && !io.env.NO_COLOR;
  printer(io)(io.stdout, renderTerminal(report, { ...terminal, color }));
}

/** Writes text that quotes the repository or an image: in a workflow the runner reads both streams for workflow commands. */
function printer(io: CliIo): (stream: NodeJS.WritableStream, text: string) => void {
  const inWorkflow = io.env.GITHUB_ACTIONS === 'true';
  return (stream, text) => {
    const write = (line: string) => stream.write(`${line}\n`);
    if (inWorkflow) logUntrusted(text, write);
    else write(text);
  };
}

/** `a,b, c` → the globs, trimmed, empties dropped; none given means the default globs. */
function dockerfileGlobs(value: string): string[] {
  const globs = value
    .split(',')
    .map((glob) => glob.trim())
    .filter((glob) => glob !== '');
  return globs.length > 0 ? globs : [...DEFAULT_DOCKERFILE_GLOBS];
}
