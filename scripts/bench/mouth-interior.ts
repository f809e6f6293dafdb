import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type InteriorPainter, LowerFaceReanimator } from '../../src/dub/index.ts';
import { FrameScorer, psnrFromMse, scoreReenactment, trackClip } from '../../src/eval/index.ts';
import { FaceLandmarker, type FaceModel, loadFaceModel } from '../../src/face/index.ts';
import {
  innerLipsFromMesh,
  lipShape,
  loadGenericMouthBank,
  type MouthBank,
  opening,
} from '../../src/mouthbank/index.ts';
import { PART_LABELS } from '../../src/render/index.ts';
import { createReplica, Replica, trackedInnerLips } from '../../src/replica/index.ts';
import { HELDOUT_JSON } from '../data/heldout.ts';
import { type Bench, machineLine, table } from './harness.ts';
import { mouthBox } from './replica-mouth.ts';

const HELDOUT_DIR = dirname(HELDOUT_JSON);
const CLIPS = [
  'clips/edmarkey_256.mp4',
  'clips/german_256.mp4',
  'clips/katiehill_256.mp4',
  'clips/tango_female_384.mp4',
];
/** A frame is scored when its mouth is at least this open (the bank's own threshold). */
const MIN_OPENING = 0.04;

interface Arm {
  mse: number;
  ssim: number;
}

/**
 * Photo avatars' mouth interiors on clips no bank or threshold saw: (1) every open-mouthed
 * frame of a held-out clip is re-rendered as its own reference with its own mouth (the
 * geometry is the frame's; only the interior is new) with the drawn interior and with the
 * generic bank (models/mouthbank, other people's real mouths), scored over the mouth box
 * against the real frame; (2) the whole self-reenactment (`facecast eval reenact`, first
 * frame as the photo) with each interior: face and mouth-box PSNR/SSIM, flicker.
 */
export const mouthInteriorBench: Bench = {
  id: 'mouth-interior',
  async run() {
    const model = await loadFaceModel();
    const bank = await loadGenericMouthBank();
    const landmarker = await FaceLandmarker.load({ video: true, body: false });
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-interior-'));
    const loadBefore = loadavg()[0]?.toFixed(1);
    const ownRows: string[][] = [];
    const reenactRows: string[][] = [];
    try {
      for (const clip of CLIPS) {
        const name = basename(clip, '.mp4');
        const path = join(HELDOUT_DIR, clip);
        const avatarDir = join(dir, name);
        await createReplica(path, avatarDir, { model, landmarker });
        const own = await ownFrameInteriors(avatarDir, model, bank);
        ownRows.push([name, String(own.frames), fmt(own.drawn), fmt(own.bank)]);
        const track = await trackClip(path, { model });
        const drawn = (await scoreReenactment(path, { model, track })).warpOnly;
        const banked = (await scoreReenactment(path, { model, track, mouthBank: bank })).warpOnly;
        for (const [arm, s] of [
          ['drawn', drawn],
          ['bank', banked],
        ] as const) {
          reenactRows.push([
            name,
            arm,
            `${s.facePsnrDb.toFixed(2)} / ${s.faceSsim.toFixed(4)}`,
            `${s.mouthPsnrDb.toFixed(2)} / ${s.mouthSsim.toFixed(4)}`,
            s.flicker.toFixed(3),
          ]);
        }
      }
    } finally {
      await landmarker.close();
      await rm(dir, { recursive: true, force: true });
    }
    return {
      id: 'mouth-interior',
      title:
        'Photo avatars: drawn mouth interior vs the generic bank of real mouths (held-out clips)',
      body: [
        `Machine: ${machineLine()}; load ${loadBefore} → ${loadavg()[0]?.toFixed(1)}. Bank: models/mouthbank (${bank.size} mouths of 30 non-held-out clips). Command: \`npm run bench -- mouth-interior\`.`,
        '',
        'Interior alone — every open-mouthed frame re-rendered as its own reference (exact geometry, only the interior is new), mouth box (PSNR dB / SSIM):',
        '',
        table(['clip', 'open frames', 'drawn', 'generic bank'], ownRows),
        '',
        'Whole self-reenactment (`facecast eval reenact`, first frame as the photo, warp-only), face box and mouth box (PSNR dB / SSIM) and flicker:',
        '',
        table(['clip', 'interior', 'face', 'mouth box', 'flicker'], reenactRows),
      ].join('\n'),
    };
  },
};

function fmt(a: Arm): string {
  return `${psnrFromMse(a.mse).toFixed(2)} / ${a.ssim.toFixed(4)}`;
}

/** Mean mouth-box MSE/SSIM of the open-mouthed frames, drawn vs painted from `bank`. */
async function ownFrameInteriors(dir: string, model: FaceModel, bank: MouthBank) {
  const replica = await Replica.load(dir);
  const { width, height, storedFrames } = replica.manifest.footage;
  const drawn = new LowerFaceReanimator(model, 256, { drawInterior: true });
  const painted = new LowerFaceReanimator(model, 256, {
    drawInterior: true,
    painter: bankPainter(model, bank),
  });
  const scorer = new FrameScorer(width, height);
  const sums = { drawn: { mse: 0, ssim: 0 }, bank: { mse: 0, ssim: 0 }, n: 0 };
  const image = (data: Uint8Array) => ({ width, height, data });
  try {
    for (let s = 0; s < storedFrames; s++) {
      const face = replica.face(s);
      if (!face) continue;
      const lips = trackedInnerLips(model, face.landmarks);
      if (opening(lipShape(lips)) < MIN_OPENING) continue;
      const real = await replica.frames.read(s);
      const region = mouthBox(lips.upper, lips.lower, width, height);
      const source = { rgb: real, width, height, ...face };
      for (const [arm, reanimator] of [
        ['drawn', drawn],
        ['bank', painted],
      ] as const) {
        const out = Uint8Array.from(real);
        reanimator.reanimate(source, face.weights, 0, out);
        const score = scorer.score(image(out), image(real), region);
        sums[arm].mse += score.mse;
        sums[arm].ssim += score.ssim;
      }
      sums.n++;
    }
  } finally {
    drawn.close();
    painted.close();
    await replica.close();
  }
  const n = Math.max(1, sums.n);
  const mean = (a: Arm): Arm => ({ mse: a.mse / n, ssim: a.ssim / n });
  return { frames: sums.n, drawn: mean(sums.drawn), bank: mean(sums.bank) };
}

/** The generic bank as the reanimator's interior painter (what src/render's BankInterior paints). */
function bankPainter(model: FaceModel, bank: MouthBank): InteriorPainter {
  let previous = -1;
  return ({ image, labels, target }) => {
    const lips = innerLipsFromMesh(model.sets.lipsUpperInner, model.sets.lipsLowerInner, target, 3);
    previous = bank.query(lips, previous);
    bank.paint(image, lips, previous, { labels, value: PART_LABELS.mouthInterior });
  };
}
