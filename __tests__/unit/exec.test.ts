import { afterEach, describe, expect, test } from '@jest/globals';
import { execStream } from '../../src/exec.js';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('execStream', () => {
  afterEach(() => {
    delete process.env.FOOTPRINT_TEST_TOKEN;
  });

  test('streams stdout, keeps stderr and the exit code, and a clean environment has no tokens', async () => {
    process.env.FOOTPRINT_TEST_TOKEN = 'must-not-leave';
    const command = execStream('sh', ['-c', 'env; echo oops >&2; exit 3'], { cleanEnv: true, env: { FOOTPRINT_EXTRA: 'given' } });
    const stdout = await text(command.stdout);
    expect(stdout).not.toContain('must-not-leave');
    expect(stdout).toContain('FOOTPRINT_EXTRA=given');
    expect(await command.exited).toEqual({ exitCode: 3, stderr: 'oops', failure: null });
  });

  test('a command that cannot be started says why and never rejects', async () => {
    const command = execStream('/no/such/command', ['x']);
    command.stdout.resume();
    const exit = await command.exited;
    expect(exit.exitCode).toBe(-1);
    expect(exit.failure).toMatch(/ENOENT/);
  });

  test('kill stops a command that would write forever', async () => {
    const command = execStream('yes', []);
    command.stdout.once('data', () => command.kill());
    command.stdout.resume();
    const exit = await command.exited;
    expect(exit.exitCode).toBe(-1);
    expect(exit.failure).not.toBeNull();
  });
});
