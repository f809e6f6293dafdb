import { availableParallelism } from 'node:os';
import type { types as ms } from 'mediasoup';
import { LiveError } from './errors.ts';
import { findWorkerBinary } from './sfu-worker.ts';

/** Options of {@link WorkerPool.start}. */
export interface WorkerPoolOptions {
  /** Worker processes; one per core is mediasoup's advice. Default `availableParallelism()`. */
  workers?: number;
  /** RTC port range shared by the workers. Default 40000–49999. */
  rtcMinPort?: number;
  rtcMaxPort?: number;
}

/** One worker and how many routers it hosts (the load used to place the next one). */
interface PoolEntry {
  index: number;
  worker: ms.Worker;
  routers: number;
  /** The process died (its routers and everything on them are closed). */
  dead: boolean;
}

/**
 * mediasoup worker processes, one per core: routers go to the least-loaded worker. The
 * binary is the one `npm run setup:sfu` built (or `MEDIASOUP_WORKER_BIN`); without it
 * `start()` throws `LIVE_FANOUT_UNAVAILABLE` saying how to get one.
 */
export class WorkerPool {
  readonly #entries: PoolEntry[];
  #closed = false;

  private constructor(entries: PoolEntry[]) {
    this.#entries = entries;
  }

  static async start(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const binary = findWorkerBinary();
    if ('reason' in binary) throw new LiveError('LIVE_FANOUT_UNAVAILABLE', binary.reason);
    // mediasoup reads MEDIASOUP_WORKER_BIN once, when it is first imported.
    process.env.MEDIASOUP_WORKER_BIN ??= binary.path;
    let mediasoup: typeof import('mediasoup');
    try {
      mediasoup = await import('mediasoup');
    } catch (cause) {
      throw new LiveError('LIVE_FANOUT_UNAVAILABLE', 'the mediasoup package is not installed', {
        cause,
      });
    }
    const count = Math.max(1, options.workers ?? availableParallelism());
    const entries: PoolEntry[] = [];
    try {
      for (let index = 0; index < count; index++) {
        const worker = await mediasoup.createWorker({
          logLevel: 'warn',
          rtcMinPort: options.rtcMinPort ?? 40_000,
          rtcMaxPort: options.rtcMaxPort ?? 49_999,
        });
        const entry: PoolEntry = { index, worker, routers: 0, dead: false };
        worker.once('died', (error) => {
          entry.dead = true;
          console.error(
            `live: mediasoup worker ${worker.pid} died (${error.message}); its sessions move to the other workers (their viewers join again)`,
          );
        });
        entries.push(entry);
      }
    } catch (cause) {
      for (const entry of entries) entry.worker.close();
      throw new LiveError(
        'LIVE_FANOUT_UNAVAILABLE',
        `mediasoup worker ${mediasoup.workerBin} could not start: ${(cause as Error).message}`,
        { cause },
      );
    }
    return new WorkerPool(entries);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Process ids of the workers, in pool order. */
  get pids(): number[] {
    return this.#entries.map((e) => e.worker.pid);
  }

  /**
   * A new router on the least-loaded live worker, avoiding `avoid` (worker indexes) while
   * another worker is free of them. Returns the router and its worker's index.
   */
  async createRouter(
    mediaCodecs: ms.RtpCodecCapability[],
    avoid: ReadonlySet<number> = new Set(),
  ): Promise<{ router: ms.Router; workerIndex: number }> {
    if (this.#closed) throw new LiveError('LIVE_FANOUT_UNAVAILABLE', 'the worker pool is closed');
    const alive = this.#entries.filter(isAlive);
    if (alive.length === 0)
      throw new LiveError('LIVE_FANOUT_UNAVAILABLE', 'every mediasoup worker has died');
    const candidates = alive.filter((e) => !avoid.has(e.index));
    const pool = candidates.length > 0 ? candidates : alive;
    const entry = pool.reduce((best, e) => (e.routers < best.routers ? e : best));
    const router = await entry.worker.createRouter({ mediaCodecs });
    entry.routers++;
    router.observer.once('close', () => {
      entry.routers--;
    });
    return { router, workerIndex: entry.index };
  }

  /** Whether a live worker exists whose index is not in `indexes`. */
  hasLiveWorkerOutside(indexes: ReadonlySet<number>): boolean {
    return this.#entries.some((e) => isAlive(e) && !indexes.has(e.index));
  }

  /** Resource usage of each live worker (user + system CPU, ms), in pool order. */
  async cpuMs(): Promise<number[]> {
    const alive = this.#entries.filter(isAlive);
    const usages = await Promise.all(alive.map((e) => e.worker.getResourceUsage()));
    return usages.map((u) => u.ru_utime + u.ru_stime);
  }

  /** One worker's CPU so far (user + system), ms. */
  async workerCpuMs(index: number): Promise<number> {
    const entry = this.#entries[index];
    if (!entry || !isAlive(entry))
      throw new LiveError('LIVE_FANOUT_UNAVAILABLE', `worker ${index} is not running`);
    const usage = await entry.worker.getResourceUsage();
    return usage.ru_utime + usage.ru_stime;
  }

  /** Closes every worker (and with them their routers). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#entries) entry.worker.close();
  }
}

/**
 * A worker that has not died. mediasoup closes a dying worker's routers before it emits
 * `died`, so a router-close handler placing a new router must also see `worker.closed`.
 */
function isAlive(entry: PoolEntry): boolean {
  return !entry.dead && !entry.worker.closed;
}
