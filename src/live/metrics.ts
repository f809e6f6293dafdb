import type { SessionManager } from './manager.ts';

const esc = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"');

/**
 * Live-session metrics in the Prometheus text format (appended to the server's /metrics):
 * session count and cap, and per session fps, frames sent/dropped, latency quantiles and
 * queue depths.
 */
export function liveMetricsText(manager: SessionManager): string {
  const out: string[] = [];
  const gauge = (name: string, help: string, rows: [string, number | null][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of rows) {
      if (value !== null) out.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
    }
  };
  const stats = manager.list();
  const json = manager.toJSON();
  gauge('facecast_live_sessions', 'Live sessions running now.', [['', json.sessions]]);
  gauge('facecast_live_sessions_max', 'Cap on concurrent live sessions.', [['', json.maxSessions]]);
  const counter = (name: string, help: string, rows: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [labels, value] of rows) out.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
  };
  counter('facecast_live_sessions_created_total', 'Live sessions created.', [['', json.created]]);
  counter(
    'facecast_live_sessions_ended_total',
    'Live sessions ended, by reason.',
    Object.entries(json.ended).map(([reason, n]) => [`reason="${esc(reason)}"`, n]),
  );
  const by = (s: (typeof stats)[number]) =>
    `session="${esc(s.sessionId)}",avatar="${esc(s.avatarId)}"`;
  gauge(
    'facecast_live_fps',
    'Frames sent per second over the last 5 s.',
    stats.map((s) => [by(s), s.fps]),
  );
  counter(
    'facecast_live_frames_sent_total',
    'Video frames sent.',
    stats.map((s) => [by(s), s.framesSent]),
  );
  counter(
    'facecast_live_frames_dropped_total',
    'Video frames dropped (late or encoder busy).',
    stats.map((s) => [by(s), s.framesDropped]),
  );
  gauge(
    'facecast_live_latency_ms',
    'Audio-in to frame-out latency over the last 250 speaking frames, ms.',
    stats.flatMap((s) => [
      [`${by(s)},quantile="0.5"`, s.latencyMs.p50] as [string, number | null],
      [`${by(s)},quantile="0.95"`, s.latencyMs.p95] as [string, number | null],
    ]),
  );
  gauge(
    'facecast_live_queue_depth',
    'Queue depths: speech and mic in ms, motion and encoder in frames.',
    stats.flatMap((s) =>
      Object.entries(s.queues).map(
        ([queue, v]) => [`${by(s)},queue="${queue}"`, v] as [string, number],
      ),
    ),
  );
  return `${out.join('\n')}\n`;
}
