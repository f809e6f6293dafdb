/**
 * What the live pipeline needs from the other stages, as small interfaces: the motion
 * runtime, the renderer, TTS. `stages.ts` binds them to the real src/motion, src/render,
 * src/face and src/tts; unit tests of the scheduler bind tiny deterministic doubles.
 */
import type { ControlsFrame } from '../controls/index.ts';

/** Streaming speech → Controls for one session (state kept between calls). */
export interface MotionPort {
  /**
   * Takes the next 16 kHz mono samples (silence included: it drives idle life) and returns
   * the Controls frames that became ready, in order, one per 40 ms of input once primed.
   * A runtime with look-ahead returns frames later than their audio (at most 2 frames).
   */
  process(samples: Float32Array): ControlsFrame[] | Promise<ControlsFrame[]>;
  /** Drops the speech state (mouth returns to rest through idle life). */
  interrupt(): void;
  /** Releases inference state. Idempotent. */
  close(): void | Promise<void>;
}

/** One RGB24 frame (`width * height * 3` bytes, row-major). May be a reused buffer. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Controls → picture, for one avatar at one size. */
export interface RenderPort {
  readonly width: number;
  readonly height: number;
  /**
   * Renders one frame. Synchronous on the calling thread, or a promise (a worker thread);
   * the scheduler never has two renders of one session in flight, and the returned buffer
   * only needs to stay valid until the next call.
   */
  render(controls: ControlsFrame): RgbFrame | Promise<RgbFrame>;
  close(): void | Promise<void>;
}

/** The per-session stages for one avatar. */
export interface SessionStages {
  motion: MotionPort;
  renderer: RenderPort;
}

/** Text → 16 kHz mono speech. */
export interface SpeechPort {
  synthesize(
    text: string,
    options: { voice?: string; signal?: AbortSignal },
  ): Promise<Float32Array>;
  /** The same speech in pieces as the engine produces them (streaming TTS); optional. */
  stream?(
    text: string,
    options: { voice?: string; signal?: AbortSignal },
  ): AsyncIterable<Float32Array>;
}

/** Opens the stages of a session. Throws `LIVE_AVATAR_NOT_FOUND` for an unknown avatar. */
export interface StageFactory {
  open(
    avatarId: string,
    options: { size: number; seed: number },
    context: { signal?: AbortSignal },
  ): Promise<SessionStages>;
  /** TTS for `text` messages; absent when no provider is installed. */
  readonly speech?: SpeechPort;
}
