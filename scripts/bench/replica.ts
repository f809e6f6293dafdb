import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { openVideoFrames, thumbnail, thumbnailDistance } from '../../src/media/index.ts';
import { measureLipSync, VideoPipeline } from '../../src/pipeline/index.ts';
import { createReplica, Replica } from '../../src/replica/index.ts';
import { HELDOUT_JSON } from '../data/heldout.ts';
import { type Bench, machineLine, table } from './harness.ts';
import { FaceDescriber, spread } from './replica-identity.ts';
import { mouthBankReenactment } from './replica-mouth.ts';
import { ffmpeg, speedAt512 } from './replica-speed.ts';

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
/** Frames described per clip for identity (footage, and output), spread over each. */
const IDENTITY_FRAMES = 6;
const load = () => loadavg()[0]?.toFixed(1) ?? '?';
const f2 = (v: number) => v.toFixed(2);

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

/** Human's face descriptions of `count` frames spread over a list of frames. */
async function describeSpread(
  describer: FaceDescriber,
  frames: Uint8Array[],
  width: number,
  height: number,
  count = IDENTITY_FRAMES,
): Promise<number[][]> {
  const out: number[][] = [];
  for (const i of spread(frames.length, count)) {
    const d = await describer.describe(frames[i] as Uint8Array, width, height);
    if (d) out.push(d);
  }
  return out;
}

/** Every frame of an MP4 at 25 fps (copies). */
async function mp4FrameList(path: string): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const rgb of mp4Frames(path)) out.push(Uint8Array.from(rgb));
  return out;
}

/** The footage's stored frames along its playback clock, `count` spread over it. */
async function footageSpread(replica: Replica, count = IDENTITY_FRAMES): Promise<Uint8Array[]> {
  const playback = replica.manifest.playback;
  const usable = playback.filter((s) => replica.face(s));
  return Promise.all(
    spread(usable.length, count).map((i) => replica.frames.read(usable[i] as number)),
  );
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
    const describer = await FaceDescriber.load();
    const loadBefore = load();
    try {
      const mouthRows: string[][] = [];
      const loopRows: string[][] = [];
      const identities: { name: string; footage: number[][]; output: number[][] }[] = [];
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
        const { width: fw, height: fh } = replica.manifest.footage;
        const own = await frameSteps(footageFrames(replica), fw, fh);
        identities.push({
          name,
          footage: await describeSpread(describer, await footageSpread(replica), fw, fh),
          output: await describeSpread(
            describer,
            await mp4FrameList(out),
            result.width,
            result.height,
          ),
        });
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
      const identityRows = identities.map(({ name, footage, output }) => {
        const others = identities.filter((o) => o.name !== name);
        const strangers = others.map((o) => describer.meanSimilarity(footage, o.footage));
        return [
          name,
          `${output.length} / ${footage.length}`,
          f2(describer.meanSimilarity(output, footage)),
          f2(describer.meanSimilarity(footage, footage)),
          f2(Math.max(...strangers)),
        ];
      });
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
          `**Identity** (Human's face description — the faceres embedding on tfjs-wasm, a fresh detection per frame — and Human's similarity, 0–1, ≥ 0.5 a match): ${IDENTITY_FRAMES} output frames of the 2× render against ${IDENTITY_FRAMES} footage frames, spread over each, mean over every pair; "same person" = the footage's frames against each other (different frames of the same clip); "other people" = the footage against each other held-out clip's footage, the highest.`,
          '',
          table(
            [
              'clip',
              'faces described (output / footage)',
              'output vs footage',
              'same person (footage vs footage)',
              'other people (highest)',
            ],
            identityRows,
          ),
          '',
          speed,
        ].join('\n'),
      };
    } finally {
      describer.close();
      await pipeline.close();
      await landmarker.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
