export { ARPABET_IPA } from './arpabet.ts';
export {
  LOCAL_ENGINES,
  LOCAL_VOICES_APT,
  type LocalEngine,
  type MissingEngine,
  VoiceCatalog,
  type VoiceCatalogOptions,
} from './catalog.ts';
export { EngineTts, type EngineTtsOptions } from './engine.ts';
export { TtsError, type TtsErrorCode } from './errors.ts';
export { type EspeakOptions, EspeakTts } from './espeak.ts';
export { loadFestival } from './festival.ts';
export { flitePhonemes, loadFlite } from './flite.ts';
export { createHttpStreamTts, HttpStreamTts } from './http-stream.ts';
export {
  assertSpeakable,
  type PhonemeEvent,
  parseSynthesisOptions,
  type SynthesisOptions,
  type SynthesisResult,
  synthesisOptionsSchema,
  type TtsProvider,
  type VoiceInfo,
  type WordEvent,
} from './provider.ts';
export {
  type CloudTtsConfig,
  createTtsProvider,
  registerTtsProvider,
  type TtsConfig,
  type TtsProviderFactory,
  ttsConfigSchema,
} from './registry.ts';
export { loadRhvoice } from './rhvoice.ts';
export {
  collectChunks,
  isStreamingTts,
  type SpeechChunk,
  type StreamingTtsProvider,
  speechChunks,
} from './streaming.ts';
