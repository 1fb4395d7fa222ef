import { orderFindings } from '../../src/advise/advise.js';
import { judge, totals } from '../../src/gate/verdict.js';
import { limitsOf } from '../../src/limits/index.js';
import type { ChangeRecord, LineChange, PackageChange, PathChange } from '../../src/model/change.js';
import {
  isFailing,
  type Entrypoint,
  type Finding,
  type ImageReport,
  type LayerReport,
  type LeftoverCache,
  type Report,
  type Waste,
  type WastedPath
} from '../../src/model/report.js';

const MB = 1e6;

/**
 * The anatomy of a 100 MB image (40 MB compressed): a base image of two layers,
 * then `RUN apt-get update && apt-get install …` at line 4 that leaves its
 * package lists behind, a build tree unpacked to /tmp/build at line 7, the app
 * copied at line 8 (replacing a tool line 7 installed), and `RUN rm -rf /tmp/build`
 * at line 9, which hides the build tree of line 7 but cannot take it out of the image.
 */
export function sampleLayers(): LayerReport[] {
  return [
    {
      index: 0,
      fromBase: true,
      instruction: 'ADD file:4f1c9a0e2b7d in /',
      line: null,
      stage: null,
      bytes: 28 * MB,
      compressedBytes: 11 * MB,
      files: 1480
    },
    {
      index: 1,
      fromBase: true,
      instruction: 'RUN set -eux; apt-get update; rm -rf /var/lib/apt/lists/*',
      line: null,
      stage: null,
      bytes: 2 * MB,
      compressedBytes: 1 * MB,
      files: 35
    },
    {
      index: 2,
      fromBase: false,
      instruction: 'RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates build-essential',
      line: 4,
      stage: '#0',
      bytes: 45 * MB,
      compressedBytes: 17 * MB,
      files: 2100
    },
    {
      index: 3,
      fromBase: false,
      instruction: 'RUN mkdir -p /tmp/build && curl -fsSL https://example.test/toolchain.tar.gz | tar -xz -C /tmp/build',
      line: 7,
      stage: '#0',
      bytes: 20 * MB,
      compressedBytes: 9 * MB,
      files: 310
    },
    { index: 4, fromBase: false, instruction: 'COPY . /app', line: 8, stage: null, bytes: 5 * MB, compressedBytes: 2 * MB, files: 64 },
    { index: 5, fromBase: false, instruction: 'RUN rm -rf /tmp/build', line: 9, stage: null, bytes: 0, compressedBytes: 0, files: 0 }
  ];
}

function wastedPath(path: string, bytes: number, overrides: Partial<WastedPath> = {}): WastedPath {
  return { path, files: 1, bytes, addedAtLine: 7, removedAtLine: 9, addedInLayer: 3, removedInLayer: 5, inBase: false, ...overrides };
}

/** The build tree of line 7, deleted as a whole at line 9; a tool it installed, replaced by the `COPY` at line 8; a base-image leftover. */
export function sampleWaste(): Waste {
  return {
    bytes: 20 * MB,
    baseBytes: 0.12 * MB,
    paths: [
      wastedPath('/tmp/build', 19.5 * MB, { files: 309 }),
      wastedPath('/usr/local/bin/tool', 0.5 * MB, { removedAtLine: 8, removedInLayer: 4 }),
      wastedPath('/var/cache/debconf/templates.dat', 0.12 * MB, {
        addedAtLine: null,
        removedAtLine: null,
        addedInLayer: 0,
        removedInLayer: 1,
        inBase: true
      })
    ]
  };
}

export function sampleCaches(): LeftoverCache[] {
  return [{ path: '/var/lib/apt/lists', kind: 'apt', bytes: 18.4 * MB, files: 42, line: 4, fromBase: false }];
}

/** A finding with the fields a test is not about filled in. */
export function finding(overrides: Partial<Finding> & { rule: string }): Finding {
  return {
    line: null,
    severity: 'warning',
    message: `${overrides.rule} fired`,
    fix: 'Fix it.',
    savingsBytes: null,
    savingsMetric: null,
    measured: false,
    patch: null,
    verification: null,
    ...overrides
  };
}

/**
 * Advice on the sample image, in the producer's order (measured savings first):
 * a slim base measured in the registry, the apt lists that line 4 leaves
 * (measured in the image's layers: the sample's leftover cache), and two `RUN`s
 * worth joining, with no figure.
 */
export function sampleFindings(): Finding[] {
  return [
    finding({
      rule: 'base-slim',
      line: 1,
      severity: 'notice',
      message: 'python:3.12 → python:3.12-slim: the slim variant of the same version leaves out compilers, headers and docs',
      fix:
        'Build in python:3.12 and run in python:3.12-slim:\n' +
        'FROM python:3.12 AS build\n' +
        'RUN pip install --no-cache-dir --prefix=/install -r requirements.txt\n' +
        'FROM python:3.12-slim\n' +
        'COPY --from=build /install /usr/local',
      savingsBytes: 612 * MB,
      savingsMetric: 'compressed',
      measured: true
    }),
    finding({
      rule: 'apt-lists-left',
      line: 4,
      severity: 'warning',
      message: '`apt-get update` leaves the package lists in /var/lib/apt/lists, which ship in the layer',
      fix: 'End the same RUN with `rm -rf /var/lib/apt/lists/*`.',
      savingsBytes: 18.4 * MB,
      savingsMetric: 'uncompressed',
      measured: true
    }),
    finding({
      rule: 'join-runs',
      line: 7,
      severity: 'notice',
      message: 'The RUNs at lines 7 and 9 could be one: the files line 7 makes and line 9 deletes would never reach a layer',
      fix: 'Join them with `&&` into one RUN.'
    })
  ];
}

/**
 * An image that is within its 250 MB budget and grew 1.2 MB, with the sample
 * anatomy; an image without a size has no anatomy. Override what a test is about.
 * Status and reasons are as given; the breaches are the gate's for the figures
 * and limits (unless given), and the findings are in the advise stage's order.
 */
export function imageReport(overrides: Partial<ImageReport> & { name: string }): ImageReport {
  const image = rawImageReport(overrides);
  const breaches = overrides.breaches ?? judge({ ...image, limits: limitsOf(image.comparison === 'removed' ? null : image) }).breaches;
  return { ...image, findings: orderFindings(image.findings), breaches };
}

function rawImageReport(overrides: Partial<ImageReport> & { name: string }): ImageReport {
  const measured = overrides.size !== null;
  return {
    dockerfile: `${overrides.name}/Dockerfile`,
    context: overrides.name,
    image: null,
    status: 'ok',
    comparison: 'changed',
    size: { bytes: 100 * MB, compressedBytes: 40 * MB, dockerBytes: 100 * MB },
    base: { bytes: 98.8 * MB, compressedBytes: 39.5 * MB },
    delta: { bytes: 1.2 * MB, percent: (1.2 / 98.8) * 100 },
    budget: { bytes: 250 * MB, metric: 'uncompressed', source: '250MB' },
    maxIncrease: null,
    maxWasted: null,
    layers: measured ? sampleLayers() : null,
    wasted: measured ? sampleWaste() : null,
    caches: measured ? sampleCaches() : null,
    inventory: null,
    change: null,
    findings: [],
    breaches: [],
    reasons: [],
    error: null,
    baseError: null,
    buildInputs: null,
    reused: null,
    entrypoint: null,
    ...overrides
  };
}

/** An image with only the layers given: no waste, no caches. */
export function bareImage(overrides: Partial<ImageReport> & { name: string }): ImageReport {
  return imageReport({ wasted: { bytes: 0, baseBytes: 0, paths: [] }, caches: [], ...overrides });
}

/** Totals and the over-budget flag as the pipeline computes them. */
export function reportOf(images: ImageReport[], overrides: Partial<Report> = {}): Report {
  return {
    version: 1,
    sizeMetric: 'uncompressed bytes: regular files in all layers',
    base: { ref: 'main', sha: '0123456789abcdef0123456789abcdef01234567' },
    baseError: null,
    baseline: { source: 'build', note: null, run: null },
    trend: null,
    images,
    totals: totals(images),
    overBudget: images.some((image) => isFailing(image.status)),
    ...overrides
  };
}

/** One image of every status, in an order that is not the display order. */
export const mixedImages: ImageReport[] = [
  imageReport({ name: 'web', findings: sampleFindings() }),
  imageReport({
    name: 'api',
    status: 'over-budget',
    size: { bytes: 275 * MB, compressedBytes: 110 * MB, dockerBytes: 275 * MB },
    base: { bytes: 240 * MB, compressedBytes: 100 * MB },
    delta: { bytes: 35 * MB, percent: (35 / 240) * 100 },
    reasons: ['275.0 MB is 25.0 MB over the 250MB budget'],
    layers: [
      ...sampleLayers().slice(0, 3),
      {
        index: 3,
        fromBase: false,
        instruction: 'RUN pip install -r requirements.txt',
        line: 12,
        stage: '#0',
        bytes: 200 * MB,
        compressedBytes: 81 * MB,
        files: 9100
      }
    ],
    wasted: { bytes: 0, baseBytes: 0.12 * MB, paths: sampleWaste().paths.filter((path) => path.inBase) },
    caches: [{ path: '/root/.cache/pip', kind: 'pip', bytes: 60 * MB, files: 830, line: 12, fromBase: false }],
    findings: [
      finding({
        rule: 'pip-no-cache-dir',
        line: 12,
        message: '`pip install` without `--no-cache-dir` keeps the downloaded wheels in /root/.cache/pip',
        fix: 'Add `--no-cache-dir` to `pip install`.',
        savingsBytes: 60 * MB,
        savingsMetric: 'uncompressed',
        measured: true
      })
    ]
  }),
  imageReport({
    name: 'docs',
    status: 'unchanged',
    comparison: 'unchanged',
    size: { bytes: 20 * MB, compressedBytes: 8 * MB, dockerBytes: 20 * MB },
    base: { bytes: 20 * MB, compressedBytes: 8 * MB },
    delta: { bytes: 0, percent: 0 },
    layers: [
      {
        index: 0,
        fromBase: true,
        instruction: 'ADD file:9e0b7c in /',
        line: null,
        stage: null,
        bytes: 18 * MB,
        compressedBytes: 7.2 * MB,
        files: 900
      },
      {
        index: 1,
        fromBase: false,
        instruction: 'COPY site/ /usr/share/nginx/html',
        line: 3,
        stage: null,
        bytes: 2 * MB,
        compressedBytes: 0.8 * MB,
        files: 120
      }
    ],
    wasted: { bytes: 0, baseBytes: 0, paths: [] },
    caches: []
  }),
  imageReport({
    name: 'worker',
    status: 'failed',
    size: null,
    delta: null,
    error: { message: 'docker build exited with code 1', logTail: 'Step 3/5 : RUN make\nmake: *** No rule to make target. Stop.' },
    reasons: ['the image could not be built: docker build exited with code 1']
  }),
  imageReport({ name: 'cron', status: 'new', comparison: 'new', base: null, delta: null }),
  imageReport({
    name: 'legacy',
    status: 'removed',
    comparison: 'removed',
    size: null,
    delta: null,
    budget: null,
    base: { bytes: 50 * MB, compressedBytes: 20 * MB }
  }),
  imageReport({
    name: 'batch',
    status: 'over-increase',
    size: { bytes: 130 * MB, compressedBytes: 52 * MB, dockerBytes: 130 * MB },
    base: { bytes: 100 * MB, compressedBytes: 40 * MB },
    delta: { bytes: 30 * MB, percent: 30 },
    maxIncrease: { percent: 10, bytes: null, source: '10%' },
    layers: [
      ...sampleLayers(),
      { index: 6, fromBase: false, instruction: 'COPY data/ /data', line: 11, stage: null, bytes: 30 * MB, compressedBytes: 12 * MB, files: 12 }
    ],
    reasons: ['grew 30.0 MB (+30.0%), more than the 10% allowed']
  })
];

export const mixedReport: Report = reportOf(mixedImages);

export const allOkReport: Report = reportOf([
  imageReport({ name: 'web' }),
  imageReport({ name: 'api', dockerfile: 'services/api/Dockerfile' }),
  imageReport({
    name: 'docs',
    status: 'unchanged',
    comparison: 'unchanged',
    delta: { bytes: 0, percent: 0 },
    base: { bytes: 100 * MB, compressedBytes: 40 * MB }
  })
]);

/** `count` images; every `failEvery`-th one is over budget. */
export function manyImagesReport(count: number, failEvery = 100): Report {
  const images = Array.from({ length: count }, (_, index) => {
    const name = `service-${String(index).padStart(4, '0')}`;
    return index % failEvery === 0
      ? imageReport({
          name,
          status: 'over-budget',
          size: { bytes: 300 * MB, compressedBytes: 120 * MB, dockerBytes: 300 * MB },
          reasons: [`${name} is 50.0 MB over the 250MB budget`]
        })
      : imageReport({ name });
  });
  return reportOf(images);
}

/** Failed builds whose logs are far bigger than a comment. */
export function hugeLogReport(failures: number, logChars: number): Report {
  const line = 'npm ERR! something went wrong while installing dependencies\n';
  const logTail = line.repeat(Math.ceil(logChars / line.length));
  return reportOf([
    imageReport({ name: 'web' }),
    ...Array.from({ length: failures }, (_, index) =>
      imageReport({
        name: `broken-${index}`,
        status: 'failed',
        size: null,
        delta: null,
        error: { message: 'docker build exited with code 1', logTail },
        reasons: ['the image could not be built: docker build exited with code 1']
      })
    )
  ]);
}

/** A row by Dockerfile line: an instruction on both sides at line 5 (or the line given), `deltaBytes` of change; override what a test is about. */
export function lineChange(overrides: Partial<LineChange> & { deltaBytes: number }): LineChange {
  const line = overrides.line === undefined ? 5 : overrides.line;
  return {
    kind: 'instruction',
    stage: '#0',
    instruction: 'RUN make',
    baseInstruction: null,
    line,
    baseLine: line,
    image: null,
    headBytes: 10 * MB + Math.max(0, overrides.deltaBytes),
    baseBytes: 10 * MB - Math.min(0, overrides.deltaBytes),
    ...overrides
  };
}

/** A row by path: a folder of new files unless told otherwise. */
export function pathChange(overrides: Partial<PathChange> & { deltaBytes: number }): PathChange {
  return { kind: 'new', path: '/opt/thing', folder: true, added: 1, removed: 0, grew: 0, shrank: 0, ...overrides };
}

/** A row by package: a Debian package upgraded unless told otherwise. */
export function packageChange(overrides: Partial<PackageChange> & { name: string; deltaBytes: number }): PackageChange {
  return { manager: 'dpkg', kind: 'upgraded', before: '1.0', after: '2.0', baseBytes: MB, headBytes: MB + overrides.deltaBytes, ...overrides };
}

/**
 * How a 90 MB image became 100 MB (+10 MB), three ways that each add up to the
 * delta: by line (`pip install` at line 12, line 10 on the base branch, +8.5 MB;
 * `COPY . /app` +2 MB; the apt line +0.5 MB; a removed `RUN` -1 MB; the base image
 * the same), by path (five rows, copies hidden by later layers, and 1.7 MB in
 * rows too small to list), and by package; the waste grew and a pip cache was left.
 */
export function sampleChange(): ChangeRecord {
  return {
    deltaBytes: 10 * MB,
    lines: [
      lineChange({
        instruction: 'RUN pip install -r requirements.txt',
        line: 12,
        baseLine: 10,
        headBytes: 28.5 * MB,
        baseBytes: 20 * MB,
        deltaBytes: 8.5 * MB
      }),
      lineChange({ instruction: 'COPY . /app', stage: null, line: 14, baseLine: 12, headBytes: 7 * MB, baseBytes: 5 * MB, deltaBytes: 2 * MB }),
      lineChange({
        instruction: 'RUN rm -rf /tmp/old',
        stage: null,
        line: null,
        baseLine: 9,
        headBytes: null,
        baseBytes: 1 * MB,
        deltaBytes: -1 * MB
      }),
      lineChange({
        instruction: 'RUN apt-get update && apt-get install -y libpq5',
        line: 4,
        baseLine: 4,
        headBytes: 45.5 * MB,
        baseBytes: 45 * MB,
        deltaBytes: 0.5 * MB
      }),
      {
        kind: 'base',
        stage: null,
        instruction: 'FROM python:3.12-slim',
        baseInstruction: null,
        line: null,
        baseLine: null,
        image: { before: 'python:3.12-slim', after: 'python:3.12-slim' },
        headBytes: 30 * MB,
        baseBytes: 30 * MB,
        deltaBytes: 0
      }
    ],
    paths: [
      pathChange({ path: '/usr/local/lib/python3.12/site-packages/numpy', added: 412, deltaBytes: 6 * MB }),
      pathChange({ kind: 'changed', path: '/app', added: 3, removed: 2, grew: 5, deltaBytes: 2 * MB }),
      pathChange({ kind: 'new', path: '/srv/model.bin', folder: false, deltaBytes: 1.2 * MB }),
      pathChange({ kind: 'removed', path: '/opt/old', added: 0, removed: 6, deltaBytes: -0.8 * MB }),
      pathChange({ kind: 'shrank', path: '/usr/share/doc', added: 0, shrank: 37, deltaBytes: -0.4 * MB }),
      pathChange({ kind: 'hidden', path: null, folder: false, added: 0, deltaBytes: 0.3 * MB }),
      pathChange({ kind: 'rest', path: null, folder: false, added: 9, deltaBytes: 1.7 * MB })
    ],
    pathsFrom: 'files',
    pathRowsTotal: 5,
    packages: [
      packageChange({
        manager: 'python',
        name: 'numpy',
        kind: 'added',
        before: null,
        after: '1.26.4',
        baseBytes: 0,
        headBytes: 6 * MB,
        deltaBytes: 6 * MB
      }),
      packageChange({ name: 'libpq5', before: '15.5', after: '15.6', deltaBytes: 0.2 * MB }),
      packageChange({
        manager: 'npm',
        name: 'left-pad',
        kind: 'removed',
        before: '1.3.0',
        after: null,
        baseBytes: 10_000,
        headBytes: 0,
        deltaBytes: -10_000
      })
    ],
    waste: { baseBytes: 19.7 * MB, headBytes: 20 * MB, deltaBytes: 0.3 * MB },
    caches: [{ path: '/root/.cache/pip', kind: 'pip', baseBytes: 0, headBytes: 1.5 * MB, deltaBytes: 1.5 * MB, line: 12 }]
  };
}

/** An image that grew from 90 MB to 100 MB with the sample change record (and the sample anatomy). */
export function changedImage(overrides: Partial<ImageReport> & { name: string }): ImageReport {
  return imageReport({
    base: { bytes: 90 * MB, compressedBytes: 36 * MB },
    delta: { bytes: 10 * MB, percent: (10 / 90) * 100 },
    change: sampleChange(),
    ...overrides
  });
}

/** What an image runs, the blog post's way by default: /main, an 11 MB static x86-64 binary in layer 1. */
export function entrypointFacts(overrides: Partial<Entrypoint> = {}): Entrypoint {
  return {
    command: ['/main'],
    program: '/main',
    path: '/main',
    kind: 'static',
    interpreter: null,
    needed: [],
    machine: 'x86-64',
    bytes: 11_000_000,
    layer: 1,
    user: null,
    ...overrides
  };
}
