import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import {
  ARKIT_BLENDSHAPES,
  BLENDSHAPE_COUNT,
  type BlendshapeName,
  blendshapesSchema,
  gazeSchema,
} from '../controls/index.ts';
import { FaceError } from './errors.ts';
import { FACE_VERTEX_COUNT, LANDMARK_COUNT } from './model.ts';
import { facePoseSchema } from './pose.ts';

/** File names inside an avatar folder. */
export const PROFILE_FILE = 'profile.json';
export const PROFILE_IMAGE_FILE = 'image.png';

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const box = z
  .object({ x: finite, y: finite, width: finite.min(0), height: finite.min(0) })
  .strict();
export type PixelBox = z.infer<typeof box>;

/** MoveNet's 17 COCO keypoints, subject's left/right. */
export const BODY_KEYPOINT_NAMES = [
  'nose',
  'leftEye',
  'rightEye',
  'leftEar',
  'rightEar',
  'leftShoulder',
  'rightShoulder',
  'leftElbow',
  'rightElbow',
  'leftWrist',
  'rightWrist',
  'leftHip',
  'rightHip',
  'leftKnee',
  'rightKnee',
  'leftAnkle',
  'rightAnkle',
] as const;
export type BodyKeypointName = (typeof BODY_KEYPOINT_NAMES)[number];

export const bodyKeypointSchema = z
  .object({
    name: z.enum(BODY_KEYPOINT_NAMES),
    /** Image pixels (the normalised image). */
    x: finite,
    y: finite,
    /** Detector confidence in [0, 1]; below ~0.3 the point is a guess. */
    score: finite.min(0).max(1),
  })
  .strict();
export type BodyKeypoint = z.infer<typeof bodyKeypointSchema>;

/**
 * `<dir>/profile.json`, written by `facecast avatar create` and read by every later stage.
 * All pixel coordinates refer to `<dir>/image.png` (the normalised image: EXIF-rotated,
 * alpha flattened onto white, sRGB, downscaled to at most `image.maxSizePx`).
 */
export const avatarProfileSchema = z
  .object({
    format: z.literal('facecast.avatar'),
    version: z.literal(1),
    createdAt: z.string(),
    /** The photo as given. */
    source: z
      .object({
        fileName: z.string(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        /** Decoder's name for the format (jpeg, png, webp…). */
        format: z.string(),
        /** Size after EXIF rotation, before any downscale. */
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        /** EXIF orientation tag (1–8) when present. */
        exifOrientation: z.number().int().min(1).max(8).nullable(),
        hasAlpha: z.boolean(),
        /** Colour space as decoded (srgb, b-w, cmyk…). */
        space: z.string(),
      })
      .strict(),
    /** The normalised image the coordinates refer to. */
    image: z
      .object({
        file: z.literal(PROFILE_IMAGE_FILE),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        /** normalised size / source size (1 when not downscaled). */
        scale: finite.positive(),
        maxSizePx: z.number().int().positive(),
      })
      .strict(),
    /**
     * The framing renders show: by default a square talking-head crop (twice the face box,
     * centred slightly below the face centre, moved and if needed shrunk to lie inside the
     * image); the whole image with `avatar create --framing whole`.
     */
    crop: box,
    face: z
      .object({
        /** Face box from the detector, px. */
        box,
        /** Detector confidence of this face. */
        score: finite.min(0).max(1),
        /** Faces found in the image (the largest is used). */
        facesFound: z.number().int().min(1),
        /** Distance between the eye centres, px. */
        interOcularPx: finite.positive(),
        /**
         * 478 landmarks × (x_px, y_px, z): the 468 MediaPipe mesh points then 5 per iris
         * (468–472 subject's left, 473–477 right; centre first). z is the detector's relative
         * depth (its own units, larger = farther), not pixels.
         */
        landmarks: z.array(finite).length(LANDMARK_COUNT * 3),
      })
      .strict(),
    /** The face model fitted to the landmarks (models/face, see poseVertices). */
    fit: z
      .object({
        /** Weak-perspective pose of the photo: the avatar's neutral/rest pose. */
        pose: facePoseSchema,
        /** Blendshape weights at the photo (the expression it shows). */
        blendshapes: blendshapesSchema,
        /** Eye rotations at the photo, radians (Controls convention). */
        gaze: gazeSchema,
        /**
         * Neutral shape of this person, 468 × 3 in model cm. By construction
         * `poseVertices(model, identity, weights, pose)` lands on the 468 landmarks.
         */
        identity: z.array(finite).length(FACE_VERTEX_COUNT * 3),
        /**
         * How well pose + blendshapes on the model's neutral explain the landmarks, before
         * the identity absorbs the rest (mean/max over the fit-weighted vertices, px).
         */
        modelResidualPx: z.object({ mean: finite.min(0), max: finite.min(0) }).strict(),
      })
      .strict(),
    /**
     * The photo's mouth as its landmarks show it (src/face/mouth.ts): `closed`, `open` (jaw
     * dropped) or `teeth` (lips apart in a smile); the inner-lip gap, inner-corner width and
     * corner lift in eye-corner units. `fit.identity` has closed lips whatever the state, and
     * `fit.blendshapes` carry the photo's opening. Absent in profiles made before it existed.
     */
    mouth: z
      .object({
        state: z.enum(['closed', 'open', 'teeth']),
        lipGap: finite.min(0),
        width: finite.min(0),
        cornerLift: finite,
      })
      .strict()
      .optional(),
    /** Upper-body keypoints (MoveNet, one person), or null when no body was found. */
    body: z
      .object({ score: finite.min(0).max(1), keypoints: z.array(bodyKeypointSchema) })
      .strict()
      .nullable(),
    /**
     * How the renderer fills the mouth where it opens beyond the photo's own: `drawn` (the
     * procedural teeth and cavity) or `bank` (real mouths of other people, models/mouthbank).
     * Absent = drawn.
     */
    mouthInterior: z.enum(['drawn', 'bank']).optional(),
    /** Non-fatal findings, e.g. "3 faces found; using the largest". */
    warnings: z.array(z.string()),
  })
  .strict();
export type AvatarProfile = z.infer<typeof avatarProfileSchema>;

/** A loaded avatar: the validated profile plus typed-array views the renderer wants. */
export interface LoadedAvatar {
  dir: string;
  profile: AvatarProfile;
  /** Absolute path of `<dir>/image.png`. */
  imagePath: string;
  /** 468 × 3, model cm. */
  identity: Float32Array;
  /** 52 weights at the photo, ARKit order. */
  weights: Float32Array;
  /** 478 × 3 landmarks, px (z in detector units). */
  landmarks: Float32Array;
}

/**
 * Reads and validates `<dir>/profile.json`. Throws FaceError PROFILE_NOT_FOUND or
 * PROFILE_INVALID (with the zod issue in the message).
 *
 * @example
 * const avatar = await loadAvatarProfile('out/anna');
 * const points = poseVertices(model, avatar.identity, avatar.weights, avatar.profile.fit.pose);
 */
export async function loadAvatarProfile(dir: string): Promise<LoadedAvatar> {
  const absolute = resolve(dir);
  const path = join(absolute, PROFILE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new FaceError('PROFILE_NOT_FOUND', `no avatar profile at ${path}`, { cause });
  }
  let profile: AvatarProfile;
  try {
    profile = avatarProfileSchema.parse(JSON.parse(text));
  } catch (cause) {
    const issue = cause instanceof z.ZodError ? cause.issues[0] : undefined;
    const where = issue ? ` (${issue.path.join('.')}: ${issue.message})` : '';
    throw new FaceError('PROFILE_INVALID', `${path} is not a valid avatar profile${where}`, {
      cause,
    });
  }
  const weights = new Float32Array(BLENDSHAPE_COUNT);
  ARKIT_BLENDSHAPES.forEach((name: BlendshapeName, k) => {
    weights[k] = profile.fit.blendshapes[name];
  });
  return {
    dir: absolute,
    profile,
    imagePath: join(absolute, PROFILE_IMAGE_FILE),
    identity: Float32Array.from(profile.fit.identity),
    weights,
    landmarks: Float32Array.from(profile.face.landmarks),
  };
}

/**
 * Validates and writes `<dir>/profile.json` (atomically: temp file + rename) and, when
 * given, the normalised image as `<dir>/image.png`.
 */
export async function saveAvatarProfile(
  dir: string,
  profile: AvatarProfile,
  imagePng?: Uint8Array,
): Promise<void> {
  const checked = avatarProfileSchema.parse(profile);
  await mkdir(dir, { recursive: true });
  if (imagePng) await writeFile(join(dir, PROFILE_IMAGE_FILE), imagePng);
  const path = join(dir, PROFILE_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(checked)}\n`);
  await rename(temp, path);
}
