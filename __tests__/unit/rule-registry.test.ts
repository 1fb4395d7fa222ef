import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RULES } from '../../src/advise/rules/index.js';
import { BASE_RULES, baseCandidates } from '../../src/advise/bases.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';

const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The ids in the first column of the README's `| rule | fires on |` table (a row may name several). */
function readmeRuleIds(): string[] {
  const lines = readme.split('\n');
  const header = lines.findIndex((line) => /^\|\s*rule\s*\|\s*fires on\s*\|/.test(line));
  expect(header).toBeGreaterThan(-1);
  const ids: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const firstCell = line.split('|')[1]!;
    ids.push(...[...firstCell.matchAll(/`([a-z0-9-]+)`/g)].map((match) => match[1]!));
  }
  return ids;
}

describe('the rule registry', () => {
  test('ids are unique and every rule has a summary and a check', () => {
    const ids = RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(rule.summary.trim()).not.toBe('');
      expect(typeof rule.check).toBe('function');
    }
  });

  test('size rule ids and base advice ids do not overlap', () => {
    const base = new Set<string>(BASE_RULES);
    expect(RULES.filter((rule) => base.has(rule.id))).toEqual([]);
  });

  test("the README's table lists exactly the registry's ids and the base advice ids", () => {
    const listed = readmeRuleIds();
    expect(new Set(listed).size).toBe(listed.length);
    const base = new Set<string>(BASE_RULES);
    expect(listed.filter((id) => !base.has(id))).toEqual(RULES.map((rule) => rule.id));
    expect(listed.filter((id) => base.has(id)).sort()).toEqual([...BASE_RULES].sort());
  });

  test('base advice produces every id of BASE_RULES and no other', () => {
    const produced = new Set<string>();
    for (const text of [
      'FROM python:3.12\n',
      'FROM eclipse-temurin:21-jdk\n',
      'FROM golang:1.22\nRUN go build -o /app .\n',
      'FROM golang:1.22\nRUN CGO_ENABLED=0 go build -o /app .\n',
      'FROM maven:3.9-eclipse-temurin-21\nRUN mvn -B package\n'
    ]) {
      const dockerfile = parseDockerfile(text);
      for (const candidate of baseCandidates(dockerfile.final!, dockerfile)) produced.add(candidate.rule);
    }
    expect([...produced].sort()).toEqual([...BASE_RULES].sort());
  });
});
