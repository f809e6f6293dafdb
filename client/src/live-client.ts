import type { ServerMessage, SessionStatsJson, WireClientMessage } from '../../src/live/wire.ts';

/** What `POST /v1/sessions` answers. */
interface CreatedSession {
  sessionId: string;
  token: string;
  wsUrl: string;
}

export interface StartOptions {
  avatarId: string;
  size: number;
  /** Offer the microphone (push-to-talk gates it). */
  mic: boolean;
  /** Sent as `Authorization: Bearer` when the server requires API keys. */
  apiKey?: string;
}

type Listener<T> = (value: T) => void;

/** Counters a test or the overlay can read. */
export interface ClientCounters {
  framesDecoded: number;
  width: number;
  height: number;
  firstFrameMs: number | null;
  audioTrack: MediaStreamTrackState | 'none';
  videoTrack: MediaStreamTrackState | 'none';
  jitterBufferMs: number | null;
  micSending: boolean;
}

/**
 * One live session from the browser: creates it over HTTP, signals over the ws (the
 * browser offers, the server answers, ICE trickles both ways), plays the avatar's video and
 * voice, and sends the microphone / text. Standard APIs only (Chromium and Firefox).
 */
export class LiveClient {
  readonly counters: ClientCounters = {
    framesDecoded: 0,
    width: 0,
    height: 0,
    firstFrameMs: null,
    audioTrack: 'none',
    videoTrack: 'none',
    jitterBufferMs: null,
    micSending: false,
  };
  stats: SessionStatsJson | null = null;
  state = 'idle';
  sessionId: string | null = null;
  readonly #video: HTMLVideoElement;
  readonly #listeners = new Map<string, Listener<never>[]>();
  #ws: WebSocket | null = null;
  #pc: RTCPeerConnection | null = null;
  #mic: MediaStream | null = null;
  #micTrack: MediaStreamTrack | null = null;
  #startedAt = 0;
  #frameCallback = 0;
  #statsTimer = 0;

  constructor(video: HTMLVideoElement) {
    this.#video = video;
  }

  on(event: 'state', fn: Listener<string>): void;
  on(event: 'error', fn: Listener<string>): void;
  on(event: 'message', fn: Listener<ServerMessage>): void;
  on(event: string, fn: Listener<never>): void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), fn]);
  }

  async start(options: StartOptions): Promise<void> {
    if (this.#ws) throw new Error('already started');
    this.#setState('creating session');
    const response = await fetch('/v1/sessions', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      body: JSON.stringify({ avatarId: options.avatarId, options: { size: options.size } }),
    });
    const body = (await response.json()) as CreatedSession & { error?: { message: string } };
    if (!response.ok) {
      // Refused (the session cap, an unknown avatar …): back to the state before start.
      this.#setState('idle');
      throw new Error(body.error?.message ?? `HTTP ${response.status}`);
    }
    this.sessionId = body.sessionId;
    if (options.mic) {
      try {
        this.#mic = await navigator.mediaDevices.getUserMedia({
          audio: { echoCancellation: true, noiseSuppression: true, channelCount: 1 },
        });
        this.#micTrack = this.#mic.getAudioTracks()[0] ?? null;
      } catch (error) {
        this.#emit('error', `microphone unavailable (${(error as Error).message}); text only`);
      }
    }
    const url = new URL(body.wsUrl, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url);
    this.#ws = ws;
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      void this.#onMessage(JSON.parse(event.data) as ServerMessage).catch((error: Error) =>
        this.#emit('error', error.message),
      );
    };
    ws.onclose = (event) => {
      this.#setState(`closed (${event.reason || event.code})`);
      this.#teardown();
    };
    this.#setState('connecting');
  }

  send(message: WireClientMessage): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  /** Push-to-talk: the microphone is heard by the avatar only while this is on. */
  setMic(enabled: boolean): void {
    if (this.#micTrack) this.#micTrack.enabled = enabled;
    this.counters.micSending = enabled && this.#micTrack !== null;
    this.send({ type: 'mic', enabled });
  }

  say(text: string): void {
    this.send({ type: 'text', text, id: String(Date.now()) });
  }

  interrupt(): void {
    this.send({ type: 'interrupt' });
  }

  stop(): void {
    this.send({ type: 'bye' });
    this.#ws?.close(1000, 'bye');
    this.#teardown();
    this.#setState('stopped');
  }

  async #onMessage(message: ServerMessage): Promise<void> {
    this.#emit('message', message);
    switch (message.type) {
      case 'ready':
        await this.#negotiate(message.iceServers);
        break;
      case 'answer':
        await this.#pc?.setRemoteDescription({ type: 'answer', sdp: message.sdp });
        break;
      case 'ice':
        await this.#pc?.addIceCandidate(message.candidate).catch(() => {});
        break;
      case 'state':
        this.#setState(`${message.state} (peer ${message.peer})`);
        break;
      case 'stats':
        this.stats = message.stats;
        break;
      case 'error':
        this.#emit('error', `${message.code}: ${message.message}`);
        break;
      case 'closed':
        this.#setState(`closed (${message.reason})`);
        break;
    }
  }

  async #negotiate(iceServers: RTCIceServer[]): Promise<void> {
    const pc = new RTCPeerConnection({ iceServers });
    this.#pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    if (this.#micTrack && this.#mic) {
      this.#micTrack.enabled = false; // push-to-talk starts released
      pc.addTransceiver(this.#micTrack, { direction: 'sendrecv', streams: [this.#mic] });
    } else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
    }
    const stream = new MediaStream();
    pc.ontrack = (event) => {
      stream.addTrack(event.track);
      this.#video.srcObject = stream;
      void this.#video.play().catch(() => {});
    };
    pc.onicecandidate = (event) => {
      if (event.candidate) this.send({ type: 'ice', candidate: event.candidate.toJSON() as never });
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') this.#startedAt = performance.now();
    };
    await pc.setLocalDescription(await pc.createOffer());
    this.send({ type: 'offer', sdp: pc.localDescription?.sdp ?? '' });
    this.send({ type: 'mic', enabled: false });
    this.#watchFrames(stream);
  }

  #watchFrames(stream: MediaStream): void {
    const video = this.#video;
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata) => {
      this.#countFrame(meta.width, meta.height, meta.presentedFrames);
      this.#frameCallback = video.requestVideoFrameCallback(onFrame);
    };
    const hasFrameCallback = typeof video.requestVideoFrameCallback === 'function';
    if (hasFrameCallback) this.#frameCallback = video.requestVideoFrameCallback(onFrame);
    this.#statsTimer = window.setInterval(() => {
      const audio = stream.getAudioTracks()[0];
      const videoTrack = stream.getVideoTracks()[0];
      this.counters.audioTrack = audio?.readyState ?? 'none';
      this.counters.videoTrack = videoTrack?.readyState ?? 'none';
      if (!hasFrameCallback) {
        const quality = video.getVideoPlaybackQuality();
        this.#countFrame(video.videoWidth, video.videoHeight, quality.totalVideoFrames);
      }
      void this.#pc?.getStats().then((report) => {
        report.forEach(
          (s: {
            type: string;
            kind?: string;
            jitterBufferDelay?: number;
            jitterBufferEmittedCount?: number;
          }) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video' && s.jitterBufferEmittedCount) {
              this.counters.jitterBufferMs =
                ((s.jitterBufferDelay ?? 0) / s.jitterBufferEmittedCount) * 1000;
            }
          },
        );
      });
    }, 500);
  }

  #countFrame(width: number, height: number, presented: number): void {
    if (presented <= 0) return;
    this.counters.framesDecoded = presented;
    this.counters.width = width;
    this.counters.height = height;
    if (this.counters.firstFrameMs === null && this.#startedAt > 0) {
      this.counters.firstFrameMs = performance.now() - this.#startedAt;
    }
  }

  #teardown(): void {
    window.clearInterval(this.#statsTimer);
    if (this.#frameCallback && typeof this.#video.cancelVideoFrameCallback === 'function') {
      this.#video.cancelVideoFrameCallback(this.#frameCallback);
    }
    this.#pc?.close();
    this.#pc = null;
    for (const track of this.#mic?.getTracks() ?? []) track.stop();
    this.#mic = null;
    this.#micTrack = null;
    this.#ws = null;
  }

  #setState(state: string): void {
    this.state = state;
    this.#emit('state', state);
  }

  #emit(event: string, value: unknown): void {
    for (const fn of this.#listeners.get(event) ?? []) (fn as Listener<unknown>)(value);
  }
}
