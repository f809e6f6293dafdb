import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT } from '../../src/controls/index.ts';
import { createAvatar, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { locateFfmpeg } from '../../src/media/index.ts';
import { VideoPipeline } from '../../src/pipeline/index.ts';
import { createReplica, ReplicaPlayer } from '../../src/replica/index.ts';
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
  // Three renders of each, alternating (the machine is shared: load drifts), the median of
  // each; CPU seconds of this process and its ffmpeg children per second of video too (what
  // the render costs whatever the load).
  const runs = { video: [] as SpeedRun[], photo: [] as SpeedRun[] };
  for (let k = 0; k < 3; k++) {
    for (const [key, avatar] of [
      ['video', avatarDir],
      ['photo', photoDir],
    ] as const) {
      const t = performance.now();
      const cpu = cpuSeconds();
      const r = await pipeline.render({
        avatarDir: avatar,
        audioPath: speech,
        outPath: join(dir, `speed-${key}.mp4`),
        sizePx: 512,
      });
      const cpuPerS = (cpuSeconds() - cpu) / (r.durationMs / 1000);
      runs[key].push({ rtf: r.durationMs / (performance.now() - t), cpuPerS, r });
    }
  }
  const video = median(runs.video);
  const photo = median(runs.photo);
  const player = await playerSpeed(avatarDir, 200);
  return `**Offline speed at 512²** (load ${loadBefore} → ${load()}, 1-minute average; 8 s of speech; katiehill_256 upscaled to 512² as the footage; \`VideoPipeline.render\` from opening the avatar to the finished MP4, encode included; three renders of each, alternating, the median): video avatar ${f2(video.rtf)}× real time, ${f2(video.cpuPerS)} CPU s per s of video (node and its ffmpeg children; 512×512); the photo avatar of the same person, warp-only, same speech, same run: ${f2(photo.rtf)}× real time, ${f2(photo.cpuPerS)} CPU s per s. On the 2 cores, ≥ 3× real time needs ≤ 0.67 CPU s per s with both cores busy.

**The player alone** (\`ReplicaPlayer\`, the same avatar, ${player.frames} frames with a moving jaw, two in flight as the pipeline asks, no encoder; after one warm-up pass of each): the reanimator on its worker thread (the default) ${f2(player.thread.rtf)}× real time, ${f2(player.thread.cpuPerS)} CPU s per s; on the calling thread (\`thread: false\`, the previous path) ${f2(player.here.rtf)}× real time, ${f2(player.here.cpuPerS)} CPU s per s.`;
}

/** Frames per second of the player alone (no encoder), reanimator on its thread vs here. */
async function playerSpeed(avatarDir: string, frames: number) {
  const once = async (thread: boolean) => {
    const player = await ReplicaPlayer.open(avatarDir, { thread });
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
  await once(false);
  return { frames, thread: await once(true), here: await once(false) };
}

interface SpeedRun {
  rtf: number;
  cpuPerS: number;
  r: Awaited<ReturnType<VideoPipeline['render']>>;
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
