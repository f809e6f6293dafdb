import { Worker } from 'node:worker_threads';
import { type FacecastError, throwIfAborted, WORKER_BOOT, workerReady } from '../core/index.ts';
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

/** One face across the thread boundary (its landmarks' buffer transferred). */
export interface ThreadFace {
  box: PixelBox;
  score: number;
  landmarks: Float32Array;
}

export type LandmarkThreadReply =
  | { type: 'ready' }
  | { type: 'faces'; id: number; faces: ThreadFace[]; stats: LandmarkerStats }
  | { type: 'error'; id: number | undefined; error: { code: string; message: string } };

interface Pending {
  resolve: (faces: DetectedFace[]) => void;
  reject: (error: Error) => void;
}

/**
 * The face models (FaceFinder) on a worker thread: `faces()` copies the image across and
 * answers in call order, several calls may be in flight, so the models run while the caller
 * fits, decodes or runs the body model. Errors keep their code (FACE_MODEL_INVALID at start,
 * LANDMARKER_FAILED otherwise, also when the thread dies: every pending and later call
 * rejects with it).
 */
export class LandmarkThread implements FaceSource {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
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
        iris: s.iris,
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
    const id = this.#nextId++;
    // a copy of exactly the image's bytes travels (the caller keeps its buffer)
    const copy = image.data.slice();
    const request: LandmarkThreadRequest = {
      type: 'faces',
      id,
      width: image.width,
      height: image.height,
      data: copy.buffer,
    };
    return new Promise<DetectedFace[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage(request, [copy.buffer]);
    });
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
      await Promise.all([...this.#pending.keys()].map((id) => this.#settled(id)));
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  #settled(id: number): Promise<void> {
    return new Promise((resolve) => {
      const pending = this.#pending.get(id);
      if (!pending) return resolve();
      this.#pending.set(id, {
        resolve: (faces) => {
          pending.resolve(faces);
          resolve();
        },
        reject: (error) => {
          pending.reject(error);
          resolve();
        },
      });
    });
  }

  #onReply(reply: LandmarkThreadReply): void {
    if (reply.type === 'ready' || reply.id === undefined) return;
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (reply.type === 'faces') {
      this.#stats = reply.stats;
      pending.resolve(reply.faces);
    } else {
      pending.reject(revive(reply.error));
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    this.#pending.clear();
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
