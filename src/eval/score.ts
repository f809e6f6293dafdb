import { throwIfAborted } from '../core/index.ts';
import { type FaceModel, loadFaceModel } from '../face/index.ts';
import {
  faceCropBox,
  type Generator,
  type GeneratorStream,
  type GeneratorStreamOptions,
} from '../generator/index.ts';
import type { MouthBank } from '../mouthbank/index.ts';
import { PART_LABELS, type RgbImage } from '../render/index.ts';
import { EvaluationError } from './errors.ts';
import { FlickerMeter, FrameScorer, psnrFromMse, type Region } from './metrics.ts';
import { reenactFrames } from './reenact.ts';
import { type ClipTrack, trackClip } from './track.ts';

/** Scores of one arm (warp-only or generator) over a clip. */
export interface ArmScores {
  /** Mean over scored frames of the frame's PSNR (RGB, whole frame), dB. */
  psnrDb: number;
  /** Mean SSIM (luma, whole frame). */
  ssim: number;
  /** The same inside the face box (the rendered face's bounding box, 10 % margin). */
  facePsnrDb: number;
  faceSsim: number;
  /**
   * The same inside the mouth box (lips + mouth interior of the render, a square 1.5× their
   * extent, at least 24 px); frames with no mouth rendered are left out.
   */
  mouthPsnrDb: number;
  mouthSsim: number;
  /**
   * With `body`: the same inside the body box ({@link bodyBox}: shoulders and upper chest
   * below the chin); null without.
   */
  bodyPsnrDb: number | null;
  bodySsim: number | null;
  /** {@link FlickerMeter} value over all frames, 0–255 luma levels. */
  flicker: number;
  /** Per scored frame: MSE over the whole frame (for paired statistics). */
  frameMse: number[];
}

/** What {@link scoreReenactment} measured. */
export interface ReenactmentScores {
  clip: string;
  frames: number;
  /** Frames scored: every frame except the reference. */
  scoredFrames: number;
  facedFrames: number;
  referenceIndex: number;
  width: number;
  height: number;
  warpOnly: ArmScores;
  /**
   * Warp-only as it was before person segmentation (the renderer without the reference's
   * person matte), same frames and run, when `baseline` was asked for.
   */
  warpOnlyBaseline: ArmScores | null;
  /** The generator + SR (the product's path), when a generator was given. */
  generator: ArmScores | null;
  /** The generator with its residual upsampled bilinearly instead of SR (`withoutSr`). */
  generatorWithoutSr: ArmScores | null;
  /**
   * With `body`: warp-only with the body channels zeroed (the torso held still), same frames
   * and run; `warpOnly` then moves the torso with the tracked body.
   */
  stillTorso: ArmScores | null;
  /** With `body`: the body box scored (output px). */
  bodyBox: Region | null;
  /** The flicker measure of the real video against itself (its floor). */
  realFlicker: number;
  /** Fraction of pixels that counted as static for the flicker measure. */
  staticFraction: number;
  timingsMs: { track: number; score: number; generatorPerFrame: number | null };
}

/** Options of {@link scoreReenactment}. */
export interface ScoreReenactmentOptions {
  /** Score the generator next to warp-only (same frames, same run). Not closed here. */
  generator?: Generator;
  /** Stream options of the generator (framesPerWindow 1 = the live path). */
  stream?: GeneratorStreamOptions;
  /**
   * Also score the generator without the SR model (its base residual upsampled bilinearly),
   * same frames, same noise: a third arm that shows what SR adds. Default false.
   */
  withoutSr?: boolean;
  /** Also score warp-only without the person matte (`warpOnlyBaseline`). Default false. */
  baseline?: boolean;
  /**
   * Track the body on every frame (when tracking here), move the reference's torso with it,
   * score the body box, and score a still torso next to it (`stillTorso`). Default false.
   */
  body?: boolean;
  /** With `body`: move the reference's arms too (the limb pass). Default true. */
  arms?: boolean;
  /** A cached track of this clip (else it is tracked now; with `body`, it needs body channels). */
  track?: ClipTrack;
  /** Score only the first this many frames (the whole clip is still tracked). Default: all. */
  maxFrames?: number;
  /** Reference frame. Default 0. */
  referenceIndex?: number;
  /** Real mouths to paint the warp-only interior from (src/render `mouthBank`). Default: drawn. */
  mouthBank?: MouthBank;
  model?: FaceModel;
  onProgress?: (stage: 'track' | 'score', done: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/**
 * Self-reenactment score of a clip (`facecast eval reenact`): tracks it (or takes a cached
 * track), uses its first frame as the reference, re-renders every frame from the tracked
 * Controls and compares with the real frames — warp-only, and the generator on the very same
 * rendered frames when given. The reference frame itself is not scored.
 *
 * @example
 * const scores = await scoreReenactment('clip.mp4', { generator });
 * console.log(scores.warpOnly.psnrDb, scores.generator?.psnrDb);
 */
export async function scoreReenactment(
  path: string,
  options: ScoreReenactmentOptions = {},
): Promise<ReenactmentScores> {
  const { signal } = options;
  const model = options.model ?? (await loadFaceModel());
  const t0 = performance.now();
  const track =
    options.track ??
    (await trackClip(path, {
      model,
      signal,
      bodyEvery: options.body ? 1 : 0,
      onProgress: (done, total) => options.onProgress?.('track', done, total),
    }));
  const trackMs = performance.now() - t0;
  const t1 = performance.now();
  const total = Math.min(track.frames.length, options.maxFrames ?? Number.POSITIVE_INFINITY);
  let scorer: FrameScorer | undefined;
  const warp = newArm();
  const base = options.baseline ? newArm() : undefined;
  const still = options.body ? newArm() : undefined;
  let body: Region | undefined;
  // One stream per generator arm; each returns its frames a window late.
  const lanes: Lane[] = [];
  if (options.generator) {
    lanes.push({
      stream: options.generator.createStream(options.stream),
      arm: newArm(),
      pending: [],
    });
    if (options.withoutSr)
      lanes.push({
        stream: options.generator.createStream({ ...options.stream, sr: false }),
        arm: newArm(),
        pending: [],
      });
  }
  let realMeter: FlickerMeter | undefined;
  let width = 0;
  let height = 0;
  let referenceIndex = -1;
  let faced = 0;
  // Generator output arrives a window late: keep the real frames and face boxes until then.
  const take = (lane: Lane, outputs: RgbImage[]) => {
    for (const out of outputs) {
      const p = lane.pending.shift();
      if (!p)
        throw new EvaluationError('EVAL_BAD_FRAMES', 'generator returned more frames than given');
      addFrame(
        lane.arm,
        scorer as FrameScorer,
        out,
        p.real,
        p.face,
        p.frameIndex === referenceIndex,
        p.mouth,
        p.body,
      );
    }
  };
  try {
    for await (const f of reenactFrames(path, track, {
      model,
      referenceIndex: options.referenceIndex ?? 0,
      baseline: options.baseline ?? false,
      body: options.body ?? false,
      arms: options.arms ?? true,
      ...(options.mouthBank ? { mouthBank: options.mouthBank } : {}),
      signal,
    })) {
      throwIfAborted(signal);
      if (options.maxFrames !== undefined && f.frameIndex >= options.maxFrames) break;
      if (!scorer) {
        width = f.real.width;
        height = f.real.height;
        scorer = new FrameScorer(width, height);
        warp.flicker = new FlickerMeter(width, height);
        if (base) base.flicker = new FlickerMeter(width, height);
        if (still) still.flicker = new FlickerMeter(width, height);
        if (f.shoulders) body = bodyBox(f.output.maps.labels, width, height, f.shoulders);
        for (const lane of lanes) lane.arm.flicker = new FlickerMeter(width, height);
        realMeter = new FlickerMeter(width, height);
      }
      referenceIndex = f.referenceIndex;
      if (f.faceFound) faced++;
      const box = faceCropBox(f.output.maps.labels, width, height, 1.1);
      const face = box
        ? { x: box.x, y: box.y, width: box.size, height: box.size }
        : { x: 0, y: 0, width, height };
      const mouth = mouthBox(f.output.maps.labels, width, height);
      const isRef = f.frameIndex === referenceIndex;
      addFrame(warp, scorer, f.output.composite, f.real, face, isRef, mouth, body);
      if (base && f.baseline) addFrame(base, scorer, f.baseline, f.real, face, isRef, mouth);
      if (still && f.stillTorso)
        addFrame(still, scorer, f.stillTorso, f.real, face, isRef, mouth, body);
      realMeter?.push(f.real, f.real);
      const real = lanes.length ? copyImage(f.real) : f.real;
      for (const lane of lanes) {
        lane.pending.push({ frameIndex: f.frameIndex, real, face, mouth, body });
        take(
          lane,
          await lane.stream.push(
            { composite: f.output.composite, maps: f.output.maps, reference: f.reference },
            { signal },
          ),
        );
      }
      options.onProgress?.('score', f.frameIndex + 1, total);
    }
    for (const lane of lanes) take(lane, await lane.stream.flush({ signal }));
  } finally {
    for (const lane of lanes) lane.stream.close();
  }
  const scored = warp.mse.length;
  if (scored === 0)
    throw new EvaluationError(
      'EVAL_TOO_FEW_FRAMES',
      `${path}: no frame to score besides the reference`,
    );
  return {
    clip: track.clip,
    frames: total,
    scoredFrames: scored,
    facedFrames: faced,
    referenceIndex,
    width,
    height,
    warpOnly: summarise(warp),
    warpOnlyBaseline: base ? summarise(base) : null,
    generator: lanes[0] ? summarise(lanes[0].arm) : null,
    generatorWithoutSr: lanes[1] ? summarise(lanes[1].arm) : null,
    stillTorso: still ? summarise(still) : null,
    bodyBox: body ?? null,
    realFlicker: realMeter?.value ?? Number.NaN,
    staticFraction: warp.flicker?.staticFraction ?? Number.NaN,
    timingsMs: {
      track: options.track ? 0 : trackMs,
      score: performance.now() - t1,
      generatorPerFrame: lanes[0] ? lanes[0].stream.toJSON().meanMsPerFrame : null,
    },
  };
}

interface Lane {
  stream: GeneratorStream;
  arm: Arm;
  pending: {
    frameIndex: number;
    real: RgbImage;
    face: Region;
    mouth: Region | undefined;
    body: Region | undefined;
  }[];
}

interface Arm {
  mse: number[];
  ssim: number[];
  faceMse: number[];
  faceSsim: number[];
  mouthMse: number[];
  mouthSsim: number[];
  bodyMse: number[];
  bodySsim: number[];
  flicker: FlickerMeter | undefined;
}

function newArm(): Arm {
  return {
    mse: [],
    ssim: [],
    faceMse: [],
    faceSsim: [],
    mouthMse: [],
    mouthSsim: [],
    bodyMse: [],
    bodySsim: [],
    flicker: undefined,
  };
}

function addFrame(
  arm: Arm,
  scorer: FrameScorer,
  out: RgbImage,
  real: RgbImage,
  face: Region,
  isRef: boolean,
  mouth: Region | undefined,
  body?: Region,
) {
  arm.flicker?.push(out, real);
  if (isRef) return;
  const all = scorer.score(out, real);
  const inFace = scorer.score(out, real, face);
  arm.mse.push(all.mse);
  arm.ssim.push(all.ssim);
  arm.faceMse.push(inFace.mse);
  arm.faceSsim.push(inFace.ssim);
  if (mouth) {
    const inMouth = scorer.score(out, real, mouth);
    arm.mouthMse.push(inMouth.mse);
    arm.mouthSsim.push(inMouth.ssim);
  }
  if (body) {
    const inBody = scorer.score(out, real, body);
    arm.bodyMse.push(inBody.mse);
    arm.bodySsim.push(inBody.ssim);
  }
}

/** Square box around the rendered lips and mouth interior, 1.5× their extent (≥ 24 px). */
function mouthBox(labels: Uint8Array, width: number, height: number): Region | undefined {
  let x0 = width;
  let x1 = -1;
  let y0 = height;
  let y1 = -1;
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p];
    if (l !== PART_LABELS.lips && l !== PART_LABELS.mouthInterior) continue;
    const x = p % width;
    const y = (p - x) / width;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  if (x1 < 0) return undefined;
  const side = Math.max(24, 1.5 * Math.max(x1 - x0 + 1, y1 - y0 + 1));
  return { x: (x0 + x1 + 1 - side) / 2, y: (y0 + y1 + 1 - side) / 2, width: side, height: side };
}

/**
 * The body box: shoulders and upper chest below the chin. Across, the reference's shoulder
 * joints ± 0.2 shoulder widths; down, from 4 px below the lowest face pixel of the frame's
 * render (the chin) to 0.5 shoulder widths below the shoulder line; clipped to the frame.
 */
function bodyBox(
  labels: Uint8Array,
  width: number,
  height: number,
  shoulders: { left: { x: number; y: number }; right: { x: number; y: number } },
): Region {
  let chin = 0;
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p] as number;
    if (l >= PART_LABELS.skin && l <= PART_LABELS.brows) chin = Math.floor(p / width);
  }
  const { left, right } = shoulders;
  const sw = Math.hypot(left.x - right.x, left.y - right.y);
  const x0 = Math.max(0, Math.round(Math.min(left.x, right.x) - 0.2 * sw));
  const x1 = Math.min(width, Math.round(Math.max(left.x, right.x) + 0.2 * sw));
  const y0 = Math.min(height - 16, chin + 4);
  const y1 = Math.min(height, Math.round((left.y + right.y) / 2 + 0.5 * sw));
  return { x: x0, y: y0, width: x1 - x0, height: Math.max(16, y1 - y0) };
}

function summarise(arm: Arm): ArmScores {
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  // Per-frame PSNR capped at 100 dB so a perfect frame cannot dominate the mean.
  const psnr = (v: number[]) => mean(v.map((m) => Math.min(100, psnrFromMse(m))));
  return {
    psnrDb: psnr(arm.mse),
    ssim: mean(arm.ssim),
    facePsnrDb: psnr(arm.faceMse),
    faceSsim: mean(arm.faceSsim),
    mouthPsnrDb: psnr(arm.mouthMse),
    mouthSsim: mean(arm.mouthSsim),
    bodyPsnrDb: arm.bodyMse.length ? psnr(arm.bodyMse) : null,
    bodySsim: arm.bodySsim.length ? mean(arm.bodySsim) : null,
    flicker: arm.flicker?.value ?? Number.NaN,
    frameMse: arm.mse,
  };
}

function copyImage(image: RgbImage): RgbImage {
  return { width: image.width, height: image.height, data: image.data.slice() };
}
