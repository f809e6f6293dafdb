/**
 * Optional fan-out through mediasoup: a session's RTP (the same packets its WebRTC peer
 * gets) is produced into a mediasoup router through a DirectTransport, and any number of
 * viewers consume it over their own WebRtcTransports (`mediasoup-client` in the browser
 * client's viewer mode). Typed against mediasoup's real API; used only when a worker can
 * start. mediasoup's worker binary is downloaded or built at install time, which these
 * machines cannot do (no GitHub, install scripts off), so here `MediasoupFanout.create()`
 * fails with `LIVE_FANOUT_UNAVAILABLE` and the server runs without fan-out.
 */
import type { types as ms } from 'mediasoup';
import { type RtpOut, type RtpSink, serializeRtp } from '../transport/index.ts';
import { LiveError } from './errors.ts';

const VIDEO_PT = 101;
const AUDIO_PT = 100;

const MEDIA_CODECS: ms.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48_000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90_000 },
];

/** Options of {@link MediasoupFanout.create}. */
export interface FanoutOptions {
  /** Address the viewers' transports listen on. Default 127.0.0.1. */
  listenIp?: string;
  /** Address announced to viewers (a public IP). Default none. */
  announcedAddress?: string;
  /** RTC port range of the worker. Default 40000–49999. */
  rtcMinPort?: number;
  rtcMaxPort?: number;
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

interface Publication {
  router: ms.Router;
  direct: ms.DirectTransport;
  video: ms.Producer;
  audio: ms.Producer;
  viewers: Map<string, ms.WebRtcTransport>;
}

/**
 * One mediasoup worker; one router per published session.
 *
 * @example
 * const fanout = await MediasoupFanout.create(); // throws LIVE_FANOUT_UNAVAILABLE without a worker
 * output.addSink(await fanout.publish(session.id));
 */
export class MediasoupFanout {
  readonly #worker: ms.Worker;
  readonly #options: Required<Omit<FanoutOptions, 'announcedAddress'>> & FanoutOptions;
  readonly #sessions = new Map<string, Publication>();
  #closed = false;

  private constructor(worker: ms.Worker, options: FanoutOptions) {
    this.#worker = worker;
    this.#options = { listenIp: '127.0.0.1', rtcMinPort: 40_000, rtcMaxPort: 49_999, ...options };
  }

  /** Starts a mediasoup worker; `LIVE_FANOUT_UNAVAILABLE` when there is no worker binary. */
  static async create(options: FanoutOptions = {}): Promise<MediasoupFanout> {
    let mediasoup: typeof import('mediasoup');
    try {
      mediasoup = await import('mediasoup');
    } catch (cause) {
      throw new LiveError('LIVE_FANOUT_UNAVAILABLE', 'the mediasoup package is not installed', {
        cause,
      });
    }
    try {
      const worker = await mediasoup.createWorker({
        logLevel: 'warn',
        rtcMinPort: options.rtcMinPort ?? 40_000,
        rtcMaxPort: options.rtcMaxPort ?? 49_999,
      });
      return new MediasoupFanout(worker, options);
    } catch (cause) {
      throw new LiveError(
        'LIVE_FANOUT_UNAVAILABLE',
        `mediasoup worker could not start (${(cause as Error).message}); its binary (${mediasoup.workerBin}) is built or downloaded at install time, which needs GitHub (or set MEDIASOUP_WORKER_BIN)`,
        { cause },
      );
    }
  }

  get workerPid(): number {
    return this.#worker.pid;
  }

  /** Creates the session's router and producers; returns the sink to add to its output. */
  async publish(sessionId: string): Promise<RtpSink> {
    const router = await this.#worker.createRouter({ mediaCodecs: MEDIA_CODECS });
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
    this.#sessions.set(sessionId, { router, direct, video, audio, viewers: new Map() });
    return {
      sendVideo(packets: readonly RtpOut[]) {
        for (const p of packets) video.send(serializeRtp(p, VIDEO_PT, videoSsrc));
      },
      sendAudio(packet: RtpOut) {
        audio.send(serializeRtp(packet, AUDIO_PT, audioSsrc));
      },
    };
  }

  /** The router's capabilities, for the viewer's `device.load()`. */
  capabilities(sessionId: string): ms.RtpCapabilities {
    return this.#publication(sessionId).router.rtpCapabilities;
  }

  /**
   * One more viewer: a receive transport and paused consumers of the session's video and
   * audio for the viewer's device capabilities.
   */
  async addViewer(
    sessionId: string,
    rtpCapabilities: ms.RtpCapabilities,
  ): Promise<ViewerTransportInfo & { consumers: ViewerConsumerInfo[] }> {
    const pub = this.#publication(sessionId);
    const transport = await pub.router.createWebRtcTransport({
      listenInfos: [
        {
          protocol: 'udp',
          ip: this.#options.listenIp,
          ...(this.#options.announcedAddress
            ? { announcedAddress: this.#options.announcedAddress }
            : {}),
        },
      ],
    });
    pub.viewers.set(transport.id, transport);
    const consumers: ViewerConsumerInfo[] = [];
    for (const producer of [pub.video, pub.audio]) {
      if (!pub.router.canConsume({ producerId: producer.id, rtpCapabilities })) continue;
      const consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities,
        paused: true,
      });
      const held = transport.appData as { consumers?: ms.Consumer[] };
      held.consumers = [...(held.consumers ?? []), consumer];
      consumers.push({
        id: consumer.id,
        producerId: producer.id,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
      });
    }
    return {
      routerRtpCapabilities: pub.router.rtpCapabilities,
      transport: {
        id: transport.id,
        iceParameters: transport.iceParameters,
        iceCandidates: transport.iceCandidates,
        dtlsParameters: transport.dtlsParameters,
      },
      consumers,
    };
  }

  /** The viewer's DTLS parameters (mediasoup-client's transport `connect` event). */
  async connectViewer(
    sessionId: string,
    transportId: string,
    dtlsParameters: ms.DtlsParameters,
  ): Promise<void> {
    await this.#viewer(sessionId, transportId).connect({ dtlsParameters });
  }

  /** Starts the viewer's consumers once its transport is connected. */
  async resumeViewer(sessionId: string, transportId: string): Promise<void> {
    const transport = this.#viewer(sessionId, transportId);
    const consumers = (transport.appData as { consumers?: ms.Consumer[] }).consumers ?? [];
    await Promise.all(consumers.map((c) => c.resume()));
  }

  #viewer(sessionId: string, transportId: string): ms.WebRtcTransport {
    const transport = this.#publication(sessionId).viewers.get(transportId);
    if (!transport)
      throw new LiveError('LIVE_SESSION_NOT_FOUND', `no viewer transport ${transportId}`);
    return transport;
  }

  /** Closes a session's router (and with it every viewer transport). */
  unpublish(sessionId: string): void {
    const pub = this.#sessions.get(sessionId);
    if (!pub) return;
    this.#sessions.delete(sessionId);
    pub.router.close();
  }

  /** Closes the worker process. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#sessions.keys()]) this.unpublish(id);
    this.#worker.close();
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
