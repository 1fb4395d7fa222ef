/**
 * Size rules on Dockerfile lines: each reads the instructions of the stages
 * whose layers ship (the final stage and the stages its FROM chain names; a
 * build stage only copied from does not ship its caches) and, where the layer
 * anatomy of the built image measured them, states the bytes the fix saves.
 * Pure: a parsed Dockerfile and an anatomy in, findings out.
 *
 * A rule is switched off everywhere by the config's `ignore`, on one
 * instruction by `# footprint-ignore: rule-id` on the line(s) right above it,
 * and a cache rule by a `RUN --mount=type=cache` (or tmpfs) on that cache's
 * folder, which keeps the cache out of the layer.
 */
import type { Finding, LayerReport, LeftoverCache, Waste } from '../model/report.js';
import { formatBytes } from '../units.js';
import { finalChain, type Instruction, type ParsedDockerfile } from '../dockerfile/parse.js';

export interface RuleInput {
  dockerfile: ParsedDockerfile;
  /** The built image's anatomy; null when the image was not measured. */
  anatomy: { layers: LayerReport[]; wasted: Waste; caches: LeftoverCache[] } | null;
  /** Whether the build context has a .dockerignore (or `<Dockerfile>.dockerignore`). */
  hasDockerignore: boolean;
  /** Rule ids switched off by the config. */
  ignore: string[];
}

export const RULES: ReadonlyArray<{ id: string; summary: string }> = [
  { id: 'apt-lists-left', summary: 'apt-get update/install in a RUN that does not also remove /var/lib/apt/lists/* (hadolint DL3009)' },
  { id: 'apt-no-install-recommends', summary: 'apt-get install without --no-install-recommends pulls in recommended packages (DL3015)' },
  { id: 'apk-no-cache', summary: 'apk add/update without --no-cache leaves the package index in /var/cache/apk (DL3019)' },
  { id: 'yum-cache-left', summary: 'yum/dnf/microdnf install without "clean all" in the same RUN leaves the package cache' },
  { id: 'build-deps-kept', summary: 'build tools (gcc, make, *-dev, ...) installed and not removed in the same RUN ship in the image' },
  { id: 'pip-no-cache-dir', summary: 'pip install without --no-cache-dir (or PIP_NO_CACHE_DIR) leaves the wheel cache in ~/.cache/pip (DL3042)' },
  { id: 'delete-in-later-run', summary: 'a RUN deletes or rewrites what an earlier instruction created: the bytes still ship in the earlier layer' },
  { id: 'join-runs', summary: 'consecutive RUNs where a later one cleans up what an earlier one created: joined, the bytes never reach a layer' },
  { id: 'add-remote-archive', summary: 'ADD of a remote URL ships the download as its own layer; fetch, unpack and delete in one RUN' },
  { id: 'copy-all-without-dockerignore', summary: 'COPY . with no .dockerignore copies the whole build context (.git, caches, local builds) into the image' }
];

// ---------------------------------------------------------------------------
// Just enough shell to read a RUN: simple commands split at `&&`, `||`, `;`,
// `|`, `&`, newlines and parentheses; words unquoted; leading `NAME=value`
// assignments and wrappers (`sudo`, `env`, `exec`, ...) taken off the front.

export interface ShellCommand {
  words: string[];
  env: Record<string, string>;
}

const WRAPPERS = new Set(['sudo', 'env', 'exec', 'command', 'nohup', 'time', 'then', 'do', 'else', 'if', 'while', 'until', '!', '{', '}']);

/** Splits a shell script into the words of each simple command. */
export function splitCommands(script: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let at = 0; at < script.length; at++) {
    const char = script[at]!;
    if (char === '\\') {
      const next = script[at + 1];
      if (next !== undefined && next !== '\n') {
        word += next;
        inWord = true;
      }
      at++;
    } else if (char === "'") {
      const close = script.indexOf("'", at + 1);
      const end = close === -1 ? script.length : close;
      word += script.slice(at + 1, end);
      inWord = true;
      at = end;
    } else if (char === '"') {
      let next = at + 1;
      for (; next < script.length && script[next] !== '"'; next++) {
        if (script[next] === '\\' && next + 1 < script.length) next++;
        word += script[next];
      }
      inWord = true;
      at = next;
    } else if (char === '#' && !inWord) {
      const newline = script.indexOf('\n', at);
      at = newline === -1 ? script.length : newline - 1;
    } else if (char === ' ' || char === '\t' || char === '\r') {
      endWord();
    } else if ('\n;|&()'.includes(char)) {
      if (char === '&' && (script[at - 1] === '>' || script[at + 1] === '>')) {
        word += char; // `2>&1`, `&>`: a redirection
        inWord = true;
      } else {
        endCommand();
      }
    } else {
      word += char;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

export function parseCommands(script: string): ShellCommand[] {
  const out: ShellCommand[] = [];
  for (const words of splitCommands(script)) {
    const env: Record<string, string> = {};
    let at = 0;
    for (; at < words.length; at++) {
      const word = words[at]!;
      const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
      if (assignment !== null) env[assignment[1]!] = assignment[2]!;
      else if (!WRAPPERS.has(word) && !(word.startsWith('-') && at > 0 && WRAPPERS.has(words[at - 1]!))) break;
    }
    if (at < words.length) out.push({ words: words.slice(at), env });
  }
  return out;
}

export function programOf(command: ShellCommand): string {
  const first = command.words[0] ?? '';
  return first.slice(first.lastIndexOf('/') + 1);
}

/** The subcommand (first word that is not an option or an option's value) and what follows it. */
function subcommand(words: string[], valued: ReadonlySet<string>): { name: string | null; rest: string[]; options: string[] } {
  const options: string[] = [];
  for (let at = 1; at < words.length; at++) {
    const word = words[at]!;
    if (word.startsWith('-')) {
      options.push(word);
      if (valued.has(word) && at + 1 < words.length) options.push(words[++at]!);
      continue;
    }
    return { name: word, rest: words.slice(at + 1), options };
  }
  return { name: null, rest: [], options };
}

/** Operands of a command's words: not options, not values of `valued` options, not redirections. */
function operands(words: string[], valued: ReadonlySet<string>): { operands: string[]; options: string[]; values: Map<string, string> } {
  const out: string[] = [];
  const options: string[] = [];
  const values = new Map<string, string>();
  let onlyOperands = false;
  for (let at = 0; at < words.length; at++) {
    const word = words[at]!;
    if (onlyOperands) out.push(word);
    else if (word === '--') onlyOperands = true;
    else if (/^\d*[<>]/.test(word)) {
      if (/^\d*[<>]{1,2}&?$/.test(word)) at++;
    } else if (word.startsWith('-') && word.length > 1) {
      options.push(word);
      const equals = word.indexOf('=');
      if (equals !== -1) values.set(word.slice(0, equals), word.slice(equals + 1));
      else if (valued.has(word) && at + 1 < words.length) values.set(word, words[++at]!);
    } else out.push(word);
  }
  return { operands: out, options, values };
}

// ---------------------------------------------------------------------------
// Paths

const HOME = '/root';
const APT_LISTS = '/var/lib/apt/lists';
const APK_CACHE = '/var/cache/apk';
const PIP_CACHE = `${HOME}/.cache/pip`;
const YUM_CACHES = ['/var/cache/yum', '/var/cache/dnf'];

function normalise(path: string, workdir: string): string {
  let out = path.replace(/^~(?=\/|$)/, HOME).replace(/^\$HOME(?=\/|$)/, HOME).replace(/^\$\{HOME\}(?=\/|$)/, HOME);
  if (!out.startsWith('/')) out = `${workdir.replace(/\/+$/, '')}/${out}`;
  const parts: string[] = [];
  for (const part of out.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

function globRegex(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\[!/g, '[^');
  return new RegExp(`^${body}(?:/.*)?$`);
}

/** True when deleting `pattern` (a path, maybe with globs) takes `path` or a part of it. */
function covers(pattern: string, path: string): boolean {
  const trimmed = pattern.replace(/(?:\/\*)+$/, '').replace(/\/+$/, '') || '/';
  if (!/[*?[]/.test(trimmed)) return trimmed === '/' || path === trimmed || path.startsWith(`${trimmed}/`);
  return globRegex(trimmed).test(path);
}

function coversAny(patterns: readonly string[], path: string): boolean {
  return patterns.some((pattern) => covers(pattern, path));
}

/** True when the two paths (either maybe with globs) share files. */
function overlaps(a: string, b: string): boolean {
  return covers(a, b) || covers(b, a);
}

// ---------------------------------------------------------------------------
// What a RUN does

const APT_VALUED = new Set(['-o', '-t', '-c', '--option', '--target-release', '--config-file']);
const APK_VALUED = new Set(['-t', '--virtual', '-X', '--repository', '-p', '--root', '--arch', '--keys-dir', '--cache-dir', '--repositories-file']);
const YUM_VALUED = new Set(['-c', '--config', '--installroot', '--releasever', '--enablerepo', '--disablerepo', '-x', '--exclude', '--setopt']);
const PIP_VALUED = new Set(['-r', '--requirement', '-c', '--constraint', '-e', '--editable', '-t', '--target', '-i', '--index-url', '--extra-index-url', '-f', '--find-links', '--prefix', '--root', '--cache-dir', '--platform', '--python-version', '--implementation', '--abi', '--trusted-host', '--src', '--upgrade-strategy', '--progress-bar', '--no-binary', '--only-binary', '--log', '--proxy', '--timeout', '--retries']);
const OUTPUT_VALUED = new Set(['-o', '-O', '--output', '--output-document', '-C', '--directory', '-d', '--target-directory', '-f', '--file']);

const BUILD_TOOLS = new Set([
  'gcc', 'g++', 'gcc-c++', 'make', 'cmake', 'build-base', 'build-essential', 'musl-dev', 'libc-dev', 'libc6-dev', 'linux-headers',
  'clang', 'llvm', 'autoconf', 'automake', 'libtool', 'pkgconf', 'pkg-config', 'cargo', 'rust', 'go', 'g++-multilib'
]);

function isBuildTool(pkg: string): boolean {
  const name = pkg.replace(/[=<>~].*$/, '').replace(/:.*$/, '');
  return BUILD_TOOLS.has(name) || /-(?:dev|devel)$/.test(name) || /^(?:gcc|g\+\+|clang|python\d?(?:\.\d+)?-dev)-?\d/.test(name);
}

interface Install {
  manager: 'apt' | 'apk' | 'yum';
  tool: string;
  packages: string[];
  /** apt: --no-install-recommends; apk: --no-cache. */
  clean: boolean;
  virtual: string | null;
}

interface RunFacts {
  installs: Install[];
  aptUpdate: boolean;
  apkUpdate: boolean;
  pipInstalls: Array<{ noCacheDir: boolean; env: Record<string, string> }>;
  /** Paths deleted (rm, `apt-get clean`, `yum clean all`, ...), normalised; may hold globs. */
  removed: string[];
  /** Paths rewritten in place (chown/chmod/touch): a copy of each ships again. */
  rewritten: string[];
  /** Package names or apk virtual groups removed (apk del, apt-get purge/remove, yum remove). */
  removedPackages: Set<string>;
  /** apt-get autoremove / purge --auto-remove after `apt-mark auto`: everything installed here may go. */
  autoremove: boolean;
  /** Paths the RUN writes, as far as its words tell: absolute paths, outputs, caches its installs fill. */
  created: string[];
  /** The words, for `Install-Recommends` configuration. */
  text: string;
}

/** The shell commands of a RUN: shell form, exec form (`["sh", "-c", ...]` too) and heredoc scripts. */
function commandsOfRun(instruction: Instruction): ShellCommand[] {
  const args = instruction.args.trim();
  if (args.startsWith('[')) {
    try {
      const words: unknown = JSON.parse(args);
      if (Array.isArray(words) && words.every((word) => typeof word === 'string')) {
        const list = words as string[];
        if (list.length >= 3 && /(?:^|\/)(?:ba|da|a|z)?sh$/.test(list[0]!) && list[1] === '-c') return parseCommands(list[2]!);
        return [{ words: list, env: {} }];
      }
    } catch {
      // not JSON: the shell form
    }
  }
  if (instruction.heredocs.length === 0) return parseCommands(args);
  const firstLine = (args.split('\n')[0] ?? '').replace(/<<-?(["']?)[A-Za-z0-9_.-]+\1/g, '').trim();
  const head = parseCommands(firstLine);
  const shellStdin = head.length === 0 || (head.length === 1 && /^(?:ba|da|a|z)?sh$/.test(programOf(head[0]!)));
  return shellStdin ? [...head.filter((command) => !/^(?:ba|da|a|z)?sh$/.test(programOf(command))), ...instruction.heredocs.flatMap(parseCommands)] : head;
}

function factsOf(commands: ShellCommand[], workdir: string): RunFacts {
  const facts: RunFacts = {
    installs: [],
    aptUpdate: false,
    apkUpdate: false,
    pipInstalls: [],
    removed: [],
    rewritten: [],
    removedPackages: new Set(),
    autoremove: false,
    created: [],
    text: commands.map((command) => command.words.join(' ')).join('\n')
  };
  let aptMarkAuto = false;
  const path = (word: string) => normalise(word, workdir);
  for (const command of commands) {
    const program = programOf(command);
    const { words } = command;
    if (program === 'apt-get' || program === 'apt' || program === 'aptitude') {
      const sub = subcommand(words, APT_VALUED);
      const all = [...sub.options, ...sub.rest];
      if (sub.name === 'update') facts.aptUpdate = true;
      else if (sub.name === 'install') {
        const { operands: packages } = operands(sub.rest, APT_VALUED);
        const noRecommends = all.includes('--no-install-recommends') || all.some((word) => /APT::Install-Recommends=(?:false|0|no)/i.test(word));
        facts.installs.push({ manager: 'apt', tool: program, packages, clean: noRecommends, virtual: null });
      } else if (sub.name === 'purge' || sub.name === 'remove' || sub.name === 'autoremove') {
        for (const pkg of operands(sub.rest, APT_VALUED).operands) facts.removedPackages.add(pkg);
        if (sub.name === 'autoremove' || all.includes('--auto-remove') || all.includes('--autoremove')) facts.autoremove ||= aptMarkAuto || sub.name === 'autoremove';
      } else if (sub.name === 'clean' || sub.name === 'distclean') {
        facts.removed.push('/var/cache/apt/archives');
        if (sub.name === 'distclean') facts.removed.push('/var/lib/apt/lists');
      }
    } else if (program === 'apt-mark' && words.includes('auto')) {
      aptMarkAuto = true;
    } else if (program === 'apk') {
      const sub = subcommand(words, APK_VALUED);
      const { operands: packages, options, values } = operands(sub.rest, APK_VALUED);
      const noCache = [...sub.options, ...options].includes('--no-cache');
      if (sub.name === 'add') {
        const virtual = values.get('--virtual') ?? values.get('-t') ?? null;
        facts.installs.push({ manager: 'apk', tool: 'apk', packages, clean: noCache, virtual });
      } else if (sub.name === 'update' && !noCache) facts.apkUpdate = true;
      else if (sub.name === 'del') for (const pkg of packages) facts.removedPackages.add(pkg);
      else if (sub.name === 'cache' && packages[0] === 'clean') facts.removed.push('/var/cache/apk');
    } else if (['yum', 'dnf', 'microdnf', 'tdnf'].includes(program)) {
      const sub = subcommand(words, YUM_VALUED);
      const { operands: rest } = operands(sub.rest, YUM_VALUED);
      if (sub.name === 'install' || sub.name === 'groupinstall' || sub.name === 'reinstall') {
        facts.installs.push({ manager: 'yum', tool: program, packages: rest, clean: false, virtual: null });
      } else if (sub.name === 'remove' || sub.name === 'erase' || sub.name === 'autoremove') {
        for (const pkg of rest) facts.removedPackages.add(pkg);
      } else if (sub.name === 'clean' && (rest.includes('all') || rest.includes('packages'))) {
        facts.removed.push('/var/cache/yum', '/var/cache/dnf', '/var/cache/libdnf5');
      }
    } else if (/^pip(?:\d+(?:\.\d+)*)?$/.test(program) || (/^python(?:\d+(?:\.\d+)*)?$/.test(program) && words[1] === '-m' && /^pip\d*$/.test(words[2] ?? ''))) {
      const pipWords = program.startsWith('python') ? words.slice(2) : words;
      const sub = subcommand(pipWords, PIP_VALUED);
      if (sub.name === 'install') {
        const noCacheDir = [...sub.options, ...sub.rest].some((word) => word === '--no-cache-dir' || word.startsWith('--no-cache-dir='));
        facts.pipInstalls.push({ noCacheDir, env: command.env });
      } else if (sub.name === 'cache' && sub.rest[0] === 'purge') facts.removed.push(`${HOME}/.cache/pip`);
    } else if (program === 'rm') {
      for (const target of operands(words.slice(1), new Set()).operands) facts.removed.push(path(target));
    } else if (program === 'chown' || program === 'chmod' || program === 'chgrp') {
      const targets = operands(words.slice(1), new Set(['--reference'])).operands.slice(1);
      for (const target of targets) facts.rewritten.push(path(target));
    }
    if (program !== 'rm') facts.created.push(...createdBy(command, program, path));
  }
  for (const install of facts.installs) {
    if (install.manager === 'apt') facts.created.push(APT_LISTS);
    if (install.manager === 'apk' && !install.clean) facts.created.push('/var/cache/apk');
    if (install.manager === 'yum') facts.created.push(`/var/cache/${install.tool === 'yum' ? 'yum' : 'dnf'}`);
  }
  if (facts.aptUpdate) facts.created.push(APT_LISTS);
  if (facts.apkUpdate) facts.created.push('/var/cache/apk');
  if (facts.pipInstalls.some((pip) => !pip.noCacheDir)) facts.created.push(`${HOME}/.cache/pip`);
  // What this RUN deleted itself is not left for a later one.
  facts.created = [...new Set(facts.created)].filter((created) => !coversAny(facts.removed, created));
  return facts;
}

/** Paths a command writes, from its words: absolute paths, output options, mkdir/touch/cp/mv/tar/clone targets. */
function createdBy(command: ShellCommand, program: string, path: (word: string) => string): string[] {
  const out: string[] = [];
  const { words } = command;
  for (let at = 1; at < words.length; at++) {
    const word = words[at]!;
    const redirect = /^\d*>>?(.+)$/.exec(word);
    if (redirect !== null) {
      if (!redirect[1]!.startsWith('&')) out.push(path(redirect[1]!));
      continue;
    }
    if (/^\d*>>?$/.test(word) && at + 1 < words.length) {
      out.push(path(words[++at]!));
      continue;
    }
    if (OUTPUT_VALUED.has(word) && at + 1 < words.length && !words[at + 1]!.startsWith('-')) {
      out.push(path(words[++at]!));
      continue;
    }
    const equals = /^--[a-z-]+=(.+)$/.exec(word);
    const value = equals === null ? word : equals[1]!;
    if (value.startsWith('/') || value.startsWith('~/')) out.push(path(value));
  }
  const operandWords = operands(words.slice(1), OUTPUT_VALUED).operands;
  if ((program === 'mkdir' || program === 'touch') && operandWords.length > 0) out.push(...operandWords.map(path));
  if ((program === 'cp' || program === 'mv' || program === 'ln') && operandWords.length > 1) out.push(path(operandWords.at(-1)!));
  if (program === 'git' && operandWords[0] === 'clone' && operandWords.length > 2) out.push(path(operandWords.at(-1)!));
  return out.filter((created) => !/^\/(?:dev|proc|sys)(?:\/|$)/.test(created) && created !== '/');
}

// ---------------------------------------------------------------------------
// The steps of the shipped stages

interface Step {
  instruction: Instruction;
  /** Consecutive RUNs of one stage share a block number. */
  block: number;
  workdir: string;
  /** ENV and ARG values set before this instruction. */
  env: Record<string, string>;
  /** RUN only. */
  facts: RunFacts | null;
  /** COPY/ADD: the paths it writes; RUN: facts.created. */
  created: string[];
}

/** Splits ENV's `A=1 B="2 3"` (or legacy `A 1`) into pairs. */
function envPairs(args: string): Array<[string, string]> {
  const words = splitCommands(args.replace(/\n/g, ' '))[0] ?? [];
  if (words.length >= 2 && !words[0]!.includes('=')) return [[words[0]!, words.slice(1).join(' ')]];
  return words.flatMap((word) => {
    const equals = word.indexOf('=');
    return equals > 0 ? [[word.slice(0, equals), word.slice(equals + 1)] as [string, string]] : [];
  });
}

/** Source and destination words of a COPY/ADD (JSON form too; heredoc markers dropped). */
function copyWords(instruction: Instruction): { sources: string[]; dest: string | null } {
  const args = instruction.args.split('\n')[0]!.trim();
  let words: string[];
  try {
    const parsed: unknown = args.startsWith('[') ? JSON.parse(args) : null;
    words = Array.isArray(parsed) ? parsed.map(String) : args.split(/\s+/);
  } catch {
    words = args.split(/\s+/);
  }
  words = words.filter((word) => word !== '' && !/^<<-?/.test(word));
  if (words.length === 0) return { sources: [], dest: null };
  return { sources: words.slice(0, -1), dest: words.at(-1)! };
}

function stepsOf(dockerfile: ParsedDockerfile): Step[] {
  const steps: Step[] = [];
  let workdir = '/';
  let env: Record<string, string> = {};
  let block = 0;
  for (const stage of finalChain(dockerfile)) {
    block++;
    for (const instruction of stage.instructions) {
      const { keyword } = instruction;
      if (keyword !== 'RUN') block++;
      if (keyword === 'WORKDIR') workdir = normalise(instruction.args.trim(), workdir);
      if (keyword === 'ENV') env = { ...env, ...Object.fromEntries(envPairs(instruction.args)) };
      if (keyword === 'ARG') {
        for (const [name, value] of envPairs(instruction.args.includes('=') ? instruction.args : '')) env = { ...env, [name]: value };
      }
      let facts: RunFacts | null = null;
      let created: string[] = [];
      if (keyword === 'RUN') {
        facts = factsOf(commandsOfRun(instruction), workdir);
        created = facts.created;
      } else if (keyword === 'COPY' || keyword === 'ADD') {
        const { sources, dest } = copyWords(instruction);
        if (dest !== null) {
          const into = normalise(dest, workdir);
          const intoFolder = dest.endsWith('/') || sources.length > 1;
          created = sources.map((source) => {
            const name = source.replace(/\/+$/, '').split('/').at(-1) ?? '';
            if (!intoFolder || name === '' || name === '.' || source.endsWith('/') || /^https?:/.test(source)) return into;
            return `${into}/${name}`;
          });
          if (created.length === 0) created = [into];
          // Copied into the root folder: too broad to say what a later deletion takes from it.
          created = created.filter((path) => path !== '/');
        }
      }
      steps.push({ instruction, block, workdir, env, facts, created });
    }
  }
  return steps;
}

// ---------------------------------------------------------------------------
// Findings

interface Measured {
  bytes: number | null;
}

function finding(rule: string, line: number, severity: Finding['severity'], message: string, fix: string, measured: Measured): Finding {
  const known = measured.bytes !== null && measured.bytes > 0;
  return {
    rule,
    line,
    severity: known ? 'warning' : severity,
    message,
    fix,
    savingsBytes: known ? measured.bytes : null,
    savingsMetric: known ? 'uncompressed' : null,
    measured: known
  };
}

function cacheMounted(instruction: Instruction, folders: readonly string[]): boolean {
  return instruction.mounts.some(
    (mount) => (mount.type === 'cache' || mount.type === 'tmpfs') && mount.target !== null && folders.some((folder) => covers(normalise(mount.target!, '/'), folder))
  );
}

function pipCacheOff(env: Record<string, string>): boolean {
  const value = env['PIP_NO_CACHE_DIR'];
  return value !== undefined && !['', '0', 'false', 'no', 'off'].includes(value.toLowerCase());
}

function bytesPhrase(bytes: number | null, what: string): string {
  return bytes !== null && bytes > 0 ? `${formatBytes(bytes)} of ${what}` : what;
}

function removalSnippet(install: Install, tools: string[]): string {
  const list = tools.join(' ');
  if (install.manager === 'apk') {
    return `RUN apk add --no-cache --virtual .build-deps ${list} \\\n    && <build> \\\n    && apk del .build-deps`;
  }
  if (install.manager === 'apt') {
    return `RUN apt-get update && apt-get install -y --no-install-recommends ${list} \\\n    && <build> \\\n    && apt-get purge -y --auto-remove ${list} && rm -rf /var/lib/apt/lists/*`;
  }
  return `RUN ${install.tool} install -y ${list} \\\n    && <build> \\\n    && ${install.tool} remove -y ${list} && ${install.tool} clean all`;
}

export function checkRules(input: RuleInput): Finding[] {
  const { anatomy } = input;
  const steps = stepsOf(input.dockerfile);
  const findings: Finding[] = [];
  const off = (rule: string, instruction: Instruction) =>
    input.ignore.includes(rule) || instruction.ignored.includes(rule) || instruction.ignored.includes('all');
  const add = (found: Finding, instruction: Instruction) => {
    if (!off(found.rule, instruction)) findings.push(found);
  };
  const cacheBytes = (kinds: readonly string[], line: number): number | null => {
    if (anatomy === null) return null;
    const bytes = anatomy.caches
      .filter((cache) => kinds.includes(cache.kind) && cache.line === line && cache.fromBase !== true)
      .reduce((sum, cache) => sum + cache.bytes, 0);
    return bytes > 0 ? bytes : null;
  };
  const recommendsConfigured = (before: number) =>
    steps.some((step) => step.instruction.line < before && /Install-Recommends\W+(?:false|0|no)\b/i.test(step.facts?.text ?? step.instruction.args));
  const aptUpdatedBefore = (before: number) => steps.some((step) => step.instruction.line < before && step.facts?.aptUpdate === true);

  for (const step of steps) {
    const { instruction, facts } = step;
    const { line } = instruction;
    if (facts !== null) {
      const apt = facts.installs.filter((install) => install.manager === 'apt');
      // apt-lists-left
      if ((facts.aptUpdate || (apt.length > 0 && !aptUpdatedBefore(line))) && !coversAny(facts.removed, APT_LISTS) && !cacheMounted(instruction, [APT_LISTS])) {
        const bytes = cacheBytes(['apt'], line);
        add(
          finding(
            'apt-lists-left',
            line,
            'warning',
            `This RUN leaves ${bytesPhrase(bytes, 'apt package lists')} in its layer (/var/lib/apt/lists).`,
            'End the same RUN with `&& rm -rf /var/lib/apt/lists/*` (after apt-get install), or use `RUN --mount=type=cache,target=/var/lib/apt`.',
            { bytes }
          ),
          instruction
        );
      }
      // apt-no-install-recommends
      const recommending = apt.filter((install) => !install.clean && install.packages.length > 0);
      if (recommending.length > 0 && !recommendsConfigured(line)) {
        add(
          finding(
            'apt-no-install-recommends',
            line,
            'notice',
            `\`${recommending[0]!.tool} install\` without --no-install-recommends also installs every recommended package.`,
            `Add \`--no-install-recommends\`: \`${recommending[0]!.tool} install -y --no-install-recommends ${recommending[0]!.packages.slice(0, 4).join(' ')}\`, and name any recommended package you do need.`,
            { bytes: null }
          ),
          instruction
        );
      }
      // apk-no-cache
      const apkCaching = facts.installs.some((install) => install.manager === 'apk' && !install.clean) || facts.apkUpdate;
      if (apkCaching && !coversAny(facts.removed, APK_CACHE) && !cacheMounted(instruction, [APK_CACHE, '/etc/apk/cache'])) {
        const bytes = cacheBytes(['apk'], line);
        add(
          finding(
            'apk-no-cache',
            line,
            'warning',
            `\`apk ${facts.apkUpdate ? 'update' : 'add'}\` without --no-cache leaves ${bytesPhrase(bytes, 'the package index')} in /var/cache/apk.`,
            'Use `apk add --no-cache ...` (it fetches the index without storing it) and drop a separate `apk update`.',
            { bytes }
          ),
          instruction
        );
      }
      // yum-cache-left
      const yum = facts.installs.find((install) => install.manager === 'yum');
      if (yum !== undefined && !YUM_CACHES.some((cache) => coversAny(facts.removed, cache)) && !cacheMounted(instruction, YUM_CACHES)) {
        const bytes = cacheBytes(['yum', 'dnf'], line);
        add(
          finding(
            'yum-cache-left',
            line,
            'warning',
            `\`${yum.tool} install\` without \`${yum.tool} clean all\` in the same RUN leaves ${bytesPhrase(bytes, 'its package cache')} in /var/cache.`,
            `End the same RUN with \`&& ${yum.tool} clean all && rm -rf /var/cache/${yum.tool === 'yum' ? 'yum' : 'dnf'}\`.`,
            { bytes }
          ),
          instruction
        );
      }
      // build-deps-kept
      for (const install of facts.installs) {
        const kept = install.packages.filter(
          (pkg) =>
            isBuildTool(pkg) &&
            !facts.removedPackages.has(pkg) &&
            !(install.virtual !== null && facts.removedPackages.has(install.virtual)) &&
            !(install.manager === 'apt' && facts.autoremove)
        );
        if (kept.length === 0) continue;
        const group = install.manager === 'apk' ? 'in a `--virtual` group and `apk del` the group' : `and remove them with \`${install.manager === 'apt' ? 'apt-get purge -y --auto-remove' : `${install.tool} remove -y`}\``;
        add(
          finding(
            'build-deps-kept',
            line,
            'warning',
            `Build tools ${kept.slice(0, 5).join(', ')}${kept.length > 5 ? ` and ${kept.length - 5} more` : ''} are installed and never removed: they ship in the image.`,
            `Install them ${group} in the same RUN that builds, or build in an earlier stage and COPY --from it:\n${removalSnippet(install, kept)}`,
            { bytes: null }
          ),
          instruction
        );
        break;
      }
      // pip-no-cache-dir
      const pipCaching = facts.pipInstalls.some((pip) => !pip.noCacheDir && !pipCacheOff(pip.env));
      if (pipCaching && !pipCacheOff(step.env) && !coversAny(facts.removed, PIP_CACHE) && !cacheMounted(instruction, [PIP_CACHE])) {
        const bytes = cacheBytes(['pip'], line);
        add(
          finding(
            'pip-no-cache-dir',
            line,
            'warning',
            `\`pip install\` without --no-cache-dir leaves ${bytesPhrase(bytes, 'downloaded wheels')} in ~/.cache/pip.`,
            'Use `pip install --no-cache-dir ...`, or set `ENV PIP_NO_CACHE_DIR=1` before it.',
            { bytes }
          ),
          instruction
        );
      }
    }
    // add-remote-archive
    if (instruction.keyword === 'ADD') {
      const remote = copyWords(instruction).sources.find((source) => /^https?:\/\//i.test(source));
      if (remote !== undefined) {
        const archive = /\.(?:tar|tgz|tar\.gz|tar\.xz|txz|tar\.bz2|tbz2?|tar\.zst|zip|gz|xz|bz2|zst)(?:[?#].*)?$/i.test(remote);
        const name = remote.replace(/[?#].*$/, '').split('/').at(-1) || 'download';
        add(
          finding(
            'add-remote-archive',
            line,
            archive ? 'warning' : 'notice',
            `ADD ${remote} ships the downloaded ${archive ? 'archive' : 'file'} as a layer of its own${archive ? ': unpacking it later ships the bytes twice' : ''}.`,
            `Download, unpack and delete in one RUN:\nRUN curl -fsSL ${remote} -o /tmp/${name} \\\n    && tar -xf /tmp/${name} -C /opt \\\n    && rm /tmp/${name}`,
            { bytes: null }
          ),
          instruction
        );
      }
    }
    // copy-all-without-dockerignore
    if ((instruction.keyword === 'COPY' || instruction.keyword === 'ADD') && instruction.flags['from'] === undefined && !input.hasDockerignore) {
      const { sources } = copyWords(instruction);
      if (sources.some((source) => source === '.' || source === './')) {
        add(
          finding(
            'copy-all-without-dockerignore',
            line,
            'notice',
            `\`${instruction.keyword} ${instruction.args.split('\n')[0]}\` copies the whole build context and it has no .dockerignore: .git, local builds and caches ship too.`,
            'Add a .dockerignore next to the build context listing what the image does not need (.git, node_modules, build output, tests), or copy only what it needs.',
            { bytes: null }
          ),
          instruction
        );
      }
    }
  }

  const anatomyKnowsLines = anatomy !== null && anatomy.layers.some((layer) => layer.line !== null);
  if (anatomyKnowsLines) findings.push(...measuredDeletions(steps, anatomy.wasted, off));
  else findings.push(...guessedDeletions(steps, off));
  return findings.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** `lines 5 and 7`, `line 5`. */
function linesPhrase(lines: number[]): string {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  if (sorted.length === 1) return `line ${sorted[0]}`;
  return `lines ${sorted.slice(0, -1).join(', ')} and ${sorted.at(-1)}`;
}

interface Deletion {
  remover: Step;
  /** Each creating instruction with the bytes measured between it and the remover (null: not measured). */
  creators: Array<{ step: Step; bytes: number | null }>;
  paths: string[];
}

function sumBytes(creators: Deletion['creators']): number | null {
  if (creators.some((creator) => creator.bytes === null)) return null;
  return creators.reduce((sum, creator) => sum + creator.bytes!, 0);
}

function deletionFindings(deletions: Deletion[], off: (rule: string, instruction: Instruction) => boolean): Finding[] {
  const findings: Finding[] = [];
  for (const { remover, creators, paths } of deletions) {
    const consecutive = creators.filter((creator) => creator.step.facts !== null && creator.step.block === remover.block);
    const earlier = creators.filter((creator) => !consecutive.includes(creator));
    const shown = paths.slice(0, 3).join(', ') + (paths.length > 3 ? ', ...' : '');
    const rewrites = remover.facts!.rewritten.length > 0;
    const verb = !rewrites ? 'deletes' : remover.facts!.removed.length > 0 ? 'deletes or rewrites' : 'rewrites';
    const line = remover.instruction.line;
    const of = (bytes: number | null) => (bytes === null ? '' : `${formatBytes(bytes)} of `);
    if (consecutive.length > 0 && !off('join-runs', remover.instruction)) {
      const bytes = sumBytes(consecutive);
      const lines = consecutive.map((creator) => creator.step.instruction.line);
      findings.push(
        finding(
          'join-runs',
          line,
          'notice',
          `This RUN ${verb} ${of(bytes)}what the RUN${lines.length > 1 ? 's' : ''} on ${linesPhrase(lines)} just created (${shown}): in separate layers the bytes still ship.`,
          `Join the RUNs on ${linesPhrase([...lines, line])} into one RUN (\`... && ...\`), so the files never reach a layer.`,
          { bytes }
        )
      );
    }
    if (earlier.length > 0 && !off('delete-in-later-run', remover.instruction)) {
      const bytes = sumBytes(earlier);
      const from = linesPhrase(earlier.map((creator) => creator.step.instruction.line));
      const copied = earlier.some((creator) => creator.step.facts === null);
      const onlyCopied = earlier.every((creator) => creator.step.facts === null);
      const fix =
        rewrites && copied
          ? 'Set owner and mode while copying (`COPY --chown=user:group --chmod=755 ...`) instead of changing the files in a later RUN, which copies every one of them into a new layer.'
          : onlyCopied
            ? `Keep it out of the image at ${from} instead: a .dockerignore entry, a narrower COPY, or a build stage; deleting in a later RUN does not shrink the image.`
            : `Delete in the same RUN that creates it (${from})${copied ? ', or keep copied files out with .dockerignore or a build stage' : ''}; deleting in a later RUN does not shrink the image.`;
      findings.push(
        finding(
          'delete-in-later-run',
          line,
          'warning',
          `This RUN ${verb} ${of(bytes)}what ${from} created (${shown}): the bytes still ship in the earlier layer.`,
          fix,
          { bytes }
        )
      );
    }
  }
  return findings;
}

/** Deletions the anatomy measured: wasted paths added at one Dockerfile line and removed by a later RUN. */
function measuredDeletions(steps: Step[], wasted: Waste, off: (rule: string, instruction: Instruction) => boolean): Finding[] {
  const byLine = new Map(steps.map((step) => [step.instruction.line, step]));
  const groups = new Map<number, Map<number, { bytes: number; paths: string[] }>>();
  for (const path of wasted.paths) {
    if (path.inBase || path.addedAtLine === null || path.removedAtLine === null) continue;
    const remover = byLine.get(path.removedAtLine);
    if (remover?.facts == null || !byLine.has(path.addedAtLine) || path.addedAtLine >= path.removedAtLine) continue;
    const perCreator = groups.get(path.removedAtLine) ?? new Map<number, { bytes: number; paths: string[] }>();
    const group = perCreator.get(path.addedAtLine) ?? { bytes: 0, paths: [] };
    group.bytes += path.bytes;
    group.paths.push(path.path);
    perCreator.set(path.addedAtLine, group);
    groups.set(path.removedAtLine, perCreator);
  }
  const deletions: Deletion[] = [...groups].map(([removedAt, perCreator]) => ({
    remover: byLine.get(removedAt)!,
    creators: [...perCreator].map(([line, group]) => ({ step: byLine.get(line)!, bytes: group.bytes })),
    paths: [...perCreator.values()].flatMap((group) => group.paths)
  }));
  return deletionFindings(deletions, off);
}

/** Deletions read from the text alone: rm (or chown/chmod) paths that an earlier instruction of the shipped stages created. */
function guessedDeletions(steps: Step[], off: (rule: string, instruction: Instruction) => boolean): Finding[] {
  const deletions: Deletion[] = [];
  steps.forEach((remover, at) => {
    if (remover.facts === null) return;
    const targets = [...remover.facts.removed, ...remover.facts.rewritten];
    const creators: Deletion['creators'] = [];
    const paths: string[] = [];
    for (const creator of steps.slice(0, at)) {
      const hits = targets.filter((target) => creator.created.some((created) => overlaps(target, created)));
      if (hits.length === 0) continue;
      creators.push({ step: creator, bytes: null });
      for (const hit of hits) if (!paths.includes(hit)) paths.push(hit);
    }
    if (creators.length > 0) deletions.push({ remover, creators, paths });
  });
  return deletionFindings(deletions, off);
}
