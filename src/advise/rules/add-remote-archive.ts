/**
 * ADD of a remote archive that a later RUN unpacks: ADD does not unpack what it
 * downloads, so the archive ships in the ADD's layer and its contents again in
 * the RUN's. Downloading, unpacking and deleting in one RUN ships the contents
 * only. A remote file that is not an archive, or an archive nothing unpacks,
 * ships once either way: no finding.
 */
import { downloadOf, type Step, type Unpack } from '../run-facts.js';
import { buildkitVariant, eachStep, type Rule, type RuleContext } from './rule.js';

interface Format {
  /** The file name's ending, lower case. */
  ending: string;
  /** Tools the image needs besides curl. */
  needs: string | null;
  /** The command that unpacks `file` into the folder `into` (which exists); a single compressed file becomes `into/<name without its ending>`. */
  unpack: (file: string, into: string, name: string) => string;
}

/** A tar read through a compressor tar has a flag for. */
function tar(flag: string, needs: string | null = null): (ending: string) => Format {
  return (ending) => ({ ending, needs, unpack: (file, into) => `tar -x${flag}f ${file} -C ${into}` });
}

/** One compressed file, not a tar: it unpacks to one file. */
function single(tool: string): (ending: string) => Format {
  return (ending) => ({ ending, needs: null, unpack: (file, into, name) => `${tool} -dc ${file} > ${into}/${name.slice(0, -ending.length)}` });
}

// Longest endings first: `.tar.gz` before `.gz`.
const FORMATS: Format[] = [
  ...['.tar.gz', '.tgz'].map(tar('z')),
  ...['.tar.xz', '.txz'].map(tar('J', 'xz')),
  ...['.tar.bz2', '.tbz2', '.tbz'].map(tar('j', 'bzip2')),
  ...['.tar.zst', '.tzst'].map((ending): Format => ({ ending, needs: 'zstd', unpack: (file, into) => `zstd -dc ${file} | tar -xf - -C ${into}` })),
  tar('')('.tar'),
  { ending: '.zip', needs: 'unzip', unpack: (file, into) => `unzip -q ${file} -d ${into}` },
  single('gzip')('.gz'),
  single('xz')('.xz'),
  single('bzip2')('.bz2'),
  single('zstd')('.zst')
];

function formatOf(name: string): Format | null {
  const lower = name.toLowerCase();
  return FORMATS.find((format) => lower.endsWith(format.ending) && lower.length > format.ending.length) ?? null;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** A later RUN's unpacking of the downloaded file: the same path, or (the RUN spells it another way) the same name. */
function unpackedBy(steps: readonly Step[], after: number, file: string): { step: Step; unpack: Unpack } | null {
  for (const step of steps) {
    if (step.instruction.line <= after || step.facts === null) continue;
    const unpack =
      step.facts.unpacks.find((found) => found.archive === file) ??
      step.facts.unpacks.find((found) => found.archive !== null && baseName(found.archive) === baseName(file));
    if (unpack !== undefined) return { step, unpack };
  }
  return null;
}

/** The fix: a sentence with what the RUN needs (the first line), then the RUN. */
function fixOf(context: RuleContext, remote: string, name: string, format: Format, into: string, line: number): string {
  const temporary = `/tmp/${name}`;
  const tools = ['curl', format.needs].filter((tool) => tool !== null).join(' and ');
  return (
    `Download, unpack and delete in one RUN, in place of the ADD and the unpacking on line ${line}. ` +
    `The RUN needs ${tools} in the image (slim and alpine bases have no curl; on alpine, busybox's \`wget -qO ${temporary} ${remote}\` does); ` +
    'without them, ADD and unpack in a build stage and COPY --from it only the unpacked files.' +
    buildkitVariant(context, 'In that stage, `ADD --checksum=sha256:<digest>` pins the download') +
    `\nRUN curl -fsSL ${remote} -o ${temporary} \\\n` +
    `    && mkdir -p ${into} && ${format.unpack(temporary, into, name)} \\\n` +
    `    && rm ${temporary}`
  );
}

export const addRemoteArchive: Rule = {
  id: 'add-remote-archive',
  summary: 'ADD of a remote archive that a later RUN unpacks ships the archive next to its contents; fetch, unpack and delete in one RUN',
  check: (context) =>
    eachStep(context, ({ instruction, workdir }) => {
      const download = downloadOf(instruction, workdir);
      if (download === null) return null;
      const { url: remote, name, file } = download;
      const format = formatOf(name);
      if (format === null) return null;
      const unpacked = unpackedBy(context.steps, instruction.line, file);
      if (unpacked === null) return null;
      const { step, unpack } = unpacked;
      return {
        instruction,
        severity: 'warning',
        message:
          `ADD ${remote} ships the downloaded archive in a layer of its own, and line ${step.instruction.line} unpacks it ` +
          `into ${unpack.into}: ADD does not unpack a download, so the archive's bytes ship next to its contents.`,
        fix: fixOf(context, remote, name, format, unpack.into, step.instruction.line),
        bytes: null
      };
    })
};
