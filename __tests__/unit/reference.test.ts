import { describe, expect, test } from '@jest/globals';
import { layerBytes, parseBearerChallenge, selectPlatform } from '../../src/registry/client.js';
import { UserError } from '../../src/errors.js';
import {
  isInternalAddress,
  isLocalhostName,
  isLoopback,
  parsePlatform,
  parseReference,
  platformMatches,
  tryParseReference,
  withTag
} from '../../src/registry/reference.js';

const HUB = 'registry-1.docker.io';
const DIGEST = `sha256:${'a1'.repeat(32)}`;

describe('parseReference', () => {
  test.each([
    ['python:3.12', HUB, 'library/python', '3.12', null, 'python:3.12'],
    ['python', HUB, 'library/python', 'latest', null, 'python:latest'],
    ['  node:22-slim  ', HUB, 'library/node', '22-slim', null, 'node:22-slim'],
    ['docker.io/python:3.12', HUB, 'library/python', '3.12', null, 'python:3.12'],
    ['docker.io/library/python:3.12', HUB, 'library/python', '3.12', null, 'python:3.12'],
    ['index.docker.io/library/ruby:3', HUB, 'library/ruby', '3', null, 'ruby:3'],
    ['bitnami/redis:7.2', HUB, 'bitnami/redis', '7.2', null, 'bitnami/redis:7.2'],
    ['eclipse-temurin:21-jre', HUB, 'library/eclipse-temurin', '21-jre', null, 'eclipse-temurin:21-jre'],
    ['gcr.io/distroless/static', 'gcr.io', 'distroless/static', 'latest', null, 'gcr.io/distroless/static:latest'],
    [
      'gcr.io/distroless/static-debian12:nonroot',
      'gcr.io',
      'distroless/static-debian12',
      'nonroot',
      null,
      'gcr.io/distroless/static-debian12:nonroot'
    ],
    ['ghcr.io/owner/app/sub:v1.2.3', 'ghcr.io', 'owner/app/sub', 'v1.2.3', null, 'ghcr.io/owner/app/sub:v1.2.3'],
    ['127.0.0.1:5000/library/python:3.12', '127.0.0.1:5000', 'library/python', '3.12', null, '127.0.0.1:5000/library/python:3.12'],
    ['localhost/app', 'localhost', 'app', 'latest', null, 'localhost/app:latest'],
    ['localhost:5000/app:1', 'localhost:5000', 'app', '1', null, 'localhost:5000/app:1'],
    ['[::1]:5000/app:1', '[::1]:5000', 'app', '1', null, '[::1]:5000/app:1'],
    ['Registry/app:1', 'Registry', 'app', '1', null, 'Registry/app:1'],
    [`python@${DIGEST}`, HUB, 'library/python', null, DIGEST, `python@${DIGEST}`],
    [`python:3.12@${DIGEST}`, HUB, 'library/python', '3.12', DIGEST, `python:3.12@${DIGEST}`],
    [`127.0.0.1:5000/a/b@${DIGEST}`, '127.0.0.1:5000', 'a/b', null, DIGEST, `127.0.0.1:5000/a/b@${DIGEST}`],
    ['my_org/my__app-x:TAG_1.0-rc', HUB, 'my_org/my__app-x', 'TAG_1.0-rc', null, 'my_org/my__app-x:TAG_1.0-rc']
  ])('%s', (ref, registry, repository, tag, digest, display) => {
    expect(parseReference(ref)).toEqual({ registry, repository, tag, digest, display });
  });

  test.each([
    ['', 'empty'],
    ['Python:3.12', 'lowercase'],
    ['library/Python', 'lowercase'],
    ['python:', 'is not a tag'],
    ['python:-x', 'is not a tag'],
    [`python:${'a'.repeat(129)}`, 'is not a tag'],
    ['python@sha256:abc', 'is not a digest'],
    [`python@sha256:${'A1'.repeat(32)}`, 'sha256 digest has 64 lowercase hex digits'],
    ['python@nodigest', 'is not a digest'],
    ['my-.app', 'is not a repository name part'],
    ['a//b', 'is not a repository name part'],
    ['ghcr.io/', 'no repository name'],
    ['$base:1', 'is not a repository name part'],
    ['${BASE}', 'lowercase'],
    ['bad_host.io/app', 'is not a registry host']
  ])('rejects %j (%s)', (ref, why) => {
    expect(() => parseReference(ref)).toThrow(UserError);
    expect(() => parseReference(ref)).toThrow(why);
    expect(tryParseReference(ref)).toBeNull();
  });

  test('the error names the reference', () => {
    expect(() => parseReference('Python:3')).toThrow('Image reference "Python:3" is not valid: repository names must be lowercase.');
  });
});

describe('withTag', () => {
  test.each([
    ['python:3.12', '3.12-slim', 'python:3.12-slim'],
    ['python', '3-alpine', 'python:3-alpine'],
    ['docker.io/library/node:22', '22-alpine', 'node:22-alpine'],
    [`python:3.12@${DIGEST}`, '3.12-slim', 'python:3.12-slim'],
    ['127.0.0.1:5000/library/python:3.12', '3.12-alpine', '127.0.0.1:5000/library/python:3.12-alpine'],
    ['gcr.io/distroless/static', 'nonroot', 'gcr.io/distroless/static:nonroot']
  ])('%s + %s → %s', (ref, tag, expected) => {
    expect(withTag(ref, tag)).toBe(expected);
  });

  test('accepts a parsed reference and checks the tag', () => {
    expect(withTag(parseReference('ruby:3.3'), '3.3-slim')).toBe('ruby:3.3-slim');
    expect(() => withTag('ruby:3.3', 'no/slash')).toThrow(UserError);
  });
});

describe('isLoopback', () => {
  test.each([
    ['localhost', true],
    ['LOCALHOST:5000', true],
    ['127.0.0.1', true],
    ['127.0.0.1:5000', true],
    ['127.255.3.9:80', true],
    ['::1', true],
    ['[::1]:5000', true],
    ['[::1]', true],
    ['128.0.0.1', false],
    ['127.0.0.256', false],
    ['127.0.0', false],
    ['10.0.0.1:5000', false],
    ['localhost.example.com', false],
    ['127.0.0.1.nip.io', false],
    ['registry-1.docker.io', false],
    ['ghcr.io', false],
    ['[::2]:5000', false]
  ])('%s → %s', (host, expected) => {
    expect(isLoopback(host)).toBe(expected);
  });
});

describe('isInternalAddress', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.9.8.7', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['::1', true],
    ['[::1]', true],
    ['::', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['fd12:3456::1', true],
    ['ff02::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:169.254.169.254', true],
    ['::127.0.0.1', true],
    ['64:ff9b::127.0.0.1', true],
    ['64:ff9b::a9fe:a9fe', true],
    ['64:ff9b:1::a00:1', true],
    ['64:ff9b::808:808', false],
    ['2002:7f00:1::', true],
    ['2002:a9fe:a9fe::1', true],
    ['2002:808:808::1', false],
    ['2001:0:808:808:0:0:80ff:fffe', true],
    ['2001:0:a00:1:0:0:f7f7:f7f7', true],
    ['2001:0:808:808:0:0:f7f7:f7f7', false],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
    ['192.169.0.1', false],
    ['100.128.0.1', false],
    ['2606:4700:4700::1111', false],
    ['::ffff:8.8.8.8', false],
    ['registry.example.com', false],
    ['localhost', false]
  ])('%s → %s', (address, expected) => {
    expect(isInternalAddress(address)).toBe(expected);
  });

  test('localhost names', () => {
    expect(['localhost', 'LOCALHOST', 'localhost.', 'a.b.localhost'].every(isLocalhostName)).toBe(true);
    expect(['localhost.example.com', 'mylocalhost', '127.0.0.1'].some(isLocalhostName)).toBe(false);
  });
});

describe('platforms', () => {
  test.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64', variant: null }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64', variant: null }],
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux/arm/v6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/arm', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['Windows/AMD64', { os: 'windows', architecture: 'amd64', variant: null }]
  ])('parsePlatform(%s)', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
  });

  test.each(['linux', 'linux/', 'linux/amd64/v1/x', '', 'linux/am d64'])('parsePlatform rejects %j', (text) => {
    expect(() => parsePlatform(text)).toThrow(UserError);
  });

  test.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }, true],
    ['linux/amd64', { os: 'linux', architecture: 'arm64' }, false],
    ['linux/amd64', { os: 'windows', architecture: 'amd64' }, false],
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64' }, true],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm', variant: 'v6' }, false],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm' }, true],
    ['linux/amd64', { os: 'unknown', architecture: 'unknown' }, false],
    ['linux/amd64', {}, false]
  ])('%s matches %j: %s', (wanted, entry, expected) => {
    expect(platformMatches(parsePlatform(wanted), entry)).toBe(expected);
  });
});

describe('parseBearerChallenge', () => {
  test.each([
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"',
      { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/python:pull', error: null }
    ],
    [
      'bearer realm="http://127.0.0.1:9/token", service="test-registry"',
      { realm: 'http://127.0.0.1:9/token', service: 'test-registry', scope: null, error: null }
    ],
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull",error="insufficient_scope"',
      { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull', error: 'insufficient_scope' }
    ],
    ['Bearer realm=https://r.example/token,service=r', { realm: 'https://r.example/token', service: 'r', scope: null, error: null }],
    ['Bearer realm="https://r.example/t\\"x"', { realm: 'https://r.example/t"x', service: null, scope: null, error: null }]
  ])('%s', (header, expected) => {
    expect(parseBearerChallenge(header)).toEqual(expected);
  });

  test.each([null, '', 'Basic realm="Registry Realm"', 'Bearer service="x"', 'Bearer realm=""'])('no bearer challenge in %j', (header) => {
    expect(parseBearerChallenge(header)).toBeNull();
  });
});

describe('selectPlatform and layerBytes', () => {
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:amd', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: 'sha256:arm7',
        size: 1,
        platform: { os: 'linux', architecture: 'arm', variant: 'v7' }
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: 'sha256:arm64',
        size: 1,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }
      },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:att', size: 1, platform: { os: 'unknown', architecture: 'unknown' } }
    ]
  };

  test.each([
    ['linux/amd64', 'sha256:amd'],
    ['linux/arm64', 'sha256:arm64'],
    ['linux/arm64/v8', 'sha256:arm64'],
    ['linux/arm/v7', 'sha256:arm7'],
    ['linux/arm/v6', null],
    ['linux/s390x', null]
  ])('%s → %s', (platform, digest) => {
    expect(selectPlatform(index, parsePlatform(platform))?.digest ?? null).toBe(digest);
  });

  test('no manifests list → null', () => {
    expect(selectPlatform({ layers: [] }, parsePlatform('linux/amd64'))).toBeNull();
    expect(selectPlatform(null, parsePlatform('linux/amd64'))).toBeNull();
  });

  test.each([
    [{ layers: [{ size: 10 }, { size: 32 }], config: { size: 999 } }, 42],
    [{ layers: [] }, 0],
    [{ layers: [{ size: -1 }] }, null],
    [{ layers: [{ size: 1.5 }] }, null],
    [{ layers: [{}] }, null],
    [{ manifests: [] }, null],
    [null, null]
  ])('layerBytes(%j) = %s (the config blob is not counted)', (manifest, bytes) => {
    expect(layerBytes(manifest)).toBe(bytes);
  });
});
