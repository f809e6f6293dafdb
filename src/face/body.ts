import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config, Human, Result } from '@vladmandic/human';
import { AbortedError } from '../core/index.ts';
import { FaceError } from './errors.ts';
import type { RgbImage } from './landmarker.ts';
import { BODY_KEYPOINT_NAMES, type BodyKeypoint } from './profile.ts';

/**
 * Body keypoints (MoveNet Lightning, 17 COCO points) from `@vladmandic/human` on the tfjs WASM
 * backend, fully offline: the model comes from the npm package on disk and the wasm binaries
 * from @tensorflow/tfjs-backend-wasm. The face models no longer run here (they run on
 * onnxruntime, models/face-landmarks); Human still serves the body.
 */

export interface DetectedBody {
  score: number;
  /** The 17 MoveNet keypoints (every one, with its score). */
  keypoints: BodyKeypoint[];
}

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

/** Folder of Human's bundled models (movenet…), inside the npm package. */
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

/**
 * A loaded Human (tfjs-wasm backend, models from the npm package on disk) with `config` over
 * its offline settings. facecast uses it for the body model; scripts/face/human-reference.ts
 * uses it to record Human's own face landmarks for the parity test.
 */
export async function createHuman(config: Partial<Config>): Promise<Human> {
  const { Human: HumanClass } = loadHumanModule();
  const human = new HumanClass({
    ...config,
    wasmPath: wasmDir(),
    modelBasePath: `file://${humanModelsDir()}/`,
  } as Partial<Config>);
  registerFileRouter(human);
  await human.load();
  // Human resolves the backend lazily; do it now so the first detect() is not slower.
  await human.init();
  return human;
}

async function acquireEngine(): Promise<Engine> {
  if (!engine) {
    engine = (async () => {
      const human = await createHuman(BASE_CONFIG as Partial<Config>);
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

/** Human configuration: the body model only (faces run on onnxruntime, see landmarker.ts). */
const BASE_CONFIG = {
  backend: 'wasm',
  debug: false,
  async: true,
  warmup: 'none',
  cacheModels: false,
  filter: { enabled: false },
  face: { enabled: false },
  body: {
    enabled: true,
    modelPath: 'movenet-lightning.json',
    maxDetected: 1,
    minConfidence: 0,
    skipFrames: 0,
    skipTime: 0,
  },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
} as const;

/** A handle on the shared body engine; `detect` calls are serialised process-wide. */
export class BodyDetector {
  readonly #engine: Engine;
  #closed = false;

  private constructor(engine: Engine) {
    this.#engine = engine;
  }

  static async load(): Promise<BodyDetector> {
    try {
      return new BodyDetector(await acquireEngine());
    } catch (cause) {
      throw new FaceError(
        'LANDMARKER_FAILED',
        `could not load the body keypoint model: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /** The most confident body in the image, or undefined. */
  detect(image: RgbImage, signal?: AbortSignal): Promise<DetectedBody | undefined> {
    if (this.#closed)
      return Promise.reject(new FaceError('LANDMARKER_FAILED', 'body detector is closed'));
    const run = this.#engine.queue.then(() => this.#detect(image, signal));
    this.#engine.queue = run.catch(() => undefined);
    return run;
  }

  async #detect(image: RgbImage, signal: AbortSignal | undefined) {
    if (signal?.aborted) throw new AbortedError('body detection aborted', { cause: signal.reason });
    const human = this.#engine.human;
    const tensor = human.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    let result: Result;
    try {
      result = await human.detect(tensor as never);
    } catch (cause) {
      throw new FaceError(
        'LANDMARKER_FAILED',
        `body detection failed: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    } finally {
      tensor.dispose();
    }
    if (typeof result.error === 'string' && result.error)
      throw new FaceError('LANDMARKER_FAILED', `body detection failed: ${result.error}`);
    const first = result.body[0];
    if (!first) return undefined;
    const byName = new Map(first.keypoints.map((k) => [k.part as string, k]));
    const keypoints: BodyKeypoint[] = [];
    for (const name of BODY_KEYPOINT_NAMES) {
      const k = byName.get(name);
      if (k) keypoints.push({ name, x: k.position[0], y: k.position[1], score: k.score });
    }
    return { score: first.score, keypoints };
  }

  /** Releases this handle (the last one disposes the model's tensors). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await releaseEngine(this.#engine);
  }
}
