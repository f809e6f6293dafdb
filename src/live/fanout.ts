/**
 * Optional fan-out through mediasoup: a session's RTP (the same packets its WebRTC peer
 * gets) is produced into a mediasoup router through a DirectTransport, and any number of
 * viewers consume it over their own WebRtcTransports (`mediasoup-client` in the browser
 * client's viewer mode). Workers run one per core ({@link WorkerPool}); a session's router
 * takes `viewersPerRouter` viewers, then the next viewers go to a router on another worker
 * fed through `pipeToRouter`. Needs the worker binary `npm run setup:sfu` builds; without
 * it `MediasoupFanout.create()` fails with `LIVE_FANOUT_UNAVAILABLE` saying so, and the
 * server runs without fan-out.
 */
import type { types as ms } from 'mediasoup';
import type { z } from 'zod';
import { type RtpOut, type RtpSink, serializeRtp } from '../transport/index.ts';
import { LiveError } from './errors.ts';
import { WorkerPool, type WorkerPoolOptions } from './sfu-pool.ts';
import type { ViewerJoinBody } from './viewer-schemas.ts';

const VIDEO_PT = 101;
const AUDIO_PT = 100;

const MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48_000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90_000 },
];

/** Options of {@link MediasoupFanout.create}. */
export interface FanoutOptions extends WorkerPoolOptions {
  /** Address the viewers' transports listen on. Default 127.0.0.1. */
  listenIp?: string;
  /** Address announced to viewers (a public IP). Default none. */
  announcedAddress?: string;
  /** Viewers one router serves before the next go to a piped router on another worker. Default 200. */
  viewersPerRouter?: number;
}

/** What a viewer needs to create its receive transport (mediasoup-client `Device`). */
export interface ViewerTransportInfo {
  routerRtpCapabilities: ms.RtpCapabilities;
  transport: {
    id: string;
    iceParameters: ms.IceParameters;
    iceCandidates: ms.IceCandidate[];
    dtlsParameters: ms.DtlsParameters;
  };
}

/** One consumer a viewer should create (`transport.consume(...)` in mediasoup-client). */
export interface ViewerConsumerInfo {
  id: string;
  producerId: string;
  kind: ms.MediaKind;
  rtpParameters: ms.RtpParameters;
}

/** Where a viewer is served: the worker (pool index) and whether through a pipe. */
export interface ViewerPlacement {
  workerIndex: number;
  piped: boolean;
}

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
  slots: RouterSlot[];
  video: ms.Producer;
  audio: ms.Producer;
  viewers: Map<string, Viewer>;
  /** Viewers are placed one at a time (a join may pipe a new router; the next must see it). */
  placing: Promise<unknown>;
}

/**
 * mediasoup workers (one per core); one origin router per published session, more routers
 * piped from it as its viewers grow.
 *
 * @example
 * const fanout = await MediasoupFanout.create(); // throws LIVE_FANOUT_UNAVAILABLE without a worker
 * output.addSink(await fanout.publish(session.id));
 */
export class MediasoupFanout {
  readonly #pool: WorkerPool;
  readonly #options: FanoutOptions & { listenIp: string; viewersPerRouter: number };
  readonly #sessions = new Map<string, Publication>();
  #closed = false;

  private constructor(pool: WorkerPool, options: FanoutOptions) {
    this.#pool = pool;
    this.#options = { listenIp: '127.0.0.1', viewersPerRouter: 200, ...options };
  }

  /** Starts the workers; `LIVE_FANOUT_UNAVAILABLE` (saying why) when there is no worker binary. */
  static async create(options: FanoutOptions = {}): Promise<MediasoupFanout> {
    return new MediasoupFanout(await WorkerPool.start(options), options);
  }

  /** The worker processes (pool order). */
  get workerPids(): number[] {
    return this.#pool.pids;
  }

  /** CPU each worker has used, ms (benchmarks). */
  workerCpuMs(): Promise<number[]> {
    return this.#pool.cpuMs();
  }

  /** Viewers connected or connecting to a session. */
  viewerCount(sessionId: string): number {
    return this.#sessions.get(sessionId)?.viewers.size ?? 0;
  }

  /** Creates the session's router and producers; returns the sink to add to its output. */
  async publish(sessionId: string): Promise<RtpSink> {
    const { router, workerIndex } = await this.#pool.createRouter(MEDIA_CODECS);
    const direct = await router.createDirectTransport();
    const videoSsrc = randomSsrc();
    const audioSsrc = randomSsrc();
    const video = await direct.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          { mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90_000, rtcpFeedback: [] },
        ],
        encodings: [{ ssrc: videoSsrc }],
      },
    });
    const audio = await direct.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48_000, channels: 2 }],
        encodings: [{ ssrc: audioSsrc }],
      },
    });
    const pub: Publication = {
      slots: [{ router, workerIndex, viewers: 0 }],
      video,
      audio,
      viewers: new Map(),
      placing: Promise.resolve(),
    };
    this.#sessions.set(sessionId, pub);
    // The origin router closes without unpublish() only when its worker died.
    router.observer.once('close', () => this.#drop(sessionId, pub, 'its mediasoup worker died'));
    const send = (producer: ms.Producer, packet: Buffer) => {
      if (producer.closed || this.#sessions.get(sessionId) !== pub) return;
      try {
        producer.send(packet);
      } catch (error) {
        this.#drop(sessionId, pub, (error as Error).message);
      }
    };
    return {
      sendVideo(packets: readonly RtpOut[]) {
        for (const p of packets) send(video, serializeRtp(p, VIDEO_PT, videoSsrc));
      },
      sendAudio(packet: RtpOut) {
        send(audio, serializeRtp(packet, AUDIO_PT, audioSsrc));
      },
    };
  }

  /**
   * Ends a publication whose worker failed under it: the session goes on for its own peer,
   * its viewers are closed, and the viewer API answers that it is not published.
   */
  #drop(sessionId: string, pub: Publication, why: string): void {
    if (this.#sessions.get(sessionId) !== pub) return;
    console.error(`live: fan-out of session ${sessionId} stopped (${why}); its viewers are closed`);
    this.unpublish(sessionId);
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
  ): Promise<ViewerTransportInfo & { consumers: ViewerConsumerInfo[] }> {
    // mediasoup types header extension URIs as the ones it knows; it skips the others.
    const rtpCapabilities = capabilities as ms.RtpCapabilities;
    const pub = this.#publication(sessionId);
    const slot = await this.#reserveSlot(pub);
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
    const consumers: ViewerConsumerInfo[] = [];
    for (const producer of [pub.video, pub.audio]) {
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
    for (const id of [...this.#sessions.keys()]) this.unpublish(id);
    this.#pool.close();
  }

  /** A router with room for one more viewer, its count already taken (joins queue here). */
  #reserveSlot(pub: Publication): Promise<RouterSlot> {
    const reserved = pub.placing.then(async () => {
      const slot = await this.#slotWithRoom(pub);
      slot.viewers++;
      return slot;
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
      for (const producer of [pub.video, pub.audio]) {
        await origin.router.pipeToRouter({ producerId: producer.id, router });
      }
    } catch (error) {
      router.close();
      throw error;
    }
    const slot: RouterSlot = { router, workerIndex, viewers: 0 };
    pub.slots.push(slot);
    return slot;
  }

  #listenInfo(): ms.TransportListenInfo {
    const { listenIp, announcedAddress } = this.#options;
    return { protocol: 'udp', ip: listenIp, ...(announcedAddress ? { announcedAddress } : {}) };
  }

  #viewer(sessionId: string, transportId: string): Viewer {
    const viewer = this.#publication(sessionId).viewers.get(transportId);
    if (!viewer)
      throw new LiveError('LIVE_SESSION_NOT_FOUND', `no viewer transport ${transportId}`);
    return viewer;
  }

  #publication(sessionId: string): Publication {
    const pub = this.#sessions.get(sessionId);
    if (!pub)
      throw new LiveError(
        'LIVE_SESSION_NOT_FOUND',
        `session ${sessionId} is not published for viewers`,
      );
    return pub;
  }
}

function randomSsrc(): number {
  return (Math.floor(Math.random() * 0xfffffff0) + 1) >>> 0;
}
