import type { ControlsFrame } from '../controls/index.ts';
import type { MotionPort } from './ports.ts';
import type { SpeechQueue } from './speech-queue.ts';

/** Samples of 16 kHz audio per 25 fps frame. */
export const SAMPLES_PER_FRAME = 640;

/** A frame whose Controls are ready, with the voice that belongs to it. */
export interface ReadyFrame {
  frameIndex: number;
  controls: ControlsFrame;
  /** The avatar's voice for this frame: 640 samples at 16 kHz (silence when not speaking). */
  voice: Float32Array;
  /** Whether the frame's 40 ms held real speech. */
  speech: boolean;
  /** Arrival time of the frame's last speech sample (`performance.now()`), if any. */
  arrivalMs: number | undefined;
}

interface Pending {
  voice: Float32Array;
  speech: boolean;
  arrivalMs: number | undefined;
}

/** Options of {@link LivePipeline}. */
export interface LivePipelineOptions {
  motion: MotionPort;
  speech: SpeechQueue;
  /** Whether microphone speech is voiced by the avatar (else it only drives the face). Default true. */
  echoMic?: boolean;
  /** Most frames waiting for the motion model's look-ahead; older ones are dropped. Default 8. */
  maxPendingFrames?: number;
}

/**
 * The realtime core of a session, one frame at a time: speech block → motion → Controls,
 * each ready frame paired with the audio it was computed from, so the voice leaves with the
 * lips that say it (the motion model's look-ahead delays both equally). No timers, no I/O:
 * the scheduler calls {@link advance} once per due frame.
 *
 * @example
 * const pipeline = new LivePipeline({ motion, speech });
 * for (const frame of await pipeline.advance()) render(frame.controls);
 */
export class LivePipeline {
  readonly #motion: MotionPort;
  readonly #speech: SpeechQueue;
  readonly #echoMic: boolean;
  readonly #maxPending: number;
  readonly #pending: Pending[] = [];
  #inputFrames = 0;
  #outputFrames = 0;
  #droppedPending = 0;
  #speaking = false;

  constructor(options: LivePipelineOptions) {
    this.#motion = options.motion;
    this.#speech = options.speech;
    this.#echoMic = options.echoMic ?? true;
    this.#maxPending = options.maxPendingFrames ?? 8;
  }

  /** Frames taken in but not yet out of the motion model (its look-ahead). */
  get pendingFrames(): number {
    return this.#pending.length;
  }

  /** Whether the last frame taken in held speech. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** Takes one frame of speech (or silence) and returns the frames that became ready. */
  async advance(): Promise<ReadyFrame[]> {
    const block = this.#speech.take(SAMPLES_PER_FRAME);
    const speech = block.speechSamples > 0;
    this.#speaking = speech;
    const voiced = speech && (block.lane === 'queued' || this.#echoMic);
    this.#pending.push({
      voice: voiced ? block.samples : new Float32Array(SAMPLES_PER_FRAME),
      speech,
      arrivalMs: block.arrivalMs,
    });
    this.#inputFrames++;
    if (this.#pending.length > this.#maxPending) {
      this.#pending.shift();
      this.#droppedPending++;
      this.#outputFrames++; // that frame index is gone
    }
    const controls = await this.#motion.process(block.samples);
    const out: ReadyFrame[] = [];
    for (const c of controls) {
      const p = this.#pending.shift();
      if (!p) break; // a runtime returning more frames than it was fed: ignore the extra
      out.push({
        frameIndex: this.#outputFrames++,
        controls: c,
        voice: p.voice,
        speech: p.speech,
        arrivalMs: p.arrivalMs,
      });
    }
    return out;
  }

  /**
   * Stops speech now: drops queued and buffered input, silences frames still inside the
   * motion look-ahead, and resets the motion model's speech state. Returns the dropped
   * speech, ms.
   */
  interrupt(): number {
    let dropped = this.#speech.clear();
    for (const p of this.#pending) {
      if (p.speech) dropped += SAMPLES_PER_FRAME / 16;
      p.voice = new Float32Array(SAMPLES_PER_FRAME);
      p.speech = false;
      p.arrivalMs = undefined;
    }
    this.#speaking = false;
    this.#motion.interrupt();
    return dropped;
  }

  toJSON(): {
    inputFrames: number;
    outputFrames: number;
    pendingFrames: number;
    droppedPending: number;
  } {
    return {
      inputFrames: this.#inputFrames,
      outputFrames: this.#outputFrames,
      pendingFrames: this.#pending.length,
      droppedPending: this.#droppedPending,
    };
  }
}
