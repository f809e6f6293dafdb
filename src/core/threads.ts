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

/**
 * The requests a worker-thread client has in flight, each answered by its id: the bookkeeping
 * every such client needs (the render, landmark and reanimator threads).
 *
 * @example
 * const { id, reply } = this.#pending.add();
 * worker.postMessage({ type: 'render', id, controls });
 * // on the worker's answer: this.#pending.resolve(answer.id, answer)
 */
export class PendingReplies<T> {
  readonly #waiting = new Map<number, Waiting<T>>();
  #nextId = 0;

  /** Requests in flight. */
  get size(): number {
    return this.#waiting.size;
  }

  /** A new request's id and the promise its answer settles. */
  add(): { id: number; reply: Promise<T> } {
    const id = this.#nextId++;
    let settle: Pick<Waiting<T>, 'resolve' | 'reject'> | undefined;
    const reply = new Promise<T>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.#waiting.set(id, { ...(settle as Pick<Waiting<T>, 'resolve' | 'reject'>), reply });
    return { id, reply };
  }

  /** Settles request `id` with `value`; false when no such request is in flight. */
  resolve(id: number, value: T): boolean {
    const waiting = this.#take(id);
    waiting?.resolve(value);
    return waiting !== undefined;
  }

  /** Rejects request `id`; false when no such request is in flight. */
  reject(id: number, error: Error): boolean {
    const waiting = this.#take(id);
    waiting?.reject(error);
    return waiting !== undefined;
  }

  /** Rejects every request in flight with `error`. */
  rejectAll(error: Error): void {
    const all = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const waiting of all) waiting.reject(error);
  }

  /** Resolves once every request now in flight has settled, either way. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#waiting.values()].map((w) => w.reply));
  }

  #take(id: number): Waiting<T> | undefined {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    return waiting;
  }
}

interface Waiting<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  reply: Promise<T>;
}
