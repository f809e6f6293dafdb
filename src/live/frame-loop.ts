import { FrameClock } from './frame-clock.ts';
import type { LivePipeline, ReadyFrame } from './pipeline.ts';
import type { RenderPort, RgbFrame } from './ports.ts';
import type { LiveStats } from './stats.ts';

/** Where the loop's output goes (the session's {@link MediaOutput}). */
export interface FrameSink {
  /** The voice of one frame (16 kHz); returns audio packets sent. */
  sendVoice(samples16k: Float32Array): number;
  /** One picture; false when the encoder is busy (the frame is dropped). */
  sendFrame(frame: RgbFrame, frameIndex: number): boolean;
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
 * ones too), feeds their speech to the pipeline, sends the voice of every frame that came
 * out, and renders and encodes only the newest of them: when the machine is late, the older
 * pictures are dropped (counted), never queued, so latency stays bounded and the audio never
 * has holes. Timers: one `setTimeout` at a time, aimed at the next tick's due time.
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
      for (let i = 0; i < due.count; i++) ready.push(...(await this.#o.pipeline.advance(samples)));
      if (!this.#running) return;
      this.#o.onSpeaking?.(this.#o.pipeline.speaking);
      this.#emit(ready);
    } finally {
      this.#busy = false;
    }
    this.#schedule(behind > 0 ? 0 : Math.max(0, clock.nextDueMs - performance.now()));
  }

  #emit(ready: ReadyFrame[]): void {
    const { sink, stats } = this.#o;
    for (const frame of ready) stats.audioPacketsSentBy(sink.sendVoice(frame.voice));
    const newest = ready.at(-1);
    if (!newest) return;
    stats.framesDroppedBy(ready.length - 1);
    const picture = this.#o.renderer.render(newest.controls);
    if (sink.sendFrame(picture, newest.frameIndex)) this.#o.onFrameQueued?.(newest);
    else stats.framesDroppedBy(1);
  }
}
