import { FacecastError, type FacecastErrorOptions } from '../core/index.ts';

/** Stable codes for text-to-speech failures. */
export type TtsErrorCode =
  /** The optional espeak-ng engine package is not installed. */
  | 'TTS_ENGINE_MISSING'
  /** The voice or language is not one the provider has. */
  | 'TTS_UNKNOWN_VOICE'
  /** Nothing speakable in the text. */
  | 'TTS_EMPTY_TEXT'
  /** The text exceeds the provider's limit. */
  | 'TTS_TEXT_TOO_LONG'
  /** Options out of range or of the wrong type. */
  | 'TTS_BAD_OPTIONS'
  /** No provider is registered under the configured name. */
  | 'TTS_PROVIDER_NOT_CONFIGURED'
  /** The engine failed while synthesising. */
  | 'TTS_SYNTHESIS_FAILED';

const KIND = {
  TTS_ENGINE_MISSING: 'internal',
  TTS_UNKNOWN_VOICE: 'input',
  TTS_EMPTY_TEXT: 'input',
  TTS_TEXT_TOO_LONG: 'limit',
  TTS_BAD_OPTIONS: 'input',
  TTS_PROVIDER_NOT_CONFIGURED: 'internal',
  TTS_SYNTHESIS_FAILED: 'internal',
} as const;

export class TtsError extends FacecastError {
  override readonly name = 'TtsError';
  declare readonly code: TtsErrorCode;
  constructor(code: TtsErrorCode, message: string, options?: FacecastErrorOptions) {
    super(code, KIND[code], message, options);
  }
}
