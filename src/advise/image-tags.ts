/**
 * Image tags taken apart and put together again: `3.12-slim-bookworm` is
 * version 3.12, slim, on bookworm; the Java or .NET version a toolchain tag
 * names; and images named next to a base, in its registry and namespace.
 */
import { withTag, type ImageReference } from '../registry/reference.js';

const DISTROS = new Set([
  'trixie',
  'bookworm',
  'bullseye',
  'buster',
  'stretch',
  'jessie',
  'noble',
  'jammy',
  'focal',
  'bionic',
  'xenial',
  'ubi8',
  'ubi9',
  'centos7',
  'al2',
  'al2023'
]);
/** Tag parts that pick a flavour of the same version: JDK or JRE, PHP's SAPIs. */
const FLAVOURS = new Set(['jdk', 'jre', 'cli', 'fpm', 'apache', 'zts']);
const ALPINE_TOKEN = /^alpine(?:\d+(?:\.\d+)*)?$/;

/** A tag taken apart: `3.12-slim-bookworm` → version 3.12, slim, distro bookworm. */
export interface TagParts {
  /** The leading version parts (`3.12`, `20`, `lts`, `1.16.2-otp-26`); empty for `latest` or a tag that starts with a flavour. */
  version: string[];
  flavour: string[];
  slim: boolean;
  alpine: boolean;
  /** Distribution parts and what follows them (`bookworm`, `ubi9-minimal`). */
  distro: string[];
  windows: boolean;
}

export function tagParts(tag: string): TagParts {
  const parts: TagParts = { version: [], flavour: [], slim: false, alpine: false, distro: [], windows: false };
  let inVersion = true;
  for (const token of tag.toLowerCase().split('-')) {
    if (token === '') continue;
    if (token === 'latest') {
      inVersion = false;
    } else if (token === 'slim') {
      parts.slim = true;
      inVersion = false;
    } else if (ALPINE_TOKEN.test(token)) {
      parts.alpine = true;
      inVersion = false;
    } else if (token.startsWith('windowsservercore') || token.startsWith('nanoserver')) {
      parts.windows = true;
      inVersion = false;
    } else if (FLAVOURS.has(token)) {
      parts.flavour.push(token);
      inVersion = false;
    } else if (DISTROS.has(token) || !inVersion) {
      parts.distro.push(token);
      inVersion = false;
    } else {
      parts.version.push(token);
    }
  }
  return parts;
}

export function joinTag(...parts: string[][]): string {
  return parts.flat().join('-');
}

/** The same registry and namespace with another repository name: `127.0.0.1:5000/library/maven` → `127.0.0.1:5000/library/eclipse-temurin:21-jre`. */
export function siblingImage(ref: ImageReference, name: string, tag: string): string {
  const slash = ref.repository.lastIndexOf('/');
  const repository = slash === -1 ? name : `${ref.repository.slice(0, slash)}/${name}`;
  return withTag(`${ref.registry}/${repository}`, tag);
}

/** The Java version in a maven or gradle tag: `3.9-eclipse-temurin-21` → 21, `8.7-jdk17-alpine` → 17. */
export function javaVersion(tag: string): string | null {
  const match = /(?:temurin|openjdk|corretto|jdk|sapmachine|graalvm|zulu|semeru|liberica)-?(\d+)/.exec(tag);
  return match === null ? null : match[1]!;
}

/** The .NET version of an SDK tag: `8.0`, `8.0-alpine` → 8.0. */
export function dotnetVersion(parts: TagParts): string | null {
  const version = parts.version[0];
  if (version === undefined) return null;
  const match = /^(\d+\.\d+)/.exec(version);
  return match === null ? null : match[1]!;
}
