import { z } from 'zod';
import { readModelManifest } from '../inference/index.ts';
import { MotionError } from './errors.ts';

const dim = z.union([z.number().int().nonnegative(), z.string()]);
const tensor = z.object({
  name: z.string(),
  type: z.string(),
  shape: z.array(dim),
  meaning: z.string().optional(),
});

const metric = z.object({ model: z.number(), baseline: z.number().nullable() }).passthrough();

/**
 * `models/motion/manifest.json`: what the ONNX file is, how it was trained and how well it
 * does. Written by scripts/train/export_motion.py; `metrics` by scripts/train/eval-motion.ts.
 * Any model meeting this contract can be dropped in (see docs/stages/motion.md).
 */
export const motionManifestSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
    createdAt: z.string(),
    inputs: z.array(tensor),
    outputs: z.array(tensor),
    config: z
      .object({
        fps: z.literal(25),
        melBands: z.literal(80),
        melHopMs: z.literal(10),
        melFramesPerToken: z.number().int().positive(),
        melFramesPerVideoFrame: z.literal(4),
        delayFrames: z.number().int().min(0).max(2),
        window: z.number().int().positive(),
        layers: z.number().int().positive(),
        heads: z.number().int().positive(),
        dModel: z.number().int().positive(),
        ffn: z.number().int().positive(),
        parameters: z.number().int().positive(),
        outputs: z.literal(59),
      })
      .passthrough(),
    training: z.record(z.string(), z.unknown()),
    parity: z.object({
      fixture: z.string(),
      expected: z.string(),
      tolerance: z.number().positive(),
      onnxVsTorchMaxAbsDiff: z.number(),
    }),
    /** Output calibration measured after training (scripts/train/calibrate-mouth.ts). */
    calibration: z
      .object({
        mouthGain: z.number().min(0.5).max(4),
        /** Soft ceiling of the opening and its gate (src/motion/compose.ts); absent: none. */
        mouthSoftCeiling: z.number().min(0).max(8).optional(),
        mouthGate: z.number().min(0).max(0.5).optional(),
        measuredAt: z.string(),
        command: z.string(),
      })
      .passthrough()
      .optional(),
    metrics: z
      .object({ measuredAt: z.string(), command: z.string() })
      .catchall(z.union([metric, z.unknown()]))
      .nullable(),
  })
  .passthrough();
export type MotionManifest = z.infer<typeof motionManifestSchema>;

/** Reads and validates a motion manifest. */
export function readMotionManifest(path: string): Promise<MotionManifest> {
  return readModelManifest(path, motionManifestSchema, 'motion model manifest', {
    missing: (message, cause) => new MotionError('MOTION_MODEL_MISSING', message, { cause }),
    invalid: (message, cause) =>
      new MotionError('MOTION_MODEL_INVALID', message, cause ? { cause } : undefined),
  });
}
