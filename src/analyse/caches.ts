/**
 * Well-known package-manager and build caches: folders whose contents an image
 * never needs at run time. Paths are the normalised (binary) form layer entries
 * use; a leading `/` is accepted too.
 */
import type { CacheKind } from '../model/report.js';
import { displayPath } from './paths.js';

/**
 * The cache folders. `~` stands for a home folder: `root` or `home/<any user>`;
 * `*` for any one folder name.
 */
export const CACHE_FOLDERS: ReadonlyArray<{ kind: CacheKind; pattern: string }> = [
  { kind: 'apk', pattern: 'var/cache/apk' },
  { kind: 'apt', pattern: 'var/lib/apt/lists' },
  { kind: 'apt', pattern: 'var/cache/apt' },
  { kind: 'yum', pattern: 'var/cache/yum' },
  { kind: 'dnf', pattern: 'var/cache/dnf' },
  { kind: 'pip', pattern: '~/.cache/pip' },
  { kind: 'npm', pattern: '~/.npm' },
  { kind: 'yarn', pattern: 'usr/local/share/.cache/yarn' },
  { kind: 'yarn', pattern: '~/.cache/yarn' },
  { kind: 'yarn', pattern: '~/.yarn/berry/cache' },
  { kind: 'pnpm', pattern: '~/.local/share/pnpm/store' },
  { kind: 'pnpm', pattern: '~/.pnpm-store' },
  { kind: 'pnpm', pattern: '~/.cache/pnpm' },
  { kind: 'go', pattern: '~/.cache/go-build' },
  { kind: 'go', pattern: 'go/pkg/mod' },
  { kind: 'go', pattern: '~/go/pkg/mod' },
  { kind: 'cargo', pattern: 'usr/local/cargo/registry' },
  { kind: 'cargo', pattern: 'usr/local/cargo/git' },
  { kind: 'cargo', pattern: '~/.cargo/registry' },
  { kind: 'cargo', pattern: '~/.cargo/git' },
  { kind: 'maven', pattern: '~/.m2/repository' },
  { kind: 'gradle', pattern: '~/.gradle/caches' },
  { kind: 'tmp', pattern: 'tmp' },
  { kind: 'tmp', pattern: 'var/tmp' }
];

/** Below this many bytes in total a cache folder is not reported (an empty apt lock, a stray pid file in /tmp). */
export const CACHE_MIN_BYTES = 1024;

/** The patterns as folder-name lists, `~` spelled out as `root` and `home/*`. */
const PATTERNS: ReadonlyArray<{ kind: CacheKind; segments: string[] }> = CACHE_FOLDERS.flatMap(({ kind, pattern }) => {
  const segments = pattern.split('/');
  if (segments[0] !== '~') return [{ kind, segments }];
  const rest = segments.slice(1);
  return [
    { kind, segments: ['root', ...rest] },
    { kind, segments: ['home', '*', ...rest] }
  ];
});

/** How many folders down the deepest cache folder lies (`home/<user>/.local/share/pnpm/store`). */
export const MAX_CACHE_DEPTH = Math.max(...PATTERNS.map((pattern) => pattern.segments.length));

const FIRST_SEGMENTS = new Set(PATTERNS.map((pattern) => pattern.segments[0]!));

/**
 * The cache a path lies in (or is): its kind and the cache folder for display
 * (`/home/app/.cache/pip`); null for a path outside every known cache.
 */
export function cacheOf(path: string): { kind: CacheKind; root: string } | null {
  const trimmed = path.replace(/^\/+/, '');
  const slash = trimmed.indexOf('/');
  if (!FIRST_SEGMENTS.has(slash === -1 ? trimmed : trimmed.slice(0, slash))) return null;
  const segments = trimmed.split('/');
  for (const pattern of PATTERNS) {
    if (segments.length < pattern.segments.length) continue;
    if (pattern.segments.every((segment, at) => segment === '*' || segment === segments[at])) {
      return { kind: pattern.kind, root: displayPath(segments.slice(0, pattern.segments.length).join('/')) };
    }
  }
  return null;
}
