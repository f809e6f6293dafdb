import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createAvatar, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import {
  locateFfmpeg,
  openVideoFrames,
  thumbnail,
  thumbnailDistance,
} from '../../src/media/index.ts';
import { measureLipSync, VideoPipeline } from '../../src/pipeline/index.ts';
import { createReplica, Replica } from '../../src/replica/index.ts';
import { HELDOUT_JSON } from '../data/heldout.ts';
import { type Bench, machineLine, table } from './harness.ts';
import { mouthBankReenactment } from './replica-mouth.ts';

const HELDOUT_DIR = dirname(HELDOUT_JSON);
/** Held-out clip → a held-out voice of another person (heldout.json `dubs`, tango added). */
const CASES: [string, string][] = [
  ['clips/edmarkey_256.mp4', 'voices/german_de_m.wav'],
  ['clips/german_256.mp4', 'voices/katiehill_en_f.wav'],
  ['clips/katiehill_256.mp4', 'voices/tango_en_f.wav'],
  ['clips/tango_female_384.mp4', 'voices/edmarkey_en_m.wav'],
];
/** The held-out stretch of the mouth-bank bench: the last 2 s. */
const HELD_FRAMES = 50;
const load = () => loadavg()[0]?.toFixed(1) ?? '?';
const f2 = (v: number) => v.toFixed(2);

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(locateFfmpeg().ffmpegPath, ['-v', 'error', '-y', ...args]);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}`)),
    );
  });
}

/** Consecutive-frame change (mean abs difference of 16 × 16 grey thumbnails, levels). */
async function frameSteps(frames: AsyncIterable<Uint8Array>, width: number, height: number) {
  const steps: number[] = [];
  let previous: Float32Array | undefined;
  for await (const rgb of frames) {
    const t = thumbnail(rgb, width, height);
    if (previous) steps.push(thumbnailDistance(t, previous));
    previous = t;
  }
  return steps;
}

async function* mp4Frames(path: string) {
  for await (const f of await openVideoFrames(path, { fps: 25 })) yield f.rgb;
}

async function* footageFrames(replica: Replica) {
  for (const s of replica.manifest.playback) yield await replica.frames.read(s);
}

/** Longest run of consecutive output frames that barely change (a frozen stretch), frames. */
function longestFrozen(steps: number[], below = 0.25): number {
  let best = 0;
  let run = 0;
  for (const s of steps) {
    run = s < below ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

/**
 * Video avatars on the held-out clips: creation, the mouth bank against the drawn interior on
 * a held-out stretch, speech twice as long as the footage (length, loop joins, frozen
 * stretches, lip sync), and offline speed at 512² against the photo pipeline in the same run.
 */
export const replicaBench: Bench = {
  id: 'replica',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-replica-'));
    const model = await loadFaceModel();
    const landmarker = await FaceLandmarker.load({ video: true, body: false });
    const pipeline = await VideoPipeline.load({ generator: 'off' });
    const loadBefore = load();
    try {
      const mouthRows: string[][] = [];
      const loopRows: string[][] = [];
      for (const [i, [clip, voice]] of CASES.entries()) {
        const name = basename(clip, '.mp4');
        const avatarDir = join(dir, name);
        const created = await createReplica(join(HELDOUT_DIR, clip), avatarDir, {
          model,
          landmarker,
        });
        const durationMs = created.manifest.footage.frames * 40;
        const speech = join(dir, `${name}-speech.wav`);
        await ffmpeg([
          '-stream_loop',
          '-1',
          '-i',
          join(HELDOUT_DIR, voice),
          '-t',
          String((2 * durationMs) / 1000),
          speech,
        ]);
        const out = join(dir, `${name}.mp4`);
        const t = performance.now();
        const result = await pipeline.render({
          avatarDir,
          audioPath: speech,
          outPath: out,
          seed: i,
        });
        const wallMs = performance.now() - t;
        const sync = await measureLipSync(out, { landmarker, model });
        const replica = await Replica.load(avatarDir);
        const own = await frameSteps(
          footageFrames(replica),
          replica.manifest.footage.width,
          replica.manifest.footage.height,
        );
        await replica.close();
        const shown = await frameSteps(mp4Frames(out), result.width, result.height);
        const ownMax = Math.max(...own);
        const shownMax = Math.max(...shown);
        loopRows.push([
          name,
          `${(durationMs / 1000).toFixed(1)} s`,
          `${(result.durationMs / 1000).toFixed(2)} / ${(result.audioDurationMs / 1000).toFixed(2)} s`,
          f2(ownMax),
          f2(shownMax),
          f2(shownMax / ownMax),
          String(longestFrozen(shown)),
          `${sync.jawOpen.r.toFixed(3)} / ${sync.lipGap.r.toFixed(3)}`,
          f2(result.durationMs / wallMs),
        ]);
        const mouth = await mouthBankReenactment(avatarDir, model, HELD_FRAMES);
        mouthRows.push([
          name,
          String(mouth.frames),
          String(mouth.bankEntries),
          `${f2(mouth.procedural.psnr)} / ${mouth.procedural.ssim.toFixed(4)}`,
          `${f2(mouth.bank.psnr)} / ${mouth.bank.ssim.toFixed(4)}`,
        ]);
      }
      const speed = await speedAt512(dir, model, landmarker, pipeline);
      return {
        id: 'replica',
        title: 'Video avatars (replicas) on the held-out clips',
        body: [
          `Machine: ${machineLine()}; load ${loadBefore} → ${load()} (shared). Command: \`npm run bench -- replica\`. Every clip is held out (test/fixtures/heldout): no threshold was tuned on them.`,
          '',
          '**Speech twice as long as the footage** (a held-out voice of another person, looped to 2× the footage; `VideoPipeline.render` with the video avatar, seed = case). Frame change = mean absolute difference of consecutive 16 × 16 grey thumbnails (levels); "footage max" is the footage\'s own largest, "output max" the output\'s largest anywhere (joins included); frozen = the longest run of output frames changing < 0.25 levels; lip sync = `measureLipSync` on the MP4 (tracked jawOpen / raw lip gap vs the MP4\'s own sound, r at lag 0).',
          '',
          table(
            [
              'clip',
              'footage',
              'video / speech',
              'footage max',
              'output max',
              'ratio',
              'frozen (frames)',
              'lip sync r (jawOpen / gap)',
              '× real time',
            ],
            loopRows,
          ),
          '',
          `**Mouth interior, self-reenactment on the held-out stretch** (the last ${HELD_FRAMES} frames; the bank rebuilt from the frames before them only): each frame with an open mouth re-rendered as its own reference with its own mouth, its interior drawn by the renderer (procedural) or painted from the bank, scored against the real frame over the mouth box (PSNR over RGB / SSIM of luma).`,
          '',
          table(
            ['clip', 'open frames', 'bank entries', 'procedural PSNR / SSIM', 'bank PSNR / SSIM'],
            mouthRows,
          ),
          '',
          speed,
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
async function speedAt512(
  dir: string,
  model: Awaited<ReturnType<typeof loadFaceModel>>,
  landmarker: FaceLandmarker,
  pipeline: VideoPipeline,
): Promise<string> {
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
  const time = async (avatar: string, out: string) => {
    const t = performance.now();
    const r = await pipeline.render({
      avatarDir: avatar,
      audioPath: speech,
      outPath: join(dir, out),
      sizePx: 512,
    });
    return { rtf: r.durationMs / (performance.now() - t), r };
  };
  const video = await time(avatarDir, 'speed-video.mp4');
  const photo = await time(photoDir, 'speed-photo.mp4');
  return `**Offline speed at 512²** (8 s of speech; katiehill_256 upscaled to 512² as the footage; \`VideoPipeline.render\`, encode included): video avatar ${f2(video.rtf)}× real time (${video.r.width}×${video.r.height}, render ${Math.round(video.r.timingsMs.render)} ms); the photo avatar of the same person, warp-only, same speech, same run: ${f2(photo.rtf)}× real time.`;
}
