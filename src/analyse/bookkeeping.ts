/**
 * Package-manager bookkeeping: the files apt/dpkg, apk and rpm/yum/dnf (and the
 * tools their package scripts run) rewrite on every install, whatever is
 * installed. Each install ships a new copy and hides the old one, so in an
 * image whose layers cannot be told apart (no Dockerfile) these copies are not
 * avoidable waste: no Dockerfile change removes them. Pure.
 */

/** Normalised paths (no leading slash) of bookkeeping files, and folders whose whole contents are. */
const BOOKKEEPING = [
  // dpkg and apt: the package database, maintainer scripts' lists, debconf answers, auto-installed marks.
  'var/lib/dpkg',
  'var/cache/debconf',
  'var/lib/apt/extended_states',
  'var/lib/ucf',
  'var/log/dpkg.log',
  'var/log/apt',
  'var/log/alternatives.log',
  // apk
  'lib/apk/db',
  'etc/apk/world',
  // rpm, yum, dnf (rpm's database moved to /usr/lib/sysimage/rpm in newer releases)
  'var/lib/rpm',
  'usr/lib/sysimage/rpm',
  'var/lib/dnf',
  'var/lib/yum',
  'var/log/yum.log',
  'var/log/dnf.log',
  'var/log/dnf.librepo.log',
  'var/log/dnf.rpm.log',
  'var/log/hawkey.log',
  // ldconfig, run by every package that ships a library
  'etc/ld.so.cache',
  'var/cache/ldconfig',
  // the account files package scripts add system users to, with the copies shadow's tools keep
  'etc/passwd',
  'etc/passwd-',
  'etc/group',
  'etc/group-',
  'etc/shadow',
  'etc/shadow-',
  'etc/gshadow',
  'etc/gshadow-',
  'var/log/lastlog',
  'var/log/faillog'
];

/**
 * Where a normalised path lies: `inside` a bookkeeping file or folder, `above` one (a folder that holds
 * some: its files must be looked at one by one), or `outside`.
 */
export type BookkeepingArea = 'inside' | 'above' | 'outside';

export function bookkeepingArea(path: string): BookkeepingArea {
  if (path === '') return 'above';
  let above = false;
  for (const entry of BOOKKEEPING) {
    if (path === entry || path.startsWith(`${entry}/`)) return 'inside';
    if (entry.startsWith(`${path}/`)) above = true;
  }
  return above ? 'above' : 'outside';
}
