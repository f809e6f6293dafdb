import {
  ARKIT_BLENDSHAPES,
  BLENDSHAPE_COUNT,
  BLENDSHAPE_INDEX,
  type BlendshapeName,
  CONTROLS_FPS,
  type ControlsFrame,
  neutralFrame,
  setBlendshapeVector,
} from '../controls/index.ts';
import { BodyTracker } from './body-tracker.ts';
import { type FaceFit, FaceFitter } from './fit.ts';
import { eyeLookWeights, gazeFromLandmarks } from './gaze.ts';
import type { DetectedBody } from './landmarker.ts';
import { FACE_VERTEX_COUNT, type FaceModel } from './model.ts';
import { closeMouth } from './mouth.ts';
import { OneEuroFilter, type OneEuroParams } from './one-euro.ts';
import type { FacePose } from './pose.ts';

/** Smoothing of each group of Controls channels (One-Euro), or false for raw per-frame fits. */
export interface TrackerSmoothing {
  blendshapes: OneEuroParams;
  head: OneEuroParams;
  gaze: OneEuroParams;
  /** Body joints and the neck (default {@link TRACKER_SMOOTHING}'s). */
  body?: OneEuroParams;
}

/** Options for {@link FaceTracker}. Defaults in {@link TRACKER_DEFAULTS}. */
export interface TrackerOptions {
  /** Frame size (px) the landmarks are in; the larger side is the assumed focal length for head z. */
  frameWidth: number;
  frameHeight: number;
  /** Faced frames sampled to estimate the person's face shape and rest position. Default 30. */
  calibrationFrames?: number;
  /** Take every n-th faced frame for that estimate. Default 3 (so the first ~3.6 s at 25 fps). */
  calibrationStride?: number;
  /** One-Euro parameters per channel group, or false. Default {@link TRACKER_SMOOTHING}. */
  smoothing?: TrackerSmoothing | false;
  /** Body keypoints below this score are ignored. Default 0.3. */
  minKeypointScore?: number;
  /**
   * Weight of the inner-lip landmarks in the mouth pass (× the rest of the face), which
   * reads the lips' opening into jawOpen; 0 skips the pass. Default 32.
   */
  mouthWeight?: number;
}

/**
 * Default smoothing. Blendshapes: 6 Hz at rest, rising steeply with speed (beta 3 per
 * unit/s), so syllables (3–7 Hz), lip closures and blinks keep their timing and height;
 * head and gaze: slower, landmark jitter shows most there.
 */
export const TRACKER_SMOOTHING: Readonly<Required<TrackerSmoothing>> = Object.freeze({
  blendshapes: { minCutoffHz: 6, beta: 3, derivativeCutoffHz: 2 },
  head: { minCutoffHz: 1.5, beta: 2, derivativeCutoffHz: 1 },
  gaze: { minCutoffHz: 2.5, beta: 0.3, derivativeCutoffHz: 1 },
  // MoveNet keypoints jitter by ~1–2 % of the shoulder width frame to frame; gestures are
  // 0.5–3 Hz, moving at 0.5–3 shoulder widths/s.
  body: { minCutoffHz: 1.2, beta: 1.5, derivativeCutoffHz: 1 },
});

export const TRACKER_DEFAULTS = Object.freeze({
  calibrationFrames: 30,
  calibrationStride: 3,
  minKeypointScore: 0.3,
  mouthWeight: 32,
});

/**
 * Shapes that open or close the lips without the jaw. The mouth pass holds them at 0 so
 * that the lips' opening is read as jawOpen (see {@link FaceTracker}).
 */
export const LIP_ONLY_OPENING: readonly BlendshapeName[] = Object.freeze([
  'mouthClose',
  'mouthLowerDownLeft',
  'mouthLowerDownRight',
  'mouthUpperUpLeft',
  'mouthUpperUpRight',
  'mouthShrugLower',
  'mouthShrugUpper',
  'mouthRollLower',
  'mouthRollUpper',
  'mouthPressLeft',
  'mouthPressRight',
]);

/** What {@link FaceTracker.process} takes per video frame (frames must come in order, 25 fps). */
export interface TrackerInput {
  frameIndex: number;
  /** 478 × 3 landmarks of the face to track, px, or undefined when no face was found. */
  landmarks: Float32Array | undefined;
  body?: DetectedBody | undefined;
}

/** One tracked frame. */
export interface TrackedFrame {
  frameIndex: number;
  timeMs: number;
  controls: ControlsFrame;
  /** The weak-perspective pose (absolute, image px), when a face was found. */
  pose: FacePose | undefined;
  /** Mean 2-D distance of the fitted mesh to the landmarks, px (NaN without a face). */
  residualPx: number;
}

interface Pending {
  input: TrackerInput;
  fit?: FaceFit;
}

/**
 * The pure core of `facecast track`: landmarks per 25 fps frame in, Controls per frame out.
 *
 * 1. Calibration: the first `calibrationFrames` faced frames (every `calibrationStride`-th)
 *    are fitted with the face shape free. This person's neutral = the median identity
 *    coefficients of the most closed-mouth samples, plus every blendshape they show in at
 *    least 80 % of the samples (its 20th percentile: a resting face, not an expression).
 *    The median position/scale is the reference for the head's x/y/z. Frames wait in a
 *    buffer until then (or until {@link flush}).
 * 2. Every frame is fitted with that shape fixed (warm-started from the previous frame),
 *    eyeLook weights held at what the irises say; head rotation is absolute (relative to
 *    a frontal, upright head), translation relative to the reference.
 *    Then the mouth pass: jawOpen alone is refitted, the inner lips weighted
 *    `mouthWeight`×, the lip-only openers and closers ({@link LIP_ONLY_OPENING}) at 0 and
 *    every other weight held, and the frame's weights are the mean of the two fits. The
 *    joint fit splits an opening between the jaw (which also moves the chin) and the lips'
 *    own shapes by how the chin moves, and the detector's chin follows speech less reliably
 *    than its lips (on some clips not at all); the pass reads the opening from the lips.
 *    Both fits explain the same landmarks and differ only in how the opening is carried,
 *    and the weights are linear, so the mean's mesh is the mean of the two meshes.
 * 3. One-Euro smoothing per channel. Frames without a face are marked `faceFound: false`
 *    and hold the last values; smoothing restarts after them.
 *
 * No timers, no I/O.
 */
export class FaceTracker {
  readonly #model: FaceModel;
  readonly #fitter: FaceFitter;
  readonly #o: Required<Omit<TrackerOptions, 'smoothing'>> & {
    smoothing: TrackerSmoothing | false;
  };
  readonly #pending: Pending[] = [];
  #facedSeen = 0;
  readonly #samples: FaceFit[] = [];
  readonly #sampleLandmarks: Float32Array[] = [];
  #identity: Float32Array | undefined;
  #reference: { txPx: number; tyPx: number; iodPx: number } | undefined;
  #previous: FaceFit | undefined;
  #last: ControlsFrame = neutralFrame();
  readonly #filters: { blend: OneEuroFilter; head: OneEuroFilter; gaze: OneEuroFilter } | undefined;
  readonly #body: BodyTracker;
  #stats = { frames: 0, faced: 0, meanResidualPx: 0 };

  constructor(model: FaceModel, options: TrackerOptions) {
    this.#model = model;
    this.#fitter = new FaceFitter(model);
    this.#o = {
      ...TRACKER_DEFAULTS,
      ...options,
      smoothing: options.smoothing === undefined ? TRACKER_SMOOTHING : options.smoothing,
    };
    const s = this.#o.smoothing;
    this.#filters = s
      ? {
          blend: new OneEuroFilter(BLENDSHAPE_COUNT, CONTROLS_FPS, s.blendshapes),
          head: new OneEuroFilter(6, CONTROLS_FPS, s.head),
          gaze: new OneEuroFilter(4, CONTROLS_FPS, s.gaze),
        }
      : undefined;
    this.#body = new BodyTracker({
      minKeypointScore: this.#o.minKeypointScore,
      smoothing: s ? (s.body ?? TRACKER_SMOOTHING.body) : false,
    });
  }

  /** Adds a frame; returns the frames that are ready (none while calibrating). */
  process(input: TrackerInput): TrackedFrame[] {
    const pending: Pending = { input };
    if (!this.#identity && input.landmarks) {
      if (this.#facedSeen % this.#o.calibrationStride === 0) {
        const fit = this.#fitter.fit(input.landmarks, { fitIdentity: true });
        pending.fit = fit;
        this.#samples.push(fit);
        this.#sampleLandmarks.push(input.landmarks);
        if (input.body) this.#body.addSample(input.body);
      }
      this.#facedSeen++;
    }
    this.#pending.push(pending);
    if (!this.#identity && this.#samples.length < this.#o.calibrationFrames) return [];
    if (!this.#identity) this.#calibrate();
    return this.#drain();
  }

  /** Ends the stream: calibrates with what it has and returns the remaining frames. */
  flush(): TrackedFrame[] {
    if (!this.#identity) this.#calibrate();
    return this.#drain();
  }

  /** Progress and quality so far. */
  toJSON(): { frames: number; faced: number; meanResidualPx: number; calibrated: boolean } {
    return { ...this.#stats, calibrated: this.#identity !== undefined };
  }

  /** The person's neutral shape (468 × 3 cm) once calibrated. */
  get identity(): Float32Array | undefined {
    return this.#identity;
  }

  #calibrate(): void {
    const model = this.#model;
    const samples = this.#samples;
    const identity = Float32Array.from(model.neutral);
    if (samples.length > 0) {
      // The person's shape from their most closed-mouth samples (lip gap at or below the
      // 30th percentile): speech must not become part of the neutral.
      const gaps = samples.map((s) => s.weights[BLENDSHAPE_INDEX.jawOpen] as number);
      const limit = [...gaps].sort((a, b) => a - b)[Math.floor(0.3 * (gaps.length - 1))] as number;
      const rest = samples.filter((_, k) => (gaps[k] as number) <= limit);
      const alpha = new Float64Array(model.identityCount);
      for (let j = 0; j < alpha.length; j++) {
        alpha[j] = median(rest.map((s) => s.identityCoefficients[j] as number));
      }
      for (let d = 0; d < FACE_VERTEX_COUNT * 3; d++) {
        let v = identity[d] as number;
        for (let j = 0; j < alpha.length; j++) {
          v +=
            (alpha[j] as number) * (model.identityBasis[j * FACE_VERTEX_COUNT * 3 + d] as number);
        }
        identity[d] = v;
      }
      // Rest offsets: a shape this person shows in at least 80 % of the sampled frames (its
      // 20th percentile is above 0) is part of their resting face, not an expression; move
      // that much into the neutral. eyeLook weights follow the irises and are left alone.
      const refits = samples.map((s, k) =>
        this.#fitter.fit(this.#sampleLandmarks[k] as Float32Array, {
          identity,
          initialPose: s.pose,
        }),
      );
      for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
        if (EYE_LOOK.has(k)) continue;
        const low = percentile(
          refits.map((f) => f.weights[k] as number),
          0.2,
        );
        if (low <= 0) continue;
        for (let d = 0; d < FACE_VERTEX_COUNT * 3; d++) {
          identity[d] =
            (identity[d] as number) + low * (model.basis[k * FACE_VERTEX_COUNT * 3 + d] as number);
        }
      }
      this.#reference = {
        txPx: median(samples.map((s) => s.pose.txPx)),
        tyPx: median(samples.map((s) => s.pose.tyPx)),
        iodPx: median(samples.map((s) => s.pose.pxPerCm)) * model.interOcularCm,
      };
    }
    // The person's neutral has closed lips, so every opening is read as jawOpen (a floor of
    // lips apart at rest would hide the smaller openings of speech under the [0, 1] bound).
    this.#identity = closeMouth(model, identity, 'closed').identity;
    this.#sampleLandmarks.length = 0;
    this.#body.calibrate();
  }

  /** The mouth pass (class comment, step 2): updates `fit` in place. */
  #readMouth(landmarks: Float32Array, fit: FaceFit): void {
    if (this.#o.mouthWeight <= 0) return;
    const fixed = new Map<number, number>();
    for (let k = 0; k < BLENDSHAPE_COUNT; k++) {
      if (k === BLENDSHAPE_INDEX.jawOpen) continue;
      fixed.set(k, LIP_ONLY.has(k) ? 0 : (fit.weights[k] as number));
    }
    const mouth = this.#fitter.fit(landmarks, {
      identity: this.#identity,
      initialPose: fit.pose,
      initialWeights: fit.weights,
      fixedWeights: fixed,
      iterations: 4,
      mouthWeight: this.#o.mouthWeight,
    });
    for (let k = 0; k < BLENDSHAPE_COUNT; k++)
      fit.weights[k] = ((fit.weights[k] as number) + (mouth.weights[k] as number)) / 2;
  }

  #drain(): TrackedFrame[] {
    const out: TrackedFrame[] = [];
    for (const pending of this.#pending.splice(0)) out.push(this.#track(pending.input));
    return out;
  }

  #track(input: TrackerInput): TrackedFrame {
    const model = this.#model;
    const timeMs = (input.frameIndex * 1000) / CONTROLS_FPS;
    this.#stats.frames++;
    if (!input.landmarks) {
      // Hold the last values, mark the frame, and let smoothing restart when the face returns.
      const frame = structuredClone(this.#last);
      frame.faceFound = false;
      this.#body.apply(frame, input.body);
      this.#previous = undefined;
      this.#filters?.blend.reset();
      this.#filters?.head.reset();
      this.#filters?.gaze.reset();
      return {
        frameIndex: input.frameIndex,
        timeMs,
        controls: frame,
        pose: undefined,
        residualPx: Number.NaN,
      };
    }
    const landmarks = input.landmarks;
    const previous = this.#previous;
    // Gaze needs a pose: the previous frame's (a 40 ms old pose is plenty for the iris
    // offset), or a first fit without the eyeLook constraint.
    const posed =
      previous?.pose ??
      this.#fitter.fit(landmarks, { identity: this.#identity, iterations: 12 }).pose;
    const gaze = gazeFromLandmarks(model, landmarks, posed);
    const fit = this.#fitter.fit(landmarks, {
      identity: this.#identity,
      initialPose: posed,
      initialWeights: previous?.weights,
      fixedWeights: eyeLookWeights(gaze),
      iterations: previous ? 6 : 12,
    });
    this.#readMouth(landmarks, fit);
    this.#previous = fit;
    this.#stats.faced++;
    this.#stats.meanResidualPx +=
      (fit.residual.meanPx - this.#stats.meanResidualPx) / this.#stats.faced;

    const frame = neutralFrame();
    const weights = Float64Array.from(fit.weights);
    const ref = this.#reference ?? {
      txPx: fit.pose.txPx,
      tyPx: fit.pose.tyPx,
      iodPx: fit.pose.pxPerCm * model.interOcularCm,
    };
    const focalPx = Math.max(this.#o.frameWidth, this.#o.frameHeight);
    const iodPx = fit.pose.pxPerCm * model.interOcularCm;
    const head = Float64Array.from([
      fit.pose.pitch,
      fit.pose.yaw,
      fit.pose.roll,
      (fit.pose.txPx - ref.txPx) / ref.iodPx,
      (fit.pose.tyPx - ref.tyPx) / ref.iodPx,
      focalPx / iodPx - focalPx / ref.iodPx,
    ]);
    const eyes = Float64Array.from([gaze.leftYaw, gaze.leftPitch, gaze.rightYaw, gaze.rightPitch]);
    if (this.#filters) {
      this.#filters.blend.process(weights);
      this.#filters.head.process(head);
      this.#filters.gaze.process(eyes);
    }
    setBlendshapeVector(frame, weights);
    const angle = (v: number) => Math.max(-Math.PI, Math.min(Math.PI, v));
    frame.head = {
      pitch: angle(head[0] as number),
      yaw: angle(head[1] as number),
      roll: angle(head[2] as number),
      x: head[3] as number,
      y: head[4] as number,
      z: head[5] as number,
    };
    frame.gaze = {
      leftYaw: angle(eyes[0] as number),
      leftPitch: angle(eyes[1] as number),
      rightYaw: angle(eyes[2] as number),
      rightPitch: angle(eyes[3] as number),
    };
    this.#body.apply(frame, input.body);
    this.#last = frame;
    return {
      frameIndex: input.frameIndex,
      timeMs,
      controls: frame,
      pose: fit.pose,
      residualPx: fit.residual.meanPx,
    };
  }
}

const LIP_ONLY = new Set(LIP_ONLY_OPENING.map((name) => BLENDSHAPE_INDEX[name]));

const EYE_LOOK = new Set(
  ARKIT_BLENDSHAPES.flatMap((name, k) => (name.startsWith('eyeLook') ? [k] : [])),
);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
