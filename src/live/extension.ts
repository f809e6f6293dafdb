import type { Hono } from 'hono';
import { isFacecastError } from '../core/index.ts';
import { type Generator, type GeneratorMode, resolveGenerator } from '../generator/index.ts';
import type { MotionModelOptions } from '../motion/index.ts';
import type { TtsProvider } from '../tts/index.ts';
import { probeSessionCapacity, type SessionCapacity } from './capacity.ts';
import { clientAssets } from './client-bundle.ts';
import { MediasoupFanout } from './fanout.ts';
import { SessionManager } from './manager.ts';
import type { GaugeRegistry } from './metrics.ts';
import { attachLiveSockets, mountLive, type UpgradeSource } from './mount.ts';
import type { OpenApiRegistryLike } from './openapi.ts';
import { LIVE_SERVER_DEFAULTS, type LiveServerOptions } from './options.ts';
import { createLiveStages } from './stages.ts';
import { probeViewerCost, type ViewerCost } from './viewer-cost.ts';
import type { LiveSocketServer } from './ws.ts';

/** What live sessions use from the server's services (structurally: no import of src/server). */
export interface LiveHostServices {
  /** The avatar library: `get(id)` → its folder, or throws AVATAR_NOT_FOUND. */
  avatars: { get(id: string): Promise<{ dir: string }> };
  /** The TTS provider, loaded on first use. */
  tts?: () => Promise<TtsProvider>;
  metrics?: { registry: GaugeRegistry };
}

/** Options of {@link liveExtension}. */
export interface LiveExtensionOptions extends LiveServerOptions {
  motionOptions?: MotionModelOptions;
  /** Where sessions render (default `worker`). */
  render?: 'worker' | 'inline';
  /**
   * `--generator` for live sessions: `off`, `on`, or `auto` (default: on only where the
   * held-out evaluation says the generator beats warp-only, including with the live path's
   * one-frame windows, and a probe frame fits {@link LIVE_GENERATOR_BUDGET_MS}).
   */
  generator?: GeneratorMode;
  /** Try to start mediasoup workers for fan-out. Default true (it logs why when it cannot). */
  fanout?: boolean;
  /**
   * An avatar id to measure this host's session capacity with at startup
   * ({@link probeSessionCapacity}); sessions are then admitted against the measurement, and
   * with fan-out on, the viewer cost is measured too ({@link probeViewerCost}) and viewers
   * are admitted against the same headroom. Default none: admitted up to `maxSessions`.
   */
  capacityAvatar?: string;
  /** Where one-line notices go. Default stderr. */
  log?: (line: string) => void;
}

/**
 * The most a live frame may spend in generator + super-resolution for `auto` to enable it:
 * a 40 ms frame also needs motion, the warp and the VP8 encoder.
 */
export const LIVE_GENERATOR_BUDGET_MS = 20;

/**
 * Live sessions as an extension of `facecast serve` (src/server `ServerExtension`): mounts
 * the routes, the client and the metrics into the app, routes the ws upgrades once the
 * server listens, and ends every session on shutdown.
 *
 * @example
 * await startServer(config, { extensions: [liveExtension({ maxSessions: 4 })] });
 */
export function liveExtension(options: LiveExtensionOptions = {}) {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let manager: SessionManager | undefined;
  let sockets: LiveSocketServer | undefined;
  let stages: Awaited<ReturnType<typeof createLiveStages>> | undefined;
  let fanout: MediasoupFanout | undefined;
  let generator: Generator | undefined;
  return {
    async mount(
      app: { route(path: string, app: Hono): unknown; openAPIRegistry?: OpenApiRegistryLike },
      services: LiveHostServices,
    ): Promise<void> {
      const tts = services.tts;
      const decision = await resolveGenerator(options.generator ?? 'auto', {
        frameBudgetMs: LIVE_GENERATOR_BUDGET_MS,
      });
      generator = decision.generator;
      log(`facecast serve: live sessions: ${decision.reason}`);
      stages = await createLiveStages({
        resolveAvatar: async (id) => {
          try {
            return (await services.avatars.get(id)).dir;
          } catch (error) {
            if (isFacecastError(error) && error.kind === 'not-found') return undefined;
            throw error;
          }
        },
        ...(options.motionOptions ? { motionOptions: options.motionOptions } : {}),
        ...(tts ? { tts } : {}),
        ...(options.render ? { render: options.render } : {}),
        ...(generator ? { generator } : {}),
      });
      const capacity = await measureCapacity(stages, options, log);
      if (options.fanout !== false) {
        fanout = await MediasoupFanout.create().catch((error: Error) => {
          log(`facecast serve: live fan-out off: ${error.message}`);
          return undefined;
        });
        if (fanout)
          log(`facecast serve: live fan-out on: ${fanout.workerPids.length} mediasoup workers`);
      }
      const viewerCost = fanout && capacity ? await measureViewerCost(fanout, log) : undefined;
      const {
        fanout: _wanted,
        motionOptions: _m,
        render: _r,
        log: _l,
        generator: _g,
        capacityAvatar: _c,
        ...server
      } = options;
      manager = new SessionManager({
        ...server,
        stages,
        ...(fanout ? { fanout } : {}),
        ...(capacity ? { capacity } : {}),
        ...(viewerCost ? { viewerCost } : {}),
      });
      mountLive(app, {
        manager,
        ...(services.metrics ? { metrics: services.metrics.registry } : {}),
      });
      // Build the browser client now, so the first page load does not wait for it.
      await clientAssets();
    },
    listening(running: { server: unknown }): void {
      // @hono/node-server's server is an http.Server here (no HTTP/2 options are passed).
      if (manager) sockets = attachLiveSockets(running.server as UpgradeSource, manager);
    },
    async close(): Promise<void> {
      await manager?.close();
      await sockets?.close();
      await stages?.close();
      await generator?.close();
      fanout?.close();
    },
    /** The session manager, once mounted (tests, benchmarks). */
    get manager(): SessionManager | undefined {
      return manager;
    },
    get sockets(): LiveSocketServer | undefined {
      return sockets;
    },
  };
}

/**
 * The startup viewer-cost probe (with the session probe: measured admission covers viewers
 * too); logs the outcome. Without it viewers are admitted without a bound.
 */
async function measureViewerCost(
  fanout: MediasoupFanout,
  log: (line: string) => void,
): Promise<ViewerCost | undefined> {
  try {
    const cost = await probeViewerCost(fanout.pool);
    log(
      `facecast serve: live viewer cost measured: ${cost.cpuMsPerViewerFrame.toFixed(3)} ms of mediasoup worker CPU per viewer-frame; viewers are admitted against the host's headroom`,
    );
    return cost;
  } catch (error) {
    log(
      `facecast serve: live viewer-cost probe failed (${(error as Error).message}); viewers are not bounded`,
    );
    return undefined;
  }
}

/** The startup capacity probe, when an avatar is named for it; logs the outcome either way. */
async function measureCapacity(
  stages: Awaited<ReturnType<typeof createLiveStages>>,
  options: LiveExtensionOptions,
  log: (line: string) => void,
): Promise<SessionCapacity | undefined> {
  const cap = options.maxSessions ?? LIVE_SERVER_DEFAULTS.maxSessions;
  if (!options.capacityAvatar) {
    log(
      `facecast serve: live capacity not measured (set FACECAST_LIVE_CAPACITY_AVATAR to an avatar id to probe it); admitting up to ${cap} sessions`,
    );
    return undefined;
  }
  try {
    const capacity = await probeSessionCapacity(stages, options.capacityAvatar);
    log(
      `facecast serve: live capacity measured: ${capacity.cpuMsPerFrame.toFixed(1)} ms CPU per frame on ${capacity.cores} cores → ${capacity.sessions} sessions at 25 fps${options.maxSessions === undefined ? '' : ` (capped at --max-sessions ${options.maxSessions})`}`,
    );
    return capacity;
  } catch (error) {
    log(
      `facecast serve: live capacity probe failed (${(error as Error).message}); admitting up to ${cap} sessions`,
    );
    return undefined;
  }
}
