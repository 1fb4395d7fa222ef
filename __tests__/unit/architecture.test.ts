import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The seams the code is built along, checked so they cannot erode one import at a time. */

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(folder, entry.name)) : entry.name.endsWith('.ts') ? [join(folder, entry.name)] : []
  );
}

interface Source {
  /** `report/markdown.ts`, relative to src/. */
  path: string;
  text: string;
  /** What it imports: src-relative module paths (`model/report.ts`), or package names. */
  imports: string[];
}

const files: Source[] = sources(src).map((file) => {
  const path = relative(src, file).split('\\').join('/');
  const text = readFileSync(file, 'utf8');
  const imports = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map(([, specifier]) =>
    specifier!.startsWith('.') ? posix.normalize(posix.join(posix.dirname(path), specifier!)).replace(/\.js$/, '.ts') : specifier!
  );
  return { path, text, imports };
});

const importers = (predicate: (module: string) => boolean) => files.filter((file) => file.imports.some(predicate)).map((file) => file.path);

describe('architecture', () => {
  test('the sources were found', () => {
    expect(files.map((file) => file.path)).toEqual(expect.arrayContaining(['pipeline.ts', 'model/report.ts', 'report/markdown.ts']));
  });

  test('report/ only renders: outside it, only the two entry points that publish a report import it', () => {
    const outside = importers((module) => module.startsWith('report/')).filter((path) => !path.startsWith('report/'));
    expect(outside.sort()).toEqual(['cli/main.ts', 'main.ts']);
  });

  test('no renderer imports the gate: they read the verdict from the report', () => {
    expect(importers((module) => module.startsWith('gate/')).filter((path) => path.startsWith('report/'))).toEqual([]);
  });

  test('the model depends on nothing but the limit types', () => {
    const model = files.filter((file) => file.path.startsWith('model/'));
    for (const file of model) {
      for (const module of file.imports) expect(module.startsWith('model/') || module === 'limits/index.ts').toBe(true);
    }
  });

  test('one exec wrapper: only src/exec.ts starts processes', () => {
    expect(importers((module) => module === 'execa' || module === 'node:child_process' || module === 'child_process')).toEqual(['exec.ts']);
  });

  test('no source file is over 500 lines', () => {
    const long = files.filter((file) => file.text.split('\n').length > 500).map((file) => file.path);
    expect(long).toEqual([]);
  });
});
