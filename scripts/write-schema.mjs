#!/usr/bin/env node
// Writes schema/footprint.schema.json from src/config/schema.ts, the one source
// of the config file's schema. Needs Node 24 (it imports the .ts file directly):
// run it as `npm run schema`.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { configSchema } = await import('../src/config/schema.ts');
const target = join(root, 'schema', 'footprint.schema.json');
await writeFile(target, `${JSON.stringify(configSchema, null, 2)}\n`);
console.log(`wrote ${target}`);
