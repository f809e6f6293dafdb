import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT, type BlendshapeName } from '../controls/index.ts';
import { FaceError } from './errors.ts';

/** Vertices of the MediaPipe face mesh (the 468 face landmarks, without the 10 iris points). */
export const FACE_VERTEX_COUNT = 468;
/** Face landmarks as the detector reports them: 468 mesh points, then 5 per iris. */
export const LANDMARK_COUNT = 478;
/** Landmark indices of each iris (centre first, then 4 points on its rim); subject's left/right. */
export const IRIS_LANDMARKS = Object.freeze({
  left: Object.freeze([468, 469, 470, 471, 472]),
  right: Object.freeze([473, 474, 475, 476, 477]),
});

/** Names of the vertex sets shipped in models/face/mesh.json (see docs/stages/face.md). */
export const VERTEX_SET_NAMES = [
  'lipsOuter',
  'lipsInner',
  'lipsUpperOuter',
  'lipsLowerOuter',
  'lipsUpperInner',
  'lipsLowerInner',
  'lipsUpper',
  'lipsLower',
  'lips',
  'leftEye',
  'rightEye',
  'leftEyeUpper',
  'leftEyeLower',
  'rightEyeUpper',
  'rightEyeLower',
  'leftBrow',
  'rightBrow',
  'faceOval',
  'noseBridge',
  'noseLeftAla',
  'noseRightAla',
] as const;
export type VertexSetName = (typeof VERTEX_SET_NAMES)[number];

export const TRIANGLE_SET_NAMES = ['mouthInterior', 'leftEyeInterior', 'rightEyeInterior'] as const;
export type TriangleSetName = (typeof TRIANGLE_SET_NAMES)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** models/face/manifest.json. */
export const faceModelManifestSchema = z.object({
  format: z.literal('facecast.face-model'),
  version: z.literal(1),
  name: z.string(),
  modelVersion: z.string(),
  vertexCount: z.literal(FACE_VERTEX_COUNT),
  triangleCount: z.number().int().positive(),
  units: z.literal('cm'),
  axes: z.string(),
  frontFaceWinding: z.enum(['clockwise', 'counterclockwise']),
  uvConvention: z.string(),
  interOcularCm: z.number().positive(),
  blendshapes: z
    .array(z.string())
    .refine(
      (names) =>
        names.length === BLENDSHAPE_COUNT && names.every((n, i) => n === ARKIT_BLENDSHAPES[i]),
      { message: 'must list the 52 ARKit blendshapes in facecast order' },
    ),
  files: z.object({
    mesh: z.object({ path: z.string(), sha256 }),
    basis: z.object({
      path: z.string(),
      sha256,
      dtype: z.literal('float32-le'),
      shape: z.tuple([z.literal(BLENDSHAPE_COUNT), z.literal(FACE_VERTEX_COUNT), z.literal(3)]),
    }),
    identity: z.object({
      path: z.string(),
      sha256,
      dtype: z.literal('float32-le'),
      shape: z.tuple([z.number().int().min(0), z.literal(FACE_VERTEX_COUNT), z.literal(3)]),
    }),
  }),
  identity: z.object({
    method: z.string(),
    subjects: z.number().int().positive(),
    /** Standard deviation of each component (norm over all 468 × 3 values), cm. */
    stdCm: z.array(z.number().positive()),
    explainedVariance: z.number().min(0).max(1),
  }),
  basis: z.object({
    method: z.enum(['procedural', 'fitted']),
    description: z.string(),
    maxDisplacementCm: z.record(z.string(), z.number()),
  }),
  source: z.object({ mesh: z.string(), changes: z.string(), license: z.string() }),
});
export type FaceModelManifest = z.infer<typeof faceModelManifestSchema>;

const index = z.number().int().min(0);
const meshFileSchema = z.object({
  format: z.literal('facecast.face-mesh'),
  version: z.literal(1),
  vertices: z.array(z.number()).length(FACE_VERTEX_COUNT * 3),
  uvs: z.array(z.number().min(0).max(1)).length(FACE_VERTEX_COUNT * 2),
  triangles: z.array(index.max(FACE_VERTEX_COUNT - 1)),
  sets: z.object(
    Object.fromEntries(
      VERTEX_SET_NAMES.map((n) => [n, z.array(index.max(FACE_VERTEX_COUNT - 1))]),
    ) as Record<VertexSetName, z.ZodArray<typeof index>>,
  ),
  triangleSets: z.object(
    Object.fromEntries(TRIANGLE_SET_NAMES.map((n) => [n, z.array(index)])) as Record<
      TriangleSetName,
      z.ZodArray<typeof index>
    >,
  ),
  fitWeights: z.array(z.number().min(0)).length(FACE_VERTEX_COUNT),
});

/**
 * The face geometry every stage shares: MediaPipe's 468-vertex mesh with facecast's
 * ARKit-52 basis. Coordinates are in the model frame — centimetres, x right (the subject's
 * left), y down, z away from the camera — i.e. the camera frame of a frontal, upright face,
 * so a frontal pose projects with the identity rotation.
 */
export interface FaceModel {
  readonly manifest: FaceModelManifest;
  readonly vertexCount: typeof FACE_VERTEX_COUNT;
  readonly triangleCount: number;
  /** Neutral shape (lips closed), 468 × 3, cm. */
  readonly neutral: Float32Array;
  /** Triangle vertex indices, triangleCount × 3; front faces wind as `manifest.frontFaceWinding` in image coordinates. */
  readonly triangles: Uint32Array;
  /** Texture coordinates, 468 × 2, u right and v down in [0, 1] (MediaPipe's UV layout). */
  readonly uvs: Float32Array;
  /** Blendshape deltas, 52 × 468 × 3 (cm at weight 1), in ARKIT_BLENDSHAPES order. */
  readonly basis: Float32Array;
  readonly blendshapes: readonly BlendshapeName[];
  /** Named vertex index sets (lip and eye contours, lips, brows, face oval…). */
  readonly sets: Readonly<Record<VertexSetName, Uint32Array>>;
  /** Triangle index sets: the triangles covering the mouth opening and each eye opening. */
  readonly triangleSets: Readonly<Record<TriangleSetName, Uint32Array>>;
  /**
   * Identity (face shape) basis, identityCount × 468 × 3 cm, scaled so that coefficients
   * are standard normal: principal components of the measured subject shapes.
   */
  readonly identityBasis: Float32Array;
  readonly identityCount: number;
  /** Per-vertex weights the fitter uses (face outline down-weighted). */
  readonly fitWeights: Float32Array;
  /** Distance between the eye centres of the neutral shape, cm. */
  readonly interOcularCm: number;
}

/** Folder of the face model shipped with facecast (models/face at the repository root). */
export const DEFAULT_FACE_MODEL_DIR = fileURLToPath(new URL('../../models/face/', import.meta.url));

const cache = new Map<string, Promise<FaceModel>>();

/**
 * Loads and verifies models/face (or another folder with the same layout): the manifest is
 * validated with zod and each file's sha256 is checked. Loaded once per folder per process.
 * Throws FaceError FACE_MODEL_INVALID.
 *
 * @example
 * const model = await loadFaceModel();
 * const points = poseVertices(model, model.neutral, weights, pose);
 */
export function loadFaceModel(dir: string = DEFAULT_FACE_MODEL_DIR): Promise<FaceModel> {
  let pending = cache.get(dir);
  if (!pending) {
    pending = readFaceModel(dir);
    cache.set(dir, pending);
    pending.catch(() => cache.delete(dir));
  }
  return pending;
}

async function readFaceModel(dir: string): Promise<FaceModel> {
  const fail = (message: string, cause?: unknown) =>
    new FaceError('FACE_MODEL_INVALID', `face model at ${dir}: ${message}`, { cause });
  let manifest: FaceModelManifest;
  try {
    manifest = faceModelManifestSchema.parse(
      JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')),
    );
  } catch (cause) {
    throw fail('manifest.json is missing or invalid', cause);
  }
  const read = async (file: { path: string; sha256: string }) => {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, file.path));
    } catch (cause) {
      throw fail(`cannot read ${file.path}`, cause);
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== file.sha256)
      throw fail(`${file.path} does not match its sha256 in the manifest`);
    return bytes;
  };
  const [meshBytes, basisBytes, identityBytes] = await Promise.all([
    read(manifest.files.mesh),
    read(manifest.files.basis),
    read(manifest.files.identity),
  ]);
  let mesh: z.infer<typeof meshFileSchema>;
  try {
    mesh = meshFileSchema.parse(JSON.parse(meshBytes.toString('utf8')));
  } catch (cause) {
    throw fail('mesh.json does not match its schema', cause);
  }
  if (mesh.triangles.length !== manifest.triangleCount * 3) {
    throw fail('triangle count differs from the manifest');
  }
  const expected = BLENDSHAPE_COUNT * FACE_VERTEX_COUNT * 3 * 4;
  if (basisBytes.length !== expected)
    throw fail(`basis is ${basisBytes.length} bytes, not ${expected}`);
  const basis = readFloat32(basisBytes);
  const identityCount = manifest.files.identity.shape[0];
  if (identityBytes.length !== identityCount * FACE_VERTEX_COUNT * 3 * 4) {
    throw fail('identity basis size differs from the manifest');
  }
  const identityBasis = readFloat32(identityBytes);
  const toSets = <K extends string>(record: Record<K, number[]>) =>
    Object.freeze(
      Object.fromEntries(
        Object.entries<number[]>(record).map(([k, v]) => [k, Uint32Array.from(v)]),
      ) as Record<K, Uint32Array>,
    );
  return Object.freeze({
    manifest,
    vertexCount: FACE_VERTEX_COUNT,
    triangleCount: manifest.triangleCount,
    neutral: Float32Array.from(mesh.vertices),
    triangles: Uint32Array.from(mesh.triangles),
    uvs: Float32Array.from(mesh.uvs),
    basis,
    blendshapes: ARKIT_BLENDSHAPES,
    sets: toSets(mesh.sets),
    triangleSets: toSets(mesh.triangleSets),
    identityBasis,
    identityCount,
    fitWeights: Float32Array.from(mesh.fitWeights),
    interOcularCm: manifest.interOcularCm,
  });
}

function readFloat32(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
