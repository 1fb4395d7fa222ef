/**
 * Multi-stage builds for a final stage that still carries a compiler toolchain
 * (golang, rust, gcc, maven, gradle, dotnet/sdk): build in one stage and ship
 * only the result, on `scratch` when the binary is static, on distroless when
 * it links libc, on a runtime image (JRE, ASP.NET Core) otherwise. What differs
 * between toolchains is data in TOOLCHAINS; toolchainCandidate reads it.
 */
import type { Instruction } from '../dockerfile/parse.js';
import type { ImageReference } from '../registry/reference.js';
import { JRE_CAVEAT, type BaseCandidate, type BaseRule } from './base-candidate.js';
import { dotnetVersion, javaVersion, siblingImage, type TagParts } from './image-tags.js';
import { programOf, type ShellCommand } from './shell.js';

export type Toolchain = 'go' | 'rust' | 'c' | 'maven' | 'gradle' | 'dotnet';

/** What the image's entrypoint was measured to be, when it is an ELF binary: it wins over what the build's words suggest. */
export type MeasuredBinary = 'static' | 'dynamic' | null;

const CGO_OFF = /\bCGO_ENABLED(?:\s*=\s*|\s+)["']?0\b/;
const CGO_ON = /\bCGO_ENABLED(?:\s*=\s*|\s+)["']?1\b/;

function instructionText(instruction: Instruction): string {
  return [instruction.args, ...instruction.heredocs].join('\n');
}

/** Whether what the stage builds is a static binary that runs on `scratch`. */
function isStatic(toolchain: Toolchain, parts: TagParts, commands: readonly ShellCommand[], instructions: readonly Instruction[]): boolean {
  const text = instructions
    .filter((instruction) => ['RUN', 'ENV', 'ARG'].includes(instruction.keyword))
    .map(instructionText)
    .join('\n');
  if (toolchain === 'go') {
    if (CGO_OFF.test(text)) return true;
    if (/-extldflags[= ]+["']?[^"'\n]*-static/.test(text)) return true;
    // Without a C compiler (golang:*-alpine has none) cgo is off by default.
    const addsCompiler = commands.some(
      (command) => programOf(command) === 'apk' && command.words.some((word) => ['gcc', 'build-base', 'clang'].includes(word))
    );
    return parts.alpine && !addsCompiler && !CGO_ON.test(text);
  }
  if (toolchain === 'rust') return parts.alpine || /-unknown-linux-musl\b/.test(text);
  if (toolchain === 'c') return commands.some((command) => command.words.includes('-static') || command.words.includes('-static-pie'));
  return false;
}

/** `-o path` of the first `go build`, else null. */
function goOutput(commands: readonly ShellCommand[]): string | null {
  for (const command of commands) {
    if (programOf(command) !== 'go' || command.words[1] !== 'build') continue;
    const words = command.words;
    for (let at = 2; at < words.length; at++) {
      const word = words[at]!;
      if (word === '-o' && words[at + 1] !== undefined) return words[at + 1]!;
      if (word.startsWith('-o=')) return word.slice(3);
    }
  }
  return null;
}

const DISTROLESS_STATIC = 'gcr.io/distroless/static-debian12';
const DISTROLESS_BASE = 'gcr.io/distroless/base-debian12';
const DISTROLESS_CC = 'gcr.io/distroless/cc-debian12';

const SCRATCH_CAVEAT = `scratch has no shell, CA certificates, time zones or users: copy in what the program needs (or use ${DISTROLESS_STATIC}, which has them)`;
const DISTROLESS_CAVEAT =
  'distroless images have no shell or package manager: use the exec form of CMD/ENTRYPOINT, and the :debug tag to look inside';

/** A compiled program: on scratch when the binary is static, else on a distroless image with the libraries it links. */
interface NativeRuntime {
  kind: 'native';
  distroless: string;
  /** The end of the `why` sentence when the binary is static, and when it is not. */
  onScratch: string;
  onDistroless: string;
}

/** A program that needs a runtime: the runtime's image next to the base (same registry and namespace). */
interface ImageRuntime {
  kind: 'image';
  repository: string;
  /** Where the runtime's version comes from: a Java tag (`3.9-eclipse-temurin-21`) or a .NET SDK tag (`8.0`). */
  versionFrom: 'java' | 'dotnet';
  /** The version when the tag names none; null: no suggestion then. */
  fallbackVersion: string | null;
  /** What follows the version in the runtime's tag (`-jre`). */
  tagSuffix: string;
  /** The end of the `why` sentence. */
  runOn: string;
  caveat: string | null;
  /** The caveat when the version was not in the tag. */
  unknownVersionCaveat: string | null;
}

/**
 * What a toolchain image's final stage carries, and the multi-stage build that
 * leaves it behind. In `build` and `ship`, {output} is the path the Dockerfile's
 * own `go build -o` names (else /out/app).
 */
interface ToolchainRecipe {
  /** `the Go toolchain`: what only building needs, named before `of <base>`. */
  carries: string;
  neededFor: 'compiling' | 'building';
  runtime: NativeRuntime | ImageRuntime;
  /** The build stage's command (after `RUN `), and when the binary is static (if that differs). */
  build: string;
  staticBuild?: string;
  /** The final stage's lines after its FROM. */
  ship: string[];
}

/** Maven and Gradle builds run their jar on the JRE of the Java version the tag names (`3.9-eclipse-temurin-21`). */
const JAVA_RUNTIME: ImageRuntime = {
  kind: 'image',
  repository: 'eclipse-temurin',
  versionFrom: 'java',
  fallbackVersion: '21',
  tagSuffix: '-jre',
  runOn: 'run the jar on a JRE',
  caveat: JRE_CAVEAT,
  unknownVersionCaveat: `pick the JRE of the Java version you build with; ${JRE_CAVEAT}`
};

const TOOLCHAINS: Record<Toolchain, ToolchainRecipe> = {
  go: {
    carries: 'the Go toolchain',
    neededFor: 'compiling',
    runtime: {
      kind: 'native',
      distroless: DISTROLESS_BASE,
      onScratch: 'the binary is static (CGO_ENABLED=0), so it runs on scratch',
      onDistroless: 'build in one stage and run the binary on distroless (with CGO_ENABLED=0 it is static and runs on scratch)'
    },
    build: 'go build -o {output} .',
    staticBuild: 'CGO_ENABLED=0 go build -o {output} .',
    ship: ['COPY --from=build {output} {output}', 'ENTRYPOINT ["{output}"]']
  },
  rust: {
    carries: 'the Rust toolchain',
    neededFor: 'compiling',
    runtime: {
      kind: 'native',
      distroless: DISTROLESS_CC,
      onScratch: 'a musl binary is static, so it runs on scratch',
      onDistroless: 'build in one stage and run the binary on distroless/cc (libc and libgcc only)'
    },
    build: 'cargo build --release',
    ship: ['# the binary is named after the package in Cargo.toml', 'COPY --from=build /src/target/release/app /app', 'ENTRYPOINT ["/app"]']
  },
  c: {
    carries: 'the compilers',
    neededFor: 'building',
    runtime: {
      kind: 'native',
      distroless: DISTROLESS_CC,
      onScratch: 'a binary linked with -static runs on scratch',
      onDistroless: 'run the program on distroless/cc (libc and libstdc++ only), or link it with -static for scratch'
    },
    build: 'make',
    staticBuild: 'make LDFLAGS=-static',
    ship: ['COPY --from=build /src/app /app', 'ENTRYPOINT ["/app"]']
  },
  maven: {
    carries: 'Maven, a JDK and the dependency cache',
    neededFor: 'building',
    runtime: JAVA_RUNTIME,
    build: 'mvn -B package -DskipTests',
    ship: ['COPY --from=build /src/target/*.jar /app/app.jar', 'ENTRYPOINT ["java", "-jar", "/app/app.jar"]']
  },
  gradle: {
    carries: 'Gradle, a JDK and the dependency cache',
    neededFor: 'building',
    runtime: JAVA_RUNTIME,
    build: 'gradle build -x test',
    ship: ['COPY --from=build /src/build/libs/*.jar /app/app.jar', 'ENTRYPOINT ["java", "-jar", "/app/app.jar"]']
  },
  dotnet: {
    carries: 'the .NET SDK',
    neededFor: 'building',
    runtime: {
      kind: 'image',
      repository: 'aspnet',
      versionFrom: 'dotnet',
      fallbackVersion: null,
      tagSuffix: '',
      runOn: 'run the published app on the ASP.NET Core runtime (or dotnet/runtime for console apps)',
      caveat: null,
      unknownVersionCaveat: null
    },
    build: 'dotnet publish -c Release -o /out',
    ship: ['WORKDIR /app', 'COPY --from=build /out .', 'ENTRYPOINT ["dotnet", "App.dll"]']
  }
};

/** The runtime image, rule and caveat of a multi-stage build, and how the sentence ends; null when the tag does not tell which runtime. */
function runtimeOf(
  recipe: ToolchainRecipe,
  ref: ImageReference,
  parts: TagParts,
  staticBinary: boolean
): { image: string; rule: BaseRule; caveat: string | null; needsLookup: boolean; how: string } | null {
  const { runtime } = recipe;
  if (runtime.kind === 'native') {
    return staticBinary
      ? { image: 'scratch', rule: 'base-scratch', caveat: SCRATCH_CAVEAT, needsLookup: false, how: runtime.onScratch }
      : { image: runtime.distroless, rule: 'base-distroless', caveat: DISTROLESS_CAVEAT, needsLookup: true, how: runtime.onDistroless };
  }
  const version = runtime.versionFrom === 'java' ? javaVersion(ref.tag ?? '') : dotnetVersion(parts);
  const tag = version ?? runtime.fallbackVersion;
  if (tag === null) return null;
  return {
    image: siblingImage(ref, runtime.repository, `${tag}${runtime.tagSuffix}`),
    rule: 'multi-stage',
    caveat: version === null ? runtime.unknownVersionCaveat : runtime.caveat,
    needsLookup: true,
    how: runtime.runOn
  };
}

/** A multi-stage build that leaves the toolchain of `ref` behind; null when the tag does not tell which runtime to use. */
export function toolchainCandidate(
  ref: ImageReference,
  toolchain: Toolchain,
  parts: TagParts,
  commands: readonly ShellCommand[],
  instructions: readonly Instruction[],
  binary: MeasuredBinary = null
): BaseCandidate | null {
  const recipe = TOOLCHAINS[toolchain];
  const staticBinary = binary === null ? isStatic(toolchain, parts, commands, instructions) : binary === 'static';
  const runtime = runtimeOf(recipe, ref, parts, staticBinary);
  if (runtime === null) return null;
  const base = ref.display;
  const output = goOutput(commands) ?? '/out/app';
  const fill = (line: string) => line.replaceAll('{output}', output);
  const build = fill(staticBinary ? (recipe.staticBuild ?? recipe.build) : recipe.build);
  const sketch = [`FROM ${base} AS build`, 'WORKDIR /src', 'COPY . .', `RUN ${build}`, '', `FROM ${runtime.image}`, ...recipe.ship.map(fill)];
  return {
    rule: runtime.rule,
    image: runtime.image,
    why: `the final image carries ${recipe.carries} of ${base}, which only ${recipe.neededFor} needs; ${runtime.how}`,
    caveat: runtime.caveat,
    sketch: sketch.join('\n'),
    needsLookup: runtime.needsLookup
  };
}
