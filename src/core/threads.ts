import type { Worker } from 'node:worker_threads';

/**
 * Entry of facecast's worker threads (thread-boot.mjs): facecast runs its TypeScript sources
 * through tsx, which a worker does not inherit, so each worker is started on this file with
 * `workerData.entry` (the file URL of its TypeScript module) and registers tsx first.
 *
 * @example
 * new Worker(WORKER_BOOT, { workerData: { entry: new URL('./my-worker.ts', import.meta.url).href } });
 */
export const WORKER_BOOT = new URL('./thread-boot.mjs', import.meta.url);

/** How {@link workerReady} reads a worker's messages during start-up. */
export interface WorkerStartup<Reply, T> {
  /** The start-up result when `reply` is the worker's ready message, else undefined. */
  ready(reply: Reply): T | undefined;
  /** The error when `reply` is the worker's start-up error message, else undefined. */
  error(reply: Reply): Error | undefined;
  /** The error for a worker that crashed or exited while starting. */
  failed(message: string, cause?: Error): Error;
  /** The worker's name in messages, e.g. "render thread". */
  name: string;
}

/**
 * Waits for a starting worker's ready message (resolves with what `startup.ready` reads from
 * it) or its start-up error, crash, exit or `signal`'s abort (rejects); removes its listeners
 * either way, so the caller's own listeners are the only ones left.
 */
export function workerReady<Reply, T>(
  worker: Worker,
  signal: AbortSignal | undefined,
  startup: WorkerStartup<Reply, T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
    };
    const onMessage = (reply: Reply) => {
      const value = startup.ready(reply);
      const error = value === undefined ? startup.error(reply) : undefined;
      if (value === undefined && error === undefined) return;
      done();
      if (error) reject(error);
      else resolve(value as T);
    };
    const onError = (error: Error) => {
      done();
      reject(startup.failed(error.message, error));
    };
    const onExit = (code: number) => {
      done();
      reject(startup.failed(`the ${startup.name} exited during start-up (code ${code})`));
    };
    const onAbort = () => {
      done();
      reject(signal?.reason);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
