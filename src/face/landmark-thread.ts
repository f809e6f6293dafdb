import { Worker } from 'node:worker_threads';
import {
  type FacecastError,
  PendingReplies,
  throwIfAborted,
  WORKER_BOOT,
  workerReady,
} from '../core/index.ts';
import { FaceError, type FaceErrorCode } from './errors.ts';
import type { FaceSource, FinderSettings } from './face-finder.ts';
import type { DetectedFace, LandmarkerStats, RgbImage } from './landmarker.ts';
import type { PixelBox } from './profile.ts';

const ENTRY = new URL('./landmark-thread-worker.ts', import.meta.url).href;

/** What the worker is started with (`workerData`). */
export interface LandmarkThreadData {
  entry: string;
  modelDir: string;
  settings: FinderSettings;
}

export type LandmarkThreadRequest =
  | { type: 'faces'; id: number; width: number; height: number; data: ArrayBuffer }
  | { type: 'reset' };

/** Images kept for reuse per byte size (more than the calls a caller keeps in flight). */
const SPARE_IMAGES = 8;

/** One face across the thread boundary (its landmarks' buffer transferred). */
export interface ThreadFace {
  box: PixelBox;
  score: number;
  landmarks: Float32Array;
}

export type LandmarkThreadReply =
  | { type: 'ready' }
  | { type: 'faces'; id: number; faces: ThreadFace[]; stats: LandmarkerStats; image: ArrayBuffer }
  | {
      type: 'error';
      id: number | undefined;
      error: { code: string; message: string };
      /** The request's image, sent back for reuse (absent for a start-up error). */
      image?: ArrayBuffer;
    };

/**
 * The face models (FaceFinder) on a worker thread: `faces()` copies the image into a buffer
 * that goes to the thread and comes back with the answer (reused: a frame's worth of memory
 * per call otherwise, which made V8 collect its old generation every few dozen frames), and
 * answers in call order, several calls may be in flight, so the models run while the caller
 * fits, decodes or runs the body model. Errors keep their code (FACE_MODEL_INVALID at start,
 * LANDMARKER_FAILED otherwise, also when the thread dies: every pending and later call
 * rejects with it).
 */
export class LandmarkThread implements FaceSource {
  readonly #worker: Worker;
  readonly #pending = new PendingReplies<DetectedFace[]>();
  readonly #spare = new Map<number, ArrayBuffer[]>();
  #imagesAllocated = 0;
  #stats: LandmarkerStats = { frames: 0, detectorRuns: 0, meshRuns: 0, cuts: 0, lost: 0 };
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: LandmarkThreadReply) => this.#onReply(reply));
    worker.on('error', (error) => this.#fail(threadFailed(error.message, error)));
    worker.on('exit', (code) => {
      if (!this.#closing) this.#fail(threadFailed(`the landmark thread exited (code ${code})`));
    });
  }

  /** Starts the thread and loads the models there; rejects with their loading error. */
  static async start(
    modelDir: string,
    settings: FinderSettings,
    signal?: AbortSignal,
  ): Promise<LandmarkThread> {
    throwIfAborted(signal);
    const s = settings;
    const workerData: LandmarkThreadData = {
      entry: ENTRY,
      modelDir,
      settings: {
        maxFaces: s.maxFaces,
        minFaceScore: s.minFaceScore,
        video: s.video,
        detectEvery: s.detectEvery,
        cutThreshold: s.cutThreshold,
        trackScale: s.trackScale,
        threads: s.threads,
      },
    };
    const worker = new Worker(WORKER_BOOT, { workerData });
    try {
      await workerReady(worker, signal, {
        ready: (reply: LandmarkThreadReply) => (reply.type === 'ready' ? true : undefined),
        error: (reply) => (reply.type === 'error' ? revive(reply.error) : undefined),
        failed: threadFailed,
        name: 'landmark thread',
      });
      return new LandmarkThread(worker);
    } catch (error) {
      await worker.terminate();
      throw error;
    }
  }

  faces(image: RgbImage): Promise<DetectedFace[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closing) {
      return Promise.reject(new FaceError('LANDMARKER_FAILED', 'landmarker is closed'));
    }
    const { id, reply } = this.#pending.add();
    // a copy of exactly the image's bytes travels (the caller keeps its buffer)
    const copy = this.#takeImage(image.data.byteLength);
    new Uint8Array(copy).set(image.data);
    const request: LandmarkThreadRequest = {
      type: 'faces',
      id,
      width: image.width,
      height: image.height,
      data: copy,
    };
    this.#worker.postMessage(request, [copy]);
    return reply;
  }

  /** Image buffers allocated since start (the rest were reused). */
  get imagesAllocated(): number {
    return this.#imagesAllocated;
  }

  /** Forgets the tracked faces: the calls made after this detect afresh. */
  reset(): void {
    if (this.#failure || this.#closing) return;
    this.#worker.postMessage({ type: 'reset' } satisfies LandmarkThreadRequest);
  }

  /** Counters as of the last answered call. */
  stats(): LandmarkerStats {
    return { ...this.#stats };
  }

  /** Waits for the calls in flight, then stops the thread. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#pending.settled();
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  #takeImage(bytes: number): ArrayBuffer {
    const spare = this.#spare.get(bytes)?.pop();
    if (spare) return spare;
    this.#imagesAllocated++;
    return new ArrayBuffer(bytes);
  }

  #onReply(reply: LandmarkThreadReply): void {
    if (reply.type === 'ready' || reply.id === undefined) return;
    if (reply.image) {
      // only the latest size is kept (a new video's frames replace the last one's)
      const bytes = reply.image.byteLength;
      const list = this.#spare.get(bytes) ?? [];
      if (!this.#spare.has(bytes)) {
        this.#spare.clear();
        this.#spare.set(bytes, list);
      }
      if (list.length < SPARE_IMAGES) list.push(reply.image);
    }
    if (reply.type === 'faces') {
      if (this.#pending.resolve(reply.id, reply.faces)) this.#stats = reply.stats;
    } else {
      this.#pending.reject(reply.id, revive(reply.error));
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#pending.rejectAll(this.#failure);
  }
}

function threadFailed(message: string, cause?: Error): FaceError {
  return new FaceError('LANDMARKER_FAILED', `landmark thread: ${message}`, { cause });
}

const FACE_CODES = new Set<string>([
  'FACE_NOT_FOUND',
  'FACE_MODEL_INVALID',
  'LANDMARKER_FAILED',
] satisfies FaceErrorCode[]);

/** The thread's error with the same code (stack lost). */
function revive(error: { code: string; message: string }): FacecastError {
  return FACE_CODES.has(error.code)
    ? new FaceError(error.code as FaceErrorCode, error.message)
    : new FaceError('LANDMARKER_FAILED', error.message);
}
