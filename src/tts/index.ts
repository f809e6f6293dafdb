export { TtsError, type TtsErrorCode } from './errors.ts';
export { type EspeakOptions, EspeakTts } from './espeak.ts';
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
