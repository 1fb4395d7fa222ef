import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { openSync, readSync, closeSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deflateRawSync, gzipSync } from 'node:zlib';
import {
  DOCKER_PUSH_GZIP_LEVEL,
  GZIP_FRAMING_BYTES,
  gzipSizeEstimator,
  isIncompressible,
  storedDeflateBytes,
  type GzipEstimatorOptions
} from '../../src/analyse/compress.js';

const MiB = 1024 * 1024;
const require = createRequire(import.meta.url);

/** `length` bytes of a real file, repeated when the file is shorter. */
function fileBytes(path: string, length: number, offset = 0): Buffer {
  const out = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    let filled = 0;
    let position = offset;
    while (filled < length) {
      const read = readSync(fd, out, filled, length - filled, position);
      if (read === 0) position = 0;
      else {
        filled += read;
        position += read;
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

const typescriptSource = require.resolve('typescript/lib/typescript.js');
const domTypes = require.resolve('typescript/lib/lib.dom.d.ts');

/** Kinds of bytes a layer holds: source text, machine code, already-compressed data, random data, holes. */
const data: Record<string, () => Buffer> = {
  'JavaScript source': () => fileBytes(typescriptSource, 6 * MiB),
  'type declarations': () => readFileSync(domTypes),
  'machine code (the node binary)': () => fileBytes(process.execPath, 6 * MiB, 16 * MiB),
  'already gzip-compressed': () => gzipSync(fileBytes(typescriptSource, 9 * MiB), { level: 9 }),
  'random bytes': () => randomBytes(5 * MiB),
  zeros: () => Buffer.alloc(6 * MiB),
  'numbers, one a line (seq)': () => Buffer.from(Array.from({ length: 700_000 }, (_, i) => `${i + 1}\n`).join('')),
  'a mix: text, random, zeros, code': () =>
    Buffer.concat([fileBytes(domTypes, 1.5 * MiB), randomBytes(MiB + 333), Buffer.alloc(700_000), fileBytes(process.execPath, 2 * MiB, 30 * MiB)]),
  'tiny (one byte)': () => Buffer.from('x'),
  'smaller than a chunk': () => fileBytes(domTypes, 100_000)
};

async function estimate(bytes: Buffer, options: GzipEstimatorOptions = {}, pieceBytes = 64 * 1024): Promise<number> {
  const estimator = gzipSizeEstimator(options);
  for (let offset = 0; offset < bytes.length; offset += pieceBytes) {
    await estimator.update(bytes.subarray(offset, offset + pieceBytes));
  }
  return estimator.finish();
}

function relativeError(estimated: number, actual: number): number {
  return Math.abs(estimated - actual) / actual;
}

describe('gzipSizeEstimator', () => {
  test('compresses at the level docker push uses (Go flate.DefaultCompression = 6)', () => {
    expect(DOCKER_PUSH_GZIP_LEVEL).toBe(6);
  });

  describe.each(Object.keys(data))('%s', (name) => {
    const bytes = data[name]!();
    const single = gzipSync(bytes, { level: DOCKER_PUSH_GZIP_LEVEL }).length;

    // Each chunk closes its own deflate blocks: a few bytes each, which only matter
    // against data that compresses a thousandfold (zeros), and more with small chunks.
    test.each<[string, number, GzipEstimatorOptions]>([
      ['1 MiB chunks (the default)', 0.005, {}],
      ['1 MiB chunks, every chunk deflated', 0.005, { skipIncompressible: false }],
      ['64 KiB chunks', 0.02, { chunkBytes: 64 * 1024 }],
      ['40,000-byte chunks, one at a time', 0.02, { chunkBytes: 40_000, concurrency: 1 }]
    ])('with %s is within %p of a single-stream gzip (or 32 bytes a chunk)', async (_label, tolerance, options) => {
      const estimated = await estimate(bytes, options);
      const chunks = Math.ceil(bytes.length / (options.chunkBytes ?? MiB));
      if (Math.abs(estimated - single) > 32 * chunks) expect(relativeError(estimated, single)).toBeLessThan(tolerance);
    });
  });

  test.each([1, 9])('honours level %d', async (level) => {
    const bytes = fileBytes(typescriptSource, 3 * MiB);
    const single = gzipSync(bytes, { level }).length;
    expect(relativeError(await estimate(bytes, { level }), single)).toBeLessThan(0.005);
  });

  test('level 0 counts stored blocks', async () => {
    const bytes = randomBytes(2 * MiB);
    const single = gzipSync(bytes, { level: 0 }).length;
    expect(relativeError(await estimate(bytes, { level: 0 }), single)).toBeLessThan(0.001);
  });

  test('an empty stream is a bare gzip header, empty block and trailer', async () => {
    const empty = gzipSync(Buffer.alloc(0), { level: DOCKER_PUSH_GZIP_LEVEL }).length;
    await expect(gzipSizeEstimator().finish()).resolves.toBe(empty);
    const estimator = gzipSizeEstimator();
    await estimator.update(Buffer.alloc(0));
    await expect(estimator.finish()).resolves.toBe(empty);
  });

  test('counts gzip header and trailer once', async () => {
    const bytes = randomBytes(3 * MiB);
    const estimated = await estimate(bytes, { chunkBytes: 256 * 1024 });
    // Random bytes are stored: a 5-byte header per stored block of at most 64 KiB, plus the gzip framing.
    expect(estimated).toBeGreaterThanOrEqual(bytes.length + GZIP_FRAMING_BYTES);
    expect(estimated).toBeLessThan(bytes.length * 1.001 + GZIP_FRAMING_BYTES);
  });

  test('gives the same figure however the caller slices the stream', async () => {
    const bytes = Buffer.concat([fileBytes(domTypes, MiB), randomBytes(300_000), fileBytes(process.execPath, MiB, 20 * MiB)]);
    const options = { chunkBytes: 128 * 1024 };
    const figures = await Promise.all([7, 4093, 65_536, 1_000_003, bytes.length].map((piece) => estimate(bytes, options, piece)));
    expect(new Set(figures).size).toBe(1);
  });

  test.each([1, 2, 3, 16])('gives the same figure with %d jobs in flight', async (concurrency) => {
    const bytes = fileBytes(process.execPath, 3 * MiB, 24 * MiB);
    const reference = await estimate(bytes, { chunkBytes: 200_000, concurrency: 1 });
    await expect(estimate(bytes, { chunkBytes: 200_000, concurrency })).resolves.toBe(reference);
  });

  test('keeps the order of updates that are not awaited one by one', async () => {
    const bytes = Buffer.concat([fileBytes(domTypes, MiB), randomBytes(MiB), Buffer.alloc(MiB)]);
    const options = { chunkBytes: 100_000, concurrency: 2 };
    const reference = await estimate(bytes, options);
    const estimator = gzipSizeEstimator(options);
    const updates: Array<Promise<void>> = [];
    for (let offset = 0; offset < bytes.length; offset += 30_000) updates.push(estimator.update(bytes.subarray(offset, offset + 30_000)));
    await Promise.all(updates);
    await expect(estimator.finish()).resolves.toBe(reference);
  });

  test('copies what it is given, so the caller may reuse its buffer', async () => {
    const bytes = fileBytes(domTypes, 2 * MiB);
    const reference = await estimate(bytes, { chunkBytes: 300_000 });
    const estimator = gzipSizeEstimator({ chunkBytes: 300_000 });
    const scratch = Buffer.alloc(50_000);
    for (let offset = 0; offset < bytes.length; offset += scratch.length) {
      const length = bytes.copy(scratch, 0, offset, offset + scratch.length);
      await estimator.update(scratch.subarray(0, length));
      scratch.fill(0xff);
    }
    await expect(estimator.finish()).resolves.toBe(reference);
  });

  test('refuses updates after finish, and a second finish', async () => {
    const estimator = gzipSizeEstimator();
    await estimator.update(Buffer.from('hello'));
    await estimator.finish();
    await expect(estimator.update(Buffer.from('more'))).rejects.toThrow('update() after finish()');
    await expect(estimator.finish()).rejects.toThrow('finish() called twice');
  });

  test.each<[GzipEstimatorOptions, string]>([
    [{ level: 10 }, 'gzip level must be an integer from 0 to 9, not 10'],
    [{ level: -1 }, 'gzip level must be an integer from 0 to 9, not -1'],
    [{ level: 1.5 }, 'gzip level must be an integer from 0 to 9, not 1.5'],
    [{ chunkBytes: 0 }, 'chunkBytes must be at least 1, not 0'],
    [{ chunkBytes: Number.NaN }, 'chunkBytes must be at least 1, not NaN']
  ])('rejects %p', (options, message) => {
    expect(() => gzipSizeEstimator(options)).toThrow(message);
  });

  test('counting random chunks as stored gives what deflating them gives', async () => {
    const bytes = Buffer.concat([randomBytes(3 * MiB), gzipSync(fileBytes(typescriptSource, 4 * MiB))]);
    const deflated = await estimate(bytes, { skipIncompressible: false });
    const skipped = await estimate(bytes, { skipIncompressible: true });
    expect(relativeError(skipped, deflated)).toBeLessThan(0.0005);
  });
});

describe('isIncompressible', () => {
  /** Random 32-bit numbers below 2^16, little-endian: every other byte pair is zeros. */
  function smallNumbers(length: number): Buffer {
    const bytes = randomBytes(length);
    for (let index = 2; index < length; index += 4) bytes[index] = bytes[index + 1] = 0;
    return bytes;
  }
  /** Random bytes with `inserted` put in the middle. */
  function randomWith(inserted: Buffer, length = MiB): Buffer {
    const bytes = randomBytes(length);
    inserted.copy(bytes, Math.floor((length - inserted.length) / 2));
    return bytes;
  }

  test.each<[string, () => Buffer, boolean]>([
    ['random bytes', () => randomBytes(MiB), true],
    ['gzip output', () => gzipSync(fileBytes(typescriptSource, 4 * MiB)).subarray(0, MiB), true],
    ['random bytes, 16 KiB (one window)', () => randomBytes(16 * 1024), true],
    ['random bytes, an odd length', () => randomBytes(100_003), true],
    ['source text', () => fileBytes(typescriptSource, MiB), false],
    ['machine code', () => fileBytes(process.execPath, MiB, 16 * MiB), false],
    ['zeros', () => Buffer.alloc(MiB), false],
    ['base64 of random bytes', () => Buffer.from(randomBytes(MiB).toString('base64')).subarray(0, MiB), false],
    ['hex of random bytes', () => Buffer.from(randomBytes(MiB).toString('hex')).subarray(0, MiB), false],
    ['32-bit numbers with zero high bytes', () => smallNumbers(MiB), false],
    ['random bytes with 40 KB of text inside', () => randomWith(fileBytes(domTypes, 40_000)), false],
    ['random bytes with 20 KB of zeros inside', () => randomWith(Buffer.alloc(20_000)), false],
    ['random bytes with 12 KB of text inside', () => randomWith(fileBytes(domTypes, 12_000)), false],
    [
      'random files in a tar, a header every 4 KiB',
      () => Buffer.concat(Array.from({ length: 200 }, () => [Buffer.alloc(512), randomBytes(3584)]).flat()),
      false
    ],
    ['shorter than a window', () => randomBytes(16 * 1024 - 1), false],
    ['empty', () => Buffer.alloc(0), false]
  ])('%s: %p', (_label, make, expected) => {
    expect(isIncompressible(make())).toBe(expected);
  });

  test('random data is never misjudged over many samples', () => {
    for (let index = 0; index < 200; index++) expect(isIncompressible(randomBytes(256 * 1024))).toBe(true);
  });

  test.each([16_384, 16_385, 100_000, MiB, MiB + 1, 8 * MiB])(
    'stored deflate of %d bytes is what zlib writes for random bytes, within a block header',
    (length) => {
      const actual = deflateRawSync(randomBytes(length), { level: DOCKER_PUSH_GZIP_LEVEL }).length;
      expect(Math.abs(storedDeflateBytes(length) - actual)).toBeLessThanOrEqual(5);
    }
  );
});
