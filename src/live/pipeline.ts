import { type ControlsFrame, neutralFrame } from '../controls/index.ts';
import { LiveError } from './errors.ts';
import type { MotionPort } from './ports.ts';
import type { SpeechQueue } from './speech-queue.ts';

/** Samples of 16 kHz audio per 25 fps video frame (40 ms). */
export const SAMPLES_PER_FRAME = 640;
/** Samples the scheduler feeds per tick (20 ms: the WebRTC audio packet size). */
export const SAMPLES_PER_TICK = 320;

/** A frame whose Controls are ready, with the voice that belongs to it. */
export interface ReadyFrame {
  frameIndex: number;
  controls: ControlsFrame;
  /** The avatar's voice for this frame: 640 samples at 16 kHz (silence when not speaking). */
  voice: Float32Array;
  /** Whether the frame's 40 ms held real speech. */
  speech: boolean;
  /**
   * Arrival (`performance.now()`) of the audio at the frame's own instant (its first sample),
   * when that was real speech: the start of the audio-in → frame-out latency.
   */
  arrivalMs: number | undefined;
}

interface Pending {
  voice: Float32Array;
  filled: number;
  speech: boolean;
  arrivalMs: number | undefined;
}

/** Options of {@link LivePipeline}. */
export interface LivePipelineOptions {
  motion: MotionPort;
  speech: SpeechQueue;
  /** Whether microphone speech is voiced by the avatar (else it only drives the face). Default true. */
  echoMic?: boolean;
  /** Reshapes each frame's Controls before it leaves (the listener's pose); default none. */
  shape?: (controls: ControlsFrame, frameIndex: number) => ControlsFrame;
  /** Most frames the motion model may hold back (its look-ahead); more is a broken runtime and fails the session. Default 8 (320 ms; the contract is ≤ 80 ms). */
  maxPendingFrames?: number;
}

/**
 * The realtime core of a session: speech in 20 ms steps → motion → Controls, each ready
 * frame paired with the 40 ms of voice it shows (video frame k is the instant k × 40 ms,
 * like the motion model's frame k), so the voice can leave with the lips that say it: the
 * motion model's look-ahead delays both equally. Feeding 20 ms at a time lets a frame out as
 * soon as the model has its look-ahead, not at the next 40 ms boundary.
 *
 * Interrupt drops queued speech at once and silences the voice still in the look-ahead;
 * the motion model's own reset waits for the next frame boundary (≤ 20 ms) so that its
 * fresh frames stay on the 40 ms grid, and the frames it discards are replaced by holding
 * the last pose (silent), keeping the timeline whole. No timers, no I/O.
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
  readonly #shape: LivePipelineOptions['shape'];
  /** Frames fed to motion and not yet out of it, oldest first (the last may be partial). */
  readonly #pending: Pending[] = [];
  #samplesFed = 0;
  #outputFrames = 0;
  #held = 0;
  #speaking = false;
  #interruptPending = false;
  #last: ControlsFrame | undefined;

  constructor(options: LivePipelineOptions) {
    this.#motion = options.motion;
    this.#speech = options.speech;
    this.#echoMic = options.echoMic ?? true;
    this.#maxPending = options.maxPendingFrames ?? 8;
    this.#shape = options.shape;
  }

  /** Whole frames inside the motion look-ahead. */
  get pendingFrames(): number {
    return this.#pending.filter((p) => p.filled === SAMPLES_PER_FRAME).length;
  }

  /** Whether the last step held speech. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /**
   * Feeds the next `samples` (default 20 ms) of speech or silence; returns frames now ready.
   * `dueMs`: when these samples were due to enter (see {@link SpeechQueue.take}).
   */
  async advance(samples = SAMPLES_PER_TICK, dueMs?: number): Promise<ReadyFrame[]> {
    const out: ReadyFrame[] = [];
    if (this.#interruptPending && this.#samplesFed % SAMPLES_PER_FRAME === 0) {
      this.#applyInterrupt(out);
    }
    const block = this.#speech.take(samples, dueMs);
    this.#speaking = block.speechSamples > 0;
    const voiced = this.#speaking && (block.lane === 'queued' || this.#echoMic);
    this.#collectVoice(block.samples, voiced, block.firstArrivalMs);
    this.#samplesFed += samples;
    const controls = await this.#motion.process(block.samples);
    for (const c of controls) {
      const p = this.#pending.shift();
      if (!p) break; // a runtime returning more frames than it was fed: ignore the extra
      const frameIndex = this.#outputFrames++;
      const controls = this.#shape ? this.#shape(c, frameIndex) : c;
      this.#last = controls;
      out.push({ frameIndex, controls, ...this.#voiceOf(p) });
    }
    if (this.#pending.length > this.#maxPending) {
      throw new LiveError(
        'LIVE_PIPELINE_FAILED',
        `the motion runtime returned no frame for ${this.#pending.length} frames of audio (look-ahead must be ≤ 80 ms)`,
      );
    }
    return out;
  }

  /**
   * Stops speech now: drops queued and buffered input and silences the voice still inside
   * the look-ahead; the motion model resets at the next frame boundary. Returns the speech
   * dropped, ms.
   */
  interrupt(): number {
    let dropped = this.#speech.clear();
    for (const p of this.#pending) {
      if (p.speech) dropped += p.filled / 16;
      p.voice.fill(0);
      p.speech = false;
      p.arrivalMs = undefined;
    }
    this.#speaking = false;
    this.#interruptPending = true;
    return dropped;
  }

  toJSON(): {
    samplesFed: number;
    outputFrames: number;
    pendingFrames: number;
    heldFrames: number;
  } {
    return {
      samplesFed: this.#samplesFed,
      outputFrames: this.#outputFrames,
      pendingFrames: this.pendingFrames,
      heldFrames: this.#held,
    };
  }

  #applyInterrupt(out: ReadyFrame[]): void {
    this.#interruptPending = false;
    this.#motion.interrupt();
    // The model discarded the frames in its look-ahead: hold the last pose for them, silent.
    this.#last ??= neutralFrame();
    for (const p of this.#pending.splice(0)) {
      this.#held++;
      out.push({ frameIndex: this.#outputFrames++, controls: this.#last, ...this.#voiceOf(p) });
    }
  }

  #collectVoice(samples: Float32Array, voiced: boolean, arrivalMs: number | undefined): void {
    let offset = 0;
    while (offset < samples.length) {
      let p = this.#pending.at(-1);
      if (!p || p.filled === SAMPLES_PER_FRAME) {
        p = {
          voice: new Float32Array(SAMPLES_PER_FRAME),
          filled: 0,
          speech: false,
          // the frame's instant is its first sample: that sample's arrival starts the latency
          arrivalMs: this.#speaking ? arrivalMs : undefined,
        };
        this.#pending.push(p);
      }
      const n = Math.min(SAMPLES_PER_FRAME - p.filled, samples.length - offset);
      if (voiced) p.voice.set(samples.subarray(offset, offset + n), p.filled);
      if (this.#speaking) p.speech = true;
      p.filled += n;
      offset += n;
    }
  }

  #voiceOf(p: Pending): Pick<ReadyFrame, 'voice' | 'speech' | 'arrivalMs'> {
    return { voice: p.voice, speech: p.speech, arrivalMs: p.arrivalMs };
  }
}
