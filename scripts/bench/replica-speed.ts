import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT } from '../../src/controls/index.ts';
import { createAvatar, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { locateFfmpeg } from '../../src/media/index.ts';
import { VideoPipeline } from '../../src/pipeline/index.ts';
import { createReplica, ReplicaPlayer, ReplicaPlayerPool } from '../../src/replica/index.ts';
import { HELDOUT_JSON } from '../data/heldout.ts';
import { type Bench, machineLine } from './harness.ts';

const HELDOUT_DIR = dirname(HELDOUT_JSON);
const load = () => loadavg()[0]?.toFixed(1) ?? '?';
const f2 = (v: number) => v.toFixed(2);

export function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(locateFfmpeg().ffmpegPath, ['-v', 'error', '-y', ...args]);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)),
    );
  });
}

/**
 * Offline speed of a video avatar at 512² alone (what \`replica\` reports last, without the
 * held-out quality runs): a quick re-run on a quiet machine.
 */
export const replicaSpeedBench: Bench = {
  id: 'replica-speed',
  onlyWhenNamed: true,
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-replica-speed-'));
    const model = await loadFaceModel();
    const landmarker = await FaceLandmarker.load({ video: true, body: false });
    const pipeline = await VideoPipeline.load({ generator: 'off' });
    try {
      return {
        id: 'replica-speed',
        title: 'Video avatars: offline speed at 512²',
        body: [
          `Machine: ${machineLine()}. Command: \`npm run bench -- replica-speed\` (also the last part of \`replica\`).`,
          '',
          await speedAt512(dir, model, landmarker, pipeline),
        ].join('\n'),
      };
    } finally {
      await pipeline.close();
      await landmarker.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** Offline speed at 512²: the KatieHill clip upscaled, vs the photo pipeline on the same speech. */
export async function speedAt512(
  dir: string,
  model: Awaited<ReturnType<typeof loadFaceModel>>,
  landmarker: FaceLandmarker,
  pipeline: VideoPipeline,
): Promise<string> {
  const loadBefore = load();
  const clip = join(dir, 'katie512.mp4');
  await ffmpeg([
    '-i',
    join(HELDOUT_DIR, 'clips/katiehill_256.mp4'),
    '-vf',
    'scale=512:512',
    '-an',
    clip,
  ]);
  const avatarDir = join(dir, 'katie512');
  await createReplica(clip, avatarDir, { model, landmarker });
  const speech = join(dir, 'katie512.wav');
  await ffmpeg(['-i', join(HELDOUT_DIR, 'voices/tango_en_f.wav'), '-t', '8', speech]);
  const photoDir = join(dir, 'photo');
  await createAvatar(join(HELDOUT_DIR, 'photos/katiehill_smile_teeth.jpg'), photoDir, { model });
  // Five renders of each arm, alternating (the machine is shared: load drifts), the median
  // of each; CPU seconds of this process and its ffmpeg children per second of video too (what
  // the render costs whatever the load), and per thread. Cold: the avatar opened for the
  // render and closed after it (a pool that keeps nothing); warm: the pipeline's own pool
  // (ReplicaPlayerPool) hands back the player of the previous render, restarted. The
  // baseline arm plans each frame (geometry, crop, mask) on the main thread and only draws it
  // on the reanimator thread (FACECAST_REPLICA_PLAN_HERE=1); the default does the whole frame
  // on the reanimator thread.
  const cold = new ReplicaPlayerPool({ maxIdle: 0 });
  const arms = [
    { key: 'cold', avatar: avatarDir, planHere: '0', replicas: cold },
    { key: 'warm', avatar: avatarDir, planHere: '0', replicas: undefined },
    { key: 'coldPlanHere', avatar: avatarDir, planHere: '1', replicas: cold },
    { key: 'photo', avatar: photoDir, planHere: '0', replicas: undefined },
  ] as const;
  const runs: Record<(typeof arms)[number]['key'], SpeedRun[]> = {
    cold: [],
    warm: [],
    coldPlanHere: [],
    photo: [],
  };
  const planHereBefore = process.env.FACECAST_REPLICA_PLAN_HERE;
  try {
    // The warm arm's player opened once before (its first render is a cold one).
    process.env.FACECAST_REPLICA_PLAN_HERE = '0';
    await pipeline.render({
      avatarDir,
      audioPath: speech,
      outPath: join(dir, 'speed-first.mp4'),
      sizePx: 512,
    });
    for (let k = 0; k < RENDERS; k++) {
      for (const { key, avatar, planHere, replicas } of arms) {
        process.env.FACECAST_REPLICA_PLAN_HERE = planHere;
        const t = performance.now();
        const cpu = cpuSeconds();
        const threads = threadSeconds();
        const r = await pipeline.render(
          {
            avatarDir: avatar,
            audioPath: speech,
            outPath: join(dir, `speed-${key}.mp4`),
            sizePx: 512,
          },
          replicas ? { replicas } : {},
        );
        const seconds = r.durationMs / 1000;
        const cpuPerS = (cpuSeconds() - cpu) / seconds;
        const perThread = threadShares(threads, threadSeconds(), seconds);
        runs[key].push({ rtf: r.durationMs / (performance.now() - t), cpuPerS, perThread, r });
      }
    }
  } finally {
    if (planHereBefore === undefined) delete process.env.FACECAST_REPLICA_PLAN_HERE;
    else process.env.FACECAST_REPLICA_PLAN_HERE = planHereBefore;
  }
  const video = median(runs.cold);
  const warm = median(runs.warm);
  const base = median(runs.coldPlanHere);
  const photo = median(runs.photo);
  const opening = await openingMs(avatarDir);
  const player = await playerSpeed(avatarDir, 200);
  return `**Offline speed at 512²** (load ${loadBefore} → ${load()}, 1-minute average; 8 s of speech; katiehill_256 upscaled to 512² as the footage; \`VideoPipeline.render\` from opening the avatar to the finished MP4, encode included; ${RENDERS} renders of each arm, alternating, the median and the range): video avatar ${f2(video.rtf)}× real time (${range(runs.cold)}), ${f2(video.cpuPerS)} CPU s per s of video (node and its ffmpeg children; 512×512; the avatar opened for the render, cold; ${threadLine(video)}); warm (the pipeline's \`ReplicaPlayerPool\` hands back the previous render's player, restarted; the same frames): ${f2(warm.rtf)}× real time (${range(runs.warm)}), ${f2(warm.cpuPerS)} CPU s per s (${threadLine(warm)}); cold with each frame planned on the main thread and drawn on the reanimator thread (\`FACECAST_REPLICA_PLAN_HERE=1\`, the baseline arm): ${f2(base.rtf)}× real time (${range(runs.coldPlanHere)}), ${f2(base.cpuPerS)} CPU s per s (${threadLine(base)}); the photo avatar of the same person, warp-only, same speech, same run: ${f2(photo.rtf)}× real time, ${f2(photo.cpuPerS)} CPU s per s. On the 2 cores, ≥ 3× real time needs ≤ 0.67 CPU s per s with both cores busy.

**Opening the avatar** (median of 5): \`ReplicaPlayer.open\` ${opening.cold.toFixed(0)} ms; a warm \`ReplicaPlayerPool.acquire\` (restart) ${opening.warm.toFixed(0)} ms.

**The player alone** (\`ReplicaPlayer\`, the same avatar, ${player.frames} frames with a moving jaw, two in flight as the pipeline asks, no encoder; after one warm-up pass of each): frames planned here and drawn on the reanimator thread (\`planOnCaller: true\`) ${f2(player.planned.rtf)}× real time, ${f2(player.planned.cpuPerS)} CPU s per s; wholly on the thread (the default) ${f2(player.thread.rtf)}× real time, ${f2(player.thread.cpuPerS)} CPU s per s; on the calling thread (\`thread: false\`) ${f2(player.here.rtf)}× real time, ${f2(player.here.cpuPerS)} CPU s per s.`;
}

/** Median wall time of opening the avatar: a new player vs a pool's warm one. */
async function openingMs(avatarDir: string): Promise<{ cold: number; warm: number }> {
  const pool = new ReplicaPlayerPool();
  const cold: number[] = [];
  const warm: number[] = [];
  try {
    await pool.release(await pool.acquire(avatarDir));
    for (let k = 0; k < 5; k++) {
      let t = performance.now();
      const fresh = await ReplicaPlayer.open(avatarDir);
      cold.push(performance.now() - t);
      await fresh.close();
      t = performance.now();
      const kept = await pool.acquire(avatarDir);
      warm.push(performance.now() - t);
      await pool.release(kept);
    }
  } finally {
    await pool.close();
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[2] as number;
  return { cold: mid(cold), warm: mid(warm) };
}

/** Frames per second of the player alone (no encoder), reanimator on its thread vs here. */
async function playerSpeed(avatarDir: string, frames: number) {
  const once = async (thread: boolean, planOnCaller = true) => {
    const player = await ReplicaPlayer.open(avatarDir, { thread, planOnCaller });
    const weights = new Float32Array(BLENDSHAPE_COUNT);
    const jaw = ARKIT_BLENDSHAPES.indexOf('jawOpen');
    try {
      const t = performance.now();
      const cpu = cpuSeconds();
      const pending: Promise<Uint8Array>[] = [];
      for (let i = 0; i < frames; i++) {
        weights[jaw] = 0.35 + 0.35 * Math.sin(i / 2.5);
        pending.push(player.render(weights));
        if (pending.length === 2) await pending.shift();
      }
      await Promise.all(pending);
      const seconds = frames / 25;
      return {
        rtf: seconds / ((performance.now() - t) / 1000),
        cpuPerS: (cpuSeconds() - cpu) / seconds,
      };
    } finally {
      await player.close();
    }
  };
  await once(true);
  await once(true, false);
  await once(false);
  const planned = await once(true);
  const thread = await once(true, false);
  return { frames, planned, thread, here: await once(false) };
}

interface SpeedRun {
  rtf: number;
  cpuPerS: number;
  perThread: ThreadShares;
  r: Awaited<ReturnType<VideoPipeline['render']>>;
}

/** CPU s per s of video: the main thread, the busiest other (the reanimator), the rest. */
interface ThreadShares {
  main: number;
  busiest: number;
  rest: number;
}

function threadLine(run: SpeedRun): string {
  const t = run.perThread;
  const ffmpeg = run.cpuPerS - t.main - t.busiest - t.rest;
  return `per thread: main ${f2(t.main)}, reanimator ${f2(t.busiest)}, other threads (JPEG decode, GC, libuv) ${f2(t.rest)}, ffmpeg ${f2(ffmpeg)}`;
}

/** CPU seconds of each thread of this process (/proc/self/task, Linux), by thread id. */
function threadSeconds(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

function threadShares(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: number,
): ThreadShares {
  const main = String(process.pid);
  const others: number[] = [];
  let mainS = 0;
  for (const [tid, s] of after) {
    const used = s - (before.get(tid) ?? 0);
    if (tid === main) mainS = used;
    else others.push(used);
  }
  others.sort((a, b) => b - a);
  const busiest = others[0] ?? 0;
  const rest = others.slice(1).reduce((a, b) => a + b, 0);
  return { main: mainS / seconds, busiest: busiest / seconds, rest: rest / seconds };
}

/** Renders of each arm (alternating). */
const RENDERS = 5;

function range(runs: SpeedRun[]): string {
  const rtf = runs.map((r) => r.rtf);
  return `${f2(Math.min(...rtf))}–${f2(Math.max(...rtf))}×`;
}

function median(runs: SpeedRun[]): SpeedRun {
  return [...runs].sort((a, b) => a.rtf - b.rtf)[Math.floor(runs.length / 2)] as SpeedRun;
}

/** CPU seconds of this process and its finished children (ffmpeg), from /proc (Linux). */
function cpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime, stime, cutime, cstime in clock ticks (100 Hz)
  return [11, 12, 13, 14].reduce((sum, k) => sum + Number(fields[k]), 0) / 100;
}
