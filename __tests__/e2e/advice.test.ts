/**
 * End to end through the bundled dist/index.js, as the runner runs it: the blog post's Go
 * example (a static binary added to a Debian-sized base) gets scratch with the base's bytes
 * as its saving, read from the image's own layers; with `verify-advice: true` the slim base
 * is built and measured (it builds) and so is the alpine one (it fails where apt-get runs),
 * and the job summary says so, with the time the tries took.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../../src/model/report.js';
import { TEST_BASE, TEST_FAT_BASE, dockerJson, makeBuildDir } from '../support/engine.js';
import { startRegistry, type LocalRegistry } from '../support/registry.js';
import { runAction, type ActionRun } from '../support/run-action.js';

const APT_GET =
  '#!/bin/sh\ncase "$1" in\n  update) mkdir -p /var/lib/apt/lists && head -c 2000000 /dev/urandom > /var/lib/apt/lists/Packages ;;\nesac\n';

let registry: LocalRegistry;
let workspace: string;
let run: ActionRun;
let report: Report;
const tags: string[] = [];

async function pushBase(name: string, from: string, aptGet: boolean): Promise<string> {
  const folder = await makeBuildDir({ Dockerfile: `FROM ${from}\n${aptGet ? 'COPY apt-get /usr/bin/apt-get\n' : ''}`, 'apt-get': APT_GET });
  await chmod(join(folder, 'apt-get'), 0o755);
  const remote = `${registry.address}/library/${name}`;
  await execa('docker', ['build', '--network=none', '-q', '-t', remote, folder]);
  await execa('docker', ['push', '-q', remote]);
  tags.push(remote);
  await rm(folder, { recursive: true, force: true });
  return remote;
}

beforeAll(async () => {
  registry = await startRegistry();
  const debian = await pushBase('debian:8', TEST_FAT_BASE, true);
  await pushBase('debian:8-slim', TEST_BASE, true);
  await pushBase('alpine:3', TEST_BASE, false);
  workspace = await makeBuildDir({
    // The blog post's Dockerfile, on the local Debian-sized base.
    'go/Dockerfile': `FROM ${TEST_FAT_BASE}\nADD main /\nCMD ["/main"]\n`,
    'web/Dockerfile': `FROM ${debian}\nRUN apt-get update\nCOPY index.html /srv/\n`
  });
  await copyFile('/bin/busybox', join(workspace, 'go', 'main'));
  await chmod(join(workspace, 'go', 'main'), 0o755);
  await mkdir(join(workspace, 'web'), { recursive: true });
  await writeFile(join(workspace, 'web', 'index.html'), '<h1>hi</h1>\n');
  run = await runAction({
    workspace,
    eventName: 'workflow_dispatch',
    payload: { inputs: {} },
    inputs: { 'base-ref': '', baseline: 'none', 'verify-advice': 'true', 'verify-timeout': '3m' }
  });
  report = JSON.parse(run.outputs.report!) as Report;
}, 600_000);

afterAll(async () => {
  await execa('docker', ['image', 'rm', ...tags], { reject: false });
  await registry?.stop();
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

const image = (name: string) => report.images.find((candidate) => candidate.name === name)!;

test('the run succeeds', () => {
  expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 0, stderr: '' });
});

describe('the blog post’s Go example', () => {
  test('what it runs: a static binary, from its layers', () => {
    expect(image('go/Dockerfile').entrypoint).toMatchObject({ path: '/main', kind: 'static', interpreter: null, needed: [] });
  });

  test('scratch first, saving the base image’s bytes exactly, and verified by building it', async () => {
    const [base] = await dockerJson<Array<{ Size: number }>>(['image', 'inspect', TEST_FAT_BASE]);
    const go = image('go/Dockerfile');
    const [first] = go.findings;
    expect(first).toMatchObject({ rule: 'base-scratch', savingsBytes: base!.Size, measured: true });
    // On scratch the image is the binary alone.
    expect(first!.verification).toMatchObject({ outcome: 'builds', savingsBytes: base!.Size });
    expect(first!.verification!.bytes).toBe(go.size!.bytes - base!.Size);
  });
});

describe('verified base advice', () => {
  test('debian:8-slim builds and is measured; alpine fails at the apt-get line, with its log', () => {
    const web = image('web/Dockerfile');
    const slim = web.findings.find((finding) => finding.rule === 'base-slim')!;
    expect(slim.verification).toMatchObject({ outcome: 'builds' });
    expect(slim.verification!.savingsBytes).toBeGreaterThan(40_000_000);
    const alpine = web.findings.find((finding) => finding.rule === 'base-alpine')!;
    expect(alpine.verification!.outcome).toBe('fails');
    expect(alpine.verification!.message).toMatch(/^fails on 127\.0\.0\.1:\d+\/library\/alpine:3 at line 2: .*apt-get: not found/);
    expect(web.findings.at(-1)).toEqual(alpine);
  });

  test('the job summary shows what each fix did when built, and the time the tries took', () => {
    expect(run.summary).toContain('**Runs** /main: a static ELF binary');
    expect(run.summary).toMatch(/✅ verified: builds, /);
    expect(run.summary).toMatch(/❌ fails on 127\.0\.0\.1:\d+\/library\/alpine:3 at line 2/);
    expect(run.summary).toMatch(/fix(es)? built to verify (it|them) in /);
  });

  test('nothing built to verify is left behind', async () => {
    const { stdout } = await execa('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(stdout.split('\n').filter((line) => line.includes('-verify-'))).toEqual([]);
  });
});
