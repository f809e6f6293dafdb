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
): Promise<{ wallMs: number; job: Body; receivedMs: number }> {
  const form = new FormData();
  form.set('avatarId', d.avatarId);
  form.set('sizePx', String(SIZE_PX));
  form.set('audio', new File([speech], 'speech.wav'));
  const t0 = performance.now();
  const res = await fetch(`${d.api.url}/v1/videos`, { method: 'POST', body: form });
  const { id } = (await res.json()) as Body;
  const events = await readSse(await fetch(`${d.api.url}/v1/jobs/${id}/events`));
  const receivedMs = Date.now();
  const wallMs = performance.now() - t0;
  const job = JSON.parse(events.at(-1)?.data ?? '{}') as Body;
  if (job.state !== 'succeeded') throw new Error(`job ${id} ended ${job.state}`);
  return { wallMs, job, receivedMs };
}

/**
 * CPU seconds a process and its finished children (ffmpeg) used, from /proc (Linux; the
 * clock tick is 100 Hz there).
 */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14–17 of the line, 12–15 after the name.
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / 100;
}

/** Jobs per minute with `count` jobs submitted at once, and the CPU seconds each job cost. */
async function throughput(d: Deployment, speech: Uint8Array<ArrayBuffer>, count: number) {
  const runners = d.workers.length > 0 ? d.workers : [d.api];
  const cpu0 = await Promise.all(runners.map((p) => cpuSeconds(p.child.pid)));
  const t0 = performance.now();
  await Promise.all(Array.from({ length: count }, () => runOne(d, speech)));
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = await Promise.all(runners.map((p) => cpuSeconds(p.child.pid)));
  const cpuS = cpu1.reduce((sum, c, i) => sum + c - (cpu0[i] ?? 0), 0);
  return { perMin: count / (wallS / 60), cpuPerJobS: cpuS / count };
}

/**
 * Median time the queue itself costs a job, jobs one at a time: hand-out (the record written
 * → its run started: `startedAt − createdAt`) plus finish notice (`finishedAt` → the
 * `succeeded` SSE event at the client). Every process is on this host: one clock.
 */
async function queueLatency(
  d: Deployment,
  speech: Uint8Array<ArrayBuffer>,
  count: number,
): Promise<{ handOutMs: number; noticeMs: number }> {
  await runOne(d, speech); // warm-up: first-use costs (TTS/encoder start) are not the queue's
  const handOut: number[] = [];
  const notice: number[] = [];
  for (let i = 0; i < count; i++) {
    const { job, receivedMs } = await runOne(d, speech);
    handOut.push(Date.parse(job.startedAt) - Date.parse(job.createdAt));
    notice.push(receivedMs - Date.parse(job.finishedAt));
  }
  const median = (values: number[]) =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return { handOutMs: median(handOut), noticeMs: median(notice) };
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
      const measured: {
        name: string;
        perMin: number;
        cpuPerJobS: number;
        latency?: { handOutMs: number; noticeMs: number };
      }[] = [];
      const phases: [string, string | undefined, number][] = [
        ['embedded queue (serve alone)', undefined, 0],
        ['Redis queue, 1 worker process', redis.url, 1],
        ['Redis queue, 2 worker processes', redis.url, 2],
      ];
      for (const [i, [name, url, workers]] of phases.entries()) {
        const d = await deploy(join(temp.dir, `data${i}`), url, workers);
        try {
          const { perMin, cpuPerJobS } = await throughput(d, speech, THROUGHPUT_JOBS);
          const latency = workers <= 1 ? await queueLatency(d, speech, LATENCY_JOBS) : undefined;
          measured.push({ name, perMin, cpuPerJobS, ...(latency ? { latency } : {}) });
        } finally {
          await d.stop();
        }
      }
      const [embedded, one, two] = measured;
      const ratio = (two?.perMin ?? 0) / (one?.perMin ?? 1);
      const rows = measured.map((m) => [
        m.name,
        m.perMin.toFixed(1),
        m.cpuPerJobS.toFixed(1),
        m.latency ? m.latency.handOutMs.toFixed(0) : '—',
        m.latency ? m.latency.noticeMs.toFixed(0) : '—',
      ]);
      const total = (m: (typeof measured)[number] | undefined) =>
        (m?.latency?.handOutMs ?? 0) + (m?.latency?.noticeMs ?? 0);
      const body = [
        `Machine: ${machineLine()}; load ${loadBefore} before, ${load()} after (other agents share the CPUs).`,
        '',
        table(
          [
            'deployment',
            'jobs/min',
            'CPU s per job',
            'hand-out, ms (median)',
            'finish → SSE event, ms (median)',
          ],
          rows,
        ),
        '',
        `Throughput: ${THROUGHPUT_JOBS} video jobs (${SPEECH_S} s of speech, ${SIZE_PX}² warp-only) submitted at once; ` +
          `**2 workers / 1 worker = ${ratio.toFixed(2)}×**; the embedded queue (concurrency 1) ran ${(embedded?.perMin ?? 0).toFixed(1)} jobs/min in the same run. ` +
          `CPU s per job: CPU time of the processes running jobs (workers, or serve for the embedded queue, with their ffmpeg children) over the jobs.`,
        `Queue latency, jobs one at a time after a warm-up: hand-out = the job's record written → its run started (\`startedAt − createdAt\`), finish → SSE = \`finishedAt\` → the \`succeeded\` event at the client; ` +
          `the Redis queue costs ${(total(one) - total(embedded)).toFixed(0)} ms more per job than the embedded queue (${total(one).toFixed(0)} vs ${total(embedded).toFixed(0)} ms).`,
        "Real processes on loopback, each `facecast worker --concurrency 1`, one redis-server of the bench's own (no persistence). Command: `npm run bench -- queue`.",
        'The ratio follows the CPU left free by everything else on the host: a second worker process adds throughput only where cores are idle (on this shared machine, saturated by other agents, runs gave 1.07× to 1.69×; see docs/scaling.md).',
      ].join('\n');
      return { id: 'queue', title: 'Job queue across processes (Redis + workers)', body };
    } finally {
      await redis.stop();
      await temp.cleanup();
    }
  },
};
