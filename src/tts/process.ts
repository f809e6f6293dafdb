import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { AbortedError } from '../core/index.ts';
import { TtsError } from './errors.ts';

/** Options of {@link runEngine}. */
export interface RunEngineOptions {
  /** Written to the process's stdin, then stdin is closed. Default nothing. */
  input?: string;
  /** Kills the process after this long, ms. Default 30000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs a local TTS engine's command line and returns its stdout. A non-zero exit, a crash,
 * or the timeout → TTS_SYNTHESIS_FAILED (with the engine's last stderr line); an abort kills
 * the process and rejects with the signal's reason.
 *
 * @example
 * const out = await runEngine('flite', ['-lv']);
 */
export function runEngine(
  command: string,
  args: readonly string[],
  options: RunEngineOptions = {},
): Promise<string> {
  const { input, timeoutMs = 30_000, signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason ?? new AbortedError());
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let settled = false;
    const finish = (error: unknown, stdout?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(stdout ?? '');
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(signal?.reason ?? new AbortedError());
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new TtsError('TTS_SYNTHESIS_FAILED', `${command} took over ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      err = (err + text).slice(-2000);
    });
    child.on('error', (cause) =>
      finish(new TtsError('TTS_SYNTHESIS_FAILED', `${command} could not start`, { cause })),
    );
    child.on('close', (code, killed) => {
      if (code === 0) return finish(undefined, Buffer.concat(out).toString('utf8'));
      const last = err.trim().split('\n').pop() ?? '';
      finish(
        new TtsError(
          'TTS_SYNTHESIS_FAILED',
          `${command} failed (${killed ?? `exit ${code}`})${last ? `: ${last}` : ''}`,
        ),
      );
    });
    child.stdin.on('error', () => undefined); // a process that exits early closes its stdin
    child.stdin.end(input ?? '');
  });
}

/** The full path of an executable found on PATH, or undefined (how engines are detected). */
export async function findExecutable(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    const ok = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return path;
  }
  return undefined;
}
