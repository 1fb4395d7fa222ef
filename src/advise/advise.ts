/**
 * The advise stage: for one measured image, the size rules on its Dockerfile's lines
 * (with the bytes its anatomy measured) and smaller base images (with the savings a
 * registry reports), largest measured saving first.
 */
import { access, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Anatomy } from '../analyse/anatomy.js';
import type { Target } from '../discover/target.js';
import { messageOf } from '../errors.js';
import type { RegistryClient } from '../registry/client.js';
import type { Finding } from '../model/report.js';
import { parseDockerfile } from '../dockerfile/parse.js';
import { checkRules } from './rules.js';
import { suggestBases } from './suggest.js';

export interface Advice {
  findings: Finding[];
  /** Problems with the Dockerfile itself (`Dockerfile:3: …`), one line each. */
  problems: string[];
}

/** The platform registries are asked about: the build's, else this machine's Linux equivalent. */
export function lookupPlatform(target: Target): string {
  return target.platform ?? `linux/${process.arch === 'arm64' ? 'arm64' : 'amd64'}`;
}

/** Measured savings first, largest first; then the rest in the order they were found. */
export function byMeasuredSavings(findings: Finding[]): Finding[] {
  const rank = (finding: Finding) => (finding.measured && finding.savingsBytes !== null ? finding.savingsBytes : -1);
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => rank(b.finding) - rank(a.finding) || a.index - b.index)
    .map(({ finding }) => finding);
}

export async function adviseImage(options: {
  /** Folder the target's repo-relative paths are relative to. */
  root: string;
  target: Target;
  anatomy: Anatomy | null;
  registry: RegistryClient;
}): Promise<Advice> {
  const { root, target } = options;
  if (!target.dockerfile || target.context === null) return { findings: [], problems: [] };
  const path = resolve(root, target.dockerfile);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { findings: [], problems: [`${target.dockerfile}: could not be read for advice: ${messageOf(error)}`] };
  }
  const dockerfile = parseDockerfile(text, { buildArgs: target.buildArgs, target: target.target });
  const problems = dockerfile.problems.map((problem) => `${target.dockerfile}:${problem.line}: ${problem.message}`);
  const rules = checkRules({
    dockerfile,
    anatomy: options.anatomy,
    hasDockerignore: await hasDockerignore(resolve(root, target.context), path),
    ignore: target.ignore
  });
  const bases = await suggestBases({
    dockerfile,
    registry: options.registry,
    platform: lookupPlatform(target),
    ignore: target.ignore
  });
  return { findings: byMeasuredSavings([...rules, ...bases]), problems };
}

/** `.dockerignore` in the context, or BuildKit's `<Dockerfile>.dockerignore` beside the Dockerfile. */
async function hasDockerignore(context: string, dockerfile: string): Promise<boolean> {
  for (const candidate of [join(context, '.dockerignore'), join(dirname(dockerfile), `${basename(dockerfile)}.dockerignore`)]) {
    try {
      await access(candidate);
      return true;
    } catch {
      // not there
    }
  }
  return false;
}
