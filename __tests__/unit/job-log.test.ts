import { describe, expect, it } from '@jest/globals';
import { logUntrusted } from '../../src/github/job-log.js';

describe('logUntrusted', () => {
  it('prints the text between stop-commands and its resume line, with a fresh random token each time', () => {
    const lines: string[] = [];
    const text = '::add-mask::secret\n::stop-commands::x\n::x::\n::error::pwned';
    logUntrusted(text, (line) => lines.push(line));
    logUntrusted('second', (line) => lines.push(line));
    expect(lines).toHaveLength(6);
    const [stop, shown, resume, stopAgain] = lines as [string, string, string, string];
    const token = /^::stop-commands::([0-9a-f-]{36})$/.exec(stop)?.[1];
    expect(token).toBeDefined();
    expect(shown).toBe(text);
    expect(resume).toBe(`::${token}::`);
    expect(stopAgain).not.toBe(stop);
  });
});
