/**
 * Optional fan-out through mediasoup: a session's RTP (the same packets its WebRTC peer
 * gets) is produced into a router (sfu-origin.ts), and any number of viewers consume it over
 * their own WebRtcTransports (the browser client's viewer mode). Workers run one per core;
 * past `viewersPerRouter`, viewers go to a router on another worker fed through
 * `pipeToRouter`. Without the worker `npm run setup:sfu` builds, `create()` fails with
 * `LIVE_FANOUT_UNAVAILABLE` and the server runs without fan-out.
 */
import type { types as ms } from 'mediasoup';
import type { z } from 'zod';
import type { RtpOut, RtpSink } from '../transport/index.ts';
import { LiveError } from './errors.ts';
import type {
  FanoutOptions,
  ViewerAdmission,
  ViewerConsumerInfo,
  ViewerPlacement,
  ViewerState,
  ViewerTransportInfo,
} from './fanout-types.ts';
import { createOrigin, MEDIA_CODECS, type Origin } from './sfu-origin.ts';
import { WorkerPool } from './sfu-pool.ts';
import { ViewerLiveness } from './viewer-liveness.ts';
import type { ViewerJoinBody } from './viewer-schemas.ts';

/** Seconds a viewer refused while its session's fan-out moves is told to wait. */
const MOVING_RETRY_AFTER_S = 1;

/** A router serving one session's viewers: the origin, or one fed by pipeToRouter. */
interface RouterSlot {
  router: ms.Router;
  workerIndex: number;
  viewers: number;
}

interface Viewer {
  transport: ms.WebRtcTransport;
  consumers: ms.Consumer[];
  slot: RouterSlot;
}

interface Publication {
  origin: Origin;
  /** The origin's router first, then the routers piped from it. */
  slots: RouterSlot[];
  viewers: Map<string, Viewer>;
  /** Viewers are placed one at a time (a join may pipe a new router; the next must see it). */
  placing: Promise<unknown>;
  /** 1 when first published, one more each time it is published again after its worker died. */
  generation: number;
  /** The origin was lost; the publication is being made again on a live worker. */
  moving: boolean;
  onKeyframeRequest: () => void;
}

/**
 * mediasoup workers (one per core); one origin router per published session, more routers
 * piped from it as its viewers grow. A session whose origin's worker dies is published again
 * on a live worker: its viewers' transports are closed (their state route answers
 * `LIVE_VIEWER_NOT_FOUND`) and they join again.
 *
 * @example
 * const fanout = await MediasoupFanout.create(); // throws LIVE_FANOUT_UNAVAILABLE without a worker
 * output.addSink(await fanout.publish(session.id, () => output.requestKeyframe()));
 */
export class MediasoupFanout {
  readonly #pool: WorkerPool;
  readonly #options: FanoutOptions & { listenIp: string; viewersPerRouter: number };
  readonly #sessions = new Map<string, Publication>();
  /** Viewers admitted and still being placed (not yet counted by a router slot). */
  #joining = 0;
  readonly #liveness: ViewerLiveness;
  #closed = false;

  private constructor(pool: WorkerPool, options: FanoutOptions) {
    this.#pool = pool;
    this.#options = { listenIp: '127.0.0.1', viewersPerRouter: 200, ...options };
    this.#liveness = new ViewerLiveness(options.viewerSilenceTimeoutMs ?? 30_000);
  }

  /** Starts the workers; `LIVE_FANOUT_UNAVAILABLE` (saying why) when there is no worker binary. */
  static async create(options: FanoutOptions = {}): Promise<MediasoupFanout> {
    return new MediasoupFanout(await WorkerPool.start(options), options);
  }

  /** The worker processes (pool order). */
  get workerPids(): number[] {
    return this.#pool.pids;
  }

  /** The worker pool (the viewer-cost probe makes its routers there). */
  get pool(): WorkerPool {
    return this.#pool;
  }

  /** CPU each worker has used, ms (benchmarks). */
  workerCpuMs(): Promise<number[]> {
    return this.#pool.cpuMs();
  }

  /** Viewers connected or connecting to a session. */
  viewerCount(sessionId: string): number {
    return this.#sessions.get(sessionId)?.viewers.size ?? 0;
  }

  /** Viewers over every session, joins being placed included (admission). */
  get totalViewers(): number {
    let n = this.#joining;
    for (const pub of this.#sessions.values()) for (const slot of pub.slots) n += slot.viewers;
    return n;
  }

  /** How many times the session has been published (1, plus one per move to another worker). */
  generation(sessionId: string): number {
    return this.#publication(sessionId).generation;
  }

  /**
   * Creates the session's router and producers; returns the sink to add to its output.
   * `onKeyframeRequest` runs when a viewer needs a key frame (joining, or its PLI).
   */
  async publish(sessionId: string, onKeyframeRequest: () => void = () => {}): Promise<RtpSink> {
    this.#sessions.set(sessionId, await this.#newPublication(sessionId, onKeyframeRequest, 1));
    return {
      sendVideo: (packets: readonly RtpOut[]) => {
        for (const p of packets) this.#send(sessionId, 'video', p);
      },
      sendAudio: (packet: RtpOut) => this.#send(sessionId, 'audio', packet),
    };
  }

  async #newPublication(
    sessionId: string,
    onKeyframeRequest: () => void,
    generation: number,
  ): Promise<Publication> {
    const origin = await createOrigin(this.#pool, onKeyframeRequest);
    const pub: Publication = {
      origin,
      slots: [{ router: origin.router, workerIndex: origin.workerIndex, viewers: 0 }],
      viewers: new Map(),
      placing: Promise.resolve(),
      generation,
      moving: false,
      onKeyframeRequest,
    };
    // The origin router closes without unpublish() only when its worker died.
    origin.router.observer.once('close', () =>
      this.#originLost(sessionId, pub, 'its mediasoup worker died'),
    );
    return pub;
  }

  #send(sessionId: string, kind: 'video' | 'audio', packet: RtpOut): void {
    const pub = this.#sessions.get(sessionId);
    if (!pub || pub.moving || pub.origin[kind].closed) return;
    try {
      if (kind === 'video') pub.origin.sendVideo(packet);
      else pub.origin.sendAudio(packet);
    } catch (error) {
      this.#originLost(sessionId, pub, (error as Error).message);
    }
  }

  /**
   * The worker under a session's origin failed: every viewer of the session is closed (the
   * piped routers had nothing left to forward) and the session is published again on a live
   * worker, where its viewers join again; the session itself goes on for its own peer.
   */
  #originLost(sessionId: string, pub: Publication, why: string): void {
    if (this.#sessions.get(sessionId) !== pub || pub.moving) return;
    pub.moving = true;
    console.error(
      `live: fan-out of session ${sessionId} lost its origin (${why}); its viewers are closed and it is published again on a live worker`,
    );
    for (const slot of pub.slots) slot.router.close();
    void this.#republish(sessionId, pub);
  }

  async #republish(sessionId: string, pub: Publication): Promise<void> {
    try {
      const next = await this.#newPublication(sessionId, pub.onKeyframeRequest, pub.generation + 1);
      if (this.#sessions.get(sessionId) !== pub) {
        next.origin.router.close(); // unpublished meanwhile
        return;
      }
      this.#sessions.set(sessionId, next);
    } catch (error) {
      if (this.#sessions.get(sessionId) === pub) this.#sessions.delete(sessionId);
      console.error(
        `live: fan-out of session ${sessionId} could not be published again (${(error as Error).message}); viewers cannot join it`,
      );
    }
  }

  /** The router's capabilities, for the viewer's `device.load()`. */
  capabilities(sessionId: string): ms.RtpCapabilities {
    return (this.#publication(sessionId).slots[0] as RouterSlot).router.rtpCapabilities;
  }

  /**
   * One more viewer: a receive transport and paused consumers of the session's video and
   * audio for the viewer's device capabilities, on a router with room (piping a new one
   * from the origin when all are full).
   */
  async addViewer(
    sessionId: string,
    capabilities: z.infer<typeof ViewerJoinBody>['rtpCapabilities'],
    admit?: ViewerAdmission,
  ): Promise<ViewerTransportInfo & { consumers: ViewerConsumerInfo[]; generation: number }> {
    // mediasoup types header extension URIs as the ones it knows; it skips the others.
    const rtpCapabilities = capabilities as ms.RtpCapabilities;
    const pub = this.#publication(sessionId);
    const slot = await this.#reserveSlot(pub, admit);
    const transport = await slot.router
      .createWebRtcTransport({ listenInfos: [this.#listenInfo()] })
      .catch((error: unknown) => {
        slot.viewers--;
        throw error;
      });
    const viewer: Viewer = { transport, consumers: [], slot };
    pub.viewers.set(transport.id, viewer);
    transport.observer.once('close', () => {
      pub.viewers.delete(transport.id);
      slot.viewers--;
    });
    transport.on('dtlsstatechange', (state) => {
      if (state === 'failed' || state === 'closed') transport.close();
    });
    this.#liveness.watch(transport);
    const consumers: ViewerConsumerInfo[] = [];
    for (const producer of [pub.origin.video, pub.origin.audio]) {
      if (!slot.router.canConsume({ producerId: producer.id, rtpCapabilities })) continue;
      const consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities,
        paused: true,
      });
      viewer.consumers.push(consumer);
      consumers.push({
        id: consumer.id,
        producerId: producer.id,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
      });
    }
    return {
      routerRtpCapabilities: slot.router.rtpCapabilities,
      transport: {
        id: transport.id,
        iceParameters: transport.iceParameters,
        iceCandidates: transport.iceCandidates,
        dtlsParameters: transport.dtlsParameters,
      },
      consumers,
      generation: pub.generation,
    };
  }

  /** Where each viewer of a session is served, by transport id (tests, benchmarks). */
  placements(sessionId: string): Map<string, ViewerPlacement> {
    const pub = this.#publication(sessionId);
    const out = new Map<string, ViewerPlacement>();
    for (const [id, { slot }] of pub.viewers) {
      out.set(id, { workerIndex: slot.workerIndex, piped: slot !== pub.slots[0] });
    }
    return out;
  }

  /** One viewer's transport: where it is served and its DTLS state; `LIVE_VIEWER_NOT_FOUND` once closed. */
  viewerState(sessionId: string, transportId: string): ViewerState {
    const pub = this.#publication(sessionId);
    const { slot, transport } = this.#viewer(sessionId, transportId);
    return {
      transportId,
      generation: pub.generation,
      workerIndex: slot.workerIndex,
      piped: slot !== pub.slots[0],
      dtlsState: transport.dtlsState,
    };
  }

  /** The viewer's DTLS parameters (mediasoup-client's transport `connect` event). */
  async connectViewer(
    sessionId: string,
    transportId: string,
    dtlsParameters: ms.DtlsParameters,
  ): Promise<void> {
    await this.#viewer(sessionId, transportId).transport.connect({ dtlsParameters });
  }

  /** Starts the viewer's consumers once its transport is connected (and asks for a key frame). */
  async resumeViewer(sessionId: string, transportId: string): Promise<void> {
    const { consumers } = this.#viewer(sessionId, transportId);
    await Promise.all(consumers.map((c) => c.resume()));
  }

  /** Closes one viewer's transport. */
  removeViewer(sessionId: string, transportId: string): void {
    this.#viewer(sessionId, transportId).transport.close();
  }

  /** Closes a session's routers (and with them every viewer transport). */
  unpublish(sessionId: string): void {
    const pub = this.#sessions.get(sessionId);
    if (!pub) return;
    this.#sessions.delete(sessionId);
    for (const slot of pub.slots) slot.router.close();
  }

  /** Closes the worker processes. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#liveness.close();
    for (const id of [...this.#sessions.keys()]) this.unpublish(id);
    this.#pool.close();
  }

  /**
   * A router with room for one more viewer, its count already taken (joins queue here);
   * `admit` may refuse the viewer first.
   */
  #reserveSlot(pub: Publication, admit: ViewerAdmission | undefined): Promise<RouterSlot> {
    const reserved = pub.placing.then(async () => {
      admit?.(this.totalViewers);
      this.#joining++;
      try {
        const slot = await this.#slotWithRoom(pub);
        slot.viewers++;
        return slot;
      } finally {
        this.#joining--;
      }
    });
    pub.placing = reserved.catch(() => undefined);
    return reserved;
  }

  /**
   * The first router with room; else a new router piped from the origin on a worker that
   * has none of this session yet (a worker can hold a producer only once); else, every worker
   * serving the session, the least-loaded router takes one viewer beyond `viewersPerRouter`.
   */
  async #slotWithRoom(pub: Publication): Promise<RouterSlot> {
    const open = pub.slots.find((s) => s.viewers < this.#options.viewersPerRouter);
    if (open) return open;
    const used = new Set(pub.slots.map((s) => s.workerIndex));
    if (!this.#pool.hasLiveWorkerOutside(used)) {
      return pub.slots.reduce((best, s) => (s.viewers < best.viewers ? s : best));
    }
    const origin = pub.slots[0] as RouterSlot;
    const { router, workerIndex } = await this.#pool.createRouter(MEDIA_CODECS, used);
    try {
      for (const producer of [pub.origin.video, pub.origin.audio]) {
        await origin.router.pipeToRouter({ producerId: producer.id, router });
      }
    } catch (error) {
      router.close();
      throw error;
    }
    const slot: RouterSlot = { router, workerIndex, viewers: 0 };
    pub.slots.push(slot);
    // A piped router closes under the session only when its worker died: forget it.
    router.observer.once('close', () => {
      const at = pub.slots.indexOf(slot);
      if (at > 0) pub.slots.splice(at, 1);
    });
    return slot;
  }

  #listenInfo(): ms.TransportListenInfo {
    const { listenIp, announcedAddress } = this.#options;
    return { protocol: 'udp', ip: listenIp, ...(announcedAddress ? { announcedAddress } : {}) };
  }

  #viewer(sessionId: string, transportId: string): Viewer {
    const viewer = this.#publication(sessionId).viewers.get(transportId);
    if (!viewer) {
      throw new LiveError(
        'LIVE_VIEWER_NOT_FOUND',
        `no viewer transport ${transportId} (closed, or lost with its mediasoup worker): join again`,
      );
    }
    return viewer;
  }

  #publication(sessionId: string): Publication {
    const pub = this.#sessions.get(sessionId);
    if (!pub)
      throw new LiveError(
        'LIVE_SESSION_NOT_FOUND',
        `session ${sessionId} is not published for viewers`,
      );
    if (pub.moving) {
      throw new LiveError(
        'LIVE_FANOUT_MOVING',
        `session ${sessionId} is moving to another mediasoup worker (its worker died); join again in a moment`,
        { details: { retryAfterS: MOVING_RETRY_AFTER_S } },
      );
    }
    return pub;
  }
}
