import { access } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type ClipTrack,
  type ReenactmentScores,
  type Region,
  scoreReenactment,
  trackClip,
} from '../../src/eval/index.ts';
import { loadFaceModel } from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { pearson } from '../../src/motion/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

/**
 * Self-reenactment of half-body clips with the torso pass: each clip is tracked with the body
 * on every frame (`facecast track --body-every 1`), its first frame becomes the reference, and
 * every frame is re-rendered from its tracked Controls twice — the torso moved by the tracked
 * shoulders' displacement from the reference frame (the torso pass), and the body channels
 * zeroed (a still torso) — and scored against the real frame in the body box (shoulders and
 * upper chest below the chin) and over the whole frame. Same as `facecast eval reenact --body`.
 *
 * The held-out clips are the result; two training clips (which the body model saw; the chest
 * measure was developed on them) are listed as well because they show where MoveNet's points
 * fail as a driving signal (gesturing arms pull them, see docs/stages/body.md).
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
      const points = await trackClip(clip.path, { model, bodyEvery: 1, chest: false });
      const track = await trackClip(clip.path, { model, bodyEvery: 1 });
      const body = { model, body: true, arms: false };
      const byPoints = await scoreReenactment(clip.path, { ...body, track: points });
      const s = await scoreReenactment(clip.path, { ...body, track });
      const withArms = await scoreReenactment(clip.path, { ...body, arms: true, track });
      const follow = s.bodyBox
        ? {
            points: await chestFollows(clip.path, points, s.bodyBox),
            chest: await chestFollows(clip.path, track, s.bodyBox),
          }
        : null;
      rows.push(...clipRows(clip.name, clip.heldOut, { s, byPoints, withArms }, follow));
    }
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    return {
      id: 'torso-reenact',
      title: 'Self-reenactment of half-body clips: torso pass vs a still torso',
      body: [
        `Machine: ${machineLine()}; load ${load} at the start. Each clip tracked with the body on every frame, first frame = reference (its shoulders detected by MoveNet), every other frame re-rendered warp-only from its tracked Controls: "torso pass" moves the reference's neck and shoulders by the tracked shoulders' displacement from the reference frame — "(chest)": the shoulders driven by the chest's block-matched motion below the neckline (\`facecast track\` with the body), "(MoveNet points)": by MoveNet's shoulder keypoints alone — and "still torso" zeroes the body channels; "+ limb pass": the reference's confident elbows and wrists given to the renderer too, so its arms follow the tracked ones (an arm whose elbow or hand the reference holds between the shoulder joints, below them — in front of the torso — is left to the torso pass); same frames, same run. Body box: the reference's shoulder joints ± 0.2 shoulder widths across, from 4 px below the rendered chin to 0.5 shoulder widths below the shoulder line. PSNR (RGB) and SSIM (luma) means over frames. "x SD px: chest / tracked (r)": does the real chest move as the tracked shoulders say — over every 5th frame, the SD of the real chest's horizontal shift from the reference frame (a patch of the body box, 40 % of its width × 35 % of its height from 45 % down, block-matched, ±40 px), the SD of the tracked shoulder midpoint's displacement in px, and their Pearson r, for the chest-driven and the MoveNet-point tracks. ${missing.length ? `Not found (no ../shared/fixtures): ${missing.join(', ')}. ` : ''}${seconds} s. Command: \`npm run bench -- torso-reenact\` (one clip: \`facecast eval reenact --video <clip> --body --generator off\`).`,
        '',
        table(
          [
            'clip',
            'held out',
            'frames',
            'x SD px: chest / tracked (r)',
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

function clipRows(
  name: string,
  heldOut: boolean,
  { s, byPoints, withArms }: Record<'s' | 'byPoints' | 'withArms', ReenactmentScores>,
  follow: { points: ChestFollow; chest: ChestFollow } | null,
): (string | number)[][] {
  const arms = [
    ['still torso', s.stillTorso],
    ['torso pass (MoveNet points)', byPoints.warpOnly],
    ['torso pass (chest)', s.warpOnly],
    ['torso pass (chest) + limb pass', withArms.warpOnly],
  ] as const;
  const said = (f: ChestFollow) =>
    `${f.chestSdPx.toFixed(1)} / ${f.trackedSdPx.toFixed(1)} (r ${f.r.toFixed(2)})`;
  return arms.map(([arm, a], i) => [
    i === 0 ? name : '',
    i === 0 ? (heldOut ? 'yes' : 'no (training)') : '',
    i === 0 ? s.scoredFrames : '',
    follow && i === 1 ? said(follow.points) : follow && i === 2 ? said(follow.chest) : '',
    arm,
    a?.bodyPsnrDb?.toFixed(2) ?? '–',
    a?.bodySsim?.toFixed(3) ?? '–',
    a ? a.psnrDb.toFixed(2) : '–',
    a ? a.ssim.toFixed(3) : '–',
  ]);
}

/**
 * Pearson r (x and y) between the tracked shoulder midpoint's displacement from frame 0 and
 * the real chest patch's shift from frame 0 (integer block matching), every 5th frame.
 */
async function chestFollows(path: string, track: ClipTrack, box: Region): Promise<ChestFollow> {
  const patch = {
    x: Math.round(box.x + 0.3 * box.width),
    y: Math.round(box.y + 0.45 * box.height),
    width: Math.round(0.4 * box.width),
    height: Math.round(0.35 * box.height),
  };
  // The box spans the shoulder joints ± 0.2 shoulder widths: 1.4 shoulder widths.
  const shoulderPx = box.width / 1.4;
  const mid = (i: number) => {
    const b = track.frames[i]?.controls.body;
    return b
      ? {
          x: (b.leftShoulder.x + b.rightShoulder.x) / 2,
          y: (b.leftShoulder.y + b.rightShoulder.y) / 2,
        }
      : { x: 0, y: 0 };
  };
  const tracked: { x: number; y: number }[] = [];
  const seen: { x: number; y: number }[] = [];
  let first: Uint8Array | undefined;
  let width = 0;
  for await (const f of await openVideoFrames(path, { fps: 25, maxSize: track.maxSize })) {
    if (f.frameIndex === 0) {
      first = f.rgb;
      width = f.width;
      continue;
    }
    if (f.frameIndex % 5 || !first || f.frameIndex >= track.frames.length) continue;
    seen.push(blockShift(first, f.rgb, width, f.height, patch, 40));
    const m = mid(f.frameIndex);
    const m0 = mid(0);
    tracked.push({ x: (m.x - m0.x) * shoulderPx, y: (m.y - m0.y) * shoulderPx });
  }
  const xs = { tracked: tracked.map((t) => t.x), seen: seen.map((t) => t.x) };
  return {
    chestSdPx: sd(xs.seen),
    trackedSdPx: sd(xs.tracked),
    r: Math.min(xs.tracked.length, xs.seen.length) < 3 ? Number.NaN : pearson(xs.tracked, xs.seen),
  };
}

interface ChestFollow {
  /** SD of the real chest's horizontal shift from the reference frame, px. */
  chestSdPx: number;
  /** SD of the tracked shoulder midpoint's horizontal displacement, px. */
  trackedSdPx: number;
  /** Pearson r of the two. */
  r: number;
}

function sd(v: number[]): number {
  const m = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1));
}

/** Where the `patch` of `a` went in `b` (RGB): the integer shift within ±reach of least SSD. */
function blockShift(
  a: Uint8Array,
  b: Uint8Array,
  width: number,
  height: number,
  patch: Region,
  reach: number,
): { x: number; y: number } {
  let best = { x: 0, y: 0, ssd: Number.POSITIVE_INFINITY };
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      let ssd = 0;
      for (let y = patch.y; y < patch.y + patch.height && ssd < best.ssd; y++) {
        const yb = Math.min(height - 1, Math.max(0, y + dy));
        for (let x = patch.x; x < patch.x + patch.width; x++) {
          const xb = Math.min(width - 1, Math.max(0, x + dx));
          const p = (y * width + x) * 3;
          const q = (yb * width + xb) * 3;
          for (let c = 0; c < 3; c++) ssd += ((a[p + c] as number) - (b[q + c] as number)) ** 2;
        }
      }
      if (ssd < best.ssd) best = { x: dx, y: dy, ssd };
    }
  }
  return { x: best.x, y: best.y };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
