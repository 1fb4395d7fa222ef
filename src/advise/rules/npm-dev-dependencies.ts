/**
 * npm devDependencies shipped in `node_modules`: test runners, bundlers, type
 * checkers and linters the running app never loads. Measured from the image (npm's
 * hidden lockfile, else the project's package.json, and each package's own files);
 * the finding sits on the RUN that installs the packages, or the COPY that brings
 * `node_modules` into the image. The fix installs without them (`--omit=dev`); when
 * the image builds something with them (`npm run build`), a build stage keeps them
 * out of the final one, or `npm prune --omit=dev` in the same RUN.
 */
import type { Instruction } from '../../dockerfile/parse.js';
import { formatBytes } from '../../units.js';
import { parseCommands, programOf, type ShellCommand } from '../shell.js';
import type { Step } from '../run-facts.js';
import { flagPatch, hasOption, programAt, programName, subcommandWord, type Command } from './patches.js';
import type { Hit, Rule, RuleContext } from './rule.js';

/** npm options that take the next word as their value. */
const NPM_VALUED = new Set(['--prefix', '-C', '--workspace', '-w', '--registry', '--cache', '--userconfig']);
/** Flags that already leave the devDependencies out. */
const OMITTING = ['--omit=dev', '--production', '--only=production', '--only=prod'];

function commandsOf(instruction: Instruction): ShellCommand[] {
  return instruction.keyword === 'RUN' ? [instruction.args, ...instruction.heredocs].flatMap((script) => parseCommands(script)) : [];
}

/** `npm ci`, `npm install` / `npm i` with no package named (the project's own install), `yarn [install]`, `pnpm install`. */
function installsProject(command: ShellCommand): boolean {
  const [program, sub, ...rest] = [programOf(command), ...command.words.slice(1)];
  const packagesNamed = rest.some((word) => !word.startsWith('-'));
  if (program === 'npm') return sub === 'ci' || ((sub === 'install' || sub === 'i') && !packagesNamed);
  if (program === 'yarn') return sub === undefined || sub === 'install' || sub.startsWith('-');
  if (program === 'pnpm') return sub === 'install' || sub === 'i';
  return false;
}

function omitsDev(command: ShellCommand): boolean {
  return command.words.some((word) => OMITTING.includes(word)) || /^prod(uction)?$/i.test(command.env.NODE_ENV ?? '');
}

/** Commands that need the devDependencies after the install: builds, tests, binaries from node_modules/.bin. */
function usesDevTools(command: ShellCommand): boolean {
  const [program, sub] = [programOf(command), command.words[1]];
  if (program === 'npx' || program === 'pnpx') return true;
  if (program === 'npm' || program === 'pnpm') return sub === 'run' || sub === 'run-script' || sub === 'test' || sub === 'exec';
  if (program === 'yarn') return sub !== undefined && sub !== 'install' && !sub.startsWith('-');
  return command.words.some((word) => word.includes('node_modules/.bin/'));
}

/** The `ci`/`install` word of an npm command that installs the project with its devDependencies (the patch's flag goes after it). */
function installingWord(command: Command) {
  if (programName(command) !== 'npm') return null;
  const from = programAt(command) + 1;
  for (const name of ['ci', 'install', 'i']) {
    const word = subcommandWord(command, from, name, NPM_VALUED);
    if (word === null) continue;
    if (word === 'unsafe') return word;
    return OMITTING.some((flag) => hasOption(command, from, flag)) ? null : word;
  }
  return null;
}

/** The step that puts node_modules into the image: the last install RUN of the shipped stages, else a COPY of node_modules. */
function installStep(steps: readonly Step[]): { step: Step; runs: boolean } | null {
  const runs = steps.filter((step) =>
    commandsOf(step.instruction).some(
      (command) => installsProject(command) && !omitsDev(command) && !/^prod(uction)?$/i.test(step.env.NODE_ENV ?? '')
    )
  );
  if (runs.length > 0) return { step: runs.at(-1)!, runs: true };
  const copy = [...steps].reverse().find((step) => ['COPY', 'ADD'].includes(step.instruction.keyword) && /node_modules/.test(step.instruction.args));
  return copy === undefined ? null : { step: copy, runs: false };
}

function hit(context: RuleContext): Hit[] {
  const found = (context.npmDev ?? []).filter((project) => project.bytes > 0);
  if (found.length === 0) return [];
  const install = installStep(context.steps);
  if (install === null) return [];
  const { instruction } = install.step;
  const bytes = found.reduce((sum, project) => sum + project.bytes, 0);
  const packages = found.reduce((sum, project) => sum + project.packages, 0);
  const largest = found
    .flatMap((project) => project.largest)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map((pkg) => `${pkg.name} ${formatBytes(pkg.bytes)}`)
    .join(', ');
  const where = found.map((project) => `${project.project}/node_modules`).join(', ');
  const from = found.every((project) => project.source === 'lockfile') ? "npm's lockfile" : 'package.json';
  // After the install, a build or test in the shipped stages needs the devDependencies: no mechanical fix then.
  const later = context.steps.filter((step) => step.instruction.line >= instruction.line).flatMap((step) => commandsOf(step.instruction));
  const needed = later.some(usesDevTools);
  const fix = !install.runs
    ? 'Leave the devDependencies in the build stage: run `npm prune --omit=dev` (or `npm ci --omit=dev` in a stage of its own) before copying node_modules.'
    : needed
      ? 'The image builds with them: build in a stage of its own and copy the output and a `npm ci --omit=dev` install into the final stage, or end the RUN that builds with `&& npm prune --omit=dev`.'
      : 'Install without them: `npm ci --omit=dev` (npm 7 and later; `--production` before), `yarn install --production`, `pnpm install --prod`, or `ENV NODE_ENV=production` before the install.';
  const patch = install.runs && !needed ? flagPatch(context, instruction, '--omit=dev', installingWord, () => true) : null;
  return [
    {
      instruction,
      severity: 'warning',
      message: `${packages.toLocaleString('en-US')} ${packages === 1 ? 'devDependency ships' : 'devDependencies ship'} in ${where}: ${formatBytes(bytes)} the running app does not load (by ${from}; largest: ${largest}).`,
      fix,
      bytes,
      ...(patch === null ? {} : { patch })
    }
  ];
}

export const npmDevDependencies: Rule = {
  id: 'npm-dev-dependencies',
  summary: 'npm devDependencies (test runners, bundlers, type checkers) installed in the final image, measured from its node_modules',
  check: hit
};
