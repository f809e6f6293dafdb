export {
  MP4_AUDIO_SAMPLE_RATE,
  type Mp4Summary,
  Mp4Writer,
  type Mp4WriterOptions,
  mp4WriterOptionsSchema,
  X264_FOOTAGE_PARAMS,
} from './encode.ts';
export { MediaError, type MediaErrorCode } from './errors.ts';
export {
  checkLocalInput,
  DEFAULT_MAX_INPUT_BYTES,
  ffmpegInputUrl,
  LOCAL_ONLY_INPUT_OPTIONS,
  type LocalInput,
  type LocalInputOptions,
} from './input.ts';
export { type BinarySource, type FfmpegBinaries, locateFfmpeg } from './locate.ts';
export { pipeFfmpegOutput } from './pipe.ts';
export {
  type AudioStreamInfo,
  type MediaInfo,
  probeMedia,
  type VideoStreamInfo,
} from './probe.ts';
export { thumbnail, thumbnailDistance } from './thumbnail.ts';
export {
  openVideoFrames,
  VIDEO_FRAMES_DEFAULTS,
  type VideoFrame,
  type VideoFrames,
  type VideoFramesOptions,
} from './video.ts';
