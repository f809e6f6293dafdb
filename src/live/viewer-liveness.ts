import type { types as ms } from 'mediasoup';

interface Watched {
  transport: ms.WebRtcTransport;
  bytesReceived: number;
  changedAt: number;
}

/**
 * Closes fan-out viewers that went silent. mediasoup 3.13 has no ICE consent timeout, so a
 * viewer that vanishes without a DTLS close (a killed tab, a lost network) would keep its
 * transport, and its place in admission, until the session ends. A live viewer keeps sending
 * (RTCP receiver reports about every second, ICE consent checks every few seconds): every
 * `timeoutMs / 3` the bytes each transport received are read, and a transport that received
 * nothing for `timeoutMs` is closed (as the owner's peer is after `peerSilenceTimeoutMs`).
 */
export class ViewerLiveness {
  readonly #timeoutMs: number;
  readonly #watched = new Set<Watched>();
  #timer: NodeJS.Timeout | undefined;
  #checking = false;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Watches a viewer's transport until it closes. */
  watch(transport: ms.WebRtcTransport): void {
    const entry: Watched = { transport, bytesReceived: 0, changedAt: performance.now() };
    this.#watched.add(entry);
    transport.observer.once('close', () => this.#watched.delete(entry));
    this.#timer ??= setInterval(() => void this.#check(), this.#timeoutMs / 3).unref();
  }

  /** Stops watching (the fan-out closes). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#watched.clear();
  }

  async #check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const now = performance.now();
      await Promise.all([...this.#watched].map((entry) => this.#checkOne(entry, now)));
    } finally {
      this.#checking = false;
    }
  }

  async #checkOne(entry: Watched, now: number): Promise<void> {
    if (entry.transport.closed) return;
    const stats = await entry.transport.getStats().catch(() => undefined);
    const bytes = stats?.[0]?.bytesReceived;
    if (bytes === undefined) return; // its worker is gone: the fan-out handles that
    if (bytes !== entry.bytesReceived) {
      entry.bytesReceived = bytes;
      entry.changedAt = now;
    } else if (now - entry.changedAt > this.#timeoutMs && !entry.transport.closed) {
      entry.transport.close();
    }
  }
}
