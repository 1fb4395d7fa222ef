import { describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { configSchema } from '../../src/config/schema.js';

const root = process.cwd();

/** Every property schema in the tree, with its dotted location. */
function propertySchemas(schema: unknown, at = ''): [string, Record<string, unknown>][] {
  const node = schema as { properties?: Record<string, unknown>; definitions?: Record<string, unknown> };
  const found: [string, Record<string, unknown>][] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    found.push([`${at}${key}`, child as Record<string, unknown>], ...propertySchemas(child, `${at}${key}.`));
  }
  for (const [key, child] of Object.entries(node.definitions ?? {})) {
    found.push(...propertySchemas(child, `${at}definitions.${key}.`));
  }
  return found;
}

describe('config schema', () => {
  test('schema/footprint.schema.json is generated from src/config/schema.ts', async () => {
    const committed = await readFile(join(root, 'schema', 'footprint.schema.json'), 'utf8');
    const expected = `${JSON.stringify(configSchema, null, 2)}\n`;
    // A plain equality would print a long diff; say what to do instead.
    const state = committed === expected ? 'up to date' : 'out of date with src/config/schema.ts: run `npm run schema`';
    expect(state).toBe('up to date');
  });

  test('is a valid draft-07 schema that ajv compiles in strict mode', () => {
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    expect(ajv.validateSchema(configSchema)).toBe(true);
    expect(() => ajv.compile(configSchema)).not.toThrow();
    expect(configSchema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  test.each(propertySchemas(configSchema))('%s has a description for editors', (_where, schema) => {
    expect(typeof schema.description).toBe('string');
    expect((schema.description as string).length).toBeGreaterThan(10);
  });

  test('every object forbids unknown keys', () => {
    const objects = [configSchema, configSchema.definitions.image];
    for (const object of objects) expect(object.additionalProperties).toBe(false);
  });
});
