import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { throwIfAborted } from '../core/index.ts';
import {
  type ExecutionProvider,
  InferenceError,
  loadOnnxSession,
  type OnnxRunner,
  type OnnxSession,
} from '../inference/index.ts';
import { SegmentationError } from './errors.ts';
import { readSegmentationManifest, type SegmentationManifest } from './manifest.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** The segmentation model shipped in this repository. */
export const DEFAULT_SEGMENTATION_MODEL_DIR = resolve(here, '../../models/segmentation');
/** Side of the square frame the model sees, px. */
export const SEGMENTATION_INPUT_SIZE = 256;

/** Packed 8-bit RGB, rows top to bottom (the shape of src/render's `RgbImage`). */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Person probability per pixel, 0–255 (hair and clothes are person), at the image's size. */
export interface PersonMatte {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Options for {@link PersonSegmenter.load}. */
export interface SegmenterLoadOptions {
  /** Folder with `manifest.json` and the ONNX file. Default: the shipped `models/segmentation`. */
  modelDir?: string;
  /** Execution providers to try. Default `['cpu']` (a 256² frame takes a few ms there). */
  executionProviders?: 'auto' | readonly ExecutionProvider[];
  /** onnxruntime intra-op threads. Default 1. */
  threads?: number;
  signal?: AbortSignal;
}

/**
 * Person vs background (MediaPipe selfie segmentation, converted to ONNX by
 * scripts/segmentation/convert_selfie.py). The whole image is resized to 256² (aspect not
 * kept, as MediaPipe does), segmented, and the mask resized back bilinearly.
 *
 * @example
 * const segmenter = await PersonSegmenter.load();
 * const matte = await segmenter.segment(image); // matte.data[y * width + x] in 0–255
 * await segmenter.close();
 */
export class PersonSegmenter {
  readonly manifest: SegmentationManifest;
  readonly #session: OnnxSession;
  readonly #runner: OnnxRunner;
  /** Runs are serialised: the runner's buffers are shared. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(manifest: SegmentationManifest, session: OnnxSession) {
    this.manifest = manifest;
    this.#session = session;
    const n = SEGMENTATION_INPUT_SIZE;
    this.#runner = session.createRunner({
      inputs: { image: { type: 'float32', shape: [1, 3, n, n] } },
      outputs: { mask: { type: 'float32', shape: [1, 1, n, n] } },
    });
  }

  /** Loads the model (checks its sha256 and its input/output contract). */
  static async load(options: SegmenterLoadOptions = {}): Promise<PersonSegmenter> {
    const dir = options.modelDir ?? DEFAULT_SEGMENTATION_MODEL_DIR;
    const manifest = await readSegmentationManifest(join(dir, 'manifest.json'));
    const path = join(dir, manifest.file);
    await verify(path, manifest.sha256);
    throwIfAborted(options.signal);
    let session: OnnxSession;
    try {
      session = await loadOnnxSession(path, {
        executionProviders: options.executionProviders ?? ['cpu'],
        intraOpThreads: options.threads ?? 1,
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof InferenceError && error.code === 'MODEL_NOT_FOUND')
        throw new SegmentationError('SEGMENTATION_MODEL_MISSING', error.message, { cause: error });
      throw error;
    }
    const n = SEGMENTATION_INPUT_SIZE;
    const shapeOk = (list: typeof session.inputs, name: string, channels: number) => {
      const t = list.find((x) => x.name === name);
      return t?.type === 'float32' && t.shape.slice(1).join() === [channels, n, n].join();
    };
    if (!shapeOk(session.inputs, 'image', 3) || !shapeOk(session.outputs, 'mask', 1)) {
      await session.close();
      throw new SegmentationError(
        'SEGMENTATION_MODEL_INVALID',
        `${path}: expected image [n, 3, ${n}, ${n}] → mask [n, 1, ${n}, ${n}] (float32)`,
      );
    }
    return new PersonSegmenter(manifest, session);
  }

  /** The person matte of `image`, at its size. */
  async segment(image: RgbFrame, options: { signal?: AbortSignal } = {}): Promise<PersonMatte> {
    checkImage(image);
    const n = SEGMENTATION_INPUT_SIZE;
    const small = await sharp(image.data, {
      raw: { width: image.width, height: image.height, channels: 3 },
    })
      .resize(n, n, { fit: 'fill' })
      .raw()
      .toBuffer();
    const planes = new Float32Array(3 * n * n);
    for (let p = 0; p < n * n; p++) {
      for (let c = 0; c < 3; c++) planes[c * n * n + p] = (small[p * 3 + c] as number) / 255;
    }
    const mask = await this.run(planes, options);
    const bytes = new Uint8Array(n * n);
    for (let p = 0; p < n * n; p++) bytes[p] = Math.round((mask[p] as number) * 255);
    if (image.width === n && image.height === n) return { width: n, height: n, data: bytes };
    const full = await sharp(bytes, { raw: { width: n, height: n, channels: 1 } })
      .resize(image.width, image.height, { fit: 'fill', kernel: 'linear' })
      .extractChannel(0) // sharp widens a 1-channel raw image to 3 channels
      .raw()
      .toBuffer();
    return {
      width: image.width,
      height: image.height,
      data: new Uint8Array(full.buffer, full.byteOffset, full.byteLength),
    };
  }

  /**
   * The raw model: `planes` is 3 × 256 × 256 RGB in [0, 1] (channel planes); returns a copy
   * of the 256 × 256 person probability.
   */
  async run(planes: Float32Array, options: { signal?: AbortSignal } = {}): Promise<Float32Array> {
    const n = SEGMENTATION_INPUT_SIZE;
    if (planes.length !== 3 * n * n) {
      throw new SegmentationError(
        'SEGMENTATION_BAD_IMAGE',
        `planes must hold 3 × ${n} × ${n} values`,
      );
    }
    const step = this.#queue.then(async () => {
      if (this.#closed)
        throw new SegmentationError('SEGMENTATION_CLOSED', 'the segmenter is closed');
      (this.#runner.input('image') as Float32Array).set(planes);
      await this.#runner.run({ signal: options.signal });
      return (this.#runner.output('mask') as Float32Array).slice();
    });
    this.#queue = step.catch(() => undefined);
    return step;
  }

  /** Releases the session (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    await this.#session.close();
  }
}

function checkImage(image: RgbFrame): void {
  const ok =
    Number.isInteger(image.width) &&
    Number.isInteger(image.height) &&
    image.width > 0 &&
    image.height > 0 &&
    image.data.length === image.width * image.height * 3;
  if (!ok) {
    throw new SegmentationError(
      'SEGMENTATION_BAD_IMAGE',
      `image must be packed RGB: ${image.width}×${image.height} needs ${image.width * image.height * 3} bytes, got ${image.data.length}`,
    );
  }
}

async function verify(path: string, sha256: string): Promise<void> {
  const bytes = await readFile(path).catch((cause) => {
    throw new SegmentationError('SEGMENTATION_MODEL_MISSING', `model file missing: ${path}`, {
      cause,
    });
  });
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== sha256) {
    throw new SegmentationError(
      'SEGMENTATION_MODEL_INVALID',
      `${path}: sha256 ${sha.slice(0, 12)}… does not match the manifest (${sha256.slice(0, 12)}…)`,
    );
  }
}
