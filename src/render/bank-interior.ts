import type { FaceModel } from '../face/index.ts';
import { innerLipsFromMesh, type MouthBank } from '../mouthbank/index.ts';
import { PART_LABELS } from './labels.ts';
import type { MouthFrame } from './mouth.ts';

/**
 * Paints a photo avatar's mouth interior from a bank of real mouths (src/mouthbank) instead
 * of the drawn one: the entry whose lip shape is closest to the frame's mouth, resampled
 * between the frame's lips and colour-matched to them. The photo's own interior is kept in
 * the same proportion as for the drawn fill (`MouthFrame.rest`: while the mouth is open no
 * wider than in the photo). The last entry is kept unless another is clearly closer, so the
 * teeth do not flicker between people.
 */
export class BankInterior {
  readonly #model: FaceModel;
  readonly #bank: MouthBank;
  #previous = -1;

  constructor(model: FaceModel, bank: MouthBank) {
    this.#model = model;
    this.#bank = bank;
  }

  /** Forget the last entry (a new reference). */
  reset(): void {
    this.#previous = -1;
  }

  /**
   * Paints into `composite` (width × height × 3) where `labels` mark the mouth interior;
   * `tgt` is the posed mesh (x, y, depth per vertex, output px), `warped` the plain warp.
   */
  paint(
    tgt: Float32Array,
    labels: Uint8Array,
    warped: Uint8Array,
    composite: Uint8Array,
    width: number,
    frame: MouthFrame,
  ): void {
    if (frame.rest >= 1 || frame.x1 < frame.x0) return;
    const sets = this.#model.sets;
    const lips = innerLipsFromMesh(sets.lipsUpperInner, sets.lipsLowerInner, tgt, 3);
    this.#previous = this.#bank.query(lips, this.#previous);
    const image = { width, height: labels.length / width, data: composite };
    const MOUTH = PART_LABELS.mouthInterior;
    this.#bank.paint(image, lips, this.#previous, { labels, value: MOUTH });
    if (frame.rest > 0) keepOwnInterior(labels, warped, composite, width, frame, MOUTH);
  }
}

/** Mixes the plain warp (the photo's own interior) back in by `frame.rest`. */
function keepOwnInterior(
  labels: Uint8Array,
  warped: Uint8Array,
  composite: Uint8Array,
  width: number,
  frame: MouthFrame,
  value: number,
): void {
  const height = labels.length / width;
  const rest = frame.rest;
  for (let y = Math.max(0, frame.y0); y <= Math.min(height - 1, frame.y1); y++) {
    for (let x = Math.max(0, frame.x0); x <= Math.min(width - 1, frame.x1); x++) {
      const p = y * width + x;
      if (labels[p] !== value) continue;
      for (let c = p * 3; c < p * 3 + 3; c++) {
        const v = composite[c] as number;
        composite[c] = v + ((warped[c] as number) - v) * rest + 0.5;
      }
    }
  }
}
