/**
 * Fan-out benchmark (docs/benchmarks.md, live-fanout), on the real stages:
 *
 * 1. One live session, its owner a werift peer streaming jfk.wav (live-viewer.ts), and
 *    0 → 20 viewers joining in steps of 5 through the product's viewer API (sfu-viewers.ts,
 *    werift, a separate process). Two mediasoup workers with 10 viewers per router: viewers
 *    11–20 are served by a router on the other worker, fed through pipeToRouter. Each window
 *    measures the workers' CPU (forwarding), and in the same window the session's own CPU:
 *    its VP8 encoder (ffmpeg) — the per-viewer encode baseline, what each viewer would cost
 *    if it got its own encode — and the server process (motion, render threads, tick, RTP).
 * 2. A second session with 20 viewers of its own joins: two sessions × 20 viewers at once.
 *
 *   npm run bench -- live-fanout        (needs `npm run setup:sfu`; FANOUT_WINDOW_S, default 8)
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { MediasoupFanout } from '../../src/live/index.ts';
import { type Bench, machineLine, table } from './harness.ts';
import {
  AVATAR_ID,
  type BenchServer,
  cpuNow,
  loadLine,
  percentile,
  startServer,
  WAV,
} from './live.ts';

const STEPS = [0, 5, 10, 15, 20];
const SECOND_SESSION_VIEWERS = 20;
/** The share of the cores admission plans to use (as the capacity probe). */
const UTILISATION = 0.7;

interface Window {
  /** mediasoup workers' CPU, ms per second (all workers). */
  workerCpuMsPerS: number;
  /** The sessions' VP8 encoders (ffmpeg), ms of CPU per second. */
  encoderCpuMsPerS: number;
  /** The server process (motion, render threads, ticks, RTP, signalling), ms per second. */
  serverCpuMsPerS: number;
  /** Frames each session sent per second. */
  sessionFps: number[];
}

interface Row extends Window {
  sessions: number;
  viewers: number;
  /** Slowest viewer's received fps over the window. */
  minViewerFps: number;
}

/** A child process speaking one JSON line per command. */
function lineChild(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.on('error', () => {}); // a child that died is reported by next()
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    async next(): Promise<Record<string, unknown>> {
      const { value, done } = await lines.next();
      if (done) throw new Error(`${args[0]} exited early`);
      return JSON.parse(value as string) as Record<string, unknown>;
    },
    send(line: string) {
      child.stdin.write(`${line}\n`);
    },
  };
}
type LineChild = ReturnType<typeof lineChild>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function measureWindow(
  fanout: MediasoupFanout,
  server: BenchServer,
  sessionIds: string[],
  windowS: number,
): Promise<Window> {
  const sent = () => sessionIds.map((id) => server.frames.get(id)?.sent.length ?? 0);
  const [w0, c0, s0] = [sum(await fanout.workerCpuMs()), await cpuNow(server.manager), sent()];
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const [w1, c1, s1] = [sum(await fanout.workerCpuMs()), await cpuNow(server.manager), sent()];
  return {
    workerCpuMsPerS: (w1 - w0) / seconds,
    encoderCpuMsPerS: ((c1.ffmpeg - c0.ffmpeg) * 1000) / seconds,
    serverCpuMsPerS: ((c1.node - c0.node) * 1000) / seconds,
    sessionFps: s1.map((n, i) => (n - (s0[i] as number)) / seconds),
  };
}

/** The slowest viewer's fps since the last report, over every viewer process. */
async function minViewerFps(viewerProcs: LineChild[]): Promise<number> {
  const fps: number[] = [];
  for (const v of viewerProcs) {
    v.send('report');
    const report = (await v.next()) as { viewers: { fps: number }[] };
    fps.push(...report.viewers.map((r) => r.fps));
  }
  return fps.length ? Math.min(...fps) : Number.NaN;
}

/** Starts the report windows of every viewer process (their fps counts restart). */
async function resetReports(viewerProcs: LineChild[]): Promise<void> {
  for (const v of viewerProcs) {
    v.send('report');
    await v.next();
  }
}

/** `n` more viewers join through `proc`; returns their first-key-frame times (ms). */
async function addViewers(proc: LineChild, n: number): Promise<number[]> {
  proc.send(`add ${n}`);
  const joined = (await proc.next()) as { firstKeyFrameMs: (number | null)[] };
  return joined.firstKeyFrameMs.map((v) => v ?? Number.NaN);
}

/** An owner (werift, streaming the wav) for one new session; null if it never went live. */
async function ownedSession(server: BenchServer, seconds: number) {
  const owner = lineChild([
    'scripts/bench/live-viewer.ts',
    server.url,
    '1',
    String(seconds),
    AVATAR_ID,
    WAV,
  ]);
  const { created } = (await owner.next()) as { created: { sessionId: string; viewToken: string } };
  const deadline = Date.now() + 45_000;
  for (;;) {
    const state = server.manager.get(created.sessionId)?.state;
    if (state === 'live') return { id: created.sessionId, viewToken: created.viewToken, owner };
    if (state === undefined || state === 'closed' || Date.now() > deadline) {
      owner.child.kill();
      return null;
    }
    await sleep(100);
  }
}

/**
 * A live session with its owner, and a viewer process for it. On these oversubscribed shared
 * cores an owner's ICE/DTLS setup sometimes fails (the session ends as peer-lost before it is
 * live); that is retried, up to 3 tries, and counted in the report.
 */
async function openSession(server: BenchServer, seconds: number, failedSetups: { count: number }) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const session = await ownedSession(server, seconds);
    if (!session) {
      failedSetups.count++;
      continue;
    }
    const viewers = lineChild([
      'scripts/bench/sfu-viewers.ts',
      server.url,
      session.id,
      session.viewToken,
    ]);
    return { id: session.id, owner: session.owner, viewers };
  }
  throw new Error('no session went live in 3 tries');
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const mx = sum(points.map((p) => p[0])) / points.length;
  const my = sum(points.map((p) => p[1])) / points.length;
  const num = sum(points.map(([x, y]) => (x - mx) * (y - my)));
  const den = sum(points.map(([x]) => (x - mx) ** 2));
  return num / den;
}

export const liveFanoutBench: Bench = {
  id: 'live-fanout',
  // Needs the worker `npm run setup:sfu` builds.
  onlyWhenNamed: true,
  async run() {
    const windowS = Number(process.env.FANOUT_WINDOW_S ?? 8);
    const fanout = await MediasoupFanout.create({ workers: 2, viewersPerRouter: 10 });
    // On these shared cores a starved owner process can miss the 10 s liveness window (the
    // session would end as peer-lost); fan-out is what is measured here, not that.
    const server = await startServer(2, fanout, false, undefined, { peerSilenceTimeoutMs: 60_000 });
    const ownerSeconds = 600; // longer than the run: the owners are killed at the end
    const loadBefore = await loadLine();
    const failedSetups = { count: 0 };
    const first = await openSession(server, ownerSeconds, failedSetups);
    const sessions = [first];
    const rows: Row[] = [];
    const firstKeyFrameMs: number[] = [];
    try {
      await sleep(3000); // the session is live and streaming before the first window
      for (const [i, step] of STEPS.entries()) {
        const add = step - (STEPS[i - 1] ?? 0);
        if (add > 0) {
          firstKeyFrameMs.push(...(await addViewers(first.viewers, add)));
          await sleep(1000);
        }
        rows.push(await measureRow(fanout, server, sessions, step, windowS));
      }
      const piped = [...fanout.placements(first.id).values()].filter((p) => p.piped).length;
      const second = await openSession(server, ownerSeconds, failedSetups);
      sessions.push(second);
      await sleep(3000);
      firstKeyFrameMs.push(...(await addViewers(second.viewers, SECOND_SESSION_VIEWERS)));
      await sleep(1000);
      rows.push(await measureRow(fanout, server, sessions, SECOND_SESSION_VIEWERS, windowS));
      const loadAfter = await loadLine();
      const { ended } = server.manager.toJSON();
      // Sessions whose setup failed (and was retried) are the only ones allowed to have ended.
      if (sum(Object.values(ended)) > failedSetups.count)
        throw new Error(`sessions ended during the benchmark: ${JSON.stringify(ended)}`);
      return report({
        rows,
        firstKeyFrameMs,
        piped,
        windowS,
        loadBefore,
        loadAfter,
        failedSetups: failedSetups.count,
      });
    } catch (error) {
      console.error(
        `live-fanout: sessions ended: ${JSON.stringify(server.manager.toJSON().ended)}`,
      );
      for (const s of sessions) {
        const said = await Promise.race([s.owner.next(), sleep(3000).then(() => 'nothing')]);
        console.error(`live-fanout: the owner of ${s.id} said ${JSON.stringify(said)}`);
      }
      throw error;
    } finally {
      for (const s of sessions) {
        s.viewers.send('quit');
        s.owner.child.kill();
      }
      await server.close();
      fanout.close();
    }
  },
};

async function measureRow(
  fanout: MediasoupFanout,
  server: BenchServer,
  sessions: { id: string; viewers: LineChild }[],
  viewersPerSession: number,
  windowS: number,
): Promise<Row> {
  const procs = sessions.map((s) => s.viewers);
  await resetReports(procs);
  const ids = sessions.map((s) => s.id);
  const window = await measureWindow(fanout, server, ids, windowS);
  return {
    sessions: sessions.length,
    viewers: viewersPerSession,
    ...window,
    minViewerFps: await minViewerFps(procs),
  };
}

function report(r: {
  rows: Row[];
  firstKeyFrameMs: number[];
  piped: number;
  windowS: number;
  loadBefore: string;
  loadAfter: string;
  failedSetups: number;
}) {
  // Everything is scaled to 25 fps by the frames each window actually sent: on a busy machine
  // sessions send fewer, and forwarding and encoding cost per frame.
  const fps = (row: Row) => sum(row.sessionFps);
  const oneSession = r.rows.filter((row) => row.sessions === 1);
  const perViewerFrame = slope(
    oneSession.map((row) => [row.viewers * fps(row), row.workerCpuMsPerS]),
  );
  const perViewer = perViewerFrame * 25;
  const encodeMs =
    (sum(oneSession.map((row) => row.encoderCpuMsPerS / fps(row))) / oneSession.length) * 25;
  const idle = oneSession[0] as Row;
  const sessionMs =
    ((idle.serverCpuMsPerS + idle.encoderCpuMsPerS + idle.workerCpuMsPerS) / fps(idle)) * 25;
  const cores = availableParallelism();
  const budget = cores * 1000 * UTILISATION;
  const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
  const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
  const pct = (msPerS: number) => `${f1(msPerS / 10)} %`;
  const plan = [0, 20, 100, 500].map((v) => [v, Math.floor(budget / (sessionMs + v * perViewer))]);
  const oneSessionViewers = Math.floor((budget - sessionMs) / perViewer);
  // A worker is one thread: one core, whatever the host has.
  const perWorker = Math.floor((1000 * UTILISATION) / perViewer);
  return {
    id: 'live-fanout',
    title: 'Live fan-out through mediasoup: viewers per session, sessions per host',
    body: [
      `Machine: ${machineLine()}; load average ${r.loadBefore} before, ${r.loadAfter} after (other engineers' jobs share these cores). Command: \`npm run bench -- live-fanout\` (FANOUT_WINDOW_S=${r.windowS}).`,
      '',
      `512² sessions on the real stages, each owner a werift peer streaming jfk.wav; viewers (werift, DTLS-SRTP, separate processes) join through the viewer API. Two mediasoup 3.13.16 workers built by \`npm run setup:sfu\`, 10 viewers per router: ${r.piped} of the first session's 20 viewers were served by a router on the second worker fed through pipeToRouter. The owners' liveness timeout is 60 s instead of 10 s (a starved owner process would otherwise end its session); ${r.failedSetups} owner setups failed before going live and were retried. CPU over each ${r.windowS} s window, as % of one core: the mediasoup workers (forwarding), the sessions' VP8 encoders (ffmpeg) and the server process (motion model, render threads, ticks, RTP).`,
      '',
      table(
        [
          'sessions',
          'viewers each',
          'session fps sent',
          'slowest viewer fps',
          'mediasoup workers',
          'VP8 encoders',
          'server process',
        ],
        r.rows.map((row) => [
          row.sessions,
          row.viewers,
          row.sessionFps.map(f1).join(', '),
          f1(row.minViewerFps),
          pct(row.workerCpuMsPerS),
          pct(row.encoderCpuMsPerS),
          pct(row.serverCpuMsPerS),
        ]),
      ),
      '',
      `Forwarding cost per viewer (slope of the workers' CPU over viewers × frames sent, one-session rows), at 25 fps: ${pct(perViewer)} of a core (${f2(perViewerFrame)} ms of CPU per viewer-frame, its audio included). Per-viewer encode baseline, same windows: one 512² VP8 encode at 25 fps costs ${pct(encodeMs)} of a core, so an SFU viewer costs ${f2(perViewer / encodeMs)} of an encode — ${f1(encodeMs / perViewer)}× cheaper than giving each viewer its own encode; a whole session (server process, encoder and its ingest, no viewers) at 25 fps costs ${pct(sessionMs)}, ${f1(sessionMs / perViewer)} viewers' worth.`,
      '',
      `First key frame at a joining viewer (from its first API call): p50 ${f1(percentile(r.firstKeyFrameMs, 0.5))} ms, p95 ${f1(percentile(r.firstKeyFrameMs, 0.95))} ms, max ${f1(Math.max(...r.firstKeyFrameMs))} ms (a key frame every 25 frames; a PLI cannot reach the encoder, so a viewer waits up to 1 s).`,
      '',
      `Planning from these figures (derived, not measured beyond the rows above): ${cores} cores × ${UTILISATION} = ${f1(budget)} ms of CPU per second; a session at 25 fps costs ${f1(sessionMs)} ms/s with no viewers, each viewer ${f1(perViewer)} ms/s more. One session alone could serve ${oneSessionViewers} viewers on this host; one worker (a single thread) forwards to at most ${perWorker} viewers at ${UTILISATION * 100} % of its core.`,
      '',
      table(['viewers per session', 'sessions per host'], plan),
    ].join('\n'),
  };
}
