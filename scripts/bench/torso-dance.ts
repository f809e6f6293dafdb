import { access } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { driveBody } from '../../src/body/index.ts';
import { bodyRelativeTo } from '../../src/eval/index.ts';
import {
  createAvatar,
  type DetectedBody,
  FaceLandmarker,
  loadFaceModel,
  trackVideo,
} from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { loadAvatarReference, Renderer, type RgbImage } from '../../src/render/index.ts';
import { tempDir } from '../../test/helpers/media.ts';
import { type Bench, machineLine, table } from './harness.ts';

/**
 * A first step towards pose-driven full-body video: a full-body photo (the first frame of a
 * held-out dance clip) driven by that clip's tracked Controls (face + body, `--body-every 1`),
 * rendered with the whole photo as the frame — and how far the rendered pose is from the real
 * frames: MoveNet on every rendered and every real frame, the distance between each joint's
 * keypoints in % of the frame height, against the still photo (the same measure with the
 * photo repeated). The renderer moves the face, the neck and shoulders (torso pass) and the
 * arms (limb pass: elbows, wrists, hands); hips, knees and ankles are not rendered, so there
 * the render can only be as far as the still photo.
 */
const FIXTURES = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const CLIP = join(FIXTURES, 'train-dance/dance_animatex_dance_3.mp4');
const MIN_SCORE = 0.3;
/** The dancer's eyes are 22 px apart at the clip's 512 × 758: below the avatar default (32). */
const MIN_INTER_OCULAR_PX = 16;
const GROUPS = [
  ['shoulders', ['leftShoulder', 'rightShoulder'], 'yes (torso pass)'],
  ['elbows', ['leftElbow', 'rightElbow'], 'yes (limb pass)'],
  ['wrists', ['leftWrist', 'rightWrist'], 'yes (limb pass)'],
  ['hips', ['leftHip', 'rightHip'], 'no'],
  ['knees', ['leftKnee', 'rightKnee'], 'no'],
  ['ankles', ['leftAnkle', 'rightAnkle'], 'no'],
] as const;

export const torsoDanceBench: Bench = {
  id: 'torso-dance',
  async run() {
    try {
      await access(CLIP);
    } catch {
      return {
        id: 'torso-dance',
        title: 'Full-body photo driven by a dance clip (held-out)',
        body: `Skipped: ${CLIP} not found (needs ../shared/fixtures). Command: \`npm run bench -- torso-dance\`.`,
      };
    }
    const load = loadavg()[0]?.toFixed(1) ?? '?';
    const t0 = performance.now();
    const model = await loadFaceModel();
    const landmarker = await FaceLandmarker.load({ body: true });
    const { dir, cleanup } = await tempDir('facecast-dance-bench-');
    const errors: Errors = {
      still: new Map<string, number[]>(),
      render: new Map<string, number[]>(),
      drive: new Map<string, number[]>(),
    };
    let frames = 0;
    let size = { width: 0, height: 0 };
    try {
      const real = await decode(CLIP);
      const first = real[0] as RgbImage;
      size = { width: first.width, height: first.height };
      const photo = join(dir, 'photo.png');
      await sharp(first.data, { raw: { width: first.width, height: first.height, channels: 3 } })
        .png()
        .toFile(photo);
      await createAvatar(photo, join(dir, 'avatar'), {
        landmarker,
        model,
        minInterOcularPx: MIN_INTER_OCULAR_PX,
      });
      const reference = await loadAvatarReference(join(dir, 'avatar'));
      // The whole photo as the frame (the avatar's own framing is a talking-head crop).
      reference.crop = { x: 0, y: 0, width: first.width, height: first.height };
      const { sequence } = await trackVideo(CLIP, { bodyEvery: 1, maxSize: 512, model });
      // The photo is the clip's first frame: its pose is where frame 0's Controls put it, so
      // every frame's body is re-expressed from frame 0's (as self-reenactment does).
      const rest = sequence.frames[0]?.body;
      if (rest) for (const f of sequence.frames) f.body = bodyRelativeTo(f.body, rest);
      const renderer = Renderer.create(model, reference, {
        size: Math.max(first.width, first.height),
      });
      try {
        const photoPose = await detectBody(landmarker, first);
        const truths = [];
        for (const image of real.slice(0, sequence.frames.length))
          truths.push(await detectBody(landmarker, image));
        // driveBody: the same clip's keypoints retargeted onto the photo's own body.
        const driven = reference.shoulders
          ? driveBody(
              truths.map((t) => t?.keypoints),
              { shoulders: reference.shoulders, arms: reference.arms },
            )
          : undefined;
        for (const [i, controls] of sequence.frames.entries()) {
          const image = real[i];
          if (!image) break;
          const truth = truths[i];
          const rendered = await detectBody(landmarker, renderer.render(controls).composite);
          const body = driven?.[i]?.body;
          const drivenOut = body
            ? await detectBody(landmarker, renderer.render({ ...controls, body }).composite)
            : undefined;
          addErrors(
            errors,
            { still: photoPose, render: rendered, drive: drivenOut, truth },
            image.height,
          );
          frames++;
        }
      } finally {
        renderer.close();
      }
    } finally {
      await landmarker.close();
      await cleanup();
    }
    const mean = (v: number[] | undefined) =>
      v?.length ? `${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(2)} %` : '–';
    const rows = GROUPS.map(([group, , moved]) => [
      group,
      moved,
      mean(errors.still.get(group)),
      mean(errors.render.get(group)),
      mean(errors.drive.get(group)),
      `${errors.render.get(group)?.length ?? 0}`,
    ]);
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    return {
      id: 'torso-dance',
      title: 'Full-body photo driven by a dance clip (held-out)',
      body: [
        `Machine: ${machineLine()}; load ${load} at the start. Clip \`train-dance/dance_animatex_dance_3.mp4\` (held out; ${frames} frames at 25 fps, ${size.width}×${size.height}); photo = its first frame (avatar with eyes ${MIN_INTER_OCULAR_PX}+ px apart allowed: the dancer's are 22 px), framed whole; driven by the clip's own tracked Controls (\`facecast track --body-every 1\`), the body re-expressed from frame 0's pose (the photo's); and with the body from driveBody (src/body/drive.ts: the clip's per-frame MoveNet keypoints, displacement from frame 0 in its shoulder widths, swap guard, jitter filter; face as tracked). Every MoveNet call is on one image alone (its jitter filter reset). Error: distance between MoveNet keypoints of the rendered and the real frame (joints scored ≥ ${MIN_SCORE} in the photo, both renders and the real frame), mean over frames and the joint pair, in % of the frame height; "still photo": the photo's keypoints against every real frame. Moved: the face, neck and shoulders (torso pass) and the arms (limb pass: upper arm and forearm + hand as rigid segments along the tracked elbows and wrists, the person matte keeping the background still); not rendered: hips and legs. ${seconds} s. Command: \`npm run bench -- torso-dance\`.`,
        '',
        table(
          [
            'joints',
            'moved by the renderer',
            'still photo',
            'rendered (tracked Controls)',
            'rendered (driveBody)',
            'joint-frames',
          ],
          rows,
        ),
      ].join('\n'),
    };
  },
};

async function decode(path: string): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for await (const f of await openVideoFrames(path, { fps: 25, maxSize: 1024 }))
    out.push({ width: f.width, height: f.height, data: f.rgb });
  return out;
}

/**
 * MoveNet on one image alone: the detector's jitter filter (which holds a keypoint that moved
 * less than 0.5 % of the frame since the last call) is reset first, so a rendered frame is not
 * measured with the real frame's points held over, nor the other way round.
 */
async function detectBody(landmarker: FaceLandmarker, image: RgbImage) {
  landmarker.reset();
  return (await landmarker.detect(image, { body: true, face: false })).body;
}

type Errors = Record<'still' | 'render' | 'drive', Map<string, number[]>>;

/**
 * Per joint seen in the photo, both renders and the real frame: the distances to the real
 * one (a frame without a driven render counts for none of the arms).
 */
function addErrors(
  into: Errors,
  bodies: {
    still: DetectedBody | undefined;
    render: DetectedBody | undefined;
    drive: DetectedBody | undefined;
    truth: DetectedBody | undefined;
  },
  height: number,
): void {
  const at = (b: DetectedBody | undefined, name: string) =>
    b?.keypoints.find((k) => k.name === name && k.score >= MIN_SCORE);
  for (const [group, names] of GROUPS) {
    for (const name of names) {
      const q = at(bodies.truth, name);
      const p = at(bodies.still, name);
      const r = at(bodies.render, name);
      const d = at(bodies.drive, name);
      if (!p || !q || !r || !d) continue;
      for (const [arm, k] of [
        ['still', p],
        ['render', r],
        ['drive', d],
      ] as const) {
        const list = into[arm].get(group) ?? [];
        list.push((100 * Math.hypot(k.x - q.x, k.y - q.y)) / height);
        into[arm].set(group, list);
      }
    }
  }
}
