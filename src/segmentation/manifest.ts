import { z } from 'zod';
import { readModelManifest } from '../inference/index.ts';
import { SegmentationError } from './errors.ts';

const tensor = z
  .object({
    name: z.string(),
    type: z.literal('float32'),
    shape: z.array(z.union([z.number().int().positive(), z.string()])),
    meaning: z.string(),
  })
  .strict();

/** `models/segmentation/manifest.json`, written by scripts/segmentation/convert_selfie.py. */
export const segmentationManifestSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
    createdAt: z.string(),
    inputs: z.tuple([tensor]),
    outputs: z.tuple([tensor]),
    source: z.record(z.string(), z.string()),
    training: z.object({ data: z.string(), terms: z.string() }).strict(),
    parity: z
      .object({
        fixture: z.string(),
        expected: z.string(),
        reference: z.string(),
        tolerance: z.number().positive(),
        onnxVsTfliteMaxAbsDiff: z.number().nonnegative(),
        expectedMean: z.number(),
      })
      .strict(),
  })
  .strict();

export type SegmentationManifest = z.infer<typeof segmentationManifestSchema>;

export function readSegmentationManifest(path: string): Promise<SegmentationManifest> {
  return readModelManifest(path, segmentationManifestSchema, 'segmentation model manifest', {
    missing: (message, cause) =>
      new SegmentationError('SEGMENTATION_MODEL_MISSING', message, { cause }),
    invalid: (message, cause) =>
      new SegmentationError('SEGMENTATION_MODEL_INVALID', message, { cause }),
  });
}
