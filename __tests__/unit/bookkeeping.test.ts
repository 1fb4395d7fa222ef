import { describe, expect, test } from '@jest/globals';
import { analyseImage } from '../../src/analyse/anatomy.js';
import { bookkeepingArea } from '../../src/analyse/bookkeeping.js';
import { newBaseline } from '../../src/baseline/store.js';
import { parseStoredBaseline } from '../../src/baseline/stored.js';
import { layerOrigins } from '../../src/analyse/history.js';
import type { ImageConfigJson, LayerContents } from '../../src/analyse/model.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { judge } from '../../src/gate/verdict.js';
import { limitsOf } from '../../src/limits/index.js';
import { anatomyBlock } from '../../src/report/markdown-blocks.js';
import { anatomyOf, bookkeepingNote, hasWaste, wasteWhere } from '../../src/report/view.js';
import { formatBytes } from '../../src/units.js';
import { file, image, layer, opaque, whiteout } from '../support/layers.js';
import { bareImage, imageReport, reportOf } from '../support/report-fixtures.js';

/** A Debian-like image: a base rootfs, then two apt-get installs that rewrite dpkg's and debconf's files, then a cleanup. */
const layers: LayerContents[] = [
  layer([file('usr/bin/tool', 3000), file('var/lib/dpkg/status', 1000), file('var/cache/debconf/templates.dat', 500), file('etc/ld.so.cache', 200)]),
  layer([
    file('var/lib/dpkg/status', 1100),
    file('var/lib/dpkg/status-old', 1000),
    file('var/lib/dpkg/info/curl.list', 40),
    file('var/cache/debconf/templates.dat', 520),
    file('var/lib/apt/extended_states', 30),
    file('var/log/apt/history.log', 50),
    file('etc/ld.so.cache', 210),
    file('tmp/x.tgz', 7000)
  ]),
  layer([
    file('var/lib/dpkg/status', 1200),
    file('var/lib/dpkg/status-old', 1100),
    file('var/lib/dpkg/info/curl.list', 45),
    file('var/log/apt/history.log', 90),
    whiteout('tmp/x.tgz'),
    whiteout('usr/bin/tool')
  ])
];
const config: ImageConfigJson = {
  history: [
    { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
    { created_by: '/bin/sh -c apt-get update && apt-get install -y curl' },
    { created_by: '/bin/sh -c apt-get install -y git && rm /tmp/x.tgz /usr/bin/tool' }
  ]
};
/** Layer 0's and layer 1's bookkeeping copies that layers 1 and 2 replaced. */
const BOOKKEEPING_BYTES = 1000 + 500 + 200 + (1100 + 1000 + 40 + 50);
const AVOIDABLE_BYTES = 3000 + 7000;

describe('bookkeepingArea', () => {
  test.each<[string, ReturnType<typeof bookkeepingArea>]>([
    ['var/lib/dpkg/status', 'inside'],
    ['var/lib/dpkg/info/curl.md5sums', 'inside'],
    ['var/cache/debconf/config.dat-old', 'inside'],
    ['lib/apk/db/installed', 'inside'],
    ['var/lib/rpm/rpmdb.sqlite', 'inside'],
    ['etc/ld.so.cache', 'inside'],
    ['var/log/apt/term.log', 'inside'],
    ['var/lib', 'above'],
    ['', 'above'],
    ['var/lib/apt/lists/deb.debian.org_dists', 'outside'],
    ['var/cache/apt/archives/curl.deb', 'outside'],
    ['etc/ld.so.cache.d', 'outside'],
    ['usr/bin/tool', 'outside']
  ])('%s is %s', (path, area) => {
    expect(bookkeepingArea(path)).toBe(area);
  });
});

describe('package-manager bookkeeping in an image given without a Dockerfile', () => {
  const anatomy = analyseImage(image(layers, config), layerOrigins(config, layers.length, null));

  test('is counted apart from the avoidable bytes, and the rows say which is which', () => {
    expect(anatomy.wasted.bytes).toBe(AVOIDABLE_BYTES);
    expect(anatomy.wasted.bookkeepingBytes).toBe(BOOKKEEPING_BYTES);
    expect(anatomy.wasted.baseBytes).toBe(0);
    expect(anatomy.wasted.paths.filter((path) => !path.bookkeeping).map((path) => [path.path, path.bytes])).toEqual([
      ['/tmp/x.tgz', 7000],
      ['/usr/bin/tool', 3000]
    ]);
    expect(anatomy.wasted.paths.filter((path) => path.bookkeeping).reduce((sum, path) => sum + path.bytes, 0)).toBe(BOOKKEEPING_BYTES);
    const pairs = anatomy.wasted.byLines!;
    expect(pairs.filter((pair) => !pair.bookkeeping && !pair.inBase).reduce((sum, pair) => sum + pair.bytes, 0)).toBe(AVOIDABLE_BYTES);
    expect(pairs.filter((pair) => pair.bookkeeping).reduce((sum, pair) => sum + pair.bytes, 0)).toBe(BOOKKEEPING_BYTES);
  });

  test('max-wasted judges the avoidable bytes only', () => {
    const limits = limitsOf({ budget: null, maxIncrease: null, maxWasted: { bytes: 12_000, percent: null, source: '12kB' } });
    const verdict = (wasted: { bytes: number }) =>
      judge({
        comparison: 'not-compared',
        size: { bytes: 50_000, compressedBytes: null, dockerBytes: null },
        base: null,
        delta: null,
        wasted,
        limits,
        error: null
      });
    expect(verdict(anatomy.wasted).status).toBe('ok');
    // Counted as avoidable, as before, the same image broke the limit.
    expect(verdict({ bytes: AVOIDABLE_BYTES + BOOKKEEPING_BYTES }).status).toBe('over-budget');
  });

  test('a removal above a bookkeeping folder splits its files into a bookkeeping row and an avoidable one', () => {
    const split = [layer([file('var/lib/dpkg/status', 100), file('var/lib/app/data', 40), file('var/lib/app/more', 2)]), layer([opaque('var/lib')])];
    const wasted = analyseImage(image(split), []).wasted;
    expect([wasted.bytes, wasted.bookkeepingBytes]).toEqual([42, 100]);
    expect(wasted.paths.map((path) => [path.path, path.files, path.bookkeeping])).toEqual([
      ['/var/lib/dpkg/status', 1, true],
      ['/var/lib', 2, false]
    ]);
  });
});

describe('package-manager bookkeeping where the Dockerfile tells the layers apart', () => {
  test("the base image's copies are base waste and the Dockerfile's own RUNs' copies are avoidable (one RUN would write them once)", () => {
    const dockerfile = parseDockerfile(
      'FROM debian\nRUN apt-get update && apt-get install -y curl\nRUN apt-get install -y git && rm /tmp/x.tgz /usr/bin/tool\n'
    );
    const origins = layerOrigins(config, layers.length, dockerfile);
    expect(origins.map((origin) => origin.fromBase)).toEqual([true, false, false]);
    const wasted = analyseImage(image(layers, config), origins).wasted;
    expect(wasted.bookkeepingBytes).toBe(0);
    expect(wasted.baseBytes).toBe(3000 + 1000 + 500 + 200);
    expect(wasted.bytes).toBe(7000 + 1100 + 1000 + 40 + 50);
  });
});

describe('the report says bookkeeping is not avoidable', () => {
  const anatomy = analyseImage(image(layers, config), layerOrigins(config, layers.length, null));
  const report = bareImage({ name: 'debian-tools', dockerfile: null, image: 'example/tools:1', layers: anatomy.layers, wasted: anatomy.wasted });

  test('avoidable rows come first, bookkeeping rows after them, each saying what it is', () => {
    const rows = anatomyOf(report).paths;
    expect(rows.slice(0, 2).map((path) => path.path)).toEqual(['/tmp/x.tgz', '/usr/bin/tool']);
    expect(rows.slice(2).every((path) => path.bookkeeping)).toBe(true);
    expect(wasteWhere(rows[2]!)).toMatch(/^package-manager bookkeeping, added in layer \d, removed in layer \d: not avoidable$/);
  });

  test('the waste heading names the bookkeeping bytes apart', () => {
    const block = anatomyBlock(report, 10, 10).join('\n');
    expect(block).toContain(
      `; ${formatBytes(BOOKKEEPING_BYTES)} more in package-manager bookkeeping (dpkg, apk, rpm databases) that every install rewrites, not avoidable`
    );
    expect(bookkeepingNote({ bytes: 1, baseBytes: 0, paths: [] })).toBe('');
  });

  test('an image whose only waste is bookkeeping still shows it', () => {
    const only = analyseImage(image([layer([file('var/lib/dpkg/status', 900)]), layer([file('var/lib/dpkg/status', 950)])]), []);
    expect([only.wasted.bytes, only.wasted.bookkeepingBytes]).toEqual([0, 900]);
    expect(hasWaste(anatomyOf(bareImage({ name: 'x', dockerfile: null, wasted: only.wasted })))).toBe(true);
  });
});

describe('a stored report keeps the new waste fields', () => {
  const SHA = 'ab'.repeat(20);
  const run = { repository: 'octo/app', sha: SHA, ref: 'refs/heads/main', event: 'push', createdAt: '2024-05-01T12:00:00.000Z' } as const;

  test('bookkeepingBytes, byLines and bookkeeping rows pass the schema and come back as they were', () => {
    const { wasted } = analyseImage(image(layers, config), layerOrigins(config, layers.length, null));
    const json = JSON.stringify(newBaseline(reportOf([imageReport({ name: 'tools', wasted })]), run));
    const parsed = parseStoredBaseline(json, { repository: 'octo/app', sha: SHA });
    expect(parsed.ok && parsed.baseline.report.images[0]!.wasted).toEqual(wasted);
  });

  test('a malformed pair is refused', () => {
    const { wasted } = analyseImage(image(layers, config), layerOrigins(config, layers.length, null));
    const broken = { ...wasted, byLines: [{ ...wasted.byLines![0]!, bytes: -1 }] };
    const json = JSON.stringify(newBaseline(reportOf([imageReport({ name: 'tools', wasted: broken })]), run));
    expect(parseStoredBaseline(json, { repository: 'octo/app', sha: SHA }).ok).toBe(false);
  });
});
