import { EventEmitter } from 'node:events';
import { PcmInput } from '../audio/index.ts';
import { isFacecastError } from '../core/index.ts';
import { AvatarPeer, type IncomingAudioPacket, type PeerState } from '../transport/index.ts';
import { LiveError } from './errors.ts';
import type { MediasoupFanout } from './fanout.ts';
import { FrameLoop } from './frame-loop.ts';
import type { MediaClock } from './media-clock.ts';
import { MicInput, rmsDbfs } from './mic-input.ts';
import { LIVE_SERVER_DEFAULTS, type LiveServerOptions, type SessionOptions } from './options.ts';
import { MediaOutput, type SentFrame } from './output.ts';
import { LivePipeline } from './pipeline.ts';
import type { SessionStages, StageFactory } from './ports.ts';
import {
  type ClientMessage,
  MAX_BINARY_MESSAGE_BYTES,
  MAX_TEXT_MESSAGE_BYTES,
  type ServerMessage,
  type SessionState,
  type SessionStatsJson,
} from './protocol.ts';
import { SessionConversation } from './session-conversation.ts';
import { SpeechQueue } from './speech-queue.ts';
import { LiveStats } from './stats.ts';

/** Microphone blocks above this level count as input for the idle timeout. */
const MIC_ACTIVITY_DBFS = -50;

export type LiveSessionEvents = {
  /** A message for the client (the ws adapter sends it). */
  message: [ServerMessage];
  /** The session ended and released everything; the reason is a short word. */
  close: [reason: string];
};

/** What {@link LiveSession.create} needs. */
export interface LiveSessionInit {
  id: string;
  avatarId: string;
  options: SessionOptions;
  stages: StageFactory;
  server?: LiveServerOptions;
  /** Fan-out to many viewers through mediasoup, when a worker runs. */
  fanout?: MediasoupFanout;
}

/**
 * One live avatar: a WebRTC peer, the realtime pipeline (speech → motion → render →
 * VP8/Opus) on a 25 fps clock, and the inputs (microphone over WebRTC, PCM and text over
 * the ws). Owns one AbortController; `close()` releases the encoder process, the peer's
 * sockets, the stages' inference state and every timer, and is idempotent.
 *
 * @example
 * const session = await LiveSession.create({ id, avatarId, options, stages });
 * session.on('message', (m) => ws.send(JSON.stringify(m)));
 * session.attach();
 * await session.handle({ type: 'offer', sdp });
 */
export class LiveSession extends EventEmitter<LiveSessionEvents> {
  readonly id: string;
  readonly avatarId: string;
  readonly options: SessionOptions;
  readonly createdAt = performance.now();
  readonly #server: Required<Omit<LiveServerOptions, 'icePortRange' | 'onFrame'>> &
    Pick<LiveServerOptions, 'icePortRange' | 'onFrame'>;
  readonly #controller = new AbortController();
  readonly #stages: SessionStages;
  readonly #speechPort: StageFactory['speech'];
  readonly #output: MediaOutput;
  readonly #peer: AvatarPeer;
  readonly #speech: SpeechQueue;
  readonly #pipeline: LivePipeline;
  readonly #mic = new MicInput();
  readonly #stats = new LiveStats();
  readonly #arrivals = new Map<number, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #fanout: MediasoupFanout | undefined;
  readonly #loop: FrameLoop;
  /** Text input, conversation state, listener pose. */
  readonly #conversation: SessionConversation;
  #state: SessionState = 'waiting';
  #closed: Promise<void> | undefined;
  /** Set the moment close() is first called (before any await). */
  #closing = false;
  #micEnabled = true;
  #pcm: PcmInput | undefined;
  #lastInputAt = performance.now();
  #liveSince = 0;
  #speaking = false;

  private constructor(
    init: LiveSessionInit,
    parts: { stages: SessionStages; output: MediaOutput; peer: AvatarPeer },
  ) {
    super();
    this.id = init.id;
    this.avatarId = init.avatarId;
    this.options = init.options;
    this.#server = { ...LIVE_SERVER_DEFAULTS, ...init.server };
    this.#stages = parts.stages;
    this.#speechPort = init.stages.speech;
    this.#fanout = init.fanout;
    this.#output = parts.output;
    this.#peer = parts.peer;
    this.#speech = new SpeechQueue({
      maxQueuedMs: this.#server.maxQueuedSpeechMs,
      maxLiveLagMs: this.#server.maxMicLagMs,
      liveTargetMs: this.#server.micTargetMs,
    });
    this.#conversation = new SessionConversation({
      port: this.#speechPort,
      voice: init.options.voice,
      seed: init.options.seed,
      pushSpeech: (samples, arrivalMs) => this.#speech.pushQueued(samples, arrivalMs),
      send: (message) => this.#send(message),
      signal: this.signal,
      log: (what, error) => console.error(`live: session ${this.id}: ${what}:`, error),
    });
    this.#pipeline = new LivePipeline({
      motion: this.#stages.motion,
      speech: this.#speech,
      echoMic: init.options.echoMic,
      shape: (controls, frameIndex) => this.#conversation.shape(controls, frameIndex),
    });
    this.#loop = new FrameLoop({
      pipeline: this.#pipeline,
      renderer: this.#stages.renderer,
      sink: this.#output,
      stats: this.#stats,
      onSpeaking: (speaking) => {
        this.#setSpeaking(speaking);
        this.#conversation.tick(speaking, performance.now());
      },
      onFrameQueued: (frame) => {
        if (frame.arrivalMs !== undefined) this.#arrivals.set(frame.frameIndex, frame.arrivalMs);
        this.#conversation.frameQueued(frame);
      },
      onError: (error) => this.#fail(error),
    });
    this.#output.addSink(this.#peer);
    this.#output.on('frameSent', (f) => this.#onFrameSent(f));
    this.#output.on('error', (e) => this.#fail(e));
    this.#peer.on('state', (s) => this.#onPeerState(s));
    this.#peer.on('micPacket', (p) => this.#onMic(p));
    this.#peer.on('keyframeRequest', () => this.#output.requestKeyframe());
    this.#peer.on('iceCandidate', (candidate) => this.#send({ type: 'ice', candidate }));
    this.#after(this.#server.tokenTtlMs, () => {
      if (this.#state === 'waiting') void this.close('token-expired');
    });
    this.#after(init.options.maxDurationMs, () => void this.close('max-duration'));
    this.#every(1000, () => this.#checkIdle());
  }

  /**
   * Opens the avatar's stages, starts the encoder process and creates the peer. Anything
   * opened is closed again if a later step fails.
   */
  static async create(
    init: LiveSessionInit,
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<LiveSession> {
    const server = { ...LIVE_SERVER_DEFAULTS, ...init.server };
    const ctx = signal ? { signal } : {};
    const stages = await init.stages.open(
      init.avatarId,
      { size: init.options.size, seed: init.options.seed },
      ctx,
    );
    let output: MediaOutput | undefined;
    let peer: AvatarPeer | undefined;
    try {
      output = await MediaOutput.start(
        {
          width: stages.renderer.width,
          height: stages.renderer.height,
          bitrateKbps: init.options.bitrateKbps,
        },
        ctx,
      );
      peer = new AvatarPeer({
        iceServers: server.iceServers,
        iceAdditionalHostAddresses: server.iceAdditionalHostAddresses,
        silenceTimeoutMs: server.peerSilenceTimeoutMs,
        ...(server.icePortRange ? { icePortRange: server.icePortRange } : {}),
      });
      const out = output;
      if (init.fanout)
        output.addSink(await init.fanout.publish(init.id, () => out.requestKeyframe()));
      return new LiveSession(init, { stages, output, peer });
    } catch (error) {
      init.fanout?.unpublish(init.id);
      await peer?.close();
      await output?.close();
      await Promise.all([stages.motion.close(), stages.renderer.close()]);
      throw error;
    }
  }

  get state(): SessionState {
    return this.#state;
  }

  /** The video this session sends (the renderer's output size). */
  get video(): { codec: 'VP8'; width: number; height: number; fps: 25 } {
    return {
      codec: 'VP8',
      width: this.#stages.renderer.width,
      height: this.#stages.renderer.height,
      fps: 25,
    };
  }

  /** The media clock both tracks are stamped from (RTP bases: where a receiver's media time 0 is). */
  get clock(): MediaClock {
    return this.#output.clock;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Resources this session holds (for hygiene checks). */
  resources(): { encoderPid: number | undefined; peerClosed: boolean; timers: number } {
    return {
      encoderPid: this.#output.encoderPid,
      peerClosed: this.#peer.closed,
      timers: this.#timers.size + (this.#loop.hasTimer ? 1 : 0),
    };
  }

  /** The client's ws is connected: says hello and starts the connect timeout. */
  attach(): void {
    if (this.#state !== 'waiting') return;
    this.#setState('negotiating');
    this.#send({
      type: 'ready',
      sessionId: this.id,
      avatarId: this.avatarId,
      video: this.video,
      audio: { codec: 'opus', sampleRate: 48000, channels: 1 },
      iceServers: this.#server.iceServers,
      limits: {
        maxTextMessageBytes: MAX_TEXT_MESSAGE_BYTES,
        maxBinaryMessageBytes: MAX_BINARY_MESSAGE_BYTES,
        maxQueuedSpeechMs: this.#server.maxQueuedSpeechMs,
      },
      tts: this.#speechPort !== undefined,
    });
    this.#after(this.#server.connectTimeoutMs, () => {
      if (this.#state === 'negotiating') void this.close('connect-timeout');
    });
    this.#every(this.#server.statsIntervalMs, () =>
      this.#send({ type: 'stats', stats: this.stats() }),
    );
  }

  /** Handles one validated client message. Input errors become `error` messages. */
  async handle(message: ClientMessage): Promise<void> {
    if (this.#closing) return;
    this.#lastInputAt = performance.now();
    try {
      await this.#dispatch(message);
    } catch (error) {
      this.#reportError(error);
    }
  }

  /** A binary ws message: raw PCM in the format of the last `audio.start`. */
  handleBinary(data: Uint8Array): void {
    if (this.#closing) return;
    this.#lastInputAt = performance.now();
    try {
      this.#pushPcm(data);
    } catch (error) {
      this.#reportError(error);
    }
  }

  stats(): SessionStatsJson {
    const now = performance.now();
    const s = this.#stats.toJSON(now, this.#liveSince || now);
    return {
      sessionId: this.id,
      avatarId: this.avatarId,
      state: this.#state,
      uptimeMs: Math.round(now - this.createdAt),
      fps: s.fps,
      framesSent: s.framesSent,
      framesDropped: s.framesDropped,
      latencyMs: s.latencyMs,
      queues: {
        speechMs: this.#speech.queuedMs,
        micMs: this.#speech.liveMs,
        motionFrames: this.#pipeline.pendingFrames,
        encoderFrames: this.#output.encoderFrames,
      },
      audio: {
        packetsSent: s.audioPacketsSent,
        micPackets: this.#peer.toJSON().micPackets,
        micUnderruns: this.#speech.toJSON().liveUnderruns,
        speaking: this.#speaking,
      },
      peer: this.#peer.state,
      conversation: this.#conversation.toJSON(),
    };
  }

  /** Ends the session and releases everything it holds. Idempotent; resolves when done. */
  close(reason = 'closed'): Promise<void> {
    if (!this.#closed) {
      this.#send({ type: 'closed', reason });
      this.#closing = true;
      this.#closed = this.#release(reason);
    }
    return this.#closed;
  }

  async #release(reason: string): Promise<void> {
    this.#state = 'closed';
    this.#controller.abort(new LiveError('LIVE_SESSION_ENDED', `session ended: ${reason}`));
    this.#loop.stop();
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#mic.close();
    this.#fanout?.unpublish(this.id);
    const results = await Promise.allSettled([
      this.#output.close(),
      this.#peer.close(),
      this.#stages.motion.close(),
      this.#stages.renderer.close(),
    ]);
    this.emit('close', reason);
    for (const r of results) if (r.status === 'rejected') console.error('live: close:', r.reason);
  }

  async #dispatch(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'offer': {
        if (this.#state === 'waiting') this.attach();
        const sdp = await this.#peer.answer(message.sdp, { signal: this.signal });
        this.#send({ type: 'answer', sdp });
        return;
      }
      case 'ice':
        if (message.candidate && message.candidate.candidate !== '') {
          await this.#peer.addIceCandidate(message.candidate);
        }
        return;
      case 'text':
        return this.#conversation.text.say(message.text, message.id, message.voice);
      case 'text.delta':
        return this.#conversation.text.delta(message.text, message.id, message.voice);
      case 'text.end':
        return this.#conversation.text.end(message.id);
      case 'audio.start':
        this.#flushPcm();
        this.#pcm = new PcmInput(message.format);
        return;
      case 'audio':
        return this.#pushPcm(Buffer.from(message.data, 'base64'));
      case 'audio.end':
        this.#flushPcm();
        return;
      case 'interrupt': {
        const droppedMs = this.#pipeline.interrupt();
        this.#loop.silenceHeldVoices();
        this.#conversation.interrupt(performance.now());
        this.#setSpeaking(false);
        this.#send({ type: 'interrupted', droppedMs });
        return;
      }
      case 'mic':
        this.#micEnabled = message.enabled;
        return;
      case 'ping':
        this.#send({ type: 'pong', t: message.t, serverTime: Date.now() });
        return;
      case 'bye':
        await this.close('bye');
        return;
    }
  }

  #pushPcm(bytes: Uint8Array): void {
    if (!this.#pcm) {
      throw new LiveError(
        'LIVE_BAD_STATE',
        'PCM received before audio.start (send the format first)',
      );
    }
    if (bytes.length > MAX_BINARY_MESSAGE_BYTES) {
      throw new LiveError(
        'LIVE_MESSAGE_TOO_LARGE',
        `PCM chunk of ${bytes.length} bytes exceeds ${MAX_BINARY_MESSAGE_BYTES}`,
      );
    }
    const samples = this.#pcm.process(bytes);
    this.#speech.pushQueued(samples, performance.now());
  }

  #flushPcm(): void {
    const pcm = this.#pcm;
    this.#pcm = undefined;
    if (pcm) this.#speech.pushQueued(pcm.flush(), performance.now());
  }

  #onMic(packet: IncomingAudioPacket): void {
    if (this.#closing || !this.#micEnabled) return;
    const samples = this.#mic.process(packet);
    const level = rmsDbfs(samples);
    if (level > MIC_ACTIVITY_DBFS) this.#lastInputAt = packet.receivedAt;
    // listen: the user talks to the avatar, whose lips stay its own (see ListenerMotion)
    if (this.options.mic === 'listen') this.#conversation.micLevel(level, packet.receivedAt);
    else this.#speech.pushLive(samples, packet.receivedAt);
  }

  #onPeerState(state: PeerState): void {
    if (this.#closing) return;
    if (state === 'connected' && !this.#loop.running) {
      this.#setState('live');
      this.#liveSince = performance.now();
      this.#loop.start();
    } else if (state === 'failed' || state === 'closed') {
      void this.close('peer-lost');
    } else {
      this.#send({ type: 'state', state: this.#state, peer: state });
    }
  }

  #onFrameSent(frame: SentFrame): void {
    this.#stats.frameSent(frame.sentAtMs);
    this.#conversation.frameSent(frame.frameIndex, frame.sentAtMs);
    const arrival = this.#arrivals.get(frame.frameIndex);
    const latencyMs = arrival === undefined ? undefined : frame.sentAtMs - arrival;
    this.#server.onFrame?.({
      sessionId: this.id,
      frameIndex: frame.frameIndex,
      sentAtMs: frame.sentAtMs,
      latencyMs,
      keyframe: frame.keyframe,
    });
    if (arrival !== undefined) {
      this.#arrivals.delete(frame.frameIndex);
      this.#stats.latency(frame.sentAtMs - arrival);
    }
    // entries of frames the encoder never returned (closed) must not accumulate
    if (this.#arrivals.size > 16) {
      for (const key of this.#arrivals.keys())
        if (key < frame.frameIndex) this.#arrivals.delete(key);
    }
  }

  #checkIdle(): void {
    if (performance.now() - this.#lastInputAt > this.options.idleTimeoutMs) {
      void this.close('idle-timeout');
    }
  }

  #setState(state: SessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#send({ type: 'state', state, peer: this.#peer.state });
  }

  #setSpeaking(speaking: boolean): void {
    if (speaking === this.#speaking) return;
    this.#speaking = speaking;
    this.#send({ type: 'speaking', speaking });
  }

  #reportError(error: unknown): void {
    if (this.#closing) return;
    if (isFacecastError(error) && error.kind !== 'internal') {
      this.#send({ type: 'error', code: error.code, message: error.message, fatal: false });
      return;
    }
    this.#fail(error);
  }

  #fail(error: unknown): void {
    if (this.#closing) return;
    const message = error instanceof Error ? error.message : String(error);
    const code = isFacecastError(error) ? error.code : 'LIVE_PIPELINE_FAILED';
    console.error(`live: session ${this.id} failed:`, error);
    this.#send({ type: 'error', code, message: message.split('\n')[0] ?? '', fatal: true });
    void this.close('failed');
  }

  #send(message: ServerMessage): void {
    if (this.#closing) return;
    this.emit('message', message);
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    this.#timers.add(timer);
  }
}
