import type { ImageReport, Report } from '../../src/report/types.js';

const MB = 1e6;

/** An image that is within its 250 MB budget and grew 1.2 MB; override what a test is about. */
export function imageReport(overrides: Partial<ImageReport> & { name: string }): ImageReport {
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
    reasons: [],
    error: null,
    baseError: null,
    ...overrides
  };
}

/** Totals and the over-budget flag as the pipeline computes them. */
export function reportOf(images: ImageReport[], overrides: Partial<Report> = {}): Report {
  const bytes = images.reduce((sum, image) => sum + (image.size?.bytes ?? 0), 0);
  const baseBytes = images.reduce((sum, image) => sum + (image.base?.bytes ?? 0), 0);
  const compared = images.some((image) => image.base !== null);
  return {
    version: 1,
    sizeMetric: 'uncompressed bytes, as `docker images` shows them',
    base: { ref: 'main', sha: '0123456789abcdef0123456789abcdef01234567' },
    baseError: null,
    images,
    totals: { bytes, baseBytes: compared ? baseBytes : null, deltaBytes: compared ? bytes - baseBytes : null },
    overBudget: images.some((image) => ['failed', 'over-budget', 'over-increase'].includes(image.status)),
    ...overrides
  };
}

/** One image of every status, in an order that is not the display order. */
export const mixedImages: ImageReport[] = [
  imageReport({ name: 'web' }),
  imageReport({
    name: 'api',
    status: 'over-budget',
    size: { bytes: 275 * MB, compressedBytes: 110 * MB, dockerBytes: 275 * MB },
    base: { bytes: 240 * MB, compressedBytes: 100 * MB },
    delta: { bytes: 35 * MB, percent: (35 / 240) * 100 },
    reasons: ['275.0 MB is 25.0 MB over the 250MB budget']
  }),
  imageReport({
    name: 'docs',
    status: 'unchanged',
    comparison: 'unchanged',
    size: { bytes: 20 * MB, compressedBytes: 8 * MB, dockerBytes: 20 * MB },
    base: { bytes: 20 * MB, compressedBytes: 8 * MB },
    delta: { bytes: 0, percent: 0 }
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
