import { describe, expect, test } from '@jest/globals';
import { baseName, displayPath, isWhiteout, normalisePath, parentPath, whiteoutTarget, type WhiteoutTarget } from '../../src/analyse/paths.js';
import { binaryPath } from '../support/layers.js';

/** Bytes written as a binary path, the form layer entries hold. */
function raw(...bytes: number[]): string {
  return Buffer.from(bytes).toString('latin1');
}

describe('normalisePath', () => {
  test.each<[string, string]>([
    ['usr/bin/env', 'usr/bin/env'],
    ['./usr/bin/env', 'usr/bin/env'],
    ['/usr/bin/env', 'usr/bin/env'],
    ['usr/lib/', 'usr/lib'],
    ['./usr/lib/', 'usr/lib'],
    ['usr//lib///x', 'usr/lib/x'],
    ['//usr/lib', 'usr/lib'],
    ['././usr', 'usr'],
    ['/./usr', 'usr'],
    ['.//usr', 'usr'],
    ['./', ''],
    ['.', ''],
    ['/', ''],
    ['', ''],
    ['a/./b', 'a/./b'],
    ['a/../b', 'a/../b'],
    ['..', '..'],
    ['.hidden/file', '.hidden/file'],
    ['..data', '..data'],
    ['with space/q\'uo"te', 'with space/q\'uo"te'],
    ['new\nline/', 'new\nline'],
    [raw(0x62, 0xff, 0x2f), raw(0x62, 0xff)]
  ])('%j → %j', (input, expected) => {
    expect(normalisePath(input)).toBe(expected);
  });
});

describe('baseName and parentPath', () => {
  test.each<[string, string, string]>([
    ['usr/bin/env', 'env', 'usr/bin'],
    ['etc', 'etc', ''],
    ['', '', '']
  ])('%j', (path, base, parent) => {
    expect(baseName(path)).toBe(base);
    expect(parentPath(path)).toBe(parent);
  });
});

describe('displayPath', () => {
  test.each<[string, string, string]>([
    ['plain', 'usr/bin/env', '/usr/bin/env'],
    ['root', '', '/'],
    ['UTF-8 stays text', binaryPath('srv/café/naïve ☃ 🐳'), '/srv/café/naïve ☃ 🐳'],
    ['spaces and quotes stay', binaryPath('a b/q\'uo"te'), '/a b/q\'uo"te'],
    ['invalid byte', raw(0x62, 0x61, 0x64, 0xff, 0x6e, 0x61, 0x6d, 0x65), '/bad\\xffname'],
    ['lone continuation byte', raw(0x61, 0x80), '/a\\x80'],
    ['truncated sequence', raw(0x61, 0xe2, 0x98), '/a\\xe2\\x98'],
    ['overlong encoding', raw(0xc0, 0xaf), '/\\xc0\\xaf'],
    ['surrogate', raw(0xed, 0xa0, 0x80), '/\\xed\\xa0\\x80'],
    ['past U+10FFFF', raw(0xf4, 0x90, 0x80, 0x80), '/\\xf4\\x90\\x80\\x80'],
    ['newline', 'new\nline', '/new\\nline'],
    ['tab and carriage return', 'a\tb\rc', '/a\\tb\\rc'],
    ['other control characters', 'a\x00b\x1bc\x7f', '/a\\x00b\\x1bc\\x7f'],
    ['backslash', 'C:\\x41', '/C:\\\\x41'],
    ['direction override', binaryPath('evil\u202Egpj.exe'), '/evil\\u{202e}gpj.exe'],
    ['C1 control', binaryPath('a\u0085b'), '/a\\u{0085}b']
  ])('%s', (_label, path, expected) => {
    expect(displayPath(path)).toBe(expected);
  });

  test('distinct byte names never look the same', () => {
    const names = [raw(0xff), binaryPath('\\xff'), binaryPath('ÿ'), binaryPath('\uFFFD')];
    expect(new Set(names.map(displayPath)).size).toBe(names.length);
  });
});

describe('whiteouts', () => {
  test.each<[string, boolean, WhiteoutTarget | null]>([
    ['etc/.wh.passwd', true, { kind: 'file', path: 'etc/passwd' }],
    ['.wh.tmp', true, { kind: 'file', path: 'tmp' }],
    ['var/cache/.wh..wh..opq', true, { kind: 'opaque', dir: 'var/cache' }],
    ['.wh..wh..opq', true, { kind: 'opaque', dir: '' }],
    ['a/.wh..hidden', true, { kind: 'file', path: 'a/.hidden' }],
    ['.wh..wh.plnk', true, null],
    ['a/.wh..wh.aufs', true, null],
    ['a/.wh.', true, null],
    ['etc/passwd', false, null],
    ['etc/x.wh.y', false, null],
    ['.wh.dir/file', false, null],
    [binaryPath('d/.wh.café'), true, { kind: 'file', path: binaryPath('d/café') }]
  ])('%j', (path, whiteout, target) => {
    expect(isWhiteout(path)).toBe(whiteout);
    expect(whiteoutTarget(path)).toEqual(target);
  });
});

describe('binaryPath', () => {
  test('holds one char per UTF-8 byte', () => {
    expect(binaryPath('é')).toBe('\u00c3\u00a9');
    expect(binaryPath('ascii')).toBe('ascii');
  });
});
