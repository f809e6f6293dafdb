import { access, mkdir, readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { FaceLandmarker, type FaceModel, loadFaceModel } from '../../src/face/index.ts';
import { createReplica, REPLICA_MANIFEST_FILE } from '../../src/replica/index.ts';
import { HELDOUT_JSON, loadHeldoutSources } from '../data/heldout.ts';
import { type Bench, machineLine, table } from './harness.ts';
import { type MouthArm, mouthBankReenactment } from './replica-mouth.ts';
import { ffmpeg } from './replica-speed.ts';

const SHARED = process.env.FACECAST_SHARED_FIXTURES ?? '../shared/fixtures';
/** The held-out stretch, as in `replica`: the last 2 s. */
const HELD_FRAMES = 50;

/**
 * Training footage for the mouth bank's decisions (none in heldout.json's `sources`; chosen
 * before any result was seen): talking heads scaled to 256 px and half-body speakers to
 * 384 px, as make-heldout.sh makes the held-out clips. [fixture path, start s, seconds, size].
 */
export const TRAINING_MOUTH_CLIPS: [string, number, number, number][] = [
  ['train-talk/talk_sadtalker_WDA_BobMenendez_000.mp4', 0, 8, 256],
  ['train-talk/talk_sadtalker_RD_Radio2_000.mp4', 0, 8, 256],
  ['train-talk/talk_mimictalk_Trump_10s.mp4', 0, 10, 256],
  ['train-talk/talk_mimictalk_May_5s.mp4', 0, 5, 256],
  ['train-talk/talk_edtalk_uncrop_Obama.mp4', 0, 10, 256],
  ['train-talk/talk_eamm_surprised.mp4', 0, 10, 256],
  ['train-talk/talk_dinet_test19.mp4', 0, 10, 256],
  ['video/video_videoretalking_1.mp4', 0, 6, 256],
  ['train-body/body_tango_demo1.mp4', 0, 8, 384],
  ['train-body/body_tango_demo3.mp4', 0, 8, 384],
  ['train-body/body_tango_demo5.mp4', 0, 8, 384],
  ['train-body/body_tango_speaker12_10_BVHw8aCPATM_00-01-05.0_00-01-10.0.mp4', 0, 5, 384],
];

/** Where the prepared clips and their video avatars are kept between runs (tracking is slow). */
export const MOUTH_TRAIN_CACHE = join(tmpdir(), 'facecast-replica-mouth-train');
const CACHE = MOUTH_TRAIN_CACHE;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The clip's stem (file name without folder and extension). */
export const stem = (file: string) => (file.split('/').pop() as string).replace(/\.[^.]+$/, '');

/** The training clip's video avatar, prepared (scaled, 25 fps) and created once. */
export async function trainingAvatar(
  [file, startS, seconds, size]: [string, number, number, number],
  model: FaceModel,
  landmarker: FaceLandmarker,
): Promise<string> {
  const name = `${stem(file)}_${size}`;
  const avatarDir = join(CACHE, name);
  if (await exists(join(avatarDir, REPLICA_MANIFEST_FILE))) return avatarDir;
  await mkdir(CACHE, { recursive: true });
  const clip = join(CACHE, `${name}.mp4`);
  await ffmpeg([
    ...['-ss', String(startS), '-t', String(seconds), '-i', join(SHARED, file)],
    ...[
      '-vf',
      `scale=${size}:${size}:force_original_aspect_ratio=decrease,scale=trunc(iw/2)*2:trunc(ih/2)*2,fps=25`,
    ],
    ...['-c:v', 'libx264', '-preset', 'slow', '-crf', '23', '-pix_fmt', 'yuv420p', '-an', clip],
  ]);
  await createReplica(clip, avatarDir, { model, landmarker });
  return avatarDir;
}

const arm = (a: MouthArm) =>
  `${a.psnr.toFixed(2)} / ${a.ssim.toFixed(4)} / ${a.changePsnr.toFixed(2)}`;

/** One clip to measure: its row name and how to get its video avatar. */
interface MouthCase {
  name: string;
  avatar: (model: FaceModel, landmarker: FaceLandmarker) => Promise<string>;
}

/** Mouth-box figures of the bank and the procedural interior on each clip. */
async function mouthRows(
  cases: MouthCase[],
): Promise<{ rows: string[][]; wins: number; psnrGainDb: number[] }> {
  const model = await loadFaceModel();
  const landmarker = await FaceLandmarker.load({ video: true, body: false });
  const rows: string[][] = [];
  const psnrGainDb: number[] = [];
  try {
    for (const { name, avatar } of cases) {
      let dir: string;
      try {
        dir = await avatar(model, landmarker);
      } catch (error) {
        // Footage a video avatar refuses (e.g. the face too small) is listed, not measured.
        const code = (error as { code?: string }).code ?? String(error);
        rows.push([name, `refused: ${code}`, '', '', '', '']);
        continue;
      }
      const m = await mouthBankReenactment(dir, model, HELD_FRAMES);
      const gain = m.bank.psnr - m.procedural.psnr;
      psnrGainDb.push(gain);
      rows.push([
        name,
        String(m.frames),
        String(m.bankEntries),
        arm(m.procedural),
        arm(m.bank),
        `${gain >= 0 ? '+' : ''}${gain.toFixed(2)}`,
      ]);
    }
  } finally {
    await landmarker.close();
  }
  return { rows, wins: psnrGainDb.filter((g) => g > 0).length, psnrGainDb };
}

/** Throws when a clip is held out (heldout.json `sources`). */
export async function refuseHeldout(clips: readonly [string, ...unknown[]][]): Promise<void> {
  const heldout = await loadHeldoutSources();
  for (const clip of clips) {
    if (heldout.has(stem(clip[0]))) throw new Error(`${clip[0]} is held out`);
  }
}

/** The training clips' figures (throws on a held-out clip). */
export async function trainingMouthRows(clips = TRAINING_MOUTH_CLIPS) {
  await refuseHeldout(clips);
  return mouthRows(
    clips.map((clip) => ({
      name: `${stem(clip[0])} (${clip[3]} px)`,
      avatar: (model, landmarker) => trainingAvatar(clip, model, landmarker),
    })),
  );
}

/** The held-out clips (heldout.json `clips`), as the `replica` bench measures them. */
async function heldoutMouthRows() {
  const file = z
    .object({ clips: z.array(z.object({ file: z.string() })) })
    .parse(JSON.parse(await readFile(HELDOUT_JSON, 'utf8')));
  return mouthRows(
    file.clips.map(({ file: clip }) => {
      const name = stem(clip);
      return {
        name,
        avatar: async (model, landmarker) => {
          const dir = join(CACHE, `heldout-${name}`);
          if (!(await exists(join(dir, REPLICA_MANIFEST_FILE)))) {
            await mkdir(CACHE, { recursive: true });
            await createReplica(join(dirname(HELDOUT_JSON), clip), dir, { model, landmarker });
          }
          return dir;
        },
      };
    }),
  );
}

const HEADER = [
  'clip',
  'open frames',
  'bank entries',
  'procedural PSNR / SSIM / change PSNR',
  'bank PSNR / SSIM / change PSNR',
  'bank − procedural dB',
];

const MEASURE = `Self-reenactment as in \`replica\`: the last ${HELD_FRAMES} frames held out, the bank built from the frames before them, each open-mouthed held-out frame re-rendered with the procedural interior and with the bank, mouth-box PSNR (RGB) / SSIM (luma) against the real frame; change PSNR = the frame-to-frame change of the output against the real change over the mouth box of consecutive open-mouthed frames (flicker: an interior switching look when the real one does not costs here).`;

function section(
  id: string,
  title: string,
  note: string,
  before: string,
  { rows, wins, psnrGainDb }: Awaited<ReturnType<typeof mouthRows>>,
) {
  const mean = psnrGainDb.reduce((a, b) => a + b, 0) / Math.max(1, psnrGainDb.length);
  return {
    id,
    title,
    body: [
      `Machine: ${machineLine()}; load ${before} → ${loadavg()[0]?.toFixed(1)} (shared; quality figures, load-free). Command: \`npm run bench -- ${id}\`. ${note}`,
      '',
      `${MEASURE} Bank wins on PSNR: ${wins} of ${rows.length} clips, mean gain ${mean.toFixed(2)} dB.`,
      '',
      table(HEADER, rows),
    ].join('\n'),
  };
}

const load = () => loadavg()[0]?.toFixed(1) ?? '?';

/**
 * `npm run bench -- replica-mouth-train`: the `replica` bench's mouth-bank self-reenactment
 * on training clips only — what the bank's selection, blend and edge are decided on.
 */
export const replicaMouthTrainBench: Bench = {
  id: 'replica-mouth-train',
  onlyWhenNamed: true,
  async run() {
    const before = load();
    return section(
      'replica-mouth-train',
      'Video-avatar mouth bank on training clips (what its settings are decided on)',
      'None of these clips is held out; the held-out figures are in `replica-mouth-heldout` and `replica`.',
      before,
      await trainingMouthRows(),
    );
  },
};

/**
 * `npm run bench -- replica-mouth-heldout`: the same measure on the held-out clips alone (the
 * `replica` bench's mouth lines without its renders): reported, never deciding.
 */
export const replicaMouthHeldoutBench: Bench = {
  id: 'replica-mouth-heldout',
  onlyWhenNamed: true,
  async run() {
    const before = load();
    return section(
      'replica-mouth-heldout',
      'Video-avatar mouth bank on the held-out clips (reported, never deciding)',
      'Every clip is held out (test/fixtures/heldout): nothing was tuned on them; the settings were decided on `replica-mouth-train`.',
      before,
      await heldoutMouthRows(),
    );
  },
};
