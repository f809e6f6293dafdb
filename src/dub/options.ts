import { z } from 'zod';
import type { ControlsSequence } from '../controls/index.ts';
import { type FitMode, fitModeSchema } from './plan.ts';
import type { TrackPassOptions } from './track.ts';

/** What to dub (validated with {@link dubRequestSchema}). */
export const dubRequestSchema = z
  .object({
    /** The video of a person speaking (any format ffmpeg reads). */
    videoPath: z.string().min(1),
    /** The new speech (any format ffmpeg reads, a video's sound included). */
    audioPath: z.string().min(1),
    /** Where the MP4 goes (written to a temporary name, renamed when complete). */
    outPath: z.string().min(1),
    /** What to do when the audio outlasts the video. Default `pingpong`. */
    fit: fitModeSchema.default('pingpong'),
  })
  .strict();
export type DubRequest = z.input<typeof dubRequestSchema>;

/** Progress of one dub, reported a few times a second. */
export interface DubProgress {
  stage: 'audio' | 'track' | 'render' | 'finish';
  /** Fraction of the whole dub done, 0–1. */
  fraction: number;
  /** Frames done in the current stage (source frames while tracking, output frames after). */
  framesDone: number;
  framesTotal: number;
}

/** One output frame, for diagnostics and tests ({@link DubOptions.onFrame}). */
export interface DubFrameInfo {
  outputFrame: number;
  sourceFrame: number;
  /** True when the mouth was re-animated; false when the source frame was passed through. */
  dubbed: boolean;
  /** Crop of the source frame that was re-rendered (dubbed frames only), px. */
  crop?: { x: number; y: number; side: number };
  /** Inner-lip gap of the new mouth over the eye distance (dubbed frames only). */
  mouthGap?: number;
  /** The same for the source frame's own mouth (its landmarks). */
  sourceMouthGap?: number;
  /**
   * The blend mask on the renderer's `sizePx` grid over the crop (valid during the call; only
   * when re-animating on the calling thread, `thread: false`).
   */
  mask?: Float32Array;
  sizePx?: number;
}

/** How a dub runs; every field has a default ({@link DUB_DEFAULTS}, {@link TRACK_PASS_DEFAULTS}). */
export interface DubOptions
  extends Omit<TrackPassOptions, 'signal' | 'onProgress' | 'onDecodedFrame'> {
  signal?: AbortSignal;
  onProgress?: (progress: DubProgress) => void;
  /** Called for every output frame with what was done to it (diagnostics, tests). */
  onFrame?: (frame: DubFrameInfo) => void;
  /** Folder for scratch files (the track file, ~4 KB per frame). Default: the OS temp folder. */
  workDir?: string;
  /** Longest accepted video, ms. Default 10 minutes. */
  maxVideoDurationMs?: number;
  /** Longest accepted audio, ms. Default 10 minutes. */
  maxAudioDurationMs?: number;
  /** Largest accepted frame, pixels (width × height). Default 3840 × 2160. */
  maxFramePixels?: number;
  /** Frames over which the mouth eases from its own shape to the new one next to passed-through frames. Default 3. */
  rampFrames?: number;
  /** Render grid of the re-animated crop, px (256–1024). Default: the crop's own size (no resampling), clamped. */
  renderSizePx?: number;
  /** Memory for frames read backwards in ping-pong, bytes. Default 96 MiB. */
  reverseChunkBytes?: number;
  /**
   * When the source is no larger than the tracking size, the tracking pass keeps its decoded
   * frames for the render pass (one decode instead of two) if all of them fit in this many
   * bytes; past it they are dropped and the render pass decodes again. 0: always decode
   * twice. Default 256 MiB (about 20 s of 512 × 512 at 25 fps).
   */
  keepFramesBytes?: number;
  /**
   * Re-animate on the shared reanimator thread (src/dub `ReanimatorThread`), a few frames
   * ahead of the encoder, so that pass 2 uses both cores. Default true; false re-animates on
   * the calling thread (and `onFrame` then also gets each frame's blend mask).
   */
  thread?: boolean;
  /**
   * Start pass 2 (re-animation) once pass 1 has tracked the first `statsFrames` frames
   * instead of the whole clip; each output frame waits for its source frame's track. The
   * output is the same either way. Default true.
   */
  overlap?: boolean;
  /**
   * Frames whose tracked faces set the render size and the opening scale (the first ones;
   * Infinity: the whole clip, and pass 2 then waits for all of pass 1). Default 100 (4 s at
   * 25 fps).
   */
  statsFrames?: number;
  /** x264 quality of the output (CRF). Default 18. */
  crf?: number;
  /**
   * Take the mouth from these Controls (25 fps, e.g. a face-capture CSV or another video's
   * track) instead of predicting it from the audio; the audio is still muxed. Default: the
   * motion model on the new audio.
   */
  mouthControls?: ControlsSequence;
  /**
   * Scale the new jaw so the mouth moves as much as this speaker's does in the source (about
   * the jaw's rest, by the ratio of the lip gap's 10th–90th percentile ranges, within
   * 0.75–2). Default true; not applied to `mouthControls`.
   */
  matchOpening?: boolean;
}

export const DUB_DEFAULTS: Readonly<{
  fit: FitMode;
  maxVideoDurationMs: number;
  maxAudioDurationMs: number;
  maxFramePixels: number;
  rampFrames: number;
  reverseChunkBytes: number;
  keepFramesBytes: number;
  thread: boolean;
  overlap: boolean;
  statsFrames: number;
  crf: number;
  matchOpening: boolean;
}> = Object.freeze({
  fit: 'pingpong',
  maxVideoDurationMs: 600_000,
  maxAudioDurationMs: 600_000,
  maxFramePixels: 3840 * 2160,
  rampFrames: 3,
  reverseChunkBytes: 96 * 1024 ** 2,
  keepFramesBytes: 256 * 1024 ** 2,
  thread: true,
  overlap: true,
  statsFrames: 100,
  crf: 18,
  matchOpening: true,
});

/** Side of the re-rendered square, in eye distances: lips, jaw, chin and a margin. */
export const CROP_INTER_OCULAR = 3.6;
/** The crop's centre sits this many eye distances below the lips' centre (the chin is below). */
export const CROP_DROP_INTER_OCULAR = 0.25;
/** The mask grows this many eye distances past the mesh, then feathers over as many again. */
export const MASK_GROW_INTER_OCULAR = 0.12;
export const MASK_FEATHER_INTER_OCULAR = 0.2;
