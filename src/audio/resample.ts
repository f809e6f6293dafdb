/**
 * Streaming band-limited resampler (Kaiser-windowed sinc, polyphase over the exact
 * rational ratio). One implementation serves whole files and live chunks, so both paths
 * produce the same samples: feeding a signal in any chunking and calling `flush()` gives
 * exactly the output of one `process(all)` + `flush()`.
 *
 * Written here rather than taken from npm: the libraries we found are either WebAudio-bound
 * or not streaming with carried state, and this core is ~100 lines.
 */
export interface ResamplerOptions {
  /** Zero crossings of the sinc kernel on each side at the lower of the two rates. Default 16. */
  halfZeroCrossings?: number;
  /** Passband edge as a fraction of the lower Nyquist frequency. Default 0.94. */
  rolloff?: number;
  /** Kaiser window beta. Default 8.6 (about 80 dB stopband). */
  kaiserBeta?: number;
}

const DEFAULTS: Readonly<Required<ResamplerOptions>> = Object.freeze({
  halfZeroCrossings: 16,
  rolloff: 0.94,
  kaiserBeta: 8.6,
});

/** Above this many distinct phases the phase is quantised (unusual rate pairs only). */
const MAX_PHASES = 4096;

export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly #up: number;
  readonly #down: number;
  readonly #phaseCount: number;
  readonly #radius: number;
  readonly #taps: number;
  readonly #filters: (Float32Array | undefined)[];
  readonly #cutoff: number;
  readonly #beta: number;
  readonly #i0Beta: number;
  /** Input history: samples from absolute index `#historyStart`. */
  #history = new Float32Array(0);
  #historyStart = 0;
  #inputCount = 0;
  #outputIndex = 0;

  constructor(inputRate: number, outputRate: number, options: ResamplerOptions = {}) {
    if (
      !(
        Number.isInteger(inputRate) &&
        inputRate > 0 &&
        Number.isInteger(outputRate) &&
        outputRate > 0
      )
    ) {
      throw new RangeError(
        `sample rates must be positive integers (got ${inputRate} → ${outputRate})`,
      );
    }
    const o = { ...DEFAULTS, ...options };
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    const g = gcd(inputRate, outputRate);
    this.#up = outputRate / g;
    this.#down = inputRate / g;
    this.#phaseCount = Math.min(this.#up, MAX_PHASES);
    this.#cutoff = Math.min(1, outputRate / inputRate) * o.rolloff;
    this.#radius = Math.ceil(o.halfZeroCrossings / Math.min(1, outputRate / inputRate));
    this.#taps = 2 * this.#radius;
    this.#filters = new Array(this.#phaseCount);
    this.#beta = o.kaiserBeta;
    this.#i0Beta = besselI0(o.kaiserBeta);
  }

  /** Feeds samples; returns every output sample that can now be computed. */
  process(input: Float32Array): Float32Array {
    if (this.#up === this.#down) {
      this.#inputCount += input.length;
      return input.slice();
    }
    this.#append(input);
    return this.#emit(this.#inputCount);
  }

  /** Ends the stream: zero-pads the tail and returns the remaining output samples. */
  flush(): Float32Array {
    if (this.#up === this.#down) return new Float32Array(0);
    const total = Math.ceil((this.#inputCount * this.#up) / this.#down);
    const out = this.#emit(Number.POSITIVE_INFINITY, total);
    this.reset();
    return out;
  }

  reset(): void {
    this.#history = new Float32Array(0);
    this.#historyStart = 0;
    this.#inputCount = 0;
    this.#outputIndex = 0;
  }

  #append(input: Float32Array): void {
    // Keep only the samples that future outputs can still reach.
    const nextCenter = Math.floor((this.#outputIndex * this.#down) / this.#up);
    const keepFrom = Math.max(this.#historyStart, nextCenter - this.#radius + 1);
    const kept = this.#history.subarray(keepFrom - this.#historyStart);
    const merged = new Float32Array(kept.length + input.length);
    merged.set(kept, 0);
    merged.set(input, kept.length);
    this.#history = merged;
    this.#historyStart = keepFrom;
    this.#inputCount += input.length;
  }

  #emit(available: number, limit = Number.POSITIVE_INFINITY): Float32Array {
    const out: number[] = [];
    const history = this.#history;
    const start = this.#historyStart;
    for (;;) {
      const n = this.#outputIndex;
      if (n >= limit) break;
      const position = n * this.#down;
      const center = Math.floor(position / this.#up);
      if (center + this.#radius >= available && available !== Number.POSITIVE_INFINITY) break;
      const phase = position - center * this.#up;
      const filter = this.#filter(phase);
      const first = center - this.#radius + 1;
      let acc = 0;
      for (let j = 0; j < this.#taps; j++) {
        const k = first + j - start;
        if (k >= 0 && k < history.length) acc += (history[k] as number) * (filter[j] as number);
      }
      out.push(acc);
      this.#outputIndex = n + 1;
    }
    return Float32Array.from(out);
  }

  #filter(phase: number): Float32Array {
    const slot =
      this.#phaseCount === this.#up
        ? phase
        : Math.round((phase / this.#up) * (this.#phaseCount - 1));
    const cached = this.#filters[slot];
    if (cached) return cached;
    const fraction =
      this.#phaseCount === this.#up ? phase / this.#up : slot / (this.#phaseCount - 1);
    const taps = new Float32Array(this.#taps);
    let sum = 0;
    for (let j = 0; j < this.#taps; j++) {
      // Distance from the output instant to input sample (center - radius + 1 + j).
      const d = j - this.#radius + 1 - fraction;
      const x = d / this.#radius;
      const window =
        Math.abs(x) >= 1 ? 0 : besselI0(this.#beta * Math.sqrt(1 - x * x)) / this.#i0Beta;
      const value = this.#cutoff * sinc(this.#cutoff * d) * window;
      taps[j] = value;
      sum += value;
    }
    for (let j = 0; j < this.#taps; j++) taps[j] = (taps[j] as number) / sum;
    this.#filters[slot] = taps;
    return taps;
  }
}

/** Resamples a whole signal; identical to streaming it through a {@link Resampler}. */
export function resample(input: Float32Array, inputRate: number, outputRate: number): Float32Array {
  if (inputRate === outputRate) return input.slice();
  const r = new Resampler(inputRate, outputRate);
  const head = r.process(input);
  const tail = r.flush();
  const out = new Float32Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
