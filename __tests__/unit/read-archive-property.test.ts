/**
 * Property-based tests of the image archive reader: whatever bytes arrive — well
 * formed image archives of random layers in either layout, then cut short,
 * overwritten with garbage, padded with trailing data, or nothing like an
 * archive at all — reading gives either an image whose every figure is a finite
 * number, or one Error with a one-line message. Never a hang (the test's own
 * timeout), never Infinity or NaN, never a crash of another kind.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { analyseImage } from '../../src/analyse/anatomy.js';
import { readImageArchive, type ReadOptions } from '../../src/analyse/read-archive.js';
import {
  TAR_END,
  base256,
  blob,
  chunked,
  compress,
  gnuLongEntry,
  imageConfig,
  indexJson,
  manifestDescriptor,
  ociImage,
  paxEntry,
  tarEntry,
  type Compression
} from '../support/archives.js';

const OFF: ReadOptions = { estimateCompressed: false };

// ---------------------------------------------------------------------------
// Random layer tars, header by header

const segment = fc.constantFrom('a', 'b', 'usr', 'tmp', '.wh.a', '.wh..wh..opq', '..', '.', '', 'x\ny', 'caf\u00e9', 'var/cache/apt');
const entryPath = fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('/'));

/** A size field: small and right, or a lie (too big, beyond any number, as GNU base-256). */
const sizeLie = fc.oneof(
  { weight: 6, arbitrary: fc.constant<bigint | null>(null) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 95n - 1n }) }
);

const layerEntry = fc.record({
  path: entryPath,
  typeflag: fc.constantFrom('0', '0', '0', '1', '2', '5', '7', 'S', 'x', 'g', 'L', 'K', 'Z'),
  content: fc.uint8Array({ maxLength: 700 }),
  linkname: entryPath,
  lie: sizeLie,
  pax: fc.option(
    fc.record({
      key: fc.constantFrom('size', 'path', 'linkpath', 'mtime'),
      value: fc.oneof(fc.constantFrom('0', '12', '9'.repeat(20), '9'.repeat(400), '-1', 'abc', ''), entryPath)
    }),
    { freq: 4 }
  ),
  longName: fc.option(entryPath, { freq: 6 })
});

type LayerEntrySpec = typeof layerEntry extends fc.Arbitrary<infer T> ? T : never;

function layerTar(entries: LayerEntrySpec[], ended: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.pax !== null) parts.push(paxEntry({ [entry.pax.key]: entry.pax.value }));
    if (entry.longName !== null) parts.push(gnuLongEntry(entry.longName));
    const content = Buffer.from(entry.content);
    const name = entry.path.length > 99 ? entry.path.slice(0, 99) : entry.path;
    parts.push(
      tarEntry({
        name,
        typeflag: entry.typeflag,
        content,
        linkname: entry.linkname.slice(0, 99),
        ...(entry.lie === null ? {} : { rawSize: base256(entry.lie) })
      })
    );
  }
  if (ended) parts.push(TAR_END);
  return Buffer.concat(parts);
}

const layer = fc.record({
  entries: fc.array(layerEntry, { maxLength: 8 }),
  ended: fc.boolean(),
  compression: fc.constantFrom<Compression>('none', 'gzip', 'zstd'),
  /** A layer tar inside the layer: an archive nested in an archive. */
  nested: fc.boolean()
});

type LayerSpec = typeof layer extends fc.Arbitrary<infer T> ? T : never;

function layerBytes(spec: LayerSpec): Buffer {
  const tar = layerTar(spec.entries, spec.ended);
  if (!spec.nested) return tar;
  return Buffer.concat([tarEntry({ name: 'inner/layer.tar', content: tar }), TAR_END]);
}

// ---------------------------------------------------------------------------
// Whole image archives, then damaged

const damage = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('overwrite' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 })
  }),
  fc.record({ kind: fc.constant('trailing' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 4096 }) })
);

type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

function damaged(archive: Buffer, how: Damage): Buffer {
  switch (how.kind) {
    case 'none':
      return archive;
    case 'truncate':
      return archive.subarray(0, Math.floor(how.at * archive.length));
    case 'overwrite': {
      const copy = Buffer.from(archive);
      Buffer.from(how.bytes).copy(copy, Math.floor(how.at * Math.max(0, copy.length - 1)));
      return copy.subarray(0, archive.length);
    }
    case 'trailing':
      return Buffer.concat([archive, Buffer.from(how.bytes)]);
  }
}

function outerTar(files: Array<{ name: string; content: Buffer | string }>): Buffer {
  return Buffer.concat([...files.map((file) => tarEntry({ name: file.name, content: file.content })), TAR_END]);
}

function ociArchive(layers: LayerSpec[]): Buffer {
  const compression = layers[0]?.compression ?? 'gzip';
  const tars = layers.map(layerBytes);
  const image = ociImage(tars, compression);
  const files = [...image.layers, image.config, image.manifest].map((item) => ({ name: item.path, content: item.data }));
  return outerTar([
    ...files,
    { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }
  ]);
}

function legacyArchive(layers: LayerSpec[]): Buffer {
  const tars = layers.map((spec) => compress(layerBytes(spec), spec.compression));
  const config = blob(JSON.stringify(imageConfig(tars)));
  const ids = tars.map((tar) => blob(tar).digest.slice(7));
  return outerTar([
    ...tars.map((tar, index) => ({ name: `${ids[index]}/layer.tar`, content: tar })),
    { name: `${config.digest.slice(7)}.json`, content: config.data },
    { name: 'manifest.json', content: JSON.stringify([{ Config: `${config.digest.slice(7)}.json`, Layers: ids.map((id) => `${id}/layer.tar`) }]) }
  ]);
}

const archive = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constantFrom('oci', 'docker'),
      fc.array(layer, { minLength: 1, maxLength: 3 }),
      damage,
      // Odd entries of the outer archive itself, ahead of the image's files: lying sizes, PAX and GNU records, links.
      fc.array(layerEntry, { maxLength: 3 })
    )
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes)) }
);

function archiveBytes(value: typeof archive extends fc.Arbitrary<infer T> ? T : never): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const [layout, layers, how, odd] = value;
  const image = layout === 'oci' ? ociArchive(layers) : legacyArchive(layers);
  return damaged(Buffer.concat([layerTar(odd, false), image]), how);
}

// ---------------------------------------------------------------------------

/** Every number in a report-like value is finite. */
function finiteNumbers(value: unknown, where = 'result'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [`${where} is ${value}`];
  if (Array.isArray(value)) return value.flatMap((item, index) => finiteNumbers(item, `${where}[${index}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => (key === 'config' ? [] : finiteNumbers(item, `${where}.${key}`)));
  }
  return [];
}

/** How the runs ended, to check both kinds of outcome are exercised. */
const seen = { images: 0, errors: 0 };

async function outcome(bytes: Buffer, chunkBytes: number): Promise<string[]> {
  let image;
  try {
    image = await readImageArchive(chunked(bytes, chunkBytes), OFF);
    seen.images++;
  } catch (error) {
    seen.errors++;
    if (!(error instanceof Error)) return [`threw a non-Error: ${String(error)}`];
    const problems: string[] = [];
    if (error.message.trim() === '') problems.push('an empty error message');
    if (/[\r\n]/.test(error.message)) problems.push(`a multi-line error message: ${JSON.stringify(error.message)}`);
    if (/Infinity|NaN/.test(error.message)) problems.push(`an error message with a non-number: ${error.message}`);
    return problems;
  }
  const problems = finiteNumbers(image.layers);
  try {
    problems.push(...finiteNumbers(analyseImage(image, [])));
  } catch (error) {
    if (!(error instanceof Error) || /[\r\n]/.test(error.message)) problems.push(`analysis failed oddly: ${String(error)}`);
  }
  return problems;
}

describe('readImageArchive: any bytes give an image of finite figures or one clear error', () => {
  test('random archives: layouts, layers, lies, truncations, garbage, trailing data', async () => {
    await fc.assert(
      fc.asyncProperty(archive, fc.integer({ min: 1, max: 70_000 }), async (value, chunkBytes) => {
        expect(await outcome(archiveBytes(value), chunkBytes)).toEqual([]);
      }),
      // A run that hangs fails on its own, with its counterexample, long before the test's timeout.
      { numRuns: 400, timeout: 20_000 }
    );
    expect(seen.images).toBeGreaterThan(20);
    expect(seen.errors).toBeGreaterThan(20);
  });

  test('random layer tars read whole, as an undamaged OCI archive', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(layer, { minLength: 1, maxLength: 4 }), async (layers) => {
        expect(await outcome(ociArchive(layers), 4096)).toEqual([]);
      }),
      { numRuns: 200, timeout: 20_000 }
    );
  });
});
