import { describe, expect, it } from 'vitest';
import { BLENDSHAPE_COUNT, BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import {
  classifyMouth,
  closeMouth,
  FACE_VERTEX_COUNT,
  loadFaceModel,
  measureMouth,
  meshMouth,
} from './helpers.ts';

const model = await loadFaceModel();
const pose = { pitch: 0, yaw: 0, roll: 0, pxPerCm: 20, txPx: 256, tyPx: 256 };
const zero = new Float32Array(BLENDSHAPE_COUNT);

/** The model neutral with `amount` of shape `k` baked in. */
function withShape(k: number, amount: number, base: ArrayLike<number> = model.neutral) {
  const out = Float32Array.from(base);
  const n = FACE_VERTEX_COUNT * 3;
  for (let d = 0; d < n; d++)
    out[d] = (out[d] as number) + amount * (model.basis[k * n + d] as number);
  return out;
}

describe('measureMouth', () => {
  it('reads gap and width in eye-corner units, the same at any scale and roll', () => {
    const open = new Float32Array(withShape(BLENDSHAPE_INDEX.jawOpen, 0.5));
    const a = meshMouth(model, open, zero, pose);
    const b = meshMouth(model, open, zero, { ...pose, pxPerCm: 7, roll: 0.4 });
    expect(a.gap).toBeGreaterThan(0.08);
    expect(b.gap).toBeCloseTo(a.gap, 6);
    expect(b.width).toBeCloseTo(a.width, 6);
    expect(b.cornerLift).toBeCloseTo(a.cornerLift, 6);
    const closed = meshMouth(model, model.neutral, zero, pose);
    expect(closed.gap).toBeLessThan(0.02);
  });

  it('a smile lifts the corners, a dropped jaw does not', () => {
    const smile = withShape(
      BLENDSHAPE_INDEX.mouthSmileLeft,
      0.8,
      withShape(BLENDSHAPE_INDEX.mouthSmileRight, 0.8),
    );
    expect(meshMouth(model, smile, zero, pose).cornerLift).toBeGreaterThan(
      meshMouth(model, model.neutral, zero, pose).cornerLift + 0.02,
    );
  });
});

describe('classifyMouth', () => {
  it('closed lips, an open jaw, and lips apart in a smile', () => {
    expect(classifyMouth({ gap: 0.01, width: 0.4, cornerLift: 0 })).toBe('closed');
    expect(classifyMouth({ gap: 0.12, width: 0.3, cornerLift: -0.01 })).toBe('open');
    expect(classifyMouth({ gap: 0.06, width: 0.45, cornerLift: 0.05 })).toBe('teeth');
  });
});

describe('closeMouth', () => {
  it('takes an open jaw out of a neutral shape and says how much', () => {
    const open = withShape(BLENDSHAPE_INDEX.jawOpen, 0.4);
    const { identity, moved } = closeMouth(model, open, 'open');
    expect(moved.get(BLENDSHAPE_INDEX.jawOpen)).toBeCloseTo(0.4, 3);
    let maxDiff = 0;
    for (let d = 0; d < identity.length; d++)
      maxDiff = Math.max(maxDiff, Math.abs((identity[d] as number) - (model.neutral[d] as number)));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('closes a smile’s parted lips with the lip shapes, leaving the jaw', () => {
    const parted = withShape(
      BLENDSHAPE_INDEX.mouthUpperUpLeft,
      0.5,
      withShape(
        BLENDSHAPE_INDEX.mouthUpperUpRight,
        0.5,
        withShape(
          BLENDSHAPE_INDEX.mouthLowerDownLeft,
          0.5,
          withShape(BLENDSHAPE_INDEX.mouthLowerDownRight, 0.5),
        ),
      ),
    );
    const { identity, moved } = closeMouth(model, parted, 'teeth');
    expect(moved.get(BLENDSHAPE_INDEX.mouthUpperUpLeft)).toBeCloseTo(0.5, 2);
    expect(moved.get(BLENDSHAPE_INDEX.jawOpen) ?? 0).toBeLessThan(0.02);
    expect(meshMouth(model, identity, zero, pose).gap).toBeCloseTo(
      meshMouth(model, model.neutral, zero, pose).gap,
      3,
    );
  });

  it('respects the limits and leaves an already closed mouth alone', () => {
    const open = withShape(BLENDSHAPE_INDEX.jawOpen, 0.6);
    const limits = new Float32Array(BLENDSHAPE_COUNT).fill(1);
    limits[BLENDSHAPE_INDEX.jawOpen] = 0.25;
    expect(closeMouth(model, open, 'open', limits).moved.get(BLENDSHAPE_INDEX.jawOpen)).toBeCloseTo(
      0.25,
      6,
    );
    expect(closeMouth(model, model.neutral, 'closed').moved.size).toBe(0);
  });

  it('reads the same gap from landmarks as from the mesh they came from', () => {
    const open = withShape(BLENDSHAPE_INDEX.jawOpen, 0.3);
    const points = new Float32Array(FACE_VERTEX_COUNT * 3);
    const r = 20;
    for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
      points[i * 3] = (open[i * 3] as number) * r + 256;
      points[i * 3 + 1] = (open[i * 3 + 1] as number) * r + 256;
    }
    expect(measureMouth(points).gap).toBeCloseTo(meshMouth(model, open, zero, pose).gap, 4);
  });
});
