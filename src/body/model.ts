import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { throwIfAborted } from '../core/index.ts';
import { InferenceError, loadOnnxSession, type OnnxSession } from '../inference/index.ts';
import { BodyError } from './errors.ts';
import { BODY_INPUT_COUNT, BODY_OUTPUT_COUNT } from './layout.ts';
import { type BodyManifest, readBodyManifest } from './manifest.ts';

/** The model shipped in this repository. */
export const DEFAULT_BODY_MODEL_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../models/body',
);

/** Options for {@link BodyModel.load}. */
export interface BodyModelOptions {
  /** Folder with `manifest.json` and the ONNX file it names. Default: the shipped `models/body`. */
  modelDir?: string;
  /** Check the ONNX file's sha256 against the manifest. Default true. */
  verifyChecksum?: boolean;
  signal?: AbortSignal;
}

/**
 * The speech → body network (a causal GRU over 40 ms frames): inputs BODY_INPUT_COUNT
 * channels per frame (audio features, head rotation, seeded noise), outputs BODY_OUTPUTS.
 * One onnxruntime session (CPU, one thread: ~10 k parameters) shared by every caller.
 *
 * @example
 * const model = await BodyModel.load();
 * const rows = await model.run(inputs, frames); // frames × BODY_OUTPUT_COUNT
 */
export class BodyModel {
  readonly manifest: BodyManifest;
  readonly session: OnnxSession;
  readonly modelPath: string;
  #closed = false;

  private constructor(manifest: BodyManifest, session: OnnxSession, modelPath: string) {
    this.manifest = manifest;
    this.session = session;
    this.modelPath = modelPath;
  }

  static async load(options: BodyModelOptions = {}): Promise<BodyModel> {
    const dir = options.modelDir ?? DEFAULT_BODY_MODEL_DIR;
    const manifest = await readBodyManifest(join(dir, 'manifest.json'));
    const modelPath = join(dir, manifest.file);
    throwIfAborted(options.signal);
    const bytes = await readFile(modelPath).catch((cause) => {
      throw new BodyError('BODY_MODEL_MISSING', `body model file missing: ${modelPath}`, {
        cause,
      });
    });
    if (options.verifyChecksum !== false) {
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== manifest.sha256) {
        throw new BodyError(
          'BODY_MODEL_INVALID',
          `${modelPath}: sha256 ${sha.slice(0, 12)}… does not match the manifest (${manifest.sha256.slice(0, 12)}…)`,
        );
      }
    }
    let session: OnnxSession;
    try {
      session = await loadOnnxSession(modelPath, {
        executionProviders: ['cpu'],
        intraOpThreads: 1,
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof InferenceError && error.code === 'MODEL_NOT_FOUND')
        throw new BodyError('BODY_MODEL_MISSING', error.message, { cause: error });
      throw error;
    }
    const names = (infos: readonly { name: string }[]) => infos.map((i) => i.name).join(',');
    if (names(session.inputs) !== 'x,h0' || names(session.outputs) !== 'y,hn') {
      await session.close();
      throw new BodyError(
        'BODY_MODEL_INVALID',
        `${modelPath}: expected inputs x,h0 and outputs y,hn, the model has ${names(session.inputs)} → ${names(session.outputs)}`,
      );
    }
    return new BodyModel(manifest, session, modelPath);
  }

  /** Runs `frames` rows of inputs (frames × BODY_INPUT_COUNT) from a zero state. */
  async run(
    inputs: Float32Array,
    frames: number,
    options: { signal?: AbortSignal } = {},
  ): Promise<Float32Array> {
    return (await this.continue(inputs, frames, undefined, options)).rows;
  }

  /**
   * Runs `frames` rows of inputs from the GRU `state` a previous call returned (undefined:
   * zeros), so a stream can be run chunk by chunk with the whole run's result.
   */
  async continue(
    inputs: Float32Array,
    frames: number,
    state: Float32Array | undefined,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ rows: Float32Array; state: Float32Array }> {
    if (this.#closed) throw new BodyError('BODY_CLOSED', 'the body model is closed');
    const hidden = this.manifest.config.hidden;
    if (inputs.length !== frames * BODY_INPUT_COUNT || !inputs.every(Number.isFinite)) {
      throw new BodyError(
        'BODY_BAD_INPUT',
        `expected ${frames} × ${BODY_INPUT_COUNT} finite inputs, got ${inputs.length} values`,
      );
    }
    const h0 = state ?? new Float32Array(hidden);
    if (h0.length !== hidden) {
      throw new BodyError('BODY_BAD_INPUT', `state must hold ${hidden} values, got ${h0.length}`);
    }
    if (frames === 0) return { rows: new Float32Array(0), state: h0 };
    const result = await this.session.run(
      {
        x: { data: inputs, dims: [1, frames, BODY_INPUT_COUNT] },
        h0: { data: h0, dims: [1, 1, hidden] },
      },
      options,
    );
    const y = result.y?.data;
    const hn = result.hn?.data;
    if (!(y instanceof Float32Array) || y.length !== frames * BODY_OUTPUT_COUNT) {
      throw new BodyError('BODY_MODEL_INVALID', `${this.modelPath}: output y has the wrong size`);
    }
    if (!(hn instanceof Float32Array) || hn.length !== hidden) {
      throw new BodyError('BODY_MODEL_INVALID', `${this.modelPath}: output hn has the wrong size`);
    }
    return { rows: y, state: Float32Array.from(hn) };
  }

  /** Releases the shared session (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.session.close();
  }
}
