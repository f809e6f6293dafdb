import { access } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { type ReenactmentScores, scoreReenactment } from '../../src/eval/index.ts';
import { loadFaceModel } from '../../src/face/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

/**
 * Self-reenactment of half-body clips with the torso pass: each clip is tracked with the body
 * on every frame (`facecast track --body-every 1`), its first frame becomes the reference, and
 * every frame is re-rendered from its tracked Controls twice — the torso moved by the tracked
 * shoulders' displacement from the reference frame (the torso pass), and the body channels
 * zeroed (a still torso) — and scored against the real frame in the body box (shoulders and
 * upper chest below the chin) and over the whole frame. Same as `facecast eval reenact --body`.
 *
 * The held-out clips are the result; two training clips (which the body model saw, the
 * renderer's rules did not) are listed as well because they show where the tracked driving
 * signal fails (gesturing arms pull MoveNet's shoulder points, see docs/stages/body.md).
 */
const FIXTURES = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const CLIPS = [
  {
    name: 'tango_female_384 (TANGO)',
    path: 'test/fixtures/heldout/clips/tango_female_384.mp4',
    heldOut: true,
  },
  {
    name: 'body_show_half (SHOW)',
    path: join(FIXTURES, 'train-body/body_show_half.mp4'),
    heldOut: true,
  },
  {
    name: 'body_tango_demo1',
    path: join(FIXTURES, 'train-body/body_tango_demo1.mp4'),
    heldOut: false,
  },
  {
    name: 'body_tango_1wrQ6Msp7wM',
    path: join(FIXTURES, 'train-body/body_tango_1wrQ6Msp7wM_00-00-39.69_00-00-45.68.mp4'),
    heldOut: false,
  },
];

export const torsoReenactBench: Bench = {
  id: 'torso-reenact',
  async run() {
    const model = await loadFaceModel();
    const rows: (string | number)[][] = [];
    const missing: string[] = [];
    const load = loadavg()[0]?.toFixed(1) ?? '?';
    const t0 = performance.now();
    for (const clip of CLIPS) {
      if (!(await exists(clip.path))) {
        missing.push(clip.name);
        continue;
      }
      const s = await scoreReenactment(clip.path, { model, body: true });
      rows.push(...clipRows(clip.name, clip.heldOut, s));
    }
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    return {
      id: 'torso-reenact',
      title: 'Self-reenactment of half-body clips: torso pass vs a still torso',
      body: [
        `Machine: ${machineLine()}; load ${load} at the start. Each clip tracked with the body on every frame, first frame = reference (its shoulders detected by MoveNet), every other frame re-rendered warp-only from its tracked Controls: "torso pass" moves the reference's neck and shoulders by the tracked shoulders' displacement from the reference frame, "still torso" zeroes the body channels; same frames, same run. Body box: the reference's shoulder joints ± 0.2 shoulder widths across, from 4 px below the rendered chin to 0.5 shoulder widths below the shoulder line. PSNR (RGB) and SSIM (luma) means over frames. ${missing.length ? `Not found (no ../shared/fixtures): ${missing.join(', ')}. ` : ''}${seconds} s. Command: \`npm run bench -- torso-reenact\` (one clip: \`facecast eval reenact --video <clip> --body --generator off\`).`,
        '',
        table(
          [
            'clip',
            'held out',
            'frames',
            'arm',
            'body PSNR',
            'body SSIM',
            'frame PSNR',
            'frame SSIM',
          ],
          rows,
        ),
      ].join('\n'),
    };
  },
};

function clipRows(name: string, heldOut: boolean, s: ReenactmentScores): (string | number)[][] {
  const arms = [
    ['still torso', s.stillTorso],
    ['torso pass', s.warpOnly],
  ] as const;
  return arms.map(([arm, a], i) => [
    i === 0 ? name : '',
    i === 0 ? (heldOut ? 'yes' : 'no (training)') : '',
    i === 0 ? s.scoredFrames : '',
    arm,
    a?.bodyPsnrDb?.toFixed(2) ?? '–',
    a?.bodySsim?.toFixed(3) ?? '–',
    a ? a.psnrDb.toFixed(2) : '–',
    a ? a.ssim.toFixed(3) : '–',
  ]);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
