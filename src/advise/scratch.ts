/**
 * Advice from what the image runs (its entrypoint, read from the layers): a
 * static binary on a distro base goes on `scratch`, with the saving measured in
 * this very image — the base image's layers, or for a binary built in the final
 * stage everything but the binary — less the files the program may need copied
 * in (CA certificates, time zones, the users of USER). A dynamic binary gets its
 * libraries named and, when they are glibc's (and libstdc++), distroless; never
 * scratch. Pure: the entrypoint facts, the layer table and the final files in.
 */
import type { FinalFiles } from '../analyse/final-files.js';
import { finalChain, type Instruction, type ParsedDockerfile, type Stage } from '../dockerfile/parse.js';
import type { Entrypoint, Finding, LayerReport } from '../model/report.js';
import { tryParseReference } from '../registry/reference.js';
import { formatBytes } from '../units.js';
import type { BaseCandidate } from './base-candidate.js';

/** What the final stage's own RUN layers may add for scratch to fit: a RUN needs a shell that scratch lacks. */
export const RUN_ALLOWANCE = 1024 * 1024;

export const DISTROLESS_STATIC = 'gcr.io/distroless/static-debian12';
export const DISTROLESS_BASE = 'gcr.io/distroless/base-debian12';
export const DISTROLESS_CC = 'gcr.io/distroless/cc-debian12';

const MINUS = '\u2212';

/** Files a static program may read at run time that scratch does not have. */
interface SupportFiles {
  what: string;
  /** Where it may be (the first one present counts), as a path in the image without the leading `/`. */
  paths: string[];
  folder: boolean;
}

const SUPPORT: readonly SupportFiles[] = [
  { what: 'CA certificates', paths: ['etc/ssl/certs/ca-certificates.crt', 'etc/pki/tls/certs/ca-bundle.crt'], folder: false },
  { what: 'time zones', paths: ['usr/share/zoneinfo'], folder: true }
];

/** Instructions of the final stage that still mean something on scratch (no shell, no package manager). */
const CARRIED = new Set(['COPY', 'ADD', 'ENV', 'EXPOSE', 'LABEL', 'USER', 'WORKDIR', 'VOLUME', 'STOPSIGNAL', 'ENTRYPOINT', 'CMD', 'HEALTHCHECK']);

/** The glibc libraries distroless/base carries (with OpenSSL), and what distroless/cc adds. */
const GLIBC = /^(?:libc|libm|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl|ld-linux[-a-z0-9_.]*)\.so(?:\.\d+)*$/;
const BASE_EXTRA = /^(?:libssl|libcrypto|libz)\.so(?:\.\d+)*$/;
const CC_EXTRA = /^(?:libgcc_s|libstdc\+\+|libgomp)\.so(?:\.\d+)*$/;

export interface RuntimeFacts {
  entrypoint: Entrypoint | null;
  layers: readonly LayerReport[];
  /** The files a container sees; null when not read. */
  files: FinalFiles | null;
}

/** A file or folder to copy into scratch, and its bytes in this image. */
interface Copied {
  what: string;
  path: string;
  bytes: number;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** The support files present in the image (and the users file when USER names a user), with their bytes. */
function supportFiles(facts: RuntimeFacts, files: FinalFiles): Copied[] {
  const copied: Copied[] = [];
  for (const support of SUPPORT) {
    for (const path of support.paths) {
      const bytes = support.folder ? sum([...files.under(path)].map(([, size]) => size)) : files.sizeOf(path);
      if (bytes === null || bytes === 0) continue;
      copied.push({ what: support.what, path: `/${path}`, bytes });
      break;
    }
  }
  const user = facts.entrypoint?.user ?? null;
  // A numeric USER needs no passwd entry; a name does.
  if (user !== null && !/^\d+(?::\d+)?$/.test(user)) {
    for (const path of ['etc/passwd', 'etc/group']) {
      const bytes = files.sizeOf(path);
      if (bytes !== null) copied.push({ what: `the user ${user}`, path: `/${path}`, bytes });
    }
  }
  return copied;
}

function isRun(layer: LayerReport): boolean {
  return layer.instruction !== null && /^RUN\b/i.test(layer.instruction);
}

function copyLine(from: string, item: Copied): string {
  return `COPY --from=${from} ${item.path} ${item.path}`;
}

function namesOf(copied: readonly Copied[]): string {
  const names = [...new Set(copied.map((item) => item.what))];
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function compressedOf(layers: readonly LayerReport[]): number | null {
  return layers.some((layer) => layer.compressedBytes === null) ? null : sum(layers.map((layer) => layer.compressedBytes!));
}

/** The final stage's lines that carry over to scratch, as written. */
function carried(stage: Stage): Instruction[] {
  return stage.instructions.filter((instruction) => CARRIED.has(instruction.keyword));
}

/** `line 4 (RUN chmod +x /main)`, the RUNs that cannot run on scratch. */
function runsLeftOut(stage: Stage): string | null {
  const runs = stage.instructions.filter((instruction) => instruction.keyword === 'RUN');
  if (runs.length === 0) return null;
  const lines = runs.map((run) => `${run.line}`).join(', ');
  return `scratch has no shell: the RUN at line${runs.length === 1 ? '' : 's'} ${lines} cannot run there; do ${runs.length === 1 ? 'it' : 'them'} in a build stage and copy the result`;
}

/** The root stage of the final chain when it is the final stage itself, FROM an image that is not scratch. */
function finalOnImage(dockerfile: ParsedDockerfile): Stage | null {
  const chain = finalChain(dockerfile);
  if (chain.length !== 1) return null;
  const stage = chain[0]!;
  const image = stage.from.image.trim();
  if (stage.from.stage !== null || image === '' || image.includes('$') || image.toLowerCase() === 'scratch') return null;
  return stage;
}

/**
 * `base-scratch` for a static entrypoint: measured in this image's layers. Null when the entrypoint is not a static
 * binary of the Dockerfile's own layers, the layers' origins are unknown, or the final stage's RUNs add more than a little.
 */
export function scratchFinding(dockerfile: ParsedDockerfile, facts: RuntimeFacts): Finding | null {
  const { entrypoint, layers, files } = facts;
  if (entrypoint?.kind !== 'static' || entrypoint.layer === null || entrypoint.path === null || files === null) return null;
  const stage = finalOnImage(dockerfile);
  const binaryLayer = layers[entrypoint.layer];
  if (stage === null || binaryLayer?.fromBase !== false) return null;
  const baseLayers = layers.filter((layer) => layer.fromBase === true);
  const ownLayers = layers.filter((layer) => layer.fromBase === false);
  if (baseLayers.length === 0 || layers.some((layer) => layer.fromBase === null)) return null;
  const current = tryParseReference(stage.from.image.trim())?.display ?? stage.from.image.trim();
  const copied = supportFiles(facts, files);
  const copiedBytes = sum(copied.map((item) => item.bytes));
  const binary = `${entrypoint.path} is a static binary (no loader, no shared libraries)`;
  const distroless =
    copied.length > 0
      ? ` Or use \`FROM ${DISTROLESS_STATIC}\`, which has CA certificates, time zones and a passwd with root and nonroot (its size is not measured here).`
      : '';
  const needs = copied.length > 0 ? ` It may need the ${namesOf(copied)} this image holds (${formatBytes(copiedBytes)}): copy them in.` : '';

  if (isRun(binaryLayer)) {
    // Built in the final stage: ship only the binary (and what it may need) from it.
    const saving = sum(layers.map((layer) => layer.bytes)) - (entrypoint.bytes ?? 0) - copiedBytes;
    if (saving <= 0) return null;
    const name = stage.name ?? 'build';
    const scratchStage = [
      'FROM scratch',
      `COPY --from=${name} ${entrypoint.path} ${entrypoint.path}`,
      ...copied.map((item) => copyLine(name, item)),
      ...carried(stage)
        .filter((instruction) => !['COPY', 'ADD'].includes(instruction.keyword))
        .map((instruction) => instruction.text)
    ];
    const sketch = [
      ...(stage.name === null ? [`${fromOf(stage)} AS build   # line ${stage.from.line}, named`] : []),
      `# … the build as it is …`,
      ...scratchStage
    ];
    const named = stage.name === null ? `${fromOf(stage)} AS build` : null;
    return {
      rule: 'base-scratch',
      line: binaryLayer.line ?? stage.from.line,
      severity: 'warning',
      message:
        `${current} \u2192 a multi-stage build on scratch: ${MINUS}${formatBytes(saving)}, measured: everything in this image but ` +
        `${entrypoint.path} (${formatBytes(entrypoint.bytes ?? 0)})${copied.length > 0 ? ` and ${formatBytes(copiedBytes)} of ${namesOf(copied)}` : ''}. ` +
        `${binary}, built at line ${binaryLayer.line ?? '?'}: the final image needs nothing else of the build.`,
      fix: `Build in this stage and copy only the binary into a final stage on scratch, as sketched below.${needs}${distroless}\n${sketch.join('\n')}`,
      savingsBytes: saving,
      savingsMetric: 'uncompressed',
      measured: true,
      // The stage as it is (named when it was not), then the scratch stage after it.
      patch:
        named === null
          ? {
              line: stage.instructions.at(-1)?.line ?? stage.from.line,
              endLine: lastLine(stage),
              text: [lastInstructionText(stage), '', ...scratchStage].join('\n')
            }
          : {
              line: stage.from.line,
              endLine: lastLine(stage),
              text: [named, ...stage.instructions.map((instruction) => instruction.text), '', ...scratchStage].join('\n')
            },
      verification: null
    };
  }

  const runBytes = sum(ownLayers.filter(isRun).map((layer) => layer.bytes));
  if (runBytes > RUN_ALLOWANCE) return null;
  const baseBytes = sum(baseLayers.map((layer) => layer.bytes));
  const saving = baseBytes - copiedBytes;
  if (saving <= 0) return null;
  const compressed = compressedOf(baseLayers);
  // The files the program may need come from the current stage, named, whichever of its layers holds them.
  const from = stage.name ?? 'base';
  const sketch = [
    ...(copied.length > 0 ? [`${fromOf(stage)} AS ${from}`] : []),
    'FROM scratch',
    ...copied.map((item) => copyLine(from, item)),
    ...carried(stage).map((instruction) => instruction.text)
  ];
  const runs = runsLeftOut(stage);
  return {
    rule: 'base-scratch',
    line: stage.from.line,
    severity: 'warning',
    message:
      `${current} \u2192 scratch: ${MINUS}${formatBytes(saving)}, measured: the ${baseLayers.length} layer${baseLayers.length === 1 ? '' : 's'} of ${current} ` +
      `in this image (${formatBytes(baseBytes)}${compressed === null ? '' : `, ${formatBytes(compressed)} compressed`})` +
      `${copied.length > 0 ? `, less ${formatBytes(copiedBytes)} of ${namesOf(copied)} copied in` : ''}. ${binary}: it runs on scratch.`,
    fix: `Change line ${stage.from.line} to \`FROM scratch\`${copied.length > 0 ? ' and copy in what the program may need' : ''}, as sketched below.${needs}${distroless}${runs === null ? '' : ` Caveat: ${runs}.`}\n${sketch.join('\n')}`,
    savingsBytes: saving,
    savingsMetric: 'uncompressed',
    measured: true,
    patch: { line: stage.from.line, endLine: lastLine(stage), text: sketch.join('\n') },
    verification: null
  };
}

/** The last line of a stage: of its last instruction, else of its FROM. */
function lastLine(stage: Stage): number {
  return stage.instructions.at(-1)?.endLine ?? stage.from.line;
}

/** What the stage's last line holds as text: its last instruction, else its FROM as written. */
function lastInstructionText(stage: Stage): string {
  return stage.instructions.at(-1)?.text ?? `${fromOf(stage)}${stage.name === null ? '' : ` AS ${stage.name}`}`;
}

/** `FROM [--platform=…] image` as written, without its stage name. */
function fromOf(stage: Stage): string {
  return `FROM ${stage.from.platform === null ? '' : `--platform=${stage.from.platform} `}${stage.from.raw}`;
}

/** The distroless image a dynamic binary's libraries fit in; null when they are not all glibc's (or musl's loader). */
export function distrolessFor(entrypoint: Entrypoint): string | null {
  if (entrypoint.kind !== 'dynamic' || entrypoint.needed === null || entrypoint.interpreter === null) return null;
  if (!/ld-linux/.test(entrypoint.interpreter)) return null;
  const needed = entrypoint.needed;
  if (needed.every((library) => GLIBC.test(library) || BASE_EXTRA.test(library))) return DISTROLESS_BASE;
  if (needed.every((library) => GLIBC.test(library) || BASE_EXTRA.test(library) || CC_EXTRA.test(library))) return DISTROLESS_CC;
  return null;
}

/** `libc.so.6 and libm.so.6`. */
export function librariesPhrase(needed: readonly string[]): string {
  if (needed.length === 0) return 'no libraries';
  return needed.length === 1 ? needed[0]! : `${needed.slice(0, -1).join(', ')} and ${needed.at(-1)}`;
}

/**
 * For a dynamic binary the Dockerfile copies onto a distro base: distroless with the libraries it needs, as a
 * candidate the registry measures (suggest.ts). Null when the libraries do not fit distroless or the final stage runs
 * more than a little.
 */
export function distrolessCandidate(dockerfile: ParsedDockerfile, facts: RuntimeFacts): BaseCandidate | null {
  const { entrypoint, layers } = facts;
  if (entrypoint === null || entrypoint.layer === null || entrypoint.path === null) return null;
  const image = distrolessFor(entrypoint);
  const stage = finalOnImage(dockerfile);
  if (image === null || stage === null || layers[entrypoint.layer]?.fromBase !== false || isRun(layers[entrypoint.layer]!)) return null;
  if (sum(layers.filter((layer) => layer.fromBase === false && isRun(layer)).map((layer) => layer.bytes)) > RUN_ALLOWANCE) return null;
  const runs = runsLeftOut(stage);
  return {
    rule: 'base-distroless',
    image,
    why: `${entrypoint.path} is a dynamic binary that needs ${librariesPhrase(entrypoint.needed!)} (read from its headers), which ${image} has; it cannot run on scratch`,
    caveat: `distroless images have no shell or package manager: use the exec form of CMD/ENTRYPOINT${runs === null ? '' : `; ${runs.replace('scratch has no shell', 'distroless has no shell').replace('run there', 'run there either')}`}`,
    sketch: null,
    needsLookup: true
  };
}
