/**
 * The stored baseline: the report a `push`, `schedule` or `workflow_dispatch` run keeps as a
 * workflow artifact, with each image's build-input digest, the compact data the change record
 * needs (layers, waste, caches, inventory) and the branch's size history. A pull request's run
 * reads the one its base commit stored instead of building the base side.
 *
 * A stored file is data from another run: it is validated against a schema before any of it is
 * used, and one that does not match (another format, version, repository or commit) is ignored.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { bareTarget } from '../discover/target.js';
import type { Measurement } from '../measure/measurement.js';
import type { ImageReport, Report } from '../model/report.js';
import type { Trend } from '../model/trend.js';

export const BASELINE_FORMAT = 'footprint-baseline';
export const BASELINE_VERSION = 1;
/** The events whose runs measure a branch as it is: only their reports count as baselines. */
export const BASELINE_EVENTS: readonly string[] = ['push', 'schedule', 'workflow_dispatch'];

export interface StoredBaseline {
  format: typeof BASELINE_FORMAT;
  version: typeof BASELINE_VERSION;
  /** `owner/name` of the repository whose run stored it. */
  repository: string;
  /** The commit it measured. */
  sha: string;
  /** The ref the run was for (`refs/heads/main`); null when unknown. */
  ref: string | null;
  /** The event of the run that stored it (one of BASELINE_EVENTS). */
  event: string;
  /** When it was measured (ISO 8601). */
  createdAt: string;
  report: Report;
  /** The branch's size history up to and including this commit. */
  trend: Trend;
}

const count = { type: 'integer', minimum: 0 };
const nullableCount = { type: ['integer', 'null'], minimum: 0 };
const text = { type: 'string', maxLength: 100_000 };
const nullableText = { type: ['string', 'null'], maxLength: 100_000 };
const nullableLine = { type: ['integer', 'null'], minimum: 1 };

/** What a stored report must hold for footprint to use it: every field the comparison, the gate and the renderers read. */
const schema = {
  type: 'object',
  required: ['format', 'version', 'repository', 'sha', 'ref', 'event', 'createdAt', 'report', 'trend'],
  properties: {
    format: { const: BASELINE_FORMAT },
    version: { const: BASELINE_VERSION },
    repository: text,
    sha: { type: 'string', pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$' },
    ref: nullableText,
    event: { enum: BASELINE_EVENTS },
    createdAt: { type: 'string', format: 'date-time-ish', maxLength: 64 },
    trend: {
      type: 'object',
      required: ['points'],
      properties: {
        points: {
          type: 'array',
          maxItems: 1000,
          items: {
            type: 'object',
            required: ['sha', 'date', 'images'],
            properties: {
              sha: { type: 'string', pattern: '^[0-9a-f]{7,64}$' },
              date: { type: 'string', maxLength: 64 },
              images: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  required: ['bytes', 'compressedBytes'],
                  properties: { bytes: count, compressedBytes: nullableCount }
                }
              }
            }
          }
        }
      }
    },
    report: {
      type: 'object',
      required: ['version', 'images'],
      properties: {
        version: { const: 1 },
        images: { type: 'array', maxItems: 10_000, items: { $ref: '#/$defs/image' } }
      }
    }
  },
  $defs: {
    image: {
      type: 'object',
      required: ['name', 'dockerfile', 'context', 'image', 'size', 'layers', 'wasted', 'caches', 'inventory', 'buildInputs', 'error'],
      properties: {
        name: text,
        dockerfile: nullableText,
        context: nullableText,
        image: nullableText,
        size: {
          type: ['object', 'null'],
          required: ['bytes', 'compressedBytes', 'dockerBytes'],
          properties: { bytes: count, compressedBytes: nullableCount, dockerBytes: nullableCount }
        },
        layers: { type: ['array', 'null'], maxItems: 10_000, items: { $ref: '#/$defs/layer' } },
        wasted: {
          type: ['object', 'null'],
          required: ['bytes', 'baseBytes', 'paths'],
          // bookkeepingBytes and byLines are newer: a report of an older version has none.
          properties: {
            bytes: count,
            baseBytes: count,
            bookkeepingBytes: count,
            paths: { type: 'array', maxItems: 10_000, items: { $ref: '#/$defs/wastedPath' } },
            byLines: { type: 'array', maxItems: 10_000, items: { $ref: '#/$defs/wastePair' } }
          }
        },
        caches: { type: ['array', 'null'], maxItems: 10_000, items: { $ref: '#/$defs/cache' } },
        inventory: { anyOf: [{ type: 'null' }, { $ref: '#/$defs/inventory' }] },
        buildInputs: {
          type: ['object', 'null'],
          required: ['digest', 'unknown'],
          properties: { digest: { type: ['string', 'null'], pattern: '^sha256:[0-9a-f]{64}$' }, unknown: nullableText }
        },
        error: { type: ['object', 'null'], required: ['message', 'logTail'], properties: { message: text, logTail: { type: 'string' } } }
      }
    },
    layer: {
      type: 'object',
      required: ['index', 'fromBase', 'instruction', 'line', 'stage', 'bytes', 'compressedBytes', 'files'],
      properties: {
        index: count,
        fromBase: { type: ['boolean', 'null'] },
        instruction: nullableText,
        line: nullableLine,
        stage: nullableText,
        bytes: count,
        compressedBytes: nullableCount,
        files: count
      }
    },
    wastedPath: {
      type: 'object',
      required: ['path', 'files', 'bytes', 'addedAtLine', 'removedAtLine', 'addedInLayer', 'removedInLayer', 'inBase'],
      properties: {
        path: text,
        files: count,
        bytes: count,
        addedAtLine: nullableLine,
        removedAtLine: nullableLine,
        addedInLayer: count,
        removedInLayer: count,
        inBase: { type: 'boolean' },
        bookkeeping: { type: 'boolean' }
      }
    },
    wastePair: {
      type: 'object',
      required: ['addedAtLine', 'removedAtLine', 'addedInLayer', 'removedInLayer', 'bytes', 'files', 'inBase', 'bookkeeping'],
      properties: {
        addedAtLine: nullableLine,
        removedAtLine: nullableLine,
        addedInLayer: count,
        removedInLayer: count,
        bytes: count,
        files: count,
        inBase: { type: 'boolean' },
        bookkeeping: { type: 'boolean' }
      }
    },
    cache: {
      type: 'object',
      required: ['path', 'kind', 'bytes', 'files', 'line', 'fromBase'],
      properties: { path: text, kind: text, bytes: count, files: count, line: nullableLine, fromBase: { type: ['boolean', 'null'] } }
    },
    inventory: {
      type: 'object',
      required: ['baseImage', 'bytes', 'visibleBytes', 'hiddenBytes', 'files', 'folders', 'packages', 'packagesNote'],
      properties: {
        baseImage: nullableText,
        bytes: count,
        visibleBytes: count,
        hiddenBytes: count,
        files: count,
        folders: {
          type: 'array',
          maxItems: 100_000,
          items: { type: 'object', required: ['path', 'bytes', 'files'], properties: { path: { type: 'string' }, bytes: count, files: count } }
        },
        packages: {
          type: 'array',
          maxItems: 1_000_000,
          items: {
            type: 'object',
            required: ['manager', 'name', 'version', 'bytes', 'files', 'location'],
            properties: {
              manager: { enum: ['dpkg', 'apk', 'python', 'npm'] },
              name: text,
              version: text,
              bytes: count,
              files: count,
              location: nullableText
            }
          }
        },
        packagesNote: nullableText
      }
    }
  }
} as const;

let validate: ValidateFunction | null = null;

function validator(): ValidateFunction {
  if (validate) return validate;
  const ajv = new Ajv({ allErrors: false, allowUnionTypes: true, strict: false });
  // Dates are only shown; all that matters is that they are short strings.
  ajv.addFormat('date-time-ish', /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/);
  validate = ajv.compile(schema);
  return validate;
}

export type ParsedBaseline = { ok: true; baseline: StoredBaseline } | { ok: false; reason: string };

/**
 * Parses a stored report and checks that it is one footprint can trust as the baseline of
 * `expected.sha` in `expected.repository`: its format, version and schema, the commit, the
 * repository (case-insensitive, as GitHub's names are) and the event that wrote it.
 */
export function parseStoredBaseline(json: string, expected: { repository: string; sha: string }): ParsedBaseline {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    return { ok: false, reason: `it is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const head = data as Partial<Record<string, unknown>> | null;
  if (typeof head !== 'object' || head === null || head.format !== BASELINE_FORMAT) return { ok: false, reason: 'it is not a footprint baseline' };
  if (head.version !== BASELINE_VERSION) {
    return { ok: false, reason: `it has format version ${JSON.stringify(head.version)}; this footprint reads version ${BASELINE_VERSION}` };
  }
  const check = validator();
  if (!check(data)) {
    const [first] = check.errors ?? [];
    return { ok: false, reason: `it does not match the baseline schema (${first ? `${first.instancePath || '/'} ${first.message}` : 'invalid'})` };
  }
  const baseline = data as StoredBaseline;
  if (baseline.sha !== expected.sha)
    return { ok: false, reason: `it is the report of ${baseline.sha.slice(0, 7)}, not of ${expected.sha.slice(0, 7)}` };
  if (baseline.repository.toLowerCase() !== expected.repository.toLowerCase()) {
    return { ok: false, reason: 'it was written by a run of another repository' };
  }
  return { ok: true, baseline };
}

/** A stored image's figures as a measurement of the base side (no Dockerfile, no file list: the inventory stands in). */
export function storedMeasurement(image: ImageReport): Measurement {
  const { size, layers, wasted, caches } = image;
  const anatomy =
    size !== null && layers !== null && wasted !== null && caches !== null
      ? { bytes: size.bytes, compressedBytes: size.compressedBytes, layers, wasted, caches }
      : null;
  return {
    target: bareTarget({ name: image.name, dockerfile: image.dockerfile, context: image.context, image: image.image }),
    dockerfile: null,
    dockerfileError: null,
    size,
    anatomy,
    inventory: image.inventory,
    files: null,
    entrypoint: null,
    npmDev: [],
    analysisError: null,
    error: image.error,
    buildInputs: image.buildInputs,
    reused: null
  };
}

/** The stored images, as the base side's measurements, in the stored order. */
export function storedMeasurements(baseline: StoredBaseline): Measurement[] {
  return baseline.report.images.filter((image) => image.status !== 'removed').map(storedMeasurement);
}
