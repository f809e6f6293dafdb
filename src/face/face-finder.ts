/**
 * The face half of {@link FaceLandmarker}, on the calling thread: detector, face mesh and iris
 * on onnxruntime (which runs a model synchronously on the thread that calls it), and in
 * video mode the tracked crops between calls. FaceLandmarker runs one here, or one on a
 * worker thread (landmark-thread.ts) so that the models overlap the caller's own work.
 */
import { thumbnail, thumbnailDistance } from '../media/index.ts';
import { DETECTOR_SIZE, decodeDetections, detectorAnchors } from './blazeface.ts';
import { resizeGrid, sampleRgb } from './crop.ts';
import { FaceError } from './errors.ts';
import { type FaceRoi, runFaceMesh } from './face-mesh.ts';
import { LandmarkRunners, type LandmarkSessions, loadLandmarkSessions } from './landmark-models.ts';
import type { DetectedFace, LandmarkerStats, RgbImage } from './landmarker.ts';
import { FACE_VERTEX_COUNT } from './model.ts';
import type { PixelBox } from './profile.ts';
import { roiFromDetection, roiFromLandmarks, roiOverlap } from './roi.ts';

/** What a face finder needs of the landmarker's settings. */
export interface FinderSettings {
  maxFaces: number;
  minFaceScore: number;
  video: boolean;
  detectEvery: number;
  cutThreshold: number;
  trackScale: number;
  threads: number;
  iris: boolean;
}

/** Faces in one image after another, answered in call order: what FaceLandmarker asks of its face half. */
export interface FaceSource {
  /** Faces, largest first (video mode: tracked from the previous call). */
  faces(image: RgbImage): Promise<DetectedFace[]>;
  /** Video mode: forget the tracked faces. */
  reset(): void;
  /** Counters since load (of the calls answered so far). */
  stats(): LandmarkerStats;
  close(): Promise<void>;
}

/** The face models on this thread. Calls must not overlap (FaceLandmarker serialises them). */
export class FaceFinder implements FaceSource {
  readonly #sessions: LandmarkSessions;
  readonly #runners: LandmarkRunners;
  readonly #o: FinderSettings;
  readonly #anchors = detectorAnchors();
  #queue: Promise<unknown> = Promise.resolve();
  #tracks: FaceRoi[] = [];
  #sinceDetect = Number.POSITIVE_INFINITY;
  #thumb: Float32Array = new Float32Array(256);
  #previousThumb: Float32Array | undefined = undefined;
  readonly #stats: LandmarkerStats = { frames: 0, detectorRuns: 0, meshRuns: 0, cuts: 0, lost: 0 };

  private constructor(sessions: LandmarkSessions, o: FinderSettings) {
    this.#sessions = sessions;
    this.#runners = new LandmarkRunners(sessions);
    this.#o = o;
  }

  /** Loads the three models from `modelDir` (FACE_MODEL_INVALID, or LANDMARKER_FAILED). */
  static async load(
    modelDir: string,
    o: FinderSettings,
    signal?: AbortSignal,
  ): Promise<FaceFinder> {
    try {
      const sessions = await loadLandmarkSessions(modelDir, { intraOpThreads: o.threads, signal });
      return new FaceFinder(sessions, o);
    } catch (cause) {
      if (cause instanceof FaceError) throw cause;
      throw new FaceError(
        'LANDMARKER_FAILED',
        `could not load the face landmark models: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** Forgets the tracked faces: the calls made after this one detect afresh. */
  reset(): void {
    this.#queue = this.#queue.then(() => {
      this.#tracks = [];
      this.#previousThumb = undefined;
    });
  }

  stats(): LandmarkerStats {
    return { ...this.#stats };
  }

  /** Calls may overlap: each runs after the previous one has finished. */
  faces(image: RgbImage): Promise<DetectedFace[]> {
    const run = this.#queue.then(() => this.#find(image));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #find(image: RgbImage): Promise<DetectedFace[]> {
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
      const r = await runFaceMesh(image, roi, this.#runners, this.#o.minFaceScore, this.#o.iris);
      if (Math.round(r.faceFlag * 100) / 100 < this.#o.minFaceScore) continue;
      faces.push({
        box: faceBox(r.landmarks, roi, image),
        score: r.faceFlag,
        landmarks: r.landmarks,
      });
    }
    return largestFirst(faces, this.#o.maxFaces);
  }

  /** Releases the sessions (shared ones when their last user closes), after the calls in flight. */
  async close(): Promise<void> {
    await this.#queue;
    const s = this.#sessions;
    await Promise.all([s.detector.close(), s.mesh.close(), s.iris.close()]);
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
