/** Fixed-size ring of numbers (no growth: the oldest value is overwritten). */
class Ring {
  readonly #values: Float64Array;
  #count = 0;
  #next = 0;
  constructor(size: number) {
    this.#values = new Float64Array(size);
  }
  push(value: number): void {
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#values.length;
    this.#count = Math.min(this.#count + 1, this.#values.length);
  }
  get count(): number {
    return this.#count;
  }
  last(): number | undefined {
    if (this.#count === 0) return undefined;
    return this.#values[(this.#next - 1 + this.#values.length) % this.#values.length];
  }
  sorted(): Float64Array {
    return this.#values.slice(0, this.#count).sort();
  }
  /** Values ≥ `min` (for time windows). */
  countAtLeast(min: number): number {
    let n = 0;
    for (let i = 0; i < this.#count; i++) if ((this.#values[i] as number) >= min) n++;
    return n;
  }
}

function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] as number;
}

/** Window of the `fps` figure, ms. */
const FPS_WINDOW_MS = 5000;

/**
 * Counters of one session's realtime output: frames sent and dropped, fps over the last
 * 5 s, audio-in → frame-out latency (last 250 speaking frames). Bounded memory, pure.
 */
export class LiveStats {
  readonly #sendTimes = new Ring(256);
  readonly #latency = new Ring(250);
  #framesSent = 0;
  #framesDropped = 0;
  #framesLost = 0;
  #audioPackets = 0;

  frameSent(atMs: number): void {
    this.#framesSent++;
    this.#sendTimes.push(atMs);
  }

  framesDroppedBy(count: number): void {
    this.#framesDropped += count;
  }

  framesLostBy(count: number): void {
    this.#framesLost += count;
  }

  audioPacketsSentBy(count: number): void {
    this.#audioPackets += count;
  }

  latency(ms: number): void {
    this.#latency.push(ms);
  }

  /** Frames per second over the last 5 s before `nowMs` (over the elapsed time if shorter). */
  fps(nowMs: number, sinceMs: number): number {
    const windowMs = Math.min(FPS_WINDOW_MS, nowMs - sinceMs);
    if (windowMs <= 0) return 0;
    return (this.#sendTimes.countAtLeast(nowMs - windowMs) * 1000) / windowMs;
  }

  toJSON(nowMs: number, sinceMs: number) {
    const sorted = this.#latency.sorted();
    const round = (v: number | null | undefined) => (v == null ? null : Math.round(v * 10) / 10);
    return {
      fps: Math.round(this.fps(nowMs, sinceMs) * 10) / 10,
      framesSent: this.#framesSent,
      framesDropped: this.#framesDropped + this.#framesLost,
      framesLost: this.#framesLost,
      audioPacketsSent: this.#audioPackets,
      latencyMs: {
        p50: round(percentile(sorted, 0.5)),
        p95: round(percentile(sorted, 0.95)),
        last: round(this.#latency.last()),
      },
    };
  }
}
