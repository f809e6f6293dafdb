import type { RenderMaps, RgbImage } from '../render/index.ts';
import { LABEL_CHANNELS, SLOT_CHANNELS } from './layout.ts';
import { type CropTaps, resampleInterleaved, resampleLabels } from './resample.ts';

const RGB_SCALE = 1 / 127.5;

/** What one frame contributes to the generator: the render's output and the reference. */
export interface SlotSource {
  /** The warp-only composite (`RenderOutput.composite`). */
  composite: RgbImage;
  /** The render's maps (`RenderOutput.maps`), same size as the composite. */
  maps: RenderMaps;
  /** The reference image resampled to the output framing (same size as the composite). */
  reference: RgbImage;
}

/**
 * Writes the 20 map channels of one slot ({@link SLOT_CHANNELS} composite … reference) for
 * the crop `taps` into `slot` (planar, at least 20 × n² floats). `row` is scratch of at
 * least n × 7 floats.
 */
export function packSlotMaps(
  source: SlotSource,
  taps: CropTaps,
  slot: Float32Array,
  row: Float32Array,
): void {
  const { composite, maps, reference } = source;
  const w = composite.width;
  const C = SLOT_CHANNELS;
  resampleInterleaved(composite.data, w, 3, taps, slot, C.composite, RGB_SCALE, -1, row);
  resampleInterleaved(maps.warped, w, 3, taps, slot, C.warped, RGB_SCALE, -1, row);
  resampleInterleaved(maps.disocclusion, w, 1, taps, slot, C.disocclusion, 1 / 255, 0, row);
  resampleInterleaved(maps.coords, w, 3, taps, slot, C.coords, 1, 0, row);
  resampleLabels(maps.labels, w, LABEL_CHANNELS, taps, slot, C.labels, row);
  resampleInterleaved(reference.data, w, 3, taps, slot, C.reference, RGB_SCALE, -1, row);
}

/**
 * Writes the super-resolution guide for the crop `taps` (at the SR size): the composite
 * (RGB in [-1, 1]) into `composite` (3 × m²) and the disocclusion fraction into
 * `disocclusion` (m²).
 */
export function packSrGuide(
  source: Pick<SlotSource, 'composite' | 'maps'>,
  taps: CropTaps,
  composite: Float32Array,
  disocclusion: Float32Array,
  row: Float32Array,
): void {
  const w = source.composite.width;
  resampleInterleaved(source.composite.data, w, 3, taps, composite, 0, RGB_SCALE, -1, row);
  resampleInterleaved(source.maps.disocclusion, w, 1, taps, disocclusion, 0, 1 / 255, 0, row);
}

/** Resamples an RGB image's crop to planar [-1, 1] RGB (the trainer's targets). */
export function packRgb(
  image: RgbImage,
  taps: CropTaps,
  out: Float32Array,
  row: Float32Array,
): void {
  resampleInterleaved(image.data, image.width, 3, taps, out, 0, RGB_SCALE, -1, row);
}
