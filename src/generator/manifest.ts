import { z } from 'zod';
import { readModelManifest } from '../inference/index.ts';
import { GeneratorError } from './errors.ts';

const dim = z.union([z.number().int().positive(), z.string()]);
const tensor = z
  .object({
    name: z.string(),
    type: z.string(),
    shape: z.array(dim),
    meaning: z.string().optional(),
  })
  .strict();

const common = {
  name: z.string(),
  version: z.string(),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  createdAt: z.string(),
  inputs: z.array(tensor),
  outputs: z.array(tensor),
  parameters: z.number().int().positive(),
  training: z.record(z.string(), z.unknown()),
  parity: z
    .object({
      fixture: z.string(),
      expected: z.string(),
      tolerance: z.number().positive(),
      onnxVsTorchMaxAbsDiff: z.number().nonnegative(),
    })
    .strict(),
};

/** One arm's scores on the held-out clips (see docs/stages/generator.md). */
const armScores = z
  .object({
    psnrDb: z.number(),
    ssim: z.number(),
    facePsnrDb: z.number(),
    faceSsim: z.number(),
    flicker: z.number(),
  })
  .strict();

/**
 * `models/generator/manifest.json`. Written by scripts/train/export_generator.py; `evaluation`
 * by scripts/generator/eval-heldout.ts (the held-out self-reenactment that decides `auto`).
 */
export const generatorManifestSchema = z
  .object({
    ...common,
    config: z
      .object({
        /** Crop side the generator works at, px (square). */
        baseSize: z.number().int().min(16).max(1024),
        /** Maps contract version of src/render the inputs follow. */
        mapsVersion: z.literal(1),
        slotChannels: z.literal(25),
        contextSlots: z.literal(1),
        /** Frames generated per window offline (live runs 1). */
        framesPerWindow: z.number().int().min(1).max(16),
        sampler: z
          .object({
            steps: z.number().int().min(1).max(4),
            /** Noise levels of the steps (variance exploding; first = sigma_max). */
            sigmas: z.array(z.number().positive()).min(1),
            prediction: z.literal('x0-residual'),
          })
          .strict(),
        crop: z
          .object({
            margin: z.number(),
            recentre: z.number(),
            resize: z.number(),
            feather: z.number(),
          })
          .strict(),
        widths: z.array(z.number().int().positive()),
      })
      .strict(),
    evaluation: z
      .object({
        measuredAt: z.string(),
        command: z.string(),
        clips: z.array(z.string()),
        frames: z.number().int().nonnegative(),
        warpOnly: armScores,
        /** The generator with its residual upsampled bilinearly (no SR): what SR adds. */
        generatorWithoutSr: armScores.optional(),
        /** The generator + SR: the path `auto` turns on. */
        generator: armScores,
        perClip: z.array(z.record(z.string(), z.unknown())),
        psnrGainDb: z
          .object({
            mean: z.number(),
            ci95: z.tuple([z.number(), z.number()]),
            /** The interval with the clips held fixed (frame noise only), for comparison. */
            ci95FramesOnly: z.tuple([z.number(), z.number()]).optional(),
          })
          .strict(),
        /** The rule's verdict: `auto` enables the generator only when true. */
        wins: z.boolean(),
        rule: z.string(),
        /** How the verdict relates to the run, when the rule changed after it. */
        ruleNote: z.string().optional(),
        /**
         * The same rule for the live path (1-frame windows), when measured: for real-time use
         * (`frameBudgetMs`) `auto` also needs this verdict to be a win.
         */
        live: z
          .object({
            framesPerWindow: z.literal(1),
            generator: armScores,
            psnrGainDb: z
              .object({
                mean: z.number(),
                ci95: z.tuple([z.number(), z.number()]),
                ci95FramesOnly: z.tuple([z.number(), z.number()]).optional(),
              })
              .strict(),
            wins: z.boolean(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .nullable(),
  })
  .strict();
export type GeneratorManifest = z.infer<typeof generatorManifestSchema>;

/** `models/sr/manifest.json`: the ×2 residual super-resolution paired with a generator. */
export const srManifestSchema = z
  .object({
    ...common,
    config: z
      .object({
        factor: z.literal(2),
        /** Base size it upsamples from (the paired generator's `baseSize`). */
        baseSize: z.number().int().min(16).max(1024),
        /** The generator version it was trained with. */
        pairedWith: z.string(),
        width: z.number().int().positive(),
        layers: z.number().int().positive(),
        /** Least-squares shrinkage baked into the graph's output (fit on validation clips). */
        outputScale: z.number().min(0).max(1),
      })
      .strict(),
  })
  .strict();
export type SrManifest = z.infer<typeof srManifestSchema>;

/** Reads and validates a manifest. Throws GeneratorError MISSING / INVALID. */
export function readManifest<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  return readModelManifest(path, schema, 'model manifest', {
    missing: (message, cause) => new GeneratorError('GENERATOR_MODEL_MISSING', message, { cause }),
    invalid: (message, cause) =>
      new GeneratorError('GENERATOR_MODEL_INVALID', message, cause ? { cause } : undefined),
  });
}
