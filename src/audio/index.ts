export { type AnalyzeOptions, type AudioStats, analyzeAudio } from './analyze.ts';
export {
  type AudioReader,
  type AudioSource,
  DECODE_DEFAULTS,
  type DecodedAudio,
  type DecodeOptions,
  decodeAudioFile,
  openAudio,
} from './decode.ts';
export { AudioError, type AudioErrorCode } from './errors.ts';
export {
  type PcmFormat,
  PcmInput,
  PIPELINE_SAMPLE_RATE,
  type PipelineSampleRate,
  pcmFormatSchema,
} from './pcm.ts';
export { AUDIO_PIECE_SAMPLES, fixedPieces } from './pieces.ts';
export { Resampler, type ResamplerOptions, resample } from './resample.ts';
export { decodeWav, encodeWav, type WavAudio } from './wav.ts';
