/**
 * Fan-out benchmark (docs/benchmarks.md, live-fanout), on the real stages, in one run:
 *
 * 1. The viewer-cost probe admission uses (probeViewerCost), for comparison with 3.
 * 2. First viewer frame latency: viewers join one at a time (werift, a separate process,
 *    through the product's viewer API) a session whose encoder ignores key frame requests
 *    (periodic key frames only, the baseline), then the measured session, whose encoder
 *    answers a joining viewer's key frame request.
 * 3. One session, its owner a werift peer streaming jfk.wav (live-viewer.ts), and 0 → 10 → 20
 *    viewers. Two mediasoup workers with 10 viewers per router: viewers 11–20 are served by a
 *    router on the other worker fed through pipeToRouter. Each window measures the workers'
 *    CPU (forwarding) and, in the same window, the session's VP8 encoder (the per-viewer
 *    encode baseline) and the server process.
 * 4. Admission: the capacity probe gives N; N + 1 sessions are opened at once: the first N
 *    should hold 25 fps, the last get 503 (live-capacity.ts, admissionCheck).
 *
 *   npm run bench -- live-fanout   (needs `npm run setup:sfu`; FANOUT_WINDOW_S, default 5;
 *                                   LIVE_SECONDS for the admission check, default 10)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { MediasoupFanout, probeViewerCost, type ViewerCost } from '../../src/live/index.ts';
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
import { admissionCheck } from './live-capacity.ts';

/** Viewers joining one at a time, per mode, for the first-frame latency. */
const LATENCY_JOINS = 6;
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

interface Measured {
  rows: Row[];
  /** First key frame at viewers joining one at a time: periodic key frames only. */
  latencyBefore: JoinTimes;
  /** The same with the encoder answering a joining viewer's key frame request. */
  latencyAfter: JoinTimes;
  /** For each key frame request of the one-at-a-time joins: to the next key frame sent, ms. */
  requestToKeyframeMs: number[];
  /** Key frame requests that reached the measured session's encoder during the CPU windows. */
  requestsInWindows: number;
  /** Viewers of the 20 served through pipeToRouter (the second worker). */
  piped: number;
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
  const [w0, c0, s0] = [sum(await fanout.workerCpuMs()), await encoderCpu(server), sent()];
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const [w1, c1, s1] = [sum(await fanout.workerCpuMs()), await encoderCpu(server), sent()];
  return {
    workerCpuMsPerS: (w1 - w0) / seconds,
    encoderCpuMsPerS: ((c1.ffmpeg - c0.ffmpeg) * 1000) / seconds,
    serverCpuMsPerS: ((c1.node - c0.node) * 1000) / seconds,
    sessionFps: s1.map((n, i) => (n - (s0[i] as number)) / seconds),
  };
}

/**
 * CPU seconds of this process and of the sessions' encoders, those replaced by a key frame
 * switch included (ended children the process has reaped: cutime + cstime of /proc/self/stat;
 * the viewer processes end only after the windows).
 */
async function encoderCpu(server: BenchServer): Promise<{ node: number; ffmpeg: number }> {
  const now = await cpuNow(server.manager);
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  const reaped = (Number(fields[13]) + Number(fields[14])) / 100;
  return { node: now.node, ffmpeg: now.ffmpeg + (Number.isFinite(reaped) ? reaped : 0) };
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

/** When joining viewers got their first key frame: from the first API call, and after resume, ms. */
interface JoinTimes {
  total: number[];
  afterResume: number[];
}

/** `n` more viewers join through `proc` at once. */
async function addViewers(proc: LineChild, n: number): Promise<JoinTimes> {
  proc.send(`add ${n}`);
  const joined = (await proc.next()) as {
    firstKeyFrameMs: (number | null)[];
    resumedMs: number[];
    refused: string[];
  };
  if (joined.refused.length > 0) throw new Error(`viewers refused: ${joined.refused.join(', ')}`);
  const total = joined.firstKeyFrameMs.map((v) => v ?? Number.NaN);
  return { total, afterResume: total.map((t, i) => t - (joined.resumedMs[i] as number)) };
}

/** `n` viewers join one at a time, 0.2–0.7 s apart (at random points of the key frame interval). */
async function joinOneByOne(proc: LineChild, n: number): Promise<JoinTimes> {
  const out: JoinTimes = { total: [], afterResume: [] };
  for (let i = 0; i < n; i++) {
    const t = await addViewers(proc, 1);
    out.total.push(...t.total);
    out.afterResume.push(...t.afterResume);
    await sleep(200 + Math.random() * 500);
  }
  return out;
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
    const windowS = Number(process.env.FANOUT_WINDOW_S ?? 5);
    const admissionS = Number(process.env.LIVE_SECONDS ?? 10);
    const loadBefore = await loadLine();
    const fanout = await MediasoupFanout.create({ workers: 2, viewersPerRouter: 10 });
    const viewerCost = await probeViewerCost(fanout.pool);
    // The baseline session's encoder is not told when a viewer needs a key frame.
    const publish = fanout.publish.bind(fanout);
    let keyframesOnJoin = false;
    let requests = 0;
    const requestTimes: number[] = [];
    fanout.publish = (id, onKeyframeRequest) =>
      publish(
        id,
        keyframesOnJoin
          ? () => {
              requests++;
              requestTimes.push(performance.now());
              onKeyframeRequest?.();
            }
          : undefined,
      );
    /** Measures a window, counting the key frame requests inside it. */
    const window = async (s: Session, viewers: number, counted: { n: number }) => {
      const before = requests;
      const row = await measureRow(fanout, server, [s], viewers, windowS);
      counted.n += requests - before;
      return row;
    };
    // On these shared cores a starved owner process can miss the 10 s liveness window (the
    // session would end as peer-lost); fan-out is what is measured here, not that.
    const server = await startServer(2, fanout, false, undefined, { peerSilenceTimeoutMs: 60_000 });
    const failedSetups = { count: 0 };
    const sessions: Session[] = [];
    let measured: Measured;
    try {
      const baseline = await openSession(server, 600, failedSetups);
      sessions.push(baseline);
      await sleep(2000);
      const latencyBefore = await joinOneByOne(baseline.viewers, LATENCY_JOINS);
      await closeSession(server, baseline);
      keyframesOnJoin = true;
      const main = await openSession(server, 600, failedSetups);
      sessions.push(main);
      await sleep(3000); // the session is live and streaming before the first window
      const inWindows = { n: 0 };
      const rows: Row[] = [await window(main, 0, inWindows)];
      const latencyAfter = await joinOneByOne(main.viewers, LATENCY_JOINS);
      const requestToKeyframeMs = requestToKeyframe(
        requestTimes,
        server.frames.get(main.id)?.keyframes ?? [],
      );
      await addViewers(main.viewers, 10 - LATENCY_JOINS);
      await sleep(1000);
      rows.push(await window(main, 10, inWindows));
      await addViewers(main.viewers, 10);
      await sleep(1000);
      rows.push(await window(main, 20, inWindows));
      const piped = [...fanout.placements(main.id).values()].filter((p) => p.piped).length;
      const { ended } = server.manager.toJSON();
      // Only the baseline session (deleted) and failed setups (retried) may have ended.
      const unexpected = sum(Object.values(ended)) - (ended.deleted ?? 0);
      if (unexpected > failedSetups.count)
        throw new Error(`sessions ended during the benchmark: ${JSON.stringify(ended)}`);
      await closeSession(server, main);
      measured = {
        rows,
        latencyBefore,
        latencyAfter,
        requestToKeyframeMs,
        piped,
        requestsInWindows: inWindows.n,
      };
    } catch (error) {
      console.error(
        `live-fanout: sessions ended: ${JSON.stringify(server.manager.toJSON().ended)}`,
      );
      throw error;
    } finally {
      for (const s of sessions) {
        s.viewers.send('quit');
        s.owner.child.kill();
      }
      await server.close();
      fanout.close();
    }
    const admission = await admissionCheck(admissionS);
    return report({
      ...measured,
      viewerCost,
      admission,
      windowS,
      admissionS,
      loadBefore,
      loadAfter: await loadLine(),
      failedSetups: failedSetups.count,
    });
  },
};

type Session = Awaited<ReturnType<typeof openSession>>;

/** For each request, the wait until the next key frame left the session, ms. */
function requestToKeyframe(requests: number[], keyframes: number[]): number[] {
  return requests.flatMap((t) => {
    const next = keyframes.find((k) => k >= t);
    return next === undefined ? [] : [next - t];
  });
}

/** Ends a session of the benchmark: its viewers leave, its owner stops, the session is deleted. */
async function closeSession(server: BenchServer, session: Session): Promise<void> {
  session.viewers.send('quit');
  session.owner.child.kill();
  await server.manager.end(session.id, 'deleted');
}

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

function report(
  r: Measured & {
    viewerCost: ViewerCost;
    admission: string[];
    windowS: number;
    admissionS: number;
    loadBefore: string;
    loadAfter: string;
    failedSetups: number;
  },
) {
  // Everything is scaled to 25 fps by the frames each window actually sent: on a busy machine
  // sessions send fewer, and forwarding and encoding cost per frame.
  const fps = (row: Row) => sum(row.sessionFps);
  const oneSession = r.rows;
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
  const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');
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
      `Machine: ${machineLine()}; load average ${r.loadBefore} before, ${r.loadAfter} after (other engineers' jobs share these cores). Command: \`npm run bench -- live-fanout\` (FANOUT_WINDOW_S=${r.windowS}, LIVE_SECONDS=${r.admissionS}).`,
      '',
      `**First viewer frame.** ${LATENCY_JOINS} viewers join one at a time, 0.2–0.7 s apart, per mode; the time to the first packet of a key frame, from the viewer's first API call (capabilities, join, ICE, DTLS, resume: what the user waits for), and from its resume call's answer (what the key frame adds):`,
      '',
      table(
        ['encoder', 'from first call: p50 / p95 / max ms', 'after resume: p50 / p95 / max ms'],
        [
          ['periodic key frames only (every 25 frames; the baseline)', r.latencyBefore],
          [
            "a joining viewer's key frame request switches to the warm spare encoder",
            r.latencyAfter,
          ],
        ].map(([what, t]) => {
          const { total, afterResume } = t as JoinTimes;
          const q = (v: number[]) =>
            [f0(percentile(v, 0.5)), f0(percentile(v, 0.95)), f0(Math.max(...v))].join(' / ');
          return [what as string, q(total), q(afterResume)];
        }),
      ),
      '',
      `On the server, from a key frame request (the producer's PLI trace event) to the next key frame sent: p50 ${f0(percentile(r.requestToKeyframeMs, 0.5))} ms, p95 ${f0(percentile(r.requestToKeyframeMs, 0.95))} ms over ${r.requestToKeyframeMs.length} requests (the rest of "after resume" is the viewer's DTLS completing after its resume call, the router, and the viewer process's own scheduling on these cores).`,
      '',
      `Key frame requests that reached the encoder during the CPU windows below (each one a switch to a fresh encoder, merged to one per 0.5 s at most): ${r.requestsInWindows}.`,
      '',
      `**One session → 0, 10, 20 viewers.** 512² sessions on the real stages, each owner a werift peer streaming jfk.wav; viewers (werift, DTLS-SRTP, separate processes) join through the viewer API. Two mediasoup 3.13.16 workers built by \`npm run setup:sfu\`, 10 viewers per router: ${r.piped} of the session's 20 viewers were served by a router on the second worker fed through pipeToRouter. The owners' liveness timeout is 60 s instead of 10 s (a starved owner process would otherwise end its session); ${r.failedSetups} owner setups failed before going live and were retried. CPU over each ${r.windowS} s window, as % of one core: the mediasoup workers (forwarding), the sessions' VP8 encoders (ffmpeg) and the server process (motion model, render threads, ticks, RTP).`,
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
      `Admission's viewer cost, measured at startup by the viewer-cost probe (${r.viewerCost.viewers} SRTP PlainTransport consumers on loopback, ${r.viewerCost.frames} frames): ${r.viewerCost.cpuMsPerViewerFrame.toFixed(3)} ms per viewer-frame, ${f2(r.viewerCost.cpuMsPerViewerFrame / perViewerFrame)} of the slope measured above with real WebRTC viewers (which also answer ICE checks, RTCP and NACKs).`,
      '',
      `Planning from these figures (derived, not measured beyond the rows above): ${cores} cores × ${UTILISATION} = ${f1(budget)} ms of CPU per second; a session at 25 fps costs ${f1(sessionMs)} ms/s with no viewers, each viewer ${f1(perViewer)} ms/s more. One session alone could serve ${oneSessionViewers} viewers on this host; one worker (a single thread) forwards to at most ${perWorker} viewers at ${UTILISATION * 100} % of its core.`,
      '',
      table(['viewers per session', 'sessions per host'], plan),
      '',
      `**Admission: with capacity N, the N+1th session gets 503 while the first N hold 25 fps** (the live-capacity check, in this run):`,
      '',
      ...r.admission,
    ].join('\n'),
  };
}
