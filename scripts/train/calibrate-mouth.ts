/**
 * Mouth amplitude calibration of the motion model (issue 13, "amplitude like real people").
 * The model regresses the mouth's opening towards its mean, so its mouths move less than
 * real ones. Measured on material that is NOT held out, with one measure on both sides — the
 * inner-lip gap over the eye-corner distance (`measureMouth`), SD over the frames with speech
 * (200–4000 Hz energy 10 dB over its floor, as `measureLipSync`):
 *
 * - real: the detector's landmarks on real talking clips with their own sound;
 * - ours: the motion model's Controls (gain 1, idle life on, seed 1) on non-held-out voices,
 *   read on the face model's neutral mesh, frontal (`meshMouth`) — the model's amplitude
 *   alone, before any photo, renderer or detector.
 *
 * gain = median(real) / median(ours) goes into models/motion/manifest.json `calibration`
 * (`--write`); the motion stage scales its mouth-opening channels by it (src/motion/compose.ts).
 * Renders through photos and the detector are then reported on the held-out set by
 * `npm run bench -- lipsync`.
 *
 *   nice -n 10 node --import tsx scripts/train/calibrate-mouth.ts [--write]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { BLENDSHAPE_COUNT, blendshapeVector } from '../../src/controls/index.ts';
import {
  FaceLandmarker,
  loadFaceModel,
  meshMouth,
  speechEnvelopeDb,
} from '../../src/face/index.ts';
import { animateAudio, MotionModel } from '../../src/motion/index.ts';
import { measureLipSync } from '../../src/pipeline/index.ts';

const FIXTURES = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const TEST = new URL('../../test/fixtures/', import.meta.url).pathname;
const MANIFEST = new URL('../../models/motion/manifest.json', import.meta.url).pathname;
/** Real speakers with their own sound (none in test/fixtures/heldout/heldout.json). */
const REAL = [
  'train-talk/talk_mimictalk_May_5s.mp4',
  'train-talk/talk_mimictalk_Trump_10s.mp4',
  'train-talk/talk_dinet_test19.mp4',
  'train-talk/talk_sadtalker_WDA_BobMenendez_000.mp4',
  'train-talk/talk_lipnet_bbaf2n.mpg',
  'video/video_videoretalking_1.mp4',
];
/** Non-held-out voices: the test fixtures' speech and the real clips' own sound. */
const VOICES = [
  join(TEST, 'speech/jfk.wav'),
  join(TEST, 'speech/lj001_22k.wav'),
  join(TEST, 'speech/echomimic_en.wav'),
  join(TEST, 'speech/fayu_french_s24_48k_stereo.wav'),
  ...REAL.map((clip) => join(FIXTURES, clip)),
];

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  const face = await loadFaceModel();
  const landmarker = await FaceLandmarker.load({ video: true });
  const real: number[] = [];
  for (const clip of REAL) {
    const r = await measureLipSync(join(FIXTURES, clip), { landmarker, model: face });
    console.info(
      `real ${clip}: gap SD ${r.speechLipGap.sd.toFixed(4)} over ${r.speechLipGap.frames} speech frames`,
    );
    if (r.speechLipGap.frames >= 25) real.push(r.speechLipGap.sd);
  }
  landmarker.close();
  const motion = await MotionModel.load({ mouthGain: 1 });
  const ours: number[] = [];
  const pose = { pitch: 0, yaw: 0, roll: 0, pxPerCm: 10, txPx: 0, tyPx: 0 };
  const weights = new Float32Array(BLENDSHAPE_COUNT);
  try {
    for (const voice of VOICES) {
      const { samples } = await decodeAudioFile(voice);
      const { sequence } = await animateAudio(motion, samples, { seed: 1 });
      const frames = sequence.frames.length;
      const envelope = speechEnvelopeDb(samples, frames);
      const floor = [...envelope].sort((a, b) => a - b)[Math.floor(0.1 * frames)] as number;
      const gaps: number[] = [];
      sequence.frames.forEach((frame, f) => {
        if ((envelope[f] as number) <= floor + 10) return;
        gaps.push(meshMouth(face, face.neutral, blendshapeVector(frame, weights), pose).gap);
      });
      const sd = meanSd(gaps).sd;
      console.info(
        `ours ${voice.split('/').pop()}: mesh gap SD ${sd.toFixed(4)} over ${gaps.length} speech frames`,
      );
      if (gaps.length >= 25) ours.push(sd);
    }
  } finally {
    await motion.close();
  }
  const gain = Math.round((median(real) / median(ours)) * 100) / 100;
  console.info(
    `real SD median ${median(real).toFixed(4)}, ours ${median(ours).toFixed(4)} → mouth gain ${gain}`,
  );
  if (!write) return;
  const manifest = JSON.parse(await readFile(MANIFEST, 'utf8')) as Record<string, unknown>;
  // The soft ceiling is decided on rendered videos, not here: kept as it is.
  const { mouthSoftCeiling, mouthGate, softCeiling } = (manifest.calibration ?? {}) as Record<
    string,
    unknown
  >;
  manifest.calibration = {
    mouthGain: gain,
    ...(mouthSoftCeiling === undefined ? {} : { mouthSoftCeiling, mouthGate, softCeiling }),
    measuredAt: new Date().toISOString(),
    command: 'node --import tsx scripts/train/calibrate-mouth.ts --write',
    method:
      'median over real non-held-out talking clips of the detector inner-lip gap SD over speech (measureLipSync) / median over non-held-out voices of the same gap on the neutral mesh posed with the model Controls at gain 1 (meshMouth)',
    realClips: REAL,
    realSd: real.map(round4),
    voices: VOICES.map((v) => v.split('/').pop()),
    oursSd: ours.map(round4),
  };
  await writeFile(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  console.info(`wrote ${MANIFEST}`);
}

const round4 = (v: number) => Math.round(v * 10000) / 10000;

function meanSd(v: number[]): { mean: number; sd: number } {
  const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  return {
    mean,
    sd: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length)),
  };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

await main();
