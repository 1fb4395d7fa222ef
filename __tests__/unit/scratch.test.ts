import { describe, expect, test } from '@jest/globals';
import { FinalFiles } from '../../src/analyse/final-files.js';
import { DISTROLESS_BASE, DISTROLESS_CC, distrolessCandidate, distrolessFor, scratchFinding, type RuntimeFacts } from '../../src/advise/scratch.js';
import { suggestBases } from '../../src/advise/suggest.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import type { LayerReport } from '../../src/model/report.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { formatBytes } from '../../src/units.js';
import { entrypointFacts } from '../support/report-fixtures.js';

const MINUS = '\u2212';

/** The blog post's Dockerfile: a static Go binary added to debian:8. */
const BLOG = 'FROM debian:8\nADD main /\nCMD ["/main"]\n';

function layer(
  index: number,
  fromBase: boolean | null,
  instruction: string | null,
  bytes: number,
  compressedBytes: number | null = null
): LayerReport {
  const line = instruction === null ? null : index + 1;
  return { index, fromBase, instruction, line, stage: fromBase ? null : '#0', bytes, compressedBytes, files: 1 };
}

const entrypoint = entrypointFacts;

const BASE_BYTES = 129_468_416;
const BASE_COMPRESSED = 51_371_284;

function facts(overrides: Partial<RuntimeFacts> = {}, files: Array<[string, number]> = [['main', 11_000_000]]): RuntimeFacts {
  return {
    entrypoint: entrypoint({}),
    layers: [layer(0, true, null, BASE_BYTES, BASE_COMPRESSED), layer(1, false, 'ADD main /', 11_000_000, 4_000_000)],
    files: FinalFiles.of(files),
    ...overrides
  };
}

describe('scratchFinding: a static binary on a distro base', () => {
  test("the blog post's Go image: scratch saves exactly the base image's layers in it", () => {
    const finding = scratchFinding(parseDockerfile(BLOG), facts());
    expect(finding).toMatchObject({
      rule: 'base-scratch',
      line: 1,
      severity: 'warning',
      savingsBytes: BASE_BYTES,
      savingsMetric: 'uncompressed',
      measured: true
    });
    expect(finding!.message).toBe(
      `debian:8 \u2192 scratch: ${MINUS}${formatBytes(BASE_BYTES)}, measured: the 1 layer of debian:8 in this image ` +
        `(${formatBytes(BASE_BYTES)}, ${formatBytes(BASE_COMPRESSED)} compressed). /main is a static binary (no loader, no shared libraries): it runs on scratch.`
    );
    expect(finding!.fix).toBe('Change line 1 to `FROM scratch`, as sketched below.\nFROM scratch\nADD main /\nCMD ["/main"]');
  });

  test('CA certificates, time zones and the users of a named USER are named, copied in, and their bytes taken off', () => {
    const files: Array<[string, number]> = [
      ['main', 11_000_000],
      ['etc/ssl/certs/ca-certificates.crt', 213_777],
      ['usr/share/zoneinfo/UTC', 118],
      ['usr/share/zoneinfo/Europe/Paris', 2_962],
      ['etc/passwd', 922],
      ['etc/group', 446]
    ];
    const finding = scratchFinding(parseDockerfile(BLOG.replace('CMD', 'USER app\nCMD')), facts({ entrypoint: entrypoint({ user: 'app' }) }, files));
    const copied = 213_777 + 118 + 2_962 + 922 + 446;
    expect(finding!.savingsBytes).toBe(BASE_BYTES - copied);
    expect(finding!.message).toContain(`less ${formatBytes(copied)} of CA certificates, time zones and the user app copied in`);
    expect(finding!.fix.split('\n').slice(1)).toEqual([
      'FROM debian:8 AS base',
      'FROM scratch',
      'COPY --from=base /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt',
      'COPY --from=base /usr/share/zoneinfo /usr/share/zoneinfo',
      'COPY --from=base /etc/passwd /etc/passwd',
      'COPY --from=base /etc/group /etc/group',
      'ADD main /',
      'USER app',
      'CMD ["/main"]'
    ]);
    expect(finding!.fix).toContain('gcr.io/distroless/static-debian12');
  });

  test('a numeric USER needs no passwd', () => {
    const finding = scratchFinding(parseDockerfile(BLOG), facts({ entrypoint: entrypoint({ user: '65532:65532' }) }, [['etc/passwd', 900]]));
    expect(finding!.savingsBytes).toBe(BASE_BYTES);
  });

  test('a small RUN is left out with a caveat; RUNs adding more than a little keep the distro', () => {
    const text = 'FROM debian:8\nADD main /\nRUN chmod +x /main\nCMD ["/main"]\n';
    const small = facts({ layers: [...facts().layers, layer(2, false, 'RUN chmod +x /main', 11_000)] });
    expect(scratchFinding(parseDockerfile(text), small)!.fix).toContain('Caveat: scratch has no shell: the RUN at line 3 cannot run there');
    const big = facts({ layers: [...facts().layers, layer(2, false, 'RUN apt-get install -y ffmpeg', 90_000_000)] });
    expect(scratchFinding(parseDockerfile(text.replace('chmod +x /main', 'apt-get install -y ffmpeg')), big)).toBeNull();
  });

  test('a binary built in the final stage: a multi-stage build on scratch saves all but the binary', () => {
    const text = 'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /app .\nENTRYPOINT ["/app"]\n';
    const layers = [
      layer(0, true, null, 800_000_000, 300_000_000),
      layer(1, false, 'COPY . .', 50_000),
      layer(2, false, 'RUN CGO_ENABLED=0 go build -o /app .', 120_000_000)
    ];
    layers[2] = { ...layers[2]!, line: 4 };
    const finding = scratchFinding(parseDockerfile(text), {
      entrypoint: entrypoint({ path: '/app', bytes: 9_000_000, layer: 2 }),
      layers,
      files: FinalFiles.of([['etc/ssl/certs/ca-certificates.crt', 200_000]])
    });
    expect(finding).toMatchObject({ rule: 'base-scratch', line: 4, savingsBytes: 800_000_000 + 50_000 + 120_000_000 - 9_000_000 - 200_000 });
    expect(finding!.message).toMatch(/^golang:1\.22 → a multi-stage build on scratch: .*everything in this image but \/app/);
    expect(finding!.fix.split('\n').slice(1)).toEqual([
      'FROM golang:1.22 AS build   # line 1, named',
      '# … the build as it is …',
      'FROM scratch',
      'COPY --from=build /app /app',
      'COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt',
      'WORKDIR /src',
      'ENTRYPOINT ["/app"]'
    ]);
  });

  test.each<[string, RuntimeFacts]>([
    ['a dynamic binary', facts({ entrypoint: entrypoint({ kind: 'dynamic', interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6'] }) })],
    ['a script', facts({ entrypoint: entrypoint({ kind: 'script', interpreter: '/bin/sh', needed: null }) })],
    ['a binary of the base image', facts({ entrypoint: entrypoint({ layer: 0 }) })],
    ['layers of unknown origin', facts({ layers: [layer(0, null, null, BASE_BYTES), layer(1, null, null, 11_000_000)] })],
    ['no final files', facts({ files: null })]
  ])('no scratch for %s', (_label, input) => {
    expect(scratchFinding(parseDockerfile(BLOG), input)).toBeNull();
  });

  test.each(['FROM scratch\nADD main /\nCMD ["/main"]\n', 'FROM debian:8 AS one\nFROM one\nADD main /\nCMD ["/main"]\n'])(
    'no suggestion for %j (already scratch, or a chain of stages)',
    (text) => {
      expect(scratchFinding(parseDockerfile(text), facts())).toBeNull();
    }
  );
});

describe('a dynamic binary: its libraries named, distroless when they fit, never scratch', () => {
  const glibc = (needed: string[]) => entrypoint({ kind: 'dynamic', interpreter: '/lib64/ld-linux-x86-64.so.2', needed });

  test.each<[string[], string | null]>([
    [['libc.so.6'], DISTROLESS_BASE],
    [['libpthread.so.0', 'libm.so.6', 'libc.so.6', 'libssl.so.3'], DISTROLESS_BASE],
    [['libstdc++.so.6', 'libgcc_s.so.1', 'libc.so.6'], DISTROLESS_CC],
    [['libpq.so.5', 'libc.so.6'], null]
  ])('%j → %s', (needed, image) => {
    expect(distrolessFor(glibc(needed))).toBe(image);
  });

  test('a musl binary does not fit the glibc distroless images', () => {
    expect(distrolessFor(entrypoint({ kind: 'dynamic', interpreter: '/lib/ld-musl-x86_64.so.1', needed: ['libc.musl-x86_64.so.1'] }))).toBeNull();
  });

  test('the candidate names the libraries', () => {
    const candidate = distrolessCandidate(parseDockerfile(BLOG), facts({ entrypoint: glibc(['libm.so.6', 'libc.so.6']) }));
    expect(candidate).toMatchObject({ rule: 'base-distroless', image: DISTROLESS_BASE, needsLookup: true });
    expect(candidate!.why).toBe(
      `/main is a dynamic binary that needs libm.so.6 and libc.so.6 (read from its headers), which ${DISTROLESS_BASE} has; it cannot run on scratch`
    );
  });

  test('suggestBases: a measured dynamic binary turns a toolchain\u2019s scratch into distroless; a measured scratch replaces the estimate', async () => {
    const registry: RegistryClient = {
      exists: async (ref) => ['golang:1.22', DISTROLESS_BASE, 'golang:1.22-alpine'].includes(ref),
      compressedSize: async (ref) => ({ 'golang:1.22': 300_000_000, [DISTROLESS_BASE]: 20_000_000, 'golang:1.22-alpine': 80_000_000 })[ref] ?? null,
      manifestDigest: async () => null
    };
    const text = 'FROM golang:1.22-alpine\nRUN go build -o /app .\nENTRYPOINT ["/app"]\n'.replace('-alpine', '');
    const dockerfile = parseDockerfile(`${text.trimEnd()}\nENV CGO_ENABLED=0\n`);
    const options = { dockerfile, registry, platform: 'linux/amd64', ignore: [] };
    const predicted = await suggestBases(options);
    expect(predicted.map((finding) => finding.fix)).toEqual(expect.arrayContaining([expect.stringContaining('FROM scratch')]));

    const dynamic = { entrypoint: glibc(['libc.so.6']), layers: [], files: null };
    const measured = await suggestBases({ ...options, runtime: dynamic });
    expect(measured.some((finding) => /FROM scratch/.test(finding.fix))).toBe(false);
    expect(measured.some((finding) => finding.rule === 'base-distroless' && finding.fix.includes(`FROM ${DISTROLESS_BASE}`))).toBe(true);

    const replaced = await suggestBases({ ...options, runtime: { ...dynamic, entrypoint: entrypoint({}) }, measuredScratch: true });
    expect(replaced.some((finding) => /FROM scratch/.test(finding.fix))).toBe(false);
  });
});
