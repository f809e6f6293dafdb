import { decodeAudioFile } from '../../src/audio/index.ts';
import { probeMedia } from '../../src/media/index.ts';

/** The facts of an MP4 the e2e tests check. */
export interface Mp4Facts {
  videoCodec: string;
  audioCodec: string;
  fps: number;
  width: number;
  height: number;
  frames: number | undefined;
  videoDurationMs: number;
  audioDurationMs: number;
  /** The AAC track decoded to the end (the priming samples trimmed by ffmpeg). */
  decodedAudioMs: number;
}

export async function mp4Facts(path: string): Promise<Mp4Facts> {
  const info = await probeMedia(path);
  if (!info.video || !info.audio) throw new Error(`${path} lacks a video or an audio stream`);
  const decoded = await decodeAudioFile(path, { minDurationMs: 0 });
  return {
    videoCodec: info.video.codec,
    audioCodec: info.audio.codec,
    fps: info.video.fps,
    width: info.video.width,
    height: info.video.height,
    frames: info.video.frameCount,
    videoDurationMs: info.video.durationMs ?? Number.NaN,
    audioDurationMs: info.audio.durationMs ?? Number.NaN,
    decodedAudioMs: decoded.durationMs,
  };
}
