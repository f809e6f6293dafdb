/**
 * Fan-out benchmark (docs/benchmarks.md, live-fanout): one live session on the real stages,
 * its owner a werift peer streaming jfk.wav (live-viewer.ts), and 0 → 20 viewers joining
 * in steps of 5 through the product's viewer API (sfu-viewers.ts, werift). Two mediasoup
 * workers with 10 viewers per router: viewers 11–20 are served by a router on the other
 * worker, fed through pipeToRouter.
 *
 *   npm run bench -- live-fanout        (needs `npm run setup:sfu`; FANOUT_WINDOW_S, default 8)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MediasoupFanout } from '../../src/live/index.ts';
import { type Bench, machineLine, table } from './harness.ts';
import { AVATAR_ID, type BenchServer, loadLine, percentile, startServer, WAV } from './live.ts';

const STEPS = [0, 5, 10, 15, 20];

interface Row {
  viewers: number;
  /** mediasoup workers' CPU over the window, ms per second (all workers). */
  workerCpuMsPerS: number;
  /** Frames the session sent per second over the window. */
  sessionFps: number;
  /** Slowest viewer's received fps over the window. */
  minViewerFps: number;
}

/** A child process speaking one JSON line per command. */
function lineChild(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function measureWindow(
  fanout: MediasoupFanout,
  server: BenchServer,
  sessionId: string,
  windowS: number,
): Promise<{ workerCpuMsPerS: number; sessionFps: number }> {
  const cpu0 = sum(await fanout.workerCpuMs());
  const sent0 = server.frames.get(sessionId)?.sent.length ?? 0;
  const t0 = performance.now();
  await sleep(windowS * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = sum(await fanout.workerCpuMs());
  const sent1 = server.frames.get(sessionId)?.sent.length ?? 0;
  return { workerCpuMsPerS: (cpu1 - cpu0) / seconds, sessionFps: (sent1 - sent0) / seconds };
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
    const server = await startServer(1, fanout);
    const ownerSeconds = STEPS.length * (windowS + 8) + 10;
    const owner = lineChild([
      'scripts/bench/live-viewer.ts',
      server.url,
      '1',
      String(ownerSeconds),
      AVATAR_ID,
      WAV,
    ]);
    const loadBefore = await loadLine();
    const { created } = (await owner.next()) as {
      created: { sessionId: string; viewToken: string };
    };
    const viewers = lineChild([
      'scripts/bench/sfu-viewers.ts',
      server.url,
      created.sessionId,
      created.viewToken,
    ]);
    const rows: Row[] = [];
    const firstKeyFrameMs: number[] = [];
    try {
      await sleep(3000); // the session is live and streaming before the first window
      for (const [i, step] of STEPS.entries()) {
        const add = step - (STEPS[i - 1] ?? 0);
        if (add > 0) {
          viewers.send(`add ${add}`);
          const joined = (await viewers.next()) as { firstKeyFrameMs: (number | null)[] };
          firstKeyFrameMs.push(...joined.firstKeyFrameMs.map((v) => v ?? Number.NaN));
          await sleep(1000);
        }
        viewers.send('report'); // starts the window's fps count
        await viewers.next();
        const measured = await measureWindow(fanout, server, created.sessionId, windowS);
        viewers.send('report');
        const report = (await viewers.next()) as { viewers: { fps: number }[] };
        const fps = report.viewers.map((v) => v.fps);
        rows.push({
          viewers: step,
          ...measured,
          minViewerFps: fps.length ? Math.min(...fps) : Number.NaN,
        });
      }
      const placements = [...fanout.placements(created.sessionId).values()];
      const piped = placements.filter((p) => p.piped).length;
      const loadAfter = await loadLine();
      return report({ rows, firstKeyFrameMs, piped, windowS, loadBefore, loadAfter });
    } finally {
      viewers.send('quit');
      owner.child.kill();
      await server.close();
      fanout.close();
    }
  },
};

function report(r: {
  rows: Row[];
  firstKeyFrameMs: number[];
  piped: number;
  windowS: number;
  loadBefore: string;
  loadAfter: string;
}) {
  const perViewer = slope(r.rows.map((row) => [row.viewers, row.workerCpuMsPerS]));
  const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
  return {
    id: 'live-fanout',
    title: 'Live fan-out through mediasoup: 1 session → 20 viewers',
    body: [
      `Machine: ${machineLine()}; load average ${r.loadBefore} before, ${r.loadAfter} after (other engineers' jobs share these cores). Command: \`npm run bench -- live-fanout\` (FANOUT_WINDOW_S=${r.windowS}).`,
      '',
      `One 512² session on the real stages, its owner a werift peer streaming jfk.wav; viewers (werift, separate process) join through the viewer API in steps of 5. Two mediasoup 3.13.16 workers built by \`npm run setup:sfu\`, 10 viewers per router: ${r.piped} of the 20 viewers were served by a router on the second worker fed through pipeToRouter. Worker CPU: both workers' user + system time over each ${r.windowS} s window.`,
      '',
      table(
        ['viewers', 'session fps sent', 'slowest viewer fps', 'mediasoup workers CPU'],
        r.rows.map((row) => [
          row.viewers,
          f1(row.sessionFps),
          f1(row.minViewerFps),
          `${f1(row.workerCpuMsPerS / 10)} % of a core`,
        ]),
      ),
      '',
      `CPU per added viewer (slope over the rows): ${f1(perViewer / 10)} % of a core (${f1(perViewer)} ms of CPU per second). First key frame at a joining viewer (from its first API call): p50 ${f1(percentile(r.firstKeyFrameMs, 0.5))} ms, p95 ${f1(percentile(r.firstKeyFrameMs, 0.95))} ms, max ${f1(Math.max(...r.firstKeyFrameMs))} ms (the encoder sends a key frame every 25 frames, and a PLI cannot reach it, so a viewer waits up to 1 s for one).`,
    ].join('\n'),
  };
}
