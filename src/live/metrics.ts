import type { SessionManager } from './manager.ts';

/** Labels → value rows of a gauge, as the server's metrics registry collects them. */
type Rows = number | [Record<string, string>, number][];

/** The part of the server's metrics registry live sessions use (src/server's `Registry`). */
export interface GaugeRegistry {
  gauge(name: string, help: string, collect: () => Rows): unknown;
}

/**
 * Registers the live-session gauges, read from the manager at every scrape: sessions, the
 * cap and the headroom under it (with the probe's CPU per frame when capacity was measured),
 * fan-out viewers, sessions created and ended (by reason), and per session (labels `session`,
 * `avatar`) fps, frames sent and dropped, latency quantiles and queue depths.
 */
export function registerLiveMetrics(registry: GaugeRegistry, manager: SessionManager): void {
  const perSession = (
    pick: (s: ReturnType<SessionManager['list']>[number]) => number | null,
  ): Rows =>
    manager.list().flatMap((s) => {
      const v = pick(s);
      return v === null ? [] : [[{ session: s.sessionId, avatar: s.avatarId }, v]];
    });
  registry.gauge('facecast_live_sessions', 'Live sessions running now.', () => manager.size);
  registry.gauge(
    'facecast_live_sessions_max',
    'Cap on concurrent live sessions.',
    () => manager.maxSessions,
  );
  registry.gauge(
    'facecast_live_sessions_headroom',
    'Sessions this host can still admit (the cap, measured or configured, minus those running).',
    () => Math.max(0, manager.maxSessions - manager.size),
  );
  registry.gauge(
    'facecast_live_capacity_cpu_ms_per_frame',
    "CPU one session's video frame costs, as the startup capacity probe measured it, ms.",
    () => {
      const capacity = manager.capacity;
      return capacity ? capacity.cpuMsPerFrame : [];
    },
  );
  registry.gauge('facecast_live_viewers', 'Fan-out viewers (mediasoup) per session.', () => {
    const fanout = manager.fanout;
    if (!fanout) return [];
    return manager
      .list()
      .map((s) => [{ session: s.sessionId, avatar: s.avatarId }, fanout.viewerCount(s.sessionId)]);
  });
  registry.gauge(
    'facecast_live_sessions_created',
    'Live sessions created since start.',
    () => manager.toJSON().created,
  );
  registry.gauge(
    'facecast_live_sessions_ended',
    'Live sessions ended since start, by reason.',
    () => Object.entries(manager.toJSON().ended).map(([reason, n]) => [{ reason }, n]),
  );
  registry.gauge('facecast_live_fps', 'Video frames sent per second over the last 5 s.', () =>
    perSession((s) => s.fps),
  );
  registry.gauge('facecast_live_frames_sent', 'Video frames sent by the session.', () =>
    perSession((s) => s.framesSent),
  );
  registry.gauge(
    'facecast_live_frames_dropped',
    'Video frames dropped (late, or encoder busy).',
    () => perSession((s) => s.framesDropped),
  );
  registry.gauge(
    'facecast_live_latency_p50_ms',
    'Audio-in to frame-out latency, median of the last 250 speaking frames, ms.',
    () => perSession((s) => s.latencyMs.p50),
  );
  registry.gauge(
    'facecast_live_latency_p95_ms',
    'Audio-in to frame-out latency, 95th percentile of the last 250 speaking frames, ms.',
    () => perSession((s) => s.latencyMs.p95),
  );
  registry.gauge(
    'facecast_live_queue_depth',
    'Queue depths: speech and mic in ms, motion and encoder in frames.',
    () =>
      manager
        .list()
        .flatMap((s) =>
          Object.entries(s.queues).map(
            ([queue, v]) =>
              [{ session: s.sessionId, avatar: s.avatarId, queue }, v] as [
                Record<string, string>,
                number,
              ],
          ),
        ),
  );
}
