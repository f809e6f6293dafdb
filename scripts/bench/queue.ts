import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ffmpeg, fixture, tempDir } from '../../test/helpers/media.ts';
import { redisMissing, startRedis } from '../../test/helpers/redis.ts';
import {
  type ServerProcess,
  startServerProcess,
  startWorkerProcess,
  type WorkerProcess,
} from '../../test/helpers/server.ts';
import { readSse } from '../../test/helpers/sse.ts';
import { type Bench, machineLine, table } from './harness.ts';

const load = () => loadavg()[0]?.toFixed(1) ?? '?';
const THROUGHPUT_JOBS = 6;
const LATENCY_JOBS = 5;
const SPEECH_S = 4;
const SIZE_PX = 256;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of known shape
type Body = Record<string, any>;

/** A running deployment: one API process, and its workers when the queue is Redis. */
interface Deployment {
  api: ServerProcess;
  workers: WorkerProcess[];
  avatarId: string;
  stop(): Promise<void>;
}

async function deploy(dataDir: string, redisUrl: string | undefined, workers: number) {
  const queue = redisUrl ? ['--queue', redisUrl] : [];
  const args = [...queue, '--data-dir', dataDir];
  const [api, ...started] = await Promise.all([
    startServerProcess(args),
    ...Array.from({ length: workers }, () => startWorkerProcess([...args, '--concurrency', '1'])),
  ]);
  const photo = new FormData();
  const image = await readFile(fixture('face/portrait_s42.jpg'));
  photo.set('photo', new File([image], 's42.jpg'));
  const avatar = (await (
    await fetch(`${api.url}/v1/avatars`, { method: 'POST', body: photo })
  ).json()) as Body;
  const stop = async () => {
    for (const child of [api, ...started]) await child.kill('SIGTERM');
  };
  return { api, workers: started, avatarId: avatar.id as string, stop } satisfies Deployment;
}

/** Submits one video job and resolves when its SSE stream reports it finished. */
async function runOne(
  d: Deployment,
  speech: Uint8Array<ArrayBuffer>,
): Promise<{ wallMs: number; job: Body }> {
  const form = new FormData();
  form.set('avatarId', d.avatarId);
  form.set('sizePx', String(SIZE_PX));
  form.set('audio', new File([speech], 'speech.wav'));
  const t0 = performance.now();
  const res = await fetch(`${d.api.url}/v1/videos`, { method: 'POST', body: form });
  const { id } = (await res.json()) as Body;
  const events = await readSse(await fetch(`${d.api.url}/v1/jobs/${id}/events`));
  const wallMs = performance.now() - t0;
  const job = JSON.parse(events.at(-1)?.data ?? '{}') as Body;
  if (job.state !== 'succeeded') throw new Error(`job ${id} ended ${job.state}`);
  return { wallMs, job };
}

/** Jobs per minute with `count` jobs submitted at once. */
async function throughput(
  d: Deployment,
  speech: Uint8Array<ArrayBuffer>,
  count: number,
): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, () => runOne(d, speech)));
  return count / ((performance.now() - t0) / 60_000);
}

/** Median of (submit → finished event) − the runner's own time, jobs one at a time. */
async function addedLatency(
  d: Deployment,
  speech: Uint8Array<ArrayBuffer>,
  count: number,
): Promise<number> {
  await runOne(d, speech); // warm-up: first-use costs (TTS/encoder start) are not the queue's
  const added: number[] = [];
  for (let i = 0; i < count; i++) {
    const { wallMs, job } = await runOne(d, speech);
    added.push(wallMs - job.result.timingsMs.total);
  }
  added.sort((a, b) => a - b);
  return added[Math.floor(added.length / 2)] as number;
}

/**
 * The Redis-backed queue with real processes (`facecast serve --queue` + `facecast worker`,
 * warp-only 256² videos of 4 s of speech): throughput with one and two worker processes,
 * and the latency the queue adds to a job next to the embedded queue in the same run.
 */
export const queueBench: Bench = {
  id: 'queue',
  async run() {
    const reason = redisMissing();
    if (reason) throw new Error(`queue bench needs redis-server: ${reason}`);
    const temp = await tempDir('facecast-bench-queue-');
    const redis = await startRedis();
    const loadBefore = load();
    try {
      const speechPath = join(temp.dir, 'speech.wav');
      await ffmpeg(['-i', fixture('speech/jfk.wav'), '-t', String(SPEECH_S), speechPath]);
      const speech = new Uint8Array(await readFile(speechPath));
      const measured: { name: string; perMin?: number; addedMs?: number }[] = [];
      const phases: [string, string | undefined, number][] = [
        ['embedded queue (serve alone)', undefined, 0],
        ['Redis queue, 1 worker process', redis.url, 1],
        ['Redis queue, 2 worker processes', redis.url, 2],
      ];
      for (const [i, [name, url, workers]] of phases.entries()) {
        const d = await deploy(join(temp.dir, `data${i}`), url, workers);
        try {
          const perMin = await throughput(d, speech, THROUGHPUT_JOBS);
          const addedMs = workers <= 1 ? await addedLatency(d, speech, LATENCY_JOBS) : undefined;
          measured.push({ name, perMin, ...(addedMs === undefined ? {} : { addedMs }) });
        } finally {
          await d.stop();
        }
      }
      const [embedded, one, two] = measured;
      const ratio = (two?.perMin ?? 0) / (one?.perMin ?? 1);
      const rows = measured.map((m) => [
        m.name,
        (m.perMin ?? 0).toFixed(1),
        m.addedMs === undefined ? '—' : m.addedMs.toFixed(0),
      ]);
      const body = [
        `Machine: ${machineLine()}; load ${loadBefore} before, ${load()} after (other agents share the CPUs).`,
        '',
        table(['deployment', 'jobs/min', 'added latency per job, ms (median)'], rows),
        '',
        `Throughput: ${THROUGHPUT_JOBS} video jobs (${SPEECH_S} s of speech, ${SIZE_PX}² warp-only) submitted at once; ` +
          `**2 workers / 1 worker = ${ratio.toFixed(2)}×**; the embedded queue (concurrency 1) ran ${(embedded?.perMin ?? 0).toFixed(1)} jobs/min in the same run.`,
        `Added latency: POST /v1/videos → the \`succeeded\` SSE event, minus the runner's own time (\`result.timingsMs.total\`), jobs one at a time after a warm-up; ` +
          `the Redis queue adds ${((one?.addedMs ?? 0) - (embedded?.addedMs ?? 0)).toFixed(0)} ms per job over the embedded queue (upload and audio check included in both).`,
        "Real processes on loopback, each `facecast worker --concurrency 1`, one redis-server of the bench's own (no persistence). Command: `npm run bench -- queue`.",
      ].join('\n');
      return { id: 'queue', title: 'Job queue across processes (Redis + workers)', body };
    } finally {
      await redis.stop();
      await temp.cleanup();
    }
  },
};
