/**
 * What the instructions of the shipped stages do to the file system, as far as
 * their words tell: for each RUN the packages it installs and removes, the
 * caches it fills, the paths it deletes, rewrites and creates; for COPY/ADD the
 * paths it writes. The size rules read these facts; nothing here judges them.
 * Pure: a parsed Dockerfile in, steps out.
 */
import { finalChain, type Instruction, type ParsedDockerfile } from '../dockerfile/parse.js';
import { operands, parseCommands, programOf, splitCommands, subcommand, type ShellCommand } from './shell.js';

// ---------------------------------------------------------------------------
// Paths

/** `~` and `$HOME` are read as root's home: USER is not followed. */
const HOME = '/root';
export const APT_LISTS = '/var/lib/apt/lists';
export const APK_CACHE = '/var/cache/apk';
export const PIP_CACHE = `${HOME}/.cache/pip`;
export const YUM_CACHES = ['/var/cache/yum', '/var/cache/dnf'];

/** An absolute path without `.`, `..` or doubled slashes; relative paths start at `workdir`. */
export function normalise(path: string, workdir: string): string {
  let out = path
    .replace(/^~(?=\/|$)/, HOME)
    .replace(/^\$HOME(?=\/|$)/, HOME)
    .replace(/^\$\{HOME\}(?=\/|$)/, HOME);
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
  const body = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]')
    .replace(/\[!/g, '[^');
  return new RegExp(`^${body}(?:/.*)?$`);
}

/** True when deleting `pattern` (a path, maybe with globs) takes `path` or a part of it. */
export function covers(pattern: string, path: string): boolean {
  const trimmed = pattern.replace(/(?:\/\*)+$/, '').replace(/\/+$/, '') || '/';
  if (!/[*?[]/.test(trimmed)) return trimmed === '/' || path === trimmed || path.startsWith(`${trimmed}/`);
  return globRegex(trimmed).test(path);
}

export function coversAny(patterns: readonly string[], path: string): boolean {
  return patterns.some((pattern) => covers(pattern, path));
}

/** True when the two paths (either maybe with globs) share files. */
export function overlaps(a: string, b: string): boolean {
  return covers(a, b) || covers(b, a);
}

// ---------------------------------------------------------------------------
// What a RUN does

/** apt and apk options that take the next word as their value (the rules' patches read them too). */
export const APT_VALUED = new Set(['-o', '-t', '-c', '--option', '--target-release', '--config-file']);
export const APK_VALUED = new Set([
  '-t',
  '--virtual',
  '-X',
  '--repository',
  '-p',
  '--root',
  '--arch',
  '--keys-dir',
  '--cache-dir',
  '--repositories-file'
]);
const YUM_VALUED = new Set(['-c', '--config', '--installroot', '--releasever', '--enablerepo', '--disablerepo', '-x', '--exclude', '--setopt']);
const PIP_VALUED = new Set([
  '-r',
  '--requirement',
  '-c',
  '--constraint',
  '-e',
  '--editable',
  '-t',
  '--target',
  '-i',
  '--index-url',
  '--extra-index-url',
  '-f',
  '--find-links',
  '--prefix',
  '--root',
  '--cache-dir',
  '--platform',
  '--python-version',
  '--implementation',
  '--abi',
  '--trusted-host',
  '--src',
  '--upgrade-strategy',
  '--progress-bar',
  '--no-binary',
  '--only-binary',
  '--log',
  '--proxy',
  '--timeout',
  '--retries'
]);
const OUTPUT_VALUED = new Set(['-o', '-O', '--output', '--output-document', '-C', '--directory', '-d', '--target-directory', '-f', '--file']);

export interface Install {
  manager: 'apt' | 'apk' | 'yum';
  tool: string;
  packages: string[];
  /** apt: --no-install-recommends; apk: --no-cache. */
  clean: boolean;
  virtual: string | null;
}

/** An archive a RUN unpacks (tar -x, unzip, gunzip and the like). */
export interface Unpack {
  /** The archive read, normalised; null when it comes from a pipe. */
  archive: string | null;
  /** The folder the files land in, normalised. */
  into: string;
}

export interface RunFacts {
  installs: Install[];
  aptUpdate: boolean;
  apkUpdate: boolean;
  pipInstalls: Array<{ noCacheDir: boolean; env: Record<string, string> }>;
  /** Paths deleted (rm, `apt-get clean`, `yum clean all`, ...), normalised; may hold globs. */
  removed: string[];
  /** Paths rewritten in place (chown/chmod/chgrp): a copy of each ships again. */
  rewritten: string[];
  /** Whether a rewrite changes modes (chmod), which COPY can only do with BuildKit (`--chmod`). */
  modeChanged: boolean;
  /** Archives the RUN unpacks. */
  unpacks: Unpack[];
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
        const list = words;
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
  return shellStdin
    ? [...head.filter((command) => !/^(?:ba|da|a|z)?sh$/.test(programOf(command))), ...instruction.heredocs.flatMap(parseCommands)]
    : head;
}

/** What one RUN does, from its shell commands; relative paths are taken from `workdir`, and after a `cd` from there. */
export function factsOf(commands: ShellCommand[], workdir: string): RunFacts {
  const facts: RunFacts = {
    installs: [],
    aptUpdate: false,
    apkUpdate: false,
    pipInstalls: [],
    removed: [],
    rewritten: [],
    modeChanged: false,
    unpacks: [],
    removedPackages: new Set(),
    autoremove: false,
    created: [],
    text: commands.map((command) => command.words.join(' ')).join('\n')
  };
  let aptMarkAuto = false;
  // `cd` moves where the RUN's later relative paths start.
  let cwd = workdir;
  const path = (word: string) => normalise(word, cwd);
  for (const command of commands) {
    const program = programOf(command);
    const { words } = command;
    if (program === 'cd' && words[1] !== undefined && !words[1].startsWith('-') && !words[1].includes('$')) cwd = path(words[1]);
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
        if (sub.name === 'autoremove' || all.includes('--auto-remove') || all.includes('--autoremove'))
          facts.autoremove ||= aptMarkAuto || sub.name === 'autoremove';
      } else if (sub.name === 'clean' || sub.name === 'distclean') {
        facts.removed.push('/var/cache/apt/archives');
        if (sub.name === 'distclean') facts.removed.push(APT_LISTS);
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
      else if (sub.name === 'cache' && packages[0] === 'clean') facts.removed.push(APK_CACHE);
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
    } else if (
      /^pip(?:\d+(?:\.\d+)*)?$/.test(program) ||
      (/^python(?:\d+(?:\.\d+)*)?$/.test(program) && words[1] === '-m' && /^pip\d*$/.test(words[2] ?? ''))
    ) {
      const pipWords = program.startsWith('python') ? words.slice(2) : words;
      const sub = subcommand(pipWords, PIP_VALUED);
      if (sub.name === 'install') {
        const noCacheDir = [...sub.options, ...sub.rest].some((word) => word === '--no-cache-dir' || word.startsWith('--no-cache-dir='));
        facts.pipInstalls.push({ noCacheDir, env: command.env });
      } else if (sub.name === 'cache' && sub.rest[0] === 'purge') facts.removed.push(PIP_CACHE);
    } else if (program === 'rm') {
      for (const target of operands(words.slice(1), new Set()).operands) facts.removed.push(path(target));
    } else if (program === 'chown' || program === 'chmod' || program === 'chgrp') {
      const targets = operands(words.slice(1), new Set(['--reference'])).operands.slice(1);
      for (const target of targets) facts.rewritten.push(path(target));
      if (program === 'chmod' && targets.length > 0) facts.modeChanged = true;
    }
    const unpack = unpackOf(command, program, path);
    if (unpack !== null) facts.unpacks.push(unpack);
    if (program !== 'rm') facts.created.push(...createdBy(command, program, path));
  }
  for (const install of facts.installs) {
    if (install.manager === 'apt') facts.created.push(APT_LISTS);
    if (install.manager === 'apk' && !install.clean) facts.created.push(APK_CACHE);
    if (install.manager === 'yum') facts.created.push(`/var/cache/${install.tool === 'yum' ? 'yum' : 'dnf'}`);
  }
  if (facts.aptUpdate) facts.created.push(APT_LISTS);
  if (facts.apkUpdate) facts.created.push(APK_CACHE);
  if (facts.pipInstalls.some((pip) => !pip.noCacheDir)) facts.created.push(PIP_CACHE);
  // What this RUN deleted itself is not left for a later one.
  facts.created = [...new Set(facts.created)].filter((created) => !coversAny(facts.removed, created));
  return facts;
}

/** tar's short options that take a value (`-f FILE`, `-C DIR`, ...), and its long ones. */
const TAR_SHORT_VALUED = new Set([...'fCTXbIKNVgHLF']);
const TAR_LONG_VALUED = new Set([
  'file',
  'directory',
  'files-from',
  'exclude-from',
  'exclude',
  'strip-components',
  'blocking-factor',
  'owner',
  'group',
  'mode',
  'transform',
  'xform',
  'use-compress-program',
  'format'
]);
const DECOMPRESSORS = new Set(['gunzip', 'unxz', 'bunzip2', 'unzstd', 'unlzma']);
const COMPRESSORS = new Set(['gzip', 'xz', 'bzip2', 'zstd', 'lzma']);

/** tar's `-x` with its archive (`-f`) and folder (`-C`), old-style clusters (`tar xzf x.tgz`) too; null when it does not extract. */
function tarUnpack(words: string[], path: (word: string) => string): Unpack | null {
  let extract = false;
  let archive: string | null = null;
  let into = '.';
  for (let at = 1; at < words.length; at++) {
    const word = words[at]!;
    const long = /^--([a-z-]+)(?:=(.*))?$/.exec(word);
    if (long !== null) {
      const [, name, inline] = long;
      const value = inline ?? (TAR_LONG_VALUED.has(name!) ? words[++at] : undefined);
      if (name === 'extract' || name === 'get') extract = true;
      else if (name === 'file' && value !== undefined) archive = value;
      else if (name === 'directory' && value !== undefined) into = value;
      continue;
    }
    const dashed = word.startsWith('-') && word.length > 1;
    if (!dashed && !(at === 1 && /^[A-Za-z]+$/.test(word))) continue;
    const letters = dashed ? word.slice(1) : word;
    for (let index = 0; index < letters.length; index++) {
      const letter = letters[index]!;
      if (letter === 'x') extract = true;
      if (!TAR_SHORT_VALUED.has(letter)) continue;
      // `-fFILE` takes the rest of the word; otherwise the next word.
      const rest = dashed ? letters.slice(index + 1) : '';
      const value = rest !== '' ? rest : words[++at];
      if (letter === 'f' && value !== undefined) archive = value;
      if (letter === 'C' && value !== undefined) into = value;
      if (rest !== '') break;
    }
  }
  if (!extract) return null;
  return { archive: archive === null || archive === '-' ? null : path(archive), into: path(into) };
}

/** The archive a command unpacks and where to; null when it unpacks none. */
function unpackOf(command: ShellCommand, program: string, path: (word: string) => string): Unpack | null {
  const { words } = command;
  if (program === 'tar' || program === 'bsdtar') return tarUnpack(words, path);
  if (program === 'unzip') {
    const { operands: files, values } = operands(words.slice(1), new Set(['-d', '-P']));
    return files[0] === undefined ? null : { archive: path(files[0]), into: path(values.get('-d') ?? '.') };
  }
  const decompressing =
    DECOMPRESSORS.has(program) || (COMPRESSORS.has(program) && words.some((word) => word === '--decompress' || /^-[a-z]*d/.test(word)));
  if (!decompressing) return null;
  const file = operands(words.slice(1), new Set()).operands[0];
  if (file === undefined) return null;
  // A single compressed file unpacks next to itself.
  const archive = path(file);
  return { archive, into: archive.slice(0, archive.lastIndexOf('/')) || '/' };
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

export interface Step {
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
export function copyWords(instruction: Instruction): { sources: string[]; dest: string | null } {
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

/** What an `ADD <url> <dest>` downloads and where it saves it (into a folder `dest/` under the URL's last name); null for any other instruction. */
export function downloadOf(instruction: Instruction, workdir: string): { url: string; name: string; file: string } | null {
  if (instruction.keyword !== 'ADD') return null;
  const { sources, dest } = copyWords(instruction);
  const url = sources[0];
  if (url === undefined || sources.length > 1 || dest === null || !/^https?:\/\//i.test(url)) return null;
  const path = url.replace(/[?#].*$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  const target = normalise(dest, workdir);
  return { url, name, file: dest.endsWith('/') ? `${target === '/' ? '' : target}/${name}` : target };
}

/** The instructions of the final stage and the stages its FROM chain names, in order, with what each does. */
export function stepsOf(dockerfile: ParsedDockerfile): Step[] {
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
// Cache mounts

/** True when a `RUN --mount=type=cache` (or tmpfs) keeps one of these folders out of the layer. */
export function cacheMounted(instruction: Instruction, folders: readonly string[]): boolean {
  return instruction.mounts.some(
    (mount) =>
      (mount.type === 'cache' || mount.type === 'tmpfs') &&
      mount.target !== null &&
      folders.some((folder) => covers(normalise(mount.target!, '/'), folder))
  );
}
