import { describe, expect, it } from 'vitest';
import {
  CropTracker,
  cropTaps,
  faceCropBox,
  LABEL_CHANNELS,
  pasteResidual,
  upsample2x,
} from '../../src/generator/index.ts';
import { resampleInterleaved, resampleLabels } from '../../src/generator/resample.ts';
import { createRgbImage, PART_LABELS, resizeRgb } from '../../src/render/index.ts';

/** A label map with a face rectangle (skin) at [x0, x1) × [y0, y1). */
function labelsWithFace(w: number, h: number, x0: number, y0: number, x1: number, y1: number) {
  const labels = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) labels.fill(PART_LABELS.skin, y * w + x0, y * w + x1);
  // Body below the face does not count as face.
  for (let y = y1; y < h; y++) labels.fill(PART_LABELS.body, y * w + x0, y * w + x1);
  return labels;
}

describe('faceCropBox / CropTracker', () => {
  it('centres a square of margin × the larger face extent on the face labels', () => {
    const box = faceCropBox(labelsWithFace(200, 160, 50, 40, 130, 140), 200, 160, 1.25);
    // Face columns 50–129 (centre 90), rows 40–139 (centre 90); side round(1.25 × 100).
    expect(box).toEqual({ x: 28, y: 28, size: 125 });
    expect(faceCropBox(new Uint8Array(100), 10, 10)).toBeUndefined();
  });

  it('holds the crop through small moves and re-takes it past the thresholds', () => {
    const t = new CropTracker({ margin: 1.25, recentre: 0.06, resize: 0.1 });
    const first = t.update(labelsWithFace(200, 200, 50, 50, 130, 130), 200, 200);
    expect(first.changed).toBe(true);
    // 4 px of a 100 px crop: held.
    const held = t.update(labelsWithFace(200, 200, 54, 50, 134, 130), 200, 200);
    expect(held).toEqual({ box: first.box, changed: false });
    // 10 px: re-centred.
    const moved = t.update(labelsWithFace(200, 200, 60, 50, 140, 130), 200, 200);
    expect(moved.changed).toBe(true);
    expect(moved.box.x).toBe(first.box.x + 10);
    // 15 % larger: re-sized.
    const grown = t.update(labelsWithFace(200, 200, 54, 44, 146, 136), 200, 200);
    expect(grown.changed).toBe(true);
    expect(grown.box.size).toBe(115);
    // No face: the last crop is kept.
    expect(t.update(new Uint8Array(200 * 200), 200, 200)).toEqual({
      box: grown.box,
      changed: false,
    });
  });
});

describe('area resampling', () => {
  it('matches the renderer’s resizeRgb on RGB crops (same filter, pixel-centre mapping)', () => {
    const w = 97;
    const h = 83;
    const src = createRgbImage(w, h);
    for (let i = 0; i < src.data.length; i++) src.data[i] = (i * 37 + (i >> 5) * 11) % 256;
    for (const [box, n] of [
      [{ x: 10, y: 5, size: 64 }, 16],
      [{ x: -8, y: 30, size: 70 }, 32],
      [{ x: 20, y: 20, size: 24 }, 48],
    ] as const) {
      const taps = cropTaps(box, n, w, h);
      const out = new Float32Array(3 * n * n);
      resampleInterleaved(src.data, w, 3, taps, out, 0, 1, 0, new Float32Array(n * 8));
      const ref = resizeRgb(src, createRgbImage(n, n), {
        x: box.x,
        y: box.y,
        width: box.size,
        height: box.size,
      });
      // Growing, resizeRgb repeats the region's edge; the crop sampler reads the image
      // beyond it (a crop is a window), so compare the interior there.
      const margin = n > box.size ? Math.ceil(n / box.size) : 0;
      let worst = 0;
      for (let y = margin; y < n - margin; y++)
        for (let x = margin; x < n - margin; x++)
          for (let c = 0; c < 3; c++) {
            const p = y * n + x;
            worst = Math.max(
              worst,
              Math.abs((out[c * n * n + p] as number) - (ref.data[p * 3 + c] as number)),
            );
          }
      expect(worst).toBeLessThanOrEqual(0.5 + 1e-3); // resizeRgb rounds to integers
    }
  });

  it('turns labels into per-pixel fractions that sum to 1 and keep the areas', () => {
    const w = 40;
    const labels = new Uint8Array(w * w);
    for (let p = 0; p < labels.length; p++) labels[p] = p % w < 10 ? 3 : p % w < 25 ? 1 : 0;
    const n = 8;
    const out = new Float32Array(LABEL_CHANNELS * n * n);
    resampleLabels(
      labels,
      w,
      LABEL_CHANNELS,
      cropTaps({ x: 0, y: 0, size: w }, n, w, w),
      out,
      0,
      new Float32Array(n * 8),
    );
    const area = new Float64Array(LABEL_CHANNELS);
    for (let p = 0; p < n * n; p++) {
      let sum = 0;
      for (let c = 0; c < LABEL_CHANNELS; c++) {
        sum += out[c * n * n + p] as number;
        area[c] = (area[c] as number) + (out[c * n * n + p] as number);
      }
      expect(sum).toBeCloseTo(1, 5);
    }
    expect((area[3] as number) / (n * n)).toBeCloseTo(10 / 40, 5);
    expect((area[1] as number) / (n * n)).toBeCloseTo(15 / 40, 5);
  });
});

describe('pasteResidual', () => {
  const base = createRgbImage(64, 48);
  for (let i = 0; i < base.data.length; i++) base.data[i] = 100;
  const box = { x: 16, y: 8, size: 32 };

  it('adds the residual inside the crop, feathered at its border, and nothing outside', () => {
    const n = 8;
    const residual = new Float32Array(3 * n * n).fill(0.2); // +25.5 levels
    const out = createRgbImage(64, 48);
    pasteResidual(base, residual, n, box, out, 0.25);
    const at = (x: number, y: number) => out.data[(y * 64 + x) * 3] as number;
    expect(at(32, 24)).toBe(126); // centre: full residual
    expect(at(5, 5)).toBe(100); // outside the crop
    expect(at(18, 24)).toBeGreaterThan(100); // border: feathered, not full
    expect(at(18, 24)).toBeLessThan(115);
    expect(at(20, 24)).toBeGreaterThan(at(17, 24));
  });

  it('leaves the frame unchanged for a zero residual and clamps to 0–255', () => {
    const out = createRgbImage(64, 48);
    pasteResidual(base, new Float32Array(3 * 16), 4, box, out);
    expect(out.data).toEqual(base.data);
    pasteResidual(base, new Float32Array(3 * 16).fill(5), 4, box, out);
    expect(out.data[(24 * 64 + 32) * 3]).toBe(255);
  });
});

describe('upsample2x (the generator-without-SR path, = the SR model’s skip)', () => {
  it('is PyTorch’s bilinear ×2 with align_corners=False: separable, clamped at the borders', () => {
    // v(y, x) = 2y + x on a 2 × 2 grid. Along each axis PyTorch gives [0, 0.25, 0.75, 1] for
    // [0, 1] (source index (i + 0.5) / 2 - 0.5, clamped), so out(Y, X) = 2 f(Y) + f(X).
    const f = [0, 0.25, 0.75, 1];
    const src = new Float32Array([0, 1, 2, 3, 10, 11, 12, 13]); // 2 channels
    const out = new Float32Array(2 * 16);
    upsample2x(src, 2, 2, out);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        const v = 2 * (f[y] as number) + (f[x] as number);
        expect(out[y * 4 + x]).toBeCloseTo(v, 6);
        expect(out[16 + y * 4 + x]).toBeCloseTo(10 + v, 6);
      }
  });
});
