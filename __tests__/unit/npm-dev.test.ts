import { describe, expect, test } from '@jest/globals';
import { isNpmProjectFile, npmDevDependencies, type NpmDevDependencies } from '../../src/analyse/npm-dev.js';
import { applyPatch } from '../../src/advise/patch.js';
import { checkRules } from '../../src/advise/rules/index.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import type { InstalledPackage } from '../../src/model/change.js';

function npm(location: string, name: string, bytes: number): InstalledPackage {
  return { manager: 'npm', name, version: '1.0.0', bytes, files: 3, location };
}

const PACKAGES = [
  npm('/app/node_modules/express', 'express', 200_000),
  npm('/app/node_modules/jest', 'jest', 3_000_000),
  npm('/app/node_modules/@babel/core', '@babel/core', 2_000_000),
  npm('/app/node_modules/jest/node_modules/chalk', 'chalk', 40_000),
  npm('/srv/node_modules/typescript', 'typescript', 20_000_000)
];

const kept = (files: Record<string, unknown>) =>
  new Map(Object.entries(files).map(([path, value]) => [path, Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))]));

describe('npmDevDependencies', () => {
  test('the hidden lockfile names every dev package, transitive ones too; package.json the direct ones where there is no lockfile', () => {
    const found = npmDevDependencies(
      kept({
        'app/package.json': { devDependencies: { jest: '^29' } },
        'app/node_modules/.package-lock.json': {
          packages: {
            '': {},
            'node_modules/express': { version: '4.19.2' },
            'node_modules/jest': { dev: true },
            'node_modules/@babel/core': { dev: true },
            'node_modules/jest/node_modules/chalk': { dev: true },
            'node_modules/left-pad': { dev: true } // not installed: nothing to count
          }
        },
        'srv/package.json': { dependencies: {}, devDependencies: { typescript: '^5', eslint: '^9' } },
        'docs/package.json': { devDependencies: { vitepress: '1' } } // no node_modules: not installed
      }),
      PACKAGES
    );
    expect(found).toEqual([
      {
        project: '/app',
        source: 'lockfile',
        packages: 3,
        bytes: 5_040_000,
        largest: [
          { name: 'jest', bytes: 3_000_000 },
          { name: '@babel/core', bytes: 2_000_000 },
          { name: 'chalk', bytes: 40_000 }
        ]
      },
      { project: '/srv', source: 'package.json', packages: 1, bytes: 20_000_000, largest: [{ name: 'typescript', bytes: 20_000_000 }] }
    ]);
  });

  test('broken files count nothing and throw nothing', () => {
    expect(npmDevDependencies(kept({ 'app/package.json': 'not json', 'app/node_modules/.package-lock.json': '[1]' }), PACKAGES)).toEqual([]);
    expect(npmDevDependencies(kept({ 'app/node_modules/.package-lock.json': { packages: 7 } }), PACKAGES)).toEqual([]);
  });

  test.each([
    ['app/package.json', true],
    ['package.json', true],
    ['app/node_modules/.package-lock.json', true],
    ['node_modules/.package-lock.json', true],
    ['app/node_modules/jest/package.json', false],
    ['app/package-lock.json', false]
  ])('%s is kept for it: %s', (path, keptFile) => {
    expect(isNpmProjectFile(path)).toBe(keptFile);
  });
});

describe('the npm-dev-dependencies rule', () => {
  const dev: NpmDevDependencies[] = [
    { project: '/app', source: 'lockfile', packages: 2, bytes: 5_000_000, largest: [{ name: 'jest', bytes: 3_000_000 }] }
  ];
  const check = (text: string, npmDev = dev) =>
    checkRules({ dockerfile: parseDockerfile(text), anatomy: null, hasDockerignore: true, ignore: [], npmDev }).filter(
      (finding) => finding.rule === 'npm-dev-dependencies'
    );

  test('on the install RUN, measured, with --omit=dev as its patch', () => {
    const text = 'FROM node:22\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci && npm cache clean --force\nCOPY . .\nCMD ["node", "server.js"]\n';
    const [finding] = check(text);
    expect(finding).toMatchObject({ line: 4, severity: 'warning', savingsBytes: 5_000_000, measured: true });
    expect(finding!.message).toBe(
      "2 devDependencies ship in /app/node_modules: 5.0 MB the running app does not load (by npm's lockfile; largest: jest 3.0 MB)."
    );
    expect(finding!.patch).toEqual({ line: 4, endLine: 4, text: 'RUN npm ci --omit=dev && npm cache clean --force' });
    expect(check(applyPatch(text, finding!.patch!)!.text)).toEqual([]);
  });

  test('a build after the install needs them: a build stage or a prune, and no patch', () => {
    const [finding] = check('FROM node:22\nCOPY . .\nRUN npm install\nRUN npm run build\nCMD ["node", "dist/server.js"]\n');
    expect(finding).toMatchObject({ line: 3, patch: null });
    expect(finding!.fix).toMatch(/^The image builds with them: build in a stage of its own/);
  });

  test('node_modules copied from a build stage: prune there', () => {
    const [finding] = check('FROM node:22 AS build\nRUN npm ci\nFROM node:22-slim\nCOPY --from=build /app/node_modules /app/node_modules\n');
    expect(finding).toMatchObject({ line: 4, patch: null });
    expect(finding!.fix).toMatch(/npm prune --omit=dev/);
  });

  test.each([
    ['nothing measured', 'FROM node:22\nRUN npm ci\n', []],
    ['an install that omits them already', 'FROM node:22\nRUN npm ci --omit=dev\n', dev],
    ['NODE_ENV=production', 'FROM node:22\nENV NODE_ENV=production\nRUN npm ci\n', dev],
    ['no install and no node_modules copied', 'FROM node:22\nCOPY . .\n', dev]
  ])('no finding with %s', (_label, text, npmDev) => {
    expect(check(text, npmDev)).toEqual([]);
  });
});
