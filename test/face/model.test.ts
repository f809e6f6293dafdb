import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARKIT_BLENDSHAPES,
  BLENDSHAPE_INDEX,
  type BlendshapeName,
} from '../../src/controls/index.ts';
import { tempDir } from '../helpers/media.ts';
import { DEFAULT_FACE_MODEL_DIR, type FaceModel, isFaceError, loadFaceModel } from './helpers.ts';

let model: FaceModel;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  model = await loadFaceModel();
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

const N = 468;
/** Largest displacement (cm) a shape gives any vertex of `set` (all vertices if omitted). */
function maxMove(name: BlendshapeName, set?: ArrayLike<number>): number {
  const k = BLENDSHAPE_INDEX[name];
  const ids = set ? Array.from(set) : Array.from({ length: N }, (_, i) => i);
  let max = 0;
  for (const i of ids) {
    const o = (k * N + i) * 3;
    max = Math.max(
      max,
      Math.hypot(
        model.basis[o] as number,
        model.basis[o + 1] as number,
        model.basis[o + 2] as number,
      ),
    );
  }
  return max;
}
/** Mean displacement (cm, per axis) of a shape over a vertex set. */
function meanMove(name: BlendshapeName, set: ArrayLike<number>): [number, number, number] {
  const k = BLENDSHAPE_INDEX[name];
  const sum: [number, number, number] = [0, 0, 0];
  for (const i of Array.from(set)) {
    for (let a = 0; a < 3; a++)
      sum[a] = (sum[a] as number) + (model.basis[(k * N + i) * 3 + a] as number) / set.length;
  }
  return sum;
}

describe('models/face', () => {
  it('holds the MediaPipe mesh: 468 vertices, 898 triangles, UVs in [0, 1]', () => {
    expect(model.vertexCount).toBe(468);
    expect(model.triangleCount).toBe(898);
    expect(model.triangles.length).toBe(898 * 3);
    expect(Math.max(...model.triangles)).toBe(467);
    expect(model.uvs.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(model.basis.length).toBe(52 * 468 * 3);
    expect(model.blendshapes).toEqual(ARKIT_BLENDSHAPES);
    // Every vertex is used by some triangle.
    expect(new Set(model.triangles).size).toBe(468);
  });

  it('pairs UVs with vertices correctly (pbtxt order, v down): the mouth is below the nose in UV too', () => {
    const v = (i: number) => model.uvs[i * 2 + 1] as number;
    const u = (i: number) => model.uvs[i * 2] as number;
    expect(v(13)).toBeGreaterThan(v(1)); // upper lip below the nose tip
    expect(v(152)).toBeGreaterThan(v(13)); // chin below the lips
    expect(v(10)).toBeLessThan(v(1)); // forehead above the nose
    expect(u(263)).toBeGreaterThan(u(33)); // subject's left eye corner on the right of the texture
  });

  it('uses the model frame x right, y down, z away; lips closed; IOD ≈ 6.2 cm', () => {
    const p = (i: number, a: number) => model.neutral[i * 3 + a] as number;
    expect(p(263, 0)).toBeGreaterThan(p(33, 0)); // subject's left = +x
    expect(p(152, 1)).toBeGreaterThan(p(10, 1)); // chin below forehead
    expect(p(1, 2)).toBeLessThan(p(234, 2)); // nose tip nearer the camera than the ear
    expect(p(14, 1) - p(13, 1)).toBeLessThan(0.15); // inner lips at most 1.5 mm apart
    expect(model.interOcularCm).toBeGreaterThan(5.5);
    expect(model.interOcularCm).toBeLessThan(7);
    expect(model.identityCount).toBeGreaterThan(0);
  });

  it('names the sets the renderer needs, and the triangles covering the openings', () => {
    expect(model.sets.lipsInner.length).toBe(20);
    expect(model.sets.leftEye.length).toBe(16);
    expect(model.sets.faceOval.length).toBe(36);
    expect(model.triangleSets.mouthInterior.length).toBeGreaterThan(10);
    for (const t of model.triangleSets.leftEyeInterior) {
      for (let k = 0; k < 3; k++) expect(model.sets.leftEye).toContain(model.triangles[t * 3 + k]);
    }
  });

  it('has real geometry for every jaw, mouth, eyelid, eye-look and brow shape', () => {
    for (const name of ARKIT_BLENDSHAPES) {
      if (/^(jaw|mouth|eye|brow)/.test(name)) expect(maxMove(name), name).toBeGreaterThan(0.08);
    }
  });

  it('moves the right places in the right directions', () => {
    const { sets } = model;
    // jawOpen drops the lower lip and the chin, not the upper lip.
    expect(meanMove('jawOpen', sets.lipsLowerInner)[1]).toBeGreaterThan(1);
    expect(maxMove('jawOpen', [13, 82, 312])).toBeLessThan(0.05);
    expect(meanMove('jawOpen', [152])[1]).toBeGreaterThan(1);
    // Blinks close the named eye only: the upper lid moves down to meet the lower.
    const upperL = sets.leftEyeUpper.subarray(2, 7);
    expect(meanMove('eyeBlinkLeft', upperL)[1]).toBeGreaterThan(0.3);
    expect(maxMove('eyeBlinkLeft', sets.rightEye)).toBe(0);
    expect(maxMove('eyeBlinkRight', sets.leftEye)).toBe(0);
    // eyeWide raises the upper lid.
    expect(meanMove('eyeWideLeft', upperL)[1]).toBeLessThan(-0.1);
    // Smiles raise the corner on their own side (left = +x = landmark 291).
    expect(meanMove('mouthSmileLeft', [291])[1]).toBeLessThan(-0.2);
    expect(meanMove('mouthSmileLeft', [291])[0]).toBeGreaterThan(0.2);
    expect(maxMove('mouthSmileLeft', [61])).toBeLessThan(0.05);
    // Pucker narrows the mouth; funnel pushes the lips forward (−z).
    expect(meanMove('mouthPucker', [291])[0]).toBeLessThan(-0.3);
    expect(meanMove('mouthFunnel', sets.lipsOuter)[2]).toBeLessThan(-0.3);
    // mouthClose undoes the jaw on the lower lip.
    const close = meanMove('mouthClose', sets.lipsLowerInner);
    const open = meanMove('jawOpen', sets.lipsLowerInner);
    expect(close[1]).toBeCloseTo(-open[1], 1);
    // Brows.
    expect(meanMove('browInnerUp', [107, 336])[1]).toBeLessThan(-0.2);
    expect(meanMove('browDownLeft', sets.leftBrow)[1]).toBeGreaterThan(0.2);
    // jawLeft moves the chin to the subject's left (+x).
    expect(meanMove('jawLeft', [152])[0]).toBeGreaterThan(0.3);
  });

  it('refuses a model whose files do not match the manifest', async () => {
    const copy = join(dir, 'face');
    await mkdir(copy);
    for (const f of ['manifest.json', 'mesh.json', 'basis.f32', 'identity.f32']) {
      await copyFile(join(DEFAULT_FACE_MODEL_DIR, f), join(copy, f));
    }
    const basis = await readFile(join(copy, 'basis.f32'));
    basis[1000] = (basis[1000] as number) ^ 0xff;
    await writeFile(join(copy, 'basis.f32'), basis);
    const error = await loadFaceModel(copy).catch((e: unknown) => e);
    expect(isFaceError(error, 'FACE_MODEL_INVALID')).toBe(true);
    expect(String((error as Error).message)).toMatch(/sha256/);
  });
});
