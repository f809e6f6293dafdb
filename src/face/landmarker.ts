import { throwIfAborted } from '../core/index.ts';
import { BodyDetector, type DetectedBody } from './body.ts';
import { FaceError } from './errors.ts';
import { FaceFinder, type FaceSource } from './face-finder.ts';
import { DEFAULT_LANDMARK_MODEL_DIR } from './landmark-models.ts';
import { LandmarkThread } from './landmark-thread.ts';
import type { PixelBox } from './profile.ts';

export type { DetectedBody } from './body.ts';

/** An 8-bit RGB image, rows top to bottom, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes (rgb24). */
  data: Uint8Array;
}

/** One face the detector found. */
export interface DetectedFace {
  box: PixelBox;
  /** The face mesh's confidence that its crop holds a face, in [0, 1]. */
  score: number;
  /** 478 × (x_px, y_px, z): 468 mesh points then 5 per iris (left 468–472, right 473–477). */
  landmarks: Float32Array;
}

/** Per-call options of {@link FaceLandmarker.detect}. */
export interface DetectOptions {
  /** Run the body model on this call (default: as loaded). The body model costs about as much as the face models. */
  body?: boolean;
  /** Run the face models on this call (default true); false for body-only tracking. */
  face?: boolean;
  signal?: AbortSignal;
}

export interface Detection {
  /** Largest first. */
  faces: DetectedFace[];
  body: DetectedBody | undefined;
}

/** Options for {@link FaceLandmarker.load}. Defaults in {@link LANDMARKER_DEFAULTS}. */
export interface LandmarkerOptions {
  /** Most faces reported per image. Default 5. */
  maxFaces?: number;
  /** Face detector and face-mesh confidence threshold in [0, 1]. Default 0.5. */
  minFaceScore?: number;
  /** Also run the body keypoint model (MoveNet Lightning on onnxruntime, models/movenet). Default true. */
  body?: boolean;
  /**
   * Video mode: each face is tracked — the next frame's face crop comes from this frame's
   * landmarks — and the face detector runs only on the first frame, when a face is lost, on a
   * cut, and every `detectEvery` frames (to find new faces). Photo mode detects afresh every
   * call. Default false.
   */
  video?: boolean;
  /** Video mode: run the face detector at least every this many frames. Default 10. */
  detectEvery?: number;
  /** Video mode: a cut is a mean grey-level change of the 16×16 thumbnail above this (0–255). Default 28. */
  cutThreshold?: number;
  /** Video mode: the next crop's side over the landmarks' extent (MediaPipe: 1.5). Default 1.5. */
  trackScale?: number;
  /**
   * Run the iris model (eye contours refined, 5 iris points per eye: gaze). It costs more than
   * the face mesh; without it the eye contours are the mesh's and the 10 iris points NaN (no
   * gaze: eyeLook weights 0). Default true.
   */
  iris?: boolean;
  /** Folder of the ONNX face models. Default: models/face-landmarks of this checkout. */
  modelDir?: string;
  /** onnxruntime threads per model run. Default 1 (frames decode and fit in parallel with it). */
  threads?: number;
  /**
   * Run the face models on a worker thread of their own (onnxruntime runs a model on the
   * thread that calls it): a video's landmarks then overlap the caller's fitting, decoding
   * and body model. Costs a thread start (~0.3 s) at load and a copy of each image. Default false.
   */
  thread?: boolean;
  signal?: AbortSignal;
}

export const LANDMARKER_DEFAULTS = Object.freeze({
  maxFaces: 5,
  minFaceScore: 0.5,
  body: true,
  video: false,
  detectEvery: 10,
  cutThreshold: 28,
  trackScale: 1.5,
  threads: 1,
  thread: false,
  iris: true,
});

type Settings = Required<Omit<LandmarkerOptions, 'signal' | 'modelDir'>>;

/** Counters since load: how often each model ran. */
export interface LandmarkerStats {
  frames: number;
  detectorRuns: number;
  meshRuns: number;
  cuts: number;
  lost: number;
}

/**
 * Face box, 478 landmarks (468 mesh + iris) and body keypoints. The face models (MediaPipe's
 * BlazeFace, Face Mesh and Iris, converted to ONNX in models/face-landmarks) run on
 * onnxruntime through src/inference — on the calling thread, or with `thread: true` on a
 * worker thread of their own; body keypoints come from MoveNet Lightning (models/movenet, with
 * Human's pre- and post-processing) on onnxruntime, on the calling thread. Load once, reuse, `close()` to release. Calls are answered in order; in
 * video mode it keeps its faces' crops between calls, so use one landmarker per video (or
 * `reset()`).
 *
 * @example
 * const landmarker = await FaceLandmarker.load();
 * const { faces } = await landmarker.detect(image);
 * await landmarker.close();
 */
export class FaceLandmarker {
  readonly #faces: FaceSource;
  readonly #o: Settings;
  #body: Promise<BodyDetector> | undefined;
  #bodyQueue: Promise<unknown> = Promise.resolve();
  #pending = new Set<Promise<unknown>>();
  #closed = false;

  private constructor(faces: FaceSource, o: Settings, body: BodyDetector | undefined) {
    this.#faces = faces;
    this.#o = o;
    this.#body = body ? Promise.resolve(body) : undefined;
  }

  static async load(options: LandmarkerOptions = {}): Promise<FaceLandmarker> {
    const { signal, modelDir, ...rest } = options;
    const o = { ...LANDMARKER_DEFAULTS, ...rest };
    throwIfAborted(signal);
    const dir = modelDir ?? DEFAULT_LANDMARK_MODEL_DIR;
    // both at once: a landmark thread loads its models while the body model loads here
    const [faces, body] = await Promise.allSettled([
      o.thread ? LandmarkThread.start(dir, o, signal) : FaceFinder.load(dir, o, signal),
      o.body ? BodyDetector.load() : Promise.resolve(undefined),
    ]);
    const failed = [faces, body].find((r) => r.status === 'rejected');
    if (failed || signal?.aborted) {
      if (faces.status === 'fulfilled') await faces.value.close();
      if (body.status === 'fulfilled') await body.value?.close();
      if (failed) throw (failed as PromiseRejectedResult).reason;
      throwIfAborted(signal);
    }
    return new FaceLandmarker(
      (faces as PromiseFulfilledResult<FaceSource>).value,
      o,
      (body as PromiseFulfilledResult<BodyDetector | undefined>).value,
    );
  }

  /**
   * Detects faces (largest first) and the body in an RGB image. Calls are answered in order.
   * With `thread: true` the image is copied before this returns; otherwise it is read while
   * the call runs (leave it unchanged until the promise settles).
   */
  detect(image: RgbImage, options: DetectOptions = {}): Promise<Detection> {
    if (this.#closed) {
      return Promise.reject(new FaceError('LANDMARKER_FAILED', 'landmarker is closed'));
    }
    const run = this.#detect(image, options);
    const settled = run.catch(() => undefined);
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return run;
  }

  /** Video mode: forget the tracked faces and the held body keypoints (the next call detects afresh). */
  reset(): void {
    this.#faces.reset();
    const body = this.#body;
    if (!body) return;
    // after the body calls already queued
    this.#bodyQueue = this.#bodyQueue.then(async () => (await body).reset());
  }

  toJSON(): LandmarkerStats {
    return this.#faces.stats();
  }

  async #detect(image: RgbImage, options: DetectOptions): Promise<Detection> {
    throwIfAborted(options.signal);
    const { width, height, data } = image;
    if (data.length !== width * height * 3)
      throw new RangeError('image data is not width × height × 3 bytes');
    const withBody = options.body ?? this.#o.body;
    // faces first: on a thread of their own they run while the body model (on this thread)
    // runs
    const faces = options.face === false ? Promise.resolve([]) : this.#faces.faces(image);
    faces.catch(() => undefined);
    const body = withBody ? this.#detectBody(image, options.signal) : undefined;
    try {
      return { faces: await faces, body: await body };
    } catch (cause) {
      await body?.catch(() => undefined);
      if (cause instanceof FaceError) throw cause;
      throw new FaceError(
        'LANDMARKER_FAILED',
        `face detection failed: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  /** The body model, one call at a time, in order. */
  #detectBody(image: RgbImage, signal: AbortSignal | undefined): Promise<DetectedBody | undefined> {
    const run = this.#bodyQueue.then(async () => {
      this.#body ??= BodyDetector.load();
      return (await this.#body).detect(image, signal);
    });
    this.#bodyQueue = run.catch(() => undefined);
    return run;
  }

  /** Releases the face models and the body model (shared sessions when their last user closes). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#pending);
    await this.#faces.close();
    const body = await this.#body?.catch(() => undefined);
    await body?.close();
  }
}
