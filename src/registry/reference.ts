/**
 * Image references and platforms, parsed the way Docker parses them
 * (distribution/reference): `python:3.12` is `registry-1.docker.io` /
 * `library/python` / tag `3.12`; `ghcr.io/owner/app@sha256:...` names its own
 * registry. Pure functions, no I/O.
 */
import { BlockList, isIP } from 'node:net';
import { UserError } from '../errors.js';
import { DIGEST, SHA256_DIGEST } from '../oci.js';

export interface ImageReference {
  /** The registry's host (and port) to speak the HTTP API to: `registry-1.docker.io` for Docker Hub. */
  registry: string;
  /** The repository in that registry: `library/python` for Docker Hub's official images. */
  repository: string;
  /** The tag; `latest` when the reference names neither a tag nor a digest; null with a digest alone. */
  tag: string | null;
  /** `sha256:...` when the reference pins a digest, else null. */
  digest: string | null;
  /** The reference in Docker's familiar form: `python:3.12`, `bitnami/redis:7`, `ghcr.io/o/app:1`. */
  display: string;
}

/** The registry host Docker Hub's API is served from. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
/** Names that all mean Docker Hub in a reference. */
const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const DEFAULT_TAG = 'latest';
const MAX_NAME_LENGTH = 255;

// distribution/reference's grammar.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
/** distribution/reference wants more of a digest than the image spec: at least 32 encoded characters. */
const MIN_DIGEST_ENCODED = 32;

/** Parses an image reference; throws a UserError naming the reference when it is not valid. */
export function parseReference(ref: string): ImageReference {
  const text = ref.trim();
  const invalid = (why: string): UserError => new UserError(`Image reference "${ref}" is not valid: ${why}.`);
  if (text === '') throw invalid('it is empty');

  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const encoded = DIGEST.exec(digest)?.[2];
    if (encoded === undefined || encoded.length < MIN_DIGEST_ENCODED)
      throw invalid(`"${digest}" is not a digest (algorithm:hex, such as sha256:...)`);
    if (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest)) throw invalid('a sha256 digest has 64 lowercase hex digits');
  }

  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`"${tag}" is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }

  // Docker's rule: the first component is a registry when it has a dot or a
  // colon, is `localhost`, or has an uppercase letter; otherwise Docker Hub.
  let registry: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    if (!DOMAIN.test(first)) throw invalid(`"${first}" is not a registry host with an optional port`);
    registry = DOCKER_HUB_NAMES.has(first.toLowerCase()) ? DOCKER_HUB_REGISTRY : first;
    path = rest.slice(slash + 1);
  } else {
    registry = DOCKER_HUB_REGISTRY;
    path = rest;
  }
  if (path === '') throw invalid('it has no repository name');
  if (path !== path.toLowerCase()) throw invalid('repository names must be lowercase');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component))
      throw invalid(`"${component}" is not a repository name part (lowercase letters, digits, separated by . _ __ or -)`);
  }
  const repository = registry === DOCKER_HUB_REGISTRY && !path.includes('/') ? `library/${path}` : path;
  if (repository.length > MAX_NAME_LENGTH) throw invalid(`the repository name is longer than ${MAX_NAME_LENGTH} characters`);
  if (tag === null && digest === null) tag = DEFAULT_TAG;

  return { registry, repository, tag, digest, display: familiar(registry, repository, tag, digest) };
}

/** Like parseReference, but null instead of an error (for references that may hold unresolved `$VAR`s). */
export function tryParseReference(ref: string): ImageReference | null {
  try {
    return parseReference(ref);
  } catch {
    return null;
  }
}

/** The same repository with another tag, in familiar form (any digest is dropped): `withTag('python:3.12', '3.12-slim')` → `python:3.12-slim`. */
export function withTag(ref: string | ImageReference, tag: string): string {
  const parsed = typeof ref === 'string' ? parseReference(ref) : ref;
  if (!TAG.test(tag)) throw new UserError(`"${tag}" is not a valid image tag (for ${parsed.display}).`);
  return familiar(parsed.registry, parsed.repository, tag, null);
}

/** Whether a registry host (with or without port) is on the loopback interface: localhost, 127.0.0.0/8, ::1. Docker speaks plain HTTP to those. */
export function isLoopback(host: string): boolean {
  const hostname = stripPort(host.trim()).toLowerCase();
  if (hostname === 'localhost' || hostname === '::1' || hostname === '0:0:0:0:0:0:0:1') return true;
  return /^127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(hostname);
}

/** IPv4 ranges that are not the public internet: this host, private networks, CGNAT, link-local (cloud metadata), benchmarking, multicast, reserved. */
const INTERNAL_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4]
];
/** The same for IPv6: unspecified, loopback, unique local, link-local, site-local, multicast. */
const INTERNAL_V6: ReadonlyArray<readonly [string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8]
];
const INTERNAL = new BlockList();
for (const [network, prefix] of INTERNAL_V4) INTERNAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of INTERNAL_V6) INTERNAL.addSubnet(network, prefix, 'ipv6');

/**
 * Whether an IP address (v4 or v6, brackets allowed) is loopback, private, link-local or otherwise not on the public
 * internet. An IPv6 address that carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is internal when the
 * IPv4 address it reaches is. Not an IP address: false.
 */
export function isInternalAddress(address: string): boolean {
  const ip = address
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .toLowerCase();
  const version = isIP(ip);
  if (version === 4) return INTERNAL.check(ip, 'ipv4');
  if (version !== 6) return false;
  if (INTERNAL.check(ip, 'ipv6')) return true;
  return embeddedV4(expandV6(ip)).some((v4) => INTERNAL.check(v4, 'ipv4'));
}

function dottedQuad(high: number, low: number): string {
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * The IPv4 addresses an IPv6 address leads to: IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d), NAT64
 * (64:ff9b::/96 and the local-use 64:ff9b:1::/48, the last 32 bits), 6to4 (2002:AABB:CCDD::/48) and Teredo
 * (2001:0::/32: the server, and the client as the inverted last 32 bits).
 */
function embeddedV4(groups: number[]): string[] {
  if (groups.length !== 8) return [];
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const last = dottedQuad(g6, g7);
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    // `::` and `::1` are judged as IPv6 (both internal there).
    return g5 === 0xffff || (g5 === 0 && g6 !== 0) ? [last] : [];
  }
  if (g0 === 0x64 && g1 === 0xff9b) return [last];
  if (g0 === 0x2002) return [dottedQuad(g1, g2)];
  if (g0 === 0x2001 && g1 === 0) return [dottedQuad(g2, g3), dottedQuad(~g6 & 0xffff, ~g7 & 0xffff)];
  return [];
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted IPv4 part becomes two groups). */
function expandV6(ip: string): number[] {
  let text = ip.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const first = head === '' ? [] : head.split(':');
  const last = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - first.length - last.length;
  return [...first, ...Array.from({ length: fill }, () => '0'), ...last].map((group) => parseInt(group, 16));
}

/** Whether a host name means this machine without any DNS: `localhost` and names under `.localhost`. */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.trim().toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function stripPort(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  // A bare IPv6 address has several colons and no port.
  if ((host.match(/:/g) ?? []).length > 1) return host;
  return host.replace(/:\d+$/, '');
}

function familiar(registry: string, repository: string, tag: string | null, digest: string | null): string {
  let name: string;
  if (registry === DOCKER_HUB_REGISTRY) name = repository.startsWith('library/') ? repository.slice('library/'.length) : repository;
  else name = `${registry}/${repository}`;
  return `${name}${tag !== null ? `:${tag}` : ''}${digest !== null ? `@${digest}` : ''}`;
}

export interface Platform {
  os: string;
  architecture: string;
  /** `v8` for arm64 when none is given, `v7` for arm; null where architectures have no variants. */
  variant: string | null;
}

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  i686: '386',
  i386: '386'
};
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

/** Parses `os/arch[/variant]` (`linux/amd64`, `linux/arm64/v8`) into its normalised parts; throws a UserError when malformed. */
export function parsePlatform(platform: string): Platform {
  const parts = platform.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !/^[a-z0-9._-]+$/.test(part))) {
    throw new UserError(`Platform "${platform}" is not of the form os/architecture[/variant], such as linux/amd64 or linux/arm64/v8.`);
  }
  return normalisePlatform(parts[0]!, parts[1]!, parts[2] ?? null);
}

/** The platform with Docker's aliases and default variants applied. */
export function normalisePlatform(os: string, architecture: string, variant: string | null): Platform {
  const arch = ARCH_ALIASES[architecture.toLowerCase()] ?? architecture.toLowerCase();
  const wanted = variant !== null && variant !== '' ? variant.toLowerCase() : (DEFAULT_VARIANT[arch] ?? null);
  return { os: os.toLowerCase(), architecture: arch, variant: wanted };
}

/** Whether an image index entry's platform serves the wanted one (same OS and architecture; same variant where either names one). */
export function platformMatches(wanted: Platform, entry: { os?: unknown; architecture?: unknown; variant?: unknown }): boolean {
  if (typeof entry.os !== 'string' || typeof entry.architecture !== 'string') return false;
  const have = normalisePlatform(entry.os, entry.architecture, typeof entry.variant === 'string' ? entry.variant : null);
  return have.os === wanted.os && have.architecture === wanted.architecture && (have.variant ?? '') === (wanted.variant ?? '');
}
