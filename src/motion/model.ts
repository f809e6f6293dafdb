import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { throwIfAborted } from '../core/index.ts';
import {
  type ExecutionProvider,
  InferenceError,
  loadOnnxSession,
  type OnnxSession,
} from '../inference/index.ts';
import { MotionError } from './errors.ts';
import { MEL_FRAMES_PER_TOKEN, MOTION_OUTPUT_COUNT } from './layout.ts';
import { type MotionManifest, readMotionManifest } from './manifest.ts';
import { MotionStream, type MotionStreamOptions } from './stream.ts';

/** The model shipped in this repository. */
export const DEFAULT_MOTION_MODEL_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../models/motion',
);

/** Options for {@link MotionModel.load}. */
export interface MotionModelOptions {
  /** Folder with `manifest.json` and the ONNX file it names. Default: the shipped `models/motion`. */
  modelDir?: string;
  /** Execution providers to try. Default `['cpu']`: a 0.6 M-parameter model stepping once per 40 ms frame gains nothing from a GPU round trip. */
  executionProviders?: 'auto' | readonly ExecutionProvider[];
  /** onnxruntime intra-op threads. Default 1 (measured fastest for per-frame steps on 2 cores; see docs/benchmarks.md). */
  threads?: number;
  /** Check the ONNX file's sha256 against the manifest. Default true. */
  verifyChecksum?: boolean;
  /**
   * Gain on the mouth-opening channels of every stream (src/motion/compose.ts). Default: the
   * manifest's `calibration.mouthGain` (scripts/train/calibrate-mouth.ts), else 1.
   */
  mouthGain?: number;
  /**
   * Soft ceiling of the mouth opening and its gate (src/motion/compose.ts `mouthSoftCeiling`,
   * `mouthGate`). Default: the manifest's `calibration` values, else none.
   */
  mouthSoftCeiling?: number;
  mouthGate?: number;
  signal?: AbortSignal;
}

const DEFAULTS = Object.freeze({
  executionProviders: ['cpu'] as const,
  threads: 1,
  verifyChecksum: true,
});

/**
 * The motion network: one shared onnxruntime session plus its manifest. Create one per process
 * and open any number of streams on it ({@link MotionStream}, {@link MotionCore}).
 *
 * @example
 * const model = await MotionModel.load();
 * const stream = model.createStream({ seed: 7 });
 * const frames = await stream.process({ pcm: chunk16k });
 * await model.close();
 */
export class MotionModel {
  readonly manifest: MotionManifest;
  readonly session: OnnxSession;
  readonly modelPath: string;
  /** Keys/values cache shape per stream: [layers, heads, window, dHead]. */
  readonly cacheShape: readonly [number, number, number, number];
  /** Gain on the mouth-opening channels (see {@link MotionModelOptions.mouthGain}). */
  readonly mouthGain: number;
  /** Soft ceiling of the mouth opening (see {@link MotionModelOptions.mouthSoftCeiling}). */
  readonly mouthSoftCeiling: number;
  readonly mouthGate: number;
  #closed = false;

  private constructor(
    manifest: MotionManifest,
    session: OnnxSession,
    modelPath: string,
    mouth: Pick<MotionModelOptions, 'mouthGain' | 'mouthSoftCeiling' | 'mouthGate'>,
  ) {
    this.manifest = manifest;
    const calibration = manifest.calibration;
    this.mouthGain = mouth.mouthGain ?? calibration?.mouthGain ?? 1;
    this.mouthSoftCeiling = mouth.mouthSoftCeiling ?? calibration?.mouthSoftCeiling ?? 0;
    this.mouthGate = mouth.mouthGate ?? calibration?.mouthGate ?? 0;
    this.session = session;
    this.modelPath = modelPath;
    const c = manifest.config;
    this.cacheShape = [c.layers, c.heads, c.window, c.dModel / c.heads];
  }

  static async load(options: MotionModelOptions = {}): Promise<MotionModel> {
    const o = { ...DEFAULTS, ...options };
    const dir = o.modelDir ?? DEFAULT_MOTION_MODEL_DIR;
    const manifest = await readMotionManifest(join(dir, 'manifest.json'));
    const modelPath = join(dir, manifest.file);
    throwIfAborted(o.signal);
    if (o.verifyChecksum) {
      const bytes = await readFile(modelPath).catch((cause) => {
        throw new MotionError('MOTION_MODEL_MISSING', `motion model file missing: ${modelPath}`, {
          cause,
        });
      });
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== manifest.sha256) {
        throw new MotionError(
          'MOTION_MODEL_INVALID',
          `${modelPath}: sha256 ${sha.slice(0, 12)}… does not match the manifest (${manifest.sha256.slice(0, 12)}…)`,
        );
      }
    }
    let session: OnnxSession;
    try {
      session = await loadOnnxSession(modelPath, {
        executionProviders: o.executionProviders,
        intraOpThreads: o.threads,
        signal: o.signal,
      });
    } catch (error) {
      if (error instanceof InferenceError && error.code === 'MODEL_NOT_FOUND')
        throw new MotionError('MOTION_MODEL_MISSING', error.message, { cause: error });
      throw error;
    }
    const model = new MotionModel(manifest, session, modelPath, o);
    try {
      model.#checkContract();
    } catch (error) {
      await session.close();
      throw error;
    }
    return model;
  }

  get executionProvider(): ExecutionProvider {
    return this.session.executionProvider;
  }

  /** Video frames of look-ahead (the model sees this many frames past the one it predicts). */
  get delayFrames(): number {
    return this.manifest.config.delayFrames;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A new stream with its own state (one per audio source / live session). */
  createStream(options: MotionStreamOptions = {}): MotionStream {
    if (this.#closed) throw new MotionError('MOTION_CLOSED', 'the motion model is closed');
    return new MotionStream(this, options);
  }

  /** Releases the shared session (idempotent). Streams on this model stop working. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.session.close();
  }

  /** The ONNX graph must have the inputs/outputs the runtime feeds (names, ranks, sizes). */
  #checkContract(): void {
    const [layers, heads, window, dHead] = this.cacheShape;
    const expect = {
      tokens: [1, -1, MEL_FRAMES_PER_TOKEN, 80],
      k_cache: [layers, heads, window, dHead],
      v_cache: [layers, heads, window, dHead],
      valid: [window],
    };
    const outputs = {
      controls: [1, -1, MOTION_OUTPUT_COUNT],
      k_cache_out: expect.k_cache,
      v_cache_out: expect.v_cache,
      valid_out: [window],
    };
    const check = (
      kind: string,
      infos: readonly { name: string; shape: (number | string)[] }[],
      want: Record<string, number[]>,
    ) => {
      for (const [name, shape] of Object.entries(want)) {
        const info = infos.find((i) => i.name === name);
        const ok =
          info !== undefined &&
          info.shape.length === shape.length &&
          shape.every(
            (d, i) => d === -1 || info.shape[i] === d || typeof info.shape[i] === 'string',
          );
        if (!ok) {
          throw new MotionError(
            'MOTION_MODEL_INVALID',
            `${this.modelPath}: ${kind} "${name}" should have shape [${shape.map((d) => (d === -1 ? 'n' : d)).join(', ')}], the model has ${info ? `[${info.shape.join(', ')}]` : 'none'}`,
          );
        }
      }
    };
    check('input', this.session.inputs, expect);
    check('output', this.session.outputs, outputs);
  }
}
