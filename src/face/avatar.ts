import { ARKIT_BLENDSHAPES, blendshapesSchema } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { FaceError } from './errors.ts';
import { FaceFitter } from './fit.ts';
import { eyeLookWeights, gazeFromLandmarks } from './gaze.ts';
import { encodePng, type LoadImageOptions, loadImage, type NormalisedImage } from './image.ts';
import { type Detection, FaceLandmarker } from './landmarker.ts';
import { FACE_VERTEX_COUNT, type FaceModel, loadFaceModel } from './model.ts';
import { classifyMouth, closeMouth, measureMouth } from './mouth.ts';
import { deformVertices, rotationMatrix } from './pose.ts';
import { type AvatarProfile, type PixelBox, saveAvatarProfile } from './profile.ts';

/** Options for building an avatar. Defaults in {@link AVATAR_DEFAULTS}. */
export interface AvatarOptions {
  /**
   * Smallest accepted face: distance between the eye centres in the normalised image, px.
   * Below it landmarks are too coarse to animate (FACE_TOO_SMALL). Default 32 (a face about
   * 80 px wide).
   */
  minInterOcularPx?: number;
  /** Largest head turn accepted, radians (FACE_POSE_EXTREME). Default 0.61 (35°). */
  maxYawRad?: number;
  /** Largest nod up/down accepted, radians. Default 0.52 (30°). */
  maxPitchRad?: number;
  /** Largest sideways tilt accepted, radians. Default 0.79 (45°). */
  maxRollRad?: number;
  /** Several faces are an error (FACE_MULTIPLE) instead of a warning. Default false. */
  strict?: boolean;
  /** Stored in the profile: how the renderer fills the opened mouth (profile `mouthInterior`). Default drawn. */
  mouthInterior?: 'drawn' | 'bank';
  /**
   * The output framing stored as the profile's crop: `head`, a square talking-head crop around
   * the face (default), or `whole`, the whole image (full-body and half-body photos whose
   * arms and legs should stay in the picture).
   */
  framing?: 'head' | 'whole';
  signal?: AbortSignal;
}

export const AVATAR_DEFAULTS = Object.freeze({
  minInterOcularPx: 32,
  maxYawRad: 0.61,
  maxPitchRad: 0.52,
  maxRollRad: 0.79,
  strict: false,
});

/** Distance between the eye centres (means of the 16-point eye contours), px. */
export function interOcularPx(model: FaceModel, landmarks: ArrayLike<number>): number {
  const centre = (set: Uint32Array) => {
    let x = 0;
    let y = 0;
    for (const i of set) {
      x += (landmarks[i * 3] as number) / set.length;
      y += (landmarks[i * 3 + 1] as number) / set.length;
    }
    return [x, y] as const;
  };
  const [lx, ly] = centre(model.sets.leftEye);
  const [rx, ry] = centre(model.sets.rightEye);
  return Math.hypot(lx - rx, ly - ry);
}

/**
 * The pure core of `avatar create`: from a normalised image and its detection, choose the
 * face, check it, fit the model (pose, identity, 52 weights, gaze) and assemble the profile.
 * No I/O. Throws FaceError FACE_NOT_FOUND, FACE_MULTIPLE (strict), FACE_TOO_SMALL,
 * FACE_POSE_EXTREME.
 */
export function buildAvatarProfile(
  model: FaceModel,
  image: NormalisedImage,
  detection: Detection,
  options: AvatarOptions = {},
  fitter: FaceFitter = new FaceFitter(model),
): AvatarProfile {
  const o = { ...AVATAR_DEFAULTS, ...options };
  const warnings: string[] = [];
  const face = detection.faces[0];
  if (!face) throw new FaceError('FACE_NOT_FOUND', 'no face found in the photo');
  if (detection.faces.length > 1) {
    const message = `${detection.faces.length} faces found in the photo`;
    if (o.strict) {
      throw new FaceError('FACE_MULTIPLE', `${message} (strict: exactly one is required)`, {
        details: { faces: detection.faces.length },
      });
    }
    warnings.push(`${message}; using the largest`);
  }
  const landmarks = face.landmarks;
  const iod = interOcularPx(model, landmarks);
  if (iod < o.minInterOcularPx) {
    throw new FaceError(
      'FACE_TOO_SMALL',
      `the face is too small: ${iod.toFixed(1)} px between the eyes, at least ${o.minInterOcularPx} px needed`,
      { details: { interOcularPx: iod, minInterOcularPx: o.minInterOcularPx } },
    );
  }
  // Two passes: pose and shape first, then with the eyeLook weights held at what the irises say.
  const first = fitter.fit(landmarks, { fitIdentity: true });
  const gaze = gazeFromLandmarks(model, landmarks, first.pose);
  const fit = fitter.fit(landmarks, {
    fitIdentity: true,
    initialPose: first.pose,
    fixedWeights: eyeLookWeights(gaze),
  });
  const { pose } = fit;
  const limits: [string, number, number][] = [
    ['yaw', pose.yaw, o.maxYawRad],
    ['pitch', pose.pitch, o.maxPitchRad],
    ['roll', pose.roll, o.maxRollRad],
  ];
  for (const [name, value, limit] of limits) {
    if (Math.abs(value) > limit) {
      throw new FaceError(
        'FACE_POSE_EXTREME',
        `head ${name} is ${((value * 180) / Math.PI).toFixed(0)}°; at most ±${((limit * 180) / Math.PI).toFixed(0)}° is accepted`,
        { details: { [name]: value, limit } },
      );
    }
  }
  const mouth = closedMouthReference(
    model,
    landmarks,
    exactIdentity(model, landmarks, fit.identity, fit.weights, pose),
    fit.weights,
  );
  const { identity, weights } = mouth;
  const blendshapes = blendshapesSchema.parse(
    Object.fromEntries(ARKIT_BLENDSHAPES.map((name, k) => [name, round(weights[k] as number, 5)])),
  );
  return {
    format: 'facecast.avatar',
    version: 1,
    createdAt: new Date().toISOString(),
    source: image.source,
    image: {
      file: 'image.png',
      width: image.width,
      height: image.height,
      scale: image.scale,
      maxSizePx: image.maxSizePx,
    },
    crop:
      options.framing === 'whole'
        ? { x: 0, y: 0, width: image.width, height: image.height }
        : talkingHeadCrop(face.box, image.width, image.height),
    face: {
      box: roundBox(face.box),
      score: round(face.score, 4),
      facesFound: detection.faces.length,
      interOcularPx: round(iod, 3),
      landmarks: Array.from(landmarks, (v) => round(v, 3)),
    },
    fit: {
      pose: {
        pitch: round(pose.pitch, 6),
        yaw: round(pose.yaw, 6),
        roll: round(pose.roll, 6),
        pxPerCm: round(pose.pxPerCm, 6),
        txPx: round(pose.txPx, 4),
        tyPx: round(pose.tyPx, 4),
      },
      blendshapes,
      gaze: {
        leftYaw: round(gaze.leftYaw, 5),
        leftPitch: round(gaze.leftPitch, 5),
        rightYaw: round(gaze.rightYaw, 5),
        rightPitch: round(gaze.rightPitch, 5),
      },
      identity: Array.from(identity, (v) => round(v, 5)),
      modelResidualPx: { mean: round(fit.residual.meanPx, 4), max: round(fit.residual.maxPx, 4) },
    },
    mouth: mouth.profile,
    body: detection.body
      ? {
          score: round(detection.body.score, 4),
          keypoints: detection.body.keypoints.map((k) => ({
            name: k.name,
            x: round(k.x, 2),
            y: round(k.y, 2),
            score: round(k.score, 4),
          })),
        }
      : null,
    ...(options.mouthInterior === 'bank' ? { mouthInterior: 'bank' as const } : {}),
    warnings,
  };
}

/**
 * The neutral shape that makes the fitted mesh land exactly on the landmarks: each landmark
 * is taken back into the model frame (its depth from the fitted model, since the detector's
 * z is not metric) and the expression is subtracted.
 */
function exactIdentity(
  model: FaceModel,
  landmarks: ArrayLike<number>,
  fitted: Float32Array,
  weights: Float32Array,
  pose: AvatarProfile['fit']['pose'],
): Float32Array {
  const posed = deformVertices(model, fitted, weights);
  const expression = deformVertices(model, new Float32Array(FACE_VERTEX_COUNT * 3), weights);
  const r = rotationMatrix(pose.pitch, pose.yaw, pose.roll);
  const out = new Float32Array(FACE_VERTEX_COUNT * 3);
  for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
    const x = posed[i * 3] as number;
    const y = posed[i * 3 + 1] as number;
    const z = posed[i * 3 + 2] as number;
    const cx = ((landmarks[i * 3] as number) - pose.txPx) / pose.pxPerCm;
    const cy = ((landmarks[i * 3 + 1] as number) - pose.tyPx) / pose.pxPerCm;
    const cz = (r[6] as number) * x + (r[7] as number) * y + (r[8] as number) * z;
    for (let a = 0; a < 3; a++) {
      const unposed = (r[a] as number) * cx + (r[3 + a] as number) * cy + (r[6 + a] as number) * cz;
      out[i * 3 + a] = unposed - (expression[i * 3 + a] as number);
    }
  }
  return out;
}

/**
 * The photo's mouth, and a neutral with closed lips: the photo's own state from its
 * landmarks (closed / open / teeth), then {@link closeMouth} moves whatever opening the
 * neutral still holds onto the photo's weights (jawOpen for an open mouth, the lip raisers
 * for a smile with teeth). The mesh at the photo's weights is unchanged (it still lands on
 * the landmarks), while Controls weight 0 now closes the mouth: the lips meet and the
 * photo's mouth interior folds away between them; opening it again shows the photo's own
 * interior up to its opening, the drawn one beyond.
 */
function closedMouthReference(
  model: FaceModel,
  landmarks: ArrayLike<number>,
  identity: Float32Array,
  fitted: Float32Array,
): { identity: Float32Array; weights: Float32Array; profile: AvatarProfile['mouth'] } {
  const seen = measureMouth(landmarks);
  const state = classifyMouth(seen);
  const limits = Float32Array.from(fitted, (w) => 1 - w);
  const closed = closeMouth(model, identity, state, limits);
  const weights = Float32Array.from(fitted);
  for (const [k, amount] of closed.moved) weights[k] = (weights[k] as number) + amount;
  return {
    identity: closed.identity,
    weights,
    profile: {
      state,
      lipGap: round(seen.gap, 5),
      width: round(seen.width, 5),
      cornerLift: round(seen.cornerLift, 5),
    },
  };
}

/** Square framing twice the face box, centred a little below the face, kept inside the image. */
function talkingHeadCrop(box: PixelBox, width: number, height: number): PixelBox {
  const side = Math.min(2 * Math.max(box.width, box.height), width, height);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2 + 0.1 * side;
  const x = Math.min(Math.max(0, cx - side / 2), width - side);
  const y = Math.min(Math.max(0, cy - side / 2), height - side);
  return { x: round(x, 2), y: round(y, 2), width: round(side, 2), height: round(side, 2) };
}

function roundBox(box: PixelBox): PixelBox {
  return {
    x: round(box.x, 2),
    y: round(box.y, 2),
    width: round(box.width, 2),
    height: round(box.height, 2),
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Options for {@link createAvatar}. */
export interface CreateAvatarOptions extends AvatarOptions, Omit<LoadImageOptions, 'signal'> {
  /** A loaded landmarker to reuse (it is not closed). Default: one is loaded and closed. */
  landmarker?: FaceLandmarker;
  /** The face model. Default: loadFaceModel(). */
  model?: FaceModel;
}

/** What {@link createAvatar} did, with timings (ms). */
export interface CreatedAvatar {
  dir: string;
  profile: AvatarProfile;
  timingsMs: { loadImage: number; detect: number; fit: number; write: number; total: number };
}

/**
 * `facecast avatar create`: photo → `<dir>/profile.json` + `<dir>/image.png`.
 *
 * @example
 * const { profile } = await createAvatar('portrait.jpg', 'out/anna');
 * console.log(profile.fit.pose.yaw);
 */
export async function createAvatar(
  photoPath: string,
  dir: string,
  options: CreateAvatarOptions = {},
): Promise<CreatedAvatar> {
  const t0 = performance.now();
  const model = options.model ?? (await loadFaceModel());
  const image = await loadImage(photoPath, options);
  const t1 = performance.now();
  throwIfAborted(options.signal);
  const landmarker = options.landmarker ?? (await FaceLandmarker.load({ signal: options.signal }));
  let detection: Detection;
  const t2 = performance.now();
  try {
    detection = await landmarker.detect(image, { signal: options.signal });
  } finally {
    if (!options.landmarker) await landmarker.close();
  }
  const t3 = performance.now();
  const profile = buildAvatarProfile(model, image, detection, options);
  const t4 = performance.now();
  await saveAvatarProfile(dir, profile, await encodePng(image));
  const t5 = performance.now();
  return {
    dir,
    profile,
    timingsMs: {
      loadImage: t1 - t0,
      detect: t3 - t2,
      fit: t4 - t3,
      write: t5 - t4,
      total: t5 - t0 - (t2 - t1),
    },
  };
}
