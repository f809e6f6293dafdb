/**
 * A session's origin in mediasoup: a router on one worker, a DirectTransport, and the video
 * and audio producers the session's RTP is sent into (fanout.ts). Key frame requests from
 * the router's consumers (a viewer resuming, a viewer's PLI, a piped router's) come back as
 * the producer's outgoing PLI/FIR, announced through `onKeyframeRequest`.
 */
import type { types as ms } from 'mediasoup';
import { type RtpOut, serializeRtp } from '../transport/index.ts';
import type { WorkerPool } from './sfu-pool.ts';

const VIDEO_PT = 101;
const AUDIO_PT = 100;

/** The codecs every router is made with. */
export const MEDIA_CODECS: ms.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48_000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90_000 },
];

/** One session's producers on their router. */
export interface Origin {
  router: ms.Router;
  workerIndex: number;
  video: ms.Producer;
  audio: ms.Producer;
  /** Sends packets into the producers (throws when the worker's channel is closed). */
  sendVideo(packet: RtpOut): void;
  sendAudio(packet: RtpOut): void;
}

/**
 * Creates the router (on the least-loaded live worker) and its producers; closes the router
 * again if a step fails.
 */
export async function createOrigin(
  pool: WorkerPool,
  onKeyframeRequest: () => void,
): Promise<Origin> {
  const { router, workerIndex } = await pool.createRouter(MEDIA_CODECS);
  try {
    const direct = await router.createDirectTransport();
    const videoSsrc = randomSsrc();
    const audioSsrc = randomSsrc();
    const video = await direct.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/VP8',
            payloadType: VIDEO_PT,
            clockRate: 90_000,
            // PLI and FIR: the router asks this producer for key frames (viewers joining).
            rtcpFeedback: [
              { type: 'nack', parameter: 'pli' },
              { type: 'ccm', parameter: 'fir' },
            ],
          },
        ],
        encodings: [{ ssrc: videoSsrc }],
      },
    });
    await video.enableTraceEvent(['pli', 'fir']);
    video.on('trace', (trace) => {
      if (trace.direction === 'out') onKeyframeRequest();
    });
    const audio = await direct.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48_000, channels: 2 }],
        encodings: [{ ssrc: audioSsrc }],
      },
    });
    return {
      router,
      workerIndex,
      video,
      audio,
      sendVideo: (p) => video.send(serializeRtp(p, VIDEO_PT, videoSsrc)),
      sendAudio: (p) => audio.send(serializeRtp(p, AUDIO_PT, audioSsrc)),
    };
  } catch (error) {
    router.close();
    throw error;
  }
}

function randomSsrc(): number {
  return (Math.floor(Math.random() * 0xfffffff0) + 1) >>> 0;
}
