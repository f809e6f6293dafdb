import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { throwIfAborted } from '../core/index.ts';
import {
  loadOnnxSession,
  type OnnxRunner,
  type OnnxSession,
  readModelManifest,
} from '../inference/index.ts';
import { FaceError } from './errors.ts';
import type { RgbImage } from './landmarker.ts';
import {
  decodeMoveNet,
  JitterFilter,
  MOVENET_SIZE,
  moveNetInput,
  toBodyKeypoints,
} from './movenet.ts';
import type { BodyKeypoint } from './profile.ts';

/**
 * Body keypoints: Google's MoveNet SinglePose Lightning (17 COCO points), converted to ONNX
 * from the tfjs model inside @vladmandic/human (models/movenet, scripts/face/build_movenet_model.py),
 * run on onnxruntime's CPU provider with Human's pre- and post-processing (movenet.ts), so
 * the keypoints are Human's (parity: test/face/movenet.test.ts).
 */

export interface DetectedBody {
  score: number;
  /** The MoveNet keypoints with a score above 0 (each name once), in BODY_KEYPOINT_NAMES order. */
  keypoints: BodyKeypoint[];
}

/** models/movenet in this checkout. */
export const DEFAULT_MOVENET_DIR = fileURLToPath(new URL('../../models/movenet/', import.meta.url));

const movenetManifestSchema = z.object({
  name: z.literal('facecast-movenet'),
  version: z.string(),
  models: z.object({
    movenet: z.object({
      file: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      bytes: z.number().int().positive(),
    }),
  }),
});

const manifestErrors = {
  missing: (message: string, cause: unknown) =>
    new FaceError('FACE_MODEL_INVALID', message, { cause }),
  invalid: (message: string, cause?: unknown) =>
    new FaceError('FACE_MODEL_INVALID', message, cause === undefined ? undefined : { cause }),
};

/** Loads models/movenet (manifest validated, sha256 checked → FACE_MODEL_INVALID). */
async function loadMoveNetSession(dir: string, signal?: AbortSignal): Promise<OnnxSession> {
  const manifest = await readModelManifest(
    join(dir, 'manifest.json'),
    movenetManifestSchema,
    'body keypoint model manifest',
    manifestErrors,
  );
  const entry = manifest.models.movenet;
  const path = join(dir, entry.file);
  const bytes = await readFile(path).catch((cause) => {
    throw new FaceError('FACE_MODEL_INVALID', `missing body keypoint model ${path}`, { cause });
  });
  if (createHash('sha256').update(bytes).digest('hex') !== entry.sha256)
    throw new FaceError('FACE_MODEL_INVALID', `${path} does not match its sha256 in the manifest`);
  return loadOnnxSession(path, { executionProviders: ['cpu'], intraOpThreads: 1, signal });
}

/**
 * One body stream: calls run one at a time, in order, and share the jitter filter (a
 * keypoint is held while it moves less than 0.5 % of the frame), so use one detector per
 * video, or `reset()`.
 */
export class BodyDetector {
  readonly #session: OnnxSession;
  readonly #runner: OnnxRunner;
  readonly #jitter = new JitterFilter();
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(session: OnnxSession) {
    this.#session = session;
    this.#runner = session.createRunner({
      inputs: { image: { type: 'int32', shape: [1, MOVENET_SIZE, MOVENET_SIZE, 3] } },
      outputs: { keypoints: { type: 'float32', shape: [1, 1, 17, 3] } },
    });
  }

  static async load(
    options: { modelDir?: string; signal?: AbortSignal } = {},
  ): Promise<BodyDetector> {
    try {
      return new BodyDetector(
        await loadMoveNetSession(options.modelDir ?? DEFAULT_MOVENET_DIR, options.signal),
      );
    } catch (cause) {
      if (cause instanceof FaceError) throw cause;
      throwIfAborted(options.signal);
      throw new FaceError(
        'LANDMARKER_FAILED',
        `could not load the body keypoint model: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** The body in the image (as Human reports it: always one, possibly without keypoints). */
  detect(image: RgbImage, signal?: AbortSignal): Promise<DetectedBody | undefined> {
    if (this.#closed)
      return Promise.reject(new FaceError('LANDMARKER_FAILED', 'body detector is closed'));
    const run = this.#queue.then(() => this.#detect(image, signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Forgets the held keypoints (a new video). */
  reset(): void {
    this.#jitter.reset();
  }

  async #detect(image: RgbImage, signal: AbortSignal | undefined) {
    throwIfAborted(signal);
    moveNetInput(image, this.#runner.input('image') as Int32Array);
    try {
      await this.#runner.run({ signal });
    } catch (cause) {
      throwIfAborted(signal);
      throw new FaceError(
        'LANDMARKER_FAILED',
        `body detection failed: ${(cause as Error).message}`,
        { cause },
      );
    }
    const output = this.#runner.output('keypoints') as Float32Array;
    const { score, points } = decodeMoveNet(output, image.width, image.height);
    return { score, keypoints: toBodyKeypoints(this.#jitter.apply(points)) };
  }

  /** Waits for the calls in flight and releases the model. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await this.#session.close();
  }
}
