import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { BLENDSHAPE_COUNT, BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import { NormalEquations } from '../../src/face/normal-equations.ts';
import { rotationMatrix } from '../../src/face/pose.ts';
import { fixture } from '../helpers/media.ts';
import {
  type FaceFit,
  FaceFitter,
  type FaceModel,
  loadFaceModel,
  seededRandom,
} from './helpers.ts';

const N = 468;
const K = BLENDSHAPE_COUNT;

interface Packed {
  pose: FaceFit['pose'];
  weights: number[];
  identityCoefficients: number[];
}
interface Golden {
  source: string;
  face: number;
  identityFit: Packed;
  posed: Packed;
  eyesHeld: Packed;
  mouthPass: Packed;
}

let model: FaceModel;
let faces: Float32Array[];
let golden: Golden[];
beforeAll(async () => {
  model = await loadFaceModel();
  const reference = JSON.parse(await readFile(fixture('face/human-landmarks.json'), 'utf8')) as {
    items: { faces: { landmarks: number[] }[] }[];
  };
  faces = reference.items.flatMap((item) => item.faces.map((f) => Float32Array.from(f.landmarks)));
  golden = (
    JSON.parse(await readFile(fixture('face/direct-fit.json'), 'utf8')) as { frames: Golden[] }
  ).frames;
});

/** JᵀCJ and JᵀCe summed over the vertices, one Jacobian row pair at a time (the definition). */
function directEquations(
  base: Float32Array,
  c: Float32Array,
  q: Float32Array,
  theta: Float64Array,
  pose: { r: Float64Array; s: number; tx: number; ty: number },
  active: Uint8Array,
): { h: Float64Array; g: Float64Array } {
  const t = theta.length;
  const p = 6 + t;
  const h = new Float64Array(p * p);
  const g = new Float64Array(p);
  const delta = (m: number, i: number, x: number): number =>
    m < K
      ? (model.basis[(m * N + i) * 3 + x] as number)
      : (model.identityBasis[((m - K) * N + i) * 3 + x] as number);
  const { r, s } = pose;
  for (let i = 0; i < N; i++) {
    const v = [0, 1, 2].map((x) => {
      let value = base[i * 3 + x] as number;
      for (let m = 0; m < t; m++) value += (theta[m] as number) * delta(m, i, x);
      return value;
    });
    const y = [0, 1, 2].map((a) =>
      [0, 1, 2].reduce((sum, x) => sum + (r[a * 3 + x] as number) * (v[x] as number), 0),
    );
    const [y0, y1, y2] = y as [number, number, number];
    const jx = new Float64Array(p);
    const jy = new Float64Array(p);
    jx.set([0, s * y2, -s * y1, y0, 1, 0]);
    jy.set([-s * y2, 0, s * y0, y1, 0, 1]);
    for (let m = 0; m < t; m++) {
      if (active[m] !== 1) continue;
      for (let x = 0; x < 3; x++) {
        jx[6 + m] = (jx[6 + m] as number) + s * (r[x] as number) * delta(m, i, x);
        jy[6 + m] = (jy[6 + m] as number) + s * (r[3 + x] as number) * delta(m, i, x);
      }
    }
    const ex = (q[i * 3] as number) - (s * y0 + pose.tx);
    const ey = (q[i * 3 + 1] as number) - (s * y1 + pose.ty);
    const w = c[i] as number;
    for (let a = 0; a < p; a++) {
      g[a] = (g[a] as number) + w * ((jx[a] as number) * ex + (jy[a] as number) * ey);
      for (let b = 0; b < p; b++)
        h[a * p + b] =
          (h[a * p + b] as number) +
          w * ((jx[a] as number) * (jx[b] as number) + (jy[a] as number) * (jy[b] as number));
    }
  }
  return { h, g };
}

function maxRelativeError(ours: Float64Array, reference: Float64Array): number {
  const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let worst = 0;
  for (let a = 0; a < ours.length; a++)
    worst = Math.max(worst, Math.abs((ours[a] as number) - (reference[a] as number)) / scale);
  return worst;
}

describe('NormalEquations (the fit from precomputed moments)', () => {
  it('forms the same JᵀCJ and JᵀCe as the sum over vertices, on real landmarks (rel. 1e-10)', () => {
    const equations = new NormalEquations(model);
    const t = equations.columns;
    const random = seededRandom(5);
    const c = Float32Array.from(model.fitWeights);
    for (const i of model.sets.lipsInner) c[i] = (c[i] as number) * 32;
    // Two faces × (weights only with some held, weights and identity) — and a second base on
    // the same weighting, so the per-base moments must be refreshed.
    for (const [f, fitIdentity] of [
      [0, false],
      [3, true],
      [7, false],
    ] as const) {
      const q = faces[f] as Float32Array;
      const base = Float32Array.from(model.neutral, (v) => v * (1 + 0.05 * f));
      equations.begin(c, 32, base, q);
      const theta = new Float64Array(t);
      for (let k = 0; k < K; k++) theta[k] = random() < 0.5 ? 0 : random();
      for (let j = K; j < t; j++) theta[j] = fitIdentity ? random() * 2 - 1 : 0;
      const active = new Uint8Array(t);
      for (let k = 0; k < K; k++) active[k] = random() < 0.2 ? 0 : 1;
      for (let j = K; j < t; j++) active[j] = fitIdentity ? 1 : 0;
      const pose = {
        r: rotationMatrix(0.1 * f - 0.2, 0.15, -0.05),
        s: 14 + f,
        tx: q[4 * 3] as number,
        ty: q[4 * 3 + 1] as number,
      };
      const p = 6 + t;
      const h = new Float64Array(p * p);
      const g = new Float64Array(p);
      equations.assemble(theta, pose, active, h, g);
      const direct = directEquations(base, c, q, theta, pose, active);
      expect(maxRelativeError(h, direct.h), `JᵀCJ, face ${f}`).toBeLessThan(1e-10);
      expect(maxRelativeError(g, direct.g), `JᵀCe, face ${f}`).toBeLessThan(1e-10);
    }
  });

  it('fits real tracked frames as the per-vertex fitter did (weights, identity, angles within 1e-5)', () => {
    const fitter = new FaceFitter(model);
    const close = (ours: FaceFit, reference: Packed, what: string): void => {
      ours.weights.forEach((w, k) => {
        expect(Math.abs(w - (reference.weights[k] as number)), `${what} weight ${k}`).toBeLessThan(
          1e-5,
        );
      });
      ours.identityCoefficients.forEach((a, j) => {
        expect(
          Math.abs(a - (reference.identityCoefficients[j] as number)),
          `${what} α${j}`,
        ).toBeLessThan(1e-5);
      });
      for (const angle of ['pitch', 'yaw', 'roll'] as const)
        expect(Math.abs(ours.pose[angle] - reference.pose[angle]), `${what} ${angle}`).toBeLessThan(
          1e-5,
        );
      for (const scale of ['pxPerCm', 'txPx', 'tyPx'] as const)
        expect(
          Math.abs(ours.pose[scale] / reference.pose[scale] - 1),
          `${what} ${scale}`,
        ).toBeLessThan(1e-5);
    };
    expect(golden.length).toBeGreaterThan(10);
    golden.forEach((frame, f) => {
      const l = faces[f] as Float32Array;
      const a = fitter.fit(l, { fitIdentity: true });
      close(a, frame.identityFit, `face ${f} identity fit`);
      const b = fitter.fit(l, { identity: a.identity, iterations: 12 });
      close(b, frame.posed, `face ${f} posed`);
      const eye = new Map([
        [BLENDSHAPE_INDEX.eyeLookOutLeft, 0.2],
        [BLENDSHAPE_INDEX.eyeLookInRight, 0.15],
      ]);
      const c = fitter.fit(l, {
        identity: a.identity,
        initialPose: b.pose,
        initialWeights: b.weights,
        fixedWeights: eye,
        iterations: 6,
      });
      close(c, frame.eyesHeld, `face ${f} eyes held`);
      const fixed = new Map<number, number>();
      for (let k = 0; k < K; k++)
        if (k !== BLENDSHAPE_INDEX.jawOpen) fixed.set(k, c.weights[k] as number);
      const d = fitter.fit(l, {
        identity: a.identity,
        initialPose: c.pose,
        initialWeights: c.weights,
        fixedWeights: fixed,
        iterations: 4,
        mouthWeight: 32,
      });
      close(d, frame.mouthPass, `face ${f} mouth pass`);
    });
  });
});
