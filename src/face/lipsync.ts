import { computeLogMel, hzToMel, MEL_CONFIG, melToHz } from '../features/index.ts';

/**
 * Speech energy per 40 ms video frame: the 200–4000 Hz band power (dB) from facecast's own
 * log-mel, the crude audio side of a lip-sync check.
 *
 * @param samples 16 kHz mono audio.
 * @param frames  How many 25 fps frames to produce (missing audio gives −100 dB).
 */
export function speechEnvelopeDb(samples: Float32Array, frames: number): Float64Array {
  const mel = computeLogMel(samples);
  const lo = hzToMel(MEL_CONFIG.fMinHz);
  const hi = hzToMel(MEL_CONFIG.fMaxHz);
  const bands: number[] = [];
  for (let b = 0; b < MEL_CONFIG.bands; b++) {
    const centre = melToHz(lo + ((b + 1) * (hi - lo)) / (MEL_CONFIG.bands + 1));
    if (centre >= 200 && centre <= 4000) bands.push(b);
  }
  const hopsPerFrame = MEL_CONFIG.sampleRate / MEL_CONFIG.hopLength / 25;
  const out = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let power = 0;
    let count = 0;
    for (let h = f * hopsPerFrame; h < (f + 1) * hopsPerFrame && h < mel.frames; h++) {
      for (const b of bands) power += Math.exp(mel.data[h * MEL_CONFIG.bands + b] as number);
      count++;
    }
    out[f] = count > 0 ? 10 * Math.log10(Math.max(power / count, 1e-10)) : -100;
  }
  return out;
}

/** Centred 3-frame moving average; non-finite values are skipped. */
export function movingAverage3(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let sum = 0;
    let n = 0;
    for (let j = i - 1; j <= i + 1; j++) {
      const v = values[j];
      if (v !== undefined && Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    out[i] = n > 0 ? sum / n : Number.NaN;
  }
  return out;
}

/** Pearson r between x[t] and y[t + lag] over the frames where both are finite. */
export function laggedCorrelation(x: ArrayLike<number>, y: ArrayLike<number>, lag: number): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let t = 0; t < x.length; t++) {
    const u = x[t] as number;
    const v = y[t + lag];
    if (v === undefined || !Number.isFinite(u) || !Number.isFinite(v)) continue;
    n++;
    sx += u;
    sy += v;
    sxx += u * u;
    syy += v * v;
    sxy += u * v;
  }
  const cov = sxy - (sx * sy) / n;
  const vx = sxx - (sx * sx) / n;
  const vy = syy - (sy * sy) / n;
  return n > 2 && vx > 0 && vy > 0 ? cov / Math.sqrt(vx * vy) : Number.NaN;
}

/**
 * Lip-sync correlation of a mouth signal with the speech envelope, both smoothed over 3
 * frames: r at lag 0 and the best r over lags −maxLag…+maxLag frames (positive lag: the
 * mouth leads the audio).
 *
 * @example
 * const { r0 } = lipSyncCorrelation(jawOpenPerFrame, speechEnvelopeDb(samples, frames));
 */
export function lipSyncCorrelation(
  mouth: ArrayLike<number>,
  envelopeDb: ArrayLike<number>,
  maxLag = 6,
): { r0: number; best: number; lag: number } {
  const m = movingAverage3(mouth);
  const e = movingAverage3(envelopeDb);
  let best = Number.NEGATIVE_INFINITY;
  let at = 0;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const r = laggedCorrelation(m, e, lag);
    if (r > best) [best, at] = [r, lag];
  }
  return { r0: laggedCorrelation(m, e, 0), best, lag: at };
}
