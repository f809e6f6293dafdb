/**
 * Measures the mean face shape in the landmark detector's own space, which becomes the
 * neutral of models/face (see docs/stages/face.md, "why the neutral is measured"):
 *
 *   node --import tsx scripts/face/collect-neutral.ts [--fixtures <dir>] [--out scripts/face/calibration/neutral-landmarks.json]
 *
 * For every subject (each face in photos/, each clip in video/, train-talk/, train-video/):
 * detect the 478 landmarks (every 3rd frame at 25 fps, at most 40 frames per clip), fit the
 * pose of MediaPipe's canonical shape with all blendshape weights at 0, keep near-frontal
 * views (|yaw|, |pitch| < 0.3 rad), bring the landmarks back into the model frame (x, y,
 * and the detector's depth rescaled to cm), take the per-vertex median over the subject's
 * most closed-mouth frames, then the mean over subjects. Writes the mean shape, the mean head pose of the
 * frames used and the list of subjects.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BLENDSHAPE_COUNT } from '../../src/controls/index.ts';
import {
  FaceFitter,
  FaceLandmarker,
  loadFaceModel,
  loadImage,
  rotationMatrix,
} from '../../src/face/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { closeLips } from './geometry.ts';
import { readCanonicalMesh, toModelFrame } from './mesh-source.ts';
import { deriveSets } from './regions.ts';

const { values } = parseArgs({
  options: {
    fixtures: { type: 'string' },
    out: { type: 'string', default: 'scripts/face/calibration/neutral-landmarks.json' },
  },
});
const fixtures = resolve(values.fixtures ?? process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const N = 468;
// Fit against MediaPipe's own canonical shape (lips closed as in build-model), not against
// models/face, so that re-running this script after a rebuild gives the same result.
const model = await loadFaceModel();
const fitter = new FaceFitter(model);
const canonicalOpen = toModelFrame((await readCanonicalMesh(join(fixtures, 'face'))).positions);
const canonical = Float32Array.from(closeLips(canonicalOpen, deriveSets(canonicalOpen), 0.8));
const allFixed = new Map(
  Array.from({ length: BLENDSHAPE_COUNT }, (_, k) => [k, 0] as [number, number]),
);
const landmarker = await FaceLandmarker.load({ body: false });

const poses: { pitch: number; yaw: number; roll: number }[] = [];

/**
 * Landmarks of a near-frontal view → model-frame x, y, z (cm), or undefined. Depth: the
 * detector's z, which is in its own units (proportional to its face crop, not to pixels),
 * mapped onto the fitted model's depth by a least-squares line (r ≈ 0.97–0.99 on the
 * fixture photos), so the shape keeps the person's own depth relief.
 */
function unpose(landmarks: Float32Array): Float64Array | undefined {
  const { pose } = fitter.fit(landmarks, { fixedWeights: allFixed, identity: canonical });
  if (Math.abs(pose.yaw) > 0.3 || Math.abs(pose.pitch) > 0.3) return undefined;
  poses.push({ pitch: pose.pitch, yaw: pose.yaw, roll: pose.roll });
  const r = rotationMatrix(pose.pitch, pose.yaw, pose.roll);
  const modelDepth = new Float64Array(N);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < N; i++) {
    const vx = canonical[i * 3] as number;
    const vy = canonical[i * 3 + 1] as number;
    const vz = canonical[i * 3 + 2] as number;
    modelDepth[i] = (r[6] as number) * vx + (r[7] as number) * vy + (r[8] as number) * vz;
    ma += (modelDepth[i] as number) / N;
    mb += (landmarks[i * 3 + 2] as number) / N;
  }
  let sab = 0;
  let saa = 0;
  for (let i = 0; i < N; i++) {
    sab += ((modelDepth[i] as number) - ma) * ((landmarks[i * 3 + 2] as number) - mb);
    saa += ((modelDepth[i] as number) - ma) ** 2;
  }
  const slope = sab / saa;
  const out = new Float64Array(N * 3);
  for (let i = 0; i < N; i++) {
    // Camera-frame point in cm, then rotated back into the model frame (Rᵀ).
    const cx = ((landmarks[i * 3] as number) - pose.txPx) / pose.pxPerCm;
    const cy = ((landmarks[i * 3 + 1] as number) - pose.tyPx) / pose.pxPerCm;
    const cz = ((landmarks[i * 3 + 2] as number) - mb) / slope + ma;
    for (let a = 0; a < 3; a++) {
      out[i * 3 + a] =
        (r[a] as number) * cx + (r[3 + a] as number) * cy + (r[6 + a] as number) * cz;
    }
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const subjects: { name: string; frames: number; shape: Float64Array }[] = [];
/** Inner-lip gap (landmarks 13–14, model cm) of an unposed shape. */
const lipGap = (s: Float64Array) => (s[14 * 3 + 1] as number) - (s[13 * 3 + 1] as number);
/**
 * A subject's shape: the per-vertex median over its most closed-mouth frames (gap at or
 * below the subject's 30th percentile), so that speech does not leak into the neutral.
 */
const addSubject = (name: string, shapes: Float64Array[]) => {
  if (shapes.length === 0) {
    console.error(`  ${name}: no frontal frames, skipped`);
    return;
  }
  const gaps = shapes.map(lipGap).sort((a, b) => a - b);
  const limit = gaps[Math.floor(0.3 * (gaps.length - 1))] as number;
  const closed = shapes.filter((s) => lipGap(s) <= limit);
  const shape = new Float64Array(N * 3);
  for (let j = 0; j < N * 3; j++) shape[j] = median(closed.map((s) => s[j] as number));
  subjects.push({ name, frames: closed.length, shape });
  console.error(`  ${name}: ${closed.length} of ${shapes.length} frames`);
};

const photosDir = join(fixtures, 'photos');
for (const file of (await readdir(photosDir)).sort()) {
  const image = await loadImage(join(photosDir, file));
  const { faces } = await landmarker.detect(image);
  faces.forEach((face, k) => {
    const shape = unpose(face.landmarks);
    addSubject(faces.length > 1 ? `photos/${file}#${k}` : `photos/${file}`, shape ? [shape] : []);
  });
}
for (const folder of ['video', 'train-talk', 'train-video']) {
  const dir = join(fixtures, folder);
  for (const file of (await readdir(dir))
    .filter((f) => /\.(mp4|mpg|mov|mkv|webm)$/.test(f))
    .sort()) {
    const shapes: Float64Array[] = [];
    const video = await openVideoFrames(join(dir, file), { fps: 25, maxSize: 640 });
    for await (const frame of video) {
      if (frame.frameIndex % 3 !== 0) continue;
      const { faces } = await landmarker.detect({
        width: frame.width,
        height: frame.height,
        data: frame.rgb,
      });
      const face = faces[0];
      const shape = face && unpose(face.landmarks);
      if (shape) shapes.push(shape);
      if (shapes.length >= 40) break;
    }
    addSubject(`${folder}/${file}`, shapes);
  }
}
await landmarker.close();

const mean = new Float64Array(N * 3);
for (const s of subjects)
  for (let j = 0; j < N * 3; j++)
    mean[j] = (mean[j] as number) + (s.shape[j] as number) / subjects.length;
const out = resolve(values.out as string);
await mkdir(dirname(out), { recursive: true });
// Every subject's shape, float32 little-endian, subjects × 468 × 3 (for the identity basis).
const shapesFile = out.replace(/\.json$/, '') + '-shapes.f32';
const all = new Float32Array(subjects.length * N * 3);
subjects.forEach((s, k) => {
  all.set(s.shape, k * N * 3);
});
await writeFile(shapesFile, new Uint8Array(all.buffer));
await writeFile(
  out,
  `${JSON.stringify(
    {
      description:
        "Mean over subjects of the per-subject median landmark shape (model frame x, y, z in cm, relative to MediaPipe's canonical orientation; median over each subject's most closed-mouth frames), and the mean head pose of the frames used, measured by scripts/face/collect-neutral.ts with @vladmandic/human 3.3.6 facemesh on the shared fixtures. Per-subject shapes: the -shapes.f32 file next to this one (subjects × 468 × 3 float32 LE, same order).",
      shapesFile: basename(shapesFile),
      subjects: subjects.map((s) => ({ name: s.name, frames: s.frames })),
      meanPose: {
        pitch: Number((poses.reduce((s, p) => s + p.pitch, 0) / poses.length).toFixed(5)),
        yaw: Number((poses.reduce((s, p) => s + p.yaw, 0) / poses.length).toFixed(5)),
        roll: Number((poses.reduce((s, p) => s + p.roll, 0) / poses.length).toFixed(5)),
      },
      meanXyz: Array.from(mean, (v) => Number(v.toFixed(5))),
    },
    null,
    1,
  )}\n`,
);
console.error(`wrote ${out}: ${subjects.length} subjects`);
