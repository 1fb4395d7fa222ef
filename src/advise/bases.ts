/**
 * Smaller base images for a Dockerfile's final stage: the `-slim`, `-alpine` and
 * `-jre` variants of the same version of a language image, `-slim` for Debian,
 * Alpine for a Debian or Ubuntu stage that installs only a few packages, and a
 * multi-stage build onto `scratch`, distroless or a runtime image when the final
 * stage still carries a compiler toolchain (toolchains.ts). Pure: whether a
 * suggested tag exists and what it saves is asked of a registry elsewhere
 * (suggest.ts).
 *
 * Images are recognised by the last part of their repository (`python`,
 * `library/python`, `127.0.0.1:5000/library/python`, `mirror.example/python`),
 * and a suggestion keeps the registry and repository of the current base and
 * changes only the tag; images proposed for a runtime stage keep the registry
 * and namespace too (`127.0.0.1:5000/library/eclipse-temurin:21-jre`), except
 * distroless, which lives on gcr.io.
 */
import { finalChain, type Instruction, type Stage } from '../dockerfile/parse.js';
import { parseCommands, programOf, type ShellCommand } from './shell.js';
import { tryParseReference, withTag, type ImageReference } from '../registry/reference.js';
import { JRE_CAVEAT, type BaseCandidate, type BaseRule } from './base-candidate.js';
import { joinTag, siblingImage, tagParts, type TagParts } from './image-tags.js';
import { toolchainCandidate, type MeasuredBinary, type Toolchain } from './toolchains.js';

export { BASE_RULES, type BaseCandidate, type BaseRule } from './base-candidate.js';
export { javaVersion, siblingImage, tagParts, type TagParts } from './image-tags.js';

/** Most packages an `apt-get install` may name for Alpine to be worth suggesting instead of Debian or Ubuntu. */
export const FEW_PACKAGES = 3;

/** The Alpine tag suggested for a Debian or Ubuntu stage: the current 3.x release. */
export const ALPINE_TAG = '3';

type SlimPosition = 'before-distro' | 'after-distro';

interface Family {
  /** Where `slim` goes in the tag: `3.12-slim-bookworm` (before) or `20-bookworm-slim` (after); null: no slim variants. */
  slim: SlimPosition | null;
  alpine: boolean;
  /** JDK images with JRE variants. */
  jre?: 'temurin' | 'openjdk';
  toolchain?: Toolchain;
  /** What an alpine variant may break for this language. */
  alpineCaveat?: string;
  /** Programs whose installs may compile native code (then slim lacks the compilers). */
  installers?: readonly string[];
  /** The language's name in sentences. */
  name: string;
}

const MUSL = 'Alpine uses musl libc instead of glibc: binaries built for glibc do not run on it';

const LANGUAGES: Record<string, Family> = {
  python: {
    name: 'Python',
    slim: 'before-distro',
    alpine: true,
    installers: ['pip', 'pip3', 'pipenv', 'poetry', 'uv'],
    alpineCaveat:
      'Python packages with C extensions (numpy, pandas, psycopg2, cryptography, …) often have no musl wheels and compile from source on Alpine, which needs build tools and can make the image bigger and the build much slower'
  },
  pypy: { name: 'PyPy', slim: 'before-distro', alpine: false, installers: ['pip', 'pip3', 'pypy3'] },
  node: {
    name: 'Node.js',
    slim: 'after-distro',
    alpine: true,
    installers: ['npm', 'yarn', 'pnpm', 'npx'],
    alpineCaveat:
      'native modules (node-gyp, prebuilt binaries for glibc) must be compiled against musl on Alpine, which needs python3, make and g++ at build time'
  },
  ruby: {
    name: 'Ruby',
    slim: 'before-distro',
    alpine: true,
    installers: ['gem', 'bundle', 'bundler'],
    alpineCaveat: 'gems with native extensions compile against musl on Alpine and need build-base at build time'
  },
  php: {
    name: 'PHP',
    slim: null,
    alpine: true,
    installers: ['pecl', 'docker-php-ext-install'],
    alpineCaveat: `${MUSL}; PHP extensions are built with apk packages`
  },
  perl: { name: 'Perl', slim: 'before-distro', alpine: false, installers: ['cpanm', 'cpan'] },
  elixir: { name: 'Elixir', slim: 'before-distro', alpine: true, installers: ['mix'] },
  erlang: { name: 'Erlang', slim: 'before-distro', alpine: true, installers: ['rebar3'] },
  haskell: { name: 'Haskell', slim: 'before-distro', alpine: false, installers: ['cabal', 'stack'] },
  amazoncorretto: { name: 'Java', slim: null, alpine: true },
  'eclipse-temurin': { name: 'Java', slim: null, alpine: true, jre: 'temurin' },
  openjdk: { name: 'Java', slim: 'before-distro', alpine: false, jre: 'openjdk' },
  golang: { name: 'Go', slim: null, alpine: true, toolchain: 'go' },
  rust: { name: 'Rust', slim: 'before-distro', alpine: true, toolchain: 'rust', installers: ['cargo'] },
  gcc: { name: 'C/C++', slim: null, alpine: false, toolchain: 'c' },
  maven: { name: 'Java', slim: null, alpine: false, toolchain: 'maven' },
  gradle: { name: 'Java', slim: null, alpine: false, toolchain: 'gradle' }
};

/** The language family of a repository (`library/python` → python), by its last path part; `dotnet/sdk` is .NET's SDK. */
function familyOf(ref: ImageReference): { key: string; family: Family } | null {
  const parts = ref.repository.split('/');
  const last = parts.at(-1)!;
  if (last === 'sdk' && parts.at(-2) === 'dotnet') {
    return { key: 'dotnet', family: { name: '.NET', slim: null, alpine: false, toolchain: 'dotnet' } };
  }
  const family = LANGUAGES[last];
  return family === undefined ? null : { key: last, family };
}

function instructionsOf(stages: readonly Stage[]): Instruction[] {
  return stages.flatMap((stage) => stage.instructions);
}

/** RUN scripts of some stages (heredoc bodies included). */
function scriptsOf(stages: readonly Stage[]): string[] {
  return stages.flatMap((stage) =>
    stage.instructions.filter((instruction) => instruction.keyword === 'RUN').flatMap((instruction) => [instruction.args, ...instruction.heredocs])
  );
}

const REDIRECT = /^\d*(?:>>?|<|>&|&>)(.*)$/;

/** Packages named after `install` by apt-get / apt / aptitude in some RUN scripts, flags and redirections left out; null when one names them through a variable. */
export function aptPackages(scripts: readonly string[]): string[] | null {
  const packages: string[] = [];
  for (const command of scripts.flatMap((script) => parseCommands(script))) {
    if (!['apt-get', 'apt', 'aptitude'].includes(programOf(command))) continue;
    const install = command.words.indexOf('install');
    if (install === -1) continue;
    const words = command.words.slice(install + 1);
    for (let at = 0; at < words.length; at++) {
      const word = words[at]!;
      const redirect = REDIRECT.exec(word);
      if (redirect !== null) {
        if (redirect[1] === '') at++;
        continue;
      }
      if (word.startsWith('-')) continue;
      if (word.includes('$')) return null;
      packages.push(word);
    }
  }
  return packages;
}

function installsWith(commands: readonly ShellCommand[], programs: readonly string[] | undefined): boolean {
  if (programs === undefined) return false;
  return commands.some((command) => programs.includes(programOf(command)));
}

/**
 * Smaller bases for `stage` (the final stage), following `FROM <earlier stage>`
 * to the image it starts from. Nothing for a base pinned by digest, for
 * `scratch`, for Windows images, or for images this table does not know.
 */
export function baseCandidates(stage: Stage, context: { stages: readonly Stage[] }, binary: MeasuredBinary = null): BaseCandidate[] {
  const chain = finalChain({ stages: [...context.stages], final: stage });
  const root = chain[0] ?? stage;
  if (root.from.stage !== null) return [];
  const image = root.from.image.trim();
  if (image === '' || image.toLowerCase() === 'scratch' || image.includes('$')) return [];
  const ref = tryParseReference(image);
  if (ref === null || ref.digest !== null || ref.tag === null) return [];
  const parts = tagParts(ref.tag);
  if (parts.windows) return [];

  const scripts = scriptsOf(chain);
  const commands = scripts.flatMap((script) => parseCommands(script));
  const instructions = instructionsOf(chain);
  const last = ref.repository.split('/').at(-1)!;
  if (last === 'debian' || last === 'ubuntu') return distroCandidates(ref, last, parts, scripts);

  const found = familyOf(ref);
  if (found === null) return [];
  const { family } = found;
  const candidates = family.jre ? jreCandidates(ref, family.jre, parts) : variantCandidates(ref, family, parts, commands);
  if (family.toolchain) {
    const multi = toolchainCandidate(ref, family.toolchain, parts, commands, instructions, binary);
    if (multi !== null) candidates.push(multi);
  }
  return candidates;
}

function slimCaveat(family: Family, commands: readonly ShellCommand[]): string | null {
  return installsWith(commands, family.installers)
    ? 'slim has no compilers or -dev libraries: packages that build native code on install need them added (and removed again) in the same RUN'
    : null;
}

function variantCandidates(ref: ImageReference, family: Family, parts: TagParts, commands: readonly ShellCommand[]): BaseCandidate[] {
  if (parts.alpine) return [];
  const prefix = [...parts.version, ...parts.flavour];
  const out: BaseCandidate[] = [];
  if (!parts.slim && family.slim !== null) {
    const tag = family.slim === 'before-distro' ? joinTag(prefix, ['slim'], parts.distro) : joinTag(prefix, parts.distro, ['slim']);
    out.push({
      rule: 'base-slim',
      image: withTag(ref, tag),
      why: `the slim variant is the same ${family.name} without the compilers, headers and tools of the full image`,
      caveat: slimCaveat(family, commands),
      sketch: null,
      needsLookup: true
    });
  }
  if (family.alpine) {
    out.push({
      rule: 'base-alpine',
      image: withTag(ref, joinTag(prefix, ['alpine'])),
      why: `the alpine variant is the same ${family.name} on Alpine Linux, the smallest variant`,
      caveat: family.alpineCaveat ?? MUSL,
      sketch: null,
      needsLookup: true
    });
  }
  return out;
}

const JRE_WHY = 'a JRE is enough to run the application; the JDK’s compiler and tools are only needed to build it';

function jreCandidates(ref: ImageReference, kind: 'temurin' | 'openjdk', parts: TagParts): BaseCandidate[] {
  const isJre = parts.flavour.includes('jre');
  const out: BaseCandidate[] = [];
  const push = (rule: BaseRule, tag: string, why: string, caveat: string | null) =>
    out.push({ rule, image: withTag(ref, tag), why, caveat, sketch: null, needsLookup: true });
  if (kind === 'temurin') {
    if (parts.alpine) {
      if (!isJre) push('base-jre', joinTag(parts.version, ['jre', 'alpine']), JRE_WHY, JRE_CAVEAT);
      return out;
    }
    if (!isJre) push('base-jre', joinTag(parts.version, ['jre'], parts.distro), JRE_WHY, JRE_CAVEAT);
    push(
      'base-alpine',
      joinTag(parts.version, ['jre', 'alpine']),
      `the JRE on Alpine Linux is the smallest runtime of the same Java version`,
      isJre ? MUSL : `${MUSL}; ${JRE_CAVEAT}`
    );
    return out;
  }
  // openjdk: `17-jdk-slim-bullseye`, `11-jre-slim`.
  if (parts.alpine) return out;
  if (!isJre && !parts.slim) push('base-jre', joinTag(parts.version, ['jre'], parts.distro), JRE_WHY, JRE_CAVEAT);
  if (!(isJre && parts.slim))
    push('base-jre', joinTag(parts.version, ['jre', 'slim'], parts.distro), `${JRE_WHY}; slim also drops most of Debian`, JRE_CAVEAT);
  if (!parts.slim && !isJre) {
    push('base-slim', joinTag(parts.version, parts.flavour, ['slim'], parts.distro), 'the slim variant is the same JDK on a minimal Debian', null);
  }
  return out;
}

function distroCandidates(ref: ImageReference, name: 'debian' | 'ubuntu', parts: TagParts, scripts: readonly string[]): BaseCandidate[] {
  const out: BaseCandidate[] = [];
  if (name === 'debian' && !parts.slim) {
    const tag = ref.tag === 'latest' ? 'stable-slim' : `${ref.tag}-slim`;
    out.push({
      rule: 'base-slim',
      image: withTag(ref, tag),
      why: 'debian’s slim variant is the same release without documentation, man pages and locales',
      caveat: null,
      sketch: null,
      needsLookup: true
    });
  }
  const packages = aptPackages(scripts);
  if (packages !== null && packages.length <= FEW_PACKAGES) {
    const listed = packages.length === 0 ? 'installs no packages' : `installs only ${packages.join(', ')}`;
    out.push({
      rule: 'base-alpine',
      image: siblingImage(ref, 'alpine', ALPINE_TAG),
      why: `the image ${listed}; Alpine Linux provides a base of a few MB (install them with apk add --no-cache)`,
      caveat: `${MUSL}, and package names differ from ${name === 'debian' ? 'Debian' : 'Ubuntu'}'s`,
      sketch: null,
      needsLookup: true
    });
  }
  return out;
}
