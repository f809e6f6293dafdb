import { throwIfAborted } from '../core/index.ts';
import { thumbnail, thumbnailDistance } from '../media/index.ts';
import { DETECTOR_SIZE, decodeDetections, detectorAnchors } from './blazeface.ts';
import { BodyDetector, type DetectedBody } from './body.ts';
import { resizeGrid, sampleRgb } from './crop.ts';
import { FaceError } from './errors.ts';
import { type FaceRoi, runFaceMesh } from './face-mesh.ts';
import {
  DEFAULT_LANDMARK_MODEL_DIR,
  LandmarkRunners,
  type LandmarkSessions,
  loadLandmarkSessions,
} from './landmark-models.ts';
import { FACE_VERTEX_COUNT } from './model.ts';
import type { PixelBox } from './profile.ts';
import { roiFromDetection, roiFromLandmarks, roiOverlap } from './roi.ts';

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
  /** Also run the body keypoint model (MoveNet Lightning, via Human on tfjs-wasm). Default true. */
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
  /** Folder of the ONNX face models. Default: models/face-landmarks of this checkout. */
  modelDir?: string;
  /** onnxruntime threads per model run. Default 1 (frames decode and fit in parallel with it). */
  threads?: number;
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
 * onnxruntime through src/inference; body keypoints come from Human's MoveNet on tfjs-wasm.
 * Load once, reuse, `close()` to release. Calls on one landmarker are serialised; in video
 * mode it keeps its faces' crops between calls, so use one landmarker per video (or `reset()`).
 *
 * @example
 * const landmarker = await FaceLandmarker.load();
 * const { faces } = await landmarker.detect(image);
 * await landmarker.close();
 */
export class FaceLandmarker {
  readonly #sessions: LandmarkSessions;
  readonly #runners: LandmarkRunners;
  readonly #o: Settings;
  readonly #anchors = detectorAnchors();
  #body: Promise<BodyDetector> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #tracks: FaceRoi[] = [];
  #sinceDetect = Number.POSITIVE_INFINITY;
  #thumb: Float32Array = new Float32Array(256);
  #previousThumb: Float32Array | undefined = undefined;
  readonly #stats: LandmarkerStats = { frames: 0, detectorRuns: 0, meshRuns: 0, cuts: 0, lost: 0 };

  private constructor(sessions: LandmarkSessions, o: Settings, body: BodyDetector | undefined) {
    this.#sessions = sessions;
    this.#runners = new LandmarkRunners(sessions);
    this.#o = o;
    this.#body = body ? Promise.resolve(body) : undefined;
  }

  static async load(options: LandmarkerOptions = {}): Promise<FaceLandmarker> {
    const { signal, modelDir, ...rest } = options;
    const o = { ...LANDMARKER_DEFAULTS, ...rest };
    throwIfAborted(signal);
    let sessions: LandmarkSessions;
    try {
      sessions = await loadLandmarkSessions(modelDir ?? DEFAULT_LANDMARK_MODEL_DIR, {
        intraOpThreads: o.threads,
        signal,
      });
    } catch (cause) {
      if (cause instanceof FaceError) throw cause;
      throw new FaceError(
        'LANDMARKER_FAILED',
        `could not load the face landmark models: ${(cause as Error).message}`,
        { cause },
      );
    }
    let body: BodyDetector | undefined;
    try {
      if (o.body) body = await BodyDetector.load();
      throwIfAborted(signal);
    } catch (error) {
      await body?.close();
      await closeSessions(sessions);
      throw error;
    }
    return new FaceLandmarker(sessions, o, body);
  }

  /** Detects faces (largest first) and the body in an RGB image. Calls are serialised. */
  detect(image: RgbImage, options: DetectOptions = {}): Promise<Detection> {
    if (this.#closed) {
      return Promise.reject(new FaceError('LANDMARKER_FAILED', 'landmarker is closed'));
    }
    const run = this.#queue.then(() => this.#detect(image, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Video mode: forget the tracked faces (the next call detects afresh). */
  reset(): void {
    this.#tracks = [];
    this.#previousThumb = undefined;
  }

  toJSON(): LandmarkerStats {
    return { ...this.#stats };
  }

  async #detect(image: RgbImage, options: DetectOptions): Promise<Detection> {
    throwIfAborted(options.signal);
    const { width, height, data } = image;
    if (data.length !== width * height * 3)
      throw new RangeError('image data is not width × height × 3 bytes');
    const withBody = options.body ?? this.#o.body;
    // faces first: their models run on onnxruntime's thread while the body model (tfjs-wasm,
    // on this thread) runs
    const faces = options.face === false ? Promise.resolve([]) : this.#faces(image);
    const body = withBody ? this.#detectBody(image, options.signal) : undefined;
    faces.catch(() => undefined);
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

  async #detectBody(image: RgbImage, signal: AbortSignal | undefined) {
    this.#body ??= BodyDetector.load();
    return (await this.#body).detect(image, signal);
  }

  async #faces(image: RgbImage): Promise<DetectedFace[]> {
    this.#stats.frames++;
    if (!this.#o.video) return this.#landmarks(image, await this.#detectRois(image));
    this.#noticeCut(image);
    let detected = false;
    let rois = this.#tracks;
    if (rois.length === 0 || this.#sinceDetect >= this.#o.detectEvery) {
      rois = mergeRois(rois, await this.#detectRois(image));
      detected = true;
    }
    let faces = await this.#landmarks(image, rois);
    this.#stats.lost += rois.length - faces.length;
    if (faces.length < rois.length && !detected) {
      // a face was lost: look for it (or another) on this same frame
      const fresh = mergeRois(this.#rois(faces), await this.#detectRois(image)).slice(faces.length);
      faces = largestFirst([...faces, ...(await this.#landmarks(image, fresh))], this.#o.maxFaces);
    }
    this.#tracks = this.#rois(faces);
    return faces;
  }

  #noticeCut(image: RgbImage): void {
    const thumb = thumbnail(image.data, image.width, image.height, this.#thumb);
    if (
      this.#previousThumb &&
      thumbnailDistance(thumb, this.#previousThumb) > this.#o.cutThreshold
    ) {
      this.#tracks = [];
      this.#stats.cuts++;
    }
    this.#thumb = this.#previousThumb ?? new Float32Array(thumb.length);
    this.#previousThumb = thumb;
  }

  /** The next frame's crops from these faces' landmarks. */
  #rois(faces: DetectedFace[]): FaceRoi[] {
    return faces.map((f) => roiFromLandmarks(f.landmarks, this.#o.trackScale));
  }

  async #detectRois(original: RgbImage): Promise<FaceRoi[]> {
    this.#stats.detectorRuns++;
    this.#sinceDetect = 0;
    const image = padToSquarish(original);
    const grid = resizeGrid(image.width, image.height, DETECTOR_SIZE);
    const input = this.#runners.detectorInput;
    sampleRgb(
      image,
      grid,
      { size: DETECTOR_SIZE, scale: 1 / 127.5, bias: -1, edge: 'clamp' },
      input,
    );
    const raw = await this.#runners.runDetector();
    const boxes = decodeDetections(raw, this.#anchors, {
      maxFaces: this.#o.maxFaces,
      minScore: this.#o.minFaceScore,
      iouThreshold: 0.1,
      imageWidth: image.width,
      imageHeight: image.height,
    });
    return boxes.map(roiFromDetection);
  }

  /** Landmarks in each crop that holds a face (largest first, overlapping duplicates dropped). */
  async #landmarks(image: RgbImage, rois: FaceRoi[]): Promise<DetectedFace[]> {
    this.#sinceDetect++;
    const faces: DetectedFace[] = [];
    for (const roi of rois) {
      this.#stats.meshRuns++;
      const r = await runFaceMesh(image, roi, this.#runners, this.#o.minFaceScore);
      if (Math.round(r.faceFlag * 100) / 100 < this.#o.minFaceScore) continue;
      faces.push({
        box: faceBox(r.landmarks, roi, image),
        score: r.faceFlag,
        landmarks: r.landmarks,
      });
    }
    return largestFirst(faces, this.#o.maxFaces);
  }

  /** Releases the sessions and the body model (shared ones when their last user closes). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await closeSessions(this.#sessions);
    const body = await this.#body?.catch(() => undefined);
    await body?.close();
  }
}

/** Largest first, at most `max`, a face overlapping a larger one by half dropped (two crops on one face). */
function largestFirst(faces: DetectedFace[], max: number): DetectedFace[] {
  const sorted = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  const kept: DetectedFace[] = [];
  for (const face of sorted) {
    if (kept.length >= max) break;
    if (kept.every((k) => boxOverlap(k.box, face.box) < 0.5)) kept.push(face);
  }
  return kept;
}

/** Tracked crops, plus the detections that do not overlap one of them (new faces). */
function mergeRois(tracked: FaceRoi[], detected: FaceRoi[]): FaceRoi[] {
  const fresh = detected.filter((d) => tracked.every((t) => roiOverlap(t, d) < 0.3));
  return [...tracked, ...fresh];
}

/** Human's face box: centred on the mesh, the crop's size, clamped to the image (whole px). */
function faceBox(landmarks: Float32Array, roi: FaceRoi, image: RgbImage): PixelBox {
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    const x = landmarks[i * 3] as number;
    const y = landmarks[i * 3 + 1] as number;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const w = roi.x2 - roi.x1;
  const h = roi.y2 - roi.y1;
  const x1 = Math.max(0, cx - w / 2);
  const y1 = Math.max(0, cy - h / 2);
  return {
    x: Math.trunc(x1),
    y: Math.trunc(y1),
    width: Math.trunc(Math.min(image.width, cx + w / 2) - x1),
    height: Math.trunc(Math.min(image.height, cy + h / 2) - y1),
  };
}

function boxOverlap(a: PixelBox, b: PixelBox): number {
  const iw = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const ih = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = iw * ih;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

async function closeSessions(s: LandmarkSessions): Promise<void> {
  await Promise.all([s.detector.close(), s.mesh.close(), s.iris.close()]);
}

/** Longer side over shorter side beyond which an image is padded before detection. */
const MAX_DETECT_ASPECT = 2;

/**
 * The detector squeezes the whole image into its square input: in a wide group photo (five
 * faces in a row) every face is squeezed out of shape and none is found. Such images are
 * padded (right or bottom, grey) to a square for the detector; the boxes it finds are then
 * in the original image's coordinates.
 */
function padToSquarish(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  if (Math.max(width, height) <= MAX_DETECT_ASPECT * Math.min(width, height)) return image;
  const side = Math.max(width, height);
  const padded = new Uint8Array(side * side * 3).fill(128);
  const row = width * 3;
  for (let y = 0; y < height; y++) padded.set(data.subarray(y * row, (y + 1) * row), y * side * 3);
  return { width: side, height: side, data: padded };
}
