import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { AbortedError } from '../core/index.ts';
import { TtsError } from './errors.ts';

/**
 * One long-lived `festival --pipe` process fed Scheme programs one at a time: Festival's
 * start-up (the lexicon, the voice) is paid once instead of per sentence (~1 s here). Each
 * program is followed by a marker that is printed and flushed (`fflush`), so its output ends
 * where the marker appears. An abort, a timeout or a crash kills the process; the next call
 * starts a fresh one. Calls are serialised.
 *
 * @example
 * const festival = new FestivalProcess('/usr/bin/festival');
 * const printed = await festival.run('(format t "hi\\n")');
 * festival.close();
 */
export class FestivalProcess {
  readonly command: string;
  #child: ChildProcessWithoutNullStreams | undefined;
  #stdout = '';
  #stderr = '';
  #marker = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** The call waiting for its marker: resolved on the marker, rejected if the process dies. */
  #waiting:
    | { marker: string; resolve: (out: string) => void; reject: (e: Error) => void }
    | undefined;

  constructor(command: string) {
    this.command = command;
  }

  /** Runs one program; resolves with what it printed. SIOD errors → TTS_SYNTHESIS_FAILED. */
  run(script: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string> {
    const run = this.#queue.then(() => this.#run(script, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Ends the process. Idempotent; a later `run` starts a new one. */
  close(): void {
    this.#kill(new AbortedError('festival was closed'));
  }

  async #run(
    script: string,
    { signal, timeoutMs = 30_000 }: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<string> {
    if (signal?.aborted) throw signal.reason ?? new AbortedError();
    const child = this.#child ?? this.#start();
    const marker = `@@facecast-${++this.#marker}@@`;
    this.#stderr = '';
    const printed = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#kill(new TtsError('TTS_SYNTHESIS_FAILED', `festival took over ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onAbort = () => this.#kill(signal?.reason ?? new AbortedError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#waiting = {
        marker,
        resolve: (out) => {
          done();
          resolve(out);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      child.stdin.write(`${script}\n(format t "\\n${marker}\\n")\n(fflush nil)\n`);
    });
    const error = /SIOD ERROR.*$/m.exec(`${this.#stderr}\n${printed}`);
    if (error) throw new TtsError('TTS_SYNTHESIS_FAILED', `festival: ${error[0].trim()}`);
    return printed;
  }

  #start(): ChildProcessWithoutNullStreams {
    const child = spawn(this.command, ['--pipe'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.#stdout = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => this.#onStdout(text));
    child.stderr.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-4000);
    });
    child.stdin.on('error', () => undefined); // a dying process closes its stdin
    const lost = (why: string) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      this.#fail(new TtsError('TTS_SYNTHESIS_FAILED', `festival ${why}`));
    };
    child.on('error', (e) => lost(`could not start: ${e.message}`));
    child.on('exit', (code) =>
      lost(`exited (${code}): ${this.#stderr.trim().split('\n').pop() ?? ''}`),
    );
    return child;
  }

  #onStdout(text: string): void {
    this.#stdout += text;
    const waiting = this.#waiting;
    if (!waiting) return;
    const at = this.#stdout.indexOf(waiting.marker);
    if (at < 0) return;
    const printed = this.#stdout.slice(0, at);
    this.#stdout = this.#stdout.slice(at + waiting.marker.length);
    this.#waiting = undefined;
    waiting.resolve(printed);
  }

  #kill(error: Error): void {
    const child = this.#child;
    this.#child = undefined;
    child?.kill('SIGKILL');
    this.#fail(error);
  }

  #fail(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
  }
}
