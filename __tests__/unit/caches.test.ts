import { describe, expect, test } from '@jest/globals';
import { analyseImage } from '../../src/analyse/anatomy.js';
import { CACHE_MIN_BYTES, cacheOf } from '../../src/analyse/caches.js';
import type { LayerOrigin } from '../../src/analyse/history.js';
import type { CacheKind, LeftoverCache } from '../../src/model/report.js';
import { binaryPath, dir, file, hardlink, image, layer, symlink, whiteout } from '../support/layers.js';

describe('cacheOf', () => {
  test.each<[string, CacheKind, string]>([
    ['var/cache/apk/APKINDEX.abc.tar.gz', 'apk', '/var/cache/apk'],
    ['var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', 'apt', '/var/lib/apt/lists'],
    ['var/cache/apt/archives/curl_7.88.deb', 'apt', '/var/cache/apt'],
    ['var/cache/apt/pkgcache.bin', 'apt', '/var/cache/apt'],
    ['var/cache/yum/x86_64/repodata.xml', 'yum', '/var/cache/yum'],
    ['var/cache/dnf/fedora.solv', 'dnf', '/var/cache/dnf'],
    ['root/.cache/pip/http/a/b', 'pip', '/root/.cache/pip'],
    ['home/app/.cache/pip/wheels/x.whl', 'pip', '/home/app/.cache/pip'],
    ['root/.npm/_cacache/content-v2/sha512/ab', 'npm', '/root/.npm'],
    ['home/node/.npm/_cacache/index-v5/x', 'npm', '/home/node/.npm'],
    ['usr/local/share/.cache/yarn/v6/npm-react.tgz', 'yarn', '/usr/local/share/.cache/yarn'],
    ['home/node/.cache/yarn/v6/x', 'yarn', '/home/node/.cache/yarn'],
    ['root/.yarn/berry/cache/react.zip', 'yarn', '/root/.yarn/berry/cache'],
    ['root/.local/share/pnpm/store/v3/files/00/ab', 'pnpm', '/root/.local/share/pnpm/store'],
    ['home/app/.pnpm-store/v3/files/00/ab', 'pnpm', '/home/app/.pnpm-store'],
    ['root/.cache/go-build/00/abc-d', 'go', '/root/.cache/go-build'],
    ['go/pkg/mod/cache/download/x.zip', 'go', '/go/pkg/mod'],
    ['root/go/pkg/mod/github.com/x/y.go', 'go', '/root/go/pkg/mod'],
    ['usr/local/cargo/registry/cache/index.crates.io/serde.crate', 'cargo', '/usr/local/cargo/registry'],
    ['root/.cargo/registry/src/x/lib.rs', 'cargo', '/root/.cargo/registry'],
    ['root/.m2/repository/org/x.jar', 'maven', '/root/.m2/repository'],
    ['home/gradle/.gradle/caches/modules-2/x.jar', 'gradle', '/home/gradle/.gradle/caches'],
    ['tmp/build/a.o', 'tmp', '/tmp'],
    ['var/tmp/x', 'tmp', '/var/tmp'],
    ['/tmp/leading-slash', 'tmp', '/tmp'],
    ['var/cache/apk', 'apk', '/var/cache/apk']
  ])('%s is in the %s cache %s', (path, kind, root) => {
    expect(cacheOf(path)).toEqual({ kind, root });
  });

  test.each([
    'usr/lib/python3/site-packages/pip/__init__.py',
    'var/cache/debconf/config.dat',
    'var/lib/apt/extended_states',
    'root/.cache',
    'root/.cache/other/x',
    'home/.cache/pip/x',
    'app/tmp/x',
    'home/app/src/.npm',
    'tmpfile',
    'go/src/main.go',
    ''
  ])('%s is no cache', (path) => {
    expect(cacheOf(path)).toBeNull();
  });

  test('a home folder with a name that is not UTF-8 is shown escaped', () => {
    expect(cacheOf(`home/${'\xe9'}/.cache/pip/x`)).toEqual({ kind: 'pip', root: '/home/\\xe9/.cache/pip' });
    expect(cacheOf(binaryPath('home/jos\u00e9/.npm/x'))).toEqual({ kind: 'npm', root: '/home/jos\u00e9/.npm' });
  });
});

describe('leftover caches', () => {
  const origins: LayerOrigin[] = [
    { fromBase: true, instruction: 'ADD rootfs /', line: null, stage: null },
    { fromBase: false, instruction: 'RUN apk add build-base', line: 3, stage: null },
    { fromBase: false, instruction: 'RUN pip install -r requirements.txt', line: 5, stage: null },
    { fromBase: false, instruction: 'RUN make', line: 7, stage: null }
  ];

  function cachesOf(layers: ReturnType<typeof layer>[]): LeftoverCache[] {
    return analyseImage(image(layers), origins).caches;
  }

  test('one row per cache folder, largest first, with the line that left most of it', () => {
    const caches = cachesOf([
      layer([dir('var/cache/apk'), file('var/cache/apk/old.tar.gz', 4000), dir('tmp')]),
      layer([file('var/cache/apk/APKINDEX.tar.gz', 9000), file('var/cache/apk/x.apk', 2000)]),
      layer([
        file('home/app/.cache/pip/http/a', 50_000),
        file('home/app/.cache/pip/http/b', 30_000),
        file('root/.cache/pip/wheels/c', 2000),
        file('usr/lib/python3/site-packages/x.py', 99_999)
      ]),
      layer([file('tmp/build/out.o', 5000), file('tmp/build/out2.o', 1500), hardlink('tmp/build/link.o', 'tmp/build/out.o'), symlink('tmp/s')])
    ]);
    expect(caches).toEqual([
      { path: '/home/app/.cache/pip', kind: 'pip', bytes: 80_000, files: 2, line: 5, fromBase: false },
      { path: '/var/cache/apk', kind: 'apk', bytes: 15_000, files: 3, line: 3, fromBase: false },
      { path: '/tmp', kind: 'tmp', bytes: 6500, files: 3, line: 7, fromBase: false },
      { path: '/root/.cache/pip', kind: 'pip', bytes: 2000, files: 1, line: 5, fromBase: false }
    ]);
  });

  test("caches the base image left are flagged as the base's", () => {
    const caches = cachesOf([layer([file('var/lib/apt/lists/debian_InRelease', 40_000)]), layer([file('var/lib/apt/lists/extra', 100)])]);
    expect(caches).toEqual([{ path: '/var/lib/apt/lists', kind: 'apt', bytes: 40_100, files: 2, line: null, fromBase: true }]);
  });

  test('only what is visible in the final filesystem counts', () => {
    const caches = cachesOf([
      layer([file('var/cache/apk/a', 10_000), file('root/.npm/_cacache/x', 5000)]),
      layer([whiteout('var/cache/apk'), file('root/.npm/_cacache/x', 3000)])
    ]);
    expect(caches).toEqual([{ path: '/root/.npm', kind: 'npm', bytes: 3000, files: 1, line: 3, fromBase: false }]);
  });

  test.each<[string, number, boolean]>([
    ['below the threshold', CACHE_MIN_BYTES - 1, false],
    ['at the threshold', CACHE_MIN_BYTES, true]
  ])('a cache folder %s is %s', (_name, bytes, reported) => {
    const caches = cachesOf([layer([file('var/cache/apt/archives/lock', 0), file('var/cache/apt/pkgcache.bin', bytes)])]);
    expect(caches.length).toBe(reported ? 1 : 0);
  });

  test('an empty cache folder is no leftover', () => {
    expect(cachesOf([layer([dir('var/cache/apk'), dir('tmp'), dir('var/lib/apt/lists/partial')])])).toEqual([]);
  });
});
