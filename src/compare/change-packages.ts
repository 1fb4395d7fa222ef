/**
 * The change "by package": the installed packages of the two images compared by
 * manager and name. A package installed several times (npm copies in nested
 * node_modules, a Python distribution in two site-packages) counts as one with
 * all its versions and bytes. Pure.
 */
import type { InstalledPackage, PackageChange, PackageChangeKind } from '../model/change.js';
import { compareVersions } from './versions.js';

interface Installed {
  manager: InstalledPackage['manager'];
  name: string;
  versions: string[];
  bytes: number;
}

function byPackage(packages: readonly InstalledPackage[]): Map<string, Installed> {
  const found = new Map<string, Installed>();
  for (const item of packages) {
    const key = `${item.manager}\u0000${item.name}`;
    const known = found.get(key);
    if (known === undefined) found.set(key, { manager: item.manager, name: item.name, versions: [item.version], bytes: item.bytes });
    else {
      if (!known.versions.includes(item.version)) known.versions.push(item.version);
      known.bytes += item.bytes;
    }
  }
  for (const item of found.values()) item.versions.sort(compareVersions);
  return found;
}

function kindOf(before: Installed | undefined, after: Installed | undefined): PackageChangeKind | null {
  if (before === undefined) return 'added';
  if (after === undefined) return 'removed';
  const [old, now] = [before.versions.join(', '), after.versions.join(', ')];
  if (old === now) return before.bytes === after.bytes ? null : 'resized';
  if (before.versions.length !== 1 || after.versions.length !== 1) return 'changed';
  const order = compareVersions(now, old);
  return order > 0 ? 'upgraded' : order < 0 ? 'downgraded' : 'changed';
}

/** Packages added, removed, up- or downgraded or resized, largest change first, then by manager and name. */
export function packageChanges(head: readonly InstalledPackage[], base: readonly InstalledPackage[]): PackageChange[] {
  const after = byPackage(head);
  const before = byPackage(base);
  const changes: PackageChange[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const [old, now] = [before.get(key), after.get(key)];
    const kind = kindOf(old, now);
    if (kind === null) continue;
    const some = (now ?? old)!;
    changes.push({
      manager: some.manager,
      name: some.name,
      kind,
      before: old === undefined ? null : old.versions.join(', '),
      after: now === undefined ? null : now.versions.join(', '),
      baseBytes: old?.bytes ?? 0,
      headBytes: now?.bytes ?? 0,
      deltaBytes: (now?.bytes ?? 0) - (old?.bytes ?? 0)
    });
  }
  return changes.sort(
    (a, b) =>
      Math.abs(b.deltaBytes) - Math.abs(a.deltaBytes) ||
      (a.manager < b.manager ? -1 : a.manager > b.manager ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}
