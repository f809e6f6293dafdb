import { z } from 'zod';
import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT, type BlendshapeName, BODY_JOINTS } from './names.ts';

/** Video frame rate of every Controls sequence inside facecast. */
export const CONTROLS_FPS = 25 as const;
export const FRAME_DURATION_MS = 1000 / CONTROLS_FPS;

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const weight = finite.refine((v) => v >= 0 && v <= 1, { message: 'must be in [0, 1]' });
/** Rotations are radians; anything past ±π is a unit mistake (degrees?). */
const angle = finite.refine((v) => Math.abs(v) <= Math.PI, {
  message: 'must be radians in [-π, π]',
});

/** All 52 ARKit weights in [0, 1]; keys not in ARKit's list are rejected, missing ones default to 0. */
export const blendshapesSchema = z
  .object(
    Object.fromEntries(ARKIT_BLENDSHAPES.map((name) => [name, weight.default(0)])) as Record<
      BlendshapeName,
      z.ZodDefault<typeof weight>
    >,
  )
  .strict();
export type Blendshapes = z.infer<typeof blendshapesSchema>;

/**
 * Head pose relative to the avatar's neutral pose. Rotation in radians (pitch: nod down
 * positive, yaw: turn to the subject's left positive, roll: tilt to the subject's left
 * positive); translation in units of the face's inter-ocular distance, camera axes
 * (x right, y down, z away from the camera).
 */
export const headPoseSchema = z
  .object({
    pitch: angle.default(0),
    yaw: angle.default(0),
    roll: angle.default(0),
    x: finite.default(0),
    y: finite.default(0),
    z: finite.default(0),
  })
  .strict();
export type HeadPose = z.infer<typeof headPoseSchema>;

/** Eye rotations in radians (yaw positive towards the subject's left, pitch positive down). */
export const gazeSchema = z
  .object({
    leftYaw: angle.default(0),
    leftPitch: angle.default(0),
    rightYaw: angle.default(0),
    rightPitch: angle.default(0),
  })
  .strict();
export type Gaze = z.infer<typeof gazeSchema>;

const vec3 = z
  .object({ x: finite.default(0), y: finite.default(0), z: finite.default(0) })
  .strict();
export type Vec3 = z.infer<typeof vec3>;

/**
 * Upper body: neck rotation (radians, same axes as the head, applied below the head) and
 * joint offsets from the rest pose, in units of shoulder width (image axes: x right, y down,
 * z away from the camera).
 */
export const bodyPoseSchema = z
  .object({
    neck: z
      .object({ pitch: angle.default(0), yaw: angle.default(0), roll: angle.default(0) })
      .strict()
      .default({ pitch: 0, yaw: 0, roll: 0 }),
    ...(Object.fromEntries(
      BODY_JOINTS.map((j) => [j, vec3.default({ x: 0, y: 0, z: 0 })]),
    ) as Record<(typeof BODY_JOINTS)[number], z.ZodDefault<typeof vec3>>),
  })
  .strict();
export type BodyPose = z.infer<typeof bodyPoseSchema>;

/** One frame of Controls (1/25 s). The contract between motion, render and tracking. */
export const controlsFrameSchema = z
  .object({
    blendshapes: blendshapesSchema.default(() => blendshapesSchema.parse({})),
    head: headPoseSchema.default(() => headPoseSchema.parse({})),
    gaze: gazeSchema.default(() => gazeSchema.parse({})),
    body: bodyPoseSchema.default(() => bodyPoseSchema.parse({})),
    /** False for tracked frames where no face was found: the values are held, not measured. */
    faceFound: z.boolean().default(true),
  })
  .strict();
export type ControlsFrame = z.infer<typeof controlsFrameSchema>;

/** A Controls sequence: frames at {@link CONTROLS_FPS}, frame `i` at time `i * 40 ms`. */
export const controlsSequenceSchema = z
  .object({
    format: z.literal('facecast.controls').default('facecast.controls'),
    version: z.literal(1).default(1),
    fps: z.literal(CONTROLS_FPS).default(CONTROLS_FPS),
    frames: z.array(controlsFrameSchema),
  })
  .strict();
export type ControlsSequence = z.infer<typeof controlsSequenceSchema>;

/** A frame at rest: every weight 0, neutral pose, face present. */
export function neutralFrame(): ControlsFrame {
  return controlsFrameSchema.parse({});
}

/** Blendshape weights as a vector in {@link ARKIT_BLENDSHAPES} order. */
export function blendshapeVector(
  frame: ControlsFrame,
  out = new Float32Array(BLENDSHAPE_COUNT),
): Float32Array {
  for (let i = 0; i < BLENDSHAPE_COUNT; i++)
    out[i] = frame.blendshapes[ARKIT_BLENDSHAPES[i] as BlendshapeName];
  return out;
}

/** Writes a vector (ARKit order) back into a frame's weights, clamped to [0, 1]. */
export function setBlendshapeVector(frame: ControlsFrame, vector: ArrayLike<number>): void {
  for (let i = 0; i < BLENDSHAPE_COUNT; i++) {
    const v = vector[i] ?? 0;
    frame.blendshapes[ARKIT_BLENDSHAPES[i] as BlendshapeName] = v < 0 ? 0 : Math.min(v, 1);
  }
}
