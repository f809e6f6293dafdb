/**
 * The generator's input layout: one definition shared by the runtime, the data scripts
 * (which write training tensors with this same code) and, by name, the PyTorch trainer
 * (scripts/train/generator_model.py keeps the same order).
 *
 * A window is `[slots, GENERATOR_IN_CHANNELS, base, base]` per batch item: slot 0 is the
 * context (the previous output frame, known), slots 1… are the frames to generate.
 * Per slot, planar float32 channels in this order:
 */
export const SLOT_CHANNELS = Object.freeze({
  /** Warp-only composite, RGB in [-1, 1]. */
  composite: 0,
  /** Warped reference (raw warp inside the openings), RGB in [-1, 1]. */
  warped: 3,
  /** Fraction of the pixel the render flags as disoccluded, [0, 1]. */
  disocclusion: 6,
  /** Normalised face coordinates x, y, z in [0, 1] (0 off the face). */
  coords: 7,
  /** Fraction of the pixel covered by each of the 7 part labels (PART_LABELS order). */
  labels: 10,
  /** The reference image (not warped) under the same crop, RGB in [-1, 1]. */
  reference: 17,
  /** Residual over the composite: noisy for frames to generate, known for context. */
  x: 20,
  /** 1 for a known (context) slot, 0 for a slot to generate. */
  known: 23,
  /** Noise level σ of `x` (0 for known slots). */
  sigma: 24,
} as const);

/** Channels of the maps part of a slot (what the data scripts store per frame). */
export const MAP_CHANNELS = 20;
/** Channels of one slot as the generator graph takes it. */
export const GENERATOR_IN_CHANNELS = 25;
/** Number of part labels one-hot encoded (render PART_LABELS ids 0–6). */
export const LABEL_CHANNELS = 7;
/** Super-resolution factor of the shipped SR model. */
export const SR_FACTOR = 2;
/** Channels of the SR model's high-resolution guide: composite RGB + disocclusion. */
export const SR_GUIDE_CHANNELS = 4;
