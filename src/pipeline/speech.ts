import {
  type AudioSource,
  type DecodeOptions,
  openAudio,
  PIPELINE_SAMPLE_RATE,
} from '../audio/index.ts';
import { concatMel, MelExtractor, type MelFrames } from '../features/index.ts';
import { PipelineError } from './errors.ts';

/** Below this level in every 25 ms block, a clip counts as silent (as `analyzeAudio`). */
export const SILENCE_DBFS = -60;
const BLOCK = 400;

/** What a speech file holds, measured by decoding all of it. */
export interface SpeechInfo {
  durationMs: number;
  /** Loudest 25 ms block, dBFS. */
  peakBlockDbfs: number;
  source: AudioSource;
}

/**
 * Decodes a speech file to the end (streaming, nothing kept) and checks it can drive a
 * video: decodable to the end (AUDIO_TRUNCATED, AUDIO_DECODE_FAILED …), within the duration
 * limits (AUDIO_TOO_SHORT / AUDIO_TOO_LONG) and not silent (AUDIO_SILENT). Used when a job
 * is accepted, so bad audio is refused at once rather than failing later.
 */
export async function inspectSpeech(
  path: string,
  options: DecodeOptions = {},
): Promise<SpeechInfo> {
  const reader = await openAudio(path, options);
  const blocks = new BlockLevel();
  let samples = 0;
  for await (const chunk of reader) {
    blocks.process(chunk);
    samples += chunk.length;
  }
  const peakBlockDbfs = blocks.peakDbfs();
  if (peakBlockDbfs < SILENCE_DBFS) {
    throw new PipelineError(
      'AUDIO_SILENT',
      `the audio is silent (loudest 25 ms is ${Number.isFinite(peakBlockDbfs) ? peakBlockDbfs.toFixed(1) : '-inf'} dBFS): there is no speech to lip-sync`,
      { details: { peakBlockDbfs: Number.isFinite(peakBlockDbfs) ? peakBlockDbfs : null } },
    );
  }
  return {
    durationMs: (samples / PIPELINE_SAMPLE_RATE) * 1000,
    peakBlockDbfs,
    source: reader.source,
  };
}

/** The speech's log-mel frames and exact length, extracted while decoding. */
export interface SpeechFeatures {
  mel: MelFrames;
  sampleCount: number;
  durationMs: number;
}

/**
 * Decodes a speech file and computes its log-mel features as the audio streams in; only the
 * features are kept (80 floats per 10 ms: 19 MB for 10 minutes).
 */
export async function speechFeatures(
  path: string,
  options: DecodeOptions = {},
): Promise<SpeechFeatures> {
  const reader = await openAudio(path, options);
  const extractor = new MelExtractor();
  const parts: MelFrames[] = [];
  let sampleCount = 0;
  for await (const chunk of reader) {
    sampleCount += chunk.length;
    const frames = extractor.process(chunk);
    if (frames.frames > 0) parts.push(frames);
  }
  parts.push(extractor.flush());
  return {
    mel: concatMel(parts),
    sampleCount,
    durationMs: (sampleCount / PIPELINE_SAMPLE_RATE) * 1000,
  };
}

/** Tracks the loudest 25 ms block of a stream. */
class BlockLevel {
  #sum = 0;
  #count = 0;
  #peak = 0;

  process(samples: Float32Array): void {
    for (const v of samples) {
      this.#sum += v * v;
      if (++this.#count === BLOCK) this.#close();
    }
  }

  peakDbfs(): number {
    if (this.#count > BLOCK / 4) this.#close();
    return this.#peak > 0 ? 10 * Math.log10(this.#peak) : Number.NEGATIVE_INFINITY;
  }

  #close(): void {
    this.#peak = Math.max(this.#peak, this.#sum / this.#count);
    this.#sum = 0;
    this.#count = 0;
  }
}
