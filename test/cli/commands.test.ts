import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, main } from '../../src/cli/main.ts';

/** Captures what a command writes. */
function capture() {
  let text = '';
  const stream = {
    write(chunk: string) {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { stream, text: () => text };
}

describe('the command table (each command loaded only when run)', () => {
  it('lists every command in --help', async () => {
    const out = capture();
    expect(await main(['--help'], { stdout: out.stream, stderr: out.stream })).toBe(0);
    for (const name of COMMAND_NAMES) expect(out.text()).toMatch(new RegExp(`\\n  ${name}\\s`));
  });

  it.each(COMMAND_NAMES)(
    '%s loads on demand and prints its own usage',
    async (name) => {
      const out = capture();
      const err = capture();
      expect(await main([name, '--help'], { stdout: out.stream, stderr: err.stream })).toBe(0);
      expect(out.text()).toContain(`Usage: facecast ${name}`);
      expect(err.text()).toBe('');
    },
    60_000,
  );

  it('an unknown command is a usage error', async () => {
    const out = capture();
    const err = capture();
    expect(await main(['nope'], { stdout: out.stream, stderr: err.stream })).toBe(2);
    expect(err.text()).toMatch(/unknown command "nope"/);
  });
});
