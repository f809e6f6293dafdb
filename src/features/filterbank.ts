/**
 * Mel filterbank with the same definition as librosa's default (`htk=False`,
 * `norm='slaney'`): Slaney's mel scale (linear below 1 kHz, logarithmic above), triangles
 * on exact FFT-bin frequencies, each scaled to unit area. Stored sparsely: each band keeps
 * only its non-zero bins.
 *
 * Meyda's own `melBands` differs by design (HTK mel scale, triangle edges floored to FFT
 * bins, unnormalised, and `log(1 + x)` computed in float32, which rounds quiet bands to 0),
 * so facecast takes the power spectrum and applies this bank; see docs/stages/features.md.
 */
export interface SparseBand {
  firstBin: number;
  weights: Float64Array;
}

export function slaneyMelFilterbank(
  sampleRate: number,
  fftSize: number,
  bands: number,
  fMinHz: number,
  fMaxHz: number,
): SparseBand[] {
  const bins = fftSize / 2 + 1;
  const fftFreqs = Array.from({ length: bins }, (_, k) => (k * sampleRate) / fftSize);
  const melMin = hzToMel(fMinHz);
  const melMax = hzToMel(fMaxHz);
  const melFreqs = Array.from({ length: bands + 2 }, (_, i) =>
    melToHz(melMin + ((melMax - melMin) * i) / (bands + 1)),
  );
  const result: SparseBand[] = [];
  for (let b = 0; b < bands; b++) {
    const lo = melFreqs[b] as number;
    const mid = melFreqs[b + 1] as number;
    const hi = melFreqs[b + 2] as number;
    const norm = 2 / (hi - lo);
    const dense = fftFreqs.map(
      (f) => Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid))) * norm,
    );
    let first = dense.findIndex((w) => w > 0);
    let last = dense.length - 1 - [...dense].reverse().findIndex((w) => w > 0);
    if (first < 0) {
      first = 0;
      last = -1;
    }
    result.push({ firstBin: first, weights: Float64Array.from(dense.slice(first, last + 1)) });
  }
  return result;
}

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

export function hzToMel(hz: number): number {
  return hz < MIN_LOG_HZ ? hz / F_SP : MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP;
}

export function melToHz(mel: number): number {
  return mel < MIN_LOG_MEL ? mel * F_SP : MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL));
}
