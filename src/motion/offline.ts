import { type DecodeOptions, openAudio } from '../audio/index.ts';
import { CONTROLS_FPS, type ControlsFrame, type ControlsSequence } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import type { MotionModel } from './model.ts';
import type { MotionStreamOptions } from './stream.ts';

/** Options for {@link animateAudio}. */
export interface AnimateOptions extends MotionStreamOptions {
  /** Decoder limits for file input (duration, size). */
  decode?: Omit<DecodeOptions, 'signal'>;
  signal?: AbortSignal;
}

/** Result of {@link animateAudio}. */
export interface AnimateResult {
  sequence: ControlsSequence;
  /** Audio duration in ms. */
  durationMs: number;
  /** Raw model outputs per frame (MOTION_OUTPUTS order), before clamping and idle life. */
  rows: Float32Array;
  stats: ReturnType<import('./stream.ts').MotionStream['toJSON']>;
}

/**
 * Animates a whole file or signal (offline mode). A file is decoded as a stream of chunks and
 * fed through the same {@link MotionStream} as live audio, so memory for audio, features and
 * model state stays bounded whatever the length; only the output frames grow (about 1 KB per
 * 40 ms frame).
 *
 * @example
 * const { sequence } = await animateAudio(model, 'speech.wav', { seed: 3 });
 */
export async function animateAudio(
  model: MotionModel,
  source: string | Float32Array,
  options: AnimateOptions = {},
): Promise<AnimateResult> {
  const { signal, decode, ...streamOptions } = options;
  const stream = model.createStream(streamOptions);
  const frames: ControlsFrame[] = [];
  const rows: Float32Array[] = [];
  let samples = 0;
  try {
    const chunks: AsyncIterable<Float32Array> | Iterable<Float32Array> =
      typeof source === 'string' ? await openAudio(source, { ...decode, signal }) : [source];
    for await (const chunk of chunks) {
      throwIfAborted(signal);
      samples += chunk.length;
      const out = await stream.process({ pcm: chunk }, { signal });
      frames.push(...out.frames);
      rows.push(out.rows);
    }
    const stats = stream.toJSON();
    const tail = await stream.flush({ signal });
    frames.push(...tail.frames);
    rows.push(tail.rows);
    return {
      sequence: { format: 'facecast.controls', version: 1, fps: CONTROLS_FPS, frames },
      durationMs: (samples / 16_000) * 1000,
      rows: concat(rows),
      stats: { ...stats, framesEmitted: frames.length },
    };
  } finally {
    stream.close();
  }
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
