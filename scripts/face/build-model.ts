/**
 * Builds models/face from MediaPipe's canonical face mesh (fixture files, Apache-2.0):
 *
 *   node --import tsx scripts/face/build-model.ts [--fixtures <dir>] [--out models/face]
 *
 * `--fixtures` defaults to $FACECAST_FIXTURES, else ../shared/fixtures; `--neutral` is the
 * measured mean landmark shape and per-subject shapes (scripts/face/collect-neutral.ts).
 * Writes manifest.json, mesh.json, basis.f32, identity.f32 and the mesh's licence files. Deterministic: the same
 * inputs give byte-identical outputs (sha256 in the manifest).
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ARKIT_BLENDSHAPES } from '../../src/controls/index.ts';
import { rotationMatrix } from '../../src/face/index.ts';
import { buildBasis } from './basis.ts';
import { closeLips } from './geometry.ts';
import { readCanonicalMesh } from './mesh-source.ts';
import { principalComponents } from './pca.ts';
import { deriveSets, FACE_OVAL } from './regions.ts';

const { values } = parseArgs({
  options: {
    fixtures: { type: 'string' },
    out: { type: 'string', default: 'models/face' },
    neutral: { type: 'string', default: 'scripts/face/calibration/neutral-landmarks.json' },
  },
});
const fixtures = resolve(values.fixtures ?? process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const outDir = resolve(values.out as string);
const VERTICES = 468;

const mesh = await readCanonicalMesh(join(fixtures, 'face'));

// The neutral is the mean landmark shape measured by collect-neutral.ts (the detector's own
// idea of a face: eyes more open, brows lower, chin shorter than MediaPipe's generic head),
// turned by the mean head pose of the frames measured, so that the average person talking to
// a camera is at pitch = yaw = roll = 0. Then the lips are closed to a 1 mm gap.
const neutralFile = resolve(values.neutral as string);
const measured = JSON.parse(await readFile(neutralFile, 'utf8')) as {
  subjects: unknown[];
  shapesFile: string;
  meanPose: { pitch: number; yaw: number; roll: number };
  meanXyz: number[];
};
if (measured.meanXyz.length !== VERTICES * 3)
  throw new Error(`${neutralFile}: expected ${VERTICES * 3} values`);
const turn = rotationMatrix(measured.meanPose.pitch, measured.meanPose.yaw, measured.meanPose.roll);
const turned = (shape: ArrayLike<number>): Float64Array => {
  const out = new Float64Array(VERTICES * 3);
  for (let i = 0; i < VERTICES; i++) {
    for (let a = 0; a < 3; a++) {
      let sum = 0;
      for (let b = 0; b < 3; b++) sum += (turn[a * 3 + b] as number) * (shape[i * 3 + b] as number);
      out[i * 3 + a] = sum;
    }
  }
  return out;
};
const open = turned(measured.meanXyz);

// Identity basis: principal components of the subjects' shapes (turned the same way),
// scaled by their standard deviation so a coefficient of 1 is one standard deviation.
const shapeBytes = await readFile(join(dirname(neutralFile), measured.shapesFile));
const shapeData = new Float32Array(
  shapeBytes.buffer,
  shapeBytes.byteOffset,
  shapeBytes.byteLength / 4,
);
const subjectShapes: Float64Array[] = [];
for (let k = 0; k < measured.subjects.length; k++) {
  subjectShapes.push(turned(shapeData.subarray(k * VERTICES * 3, (k + 1) * VERTICES * 3)));
}
const IDENTITY_COMPONENTS = 10;
const pca = principalComponents(subjectShapes, IDENTITY_COMPONENTS);
const identity = new Float32Array(pca.vectors.length * VERTICES * 3);
pca.vectors.forEach((u, j) => {
  for (let d = 0; d < VERTICES * 3; d++)
    identity[j * VERTICES * 3 + d] = (u[d] as number) * (pca.std[j] as number);
});
const identityBytes = Buffer.from(identity.buffer, identity.byteOffset, identity.byteLength);
const gapCm = (open[14 * 3 + 1] as number) - (open[13 * 3 + 1] as number);
const LIP_GAP_CM = 0.1;
const lipClosing = gapCm > LIP_GAP_CM ? 1 - LIP_GAP_CM / gapCm : 0;
const neutral = closeLips(open, deriveSets(open), lipClosing);
const sets = deriveSets(neutral);
const basis = buildBasis({ neutral, sets });
// Gaussian fall-offs never reach exactly 0; cut deltas below 5 µm so each vertex is moved by
// few shapes (7 on average instead of 20), which keeps the fitter's normal equations sparse.
const BASIS_CUTOFF_CM = 5e-4;
for (let o = 0; o < basis.length; o += 3) {
  if (
    Math.hypot(basis[o] as number, basis[o + 1] as number, basis[o + 2] as number) < BASIS_CUTOFF_CM
  ) {
    basis[o] = 0;
    basis[o + 1] = 0;
    basis[o + 2] = 0;
  }
}

const eyeCentre = (ids: number[]) =>
  [0, 1, 2].map((a) => ids.reduce((s, i) => s + (neutral[i * 3 + a] as number), 0) / ids.length);
const [lx, ly, lz] = eyeCentre(sets.leftEye) as [number, number, number];
const [rx, ry, rz] = eyeCentre(sets.rightEye) as [number, number, number];
const interOcularCm = Math.hypot(lx - rx, ly - ry, lz - rz);

// Winding of front-facing triangles in image coordinates (x right, y down).
let clockwise = 0;
for (let t = 0; t < mesh.triangles.length / 3; t++) {
  const [a, b, c] = [0, 1, 2].map((k) => mesh.triangles[t * 3 + k] as number) as [
    number,
    number,
    number,
  ];
  const ax = neutral[a * 3] as number;
  const ay = neutral[a * 3 + 1] as number;
  const cross =
    ((neutral[b * 3] as number) - ax) * ((neutral[c * 3 + 1] as number) - ay) -
    ((neutral[b * 3 + 1] as number) - ay) * ((neutral[c * 3] as number) - ax);
  const facesCamera = (neutral[a * 3 + 2] as number) < 0;
  if (facesCamera) clockwise += cross > 0 ? 1 : -1;
}
const frontFaceWinding = clockwise > 0 ? 'clockwise' : 'counterclockwise';

// Triangles that close the mouth and the eyes (the canonical mesh covers both openings).
const interior = (ring: number[]) => {
  const inRing = new Set(ring);
  const out: number[] = [];
  for (let t = 0; t < mesh.triangles.length / 3; t++) {
    if ([0, 1, 2].every((k) => inRing.has(mesh.triangles[t * 3 + k] as number))) out.push(t);
  }
  return out;
};

// Per-vertex weights for fitting: the face outline slides along the silhouette as the head
// turns, so it counts a quarter.
const fitWeights = new Array<number>(VERTICES).fill(1);
for (const i of FACE_OVAL) fitWeights[i] = 0.25;

const round = (v: number, digits = 6) => Number(v.toFixed(digits));
const meshJson = {
  format: 'facecast.face-mesh',
  version: 1,
  vertices: Array.from(neutral, (v) => round(v)),
  uvs: Array.from(mesh.uvs, (v) => round(v)),
  triangles: Array.from(mesh.triangles),
  sets,
  triangleSets: {
    mouthInterior: interior(sets.lipsInner),
    leftEyeInterior: interior(sets.leftEye),
    rightEyeInterior: interior(sets.rightEye),
  },
  fitWeights,
};
const meshBytes = Buffer.from(`${JSON.stringify(meshJson)}\n`);
const basisF32 = Float32Array.from(basis);
const basisBytes = Buffer.from(basisF32.buffer, basisF32.byteOffset, basisF32.byteLength);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const magnitudes = Object.fromEntries(
  ARKIT_BLENDSHAPES.map((name, k) => {
    let max = 0;
    for (let i = 0; i < VERTICES; i++) {
      const o = (k * VERTICES + i) * 3;
      max = Math.max(
        max,
        Math.hypot(basis[o] as number, basis[o + 1] as number, basis[o + 2] as number),
      );
    }
    return [name, round(max, 3)];
  }),
);

const manifest = {
  format: 'facecast.face-model',
  version: 1,
  name: 'facecast-face',
  modelVersion: '1.0.0',
  vertexCount: VERTICES,
  triangleCount: mesh.triangles.length / 3,
  units: 'cm',
  axes: 'x right (the subject’s left), y down, z away from the camera: the camera frame of a frontal, upright face',
  frontFaceWinding,
  uvConvention:
    'u right, v down, both in [0, 1] (pixel = uv × texture size), MediaPipe pbtxt order',
  interOcularCm: round(interOcularCm, 4),
  blendshapes: ARKIT_BLENDSHAPES,
  files: {
    mesh: { path: 'mesh.json', sha256: sha256(meshBytes) },
    basis: {
      path: 'basis.f32',
      sha256: sha256(basisBytes),
      dtype: 'float32-le',
      shape: [ARKIT_BLENDSHAPES.length, VERTICES, 3],
    },
    identity: {
      path: 'identity.f32',
      sha256: sha256(identityBytes),
      dtype: 'float32-le',
      shape: [pca.vectors.length, VERTICES, 3],
    },
  },
  identity: {
    method:
      'principal components of the per-subject median landmark shapes measured by scripts/face/collect-neutral.ts, each scaled by its standard deviation',
    subjects: measured.subjects.length,
    stdCm: pca.std.map((v) => round(v, 5)),
    explainedVariance: round(
      pca.share.reduce((a, b) => a + b, 0),
      4,
    ),
  },
  basis: {
    method: 'procedural',
    description:
      'Region-based displacement fields on the neutral mesh (scripts/face/basis.ts): jaw rotation about the TMJ, lid contours meeting, mouth corners moved along anatomical directions, Gaussian fall-off into the skin.',
    maxDisplacementCm: magnitudes,
  },
  source: {
    mesh: 'google/mediapipe @ 9d8807788567c01dbd998c0a3d0f730b9686912d: mediapipe/modules/face_geometry/data/geometry_pipeline_metadata_landmarks.pbtxt (positions, UVs, triangles), cross-checked against canonical_face_model.obj',
    changes: `axes turned to x right, y down, z away; neutral positions replaced by the mean detector landmark shape of ${measured.subjects.length} subjects (scripts/face/calibration/neutral-landmarks.json) turned to their mean head pose, lips then closed to a ${LIP_GAP_CM * 10} mm gap; blendshape basis, vertex sets and fit weights added by facecast`,
    license: 'Apache-2.0 (see LICENSE-mediapipe.txt and NOTICE)',
  },
};

await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'mesh.json'), meshBytes);
await writeFile(join(outDir, 'basis.f32'), basisBytes);
await writeFile(join(outDir, 'identity.f32'), identityBytes);
await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const require = createRequire(import.meta.url);
// The Apache-2.0 text as shipped by a package on disk (no network here); TypeScript's
// LICENSE.txt is the unmodified Apache License 2.0.
await copyFile(require.resolve('typescript/LICENSE.txt'), join(outDir, 'LICENSE-mediapipe.txt'));
await writeFile(
  join(outDir, 'NOTICE'),
  `facecast face model (models/face)

The mesh (vertex positions, triangles, UV coordinates) is derived from MediaPipe's canonical
face model, Copyright 2020 The MediaPipe Authors, licensed under the Apache License, Version
2.0 (LICENSE-mediapipe.txt): google/mediapipe, mediapipe/modules/face_geometry/data/
geometry_pipeline_metadata_landmarks.pbtxt and canonical_face_model.obj.

Changes made by facecast: coordinates turned to x right, y down, z away from the camera;
the lips of the neutral shape closed; the ARKit-52 blendshape basis (basis.f32), the named
vertex sets and the fitting weights (mesh.json) and an identity basis (identity.f32,
measured from detector landmarks of the fixture subjects) were added. They are generated by
scripts/face/build-model.ts.
`,
);
console.log(
  `wrote ${outDir}: ${VERTICES} vertices, ${manifest.triangleCount} triangles, basis ${basisBytes.length} bytes, IOD ${interOcularCm.toFixed(3)} cm, front faces ${frontFaceWinding}`,
);
