import { describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile, link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { gzipSizeEstimator, type SizeEstimator } from '../../src/analyse/compress.js';
import type { LayerEntry } from '../../src/analyse/model.js';
import {
  MAX_JSON_TOTAL_BYTES,
  MAX_KEPT_BYTES,
  MAX_KEPT_FILE_BYTES,
  readImageArchive,
  sniffFormat,
  type ReadOptions,
  type StreamFormat
} from '../../src/analyse/read-archive.js';
import { LayerTarScanner, MAX_PATH_BYTES, parsePaxRecords, toLayerEntry, type TarHeader } from '../../src/analyse/tar-scanner.js';
import { UserError } from '../../src/errors.js';
import type { ExecStream, StreamExit } from '../../src/exec.js';
import { parseImageSource, readImage, type ImageSource } from '../../src/analyse/source.js';
import {
  TAR_END,
  archiveTar,
  blob,
  blobFiles,
  chunked,
  compress,
  gnuLongEntry,
  imageConfig,
  indexJson,
  manifestDescriptor,
  base256,
  ociImage,
  packTar,
  paxEntry,
  rawTar,
  sha256,
  tarEntry,
  type ArchiveFile,
  type Compression
} from '../support/archives.js';
import { binaryPath } from '../support/layers.js';

const OFF: ReadOptions = { estimateCompressed: false };

function scan(data: Buffer, chunkBytes = data.length): TarHeader[] {
  const headers: TarHeader[] = [];
  const scanner = new LayerTarScanner((header) => {
    headers.push(header);
  });
  for (let at = 0; at < data.length; at += chunkBytes) scanner.feed(data.subarray(at, at + chunkBytes));
  scanner.end();
  return headers;
}

function entries(data: Buffer): LayerEntry[] {
  return scan(data).map(toLayerEntry);
}

function entry(path: string, kind: LayerEntry['kind'], bytes = 0, linkTarget: string | null = null): LayerEntry {
  return { path: binaryPath(path), kind, bytes, linkTarget: linkTarget === null ? null : binaryPath(linkTarget) };
}

/** A layer with a bit of everything, written by tar-stream. */
async function sampleLayer(seed = 'a'): Promise<Buffer> {
  return packTar([
    { name: 'app/', type: 'directory' },
    { name: 'app/main.txt', content: `hello ${seed}\n`.repeat(100) },
    { name: 'app/link', type: 'symlink', linkname: 'main.txt' },
    { name: 'app/hard', type: 'link', linkname: 'app/main.txt' },
    { name: 'app/with space and "quotes"', content: 'x' },
    { name: `app/${'long-name-'.repeat(20)}`, content: 'long' },
    { name: 'app/.wh.old', content: '' },
    { name: 'var/.wh..wh..opq', content: '' }
  ]);
}

const SAMPLE_ENTRIES: LayerEntry[] = [
  entry('app', 'directory'),
  entry('app/main.txt', 'file', 'hello a\n'.length * 100),
  entry('app/link', 'symlink', 'main.txt'.length, 'main.txt'),
  entry('app/hard', 'hardlink', 0, 'app/main.txt'),
  entry('app/with space and "quotes"', 'file', 1),
  entry(`app/${'long-name-'.repeat(20)}`, 'file', 4),
  entry('app/.wh.old', 'file'),
  entry('var/.wh..wh..opq', 'file')
];

describe('sniffFormat', () => {
  const ustar = Buffer.alloc(512);
  ustar.write('ustar', 257, 'latin1');
  test.each<[string, Buffer, StreamFormat]>([
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0]), 'gzip'],
    ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]), 'zstd'],
    ['ustar tar', ustar, 'none'],
    ['empty tar (zero blocks)', Buffer.alloc(512), 'none'],
    ['JSON object', Buffer.from('  {"schemaVersion": 2}'), 'json'],
    ['JSON array', Buffer.from('[{"Config": "x"}]'), 'json'],
    ['text', Buffer.from('1.0'), 'unknown'],
    ['nothing', Buffer.alloc(0), 'unknown'],
    ['a few zeros', Buffer.alloc(100), 'unknown']
  ])('%s', (_label, head, expected) => {
    expect(sniffFormat(head)).toBe(expected);
  });
});

describe('LayerTarScanner', () => {
  test('reads every kind of entry tar-stream writes', async () => {
    expect(entries(await sampleLayer())).toEqual(SAMPLE_ENTRIES);
  });

  test.each([1, 7, 100, 511, 512, 513, 1024, 4096])('gives the same entries when fed %i bytes at a time', async (chunkBytes) => {
    const tar = await sampleLayer();
    expect(scan(tar, chunkBytes)).toEqual(scan(tar));
  });

  test('keeps the bytes of a PAX path that is not UTF-8 (as Docker writes them)', () => {
    const name = Buffer.from([0x6f, 0x64, 0x64, 0x2f, 0x62, 0x61, 0x64, 0xff, 0x6e, 0x61, 0x6d, 0x65]);
    const tar = rawTar([paxEntry({ path: name }), tarEntry({ name: 'odd/PaxHeaders/badname', content: 'abc' })]);
    expect(entries(tar)).toEqual([{ path: name.toString('latin1'), kind: 'file', bytes: 3, linkTarget: null }]);
  });

  test('reads PAX linkpath, GNU long names and long link names', () => {
    const long = `dir/${'n'.repeat(150)}`;
    const tar = rawTar([
      gnuLongEntry(long),
      tarEntry({ name: 'short', content: 'gnu', format: 'gnu' }),
      gnuLongEntry(`${long}-link`),
      gnuLongEntry(long, 'K'),
      tarEntry({ name: 'short-link', typeflag: '1', linkname: 'short', format: 'gnu' }),
      paxEntry({ path: 'pax/file' }),
      tarEntry({ name: 'ignored', content: 'abcde' }),
      paxEntry({ linkpath: Buffer.from('pax/ünïcode') }),
      tarEntry({ name: 'pax/hard', typeflag: '1', linkname: 'x' })
    ]);
    expect(scan(tar).map((header) => [header.name, header.typeflag, header.size, header.linkname])).toEqual([
      [long, '0', 3, ''],
      [`${long}-link`, '1', 0, long],
      ['pax/file', '0', 5, ''],
      ['pax/hard', '1', 0, binaryPath('pax/ünïcode')]
    ]);
  });

  test('skips content by the PAX size, not the header size', () => {
    const tar = rawTar([
      paxEntry({ size: '600' }),
      tarEntry({ name: 'big', size: 0, content: Buffer.alloc(0) }),
      Buffer.alloc(1024, 0x41), // 600 bytes of content, padded to two blocks
      tarEntry({ name: 'after', content: 'x' })
    ]);
    expect(entries(tar)).toEqual([entry('big', 'file', 600), entry('after', 'file', 1)]);
  });

  test('applies a global PAX header to every later entry until a local one overrides it', () => {
    const tar = rawTar([
      paxEntry({ linkpath: 'global-target' }, 'g'),
      tarEntry({ name: 'one', typeflag: '2', linkname: 'ignored' }),
      paxEntry({ linkpath: 'local-target' }),
      tarEntry({ name: 'two', typeflag: '2', linkname: 'ignored' }),
      tarEntry({ name: 'three', typeflag: '2', linkname: 'ignored' })
    ]);
    expect(scan(tar).map((header) => header.linkname)).toEqual(['global-target', 'local-target', 'global-target']);
  });

  test('reads base-256 sizes (files of 8 GiB and more)', () => {
    const size = 9 * 1024 ** 3;
    const header = tarEntry({ name: 'huge', size, base256Size: true });
    const headers: TarHeader[] = [];
    const scanner = new LayerTarScanner((found) => {
      headers.push(found);
    });
    scanner.feed(header);
    expect(headers).toEqual([{ name: 'huge', linkname: '', typeflag: '0', size, mode: 0o644 }]);
    expect(() => scanner.end()).toThrow('the tar stream is truncated');
  });

  test('joins the ustar prefix and name', () => {
    const name = `${'p'.repeat(120)}/${'n'.repeat(90)}`;
    expect(entries(rawTar([tarEntry({ name, content: 'z' })]))).toEqual([entry(name, 'file', 1)]);
  });

  test.each<[string, string, LayerEntry['kind']]>([
    ['regular', '0', 'file'],
    ['old NUL typeflag', '\0', 'file'],
    ['contiguous', '7', 'file'],
    ['hard link', '1', 'hardlink'],
    ['symlink', '2', 'symlink'],
    ['character device', '3', 'other'],
    ['block device', '4', 'other'],
    ['directory', '5', 'directory'],
    ['fifo', '6', 'other']
  ])('typeflag of a %s', (_label, typeflag, kind) => {
    const [found] = entries(rawTar([tarEntry({ name: 'e', typeflag, linkname: typeflag === '1' ? 'target' : undefined })]));
    expect(found?.kind).toBe(kind);
  });

  test('an old-style directory: a regular-file flag and a trailing slash', () => {
    expect(entries(rawTar([tarEntry({ name: 'olddir/', typeflag: '0' })]))).toEqual([entry('olddir', 'directory')]);
  });

  test('header-only types skip no content even when their size field is set', () => {
    const tar = rawTar([tarEntry({ name: 'hard', typeflag: '1', linkname: 'target', size: 4096 }), tarEntry({ name: 'next', content: 'n' })]);
    expect(entries(tar).map((found) => found.path)).toEqual(['hard', 'next']);
  });

  test('stops at the end marker and ignores what follows (gzip padding, trailing junk)', async () => {
    const tar = Buffer.concat([await sampleLayer(), Buffer.from('junk after the end'.repeat(100))]);
    expect(entries(tar)).toEqual(SAMPLE_ENTRIES);
  });

  test('an empty layer has no entries', () => {
    expect(entries(TAR_END)).toEqual([]);
  });

  test('a stream that ends inside an entry is truncated', async () => {
    const tar = await sampleLayer();
    expect(() => scan(tar.subarray(0, 700))).toThrow(/^the tar stream is truncated/);
    expect(() => scan(tar.subarray(0, 100))).toThrow(/^the tar stream is truncated/);
  });

  test('a stream that ends cleanly after an entry without the end marker is accepted', () => {
    expect(entries(tarEntry({ name: 'f', content: 'abc' }))).toEqual([entry('f', 'file', 3)]);
  });

  test('a bad checksum is an error naming the offset', () => {
    const block = tarEntry({ name: 'f', content: 'abc' });
    block[0] = 0x67;
    expect(() => scan(rawTar([tarEntry({ name: 'ok' }), block]))).toThrow('invalid tar header at byte 512 (bad checksum)');
  });

  test('refuses absurd PAX records rather than buffer them', () => {
    const header = tarEntry({ name: 'PaxHeaders/x', typeflag: 'x', size: 64 * 1024 * 1024 });
    expect(() => scan(header.subarray(0, 512))).toThrow('too large');
  });

  describe('against GNU tar', () => {
    test.each(['gnu', 'pax', 'ustar'])('--format=%s with odd names, links and long paths', async (format) => {
      const folder = await mkdtemp(join(tmpdir(), 'footprint-scan-'));
      try {
        const root = Buffer.from(join(folder, 'root'));
        const at = (...parts: Array<string | Buffer>): Buffer =>
          Buffer.concat([root, ...parts.flatMap((part) => [Buffer.from('/'), Buffer.from(part)])]);
        await mkdir(at('d'), { recursive: true });
        await writeFile(at('d', 'with space'), 'a');
        await writeFile(at('d', 'q\'uo"te'), 'bb');
        await writeFile(at('d', 'new\nline'), 'ccc');
        await writeFile(at('d', Buffer.from([0x62, 0x61, 0x64, 0xff])), 'dddd');
        await link(at('d', 'with space'), at('d', 'hard'));
        await symlink('with space', at('d', 'sym'));
        const deep = `${'deep/'.repeat(30)}leaf`;
        await mkdir(at('d', deep.slice(0, deep.lastIndexOf('/'))), { recursive: true });
        await writeFile(at('d', deep), 'eeeee');
        const archive = join(folder, 'layer.tar');
        // ustar cannot hold the long path or the newline-free name of 150+ bytes; skip that file there.
        const exclude = format === 'ustar' ? ['--exclude', 'd/deep'] : [];
        const result = await execa('tar', [`--format=${format}`, '--sort=name', ...exclude, '-C', join(folder, 'root'), '-cf', archive, 'd'], {
          reject: false
        });
        expect(result.stderr).toBe('');
        const found = entries(await readFile(archive));
        const expected = [
          entry('d', 'directory'),
          { path: Buffer.from([0x64, 0x2f, 0x62, 0x61, 0x64, 0xff]).toString('latin1'), kind: 'file', bytes: 4, linkTarget: null },
          ...(format === 'ustar' ? [] : [entry(`d/${deep}`, 'file', 5)]),
          entry('d/hard', 'file', 1),
          entry('d/new\nline', 'file', 3),
          entry('d/q\'uo"te', 'file', 2),
          entry('d/sym', 'symlink', 'with space'.length, 'with space'),
          entry('d/with space', 'hardlink', 0, 'd/hard')
        ];
        const files = found.filter((item) => item.kind !== 'directory' || item.path === 'd');
        expect(files).toEqual(expect.arrayContaining(expected));
        expect(files).toHaveLength(expected.length);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });
  });
});

describe('LayerTarScanner: the content of entries asked for', () => {
  /** Bytes that differ from one offset to the next, so a shifted or short copy shows. */
  const patterned = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, index) => (index * 31 + seed) & 0xff));
  const LONG_NAME = `dir/${'n'.repeat(150)}`;
  const WANTED = new Map<string, Buffer>([
    ['first', Buffer.from('hello\n')],
    ['empty', Buffer.alloc(0)],
    ['big', patterned(1500, 7)],
    ['exact', patterned(1024, 3)],
    ['pax-sized', patterned(600, 11)],
    [LONG_NAME, patterned(513, 5)],
    ['last', Buffer.from('z')]
  ]);

  /** A tar mixing entries asked for with others: empty, block-sized, PAX-sized, long-named, a folder, a skipped file. */
  function mixedTar(): Buffer {
    const paxContent = Buffer.concat([WANTED.get('pax-sized')!, Buffer.alloc(1024 - 600)]);
    return rawTar([
      tarEntry({ name: 'first', content: WANTED.get('first')! }),
      tarEntry({ name: 'empty', content: WANTED.get('empty')! }),
      tarEntry({ name: 'skipped', content: Buffer.alloc(700, 0x41) }),
      tarEntry({ name: 'big', content: WANTED.get('big')! }),
      tarEntry({ name: 'exact', content: WANTED.get('exact')! }),
      tarEntry({ name: 'dir/', typeflag: '5' }),
      paxEntry({ size: '600' }),
      tarEntry({ name: 'pax-sized', size: 0 }),
      paxContent,
      gnuLongEntry(LONG_NAME),
      tarEntry({ name: 'short', content: WANTED.get(LONG_NAME)!, format: 'gnu' }),
      tarEntry({ name: 'hard', typeflag: '1', linkname: 'first', size: 4096 }),
      tarEntry({ name: 'last', content: WANTED.get('last')! })
    ]);
  }

  /** Feeds `data` `chunkBytes` at a time, through one scratch buffer overwritten after every feed, asking for `wanted`. */
  function collect(data: Buffer, chunkBytes: number, wanted: (name: string) => boolean) {
    const events: string[] = [];
    const contents: Array<[string, Buffer]> = [];
    const scanner = new LayerTarScanner(
      (header) => {
        events.push(`entry ${header.name}`);
        return wanted(header.name);
      },
      (header, data) => {
        events.push(`content ${header.name}`);
        contents.push([header.name, data]);
      }
    );
    const scratch = Buffer.alloc(chunkBytes);
    for (let at = 0; at < data.length; at += chunkBytes) {
      const length = data.copy(scratch, 0, at, at + chunkBytes);
      scanner.feed(scratch.subarray(0, length));
      scratch.fill(0xee);
    }
    scanner.end();
    return { events, contents };
  }

  const NAMES = ['first', 'empty', 'skipped', 'big', 'exact', 'dir/', 'pax-sized', LONG_NAME, 'hard', 'last'];

  test.each([1, 7, 511, 512, 513, 700, 100_000])('hands over the exact content when fed %i bytes at a time, and every later entry', (chunkBytes) => {
    const { events, contents } = collect(mixedTar(), chunkBytes, (name) => WANTED.has(name));
    expect(contents.map(([name]) => name)).toEqual([...WANTED.keys()]);
    for (const [name, data] of contents) {
      expect(data.length).toBe(WANTED.get(name)!.length);
      expect(data.equals(WANTED.get(name)!)).toBe(true);
    }
    // Each content right after its own header, before the next one.
    expect(events).toEqual(NAMES.flatMap((name) => (WANTED.has(name) ? [`entry ${name}`, `content ${name}`] : [`entry ${name}`])));
  });

  test('asking for nothing gives the same headers as the plain scan', () => {
    const tar = mixedTar();
    const { events, contents } = collect(tar, 512, () => false);
    expect(contents).toEqual([]);
    expect(events).toEqual(scan(tar).map((header) => `entry ${header.name}`));
  });

  test('a header-only entry asked for has empty content, whatever its size field says', () => {
    const { contents, events } = collect(mixedTar(), 700, (name) => name === 'hard');
    expect(contents).toEqual([['hard', Buffer.alloc(0)]]);
    expect(events.at(-1)).toBe('entry last');
  });

  test('a stream that ends inside content being collected is truncated, and the content never handed over', () => {
    const tar = rawTar([tarEntry({ name: 'f', content: patterned(2000, 1) })]);
    let handed = 0;
    const scanner = new LayerTarScanner(
      () => true,
      () => handed++
    );
    scanner.feed(tar.subarray(0, 512 + 1999));
    expect(() => scanner.end()).toThrow(/^the tar stream is truncated/);
    expect(handed).toBe(0);
  });
});

describe('parsePaxRecords', () => {
  test('reads records with raw byte values, including "=" and newlines inside', () => {
    const data = paxEntry({ path: Buffer.from([0x61, 0x3d, 0x0a, 0xff]), mtime: '1.5' }).subarray(512);
    const records = parsePaxRecords(data.subarray(0, data.indexOf(0)));
    expect(records.get('path')).toBe(Buffer.from([0x61, 0x3d, 0x0a, 0xff]).toString('latin1'));
    expect(records.get('mtime')).toBe('1.5');
  });

  test('rejects a record whose length does not fit', () => {
    expect(() => parsePaxRecords(Buffer.from('99 path=x\n'))).toThrow('malformed PAX header record');
  });
});

// ---------------------------------------------------------------------------

/** An estimator that counts the bytes it is given and answers with that count. */
function countingEstimator(): { make: () => SizeEstimator; fed: number[] } {
  const fed: number[] = [];
  return {
    fed,
    make: () => {
      let total = 0;
      return {
        update: async (chunk) => {
          total += chunk.length;
        },
        finish: async () => {
          fed.push(total);
          return total;
        }
      };
    }
  };
}

async function read(archive: Buffer, options: ReadOptions = OFF, chunkBytes?: number) {
  return readImageArchive(chunked(archive, chunkBytes), options);
}

async function legacyArchive(layers: Buffer[], order: 'manifest-last' | 'manifest-first' = 'manifest-last') {
  const config = blob(JSON.stringify(imageConfig(layers)));
  const ids = layers.map((layer) => blob(layer).digest.slice(7));
  const manifest: ArchiveFile = {
    name: 'manifest.json',
    content: JSON.stringify([{ Config: `${config.digest.slice(7)}.json`, RepoTags: ['x:1'], Layers: ids.map((id) => `${id}/layer.tar`) }])
  };
  const files: ArchiveFile[] = [
    ...layers.flatMap((layer, index) => [
      { name: `${ids[index]}/VERSION`, content: '1.0' },
      { name: `${ids[index]}/json`, content: '{"id":"x"}' },
      { name: `${ids[index]}/layer.tar`, content: layer }
    ]),
    { name: `${config.digest.slice(7)}.json`, content: config.data },
    { name: 'repositories', content: '{"x":{"1":"abc"}}' }
  ];
  return archiveTar(order === 'manifest-last' ? [...files, manifest] : [manifest, ...files]);
}

describe('readImageArchive: Docker legacy layout', () => {
  test.each(['manifest-last', 'manifest-first'] as const)('reads layers in manifest order (%s)', async (order) => {
    const layers = [await sampleLayer('a'), await packTar([{ name: 'top.txt', content: 'top' }])];
    const archive = await read(await legacyArchive(layers, order));
    expect(archive.layout).toBe('docker');
    expect(archive.config.rootfs?.diff_ids).toHaveLength(2);
    expect(archive.layers.map((layer) => layer.entries)).toEqual([SAMPLE_ENTRIES, [entry('top.txt', 'file', 3)]]);
    expect(archive.layers[0]).toMatchObject({
      fileBytes: 'hello a\n'.length * 100 + 1 + 4 + 'main.txt'.length,
      storedBytes: layers[0]!.length,
      compression: 'none',
      compressedBytes: null,
      compressedMeasured: false
    });
  });

  test('estimates the gzip size of uncompressed layers, fed every stored byte', async () => {
    const layers = [await sampleLayer('a'), await sampleLayer('b')];
    const counting = countingEstimator();
    const archive = await read(await legacyArchive(layers), { estimateCompressed: true, estimator: counting.make }, 1000);
    expect(counting.fed).toEqual(layers.map((layer) => layer.length));
    expect(archive.layers.map((layer) => [layer.compressedBytes, layer.compressedMeasured])).toEqual(layers.map((layer) => [layer.length, false]));
  });

  test('the default estimator lands near gzip -6', async () => {
    const layer = await packTar([{ name: 'words.txt', content: Array.from({ length: 20000 }, (_, index) => `line ${index * 7919}`).join('\n') }]);
    const archive = await read(await legacyArchive([layer]), { estimateCompressed: true });
    const real = gzipSync(layer, { level: 6 }).length;
    expect(Math.abs(archive.layers[0]!.compressedBytes! - real) / real).toBeLessThan(0.02);
  });

  test('reads a layer reached through a symlink, as Docker 25+ writes <id>/layer.tar', async () => {
    const layer = await sampleLayer();
    const layerBlob = blob(layer);
    const config = blob(JSON.stringify(imageConfig([layer])));
    const tar = await archiveTar([
      { name: layerBlob.path, content: layer },
      { name: config.path, content: config.data },
      { name: 'abc/layer.tar', symlinkTo: `../${layerBlob.path}` },
      { name: 'manifest.json', content: JSON.stringify([{ Config: config.path, Layers: ['abc/layer.tar'] }]) }
    ]);
    const archive = await read(tar);
    expect(archive.layout).toBe('docker');
    expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
  });

  test('reads a layer reached through a hard link entry', async () => {
    const layer = await sampleLayer();
    const config = blob(JSON.stringify(imageConfig([layer, layer])));
    const tar = await archiveTar([
      { name: 'one/layer.tar', content: layer },
      { name: 'two/layer.tar', hardlinkTo: 'one/layer.tar' },
      { name: 'c.json', content: config.data },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['one/layer.tar', 'two/layer.tar'] }]) }
    ]);
    const archive = await read(tar);
    expect(archive.layers.map((found) => found.entries)).toEqual([SAMPLE_ENTRIES, SAMPLE_ENTRIES]);
  });

  test('reads a whole archive that was gzipped (docker save | gzip)', async () => {
    const layers = [await sampleLayer()];
    const archive = await read(gzipSync(await legacyArchive(layers)));
    expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
  });

  test('reads an empty layer', async () => {
    const archive = await read(await legacyArchive([TAR_END]));
    expect(archive.layers[0]).toMatchObject({ entries: [], fileBytes: 0, storedBytes: 1024 });
  });
});

describe('readImageArchive: kept files', () => {
  const STATUS = Buffer.concat([Buffer.from('Package: curl\nStatus: install ok installed\n'), Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a])]);
  const LIST = Buffer.from('/usr/bin/curl\n');

  async function dpkgLayers(): Promise<Buffer[]> {
    return [
      await packTar([
        { name: './var/lib/dpkg/', type: 'directory' },
        { name: './var/lib/dpkg/status', content: STATUS },
        { name: './var/lib/dpkg/info/curl.list', content: LIST },
        { name: './usr/bin/curl', content: 'x'.repeat(3000) },
        { name: './var/lib/dpkg/status-link', type: 'symlink', linkname: 'status' },
        { name: './var/lib/dpkg/hard', type: 'link', linkname: './var/lib/dpkg/status' },
        { name: './var/lib/dpkg/empty', content: '' }
      ]),
      await packTar([{ name: 'var/lib/dpkg/status', content: 'Package: new\n' }])
    ];
  }

  test('the regular files keep() accepts, byte-exact, per layer; keep() sees normalised paths of regular files only', async () => {
    const layers = await dpkgLayers();
    const asked: string[] = [];
    const keep = (path: string): boolean => {
      asked.push(path);
      return path.startsWith('var/lib/dpkg/');
    };
    const archive = await read(await legacyArchive(layers), { ...OFF, keep }, 100);
    expect(archive.layers.map((layer) => [...layer.kept])).toEqual([
      [
        ['var/lib/dpkg/status', STATUS],
        ['var/lib/dpkg/info/curl.list', LIST],
        ['var/lib/dpkg/empty', Buffer.alloc(0)]
      ],
      [['var/lib/dpkg/status', Buffer.from('Package: new\n')]]
    ]);
    expect(archive.layers[0]!.kept.get('var/lib/dpkg/status')!.equals(STATUS)).toBe(true);
    expect(asked).toEqual(['var/lib/dpkg/status', 'var/lib/dpkg/info/curl.list', 'usr/bin/curl', 'var/lib/dpkg/empty', 'var/lib/dpkg/status']);
    expect(archive.notKept).toBe(0);
    // Keeping changes nothing else.
    const plain = await read(await legacyArchive(layers));
    expect(archive.layers.map(({ kept: _kept, ...rest }) => rest)).toEqual(plain.layers.map(({ kept: _kept, ...rest }) => rest));
    expect(plain.layers.map((layer) => layer.kept.size)).toEqual([0, 0]);
    expect(plain.notKept).toBe(0);
  });

  test.each<Compression>(['gzip', 'zstd', 'none'])('keeps the same bytes from %s OCI layers', async (compression) => {
    const image = ociImage(await dpkgLayers(), compression);
    const tar = await archiveTar([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);
    const archive = await read(tar, { ...OFF, keep: (path) => path === 'var/lib/dpkg/status' }, 333);
    expect(archive.layers.map((layer) => [...layer.kept])).toEqual([
      [['var/lib/dpkg/status', STATUS]],
      [['var/lib/dpkg/status', Buffer.from('Package: new\n')]]
    ]);
  });

  test('a name that is not UTF-8 is kept under its binary path', async () => {
    const name = Buffer.from([0x76, 0x61, 0x72, 0x2f, 0xff, 0x2e, 0x6c, 0x69, 0x73, 0x74]); // var/\xff.list
    const layer = rawTar([paxEntry({ path: name }), tarEntry({ name: 'var/PaxHeaders/x', content: 'raw' })]);
    const archive = await read(await legacyArchive([layer]), { ...OFF, keep: (path) => path === name.toString('latin1') });
    expect([...archive.layers[0]!.kept]).toEqual([[name.toString('latin1'), Buffer.from('raw')]]);
  });

  test('a path named twice in one layer keeps what its last entry holds: the last content, or nothing', async () => {
    const layer = await packTar([
      { name: 'db/a', content: 'first' },
      { name: 'db/a', content: 'second' },
      { name: 'db/b', content: 'stale' },
      { name: 'other', content: 'other' },
      { name: 'db/b', type: 'link', linkname: 'other' },
      { name: 'db/c', content: 'stale' },
      { name: 'db/c', type: 'symlink', linkname: 'x' },
      { name: 'db/d', content: 'stale' },
      { name: 'db/d', content: 'not asked for' }
    ]);
    const asked = new Set<string>();
    const keep = (path: string): boolean => {
      // db/d: its first copy is kept, its second is not (as if it were over the cap).
      const first = !asked.has(path);
      asked.add(path);
      return path.startsWith('db/') && (path !== 'db/d' || first);
    };
    const archive = await read(await legacyArchive([layer]), { ...OFF, keep });
    expect([...archive.layers[0]!.kept]).toEqual([['db/a', Buffer.from('second')]]);
  });

  test('files over the per-file cap, or past the cap for the whole archive, are counted and skipped; later entries still read', async () => {
    const mib16 = MAX_KEPT_FILE_BYTES;
    expect(MAX_KEPT_BYTES).toBe(4 * mib16);
    const fill = (bytes: number, value: number): Buffer => Buffer.alloc(bytes, value);
    const layers = [
      rawTar([
        tarEntry({ name: 'at-cap', content: fill(mib16, 1) }), // kept: 16 MiB in all
        tarEntry({ name: 'over-cap', content: fill(mib16 + 1, 2) }), // over the per-file cap
        tarEntry({ name: 'after', content: 'abc' }) // kept: 16 MiB + 3
      ]),
      rawTar([
        tarEntry({ name: 'fill-1', content: fill(mib16, 3) }), // 32 MiB + 3
        tarEntry({ name: 'fill-2', content: fill(mib16, 4) }), // 48 MiB + 3
        tarEntry({ name: 'to-the-byte', content: fill(mib16 - 3, 5) }), // 64 MiB exactly: kept
        tarEntry({ name: 'one-more', content: 'x' }), // past the archive's cap
        tarEntry({ name: 'nothing', content: '' }) // 0 bytes still fit
      ])
    ];
    const archive = await read(await legacyArchive(layers), { ...OFF, keep: () => true }, 1024 * 1024);
    expect(archive.notKept).toBe(2);
    expect(archive.layers.map((layer) => [...layer.kept.keys()])).toEqual([
      ['at-cap', 'after'],
      ['fill-1', 'fill-2', 'to-the-byte', 'nothing']
    ]);
    const expected: Array<[string, Buffer]> = [
      ['at-cap', fill(mib16, 1)],
      ['after', Buffer.from('abc')],
      ['fill-1', fill(mib16, 3)],
      ['fill-2', fill(mib16, 4)],
      ['to-the-byte', fill(mib16 - 3, 5)],
      ['nothing', Buffer.alloc(0)]
    ];
    const kept = new Map(archive.layers.flatMap((layer) => [...layer.kept]));
    for (const [name, data] of expected) expect(kept.get(name)!.equals(data)).toBe(true);
    expect(archive.layers.map((layer) => layer.entries.map((found) => [found.path, found.bytes]))).toEqual([
      [
        ['at-cap', mib16],
        ['over-cap', mib16 + 1],
        ['after', 3]
      ],
      [
        ['fill-1', mib16],
        ['fill-2', mib16],
        ['to-the-byte', mib16 - 3],
        ['one-more', 1],
        ['nothing', 0]
      ]
    ]);
  });
});

describe('readImageArchive: OCI image layout', () => {
  test.each<Compression>(['gzip', 'zstd', 'none'])('reads %s layers with the blobs before index.json', async (compression) => {
    const layers = [await sampleLayer('a'), await sampleLayer('b')];
    const image = ociImage(layers, compression);
    const tar = await archiveTar([
      { name: 'oci-layout', content: '{"imageLayoutVersion": "1.0.0"}' },
      ...blobFiles(image),
      { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }
    ]);
    const archive = await read(tar, { estimateCompressed: false }, 333);
    expect(archive.layout).toBe('oci');
    expect(archive.layers.map((layer) => layer.entries)).toEqual([
      SAMPLE_ENTRIES,
      SAMPLE_ENTRIES.map((item) => (item.path === 'app/main.txt' ? { ...item, bytes: 'hello b\n'.length * 100 } : item))
    ]);
    expect(archive.layers.map((layer) => layer.compression)).toEqual([compression, compression]);
    expect(archive.layers.map((layer) => layer.storedBytes)).toEqual(image.layers.map((layer) => layer.size));
    const measured = compression !== 'none';
    expect(archive.layers.map((layer) => [layer.compressedBytes, layer.compressedMeasured])).toEqual(
      image.layers.map((layer) => [measured ? layer.size : null, measured])
    );
  });

  test('compressed layers are not re-estimated', async () => {
    const image = ociImage([await sampleLayer()], 'gzip');
    const counting = countingEstimator();
    const tar = await archiveTar([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);
    const archive = await read(tar, { estimateCompressed: true, estimator: counting.make });
    expect(counting.fed).toEqual([]);
    expect(archive.layers[0]?.compressedBytes).toBe(image.layers[0]!.size);
  });

  test('picks linux/amd64 from a nested index and skips attestations', async () => {
    const amd64 = ociImage([await sampleLayer('amd64')]);
    const arm64 = ociImage([await sampleLayer('arm64')]);
    const attestation = ociImage([await packTar([{ name: 'sbom.json', content: '{}' }])]);
    const nested = blob(
      indexJson([
        manifestDescriptor(arm64, { os: 'linux', architecture: 'arm64' }),
        manifestDescriptor(attestation, { os: 'unknown', architecture: 'unknown' }, { 'vnd.docker.reference.type': 'attestation-manifest' }),
        manifestDescriptor(amd64, { os: 'linux', architecture: 'amd64' })
      ])
    );
    const tar = await archiveTar([
      ...blobFiles(arm64, attestation, amd64),
      { name: nested.path, content: nested.data },
      {
        name: 'index.json',
        content: indexJson([{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: nested.digest, size: nested.size }])
      },
      { name: 'oci-layout', content: '{"imageLayoutVersion": "1.0.0"}' }
    ]);
    const archive = await read(tar);
    expect(archive.layers[0]?.entries.find((item) => item.path === 'app/main.txt')?.bytes).toBe('hello amd64\n'.length * 100);
  });

  test('of several images, picks one whose blobs are in the archive', async () => {
    const absent = ociImage([await sampleLayer('absent')]);
    const present = ociImage([await sampleLayer('present')]);
    const tar = await archiveTar([
      ...blobFiles(present),
      {
        name: 'index.json',
        content: indexJson([
          manifestDescriptor(absent, { os: 'linux', architecture: 'amd64' }),
          manifestDescriptor(present, { os: 'linux', architecture: 'arm64' })
        ])
      }
    ]);
    const archive = await read(tar);
    expect(archive.layers[0]?.entries.find((item) => item.path === 'app/main.txt')?.bytes).toBe('hello present\n'.length * 100);
  });

  test('prefers the OCI index when an archive has both (Docker 25+)', async () => {
    const layer = await sampleLayer();
    const image = ociImage([layer], 'none');
    const tar = await archiveTar([
      ...blobFiles(image),
      { name: 'abc/layer.tar', symlinkTo: `../${image.layers[0]!.path}` },
      { name: 'index.json', content: indexJson([manifestDescriptor(image)]) },
      { name: 'manifest.json', content: JSON.stringify([{ Config: image.config.path, Layers: ['abc/layer.tar'] }]) },
      { name: 'oci-layout', content: '{"imageLayoutVersion": "1.0.0"}' }
    ]);
    const archive = await read(tar);
    expect(archive.layout).toBe('oci');
    expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
  });

  test('falls back to manifest.json when the index leads nowhere', async () => {
    const layer = await sampleLayer();
    const image = ociImage([layer], 'none');
    const tar = await archiveTar([
      ...blobFiles(image),
      {
        name: 'index.json',
        content: indexJson([{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 1 }])
      },
      { name: 'manifest.json', content: JSON.stringify([{ Config: image.config.path, Layers: [image.layers[0]!.path] }]) }
    ]);
    const archive = await read(tar);
    expect(archive.layout).toBe('docker');
    expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
  });

  test('a layer used twice is read once and listed twice', async () => {
    const layer = await sampleLayer();
    const image = ociImage([layer, layer]);
    expect(image.layers[0]!.path).toBe(image.layers[1]!.path);
    const tar = await archiveTar([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);
    const archive = await read(tar);
    expect(archive.layers.map((found) => found.entries)).toEqual([SAMPLE_ENTRIES, SAMPLE_ENTRIES]);
  });
});

describe('readImageArchive: errors', () => {
  async function ociTar(mutate: (files: ArchiveFile[], image: ReturnType<typeof ociImage>) => ArchiveFile[]): Promise<Buffer> {
    const image = ociImage([await sampleLayer()]);
    return archiveTar(mutate([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }], image));
  }

  test('a missing layer blob', async () => {
    let missing = '';
    const tar = await ociTar((files, image) => {
      missing = image.layers[0]!.path;
      return files.filter((file) => file.name !== missing);
    });
    await expect(read(tar)).rejects.toThrow(`layer ${missing} is missing from the image archive`);
  });

  test('a missing config', async () => {
    let missing = '';
    const tar = await ociTar((files, image) => {
      missing = image.config.path;
      return files.filter((file) => file.name !== missing);
    });
    await expect(read(tar)).rejects.toThrow(`image config ${missing} is missing from the image archive`);
  });

  test('a layer that is not a tar', async () => {
    const image = ociImage([Buffer.from('not a layer at all')], 'none');
    const tar = await archiveTar([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);
    await expect(read(tar)).rejects.toThrow(`layer ${image.layers[0]!.path} is not a tar, gzip or zstd stream`);
  });

  test('the layer tables are capped: by entries and by the bytes of their names, across all layers', async () => {
    const image = ociImage([await sampleLayer('a'), await sampleLayer('b')]);
    const tar = await archiveTar([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);
    const archive = await read(tar);
    const entries = archive.layers.flatMap((layer) => layer.entries);
    const pathBytes = entries.reduce((sum, entry) => sum + entry.path.length + (entry.linkTarget?.length ?? 0), 0);
    await expect(read(tar, { ...OFF, maxEntries: entries.length, maxPathBytes: pathBytes })).resolves.toBeDefined();
    await expect(read(tar, { ...OFF, maxEntries: entries.length - 1 })).rejects.toThrow(
      `the image holds more than ${(entries.length - 1).toLocaleString('en-US')} files, more than footprint reads`
    );
    await expect(read(tar, { ...OFF, maxPathBytes: pathBytes - 1 })).rejects.toThrow(
      /the image's file names add up to more than .*, more than footprint reads/
    );
  });

  test('a blob whose content does not match its digest', async () => {
    let bad = '';
    const tar = await ociTar((files, image) => {
      bad = image.layers[0]!.path;
      return files.map((file) => (file.name === bad ? { ...file, content: 'not a layer at all' } : file));
    });
    await expect(read(tar)).rejects.toThrow(`blob ${bad} does not match its digest: its content is sha256:${sha256('not a layer at all')}`);
  });

  test('a corrupt gzip layer', async () => {
    let bad = '';
    const tar = await ociTar((files, image) => {
      bad = image.layers[0]!.path;
      return files.map((file) => {
        if (file.name !== bad) return file;
        const data = Buffer.from(file.content as Buffer);
        data.fill(0x55, 20, data.length - 20);
        return { ...file, content: data };
      });
    });
    await expect(read(tar)).rejects.toThrow(new RegExp(`^layer ${bad}: the gzip data is corrupt or truncated`));
  });

  test.each<[string, Compression, (layer: Buffer) => Buffer, RegExp]>([
    [
      'a cut-off gzip layer',
      'gzip',
      (data) => data.subarray(0, data.length >> 1),
      /: the gzip data is corrupt or truncated \(unexpected end of file\)$/
    ],
    [
      'a cut-off zstd layer',
      'zstd',
      (data) => data.subarray(0, data.length >> 1),
      /: the tar stream is truncated|: the zstd data is corrupt or truncated/
    ],
    ['gzip around something that is not a tar', 'gzip', () => gzipSync(Buffer.alloc(4096, 0x78)), /: invalid tar header at byte 0 \(bad checksum\)/],
    [
      'zstd around something that is not a tar',
      'zstd',
      () => compress(Buffer.alloc(4096, 0x78), 'zstd'),
      /: invalid tar header at byte 0 \(bad checksum\)/
    ]
  ])('%s', async (_label, compression, spoil, message) => {
    const layer = await packTar([{ name: 'noise.bin', content: Buffer.from(Array.from({ length: 200_000 }, (_, index) => (index * 7919) % 251)) }]);
    const image = ociImage([layer], compression);
    const bad = image.layers[0]!;
    const tar = await archiveTar([
      ...blobFiles(image).map((file) => (file.name === bad.path ? { ...file, content: spoil(bad.data) } : file)),
      { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }
    ]);
    await expect(read(tar)).rejects.toThrow(new RegExp(`^layer ${bad.path}${message.source}`));
  });

  test('a manifest and config that disagree on the layer count', async () => {
    const layer = await sampleLayer();
    const image = ociImage([layer], 'gzip', imageConfig([layer, layer]));
    const tar = await archiveTar([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);
    await expect(read(tar)).rejects.toThrow("the image archive is inconsistent: the manifest lists 1 layers, the config's rootfs 2");
  });

  test('an invalid digest cannot reach outside blobs/', async () => {
    const tar = await archiveTar([{ name: 'index.json', content: indexJson([{ digest: 'sha256:../../etc/passwd' }]) }]);
    await expect(read(tar)).rejects.toThrow('has an invalid digest "sha256:../../etc/passwd"');
  });

  test('a tar that is no image', async () => {
    const tar = await archiveTar([{ name: 'README', content: 'hello' }]);
    await expect(read(tar)).rejects.toThrow('not an image archive: no manifest.json or index.json');
  });

  test.each<[string, Buffer]>([
    ['garbage', Buffer.from('this is not a tar archive, just some text that goes on for a while. '.repeat(20))],
    ['a few bytes', Buffer.from('hello')]
  ])('%s', async (_label, data) => {
    await expect(read(data)).rejects.toThrow('not an image archive: not a tar stream');
  });

  test('an empty stream', async () => {
    await expect(read(Buffer.alloc(0))).rejects.toThrow('not an image archive: it is empty');
  });

  test('a stream cut off inside a layer', async () => {
    const tar = await legacyArchive([await sampleLayer()]);
    await expect(read(tar.subarray(0, 5000))).rejects.toThrow(/^the image archive is truncated \(it ends inside [0-9a-f]+\/layer\.tar\)$/);
  });

  test('a stream cut off between entries', async () => {
    const tar = await legacyArchive([await sampleLayer()]);
    await expect(read(tar.subarray(0, 512 * 3 + 100))).rejects.toThrow('the image archive is truncated (unexpected end of data)');
  });

  test('a source that fails', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      }
    });
    await expect(readImageArchive(source, OFF)).rejects.toThrow('disk on fire');
  });
});

describe('readImageArchive: memory', () => {
  test('pulls the source no faster than the estimator takes it (backpressure end to end)', async () => {
    const fileBytes = 48 * 1024 * 1024;
    const header = tarEntry({ name: 'big.bin', size: fileBytes }).subarray(0, 512);
    const layerBytes = 512 + fileBytes + 1024;
    const config = JSON.stringify({ rootfs: { type: 'layers', diff_ids: ['sha256:x'] } });
    const head = await packTar([{ name: 'c.json', content: config }]);
    const prefix = head.subarray(0, head.length - 1024);
    const layerHeader = tarEntry({ name: 'l/layer.tar', size: layerBytes }).subarray(0, 512);
    const tail = await packTar([{ name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }]) }]);

    let produced = 0;
    let accepted = 0;
    let maxAhead = 0;
    const piece = Buffer.alloc(64 * 1024, 0x61);
    async function* generate(): AsyncGenerator<Buffer> {
      yield prefix;
      yield layerHeader;
      yield header;
      for (let sent = 0; sent < fileBytes; sent += piece.length) {
        produced += piece.length;
        yield piece;
      }
      yield Buffer.alloc(1024);
      yield tail;
    }
    const estimator = (): SizeEstimator => ({
      update: async (chunk) => {
        await new Promise((resolve) => setImmediate(resolve));
        accepted += chunk.length;
        maxAhead = Math.max(maxAhead, produced - accepted);
      },
      finish: async () => accepted
    });
    const archive = await readImageArchive(Readable.from(generate(), { objectMode: false }), { estimateCompressed: true, estimator });
    expect(archive.layers[0]?.fileBytes).toBe(fileBytes);
    expect(maxAhead).toBeLessThan(2 * 1024 * 1024);
  });

  test('the real estimator works through a layer with backpressure', async () => {
    const layer = await packTar([{ name: 'data.bin', content: Buffer.alloc(3 * 1024 * 1024, 0x62) }]);
    const archive = await read(await legacyArchive([layer]), {
      estimateCompressed: true,
      estimator: () => gzipSizeEstimator({ chunkBytes: 256 * 1024 })
    });
    expect(archive.layers[0]!.compressedBytes).toBeGreaterThan(0);
    expect(archive.layers[0]!.compressedBytes).toBeLessThan(64 * 1024);
  });
});

// ---------------------------------------------------------------------------

describe('parseImageSource', () => {
  test.each<[string, ImageSource]>([
    ['nginx:1.27', { kind: 'daemon', ref: 'nginx:1.27' }],
    ['registry.local:5000/team/app@sha256:abc', { kind: 'daemon', ref: 'registry.local:5000/team/app@sha256:abc' }],
    ['oci-archive:out/image.tar', { kind: 'oci-archive', path: 'out/image.tar' }],
    ['docker-archive:/tmp/app.tar', { kind: 'docker-archive', path: '/tmp/app.tar' }],
    ['docker-archive:C:/images/with:colon.tar', { kind: 'docker-archive', path: 'C:/images/with:colon.tar' }],
    ['oci-archive:./image.tar:latest', { kind: 'oci-archive', path: './image.tar:latest' }]
  ])('%s', (ref, expected) => {
    expect(parseImageSource(ref)).toEqual(expected);
  });

  test.each(['oci-archive:', 'docker-archive:  ', ''])('%j is a user error', (ref) => {
    expect(() => parseImageSource(ref)).toThrow(UserError);
  });
});

describe('readImage from archive files', () => {
  test('reads both kinds of archive file, whatever layout they hold', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'footprint-source-'));
    try {
      const layer = await sampleLayer();
      const image = ociImage([layer]);
      const oci = join(folder, 'oci.tar');
      const legacy = join(folder, 'legacy.tar');
      await writeFile(oci, await archiveTar([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]));
      await writeFile(legacy, await legacyArchive([layer]));
      for (const path of [oci, legacy]) {
        for (const kind of ['oci-archive', 'docker-archive'] as const) {
          const archive = await readImage({ kind, path }, OFF);
          expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
        }
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('names the archive in errors', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'footprint-source-'));
    try {
      const junk = join(folder, 'junk.tar');
      await writeFile(junk, 'junk');
      await expect(readImage({ kind: 'oci-archive', path: junk }, OFF)).rejects.toThrow(`${junk}: not an image archive: not a tar stream`);
      const none = join(folder, 'none.tar');
      await expect(readImage({ kind: 'docker-archive', path: none }, OFF)).rejects.toThrow(new UserError(`${none}: no such image archive.`));
      await expect(readImage({ kind: 'docker-archive', path: none }, OFF)).rejects.toBeInstanceOf(UserError);
      await expect(readImage(parseImageSource(`oci-archive:${junk}:latest`), OFF)).rejects.toThrow(
        `${junk}:latest: no such image archive (a ":reference" after the path is not supported`
      );
      await expect(readImage({ kind: 'oci-archive', path: folder }, OFF)).rejects.toThrow(
        new UserError(`${folder} is a directory; give oci-archive: the archive file (a tar).`)
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('readImage from the daemon, with a stand-in for docker save', () => {
  /** An ExecStream that "runs" docker save: writes `output`, then exits as told; records what it was asked. */
  function fakeDocker(output: Buffer, exit: StreamExit) {
    const calls: Array<{ file: string; args: readonly string[]; cleanEnv: boolean | undefined }> = [];
    let killed = false;
    const execStream: ExecStream = (file, args, options) => {
      calls.push({ file, args, cleanEnv: options?.cleanEnv });
      const stdout = chunked(output);
      return {
        stdout,
        kill: () => {
          killed = true;
          stdout.destroy();
        },
        exited: new Promise((resolve) => setImmediate(() => resolve(exit)))
      };
    };
    return { execStream, calls, wasKilled: () => killed };
  }

  test('reads what docker save writes, with a token-free environment', async () => {
    const docker = fakeDocker(await legacyArchive([await sampleLayer()]), { exitCode: 0, stderr: '', failure: null });
    const archive = await readImage({ kind: 'daemon', ref: 'app:1' }, { ...OFF, execStream: docker.execStream });
    expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
    expect(docker.calls).toEqual([{ file: 'docker', args: ['save', '--', 'app:1'], cleanEnv: true }]);
  });

  test("docker's own message wins when it fails", async () => {
    const docker = fakeDocker(Buffer.alloc(0), { exitCode: 1, stderr: 'Error response from daemon: No such image: app:1\n', failure: null });
    await expect(readImage({ kind: 'daemon', ref: 'app:1' }, { ...OFF, execStream: docker.execStream })).rejects.toThrow(
      'docker save app:1 failed (exit code 1): Error response from daemon: No such image: app:1'
    );
  });

  test('a docker that cannot be started', async () => {
    const docker = fakeDocker(Buffer.alloc(0), { exitCode: -1, stderr: '', failure: 'Command failed with ENOENT: docker save -- app:1' });
    await expect(readImage({ kind: 'daemon', ref: 'app:1' }, { ...OFF, execStream: docker.execStream })).rejects.toThrow(
      'docker save app:1 could not run: Command failed with ENOENT'
    );
  });
});

describe('hostile archives: nonsense is an error, and time and memory stay bounded', () => {
  const ociArchive = (image: ReturnType<typeof ociImage>, extra: ArchiveFile[] = []) =>
    archiveTar([...extra, ...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);

  test('a base-256 size beyond 9 PB is refused by the layer scanner', () => {
    const layer = rawTar([tarEntry({ name: 'huge', rawSize: base256(2n ** 80n) })]);
    expect(() => scan(layer)).toThrow('invalid tar header at byte 0 (a size beyond 9 PB (base-256 field too large))');
  });

  test('a PAX size of 400 digits (Infinity as a number) is refused, not counted', () => {
    for (const typeflag of ['0', '1']) {
      const layer = rawTar([paxEntry({ size: '9'.repeat(400) }), tarEntry({ name: 'infinite', typeflag })]);
      expect(() => scan(layer)).toThrow('PAX size of 400 digits in tar header at byte 1024 is beyond 9 PB');
    }
  });

  test('a path longer than MAX_PATH_BYTES (half a million folders) is refused with one line', () => {
    const path = Array.from({ length: 499_000 }, () => 'a').join('/');
    expect(path.length).toBeGreaterThan(MAX_PATH_BYTES);
    const layer = rawTar([paxEntry({ path }), tarEntry({ name: 'x', content: 'x' })]);
    expect(() => scan(layer)).toThrow(`a path of ${path.length} bytes in tar header at byte 998912 is longer than ${MAX_PATH_BYTES} bytes`);
    const atLimit = 'b/'.repeat(MAX_PATH_BYTES / 2 - 1) + 'cd';
    expect(scan(rawTar([paxEntry({ path: atLimit }), tarEntry({ name: 'x' })])).map((header) => header.name.length)).toEqual([MAX_PATH_BYTES]);
  });

  test('an image with an impossible layer size is one clear error, never an Infinity figure', async () => {
    const layer = rawTar([tarEntry({ name: 'huge', rawSize: base256(2n ** 90n) })]);
    const tar = await ociArchive(ociImage([layer], 'gzip'));
    const error = await read(tar).then(
      () => null,
      (thrown: unknown) => thrown as Error
    );
    expect(error?.message).toMatch(/^layer blobs\/sha256\/[0-9a-f]{64}: invalid tar header at byte 0 \(a size beyond 9 PB/);
    expect(error?.message).not.toContain('\n');
  });

  test('an outer entry whose PAX size is beyond any number is refused', async () => {
    const tar = rawTar([paxEntry({ size: '9'.repeat(30) }), tarEntry({ name: 'index.json', content: '{}' })]);
    await expect(read(tar)).rejects.toThrow(/^(the image archive is corrupt|the image archive is truncated)/);
  });

  // Both found by the property test (read-archive-property.test.ts): tar-stream's entry never ended.
  test('an outer folder entry with a size in its header does not stop the reading', async () => {
    const tar = rawTar([tarEntry({ name: 'dir/', typeflag: '5', size: 6 }), tarEntry({ name: 'index.json', content: '{}' })]);
    await expect(read(tar)).rejects.toThrow('index.json is neither an image index nor an image manifest');
  });

  test('an outer entry whose size field cannot be read is an error, not a hang', async () => {
    const field = Buffer.alloc(12, 0);
    field[0] = 0x81;
    const tar = rawTar([tarEntry({ name: 'index.json', content: '{}', rawSize: field })]);
    await expect(read(tar)).rejects.toThrow(
      'the image archive is corrupt: index.json has an unreadable or impossible size (negative or beyond 9 PB)'
    );
  });

  test('data after the end of the archive is not read (an endless tail stops at the end-of-archive block)', async () => {
    const layer = await sampleLayer();
    const tar = await ociArchive(ociImage([layer]));
    let pulled = 0;
    let done = false;
    const endless = new Readable({
      read() {
        if (pulled < tar.length) {
          this.push(tar.subarray(pulled, pulled + 64 * 1024));
          pulled += Math.min(64 * 1024, tar.length - pulled);
          return;
        }
        pulled += 64 * 1024;
        if (pulled > 1024 * 1024 * 1024) done = true;
        this.push(done ? null : Buffer.alloc(64 * 1024, 0x41));
      }
    });
    const archive = await readImageArchive(endless, OFF);
    expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
    expect(done).toBe(false);
    // The archive, then at most MAX_TRAILING_BYTES (1 MiB) of what follows it and the stream's read-ahead.
    expect(pulled).toBeLessThan(tar.length + 2 * 1024 * 1024);
  });

  test('garbage after the end of a gzip layer inside it is not decompressed or parsed', async () => {
    const layer = await sampleLayer();
    const padded = Buffer.concat([layer, Buffer.from('garbage that is no tar header at all'.repeat(100))]);
    const archive = await read(await ociArchive(ociImage([padded], 'gzip')));
    expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
    expect(archive.layers[0]?.compressedBytes).toBe(gzipSync(padded).length);
  });

  test('JSON-looking files nothing can refer to are counted, not kept; kept ones are capped', async () => {
    const layer = await sampleLayer();
    const image = ociImage([layer]);
    const junk = (name: string, index: number): ArchiveFile => ({ name, content: `{"junk": ${index}, "pad": "${'x'.repeat(1024 * 1024)}"}` });
    // 80 MiB of JSON under names no layout refers to: not kept, so no cap is reached.
    const unreferenced = Array.from({ length: 80 }, (_, index) => junk(`junk/${index}.json`, index));
    expect((await read(await ociArchive(image, unreferenced))).layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
    // 80 MiB of JSON blobs (their digests right): a layout may refer to any of them, so the cap applies.
    const blobs = Array.from({ length: 80 }, (_, index) => {
      const data = Buffer.from(junk('', index).content as string);
      return { name: `blobs/sha256/${sha256(data)}`, content: data };
    });
    await expect(read(await ociArchive(image, blobs))).rejects.toThrow(
      new RegExp(`^the image archive holds more than ${MAX_JSON_TOTAL_BYTES / 1024 / 1024} MiB of JSON documents \\(at blobs/sha256/[0-9a-f]{64}\\)$`)
    );
  });

  test('a blob reached through a link must match the digest it is asked for', async () => {
    const layer = await sampleLayer();
    const image = ociImage([layer]);
    const other = blob(gzipSync(await sampleLayer('other')));
    const files = [...blobFiles(image), { name: other.path, content: other.data }].map((file) =>
      file.name === image.layers[0]!.path ? { name: file.name, symlinkTo: other.digest.slice(7) } : file
    );
    const tar = await archiveTar([...files, { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);
    await expect(read(tar)).rejects.toThrow(`blob ${image.layers[0]!.path} does not match its digest: its content is ${other.digest}`);
  });

  test("a legacy layer.tar that is not the layer its config's diff_id names is refused", async () => {
    const config = JSON.stringify(imageConfig([await sampleLayer('a')]));
    const swapped = await sampleLayer('b');
    const tar = await archiveTar([
      { name: 'l/layer.tar', content: swapped },
      { name: 'c.json', content: config },
      { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }]) }
    ]);
    await expect(read(tar)).rejects.toThrow(
      `layer l/layer.tar does not match the config's diff_id sha256:${sha256(await sampleLayer('a'))}: its content is sha256:${sha256(swapped)}`
    );
  });

  test("a blob whose size is not its descriptor's is refused", async () => {
    const layer = await sampleLayer();
    const image = ociImage([layer]);
    const manifest = JSON.parse(image.manifest.data.toString()) as { layers: Array<{ size: number }> };
    manifest.layers[0]!.size += 1;
    const lying = blob(JSON.stringify(manifest));
    const tar = await archiveTar([
      ...blobFiles(image),
      { name: lying.path, content: lying.data },
      { name: 'index.json', content: indexJson([{ ...manifestDescriptor(image), digest: lying.digest, size: lying.size }]) }
    ]);
    await expect(read(tar)).rejects.toThrow(
      `${image.layers[0]!.path} is ${image.layers[0]!.size} bytes, but layer 0 in ${lying.path} says ${image.layers[0]!.size + 1}`
    );
  });

  test('a FIFO, a device or a symlink to one given as an archive is refused at once, without reading', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'footprint-source-'));
    try {
      const fifo = join(folder, 'image.tar');
      await execa('mkfifo', [fifo]);
      const zero = join(folder, 'zero.tar');
      await symlink('/dev/zero', zero);
      for (const [path, kind] of [
        [fifo, 'oci-archive'],
        ['/dev/zero', 'oci-archive'],
        [zero, 'docker-archive']
      ] as const) {
        const reading = readImage({ kind, path }, OFF);
        await expect(reading).rejects.toBeInstanceOf(UserError);
        await expect(reading).rejects.toThrow(`${path} is not a regular file; give ${kind}: the archive file (a tar).`);
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('a regular file is read; an empty one is no archive', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'footprint-source-'));
    try {
      const path = join(folder, 'image.tar');
      const tar = await ociArchive(ociImage([await sampleLayer()]));
      await writeFile(path, tar);
      const archive = await readImage({ kind: 'oci-archive', path }, OFF);
      expect(archive.layers[0]?.entries).toEqual(SAMPLE_ENTRIES);
      await writeFile(path, '');
      await expect(readImage({ kind: 'oci-archive', path }, OFF)).rejects.toThrow(`${path}: not an image archive`);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
