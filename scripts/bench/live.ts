/**
 * Live-session benchmarks (docs/benchmarks.md). The server runs in this process with the
 * real stages (motion model, warp-only 512² renderer on worker threads, VP8 via ffmpeg);
 * the viewers run in a separate process (live-viewer.ts) or in Debian's Chromium.
 *
 *   npm run bench -- live            one session: sustained fps, audio-in → frame-out latency
 *   npm run bench -- live-browser    one session from Chromium's fake microphone (the product path)
 *   npm run bench -- live-sessions   1…N concurrent sessions: who holds 25 fps, memory per session
 *   npm run bench -- live-soak       RSS over a long session (LIVE_SOAK_MINUTES, default 30)
 */
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import {
  attachLiveSockets,
  avatarFolders,
  createLiveStages,
  type FrameEvent,
  LIVE_HTTP_STATUS,
  LiveError,
  type MediasoupFanout,
  mountLive,
  probeSessionCapacity,
  SessionManager,
} from '../../src/live/index.ts';
import type { TtsProvider } from '../../src/tts/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

const AVATARS = 'test/fixtures/avatars';
export const AVATAR_ID = 's42';
export const WAV = 'test/fixtures/speech/jfk.wav';
const run = promisify(execFile);

export interface BenchServer {
  url: string;
  manager: SessionManager;
  /** Latencies (ms) and send times of every frame, per session. */
  /** Per session: when each frame left, the latencies, and when each key frame left (ms). */
  frames: Map<string, { sent: number[]; latency: number[]; keyframes: number[] }>;
  close(): Promise<void>;
}

/**
 * The live server on the real stages; with `fanout`, sessions also publish into mediasoup;
 * with `probeCapacity`, sessions are admitted against the startup capacity probe (and
 * `maxSessions` as a ceiling).
 */
export async function startServer(
  maxSessions: number,
  fanout?: MediasoupFanout,
  probeCapacity = false,
  tts?: TtsProvider,
  limits: { peerSilenceTimeoutMs?: number } = {},
  avatarRoots: string[] = [AVATARS],
): Promise<BenchServer> {
  const stages = await createLiveStages({
    resolveAvatar: avatarFolders(avatarRoots),
    ...(tts ? { tts } : {}),
    ...(process.env.FACECAST_MOTION_MODEL_DIR
      ? { motionOptions: { modelDir: process.env.FACECAST_MOTION_MODEL_DIR } }
      : {}),
  });
  const frames = new Map<string, { sent: number[]; latency: number[]; keyframes: number[] }>();
  const onFrame = (e: FrameEvent) => {
    let f = frames.get(e.sessionId);
    if (!f) {
      f = { sent: [], latency: [], keyframes: [] };
      frames.set(e.sessionId, f);
    }
    f.sent.push(e.sentAtMs);
    if (e.keyframe) f.keyframes.push(e.sentAtMs);
    if (e.latencyMs !== undefined) f.latency.push(e.latencyMs);
  };
  const capacity = probeCapacity ? await probeSessionCapacity(stages, AVATAR_ID) : undefined;
  const manager = new SessionManager({
    ...limits,
    stages,
    maxSessions,
    onFrame,
    ...(fanout ? { fanout } : {}),
    ...(capacity ? { capacity } : {}),
  });
  const app = new Hono();
  mountLive(app, { manager, client: true });
  // The product's mapping of live errors (src/server/app.ts), for the session cap's 503.
  app.onError((error, c) => {
    if (!(error instanceof LiveError)) {
      console.error('bench server:', error);
      return c.json({ error: { code: 'INTERNAL' } }, 500);
    }
    const retryAfterS = error.details?.retryAfterS;
    if (typeof retryAfterS === 'number') c.header('Retry-After', String(retryAfterS));
    const status = (LIVE_HTTP_STATUS[error.code] ?? 400) as 400;
    return c.json({ error: error.toJSON() }, status);
  });
  const server = createServer(getRequestListener(app.fetch));
  const sockets = attachLiveSockets(server, manager);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    manager,
    frames,
    async close() {
      await manager.close();
      await sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stages.close();
    },
  };
}

export interface ViewerResult {
  sessionId: string;
  framesReceived: number;
  fps: number;
  firstFrameMs: number | null;
  audioPackets: number;
  error?: string;
}

/** Runs the viewer process; `during` is called while the sessions stream. */
export async function viewers(
  url: string,
  sessions: number,
  seconds: number,
  during?: () => Promise<void>,
  wav = WAV,
  avatarId = AVATAR_ID,
): Promise<ViewerResult[]> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/bench/live-viewer.ts',
      url,
      String(sessions),
      String(seconds),
      avatarId,
      wav,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  if (during) await during();
  await exited;
  return (JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { results: ViewerResult[] }).results;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  ] as number;
}

/** Resident memory of a process, MiB (from /proc; NaN where there is none). */
async function rssMiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system) a process has used, from /proc (NaN where there is none). */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of this process (worker threads included) and of every ffmpeg child. */
export async function cpuNow(manager: SessionManager): Promise<{ node: number; ffmpeg: number }> {
  const pids = manager
    .list()
    .map((s) => manager.get(s.sessionId)?.resources().encoderPid)
    .filter((p): p is number => p !== undefined);
  const ffmpeg = (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
  const u = process.cpuUsage();
  return { node: (u.user + u.system) / 1e6, ffmpeg };
}

/** This process plus every ffmpeg child, MiB. */
async function totalRss(manager: SessionManager): Promise<{ node: number; ffmpeg: number }> {
  const pids = manager
    .list()
    .map((s) => manager.get(s.sessionId)?.resources().encoderPid)
    .filter((p): p is number => p !== undefined);
  const ffmpeg = (await Promise.all(pids.map(rssMiB))).reduce((a, b) => a + b, 0);
  return { node: process.memoryUsage.rss() / 2 ** 20, ffmpeg };
}

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');

export async function loadLine(): Promise<string> {
  const { stdout } = await run('cat', ['/proc/loadavg']).catch(() => ({ stdout: '' }));
  return stdout.split(' ').slice(0, 3).join(' ');
}

export const liveBench: Bench = {
  id: 'live',
  async run() {
    const seconds = Number(process.env.LIVE_SECONDS ?? 30);
    const server = await startServer(1);
    const loadBefore = await loadLine();
    const [result] = await viewers(server.url, 1, seconds);
    const loadAfter = await loadLine();
    const f = server.frames.get(result?.sessionId ?? '') ?? { sent: [], latency: [] };
    const stats = { sent: f.sent.length, lat: f.latency };
    await server.close();
    return {
      id: 'live',
      title: 'Live session, 512² warp-only: sustained fps and audio-in → frame-out latency',
      body: [
        `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (other engineers' jobs share these 2 cores). Command: \`npm run bench -- live\` (LIVE_SECONDS=${seconds}).`,
        '',
        "One session on the real stages (motion model, renderer on a worker thread, VP8 realtime via ffmpeg, Opus); the input is jfk.wav pushed as PCM over the ws in 20 ms chunks paced by the wall clock, looped; the viewer is a werift peer in a separate process. Latency: from the arrival at the server of the audio at a frame's instant to that frame's RTP leaving the server (it contains the motion model's 92.5 ms look-ahead); the browser adds its jitter buffer (see live-browser).",
        '',
        table(
          [
            'fps received (after 1 s)',
            'frames sent',
            'latency p50',
            'latency p95',
            'speaking frames',
            'first frame after connect',
          ],
          [
            [
              f1(result?.fps ?? Number.NaN),
              stats.sent,
              `${f0(percentile(stats.lat, 0.5))} ms`,
              `${f0(percentile(stats.lat, 0.95))} ms`,
              stats.lat.length,
              `${f0(result?.firstFrameMs ?? Number.NaN)} ms`,
            ],
          ],
        ),
        '',
        'Target: 25 fps sustained, latency ≤ 150 ms.',
      ].join('\n'),
    };
  },
};

export const liveBrowserBench: Bench = {
  id: 'live-browser',
  async run() {
    const { hasChromium, launchChromium } = await import('../../test/helpers/chromium.ts');
    if (!hasChromium)
      throw new Error('live-browser needs Debian chromium (apt-get install chromium)');
    const seconds = Number(process.env.LIVE_SECONDS ?? 30);
    const server = await startServer(1);
    const browser = await launchChromium(`${process.cwd()}/${WAV}`);
    const loadBefore = await loadLine();
    const page = await browser.newPage();
    await page.goto(`${server.url}/?avatar=${AVATAR_ID}`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.click('#start');
    await page.waitForFunction(
      () =>
        (window as unknown as { facecast: { counters: { framesDecoded: number } } }).facecast
          .counters.framesDecoded > 0,
      null,
      { timeout: 60_000 },
    );
    await page.check('#open-mic');
    const read = () =>
      page.evaluate(() => {
        const f = (
          window as unknown as {
            facecast: {
              counters: {
                framesDecoded: number;
                jitterBufferMs: number | null;
                firstFrameMs: number | null;
              };
            };
          }
        ).facecast;
        return { ...f.counters, at: performance.now() };
      });
    await new Promise((r) => setTimeout(r, 2000));
    const a = await read();
    const jitter: number[] = [];
    const end = performance.now() + seconds * 1000;
    const micQueue: number[] = [];
    while (performance.now() < end) {
      await new Promise((r) => setTimeout(r, 1000));
      const j = (await read()).jitterBufferMs;
      if (j !== null) jitter.push(j);
      const live = server.manager.list()[0];
      if (live) micQueue.push(live.queues.micMs);
    }
    const b = await read();
    const [session] = server.manager.list();
    const f = server.frames.get(session?.sessionId ?? '') ?? { sent: [], latency: [] };
    const loadAfter = await loadLine();
    await page.click('#stop');
    await browser.close();
    await server.close();
    const decodedFps = ((b.framesDecoded - a.framesDecoded) * 1000) / (b.at - a.at);
    return {
      id: 'live-browser',
      title: 'Live session from Chromium (the product path): fps, latency, jitter buffer',
      body: [
        `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after. Command: \`npm run bench -- live-browser\` (LIVE_SECONDS=${seconds}).`,
        '',
        "Debian Chromium headless opens the client, starts a session on the fixture avatar (s42, 512²) and speaks into its fake microphone (jfk.wav, looped) with the mic open. Server latency as in `live`; the browser's jitter buffer (`getStats`: jitterBufferDelay / emitted, a running mean) comes on top of it, and Chromium decodes on the same 2 cores.",
        '',
        table(
          [
            'frames decoded per s',
            'server latency p50',
            'server latency p95',
            'speaking frames',
            'mic buffered at the server (mean)',
            'browser jitter buffer (mean of samples)',
            'first frame after connect',
          ],
          [
            [
              f1(decodedFps),
              `${f0(percentile(f.latency, 0.5))} ms`,
              `${f0(percentile(f.latency, 0.95))} ms`,
              f.latency.length,
              `${f0(micQueue.reduce((x, y) => x + y, 0) / Math.max(1, micQueue.length))} ms`,
              `${f0(jitter.reduce((x, y) => x + y, 0) / Math.max(1, jitter.length))} ms`,
              `${f0(b.firstFrameMs ?? Number.NaN)} ms`,
            ],
          ],
        ),
      ].join('\n'),
    };
  },
};

export const liveSessionsBench: Bench = {
  id: 'live-sessions',
  async run() {
    const seconds = Number(process.env.LIVE_SECONDS ?? 20);
    const counts = (process.env.LIVE_SESSIONS ?? '1,2,3,4').split(',').map(Number);
    const rows: (string | number)[][] = [];
    let base: { node: number; ffmpeg: number } | undefined;
    for (const n of counts) {
      const server = await startServer(n);
      base ??= await totalRss(server.manager);
      let rss = { node: 0, ffmpeg: 0 };
      let cores = Number.NaN;
      const results = await viewers(server.url, n, seconds, async () => {
        // sample memory and CPU over the middle of the run, while every session streams
        await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
        const t0 = performance.now();
        const c0 = await cpuNow(server.manager);
        await new Promise((r) => setTimeout(r, 5000));
        const c1 = await cpuNow(server.manager);
        cores = (c1.node - c0.node + (c1.ffmpeg - c0.ffmpeg)) / ((performance.now() - t0) / 1000);
        rss = await totalRss(server.manager);
      });
      const lat = results.flatMap((r) => server.frames.get(r.sessionId)?.latency ?? []);
      const fps = results.map((r) => r.fps);
      const minFps = Math.min(...fps);
      const load = await loadLine();
      rows.push([
        n,
        f1(minFps),
        f1(fps.reduce((a, b) => a + b, 0) / fps.length),
        `${f0(percentile(lat, 0.5))} / ${f0(percentile(lat, 0.95))} ms`,
        minFps >= 24 ? 'yes' : 'no',
        `${cores.toFixed(2)} (${(cores / n).toFixed(2)} per session)`,
        `${f0(rss.node)} + ${f0(rss.ffmpeg)} MiB`,
        f0((rss.node + rss.ffmpeg - (base.node + base.ffmpeg)) / n),
        load,
        results
          .filter((r) => r.error)
          .map((r) => r.error)
          .join('; ') || '',
      ]);
      await server.close();
    }
    return {
      id: 'live-sessions',
      title: 'Live sessions at once: who holds 25 fps, memory per session',
      body: [
        `Machine: ${machineLine()} (shared: the load average column is the machine's at the end of each row). Command: \`npm run bench -- live-sessions\` (LIVE_SESSIONS=${counts.join(',')}, LIVE_SECONDS=${seconds}).`,
        '',
        'Each session streams paced PCM (jfk.wav) from the viewer process and renders 512² warp-only frames on its own worker thread. CPU: seconds of CPU (user + system) the server process (worker threads included) and its ffmpeg encoders used per second, over 5 s mid-run — a figure that depends much less on the other jobs sharing the machine than fps does; sessions at 25 fps ≈ free cores ÷ cores per session. Memory: resident size of the server process plus its ffmpeg encoders, sampled mid-run; per session = growth over the idle server with the models loaded, divided by the session count.',
        '',
        table(
          [
            'sessions',
            'min fps',
            'mean fps',
            'latency p50 / p95',
            'all ≥ 24 fps',
            'CPU cores used',
            'RSS node + ffmpeg',
            'MiB per session',
            'load avg',
            'errors',
          ],
          rows,
        ),
      ].join('\n'),
    };
  },
};

export const liveSoakBench: Bench = {
  id: 'live-soak',
  onlyWhenNamed: true,
  async run() {
    const minutes = Number(process.env.LIVE_SOAK_MINUTES ?? 30);
    const server = await startServer(1);
    const samples: { t: number; node: number; ffmpeg: number; heap: number }[] = [];
    const start = performance.now();
    const results = await viewers(server.url, 1, minutes * 60, async () => {
      while (performance.now() - start < minutes * 60_000 - 5000) {
        await new Promise((r) => setTimeout(r, 30_000));
        const rss = await totalRss(server.manager);
        samples.push({
          t: (performance.now() - start) / 60_000,
          ...rss,
          heap: process.memoryUsage().heapUsed / 2 ** 20,
        });
      }
    });
    await server.close();
    // least-squares slope of total RSS over the second half (after warm-up), MiB per minute
    const late = samples.filter((s) => s.t >= minutes / 2);
    const xs = late.map((s) => s.t);
    const ys = late.map((s) => s.node + s.ffmpeg);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope =
      xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0) /
      xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const pick = samples.filter(
      (_, i) => i % Math.max(1, Math.floor(samples.length / 10)) === 0 || i === samples.length - 1,
    );
    return {
      id: 'live-soak',
      title: `Live session soak: memory over ${minutes} minutes`,
      body: [
        `Machine: ${machineLine()}. Command: \`npm run bench -- live-soak\` (LIVE_SOAK_MINUTES=${minutes}). One session streaming paced PCM the whole time; received ${f1(results[0]?.fps ?? Number.NaN)} fps on average.`,
        '',
        table(
          ['minute', 'node RSS MiB', 'ffmpeg RSS MiB', 'JS heap MiB'],
          pick.map((s) => [f1(s.t), f0(s.node), f0(s.ffmpeg), f0(s.heap)]),
        ),
        '',
        `Slope of node + ffmpeg RSS over the second half: ${slope.toFixed(2)} MiB/min (flat = no growth).`,
      ].join('\n'),
    };
  },
};
