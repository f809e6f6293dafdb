import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { availableParallelism } from 'node:os';
import { Vp8Payloader } from '../transport/index.ts';
import { createOrigin } from './sfu-origin.ts';
import type { WorkerPool } from './sfu-pool.ts';

/** What one fan-out viewer costs on this host (admission control, `/metrics`). */
export interface ViewerCost {
  /** mediasoup worker CPU to forward one video frame (and its 40 ms of audio) to one viewer, ms. */
  cpuMsPerViewerFrame: number;
  /** Viewers the probe forwarded to. */
  viewers: number;
  /** Frames it sent. */
  frames: number;
  /** Cores the admission budget counts. */
  cores: number;
  /** Share of the cores planned for sessions and viewers. */
  utilisation: number;
}

/** Options of {@link probeViewerCost}. */
export interface ViewerCostProbeOptions {
  /** Viewers forwarded to. Default 20. */
  viewers?: number;
  /** Seconds of stream with the viewers (after as long again without). Default 2. */
  seconds?: number;
  /** Bytes per video frame (1200 kbit/s at 25 fps: 6000). Default 6000. */
  frameBytes?: number;
  cores?: number;
  utilisation?: number;
}

const FPS = 25;
const OPUS_PACKET_BYTES = 80;

/**
 * Measures the forwarding CPU of one fan-out viewer on this host's mediasoup worker: a
 * router with a session-like stream (VP8 frames of a 1200 kbit/s size, payloaded as the
 * sessions do, 25 fps, and Opus every 20 ms) is forwarded to `viewers` SRTP-encrypted
 * PlainTransports on loopback, in real time. The worker's CPU (getrusage) over that time,
 * less its CPU for the same stream with no viewer, divided by viewers × frames, is the cost.
 * CPU time, not wall time: other load on the host barely moves it. About `2 × seconds` long.
 *
 * @example
 * const cost = await probeViewerCost(fanout.pool); // { cpuMsPerViewerFrame: 0.1, … }
 */
export async function probeViewerCost(
  pool: WorkerPool,
  options: ViewerCostProbeOptions = {},
): Promise<ViewerCost> {
  const viewers = options.viewers ?? 20;
  const seconds = options.seconds ?? 2;
  const origin = await createOrigin(pool, () => {});
  const sink = createSocket('udp4');
  sink.on('message', () => {}); // received and dropped: the viewers' side is not measured
  try {
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
    const stream = sessionLikeStream(origin, options.frameBytes ?? 6000);
    const worker = () => pool.workerCpuMs(origin.workerIndex);
    const baseline = await cpuOver(worker, () => stream.play(seconds));
    for (let i = 0; i < viewers; i++) await addViewer(origin, sink.address().port);
    const withViewers = await cpuOver(worker, () => stream.play(seconds));
    const frames = Math.round(seconds * FPS);
    const perFrameForwarding =
      (withViewers.ms - baseline.ms * (withViewers.s / baseline.s)) / frames;
    return {
      cpuMsPerViewerFrame: Math.max(0.001, perFrameForwarding / viewers),
      viewers,
      frames,
      cores: options.cores ?? availableParallelism(),
      utilisation: options.utilisation ?? 0.7,
    };
  } finally {
    origin.router.close();
    sink.close();
  }
}

/** A consumer of video and audio on an SRTP PlainTransport sending to `port` on loopback. */
async function addViewer(origin: Awaited<ReturnType<typeof createOrigin>>, port: number) {
  const transport = await origin.router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: false,
    enableSrtp: true,
    srtpCryptoSuite: 'AES_CM_128_HMAC_SHA1_80',
  });
  await transport.connect({
    ip: '127.0.0.1',
    port,
    srtpParameters: {
      cryptoSuite: 'AES_CM_128_HMAC_SHA1_80',
      keyBase64: randomBytes(30).toString('base64'),
    },
  });
  const rtpCapabilities = origin.router.rtpCapabilities;
  for (const producer of [origin.video, origin.audio]) {
    await transport.consume({ producerId: producer.id, rtpCapabilities });
  }
}

/** VP8 frames (a key frame first, then delta frames) and Opus packets, paced at 25 fps. */
function sessionLikeStream(origin: Awaited<ReturnType<typeof createOrigin>>, frameBytes: number) {
  const vp8 = new Vp8Payloader();
  const key = fakeVp8Frame(frameBytes, true);
  const delta = fakeVp8Frame(frameBytes, false);
  let frame = 0;
  let audioSequence = 0;
  const sendFrame = () => {
    for (const p of vp8.process(frame === 0 ? key : delta, frame * 3600)) origin.sendVideo(p);
    for (let i = 0; i < 2; i++) {
      origin.sendAudio({
        sequenceNumber: audioSequence & 0xffff,
        timestamp: audioSequence * 960,
        marker: false,
        payload: new Uint8Array(OPUS_PACKET_BYTES),
      });
      audioSequence++;
    }
    frame++;
  };
  return {
    async play(seconds: number): Promise<void> {
      const start = performance.now();
      const frames = Math.round(seconds * FPS);
      for (let i = 0; i < frames; i++) {
        sendFrame();
        const due = start + ((i + 1) * 1000) / FPS;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      }
    },
  };
}

/** A VP8 frame header (RFC 6386 §9.1: key frames carry the start code and the size) and filler. */
function fakeVp8Frame(bytes: number, keyframe: boolean): Uint8Array {
  const frame = new Uint8Array(bytes);
  frame[0] = keyframe ? 0x10 : 0x11; // show_frame, version 0; bit 0 is 0 on a key frame
  if (keyframe) frame.set([0x9d, 0x01, 0x2a, 0x00, 0x02, 0x00, 0x02], 3); // 512 × 512
  for (let i = keyframe ? 10 : 3; i < bytes; i++) frame[i] = (i * 31) & 0xff;
  return frame;
}

/** The worker's CPU (ms) and the wall time (s) over `run`. */
async function cpuOver(
  cpuMs: () => Promise<number>,
  run: () => Promise<void>,
): Promise<{ ms: number; s: number }> {
  const c0 = await cpuMs();
  const t0 = performance.now();
  await run();
  const s = (performance.now() - t0) / 1000;
  return { ms: (await cpuMs()) - c0, s };
}
