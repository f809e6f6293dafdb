import { beforeAll, describe, expect, it } from 'vitest';
import { BLEND_MIN, blendCrop, copyFrame } from '../../src/dub/composite.ts';
import { lowerFaceWeights, mouthAnchor } from '../../src/dub/geometry.ts';
import { LowerFaceMask } from '../../src/dub/mask.ts';
import { type FaceModel, loadFaceModel, poseVertices } from '../../src/face/index.ts';

let model: FaceModel;
beforeAll(async () => {
  model = await loadFaceModel();
});

describe('the lower-face mask', () => {
  it('covers lips and chin, feathers out, and leaves the eyes and brows alone', () => {
    const size = 256;
    const pose = { pitch: 0, yaw: 0, roll: 0, pxPerCm: 14, txPx: 128, tyPx: 90 };
    const points = poseVertices(model, model.neutral, new Float32Array(52), pose);
    const weights = lowerFaceWeights(model);
    const mask = new LowerFaceMask(model, weights, size).build(points, points, 8, 12);
    const at = (i: number) => {
      const x = Math.round(points[i * 3] as number);
      const y = Math.round(points[i * 3 + 1] as number);
      return mask[y * size + x] as number;
    };
    for (const i of model.sets.lips) expect(at(i)).toBeGreaterThan(0.95);
    for (const set of [
      model.sets.leftEye,
      model.sets.rightEye,
      model.sets.leftBrow,
      model.sets.rightBrow,
    ]) {
      // Below the blend threshold (running sums leave float dust): those pixels are never touched.
      for (const i of set) expect(at(i)).toBeLessThan(0.002);
    }
    // Values stay in [0, 1]; the edge is soft (some partial values).
    let partial = 0;
    for (const v of mask) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      if (v > 0.05 && v < 0.95) partial++;
    }
    expect(partial).toBeGreaterThan(500);
    // The spans hold every non-zero value of each row, and the bounds hold the spans.
    const mask2 = new LowerFaceMask(model, weights, size);
    mask2.build(points, points, 8, 12);
    const { spans, bounds } = mask2;
    for (let y = 0; y < size; y++) {
      const first = spans[y * 2] as number;
      const last = spans[y * 2 + 1] as number;
      for (let x = 0; x < size; x++) {
        if ((mask2.values[y * size + x] as number) === 0) continue;
        expect(x).toBeGreaterThanOrEqual(first);
        expect(x).toBeLessThanOrEqual(last);
        expect(y >= bounds.y0 && y <= bounds.y1 && x >= bounds.x0 && x <= bounds.x1).toBe(true);
      }
      if (first <= last) expect(mask2.values[y * size + first]).not.toBe(0);
      // The blend spans hold every value over BLEND_MIN, and start and end on one.
      const bFirst = mask2.blendSpans[y * 2] as number;
      const bLast = mask2.blendSpans[y * 2 + 1] as number;
      for (let x = 0; x < size; x++) {
        if ((mask2.values[y * size + x] as number) <= BLEND_MIN) continue;
        expect(x).toBeGreaterThanOrEqual(bFirst);
        expect(x).toBeLessThanOrEqual(bLast);
      }
      if (bFirst <= bLast) {
        expect(mask2.values[y * size + bFirst]).toBeGreaterThan(BLEND_MIN);
        expect(mask2.values[y * size + bLast]).toBeGreaterThan(BLEND_MIN);
      }
    }
    // The feathered edge has values under BLEND_MIN: the blend spans are narrower somewhere.
    let narrower = 0;
    for (let y = 0; y < size; y++) {
      const a = mask2.spans[y * 2] as number;
      const b = mask2.blendSpans[y * 2] as number;
      if (a <= (mask2.spans[y * 2 + 1] as number) && b > a) narrower++;
    }
    expect(narrower).toBeGreaterThan(0);
    // A second build over the first gives what a fresh mask gives (what was written is cleared).
    const moved = Float32Array.from(points, (v, i) => (i % 3 === 0 ? v + 60 : v));
    mask2.build(moved, moved, 8, 12);
    const fresh = new LowerFaceMask(model, weights, size).build(moved, moved, 8, 12);
    expect(Buffer.from(mask2.values.buffer).equals(Buffer.from(fresh.buffer))).toBe(true);
    // The anchor: the lips' centre, the eye distance of this pose (6.25 cm × 14 px/cm).
    const anchor = mouthAnchor(model, points, 3);
    expect(anchor.interOcularPx).toBeCloseTo(model.interOcularCm * 14, 0);
  });
});

describe('blending the crop back', () => {
  const width = 40;
  const height = 30;
  const frame = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 251);

  it('changes only pixels under the mask, pixel for pixel when the crop is the grid size', () => {
    const size = 16;
    const render = new Uint8Array(size * size * 3).fill(255);
    const mask = new Float32Array(size * size);
    mask[5 * size + 7] = 1;
    mask[6 * size + 7] = 0.5;
    const out = Uint8Array.from(frame);
    blendCrop(out, width, height, render, mask, size, { x: 10, y: 4, side: size });
    const changed: number[] = [];
    for (let p = 0; p < width * height; p++) if (out[p * 3] !== frame[p * 3]) changed.push(p);
    expect(changed).toEqual([(4 + 5) * width + 17, (4 + 6) * width + 17]);
    expect(out[((4 + 5) * width + 17) * 3]).toBe(255);
    const half = frame[((4 + 6) * width + 17) * 3] as number;
    expect(out[((4 + 6) * width + 17) * 3]).toBe(Math.floor(half + 0.5 * (255 - half) + 0.5));
  });

  it('resamples when the crop is larger than the grid, clipping at the frame edge', () => {
    const size = 16;
    const render = new Uint8Array(size * size * 3).fill(0);
    const mask = new Float32Array(size * size).fill(1);
    const out = Uint8Array.from(frame);
    // A 32 px crop sticking out past the right and bottom edges.
    blendCrop(out, width, height, render, mask, size, { x: 20, y: 10, side: 32 });
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = x >= 20 && y >= 10;
        expect(out[(y * width + x) * 3]).toBe(inside ? 0 : frame[(y * width + x) * 3]);
      }
    }
  });

  it('visits only the pixels that read the bounds and spans: the same result as the whole crop', () => {
    const size = 16;
    const render = new Uint8Array(size * size * 3).fill(255);
    const mask = new Float32Array(size * size);
    for (let y = 5; y <= 9; y++) for (let x = 3; x <= 11; x++) mask[y * size + x] = 0.1 * (x - 2);
    // rows of different widths, each with dust under BLEND_MIN round it
    for (let y = 5; y <= 9; y++) {
      for (let x = 3; x < 3 + (y - 5); x++) mask[y * size + x] = BLEND_MIN / 2;
    }
    const bounds = { x0: 3, y0: 5, x1: 11, y1: 9 };
    const spans = new Int32Array(size * 2);
    for (let y = 0; y < size; y++) {
      const over = [...Array(size).keys()].filter(
        (x) => (mask[y * size + x] as number) > BLEND_MIN,
      );
      spans[y * 2] = over.length ? (over[0] as number) : 1;
      spans[y * 2 + 1] = over.length ? (over.at(-1) as number) : 0;
    }
    for (const crop of [
      { x: 10, y: 4, side: 16 },
      { x: 3, y: -2, side: 27 },
      { x: 20, y: 10, side: 32 },
    ]) {
      const whole = Uint8Array.from(frame);
      blendCrop(whole, width, height, render, mask, size, crop);
      const bounded = Uint8Array.from(frame);
      blendCrop(bounded, width, height, render, mask, size, crop, { bounds });
      expect(Buffer.from(bounded).equals(Buffer.from(whole))).toBe(true);
      const spanned = Uint8Array.from(frame);
      blendCrop(spanned, width, height, render, mask, size, crop, { bounds, spans });
      expect(Buffer.from(spanned).equals(Buffer.from(whole))).toBe(true);
      expect(Buffer.from(whole).equals(Buffer.from(frame))).toBe(false);
    }
  });

  it('drops the odd last column and row for H.264', () => {
    const src = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => i);
    const dst = new Uint8Array(4 * 2 * 3);
    copyFrame(src, 5, dst, 4, 2);
    expect(Array.from(dst.subarray(0, 12))).toEqual(Array.from(src.subarray(0, 12)));
    expect(Array.from(dst.subarray(12, 24))).toEqual(Array.from(src.subarray(15, 27)));
  });
});
