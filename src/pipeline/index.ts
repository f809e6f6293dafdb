export { PipelineError, type PipelineErrorCode } from './errors.ts';
export {
  audioSpeechSchema,
  avatarIdSchema,
  DEFAULT_SIZE_PX,
  MAX_SIZE_PX,
  MAX_TEXT_CHARS,
  MIN_SIZE_PX,
  type StageTimings,
  seedSchema,
  sizePxSchema,
  stageTimingsSchema,
  textSpeechSchema,
  type VideoJobInput,
  type VideoJobResult,
  videoJobInputSchema,
  videoJobResultSchema,
} from './job.ts';
export { type LipSyncReport, type MouthCorrelation, measureLipSync } from './lipsync.ts';
export { OUTPUT_FILE, VideoPipeline, type VideoPipelineOptions } from './pipeline.ts';
export {
  type RenderVideoOptions,
  type RenderVideoProgress,
  type RenderVideoRequest,
  type RenderVideoResult,
  renderVideo,
} from './render-video.ts';
export { type SpokenFile, speakToFile } from './speak.ts';
export {
  inspectSpeech,
  SILENCE_DBFS,
  type SpeechFeatures,
  type SpeechInfo,
  speechFeatures,
} from './speech.ts';
export {
  type SubmitLimits,
  submitVideoJob,
  type VideoJobQueue,
  type VideoRequest,
} from './submit.ts';
