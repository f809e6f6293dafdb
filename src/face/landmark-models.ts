import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  loadOnnxSession,
  type OnnxRunner,
  type OnnxSession,
  readModelManifest,
} from '../inference/index.ts';
import { DETECTOR_SIZE, type DetectorOutputs } from './blazeface.ts';
import { FaceError } from './errors.ts';
import { IRIS_SIZE, MESH_SIZE, type MeshModels } from './face-mesh.ts';

/** models/face-landmarks in this checkout. */
export const DEFAULT_LANDMARK_MODEL_DIR = fileURLToPath(
  new URL('../../models/face-landmarks/', import.meta.url),
);

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const modelEntry = z.object({ file: z.string(), sha256, bytes: z.number().int().positive() });

/** models/face-landmarks/manifest.json (the parts the runtime relies on). */
export const landmarkManifestSchema = z.object({
  name: z.literal('facecast-face-landmarks'),
  version: z.string(),
  models: z.object({ blazeface: modelEntry, facemesh: modelEntry, iris: modelEntry }),
});

const manifestErrors = {
  missing: (message: string, cause: unknown) =>
    new FaceError('FACE_MODEL_INVALID', message, { cause }),
  invalid: (message: string, cause?: unknown) =>
    new FaceError('FACE_MODEL_INVALID', message, cause === undefined ? undefined : { cause }),
};

/** The three ONNX sessions, shared (see loadOnnxSession); each landmarker gets its own runners. */
export interface LandmarkSessions {
  detector: OnnxSession;
  mesh: OnnxSession;
  iris: OnnxSession;
}

/**
 * Loads the face detector, face mesh and iris models from `dir` (manifest validated, every
 * file's sha256 checked → FACE_MODEL_INVALID) on onnxruntime's CPU provider: they are small
 * and per-frame, where a GPU's transfer costs more than it saves.
 */
export async function loadLandmarkSessions(
  dir: string,
  options: { intraOpThreads?: number; signal?: AbortSignal } = {},
): Promise<LandmarkSessions> {
  const manifest = await readModelManifest(
    join(dir, 'manifest.json'),
    landmarkManifestSchema,
    'face landmark model manifest',
    manifestErrors,
  );
  const open = async (entry: z.infer<typeof modelEntry>) => {
    const path = join(dir, entry.file);
    const bytes = await readFile(path).catch((cause) => {
      throw new FaceError('FACE_MODEL_INVALID', `missing face landmark model ${path}`, { cause });
    });
    if (createHash('sha256').update(bytes).digest('hex') !== entry.sha256)
      throw new FaceError(
        'FACE_MODEL_INVALID',
        `${path} does not match its sha256 in the manifest`,
      );
    return loadOnnxSession(path, {
      executionProviders: ['cpu'],
      intraOpThreads: options.intraOpThreads ?? 1,
      signal: options.signal,
    });
  };
  const { blazeface, facemesh, iris } = manifest.models;
  const sessions = await Promise.allSettled([open(blazeface), open(facemesh), open(iris)]);
  const failed = sessions.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of sessions) if (s.status === 'fulfilled') await s.value.close();
    throw (failed as PromiseRejectedResult).reason;
  }
  const [detector, mesh, irisSession] = sessions.map(
    (s) => (s as PromiseFulfilledResult<OnnxSession>).value,
  ) as [OnnxSession, OnnxSession, OnnxSession];
  return { detector, mesh, iris: irisSession };
}

/** Preallocated runners over the shared sessions: what one landmarker runs on. */
export class LandmarkRunners implements MeshModels {
  readonly #detector: OnnxRunner;
  readonly #mesh: OnnxRunner;
  readonly #iris: OnnxRunner;

  constructor(sessions: LandmarkSessions) {
    const image = (size: number, batch = 1) => ({
      image: { type: 'float32' as const, shape: [batch, size, size, 3] },
    });
    this.#detector = sessions.detector.createRunner({
      inputs: image(DETECTOR_SIZE),
      outputs: {
        scores_16: { type: 'float32', shape: [1, 512, 1] },
        regressors_16: { type: 'float32', shape: [1, 512, 16] },
        scores_8: { type: 'float32', shape: [1, 384, 1] },
        regressors_8: { type: 'float32', shape: [1, 384, 16] },
      },
    });
    this.#mesh = sessions.mesh.createRunner({
      inputs: image(MESH_SIZE),
      outputs: {
        mesh: { type: 'float32', shape: [1, 1404] },
        face_flag: { type: 'float32', shape: [1, 1] },
        contours: { type: 'float32', shape: [1, 266] },
      },
    });
    this.#iris = sessions.iris.createRunner({
      inputs: image(IRIS_SIZE, 2),
      outputs: { eye: { type: 'float32', shape: [2, 1, 1, 228] } },
    });
  }

  get detectorInput(): Float32Array {
    return this.#detector.input('image') as Float32Array;
  }

  get meshInput(): Float32Array {
    return this.#mesh.input('image') as Float32Array;
  }

  get irisInput(): Float32Array {
    return this.#iris.input('image') as Float32Array;
  }

  /** Runs the detector on `detectorInput`; logits and regressors of all 896 anchors, model order. */
  async runDetector(): Promise<DetectorOutputs> {
    await this.#detector.run();
    const out = (name: string) => this.#detector.output(name) as Float32Array;
    const logits = new Float32Array(896);
    logits.set(out('scores_16'));
    logits.set(out('scores_8'), 512);
    const regressors = new Float32Array(896 * 16);
    regressors.set(out('regressors_16'));
    regressors.set(out('regressors_8'), 512 * 16);
    return { logits, regressors };
  }

  async runMesh(): Promise<{ mesh: Float32Array; faceFlag: number }> {
    await this.#mesh.run();
    return {
      mesh: this.#mesh.output('mesh') as Float32Array,
      faceFlag: (this.#mesh.output('face_flag') as Float32Array)[0] as number,
    };
  }

  async runIris(): Promise<Float32Array> {
    await this.#iris.run();
    return this.#iris.output('eye') as Float32Array;
  }
}
