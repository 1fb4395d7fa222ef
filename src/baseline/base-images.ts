/**
 * The images a build pulls in besides its context, and what each of them is
 * right now: the local engine's image id when it has the image, else the
 * registry's manifest digest for the platform. A tag that moves (a new
 * `python:3.12` release) changes the answer, so the build-input digest sees it.
 */
import { DockerfileParser } from 'dockerfile-ast';
import type { Engine } from '../build/engine.js';
import type { ParsedDockerfile } from '../dockerfile/parse.js';
import type { BuildSettings } from '../model/settings.js';
import type { RegistryClient } from '../registry/client.js';
import type { BaseResolver } from './digest.js';

/** An image a build pulls: `platform` null means the build's default. */
export interface BaseImage {
  ref: string;
  platform: string | null;
}

/**
 * Resolves base images, local engine first (`docker image inspect`'s id, what a build on this engine starts
 * from), else the registry's manifest digest for the platform (`defaultPlatform` when the build names none:
 * this machine's Linux platform). Each (reference, platform) is asked once per run.
 */
export function createBaseResolver(options: {
  engine: Pick<Engine, 'inspect'>;
  registry: Pick<RegistryClient, 'manifestDigest'>;
  defaultPlatform?: string;
}): BaseResolver {
  const { engine, registry } = options;
  const defaultPlatform = options.defaultPlatform ?? `linux/${process.arch === 'arm64' ? 'arm64' : 'amd64'}`;
  const answers = new Map<string, Promise<string | null>>();

  async function resolve(ref: string, platform: string): Promise<string | null> {
    try {
      return (await engine.inspect(ref)).id;
    } catch {
      // Not in the local engine (or no engine to ask): the registry may know it.
    }
    return registry.manifestDigest(ref, platform).catch(() => null);
  }

  return (ref, platform) => {
    const wanted = platform ?? defaultPlatform;
    const key = `${ref}\n${wanted}`;
    let pending = answers.get(key);
    if (pending === undefined) {
      pending = resolve(ref, wanted);
      answers.set(key, pending);
    }
    return pending;
  };
}

/**
 * The images a Dockerfile makes the build pull, in the order it names them, each once: every stage's `FROM`
 * that is not an earlier stage, every `COPY --from` / `ADD --from` and `RUN --mount=from=` that names no stage,
 * and the frontend a `# syntax=` directive (or the BUILDKIT_SYNTAX build arg) asks for. `scratch` is no image.
 * Stages the target does not need are counted too: conservative, and the classic builder builds them all.
 *
 * `text` is the Dockerfile as read (for the directive and every `--mount`, of which the parsed form keeps only
 * the last); `build.platform` is the build's `--platform`, null for the default.
 */
export function baseImagesOf(dockerfile: ParsedDockerfile, text: string, build: Pick<BuildSettings, 'platform' | 'buildArgs'>): BaseImage[] {
  const { platform, buildArgs } = build;
  const images = new Map<string, BaseImage>();
  const add = (ref: string, imagePlatform: string | null): void => {
    if (ref.trim().toLowerCase() === 'scratch') return;
    const key = `${ref}\n${imagePlatform ?? ''}`;
    if (!images.has(key)) images.set(key, { ref, platform: imagePlatform });
  };
  const stageNames = new Set(dockerfile.stages.flatMap((stage) => (stage.name === null ? [] : [stage.name])));
  const isStage = (from: string): boolean => /^\d+$/.test(from) || stageNames.has(from.toLowerCase());

  const parsed = DockerfileParser.parse(text);
  const syntax = Object.hasOwn(buildArgs, 'BUILDKIT_SYNTAX')
    ? buildArgs.BUILDKIT_SYNTAX
    : parsed
        .getDirectives()
        .find((directive) => directive.getName().toLowerCase() === 'syntax')
        ?.getValue();
  // The frontend runs on the machine that builds: its platform, not the target's.
  if (syntax !== undefined && syntax.trim() !== '') add(syntax.trim(), null);

  for (const stage of dockerfile.stages) {
    if (stage.from.stage === null) add(stage.from.image, fromPlatform(stage.from.platform, platform));
    for (const instruction of stage.instructions) {
      const from = instruction.flags['from'];
      if ((instruction.keyword === 'COPY' || instruction.keyword === 'ADD') && typeof from === 'string' && from !== '' && !isStage(from)) {
        add(from, platform);
      }
    }
  }
  for (const instruction of parsed.getInstructions()) {
    if (instruction.getKeyword().toUpperCase() !== 'RUN') continue;
    const withFlags = instruction as typeof instruction & { getFlags?: () => Flag[] };
    for (const flag of withFlags.getFlags?.() ?? []) {
      if (flag.getName() !== 'mount') continue;
      const from = flag.getOption('from')?.getValue();
      if (from !== null && from !== undefined && from !== '' && !isStage(from)) add(from, platform);
    }
  }
  return [...images.values()];
}

/** The part of dockerfile-ast's Flag read here (RUN's flags; `getFlags` is not on every instruction type). */
interface Flag {
  getName(): string;
  getOption(name: string): { getValue(): string | null } | null;
}

/**
 * The platform a `FROM --platform=` asks for. BuildKit fills in `$BUILDPLATFORM` (the machine's: the default)
 * and `$TARGETPLATFORM` (the build's); anything else is passed on as written.
 */
function fromPlatform(written: string | null, buildPlatform: string | null): string | null {
  if (written === null) return buildPlatform;
  const variable = /^\$(?:\{(\w+)\}|(\w+))$/.exec(written.trim());
  const name = variable?.[1] ?? variable?.[2];
  if (name === 'BUILDPLATFORM') return null;
  if (name === 'TARGETPLATFORM') return buildPlatform;
  return written;
}
