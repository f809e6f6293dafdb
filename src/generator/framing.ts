import { createRgbImage, type RenderReference, type RgbImage, resizeRgb } from '../render/index.ts';

/**
 * The reference image in the renderer's output framing (its crop, rounded as the renderer
 * rounds it, resampled to the output size): the `reference` a {@link SlotSource} needs.
 * Compute it once per reference (a photo avatar: once; dubbing: per source frame).
 *
 * @example
 * const reference = framedReference(renderer.reference!, renderer.width, renderer.height);
 */
export function framedReference(
  reference: RenderReference,
  width: number,
  height: number,
  out: RgbImage = createRgbImage(width, height),
): RgbImage {
  const crop = reference.crop ?? {
    x: 0,
    y: 0,
    width: reference.image.width,
    height: reference.image.height,
  };
  return resizeRgb(reference.image, out, {
    x: Math.round(crop.x),
    y: Math.round(crop.y),
    width: Math.max(1, Math.round(crop.width)),
    height: Math.max(1, Math.round(crop.height)),
  });
}
