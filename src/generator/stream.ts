import { throwIfAborted } from '../core/index.ts';
import type { OnnxRunner } from '../inference/index.ts';
import { createRgbImage, type RgbImage } from '../render/index.ts';
import { type CropOptions, CropTracker, pasteResidual } from './crop.ts';
import { GeneratorError } from './errors.ts';
import { GENERATOR_IN_CHANNELS, MAP_CHANNELS, SLOT_CHANNELS, SR_FACTOR } from './layout.ts';
import type { Generator } from './model.ts';
import { type CropBox, type CropTaps, cropTaps, upsample2x } from './resample.ts';
import { packSlotMaps, packSrGuide, type SlotSource } from './slots.ts';

/** Options of {@link Generator.createStream}. */
export interface GeneratorStreamOptions {
  /** Seed of the stream's noise image (held for every frame, so the output does not shimmer). Default 1. */
  seed?: number;
  /**
   * Frames generated per model call. Default: the manifest's `framesPerWindow` (4) — batched
   * for throughput offline. Live sessions use 1: no frame waits for later ones.
   */
  framesPerWindow?: number;
  /** Sampler steps, 1 to the manifest's sigma count. Default: the manifest's `sampler.steps`. */
  steps?: number;
  /** Crop behaviour. Default: the manifest's `crop` (what the model was trained with). */
  crop?: CropOptions;
  /**
   * Run the super-resolution model (default true). false: the generator's base residual is
   * upsampled bilinearly instead (the SR model's own skip path) — the "generator without SR"
   * arm of the evaluation; SR is not run.
   */
  sr?: boolean;
}

/** Stream statistics (`toJSON()`). */
export interface GeneratorStreamStats {
  framesIn: number;
  framesOut: number;
  windows: number;
  /** Windows that started without a previous output (stream start, crop change, reset). */
  coldStarts: number;
  cropChanges: number;
  /** Mean wall time per generated frame (packing + both models + paste), ms. */
  meanMsPerFrame: number;
}

/**
 * One video's or live session's generator state: the face crop, the previous output (the
 * context of the next window: temporal outpainting, so any length works) and the fixed noise.
 * `push` takes rendered frames in order and returns finished frames whenever a window is
 * complete; `flush` finishes the rest. Returned images are the stream's own buffers, valid
 * until the next `push`/`flush`: write or copy them first.
 *
 * Pure core over the two ONNX runners: no timers, no I/O; every buffer is allocated up front
 * (output images once the frame size is known).
 */
export class GeneratorStream {
  readonly framesPerWindow: number;
  readonly steps: number;
  readonly #generator: Generator;
  readonly #sigmas: number[];
  readonly #n: number;
  readonly #m: number;
  readonly #feather: number;
  readonly #crop: CropTracker;
  readonly #gen: OnnxRunner;
  readonly #sr: OnnxRunner;
  readonly #eps: Float32Array;
  readonly #row: Float32Array;
  readonly #useSr: boolean;
  readonly #upsampled: Float32Array;
  readonly #ctxMaps: Float32Array;
  readonly #ctxResidual: Float32Array;
  #ctxValid = false;
  #taps: CropTaps | undefined;
  /** The crop of the frames waiting in the window. */
  #box: CropBox | undefined;
  #srTaps: CropTaps | undefined;
  #size: { width: number; height: number } | undefined;
  #composites: RgbImage[] = [];
  #outputs: RgbImage[] = [];
  #pending = 0;
  #closed = false;
  readonly #stats = { framesIn: 0, framesOut: 0, windows: 0, coldStarts: 0, cropChanges: 0, ms: 0 };

  /** @internal Use {@link Generator.createStream}. */
  constructor(generator: Generator, options: GeneratorStreamOptions = {}) {
    const config = generator.manifest.config;
    this.#generator = generator;
    this.framesPerWindow = options.framesPerWindow ?? config.framesPerWindow;
    this.steps = options.steps ?? config.sampler.steps;
    if (
      !Number.isInteger(this.framesPerWindow) ||
      this.framesPerWindow < 1 ||
      this.framesPerWindow > 16
    )
      throw new GeneratorError(
        'GENERATOR_BAD_INPUT',
        `framesPerWindow must be 1–16, got ${this.framesPerWindow}`,
      );
    if (
      !Number.isInteger(this.steps) ||
      this.steps < 1 ||
      this.steps > config.sampler.sigmas.length
    )
      throw new GeneratorError(
        'GENERATOR_BAD_INPUT',
        `steps must be 1–${config.sampler.sigmas.length}, got ${this.steps}`,
      );
    this.#sigmas = config.sampler.sigmas;
    const n = config.baseSize;
    const m = n * SR_FACTOR;
    this.#n = n;
    this.#m = m;
    const crop = { ...config.crop, ...options.crop };
    this.#feather = crop.feather;
    this.#crop = new CropTracker(crop);
    const t = this.framesPerWindow;
    this.#gen = generator.session.createRunner({
      inputs: { slots: { type: 'float32', shape: [1, t + 1, GENERATOR_IN_CHANNELS, n, n] } },
      outputs: { x0: { type: 'float32', shape: [1, t + 1, 3, n, n] } },
    });
    this.#sr = generator.srSession.createRunner({
      inputs: {
        composite: { type: 'float32', shape: [t, 3, m, m] },
        disocclusion: { type: 'float32', shape: [t, 1, m, m] },
        base: { type: 'float32', shape: [t, 3, n, n] },
      },
      outputs: { residual: { type: 'float32', shape: [t, 3, m, m] } },
    });
    this.#eps = gaussianNoise(3 * n * n, options.seed ?? 1);
    this.#row = new Float32Array(m * 8);
    this.#useSr = options.sr ?? true;
    this.#upsampled = new Float32Array(this.#useSr ? 0 : t * 3 * m * m);
    this.#ctxMaps = new Float32Array(MAP_CHANNELS * n * n);
    this.#ctxResidual = new Float32Array(3 * n * n);
  }

  /**
   * Adds one rendered frame (copied: the renderer may reuse its buffers). Returns the frames
   * finished by this call: none until a window is full, then the whole window.
   */
  async push(frame: SlotSource, options: { signal?: AbortSignal } = {}): Promise<RgbImage[]> {
    this.#assertOpen();
    throwIfAborted(options.signal);
    const t0 = performance.now();
    const { width, height } = this.#checkFrame(frame);
    const { box, changed } = this.#crop.update(frame.maps.labels, width, height);
    const done: RgbImage[] = [];
    if (changed) {
      if (this.#pending > 0) done.push(...(await this.#run(options.signal)));
      this.#ctxValid = false;
      this.#stats.cropChanges++;
      this.#box = box;
      this.#taps = cropTaps(box, this.#n, width, height);
      this.#srTaps = cropTaps(box, this.#m, width, height);
    }
    const k = this.#pending;
    const n2 = this.#n * this.#n;
    const slots = this.#gen.input('slots') as Float32Array;
    const slot = slots.subarray(
      (k + 1) * GENERATOR_IN_CHANNELS * n2,
      (k + 2) * GENERATOR_IN_CHANNELS * n2,
    );
    packSlotMaps(frame, this.#taps as CropTaps, slot, this.#row);
    const m2 = this.#m * this.#m;
    packSrGuide(
      frame,
      this.#srTaps as CropTaps,
      (this.#sr.input('composite') as Float32Array).subarray(k * 3 * m2, (k + 1) * 3 * m2),
      (this.#sr.input('disocclusion') as Float32Array).subarray(k * m2, (k + 1) * m2),
      this.#row,
    );
    (this.#composites[k] as RgbImage).data.set(frame.composite.data);
    this.#pending++;
    this.#stats.framesIn++;
    this.#stats.ms += performance.now() - t0;
    if (this.#pending === this.framesPerWindow) done.push(...(await this.#run(options.signal)));
    return done;
  }

  /** Generates the frames still waiting for a full window. */
  async flush(options: { signal?: AbortSignal } = {}): Promise<RgbImage[]> {
    this.#assertOpen();
    return this.#pending > 0 ? this.#run(options.signal) : [];
  }

  /** Forgets the crop and the previous output (e.g. at a cut). Pending frames are dropped. */
  reset(): void {
    this.#crop.reset();
    this.#ctxValid = false;
    this.#pending = 0;
  }

  toJSON(): GeneratorStreamStats {
    const s = this.#stats;
    return {
      framesIn: s.framesIn,
      framesOut: s.framesOut,
      windows: s.windows,
      coldStarts: s.coldStarts,
      cropChanges: s.cropChanges,
      meanMsPerFrame: s.framesOut ? s.ms / s.framesOut : 0,
    };
  }

  /** Idempotent. The generator's shared sessions stay open (close the Generator for that). */
  close(): void {
    this.#closed = true;
    this.#pending = 0;
  }

  async #run(signal: AbortSignal | undefined): Promise<RgbImage[]> {
    const t0 = performance.now();
    const t = this.#pending;
    this.#pending = 0;
    const n = this.#n;
    const n2 = n * n;
    const slotSize = GENERATOR_IN_CHANNELS * n2;
    const slots = this.#gen.input('slots') as Float32Array;
    const x0 = this.#gen.output('x0') as Float32Array;
    const C = SLOT_CHANNELS;
    // Context slot: the previous output's maps and residual, or (cold) the first frame's maps.
    if (this.#ctxValid) {
      slots.set(this.#ctxMaps, 0);
      slots.set(this.#ctxResidual, C.x * n2);
    } else {
      slots.copyWithin(0, slotSize, slotSize + MAP_CHANNELS * n2);
      slots.fill(0, C.x * n2, (C.x + 3) * n2);
      this.#stats.coldStarts++;
    }
    slots.fill(1, C.known * n2, (C.known + 1) * n2);
    slots.fill(0, C.sigma * n2, (C.sigma + 1) * n2);
    const eps = this.#eps;
    const dims = { slots: [1, t + 1, GENERATOR_IN_CHANNELS, n, n], x0: [1, t + 1, 3, n, n] };
    for (let step = 0; step < this.steps; step++) {
      const sigma = this.#sigmas[step] as number;
      for (let k = 1; k <= t; k++) {
        const o = k * slotSize;
        const xo = o + C.x * n2;
        if (step === 0) for (let i = 0; i < 3 * n2; i++) slots[xo + i] = sigma * (eps[i] as number);
        else {
          const r = k * 3 * n2;
          for (let i = 0; i < 3 * n2; i++)
            slots[xo + i] = (x0[r + i] as number) + sigma * (eps[i] as number);
        }
        slots.fill(0, o + C.known * n2, o + (C.known + 1) * n2);
        slots.fill(sigma, o + C.sigma * n2, o + (C.sigma + 1) * n2);
      }
      throwIfAborted(signal);
      await this.#gen.run({ dims, signal });
    }
    // Super-resolution of the generated residuals, then paste over each composite.
    const m = this.#m;
    let residual: Float32Array;
    if (this.#useSr) {
      (this.#sr.input('base') as Float32Array).set(x0.subarray(3 * n2, (t + 1) * 3 * n2));
      await this.#sr.run({
        dims: {
          composite: [t, 3, m, m],
          disocclusion: [t, 1, m, m],
          base: [t, 3, n, n],
          residual: [t, 3, m, m],
        },
        signal,
      });
      residual = this.#sr.output('residual') as Float32Array;
    } else {
      residual = this.#upsampled;
      for (let k = 0; k < t; k++)
        upsample2x(
          x0.subarray((k + 1) * 3 * n2, (k + 2) * 3 * n2),
          3,
          n,
          residual.subarray(k * 3 * m * m, (k + 1) * 3 * m * m),
        );
    }
    const box = this.#box as CropBox;
    const out: RgbImage[] = [];
    for (let k = 0; k < t; k++) {
      const image = this.#outputs[k] as RgbImage;
      pasteResidual(
        this.#composites[k] as RgbImage,
        residual.subarray(k * 3 * m * m, (k + 1) * 3 * m * m),
        m,
        box,
        image,
        this.#feather,
      );
      out.push(image);
    }
    // The last frame becomes the next window's context.
    this.#ctxMaps.set(slots.subarray(t * slotSize, t * slotSize + MAP_CHANNELS * n2));
    this.#ctxResidual.set(x0.subarray(t * 3 * n2, (t + 1) * 3 * n2));
    this.#ctxValid = true;
    this.#stats.windows++;
    this.#stats.framesOut += t;
    this.#stats.ms += performance.now() - t0;
    return out;
  }

  #checkFrame(frame: SlotSource): { width: number; height: number } {
    const { width, height } = frame.composite;
    const { maps, reference } = frame;
    if (
      maps.width !== width ||
      maps.height !== height ||
      reference.width !== width ||
      reference.height !== height
    ) {
      throw new GeneratorError(
        'GENERATOR_BAD_INPUT',
        `composite ${width}×${height}, maps ${maps.width}×${maps.height}, reference ${reference.width}×${reference.height}: all must match`,
      );
    }
    if (!this.#size) {
      this.#size = { width, height };
      for (let k = 0; k < this.framesPerWindow; k++) {
        this.#composites.push(createRgbImage(width, height));
        this.#outputs.push(createRgbImage(width, height));
      }
    } else if (this.#size.width !== width || this.#size.height !== height) {
      throw new GeneratorError(
        'GENERATOR_BAD_INPUT',
        `frame size changed from ${this.#size.width}×${this.#size.height} to ${width}×${height}; open a new stream`,
      );
    }
    return this.#size;
  }

  #assertOpen(): void {
    if (this.#closed || this.#generator.closed)
      throw new GeneratorError('GENERATOR_CLOSED', 'the generator stream is closed');
  }
}

/** Seeded standard normal noise (mulberry32 + Box–Muller): the same seed gives the same image. */
export function gaussianNoise(length: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    const u = Math.max(uniform(), 1e-12);
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < length) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}
