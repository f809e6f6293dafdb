import { z } from 'zod';
import { readModelManifest } from '../inference/index.ts';
import { BodyError } from './errors.ts';
import { BODY_INPUT_COUNT, BODY_NOISE_CHANNELS, BODY_OUTPUT_COUNT } from './layout.ts';

const dim = z.union([z.number().int().nonnegative(), z.string()]);
const tensor = z.object({
  name: z.string(),
  type: z.string(),
  shape: z.array(dim),
  meaning: z.string().optional(),
});

/**
 * `models/body/manifest.json`: what the ONNX file is, what it was trained on (with the
 * terms of each source) and how well it does. Written by scripts/body/train_body.py;
 * `metrics` by `npm run bench -- body`.
 */
export const bodyManifestSchema = z
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
        inputs: z.literal(BODY_INPUT_COUNT),
        outputs: z.literal(BODY_OUTPUT_COUNT),
        noiseChannels: z.literal(BODY_NOISE_CHANNELS),
        hidden: z.number().int().positive(),
        parameters: z.number().int().positive(),
      })
      .passthrough(),
    training: z
      .object({
        data: z.array(z.object({ file: z.string(), terms: z.string() }).passthrough()),
        seed: z.number().int(),
      })
      .passthrough(),
    metrics: z.record(z.string(), z.unknown()).nullable(),
  })
  .passthrough();
export type BodyManifest = z.infer<typeof bodyManifestSchema>;

export function readBodyManifest(path: string): Promise<BodyManifest> {
  return readModelManifest(path, bodyManifestSchema, 'body model manifest', {
    missing: (message, cause) => new BodyError('BODY_MODEL_MISSING', message, { cause }),
    invalid: (message, cause) => new BodyError('BODY_MODEL_INVALID', message, { cause }),
  });
}
