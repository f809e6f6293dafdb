import meydaModule from 'meyda';
import { type SparseBand, slaneyMelFilterbank } from './filterbank.ts';

/**
 * The log-mel definition every model in facecast is trained and served with. Frame `t` is
 * centred on sample `t * hopLength` (the signal is zero-padded by half a window on the left,
 * and on the right at the end), exactly like `librosa.feature.melspectrogram(center=True,
 * pad_mode='constant')`, so a file of N samples gives `1 + floor(N / hopLength)` frames and
 * frame `t` describes the instant `t * 10 ms`.
 */
export const MEL_CONFIG = Object.freeze({
  sampleRate: 16_000,
  fftSize: 512,
  /** Periodic Hann window of 25 ms, centred in the 512-point frame. */
  windowLength: 400,
  /** 10 ms. */
  hopLength: 160,
  bands: 80,
  fMinHz: 0,
  fMaxHz: 8000,
  /** Power floor before the natural log: ln(1e-10) ≈ -23.03 is digital silence. */
  logFloor: 1e-10,
} as const);

export const MEL_BANDS = MEL_CONFIG.bands;
export const MEL_FRAMES_PER_SECOND = MEL_CONFIG.sampleRate / MEL_CONFIG.hopLength;

/** A block of log-mel frames, frame-major: `data[t * bands + b]`. */
export interface MelFrames {
  data: Float32Array;
  frames: number;
  bands: number;
}

const HALF_WINDOW = MEL_CONFIG.windowLength / 2;

/**
 * Streaming log-mel extractor: feed 16 kHz mono chunks of any size, get every frame that
 * is complete; `flush()` pads the end and returns the rest. Any chunking of the same samples
 * gives bit-identical frames, and `computeLogMel` is this class fed in one piece.
 *
 * @example
 * const mel = new MelExtractor();
 * const a = mel.process(chunk1); // frames ready so far
 * const b = mel.flush();         // the tail
 */
export class MelExtractor {
  readonly #frame = new Float64Array(MEL_CONFIG.fftSize);
  #pending: Float32Array;
  /** Absolute index (in real samples, negative for the left pad) of `#pending[0]`. */
  #pendingStart: number;
  #received = 0;
  #nextFrame = 0;

  constructor() {
    this.#pending = new Float32Array(HALF_WINDOW);
    this.#pendingStart = -HALF_WINDOW;
  }

  /** Frames emitted so far (the index of the next frame). */
  get framesEmitted(): number {
    return this.#nextFrame;
  }

  process(samples: Float32Array): MelFrames {
    this.#append(samples);
    this.#received += samples.length;
    return this.#emitWhile((t) => t * MEL_CONFIG.hopLength + HALF_WINDOW <= this.#received);
  }

  /** Ends the stream (zero-padding the tail) and resets the extractor for reuse. */
  flush(): MelFrames {
    const last = Math.floor(this.#received / MEL_CONFIG.hopLength);
    const out = this.#emitWhile((t) => t <= last);
    this.reset();
    return out;
  }

  reset(): void {
    this.#pending = new Float32Array(HALF_WINDOW);
    this.#pendingStart = -HALF_WINDOW;
    this.#received = 0;
    this.#nextFrame = 0;
  }

  toJSON(): { samplesReceived: number; framesEmitted: number } {
    return { samplesReceived: this.#received, framesEmitted: this.#nextFrame };
  }

  #append(samples: Float32Array): void {
    // Drop what no future frame needs: frame t starts at t * hop - half window.
    const keepFrom = Math.max(
      this.#pendingStart,
      this.#nextFrame * MEL_CONFIG.hopLength - HALF_WINDOW,
    );
    const kept = this.#pending.subarray(keepFrom - this.#pendingStart);
    const merged = new Float32Array(kept.length + samples.length);
    merged.set(kept, 0);
    merged.set(samples, kept.length);
    this.#pending = merged;
    this.#pendingStart = keepFrom;
  }

  #emitWhile(ready: (t: number) => boolean): MelFrames {
    const first = this.#nextFrame;
    let t = first;
    while (ready(t)) t++;
    const count = t - first;
    const data = new Float32Array(count * MEL_CONFIG.bands);
    for (let i = 0; i < count; i++) this.#computeFrame(first + i, data, i * MEL_CONFIG.bands);
    this.#nextFrame = t;
    return { data, frames: count, bands: MEL_CONFIG.bands };
  }

  #computeFrame(t: number, out: Float32Array, offset: number): void {
    const frame = this.#frame;
    const start = t * MEL_CONFIG.hopLength - HALF_WINDOW - this.#pendingStart;
    const pending = this.#pending;
    for (let i = 0; i < MEL_CONFIG.windowLength; i++) {
      const k = start + i;
      const v = k < pending.length ? (pending[k] as number) : 0;
      frame[i] = v * (HANN[i] as number);
    }
    const power = powerSpectrum(frame);
    const floor = MEL_CONFIG.logFloor;
    for (let b = 0; b < MEL_CONFIG.bands; b++) {
      const end = BANK_OFFSETS[b + 1] as number;
      let bin = BANK_FIRST_BIN[b] as number;
      let acc = 0;
      for (let j = BANK_OFFSETS[b] as number; j < end; j++, bin++) {
        acc += (BANK_WEIGHTS[j] as number) * (power[bin] as number);
      }
      out[offset + b] = Math.log(Math.max(acc, floor));
    }
  }
}

/**
 * Log-mel of a whole 16 kHz mono signal; identical to streaming it through
 * {@link MelExtractor} in any chunking.
 *
 * @example
 * const mel = computeLogMel(samples); // mel.frames === 1 + Math.floor(samples.length / 160)
 */
export function computeLogMel(samples: Float32Array): MelFrames {
  const extractor = new MelExtractor();
  return concatMel([extractor.process(samples), extractor.flush()]);
}

export function concatMel(parts: MelFrames[]): MelFrames {
  const frames = parts.reduce((n, p) => n + p.frames, 0);
  const data = new Float32Array(frames * MEL_CONFIG.bands);
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  return { data, frames, bands: MEL_CONFIG.bands };
}

/** Periodic Hann (`scipy.signal.get_window('hann', 400, fftbins=True)`, librosa's default). */
const HANN = Float64Array.from(
  { length: MEL_CONFIG.windowLength },
  (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / MEL_CONFIG.windowLength),
);

const BANK: SparseBand[] = slaneyMelFilterbank(
  MEL_CONFIG.sampleRate,
  MEL_CONFIG.fftSize,
  MEL_CONFIG.bands,
  MEL_CONFIG.fMinHz,
  MEL_CONFIG.fMaxHz,
);
/** The sparse bank packed into flat arrays for the per-frame loop. */
const BANK_FIRST_BIN = Int32Array.from(BANK, (band) => band.firstBin);
const BANK_OFFSETS = new Int32Array(BANK.length + 1);
BANK.forEach((band, b) => {
  BANK_OFFSETS[b + 1] = (BANK_OFFSETS[b] as number) + band.weights.length;
});
const BANK_WEIGHTS = new Float64Array(BANK_OFFSETS[BANK.length] as number);
BANK.forEach((band, b) => {
  BANK_WEIGHTS.set(band.weights, BANK_OFFSETS[b] as number);
});

/**
 * Meyda's power spectrum |X_k|² of an already-windowed frame, bins 0..N/2-1 (Meyda leaves
 * out the Nyquist bin; the Slaney bank's top triangle ends there with weight 0, so no band
 * reads it). The frame is float64 so the quietest bands keep librosa's precision.
 */
export function powerSpectrum(windowed: Float64Array): Float32Array {
  Meyda.bufferSize = windowed.length;
  Meyda.sampleRate = MEL_CONFIG.sampleRate;
  // 'rect' (no window: the frame is already Hann-windowed) is supported at run time but
  // missing from Meyda's type union.
  Meyda.windowingFunction = 'rect' as typeof Meyda.windowingFunction;
  return Meyda.extract(
    'powerSpectrum',
    windowed as unknown as Float32Array,
  ) as unknown as Float32Array;
}

/** Meyda ships CommonJS with ESM-style typings: under NodeNext the default import is the module object. */
type MeydaApi = typeof import('meyda')['default'];
const Meyda: MeydaApi = ((meydaModule as unknown as { default?: MeydaApi }).default ??
  meydaModule) as MeydaApi;
