export {
  Admission,
  type AdmissionOptions,
  type Headroom,
  LIVE_RETRY_AFTER_S,
} from './admission.ts';
export {
  type CapacityProbeOptions,
  probeSessionCapacity,
  type SessionCapacity,
} from './capacity.ts';
export { type ClientAssets, clientAssets } from './client-bundle.ts';
export {
  Conversation,
  type ConversationOptions,
  type ConversationState,
  type ConversationStats,
  type LatencySummary,
} from './conversation.ts';
export { LIVE_HTTP_STATUS, LiveError, type LiveErrorCode } from './errors.ts';
export {
  LIVE_GENERATOR_BUDGET_MS,
  type LiveExtensionOptions,
  type LiveHostServices,
  liveExtension,
} from './extension.ts';
export { MediasoupFanout } from './fanout.ts';
export type {
  FanoutOptions,
  ViewerAdmission,
  ViewerConsumerInfo,
  ViewerPlacement,
  ViewerState,
  ViewerTransportInfo,
} from './fanout-types.ts';
export { type DueFrames, FrameClock, type FrameClockOptions } from './frame-clock.ts';
export { FrameLoop, type FrameLoopOptions, type FrameSink } from './frame-loop.ts';
export { ListenerMotion, type ListenerMotionOptions } from './listener.ts';
export {
  type CreatedSession,
  SessionManager,
  type SessionManagerOptions,
} from './manager.ts';
export { MediaClock, OPUS_RTP_RATE, VIDEO_RTP_RATE } from './media-clock.ts';
export { type GaugeRegistry, registerLiveMetrics } from './metrics.ts';
export { MicInput, rmsDbfs } from './mic-input.ts';
export {
  attachLiveSockets,
  type MountLiveOptions,
  mountLive,
  type UpgradeSource,
} from './mount.ts';
export {
  type CreateSessionRequest,
  createSessionSchema,
  type FrameEvent,
  LIVE_SERVER_DEFAULTS,
  type LiveServerOptions,
  liveOptionsFromEnv,
  type SessionOptions,
} from './options.ts';
export { MediaOutput, type MediaOutputOptions, type SentFrame } from './output.ts';
export {
  LivePipeline,
  type LivePipelineOptions,
  type ReadyFrame,
  SAMPLES_PER_FRAME,
} from './pipeline.ts';
export type {
  MotionPort,
  RenderPort,
  RgbFrame,
  SessionStages,
  SpeechPort,
  StageFactory,
} from './ports.ts';
export {
  type ClientMessage,
  clientMessageSchema,
  MAX_BINARY_MESSAGE_BYTES,
  MAX_TEXT_MESSAGE_BYTES,
  MAX_WS_PAYLOAD_BYTES,
  type ParseResult,
  parseClientMessage,
  type ServerMessage,
  type SessionState,
  type SessionStatsJson,
} from './protocol.ts';
export { RenderWorker } from './render-worker.ts';
export { type LiveRoutesOptions, liveRoutes } from './routes.ts';
export { SentenceSplitter } from './sentences.ts';
export { LiveSession, type LiveSessionEvents, type LiveSessionInit } from './session.ts';
export { WorkerPool, type WorkerPoolOptions } from './sfu-pool.ts';
export {
  builtWorkerPath,
  findWorkerBinary,
  installedMediasoup,
  PROJECT_ROOT,
  type WorkerBinary,
} from './sfu-worker.ts';
export { type SpeechBlock, SpeechQueue, type SpeechQueueOptions } from './speech-queue.ts';
export {
  type AvatarResolver,
  avatarFolders,
  createLiveStages,
  type LiveStagesOptions,
} from './stages.ts';
export { LiveStats } from './stats.ts';
export { TextSpeaker, type TextSpeakerOptions } from './text-speaker.ts';
export { LiveVideoEncoder, type LiveVideoEncoderOptions } from './video-encoder.ts';
export { probeViewerCost, type ViewerCost, type ViewerCostProbeOptions } from './viewer-cost.ts';
export { createLiveSocketServer, type LiveSocketOptions, type LiveSocketServer } from './ws.ts';
