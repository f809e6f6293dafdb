import type { ControlsFrame } from '../controls/index.ts';
import { MelExtractor } from '../features/index.ts';
import { accentFrames, BeatAccent } from './accent.ts';
import { writeInputRow } from './animate.ts';
import { addBodyRows } from './channels.ts';
import { BodyError } from './errors.ts';
import { BodyFeatures } from './features.ts';
import { BODY_AUDIO_FEATURES, BODY_INPUT_COUNT } from './layout.ts';
import type { BodyModel } from './model.ts';
import { BodyNoise } from './noise.ts';
import { TorsoSway } from './sway.ts';

/** Options of a {@link BodyStream}. */
export interface BodyStreamOptions {
  /** Seed of the noise inputs and the sway. Default 1. */
  seed?: number;
  /** Add the torso sway (src/body/sway.ts). Default true. */
  sway?: boolean;
  /**
   * Add the beat accent (src/body/accent.ts). Default true; it needs the next frame's audio,
   * so frames are held one frame (40 ms) longer.
   */
  accent?: boolean;
}

/**
 * The body stage for streams: audio chunks in, and Controls frames (from the motion stream)
 * completed with the upper body as soon as the audio under them has arrived. Chunk by chunk
 * it gives exactly what {@link animateBody} gives on the whole audio (the GRU state is
 * carried between calls).
 *
 * @example
 * const body = new BodyStream(model, { seed: 3 });
 * body.pushAudio(pcm);
 * const ready = await body.process(motionFrames);
 * body.endAudio();
 * const rest = await body.process([]);
 */
export class BodyStream {
  readonly #model: BodyModel;
  readonly #mel = new MelExtractor();
  readonly #features = new BodyFeatures();
  readonly #noise: BodyNoise;
  readonly #sway: TorsoSway | undefined;
  readonly #accent: BeatAccent | undefined;
  #featureRows = new Float32Array(0);
  #featureCount = 0;
  #state: Float32Array | undefined;
  #next = 0;
  #ended = false;
  #closed = false;
  readonly #held: ControlsFrame[] = [];

  constructor(model: BodyModel, options: BodyStreamOptions = {}) {
    this.#model = model;
    const seed = options.seed ?? 1;
    this.#noise = new BodyNoise(seed);
    this.#sway = options.sway === false ? undefined : new TorsoSway(seed);
    this.#accent = options.accent === false ? undefined : new BeatAccent(seed);
  }

  /** Adds 16 kHz mono speech. */
  pushAudio(pcm: Float32Array): void {
    this.#assertOpen();
    if (this.#ended) throw new BodyError('BODY_BAD_INPUT', 'audio pushed after endAudio()');
    if (!pcm.every(Number.isFinite))
      throw new BodyError('BODY_BAD_INPUT', 'audio samples must be finite');
    this.#append(this.#features.push(this.#mel.process(pcm)));
  }

  /** No more audio: frames past its end count as silence. */
  endAudio(): void {
    this.#assertOpen();
    if (this.#ended) return;
    this.#append(this.#features.push(this.#mel.flush()));
    this.#append(this.#features.end());
    this.#ended = true;
  }

  /**
   * Takes the next frames (in order) and returns, in order, those whose audio has arrived
   * (all of them after {@link endAudio}) with their body channels added; the rest are held.
   */
  async process(
    frames: readonly ControlsFrame[],
    options: { signal?: AbortSignal } = {},
  ): Promise<ControlsFrame[]> {
    this.#assertOpen();
    this.#held.push(...frames);
    const lookAhead = this.#accent ? 1 : 0;
    const ready = this.#ended
      ? this.#held.length
      : Math.min(this.#held.length, this.#featureCount - this.#next - lookAhead);
    if (ready <= 0) return [];
    const batch = this.#held.splice(0, ready);
    const inputs = new Float32Array(ready * BODY_INPUT_COUNT);
    batch.forEach((frame, k) => {
      const f = this.#next + k;
      const known = f < this.#featureCount ? this.#featureRows : undefined;
      writeInputRow(inputs, k * BODY_INPUT_COUNT, frame, known, f, this.#noise);
    });
    const { rows, state } = await this.#model.continue(inputs, ready, this.#state, options);
    this.#state = state;
    addBodyRows(batch, rows);
    if (this.#accent)
      accentFrames(this.#accent, batch, this.#featureRows, this.#next, this.#featureCount);
    if (this.#sway) {
      batch.forEach((frame, k) => {
        const f = this.#next + k;
        this.#sway?.apply(
          frame,
          f < this.#featureCount ? this.#featureRows : undefined,
          f * BODY_AUDIO_FEATURES,
        );
      });
    }
    this.#next += ready;
    this.#dropConsumed();
    return batch;
  }

  /** Forgets the feature rows of frames already done (a live stream runs for hours). */
  #dropConsumed(): void {
    const done = Math.min(this.#next, this.#featureCount);
    if (done < 256) return;
    this.#featureRows.copyWithin(
      0,
      done * BODY_AUDIO_FEATURES,
      this.#featureCount * BODY_AUDIO_FEATURES,
    );
    this.#featureCount -= done;
    this.#next -= done;
  }

  /** Stops the stream (the model is the caller's). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#held.length = 0;
  }

  #append(rows: Float32Array): void {
    if (rows.length === 0) return;
    const needed = this.#featureCount * BODY_AUDIO_FEATURES + rows.length;
    if (needed > this.#featureRows.length) {
      const grown = new Float32Array(Math.max(needed, this.#featureRows.length * 2));
      grown.set(this.#featureRows.subarray(0, this.#featureCount * BODY_AUDIO_FEATURES));
      this.#featureRows = grown;
    }
    this.#featureRows.set(rows, this.#featureCount * BODY_AUDIO_FEATURES);
    this.#featureCount += rows.length / BODY_AUDIO_FEATURES;
  }

  #assertOpen(): void {
    if (this.#closed) throw new BodyError('BODY_CLOSED', 'the body stream is closed');
  }
}
