import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config, Human, Result } from '@vladmandic/human';
import { AbortedError, throwIfAborted } from '../core/index.ts';
import { FaceError } from './errors.ts';
import { LANDMARK_COUNT } from './model.ts';
import { BODY_KEYPOINT_NAMES, type BodyKeypoint, type PixelBox } from './profile.ts';

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
  /** Detector confidence in [0, 1]. */
  score: number;
  /** 478 × (x_px, y_px, z): 468 mesh points then 5 per iris (left 468–472, right 473–477). */
  landmarks: Float32Array;
}

export interface DetectedBody {
  score: number;
  /** The 17 MoveNet keypoints (every one, with its score). */
  keypoints: BodyKeypoint[];
}

/** Per-call options of {@link FaceLandmarker.detect}. */
export interface DetectOptions {
  /** Run the body model on this call (default: as loaded). The body model costs about as much as the face models. */
  body?: boolean;
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
  /** Face detector confidence threshold in [0, 1]. Default 0.5. */
  minFaceScore?: number;
  /** Also run the body keypoint model (MoveNet Lightning). Default true. */
  body?: boolean;
  /**
   * Video mode: let Human reuse the previous frame's face box (it re-runs the box detector
   * every few frames or when the image changes) — faster and steadier on video; photos use
   * a fresh detection every call. Default false.
   */
  video?: boolean;
  signal?: AbortSignal;
}

export const LANDMARKER_DEFAULTS = Object.freeze({
  maxFaces: 5,
  minFaceScore: 0.5,
  body: true,
  video: false,
});

const require = createRequire(import.meta.url);

interface HumanModule {
  Human: new (config?: Partial<Config>) => Human;
}

let humanModule: HumanModule | undefined;
let routerRegistered = false;

/**
 * Human's Node builds are listed in its package.json "exports" without the leading "./"
 * that Node requires, so `@vladmandic/human/dist/human.node-wasm.js` cannot be imported
 * by name. Its default Node entry (`dist/human.node.js`, the tfjs-node build, which cannot
 * install here) sits in the same folder, so we resolve that entry and load its wasm sibling.
 */
function loadHumanModule(): HumanModule {
  if (!humanModule) {
    const nodeEntry = require.resolve('@vladmandic/human');
    humanModule = require(join(dirname(nodeEntry), 'human.node-wasm.js')) as HumanModule;
  }
  return humanModule;
}

/** Folder of Human's bundled models (blazeface, facemesh, iris, movenet…), inside the npm package. */
function humanModelsDir(): string {
  return join(dirname(dirname(require.resolve('@vladmandic/human'))), 'models');
}

/** tfjs-backend-wasm's .wasm binaries, from its installed dist folder. */
function wasmDir(): string {
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

/**
 * Node's fetch has no file:// support and tfjs has no file handler without tfjs-node, so
 * facecast registers a tfjs load router that reads `file://…/model.json` and its weight
 * shards from disk. Human's loader accepts model paths starting with `file:` unchanged.
 */
function registerFileRouter(human: Human): void {
  if (routerRegistered) return;
  routerRegistered = true;
  human.tf.io.registerLoadRouter((url: string | string[]) => {
    const first = Array.isArray(url) ? url[0] : url;
    if (typeof first !== 'string' || !first.startsWith('file://')) return null;
    const path = fileURLToPath(first);
    return {
      async load() {
        const json = JSON.parse(await readFile(path, 'utf8')) as {
          modelTopology: object;
          format?: string;
          generatedBy?: string;
          convertedBy?: string;
          signature?: object;
          userDefinedMetadata?: Record<string, unknown>;
          weightsManifest: { paths: string[]; weights: object[] }[];
        };
        const specs: object[] = [];
        const shards: Buffer[] = [];
        for (const group of json.weightsManifest) {
          specs.push(...group.weights);
          for (const shard of group.paths) shards.push(await readFile(join(dirname(path), shard)));
        }
        const all = Buffer.concat(shards);
        return {
          modelTopology: json.modelTopology,
          format: json.format,
          generatedBy: json.generatedBy,
          convertedBy: json.convertedBy,
          signature: json.signature,
          userDefinedMetadata: json.userDefinedMetadata,
          weightSpecs: specs,
          weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        } as never;
      },
    };
  });
}

interface HumanModuleWithEnv extends HumanModule {
  env: { initial: boolean };
}

/**
 * Human keeps its loaded models in module-level variables shared by every Human instance of
 * the process (and its face-box cache for video), so facecast runs one shared instance:
 * handles are reference-counted and the last `close()` disposes the models and marks Human's
 * environment as fresh, so a later load really reloads them.
 */
interface Engine {
  human: Human;
  handles: number;
  queue: Promise<unknown>;
}
let engine: Promise<Engine> | undefined;

async function acquireEngine(): Promise<Engine> {
  if (!engine) {
    engine = (async () => {
      const { Human: HumanClass } = loadHumanModule();
      const human = new HumanClass({
        ...BASE_CONFIG,
        wasmPath: wasmDir(),
        modelBasePath: `file://${humanModelsDir()}/`,
      } as Partial<Config>);
      registerFileRouter(human);
      await human.load();
      // Human resolves the backend lazily; do it now so the first detect() is not slower.
      await human.init();
      return { human, handles: 0, queue: Promise.resolve() };
    })();
    engine.catch(() => {
      engine = undefined;
    });
  }
  const e = await engine;
  e.handles++;
  return e;
}

async function releaseEngine(e: Engine): Promise<void> {
  e.handles--;
  if (e.handles > 0) return;
  await e.queue;
  if (e.handles > 0) return;
  engine = undefined;
  const models = e.human.models.models as unknown as Record<
    string,
    { dispose?: () => void } | null
  >;
  for (const model of Object.values(models)) model?.dispose?.();
  e.human.models.reset();
  (loadHumanModule() as HumanModuleWithEnv).env.initial = true;
}

/** Human configuration shared by every call; per-call parts are in {@link modeConfig}. */
const BASE_CONFIG = {
  backend: 'wasm',
  debug: false,
  async: true,
  warmup: 'none',
  cacheModels: false,
  filter: { enabled: false },
  face: {
    enabled: true,
    detector: { rotation: true, return: false },
    mesh: { enabled: true },
    iris: { enabled: true, skipFrames: 0, skipTime: 0 },
    emotion: { enabled: false },
    description: { enabled: false },
    antispoof: { enabled: false },
    liveness: { enabled: false },
    attention: { enabled: false },
    gear: { enabled: false },
  },
  body: { enabled: true, modelPath: 'movenet-lightning.json', maxDetected: 1, minConfidence: 0 },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
} as const;

/**
 * Per-call configuration. Video mode lets Human reuse the previous frame's face box (its
 * box detector re-runs every 5 frames or when the image changes); photo mode detects afresh.
 */
function modeConfig(o: Required<Omit<LandmarkerOptions, 'signal'>>): Partial<Config> {
  const skip = o.video ? { skipFrames: 5, skipTime: 1000 } : { skipFrames: 0, skipTime: 0 };
  return {
    cacheSensitivity: o.video ? 0.01 : 0,
    skipAllowed: o.video,
    face: {
      detector: { maxDetected: o.maxFaces, minConfidence: o.minFaceScore, ...skip },
    },
    body: { enabled: o.body, ...skip },
  } as Partial<Config>;
}

/**
 * Face box, 478 landmarks (468 mesh + iris) and body keypoints from `@vladmandic/human` on
 * the tfjs WASM backend, fully offline: the models come from the npm package on disk and
 * the wasm binaries from @tensorflow/tfjs-backend-wasm. Load once, reuse, `close()` to
 * release (the last handle disposes the models' tensors). Calls are serialised process-wide.
 * Video mode keeps face-box state between calls, so track one video at a time per process.
 *
 * @example
 * const landmarker = await FaceLandmarker.load();
 * const { faces } = await landmarker.detect(image);
 * await landmarker.close();
 */
export class FaceLandmarker {
  readonly #engine: Engine;
  readonly #config: Partial<Config>;
  readonly #maxFaces: number;
  #closed = false;

  private constructor(engine: Engine, config: Partial<Config>, maxFaces: number) {
    this.#engine = engine;
    this.#config = config;
    this.#maxFaces = maxFaces;
  }

  static async load(options: LandmarkerOptions = {}): Promise<FaceLandmarker> {
    const { signal, ...rest } = options;
    const o = { ...LANDMARKER_DEFAULTS, ...rest };
    throwIfAborted(signal);
    let e: Engine;
    try {
      e = await acquireEngine();
    } catch (cause) {
      throw new FaceError(
        'LANDMARKER_FAILED',
        `could not load the face landmark models: ${(cause as Error).message}`,
        { cause },
      );
    }
    if (signal?.aborted) {
      await releaseEngine(e);
      throwIfAborted(signal);
    }
    return new FaceLandmarker(e, modeConfig(o), o.maxFaces);
  }

  /**
   * Detects faces (largest first) and the body in an RGB image. Calls are serialised:
   * Human's models are not re-entrant.
   */
  detect(image: RgbImage, options: DetectOptions = {}): Promise<Detection> {
    if (this.#closed) {
      return Promise.reject(new FaceError('LANDMARKER_FAILED', 'landmarker is closed'));
    }
    const config =
      options.body === undefined
        ? this.#config
        : ({
            ...this.#config,
            body: { ...this.#config.body, enabled: options.body },
          } as Partial<Config>);
    const run = this.#engine.queue.then(() => this.#detect(image, config, options.signal));
    this.#engine.queue = run.catch(() => undefined);
    return run;
  }

  async #detect(
    image: RgbImage,
    config: Partial<Config>,
    signal: AbortSignal | undefined,
  ): Promise<Detection> {
    if (signal?.aborted) throw new AbortedError('face detection aborted', { cause: signal.reason });
    if (image.data.length !== image.width * image.height * 3)
      throw new RangeError('image data is not width × height × 3 bytes');
    const { width, height, data } = padToSquarish(image);
    const human = this.#engine.human;
    const tf = human.tf;
    const tensor = tf.tensor3d(data, [height, width, 3], 'int32');
    let result: Result;
    try {
      result = await human.detect(tensor as never, config);
    } catch (cause) {
      throw new FaceError(
        'LANDMARKER_FAILED',
        `face detection failed: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    } finally {
      tensor.dispose();
    }
    if (typeof result.error === 'string' && result.error) {
      throw new FaceError('LANDMARKER_FAILED', `face detection failed: ${result.error}`);
    }
    const faces: DetectedFace[] = [];
    for (const face of result.face) {
      if (face.mesh.length < LANDMARK_COUNT) continue;
      const landmarks = new Float32Array(LANDMARK_COUNT * 3);
      for (let i = 0; i < LANDMARK_COUNT; i++) {
        const p = face.mesh[i] as [number, number, number?];
        landmarks[i * 3] = p[0];
        landmarks[i * 3 + 1] = p[1];
        landmarks[i * 3 + 2] = p[2] ?? 0;
      }
      const [x, y, w, h] = face.box;
      faces.push({ box: { x, y, width: w, height: h }, score: face.score, landmarks });
    }
    faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    const first = result.body[0];
    let body: DetectedBody | undefined;
    if (first) {
      const byName = new Map(first.keypoints.map((k) => [k.part as string, k]));
      const keypoints: BodyKeypoint[] = [];
      for (const name of BODY_KEYPOINT_NAMES) {
        const k = byName.get(name);
        if (k) keypoints.push({ name, x: k.position[0], y: k.position[1], score: k.score });
      }
      body = { score: first.score, keypoints };
    }
    return { faces: faces.slice(0, this.#maxFaces), body };
  }

  /** Releases this handle (the last one disposes the models' tensors). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await releaseEngine(this.#engine);
  }
}

/** Longer side over shorter side beyond which an image is padded before detection. */
const MAX_DETECT_ASPECT = 2;

/**
 * Human's face detector squeezes the whole image into a square input: a wide group photo
 * (five faces in a row) squeezes every face out of shape and none is found. Such images are
 * padded (right or bottom, grey) to a square; coordinates stay those of the original image.
 */
function padToSquarish(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  if (Math.max(width, height) <= MAX_DETECT_ASPECT * Math.min(width, height)) return image;
  const side = Math.max(width, height);
  const padded = new Uint8Array(side * side * 3).fill(128);
  const row = width * 3;
  for (let y = 0; y < height; y++) padded.set(data.subarray(y * row, (y + 1) * row), y * side * 3);
  return { ...image, width: side, height: side, data: padded };
}
