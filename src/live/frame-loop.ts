import { FrameClock } from './frame-clock.ts';
import type { LivePipeline, ReadyFrame } from './pipeline.ts';
import type { RenderPort, RgbFrame } from './ports.ts';
import type { LiveStats } from './stats.ts';

/** Where the loop's output goes (the session's {@link MediaOutput}). */
export interface FrameSink {
  /** The voice of one frame (16 kHz); returns audio packets sent. */
  sendVoice(samples16k: Float32Array): number;
  /** One picture; false when the encoder is busy (the frame is dropped). Called after the voices of frames up to it. */
  sendFrame(frame: RgbFrame, frameIndex: number): boolean;
}

interface HeldVoice {
  frameIndex: number;
  voice: Float32Array;
  readyAt: number;
}

/** Options of {@link FrameLoop}. */
export interface FrameLoopOptions {
  pipeline: LivePipeline;
  renderer: RenderPort;
  sink: FrameSink;
  stats: LiveStats;
  /** Audio step of the clock, ms: each tick feeds this much speech. Default 20 (video frames, 40 ms, come out every other tick). */
  tickMs?: number;
  /** Most ticks computed at once before yielding to the event loop. Default 10. */
  maxBatchTicks?: number;
  /**
   * A frame's voice waits for its picture so both leave together (the receiver's A/V sync
   * maps each track's RTP time to its send time); voice older than this goes out anyway,
   * so a stalled renderer never silences the avatar, ms. Default 80.
   */
  maxVoiceHoldMs?: number;
  /** Called after each tick with whether the avatar is speaking. */
  onSpeaking?: (speaking: boolean) => void;
  /** A frame that went to the encoder, with its speech arrival time (for latency). */
  onFrameQueued?: (frame: ReadyFrame) => void;
  /** A stage threw: the loop has stopped. */
  onError: (error: unknown) => void;
}

/**
 * The realtime scheduler: a clock of 20 ms ticks (the 25 fps video frame is two ticks).
 * Each tick claims every step due by the {@link FrameClock} (a late tick claims the missed
 * ones too) and feeds their speech to the pipeline. Of the frames that come out, only the
 * newest is rendered (the renderer may be async, e.g. a worker thread; one render at a time,
 * one frame waiting, older ones dropped and counted): latency stays bounded and nothing
 * queues up. Every frame's voice is sent — with its picture, or after `maxVoiceHoldMs` when
 * its picture was dropped or is late — so the audio never has holes. Timers: one
 * `setTimeout` at a time, aimed at the next tick's due time.
 *
 * @example
 * const loop = new FrameLoop({ pipeline, renderer, sink: output, stats, onError });
 * loop.start();
 * loop.stop();
 */
export class FrameLoop {
  readonly #o: FrameLoopOptions;
  #clock: FrameClock | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #ticks = 0;
  #busy = false;
  /** Voices of frames whose picture has not left yet, oldest first. */
  readonly #voices: HeldVoice[] = [];
  /** A render in progress, and the newest frame waiting for it (older waiting ones are dropped). */
  #rendering = false;
  #nextPicture: ReadyFrame | undefined;

  constructor(options: FrameLoopOptions) {
    this.#o = options;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Index of the next tick the clock will claim. */
  get nextTick(): number {
    return this.#clock?.nextFrame ?? 0;
  }

  /** Starts the clock now (tick 0 is due at once). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#clock = new FrameClock({
      startMs: performance.now(),
      fps: 1000 / (this.#o.tickMs ?? 20),
      maxBatchFrames: this.#o.maxBatchTicks ?? 10,
    });
    this.#schedule(0);
  }

  /** Stops ticking (a tick in progress finishes its frame but schedules nothing). Idempotent. */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Zeroes the voices still waiting for their picture (an interrupt: the audio stops at once,
   * while the pictures already on their way still leave); returns how many.
   */
  silenceHeldVoices(): number {
    for (const v of this.#voices) v.voice.fill(0);
    return this.#voices.length;
  }

  /** Frames whose voice waits for their picture. */
  get heldVoices(): number {
    return this.#voices.length;
  }

  /** Whether a timer is pending (for resource checks). */
  get hasTimer(): boolean {
    return this.#timer !== undefined;
  }

  toJSON(): { ticks: number; nextTick: number; running: boolean } {
    return { ticks: this.#ticks, nextTick: this.nextTick, running: this.#running };
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick().catch((error) => {
        if (!this.#running) return;
        this.stop();
        this.#o.onError(error);
      });
    }, delayMs);
  }

  async #tick(): Promise<void> {
    const clock = this.#clock;
    if (!clock || !this.#running || this.#busy) return;
    this.#busy = true;
    this.#ticks++;
    let behind = 0;
    try {
      const due = clock.due(performance.now());
      behind = due.behind;
      const ready: ReadyFrame[] = [];
      const samples = 16 * (this.#o.tickMs ?? 20);
      for (let i = 0; i < due.count; i++) {
        // tick k plays the audio that ends at tick k + 1's due time
        const dueMs = clock.dueAt(due.first + i) - (this.#o.tickMs ?? 20);
        ready.push(...(await this.#o.pipeline.advance(samples, dueMs)));
      }
      if (!this.#running) return;
      this.#o.onSpeaking?.(this.#o.pipeline.speaking);
      this.#emit(ready);
      this.#flushVoices(undefined, performance.now() - (this.#o.maxVoiceHoldMs ?? 80));
    } finally {
      this.#busy = false;
    }
    this.#schedule(behind > 0 ? 0 : Math.max(0, clock.nextDueMs - performance.now()));
  }

  /**
   * Queues every frame's voice and hands the newest frame to the renderer. One render runs
   * at a time; while it runs, only the newest waiting frame is kept (drop-oldest, counted).
   */
  #emit(ready: ReadyFrame[]): void {
    const now = performance.now();
    for (const f of ready)
      this.#voices.push({ frameIndex: f.frameIndex, voice: f.voice, readyAt: now });
    const newest = ready.at(-1);
    if (!newest) return;
    let dropped = ready.length - 1;
    if (this.#rendering) {
      if (this.#nextPicture) dropped++;
      this.#nextPicture = newest;
    } else {
      this.#render(newest);
    }
    this.#o.stats.framesDroppedBy(dropped);
  }

  #render(frame: ReadyFrame): void {
    this.#rendering = true;
    let picture: RgbFrame | Promise<RgbFrame>;
    try {
      picture = this.#o.renderer.render(frame.controls);
    } catch (error) {
      this.#rendering = false;
      throw error;
    }
    const send = (rgb: RgbFrame) => {
      this.#rendering = false;
      if (!this.#running) return;
      this.#flushVoices(frame.frameIndex, Number.NEGATIVE_INFINITY);
      if (this.#o.sink.sendFrame(rgb, frame.frameIndex)) this.#o.onFrameQueued?.(frame);
      else this.#o.stats.framesDroppedBy(1);
      const next = this.#nextPicture;
      this.#nextPicture = undefined;
      if (next) this.#render(next);
    };
    if (!(picture instanceof Promise)) {
      send(picture);
      return;
    }
    picture.then(send, (error: unknown) => {
      this.#rendering = false;
      if (!this.#running) return;
      this.stop();
      this.#o.onError(error);
    });
  }

  /** Sends queued voices up to `frameIndex` (inclusive), and any that became ready before `olderThan`. */
  #flushVoices(frameIndex: number | undefined, olderThan: number): void {
    const { sink, stats } = this.#o;
    while (this.#voices.length > 0) {
      const v = this.#voices[0] as HeldVoice;
      if (!((frameIndex !== undefined && v.frameIndex <= frameIndex) || v.readyAt < olderThan))
        break;
      this.#voices.shift();
      stats.audioPacketsSentBy(sink.sendVoice(v.voice));
    }
  }
}
