import { AUDIO_PIECE_SAMPLES, fixedPieces, openAudio } from '../audio/index.ts';
import {
  ARKIT_BLENDSHAPES,
  type BlendshapeName,
  type ControlsFrame,
  type ControlsSequence,
  FRAME_DURATION_MS,
} from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from '../face/index.ts';
import type { MotionModel } from '../motion/index.ts';
import { AUDIO_DRIVEN } from './merge.ts';
import { CLOSED_GAP_CM } from './mouth-fit.ts';

const DRIVEN_INDEX = Int32Array.from(AUDIO_DRIVEN, (n) => ARKIT_BLENDSHAPES.indexOf(n));
const D = DRIVEN_INDEX.length;

/**
 * What the amplitude match scales: the jaw. (Scaling the lips' own raise and drop too
 * pushed the upper lip into the nasolabial fold on a wide, smiling speaker.)
 */
const OPENING: readonly BlendshapeName[] = ['jawOpen'];
const OPENING_SLOT = Int32Array.from(OPENING, (n) => AUDIO_DRIVEN.indexOf(n));

/**
 * The new mouth over the whole audio: the audio-driven weights of every 25 fps frame (22
 * floats a frame, ~2 KB per second), computed once up front — from the motion model on the
 * new audio (streamed, bounded memory) or from given Controls — so the mouth's amplitude can
 * be matched to the speaker's before rendering.
 */
export class MouthTrack {
  readonly #rows: Float32Array;
  /** 25 fps frames. */
  readonly frames: number;
  /** Wall time spent decoding the audio and in the motion model, ms. */
  readonly timingsMs: { decode: number; motion: number };
  #scale = 1;
  /** Per scaled shape, its resting value (5th percentile over the audio): scaling pivots there. */
  readonly #rest = new Float64Array(OPENING_SLOT.length);

  private constructor(rows: Float32Array, timingsMs: { decode: number; motion: number }) {
    this.#rows = rows;
    this.frames = rows.length / D;
    this.timingsMs = timingsMs;
  }

  /**
   * Runs the motion model over the audio (raw mouth: no idle life): a file, decoded streaming,
   * or samples already decoded (16 kHz mono, e.g. kept by the input check). Either way the
   * model gets the audio in pieces of AUDIO_PIECE_SAMPLES, so the track does not depend on
   * how the decoder happened to cut it (the model's batches change its float sums).
   */
  static async fromAudio(
    model: MotionModel,
    audio: string | Float32Array,
    options: { maxDurationMs?: number; signal?: AbortSignal } = {},
  ): Promise<MouthTrack> {
    const { signal } = options;
    const timings = { decode: 0, motion: 0 };
    const chunks =
      typeof audio === 'string'
        ? await openAudio(audio, {
            signal,
            ...(options.maxDurationMs ? { maxDurationMs: options.maxDurationMs } : {}),
          })
        : [audio];
    const stream = model.createStream({ idle: false });
    const parts: Float32Array[] = [];
    const keep = (frames: ControlsFrame[]) => parts.push(drivenRows(frames));
    try {
      const pieces = fixedPieces(chunks, AUDIO_PIECE_SAMPLES)[Symbol.asyncIterator]();
      for (;;) {
        throwIfAborted(signal);
        let t = performance.now();
        const next = await pieces.next();
        timings.decode += performance.now() - t;
        t = performance.now();
        if (next.done) {
          keep((await stream.flush({ signal })).frames);
          timings.motion += performance.now() - t;
          break;
        }
        keep((await stream.process({ pcm: next.value }, { signal })).frames);
        timings.motion += performance.now() - t;
      }
    } finally {
      stream.close();
    }
    const rows = concat(parts);
    if (rows.length === 0) throw new RangeError('the audio produced no motion frames');
    return new MouthTrack(rows, timings);
  }

  /** The mouth of given Controls (e.g. a face-capture CSV or another video's track). */
  static fromControls(sequence: ControlsSequence): MouthTrack {
    if (sequence.frames.length === 0) throw new RangeError('the Controls sequence has no frames');
    return new MouthTrack(drivenRows(sequence.frames), { decode: 0, motion: 0 });
  }

  /**
   * The mouth's opening per frame as an inner-lip gap over the eye distance, on the model's
   * closed neutral (the gap is linear in the weights): comparable with the same measure taken
   * on the source's landmarks.
   */
  openings(model: FaceModel): Float64Array {
    const coefficient = new Float64Array(D);
    const upper = model.sets.lipsUpperInner;
    const lower = model.sets.lipsLowerInner;
    const n3 = FACE_VERTEX_COUNT * 3;
    DRIVEN_INDEX.forEach((k, slot) => {
      let sum = 0;
      for (let p = 1; p + 1 < upper.length; p++) {
        sum +=
          (model.basis[k * n3 + (lower[p] as number) * 3 + 1] as number) -
          (model.basis[k * n3 + (upper[p] as number) * 3 + 1] as number);
      }
      coefficient[slot] = sum / (upper.length - 2);
    });
    const out = new Float64Array(this.frames);
    for (let f = 0; f < this.frames; f++) {
      let gap = CLOSED_GAP_CM;
      for (let slot = 0; slot < D; slot++) {
        gap += (this.#rows[f * D + slot] as number) * (coefficient[slot] as number);
      }
      out[f] = Math.max(0, gap) / model.interOcularCm;
    }
    return out;
  }

  /**
   * Scales the jaw from now on, about its resting value (the 5th percentile over the audio,
   * e.g. the model's silence), so pauses stay as closed as the model makes them.
   */
  setOpeningScale(scale: number): void {
    this.#scale = scale;
    OPENING_SLOT.forEach((slot, i) => {
      const values = Array.from(
        { length: this.frames },
        (_, f) => this.#rows[f * D + slot] as number,
      );
      values.sort((a, b) => a - b);
      this.#rest[i] = values[Math.floor(0.05 * (values.length - 1))] ?? 0;
    });
  }

  get openingScale(): number {
    return this.#scale;
  }

  /**
   * Writes the audio-driven weights at `timeMs` into `out` (52, ARKit order; other entries
   * untouched), interpolated between 25 fps frames; past the end the last frame holds.
   */
  weightsAt(timeMs: number, out: Float32Array): Float32Array {
    const last = this.frames - 1;
    const position = Math.min(last, Math.max(0, timeMs / FRAME_DURATION_MS));
    const i = Math.floor(position);
    const j = Math.min(last, i + 1);
    const f = position - i;
    for (let slot = 0; slot < D; slot++) {
      const a = this.#rows[i * D + slot] as number;
      const b = this.#rows[j * D + slot] as number;
      out[DRIVEN_INDEX[slot] as number] = a + f * (b - a);
    }
    if (this.#scale !== 1) {
      OPENING_SLOT.forEach((slot, i) => {
        const k = DRIVEN_INDEX[slot] as number;
        const rest = this.#rest[i] as number;
        out[k] = Math.min(1, Math.max(0, rest + this.#scale * ((out[k] as number) - rest)));
      });
    }
    return out;
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function drivenRows(frames: ControlsFrame[]): Float32Array {
  const rows = new Float32Array(frames.length * D);
  frames.forEach((frame, f) => {
    AUDIO_DRIVEN.forEach((name, slot) => {
      rows[f * D + slot] = frame.blendshapes[name];
    });
  });
  return rows;
}

/**
 * How much to scale the new mouth's opening so that it moves as much as this speaker's: the
 * ratio of the lip gap's 10th–90th percentile ranges, the source's (its own speech, from the
 * landmarks) over the new mouth's, within [0.75, 2] (a source that barely speaks does not shut
 * the new mouth; a wide speaker does not make it gape). 1 when either side has no frames or
 * the new mouth does not move (silence). Applied about the jaw's resting value.
 */
export function openingScale(sourceGaps: ArrayLike<number>, newGaps: ArrayLike<number>): number {
  const range = (values: ArrayLike<number>) => {
    const sorted = Array.from(values)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    if (sorted.length === 0) return Number.NaN;
    const at = (p: number) => sorted[Math.floor(p * (sorted.length - 1))] as number;
    return at(0.9) - at(0.1);
  };
  const wanted = range(sourceGaps);
  const have = range(newGaps);
  if (!(have > 1e-4) || !Number.isFinite(wanted)) return 1;
  return Math.min(2, Math.max(0.75, wanted / have));
}
