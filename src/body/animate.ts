import type { ControlsFrame, ControlsSequence } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { MelExtractor } from '../features/index.ts';
import { accentFrames, BeatAccent } from './accent.ts';
import { addBodyRows } from './channels.ts';
import { BodyError } from './errors.ts';
import { BodyFeatures } from './features.ts';
import {
  BODY_AUDIO_FEATURES,
  BODY_HEAD_OFFSET,
  BODY_INPUT_COUNT,
  BODY_NOISE_OFFSET,
} from './layout.ts';
import type { BodyModel } from './model.ts';
import { BodyNoise } from './noise.ts';
import { TorsoSway } from './sway.ts';

/** Options for {@link animateBody}. */
export interface AnimateBodyOptions {
  /** Seed of the noise inputs: the same speech gestures differently per seed. Default 1. */
  seed?: number;
  /** Add the torso sway (src/body/sway.ts) on top of the model. Default true. */
  sway?: boolean;
  /** Add the beat accent (src/body/accent.ts): gesture strokes on the speech's beats. Default true. */
  accent?: boolean;
  signal?: AbortSignal;
}

/** 16 kHz mono speech, whole or as chunks (e.g. an `openAudio` reader). */
export type BodyAudio = Float32Array | Iterable<Float32Array> | AsyncIterable<Float32Array>;

/**
 * The body model's audio features (rows of BODY_AUDIO_FEATURES per 40 ms frame) of 16 kHz
 * speech, computed chunk by chunk (memory: the features only, ~72 bytes per frame).
 */
export async function bodyAudioFeatures(
  audio: BodyAudio,
  options: { signal?: AbortSignal } = {},
): Promise<Float32Array> {
  const mel = new MelExtractor();
  const features = new BodyFeatures();
  const parts: Float32Array[] = [];
  const chunks = audio instanceof Float32Array ? [audio] : audio;
  for await (const chunk of chunks) {
    throwIfAborted(options.signal);
    if (!chunk.every(Number.isFinite))
      throw new BodyError('BODY_BAD_INPUT', 'audio samples must be finite');
    parts.push(features.push(mel.process(chunk)));
  }
  parts.push(features.push(mel.flush()), features.end());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The body model's input rows for a Controls sequence: audio features (frames past their end
 * count as silence), the frames' head yaw and roll (the head–neck coupling) and seeded noise.
 */
export function bodyInputs(
  sequence: ControlsSequence,
  features: Float32Array,
  seed: number,
): Float32Array {
  const frames = sequence.frames.length;
  const available = Math.floor(features.length / BODY_AUDIO_FEATURES);
  const noise = new BodyNoise(seed);
  const inputs = new Float32Array(frames * BODY_INPUT_COUNT);
  sequence.frames.forEach((frame, f) => {
    writeInputRow(
      inputs,
      f * BODY_INPUT_COUNT,
      frame,
      f < available ? features : undefined,
      f,
      noise,
    );
  });
  return inputs;
}

/**
 * One frame's input row at `o`: its audio features (row `row` of `features`; undefined past
 * the audio = silence), the frame's head yaw and roll, and the next seeded noise values.
 */
export function writeInputRow(
  inputs: Float32Array,
  o: number,
  frame: ControlsFrame,
  features: Float32Array | undefined,
  row: number,
  noise: BodyNoise,
): void {
  if (features)
    inputs.set(features.subarray(row * BODY_AUDIO_FEATURES, (row + 1) * BODY_AUDIO_FEATURES), o);
  inputs[o + BODY_HEAD_OFFSET] = frame.head.yaw;
  inputs[o + BODY_HEAD_OFFSET + 1] = frame.head.roll;
  noise.next(inputs, o + BODY_NOISE_OFFSET);
}

/**
 * Speech → upper body: adds the neck roll and the shoulder, elbow and wrist offsets predicted
 * from the speech and the head's motion to a Controls sequence (from src/motion, whose
 * shoulders already carry the breathing lift), then the beat accent (unless `accent: false`)
 * and the torso sway (unless `sway: false`).
 * {@link BodyStream} gives the same chunk by chunk. Changes `sequence` in place and returns it.
 *
 * @example
 * const { sequence } = await animateAudio(motion, pcm, { seed: 3 });
 * await animateBody(body, sequence, pcm, { seed: 3 });
 */
export async function animateBody(
  model: BodyModel,
  sequence: ControlsSequence,
  audio: BodyAudio,
  options: AnimateBodyOptions = {},
): Promise<ControlsSequence> {
  const features = await bodyAudioFeatures(audio, options);
  const frames = sequence.frames.length;
  const rows = await model.run(bodyInputs(sequence, features, options.seed ?? 1), frames, {
    signal: options.signal,
  });
  addBodyRows(sequence.frames, rows);
  const available = Math.floor(features.length / BODY_AUDIO_FEATURES);
  if (options.accent !== false)
    accentFrames(new BeatAccent(options.seed ?? 1), sequence.frames, features, 0, available);
  if (options.sway !== false) {
    const sway = new TorsoSway(options.seed ?? 1);
    sequence.frames.forEach((frame, f) => {
      sway.apply(frame, f < available ? features : undefined, f * BODY_AUDIO_FEATURES);
    });
  }
  return sequence;
}
