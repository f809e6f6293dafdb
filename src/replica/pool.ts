import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { REPLICA_MANIFEST_FILE } from './manifest.ts';
import { ReplicaPlayer, type ReplicaPlayerOptions } from './player.ts';

/** Options of {@link ReplicaPlayerPool}. */
export interface ReplicaPlayerPoolOptions {
  /** Idle players kept (least recently used closed first); 0 keeps none. Default 2. */
  maxIdle?: number;
  /** An idle player is closed after this long unused, ms. Default 120 000. */
  idleMs?: number;
}

const POOL_DEFAULTS: Readonly<Required<ReplicaPlayerPoolOptions>> = Object.freeze({
  maxIdle: 2,
  idleMs: 120_000,
});

interface Idle {
  key: string;
  player: ReplicaPlayer;
  timer: NodeJS.Timeout;
}

/**
 * Opened video-avatar players kept between renders, so that a server rendering many videos
 * of one avatar opens it once: a render takes an idle player of the same folder, options and
 * files ({@link ReplicaPlayer.restart}: the same frames as a newly opened one, byte for byte)
 * instead of loading the avatar, starting its reanimator and decoding its first frames again
 * (~130–200 ms of an 8 s render at 512²). A player is keyed by the folder, its
 * `replica.json`'s inode, size and modification time (an avatar created again in its place
 * is opened afresh) and the options; players in use are never shared. Each idle player holds
 * ~15 MB at 512² (decoded frames, buffers, its reanimator).
 *
 * @example
 * const pool = new ReplicaPlayerPool();
 * const player = await pool.acquire('avatars/me', { seed: 0 });
 * try { await player.render(weights); } finally { await pool.release(player); }
 * await pool.close();
 */
export class ReplicaPlayerPool {
  readonly #options: Required<ReplicaPlayerPoolOptions>;
  /** Idle players, least recently released first. */
  readonly #idle: Idle[] = [];
  /** Keys of the players handed out. */
  readonly #inUse = new Map<ReplicaPlayer, string>();
  #closed = false;

  constructor(options: ReplicaPlayerPoolOptions = {}) {
    this.#options = { ...POOL_DEFAULTS, ...withoutUndefined(options) };
  }

  /** Idle players now (diagnostics, tests). */
  get idle(): number {
    return this.#idle.length;
  }

  /**
   * A player of `dir` starting at the beginning of its plan with `options.seed`: an idle one
   * restarted when there is one for the same files and options, else a newly opened one.
   * Give it back with {@link release}.
   */
  async acquire(dir: string, options: ReplicaPlayerOptions = {}): Promise<ReplicaPlayer> {
    const key = await playerKey(dir, options);
    const k = this.#idle.findLastIndex((i) => i.key === key);
    let player: ReplicaPlayer | undefined;
    if (k >= 0) {
      const [idle] = this.#idle.splice(k, 1) as [Idle];
      clearTimeout(idle.timer);
      try {
        await idle.player.restart(options.seed ?? 0);
        player = idle.player;
      } catch {
        await idle.player.close().catch(() => undefined);
      }
    }
    player ??= await ReplicaPlayer.open(dir, options);
    this.#inUse.set(player, key);
    return player;
  }

  /**
   * Takes a player back once its frames are done: kept idle (the oldest idle one closed past
   * `maxIdle`), or closed when the pool is closed, `failed` is set or it was not the pool's.
   */
  async release(player: ReplicaPlayer, failed = false): Promise<void> {
    const key = this.#inUse.get(player);
    this.#inUse.delete(player);
    if (key === undefined || failed || this.#closed || this.#options.maxIdle === 0) {
      await player.close();
      return;
    }
    const timer = setTimeout(() => void this.#expire(player), this.#options.idleMs);
    timer.unref();
    this.#idle.push({ key, player, timer });
    while (this.#idle.length > this.#options.maxIdle) {
      const oldest = this.#idle.shift() as Idle;
      clearTimeout(oldest.timer);
      await oldest.player.close();
    }
  }

  /** Closes the idle players; players in use are closed when released. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle.splice(0);
    for (const i of idle) clearTimeout(i.timer);
    await Promise.all(idle.map((i) => i.player.close()));
  }

  async #expire(player: ReplicaPlayer): Promise<void> {
    const k = this.#idle.findIndex((i) => i.player === player);
    if (k < 0) return;
    this.#idle.splice(k, 1);
    await player.close().catch(() => undefined);
  }
}

/** The folder, its manifest file's identity and the options that shape the frames. */
async function playerKey(dir: string, options: ReplicaPlayerOptions): Promise<string> {
  const path = resolve(dir);
  const info = await stat(join(path, REPLICA_MANIFEST_FILE)).catch(() => undefined);
  const { seed: _seed, ...shaping } = options;
  return JSON.stringify([
    path,
    info ? [info.dev, info.ino, info.size, info.mtimeMs] : null,
    shaping,
    // The default of planOnCaller is read from the environment at open.
    process.env.FACECAST_REPLICA_PLAN_HERE ?? null,
  ]);
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
