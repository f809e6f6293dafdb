import { EventEmitter } from 'node:events';
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
  RtpHeader,
  RtpPacket,
  useAbsSendTime,
  useNACK,
  usePLI,
  useREMB,
  useSdesMid,
} from 'werift';
import { throwIfAborted } from '../core/index.ts';
import { TransportError } from './errors.ts';
import type { RtpOut, RtpSink } from './vp8-payloader.ts';

/** An ICE candidate as it travels over signalling (the browser's `RTCIceCandidateInit`). */
export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** An ICE server handed to both ends (STUN/TURN). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Options of {@link AvatarPeer}. */
export interface AvatarPeerOptions {
  /** STUN/TURN servers. Default none: host candidates only (LAN, loopback, or a public IP). */
  iceServers?: IceServer[];
  /** UDP port range for ICE, `[min, max]`. Default: any free port. */
  icePortRange?: [number, number];
  /** Extra host addresses to advertise (e.g. a public IP in front of NAT). Default none. */
  iceAdditionalHostAddresses?: string[];
  /** Gather IPv6 candidates too. Default false. */
  ipv6?: boolean;
  /** Longest wait for ICE gathering before the answer is sent anyway, ms. Default 3000. */
  gatherTimeoutMs?: number;
  /**
   * Once connected, a peer that sends nothing (no RTCP reports, no microphone RTP) for this
   * long is declared `failed`, ms. Default 10000. Browsers send receiver reports about
   * every second; werift's own ICE consent check would take 30 s to notice a vanished tab.
   */
  silenceTimeoutMs?: number;
}

/** Connection state of the peer, as `RTCPeerConnection.connectionState`. */
export type PeerState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** One Opus packet received from the browser's microphone. */
export interface IncomingAudioPacket {
  sequenceNumber: number;
  timestamp: number;
  payload: Uint8Array;
  receivedAt: number;
}

export type AvatarPeerEvents = {
  /** A local ICE candidate (the answer already carries the ones gathered before it). */
  iceCandidate: [IceCandidateInit];
  state: [PeerState];
  /** The browser asked for a key frame (PLI); counted (a live session answers it with a key frame). */
  keyframeRequest: [];
  micPacket: [IncomingAudioPacket];
  close: [];
};

/**
 * One WebRTC peer per live session, on werift (pure TypeScript, no native build). The
 * browser offers; the peer answers with a send-only VP8 video track and a send-receive
 * Opus audio track (the avatar's voice out, the microphone in). RTP packets come from the
 * caller with their own timestamps; werift adds SSRC, payload type, extensions, SRTP,
 * RTCP sender reports and NACK retransmissions.
 *
 * @example
 * const peer = new AvatarPeer();
 * const answerSdp = await peer.answer(offerSdp);
 * peer.on('state', (s) => s === 'connected' && start());
 * peer.sendVideo(packets);
 */
export class AvatarPeer extends EventEmitter<AvatarPeerEvents> implements RtpSink {
  readonly #pc: RTCPeerConnection;
  readonly #videoTrack = new MediaStreamTrack({ kind: 'video' });
  readonly #audioTrack = new MediaStreamTrack({ kind: 'audio' });
  readonly #video: RTCRtpTransceiver;
  readonly #audio: RTCRtpTransceiver;
  readonly #gatherTimeoutMs: number;
  readonly #silenceTimeoutMs: number;
  #silenceTimer: NodeJS.Timeout | undefined;
  #lastHeardAt = performance.now();
  #answered = false;
  #closed = false;
  #state: PeerState = 'new';
  #micPackets = 0;
  #keyframeRequests = 0;
  #videoPackets = 0;
  #audioPackets = 0;

  constructor(options: AvatarPeerOptions = {}) {
    super();
    this.#gatherTimeoutMs = options.gatherTimeoutMs ?? 3000;
    this.#silenceTimeoutMs = options.silenceTimeoutMs ?? 10_000;
    this.#pc = new RTCPeerConnection({
      iceServers: options.iceServers ?? [],
      ...(options.icePortRange ? { icePortRange: options.icePortRange } : {}),
      ...(options.iceAdditionalHostAddresses
        ? { iceAdditionalHostAddresses: options.iceAdditionalHostAddresses }
        : {}),
      iceUseIpv6: options.ipv6 ?? false,
      codecs: {
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/VP8',
            clockRate: 90_000,
            rtcpFeedback: [useNACK(), usePLI(), useREMB()],
          }),
        ],
        audio: [
          new RTCRtpCodecParameters({
            mimeType: 'audio/opus',
            clockRate: 48_000,
            channels: 2,
            parameters: 'minptime=10;useinbandfec=1',
          }),
        ],
      },
      headerExtensions: {
        video: [useSdesMid(), useAbsSendTime()],
        audio: [useSdesMid(), useAbsSendTime()],
      },
    });
    this.#video = this.#pc.addTransceiver(this.#videoTrack, { direction: 'sendonly' });
    this.#audio = this.#pc.addTransceiver(this.#audioTrack, { direction: 'sendrecv' });
    this.#video.sender.onPictureLossIndication.subscribe(() => {
      this.#keyframeRequests++;
      this.emit('keyframeRequest');
    });
    const heard = () => {
      this.#lastHeardAt = performance.now();
    };
    this.#video.sender.onRtcp.subscribe(heard);
    this.#audio.sender.onRtcp.subscribe(heard);
    this.#audio.onTrack.subscribe((track) => {
      track.onReceiveRtcp.subscribe(heard);
      track.onReceiveRtp.subscribe((rtp) => {
        heard();
        this.#micPackets++;
        this.emit('micPacket', {
          sequenceNumber: rtp.header.sequenceNumber,
          timestamp: rtp.header.timestamp,
          payload: rtp.payload,
          receivedAt: performance.now(),
        });
      });
    });
    this.#pc.onIceCandidate.subscribe((candidate) => {
      if (!candidate || this.#closed) return;
      const json = candidate.toJSON();
      this.emit('iceCandidate', {
        candidate: json.candidate,
        sdpMid: json.sdpMid ?? null,
        sdpMLineIndex: json.sdpMLineIndex ?? null,
      });
    });
    this.#pc.connectionStateChange.subscribe((state) => {
      if (this.#closed || this.#state === 'failed') return;
      this.#setState(state);
      if (state === 'connected') this.#watchSilence();
    });
  }

  get state(): PeerState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** `performance.now()` when the remote last sent RTCP or RTP. */
  get lastHeardAt(): number {
    return this.#lastHeardAt;
  }

  /** Whether the browser's offer asked to send audio to us (a microphone). */
  get receivesAudio(): boolean {
    const direction = this.#audio.currentDirection;
    return direction === 'sendrecv' || direction === 'recvonly';
  }

  /**
   * Applies the browser's offer and returns the answer SDP (with the candidates gathered
   * so far). A second call throws `TRANSPORT_RENEGOTIATION_UNSUPPORTED` and leaves the
   * negotiated session untouched.
   */
  async answer(offerSdp: string, { signal }: { signal?: AbortSignal } = {}): Promise<string> {
    throwIfAborted(signal);
    if (this.#closed) throw new TransportError('TRANSPORT_CLOSED', 'peer connection is closed');
    if (this.#answered) {
      throw new TransportError(
        'TRANSPORT_RENEGOTIATION_UNSUPPORTED',
        'this session is already negotiated; renegotiation is not supported (start a new session)',
      );
    }
    this.#answered = true;
    if (!/^v=0/m.test(offerSdp) || !/^m=/m.test(offerSdp)) {
      throw new TransportError('TRANSPORT_BAD_SDP', 'the offer is not an SDP session description');
    }
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    } catch (cause) {
      throw new TransportError('TRANSPORT_BAD_SDP', `the offer was rejected: ${errorText(cause)}`, {
        cause,
      });
    }
    if (this.#video.mid === null || this.#video.mid === undefined || !this.#video.sender.codec) {
      throw new TransportError(
        'TRANSPORT_NEGOTIATION_FAILED',
        'the offer has no VP8 video section to receive the avatar on',
      );
    }
    try {
      const answer = await this.#pc.createAnswer();
      await this.#pc.setLocalDescription(answer);
    } catch (cause) {
      throw new TransportError(
        'TRANSPORT_NEGOTIATION_FAILED',
        `could not answer: ${errorText(cause)}`,
        { cause },
      );
    }
    await this.#gathered(signal);
    const sdp = this.#pc.localDescription?.sdp;
    if (!sdp) throw new TransportError('TRANSPORT_CLOSED', 'peer closed while answering');
    return sdp;
  }

  /** Adds a remote ICE candidate (trickled by the browser). */
  async addIceCandidate(candidate: IceCandidateInit): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#pc.addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
      });
    } catch (cause) {
      throw new TransportError(
        'TRANSPORT_BAD_CANDIDATE',
        `bad ICE candidate: ${errorText(cause)}`,
        {
          cause,
        },
      );
    }
  }

  /** Sends one video frame's RTP packets (dropped silently until the peer is connected). */
  sendVideo(packets: readonly RtpOut[]): void {
    if (this.#closed || this.#state !== 'connected') return;
    for (const p of packets) this.#videoTrack.writeRtp(toRtpPacket(p));
    this.#videoPackets += packets.length;
  }

  /** Sends one Opus packet. */
  sendAudio(packet: RtpOut): void {
    if (this.#closed || this.#state !== 'connected') return;
    this.#audioTrack.writeRtp(toRtpPacket(packet));
    this.#audioPackets++;
  }

  /** Closes the peer connection (ICE sockets, DTLS, timers). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#state = 'closed';
    clearInterval(this.#silenceTimer);
    this.#videoTrack.stop();
    this.#audioTrack.stop();
    try {
      await this.#pc.close();
    } finally {
      this.emit('close');
    }
  }

  toJSON(): {
    state: PeerState;
    videoPackets: number;
    audioPackets: number;
    micPackets: number;
    keyframeRequests: number;
  } {
    return {
      state: this.#state,
      videoPackets: this.#videoPackets,
      audioPackets: this.#audioPackets,
      micPackets: this.#micPackets,
      keyframeRequests: this.#keyframeRequests,
    };
  }

  #setState(state: PeerState): void {
    this.#state = state;
    this.emit('state', state);
  }

  #watchSilence(): void {
    if (this.#silenceTimer) return;
    this.#lastHeardAt = performance.now();
    const every = Math.max(50, Math.min(1000, this.#silenceTimeoutMs / 4));
    this.#silenceTimer = setInterval(() => {
      if (performance.now() - this.#lastHeardAt <= this.#silenceTimeoutMs) return;
      clearInterval(this.#silenceTimer);
      if (!this.#closed) this.#setState('failed');
    }, every);
    this.#silenceTimer.unref();
  }

  async #gathered(signal: AbortSignal | undefined): Promise<void> {
    if (this.#pc.iceGatheringState === 'complete') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe.unSubscribe();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.#gatherTimeoutMs);
      const unsubscribe = this.#pc.iceGatheringStateChange.subscribe((state) => {
        if (state === 'complete') done();
      });
      signal?.addEventListener('abort', done, { once: true });
    });
    throwIfAborted(signal);
  }
}

function toRtpPacket(p: RtpOut): RtpPacket {
  const header = new RtpHeader({
    sequenceNumber: p.sequenceNumber,
    timestamp: p.timestamp >>> 0,
    marker: p.marker,
  });
  return new RtpPacket(
    header,
    Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.length),
  );
}

function errorText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
