import type { SessionManager } from './manager.ts';

/** Labels → value rows of a gauge, as the server's metrics registry collects them. */
type Rows = number | [Record<string, string>, number][];

/** The part of the server's metrics registry live sessions use (src/server's `Registry`). */
export interface GaugeRegistry {
  gauge(name: string, help: string, collect: () => Rows): unknown;
}

type SessionStats = ReturnType<SessionManager['list']>[number];

/**
 * Registers the live-session gauges, read from the manager at every scrape: sessions, the
 * cap and the headroom under it (with the probe's CPU per frame when capacity was measured),
 * fan-out viewers, sessions created and ended (by reason), and over the running sessions the
 * worst fps, the frames sent and dropped (summed), the worst latency quantiles and the
 * deepest queues. No label carries a session or avatar id: ids are unbounded (one series
 * each, never collected) and they would expose who uses the server to whoever reads /metrics.
 */
export function registerLiveMetrics(registry: GaugeRegistry, manager: SessionManager): void {
  const values = (pick: (s: SessionStats) => number | null): number[] =>
    manager.list().flatMap((s) => {
      const v = pick(s);
      return v === null ? [] : [v];
    });
  const min = (pick: (s: SessionStats) => number | null) => {
    const v = values(pick);
    return v.length > 0 ? Math.min(...v) : 0;
  };
  const max = (pick: (s: SessionStats) => number | null) => Math.max(0, ...values(pick));
  const sum = (pick: (s: SessionStats) => number | null) => values(pick).reduce((a, b) => a + b, 0);
  registry.gauge('facecast_live_sessions', 'Live sessions running now.', () => manager.size);
  registry.gauge(
    'facecast_live_sessions_max',
    'Cap on concurrent live sessions.',
    () => manager.maxSessions,
  );
  registry.gauge(
    'facecast_live_sessions_headroom',
    'Sessions this host can still admit (under the cap, and the CPU the measured costs of the running sessions and viewers leave).',
    () => manager.headroom().sessionsHeadroom,
  );
  registry.gauge(
    'facecast_live_viewers_headroom',
    'Fan-out viewers this host can still admit by their measured cost (absent when no viewer cost was measured).',
    () => manager.headroom().viewersHeadroom ?? [],
  );
  registry.gauge(
    'facecast_live_viewer_cpu_ms_per_frame',
    'mediasoup worker CPU to forward one frame (with its audio) to one viewer, as the startup viewer-cost probe measured it, ms.',
    () => manager.viewerCost?.cpuMsPerViewerFrame ?? [],
  );
  registry.gauge(
    'facecast_live_capacity_cpu_ms_per_frame',
    "CPU one session's video frame costs, as the startup capacity probe measured it, ms.",
    () => {
      const capacity = manager.capacity;
      return capacity ? capacity.cpuMsPerFrame : [];
    },
  );
  registry.gauge(
    'facecast_live_viewers',
    'Fan-out viewers (mediasoup) of the running sessions.',
    () => {
      const fanout = manager.fanout;
      return fanout ? sum((s) => fanout.viewerCount(s.sessionId)) : 0;
    },
  );
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
  registry.gauge(
    'facecast_live_fps_min',
    'Video frames sent per second over the last 5 s, by the slowest running session (0 when none).',
    () => min((s) => s.fps),
  );
  registry.gauge('facecast_live_frames_sent', 'Video frames sent by the running sessions.', () =>
    sum((s) => s.framesSent),
  );
  registry.gauge(
    'facecast_live_frames_dropped',
    'Video frames dropped (late, or encoder busy) by the running sessions.',
    () => sum((s) => s.framesDropped),
  );
  registry.gauge(
    'facecast_live_latency_p50_ms_max',
    'Audio-in to frame-out latency, median of the last 250 speaking frames, worst running session, ms.',
    () => max((s) => s.latencyMs.p50),
  );
  registry.gauge(
    'facecast_live_latency_p95_ms_max',
    'Audio-in to frame-out latency, 95th percentile of the last 250 speaking frames, worst running session, ms.',
    () => max((s) => s.latencyMs.p95),
  );
  registry.gauge(
    'facecast_live_queue_depth_max',
    'Deepest queue over the running sessions: speech and mic in ms, motion and encoder in frames.',
    () => {
      const deepest = new Map<string, number>();
      for (const s of manager.list()) {
        for (const [queue, v] of Object.entries(s.queues)) {
          deepest.set(queue, Math.max(deepest.get(queue) ?? 0, v));
        }
      }
      return [...deepest].map(([queue, v]) => [{ queue }, v] as [Record<string, string>, number]);
    },
  );
}
