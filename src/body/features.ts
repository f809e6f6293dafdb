import { MEL_BANDS, type MelFrames } from '../features/index.ts';
import { BODY_AUDIO_FEATURES, BODY_MEL_GROUPS } from './layout.ts';

/** Mel hops (10 ms) per 25 fps video frame. */
const HOPS_PER_FRAME = 4;
const BANDS_PER_GROUP = MEL_BANDS / BODY_MEL_GROUPS;
/** The running loudness peak falls this many dB per frame (5 dB/s) when the speech gets quieter. */
const PEAK_DECAY_DB = 0.2;
/** Loudness is measured down to this many dB below the running peak. */
const RANGE_DB = 40;
/**
 * The running peak never falls below this (dB of mean mel power; speech measures about −30 to
 * 0 dB, room noise below −40), so silence before the first word reads as silent, not as loud.
 */
const PEAK_FLOOR_DB = -35;

/**
 * Audio features of the body model, one row of {@link BODY_AUDIO_FEATURES} per 40 ms video
 * frame, computed causally from facecast's log-mel (src/features), so the offline and a
 * streaming caller get the same values:
 *
 * - loudness: mean mel power of the frame's 4 hops in dB below a running peak (which falls
 *   5 dB/s, never below −35 dB), mapped from [−40, 0] dB to [0, 1] — level-independent above
 *   the floor, so a quiet recording gestures like a loud one;
 * - onset: the rise of that loudness since the previous frame (dB / 10, ≥ 0): stressed
 *   syllables start with the largest rises;
 * - 16 pooled mel bands minus the frame's mean log power (spectral shape: voicing, fricatives).
 */
export class BodyFeatures {
  #peakDb = Number.NEGATIVE_INFINITY;
  #previousDb: number | undefined;
  /** Mel hops of a video frame not yet complete (fewer than 4). */
  readonly #pending = new Float32Array(HOPS_PER_FRAME * MEL_BANDS);
  #pendingHops = 0;

  /** Features of every video frame the new mel hops complete (streaming; rows of BODY_AUDIO_FEATURES). */
  push(mel: MelFrames): Float32Array {
    const complete = Math.floor((this.#pendingHops + mel.frames) / HOPS_PER_FRAME);
    const out = new Float32Array(complete * BODY_AUDIO_FEATURES);
    let row = 0;
    for (let h = 0; h < mel.frames; h++) {
      this.#pending.set(
        mel.data.subarray(h * MEL_BANDS, (h + 1) * MEL_BANDS),
        this.#pendingHops * MEL_BANDS,
      );
      this.#pendingHops++;
      if (this.#pendingHops === HOPS_PER_FRAME) {
        this.#frame(this.#pending, HOPS_PER_FRAME, out, row++);
        this.#pendingHops = 0;
      }
    }
    return out;
  }

  /** Ends the stream: the last, partial frame (if any hops are left); then resets. */
  end(): Float32Array {
    const out = new Float32Array(this.#pendingHops > 0 ? BODY_AUDIO_FEATURES : 0);
    if (this.#pendingHops > 0) this.#frame(this.#pending, this.#pendingHops, out, 0);
    this.#peakDb = Number.NEGATIVE_INFINITY;
    this.#previousDb = undefined;
    this.#pendingHops = 0;
    return out;
  }

  /** Features of `frames` video frames of a whole log-mel (missing hops count as silence). */
  process(mel: MelFrames, frames: number): Float32Array {
    const out = new Float32Array(frames * BODY_AUDIO_FEATURES);
    for (let f = 0; f < frames; f++) {
      const first = Math.min(f * HOPS_PER_FRAME, mel.frames);
      const last = Math.min((f + 1) * HOPS_PER_FRAME, mel.frames);
      this.#frame(mel.data.subarray(first * MEL_BANDS, last * MEL_BANDS), last - first, out, f);
    }
    return out;
  }

  #frame(data: Float32Array, hops: number, out: Float32Array, row: number): void {
    const groups = new Float64Array(BODY_MEL_GROUPS);
    let power = 0;
    for (let h = 0; h < hops; h++) {
      for (let b = 0; b < MEL_BANDS; b++) {
        const v = data[h * MEL_BANDS + b] as number;
        power += Math.exp(v);
        const g = Math.floor(b / BANDS_PER_GROUP);
        groups[g] = (groups[g] as number) + v;
      }
    }
    const meanPower = hops > 0 ? Math.max(power / (hops * MEL_BANDS), 1e-10) : 1e-10;
    const db = 10 * Math.log10(meanPower);
    this.#peakDb = Math.max(db, this.#peakDb - PEAK_DECAY_DB, PEAK_FLOOR_DB);
    const loud = clamp((db - this.#peakDb + RANGE_DB) / RANGE_DB, 0, 1);
    const onset = this.#previousDb === undefined ? 0 : Math.max(0, db - this.#previousDb) / 10;
    this.#previousDb = db;
    const o = row * BODY_AUDIO_FEATURES;
    out[o] = loud;
    out[o + 1] = Math.min(onset, 3);
    const meanLog = Math.log(meanPower);
    for (let g = 0; g < BODY_MEL_GROUPS; g++) {
      const mean = hops > 0 ? (groups[g] as number) / (hops * BANDS_PER_GROUP) : -23;
      out[o + 2 + g] = clamp((mean - meanLog) / 5, -4, 4);
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
