/**
 * JSON Schema of `.github/footprint.yml`. Editors use the generated
 * schema/footprint.schema.json for completion and help; `loadConfig` validates
 * with it. Plain data only (no imports, no types beyond `as const`):
 * scripts/write-schema.mjs imports this file directly under Node 24.
 */

const sizeDescription =
  'A number with a unit: 250MB, 1.2GB, 300MiB or 900kB. kB/MB/GB/TB are powers of 1000 as `docker images` prints them, KiB/MiB/GiB/TiB powers of 1024; a bare number means MB.';

const wastedDescription =
  'Bytes an image may ship in files that a later layer deletes or replaces (shipped, but invisible): a size (20MB), a percentage of the image (10%) or both ("20MB, 10%"). With both, the image fails only when its waste exceeds both. Waste inside the base image does not count.';

const metricDescription =
  'Which size the budget applies to: uncompressed (the sum of the files in all layers, default) or compressed (the gzip-compressed layers a registry stores and `docker pull` transfers).';

const ignoreDescription =
  'Advice rules to switch off, by id (for example apt-lists-left, pip-no-cache-dir, base-alpine). A single line can also be silenced with a `# footprint-ignore: rule-id` comment right above it.';

const baseImageDescription =
  "An image the base branch already published, measured as the base side instead of building the base commit (when the base commit stored no report): a reference such as ghcr.io/acme/api:main, or a template with {name} (the image's name), {base-sha} (the base commit) and {base-ref} (the base branch). Pulled with the runner's own docker login; a pull that fails falls back to building the base commit.";

const increaseDescription =
  'against the same image built from the base branch: a percentage (10%), a size (25MB) or both ("10%, 5MB"). With both, the image fails only when it grows by more than both, so a small image does not fail on a few kB.';

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/footprint-action/footprint/schema/footprint.schema.json',
  title: 'footprint configuration',
  description:
    'Size budgets for the Docker images of this repository (.github/footprint.yml). Images not listed here are still built and measured when a Dockerfile matches the `dockerfiles` input.',
  type: 'object',
  additionalProperties: false,
  properties: {
    budget: {
      description: `Default size budget for every image (uncompressed unless \`metric\` says compressed). ${sizeDescription}`,
      type: ['string', 'number'],
      examples: ['250MB', '1.2GB', 500]
    },
    'max-increase': {
      description: `Default growth allowed for every image ${increaseDescription}`,
      type: ['string', 'number'],
      examples: ['10%', '25MB', '10%, 5MB']
    },
    'max-wasted': {
      description: `Default for every image. ${wastedDescription}`,
      type: ['string', 'number'],
      examples: ['20MB', '10%', '20MB, 10%']
    },
    metric: {
      description: `Default for every image. ${metricDescription}`,
      enum: ['uncompressed', 'compressed']
    },
    'base-image': {
      description: `For every image. ${baseImageDescription}`,
      type: 'string',
      minLength: 1,
      examples: ['ghcr.io/acme/{name}:main', 'ghcr.io/acme/{name}:sha-{base-sha}']
    },
    ignore: {
      description: `For every image. ${ignoreDescription}`,
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true
    },
    images: {
      description:
        'Images by display name. A name used in the PR comment; with `dockerfile` it names that Dockerfile, without it the entry applies to the image of the `images` input or to the discovered Dockerfile whose repository path equals the name.',
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: { $ref: '#/definitions/image' }
    }
  },
  definitions: {
    image: {
      description: 'Settings of one image; each one overrides the top-level value and the action input of the same name.',
      type: 'object',
      additionalProperties: false,
      properties: {
        dockerfile: {
          description: 'Path of the Dockerfile, relative to the repository root (for example svc/api/Dockerfile).',
          type: 'string',
          minLength: 1
        },
        context: {
          description: "Build context, relative to the repository root. Defaults to the Dockerfile's folder.",
          type: 'string',
          minLength: 1
        },
        target: {
          description: 'Build stage to stop at (docker build --target).',
          type: 'string',
          minLength: 1
        },
        'build-args': {
          description: 'Build arguments (docker build --build-arg KEY=VALUE); merged with the `build-args` input, these win.',
          type: 'object',
          propertyNames: { minLength: 1 },
          additionalProperties: { type: ['string', 'number', 'boolean'] }
        },
        platform: {
          description: 'Platform to build for (docker build --platform), for example linux/amd64.',
          type: 'string',
          minLength: 1
        },
        budget: {
          description: `Size budget of this image (uncompressed unless \`metric\` says compressed). ${sizeDescription}`,
          type: ['string', 'number'],
          examples: ['250MB', '1.2GB', 500]
        },
        'max-increase': {
          description: `Growth allowed for this image ${increaseDescription}`,
          type: ['string', 'number'],
          examples: ['10%', '25MB', '10%, 5MB']
        },
        'max-wasted': {
          description: wastedDescription,
          type: ['string', 'number'],
          examples: ['20MB', '10%', '20MB, 10%']
        },
        metric: {
          description: metricDescription,
          enum: ['uncompressed', 'compressed']
        },
        'base-image': {
          description: baseImageDescription,
          type: 'string',
          minLength: 1,
          examples: ['ghcr.io/acme/api:main']
        },
        ignore: {
          description: `For this image, on top of the top-level list. ${ignoreDescription}`,
          type: 'array',
          items: { type: 'string', minLength: 1 },
          uniqueItems: true
        },
        skip: {
          description: 'Leave this image out: it is neither built nor measured.',
          type: 'boolean'
        }
      }
    }
  }
} as const;
