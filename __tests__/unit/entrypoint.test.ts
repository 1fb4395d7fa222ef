import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ExecutableProbe, isStatic, type ExecutableFacts } from '../../src/analyse/executable.js';
import { entrypointOf, programOf } from '../../src/analyse/entrypoint.js';
import { readImageArchive } from '../../src/analyse/read-archive.js';
import { archiveTar, blobFiles, chunked, imageConfig, indexJson, manifestDescriptor, ociImage, packTar } from '../support/archives.js';
import { dir, file, hardlink, image, layer, opaque, symlink, whiteout } from '../support/layers.js';
import { entrypointFacts, imageReport, reportOf } from '../support/report-fixtures.js';
import { entrypointText } from '../../src/report/entrypoint-text.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import type { Entrypoint } from '../../src/model/report.js';

// Real binaries every Debian machine has: busybox-static's busybox is static, coreutils' ls is dynamic.
const BUSYBOX = readFileSync('/bin/busybox');
const LS = readFileSync('/usr/bin/ls');

function probe(data: Buffer, chunkBytes = data.length): ExecutableFacts | null {
  const prober = new ExecutableProbe();
  for (let at = 0; at < data.length; at += chunkBytes) prober.write(data.subarray(at, at + chunkBytes));
  return prober.finish();
}

describe('ExecutableProbe', () => {
  test.each([1000, 4096, 65536, 1 << 30])('a static binary (/bin/busybox), in chunks of %i bytes', (chunk) => {
    const facts = probe(BUSYBOX, chunk);
    expect(facts).toEqual({ format: 'elf', interpreter: null, needed: [], machine: 'x86-64' });
    expect(isStatic(facts!)).toBe(true);
  });

  test.each([512, 65536, 1 << 30])('a dynamic binary (/usr/bin/ls): its loader and libraries, in chunks of %i bytes', (chunk) => {
    const facts = probe(LS, chunk);
    expect(facts).toEqual({
      format: 'elf',
      interpreter: '/lib64/ld-linux-x86-64.so.2',
      needed: expect.arrayContaining(['libselinux.so.1', 'libc.so.6']),
      machine: 'x86-64'
    });
    expect(isStatic(facts!)).toBe(false);
  });

  test('a dynamic segment beyond the kept prefix is still read as it passes', () => {
    // The headers and string table stay in the first kilobytes; moving the dynamic segment 1 MB on is what a big binary does.
    const facts = probe(relocateDynamic(LS, 1024 * 1024), 8192);
    expect(facts).toMatchObject({ format: 'elf', interpreter: '/lib64/ld-linux-x86-64.so.2', needed: expect.arrayContaining(['libc.so.6']) });
  });

  test.each([
    ['#!/bin/sh\necho hi\n', '/bin/sh'],
    ['#! /usr/bin/env python3 \r\nprint(1)\n', '/usr/bin/env python3'],
    ['#!/bin/bash', '/bin/bash']
  ])('a script %j runs %s', (text, interpreter) => {
    expect(probe(Buffer.from(text), 3)).toEqual({ format: 'script', interpreter });
  });

  test.each([
    ['text', Buffer.from('hello world, not a program')],
    ['a truncated ELF header', BUSYBOX.subarray(0, 40)],
    ['an ELF file whose program headers lie past the end', BUSYBOX.subarray(0, 80)],
    ['a shebang line with no end', Buffer.from(`#!${'x'.repeat(400)}`)],
    ['an empty file', Buffer.alloc(0)]
  ])('%s is neither', (_label, data) => {
    expect(probe(data)).toBeNull();
  });
});

/** A copy of an ELF file with its PT_DYNAMIC segment's bytes also placed `at` bytes on, and the header pointing there. */
function relocateDynamic(elf: Buffer, at: number): Buffer {
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  const copy = Buffer.concat([elf, Buffer.alloc(Math.max(0, at + 65536 - elf.length))]);
  for (let header = phoff; header < phoff + phentsize * phnum; header += phentsize) {
    if (copy.readUInt32LE(header) !== 2) continue;
    const offset = Number(copy.readBigUInt64LE(header + 8));
    const size = Number(copy.readBigUInt64LE(header + 32));
    elf.copy(copy, at, offset, offset + size);
    copy.writeBigUInt64LE(BigInt(at), header + 8);
  }
  return copy;
}

describe('programOf', () => {
  test.each<[string[], string | null]>([
    [['/app'], '/app'],
    [['/usr/bin/tini', '--', '/app'], '/app'],
    [['tini', '-s', '--', 'node', 'server.js'], 'node'],
    [['/usr/local/bin/gosu', 'app', 'python', 'main.py'], 'python'],
    [['/usr/bin/env', 'PORT=80', 'python3'], 'python3'],
    [['/bin/sh', '-c', 'exec dumb-init -- gunicorn app'], 'gunicorn'],
    [['/sbin/tini'], '/sbin/tini'],
    [['/bin/sh', '-c', 'python app.py'], 'python'],
    [['/bin/sh', '-c', 'exec PORT=80 gunicorn app:app'], 'gunicorn'],
    [['/bin/sh', '-c', '  ./run.sh --fast'], './run.sh'],
    [['/bin/sh', '-c', '$APP'], null],
    [['/bin/sh', '-c', '"quoted" x'], null],
    [['/bin/sh', '-c', ''], null],
    [['/bin/bash', '-c', 'node server.js'], 'node'],
    [['/bin/sh'], '/bin/sh'],
    [[''], null]
  ])('%j → %j', (command, program) => {
    expect(programOf(command)).toBe(program);
  });
});

const STATIC: ExecutableFacts = { format: 'elf', interpreter: null, needed: [], machine: 'x86-64' };
const DYNAMIC: ExecutableFacts = { format: 'elf', interpreter: '/lib/ld-musl-x86_64.so.1', needed: ['libc.musl-x86_64.so.1'], machine: 'x86-64' };

describe('entrypointOf', () => {
  const base = layer([dir('usr'), dir('usr/bin'), symlink('bin', 'usr/bin'), file('usr/bin/busybox', 900), symlink('usr/bin/sh', 'busybox')], {
    executables: new Map([['usr/bin/busybox', STATIC]])
  });

  test('an exec-form CMD through a merged-usr /bin symlink: the static file in the layer that holds it', () => {
    const archive = image([base, layer([file('app', 10)])], { config: { Cmd: ['/bin/busybox', 'httpd'] } });
    expect(entrypointOf(archive.config, archive.layers)).toEqual({
      command: ['/bin/busybox', 'httpd'],
      program: '/bin/busybox',
      path: '/usr/bin/busybox',
      kind: 'static',
      interpreter: null,
      needed: [],
      machine: 'x86-64',
      bytes: 900,
      layer: 0,
      user: null
    });
  });

  test('a name found on the config PATH, through a relative symlink, in a later layer; the user is kept', () => {
    const archive = image(
      [
        base,
        layer([dir('opt/app'), file('opt/app/server-1.2', 50), symlink('opt/app/server', './server-1.2')], {
          executables: new Map([['opt/app/server-1.2', DYNAMIC]])
        })
      ],
      { config: { Env: ['PATH=/nowhere:/opt/app'], Entrypoint: ['server'], Cmd: ['--port', '80'], User: 'app' } }
    );
    expect(entrypointOf(archive.config, archive.layers)).toMatchObject({
      program: 'server',
      path: '/opt/app/server-1.2',
      kind: 'dynamic',
      interpreter: '/lib/ld-musl-x86_64.so.1',
      needed: ['libc.musl-x86_64.so.1'],
      layer: 1,
      user: 'app'
    });
  });

  test('a shell-form CMD running a script names its interpreter; a relative path is taken from WORKDIR', () => {
    const archive = image(
      [
        base,
        layer([dir('srv'), file('srv/start.sh', 30)], {
          executables: new Map([['srv/start.sh', { format: 'script', interpreter: '/bin/sh' } as const]])
        })
      ],
      {
        config: { Cmd: ['/bin/sh', '-c', './start.sh'], WorkingDir: '/srv' }
      }
    );
    expect(entrypointOf(archive.config, archive.layers)).toMatchObject({
      program: './start.sh',
      path: '/srv/start.sh',
      kind: 'script',
      interpreter: '/bin/sh'
    });
  });

  test('a hard link takes what its target is', () => {
    const archive = image([layer([file('a', 5), hardlink('b', 'a')], { executables: new Map([['a', STATIC]]) })], { config: { Cmd: ['/b'] } });
    expect(entrypointOf(archive.config, archive.layers)).toMatchObject({ path: '/b', kind: 'static', bytes: 5 });
  });

  test.each([
    ['deleted by a whiteout', [whiteout('usr/bin/busybox')]],
    ['hidden by an opaque folder', [opaque('usr/bin'), file('usr/bin/other', 1)]],
    ['under a folder replaced by a file', [file('usr', 1)]]
  ])('a program %s is missing', (_label, entries) => {
    const archive = image([base, layer(entries)], { config: { Cmd: ['/usr/bin/busybox'] } });
    expect(entrypointOf(archive.config, archive.layers)).toMatchObject({ path: null, kind: 'missing' });
  });

  test('a symlink loop is missing, not a hang', () => {
    const archive = image([layer([symlink('a', 'b'), symlink('b', '/a')])], { config: { Cmd: ['/a'] } });
    expect(entrypointOf(archive.config, archive.layers)).toMatchObject({ kind: 'missing' });
  });

  test('a file that is no program is other; an unreadable shell form is unknown; no command is null', () => {
    const other = image([layer([file('data', 3)])], { config: { Cmd: ['/data'] } });
    expect(entrypointOf(other.config, other.layers)).toMatchObject({ path: '/data', kind: 'other', bytes: 3 });
    const shell = image([base], { config: { Cmd: ['/bin/sh', '-c', '$START'] } });
    expect(entrypointOf(shell.config, shell.layers)).toMatchObject({ program: null, kind: 'unknown', path: null });
    expect(entrypointOf({ config: {} }, [base])).toBeNull();
  });
});

describe('the layer reader probes executable files', () => {
  test('ELF binaries and scripts with an executable bit, as they stream; other files are not probed', async () => {
    const tar = await packTar([
      { name: 'bin/busybox', content: BUSYBOX, mode: 0o755 },
      { name: 'bin/ls', content: LS, mode: 0o755 },
      { name: 'bin/run', content: '#!/bin/sh\nexec /bin/busybox\n', mode: 0o700 },
      { name: 'lib/not-executable', content: LS, mode: 0o644 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' }
    ]);
    const archive = await readImageArchive(chunked(await ociArchive(tar, { Entrypoint: ['/bin/sh'] }), 7000), {
      estimateCompressed: false,
      probeExecutables: true
    });
    const executables = archive.layers[0]!.executables;
    expect([...executables.keys()].sort()).toEqual(['bin/busybox', 'bin/ls', 'bin/run']);
    expect(executables.get('bin/run')).toEqual({ format: 'script', interpreter: '/bin/sh' });
    expect(archive.layers[0]!.entries.find((entry) => entry.path === 'bin/sh')).toMatchObject({ kind: 'symlink', linkTarget: 'busybox' });
    expect(entrypointOf(archive.config, archive.layers)).toMatchObject({ path: '/bin/busybox', kind: 'static', bytes: BUSYBOX.length });
  });

  test('without the option nothing is probed', async () => {
    const tar = await packTar([{ name: 'bin/busybox', content: BUSYBOX, mode: 0o755 }]);
    const archive = await readImageArchive(chunked(await ociArchive(tar, {})), { estimateCompressed: false });
    expect(archive.layers[0]!.executables.size).toBe(0);
  });
});

/** An OCI layout tar of one gzip layer and this config. */
async function ociArchive(tar: Buffer, settings: Record<string, unknown>): Promise<Buffer> {
  const image = ociImage([tar], 'gzip', { ...imageConfig([tar]), config: settings });
  return archiveTar([...blobFiles(image), { name: 'index.json', content: indexJson([manifestDescriptor(image)]) }]);
}

describe('entrypointText: what the image runs, in one line for every renderer', () => {
  const facts = entrypointFacts;

  test.each<[Partial<Entrypoint>, string]>([
    [{}, '/main: a static ELF binary (x86-64, 11.0 MB): no loader, no shared libraries'],
    [
      { kind: 'dynamic', interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libselinux.so.1', 'libc.so.6'] },
      '/main: a dynamic ELF binary (x86-64, 11.0 MB), loader /lib64/ld-linux-x86-64.so.2, needs libselinux.so.1, libc.so.6'
    ],
    [
      { kind: 'dynamic', interpreter: '/lib/ld.so', needed: Array.from({ length: 10 }, (_, index) => `l${index}.so`) },
      '/main: a dynamic ELF binary (x86-64, 11.0 MB), loader /lib/ld.so, needs l0.so, l1.so, l2.so, l3.so, l4.so, l5.so, l6.so, l7.so and 2 more'
    ],
    [{ kind: 'script', path: '/srv/start.sh', interpreter: '/bin/sh', machine: null }, '/srv/start.sh: a script run by /bin/sh'],
    [{ kind: 'missing', program: 'app', path: null, bytes: null }, 'app: not found in the image'],
    [
      { kind: 'unknown', command: ['/bin/sh', '-c', '$START\nx'], program: null, path: null },
      '/bin/sh -c $START x: the program could not be read from this command'
    ]
  ])('%j', (overrides, text) => {
    expect(entrypointText(facts(overrides))).toBe(text);
  });

  test('the comment and the CLI show it with the image’s advice, escaped', () => {
    const image = imageReport({
      name: 'api',
      entrypoint: facts({ path: '/app_<b>*x*</b>', kind: 'dynamic', interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6'] })
    });
    const markdown = renderMarkdown(reportOf([image]), { key: 'default' });
    expect(markdown).toContain(
      '**Runs** /app\\_&lt;b&gt;\\*x\\*&lt;/b&gt;: a dynamic ELF binary \\(x86-64, 11.0 MB\\), loader /lib64/ld-linux-x86-64.so.2, needs libc.so.6'
    );
    expect(markdown).toMatch(/<summary>🔎 api — what it runs, /);
    const terminal = renderTerminal(reportOf([image]), { color: false });
    expect(terminal).toContain(
      '\n  runs /app_<b>*x*</b>: a dynamic ELF binary (x86-64, 11.0 MB), loader /lib64/ld-linux-x86-64.so.2, needs libc.so.6\n'
    );
  });
});
