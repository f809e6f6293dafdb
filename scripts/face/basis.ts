/**
 * The procedural ARKit-52 blendshape basis on the 468-vertex MediaPipe mesh.
 *
 * Each shape is a displacement field in the model frame (centimetres; x to the subject's
 * left = image right, y down, z away from the camera) built from the mesh's own landmark
 * contours: rigid jaw rotation about the temporomandibular joint, lid contours moving
 * towards each other, mouth corners pulled along anatomical directions, brows raised or
 * lowered, each with a Gaussian fall-off into the surrounding skin. Magnitudes at weight 1
 * follow ARKit's meaning of "fully expressed" (e.g. jawOpen = 1 drops the lower lip by
 * ~1.8 cm, eyeBlink = 1 closes the lids). See docs/stages/face.md for why the
 * basis is procedural rather than fitted from tracked video.
 */
import { ARKIT_BLENDSHAPES, type BlendshapeName } from '../../src/controls/index.ts';
import { meshGeometry, type V3 } from './geometry.ts';
import {
  LEFT_BROW_LOWER,
  LEFT_BROW_UPPER,
  LEFT_EYE_LOWER,
  LEFT_EYE_UPPER,
  RIGHT_BROW_LOWER,
  RIGHT_BROW_UPPER,
  RIGHT_EYE_LOWER,
  RIGHT_EYE_UPPER,
  type SetName,
} from './regions.ts';

const VERTICES = 468;

export interface BasisInput {
  /** 468 × 3 neutral positions (model frame, cm). */
  neutral: Float64Array;
  sets: Record<SetName, number[]>;
}

/** Builds the 52 × 468 × 3 displacement basis in ARKit order. */
export function buildBasis({ neutral, sets }: BasisInput): Float64Array {
  const basis = new Float64Array(ARKIT_BLENDSHAPES.length * VERTICES * 3);
  const geometry = meshGeometry(neutral, sets);
  const {
    p,
    all,
    dist,
    gauss,
    smoothstep,
    xy,
    front,
    seamY,
    halfWidth,
    upperSet,
    lowerSet,
    lipSet,
    corners,
    lipMask,
    upperMask,
    lowerMask,
    taper,
    leftSide,
    rightSide,
  } = geometry;
  const add = (name: BlendshapeName, i: number, d: V3, w = 1): void => {
    if (w === 0) return;
    const base = (ARKIT_BLENDSHAPES.indexOf(name) * VERTICES + i) * 3;
    basis[base] = (basis[base] as number) + d[0] * w;
    basis[base + 1] = (basis[base + 1] as number) + d[1] * w;
    basis[base + 2] = (basis[base + 2] as number) + d[2] * w;
  };
  // ---- Jaw: rotation about the temporomandibular joint plus the condyle's glide ----------
  // A pure rotation swings the chin backwards; the real mandible also translates (the
  // condyles slide forward and down the articular eminence), so the chin mostly drops.
  // Angle and translation were chosen so the displacement ratios match what the landmark
  // detector reports on the fixture talking videos (per unit of inner-lip gap, relative to
  // the nose: chin 0.78, jaw angle 0.46, mouth corner 0.32, cheek 0.2). Scale: at weight 1
  // the lower lip drops 1.8 cm and the chin 1.6 cm. The detector under-reports mouth
  // opening (peaks of ~0.5 cm inner-lip gap in clearly articulated GRID speech), and this
  // scale puts tracked speech where ARKit captures of speech sit (jawOpen ≈ 0.05–0.4).
  const jawPivot: V3 = [0, 0.3, 2.0];
  const jawAngle = 0.11;
  const jawGlide: [number, number] = [1.05, -0.2];
  const jawWeight = (i: number): number => {
    const [x, y] = xy(i);
    const ax = Math.abs(x) / halfWidth;
    if (upperSet.has(i)) return corners.has(i) ? 0.5 : 0.5 * Math.min(1, ax) ** 6;
    if (lowerSet.has(i)) return corners.has(i) ? 0.5 : 1 - 0.5 * Math.min(1, ax) ** 6;
    const lateral = Math.min(1, Math.max(0, (Math.abs(x) - halfWidth) / 2));
    const edge = Math.abs(x) <= halfWidth ? seamY(x) : seamY(x) - (Math.abs(x) - halfWidth) * 0.55;
    // Beside the mouth the soft cheek follows the jaw part-way, higher up.
    return smoothstep(edge - 0.3 - 2.2 * lateral, edge + 1.2, y);
  };
  const jawDelta = (i: number, angle: number, glide: [number, number]): V3 => {
    const [, y, z] = p(i);
    const ry = y - jawPivot[1];
    const rz = z - jawPivot[2];
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    return [0, c * ry - s * rz - ry + glide[0], s * ry + c * rz - rz + glide[1]];
  };
  const jw = all.map(jawWeight);
  for (const i of all) {
    const w = jw[i] as number;
    add('jawOpen', i, jawDelta(i, jawAngle, jawGlide), w);
    add('jawForward', i, [0, 0, -0.6], w);
    add('jawLeft', i, [0.6, 0, 0], w);
    add('jawRight', i, [-0.6, 0, 0], w);
    // The tongue is not part of the mesh: tongueOut opens the jaw a little and pushes the
    // lower lip down and forward, which is all a 468-vertex surface can show of it.
    add('tongueOut', i, jawDelta(i, jawAngle * 0.25, [jawGlide[0] * 0.25, jawGlide[1] * 0.25]), w);
    add('tongueOut', i, [0, 0.15, -0.3], lowerMask(i, 0.3));
  }

  // ---- Lips -----------------------------------------------------------------------------
  for (const i of all) {
    const [x, y] = xy(i);
    const seam = seamY(x);
    const lowerClose = lowerMask(i, 0.4) * taper(x, 0.5, 6);
    // mouthClose: lips meet whatever the jaw does — undoes the jaw's motion of the lower lip.
    add('mouthClose', i, jawDelta(i, jawAngle, jawGlide), -lowerClose);

    const lip = lipMask(i, 0.45);
    const center = 1 - Math.min(1, (x / halfWidth) ** 2);
    const up = upperMask(i, 0.45);
    const low = lowerMask(i, 0.45);
    // Funnel: lips forward, corners in, the opening rounds (upper up, lower down at the middle).
    add('mouthFunnel', i, [(-0.35 * x) / halfWidth, 0, -0.55], lip);
    add('mouthFunnel', i, [0, -0.25 * center, 0], up);
    add('mouthFunnel', i, [0, 0.3 * center, 0], low);
    // Pucker: lips forward and pressed together, corners far in.
    add('mouthPucker', i, [(-0.7 * x) / halfWidth, 0, -0.8 * taper(x, 0.5, 2)], lipMask(i, 0.55));
    add('mouthPucker', i, [0, 0.08, 0], up);
    add('mouthPucker', i, [0, -0.08, 0], low);
    // Whole mouth sideways (the subject's left is +x).
    const mouthArea = lipMask(i, 0.9);
    add('mouthLeft', i, [0.7, 0, 0], mouthArea);
    add('mouthRight', i, [-0.7, 0, 0], mouthArea);
    // Roll: the lip turns inwards, its outer edge moves to the seam and back.
    if (upperSet.has(i) && !corners.has(i)) add('mouthRollUpper', i, [0, 0.6 * (seam - y), 0.25]);
    if (lowerSet.has(i) && !corners.has(i)) add('mouthRollLower', i, [0, -0.6 * (y - seam), 0.25]);
    // Shrug: lower lip and chin push up (pout); upper lip raised.
    add('mouthShrugLower', i, [0, -0.35, -0.1], lowerMask(i, 1.0) * taper(x, 0.6));
    add('mouthShrugUpper', i, [0, -0.3, -0.05], upperMask(i, 0.5) * taper(x, 0.6));
    // Press: lips thin (outer edges towards the seam) on one side.
    if (lipSet.has(i) && !corners.has(i)) {
      const thin: V3 = [0, upperSet.has(i) ? 0.4 * (seam - y) : -0.4 * (y - seam), 0];
      add('mouthPressLeft', i, thin, leftSide(x));
      add('mouthPressRight', i, thin, rightSide(x));
    }
    // One side of a lip raised / lowered (teeth show), less at the corner.
    add('mouthLowerDownLeft', i, [0, 0.45, 0], lowerMask(i, 0.5) * leftSide(x) * taper(x, 0.6));
    add('mouthLowerDownRight', i, [0, 0.45, 0], lowerMask(i, 0.5) * rightSide(x) * taper(x, 0.6));
    add('mouthUpperUpLeft', i, [0, -0.4, -0.05], upperMask(i, 0.5) * leftSide(x) * taper(x, 0.6));
    add('mouthUpperUpRight', i, [0, -0.4, -0.05], upperMask(i, 0.5) * rightSide(x) * taper(x, 0.6));
  }

  // ---- Mouth corners --------------------------------------------------------------------
  const cornerShapes = (side: 'Left' | 'Right', corner: number, sign: 1 | -1) => {
    const c = p(corner);
    const cheek: V3 = [c[0] + sign * 0.8, c[1] - 1.6, c[2] - 0.2];
    for (const i of all) {
      const d = dist(p(i), c);
      const f = front(i);
      add(`mouthSmile${side}`, i, [sign * 0.45, -0.45, 0.25], gauss(d, 1.1) * f);
      add(`mouthSmile${side}`, i, [0, -0.2, 0], gauss(dist(p(i), cheek), 1.6) * f);
      add(`mouthFrown${side}`, i, [sign * 0.1, 0.45, 0], gauss(d, 0.9) * f);
      add(`mouthDimple${side}`, i, [sign * 0.3, -0.05, 0.35], gauss(d, 0.8) * f);
      add(`mouthStretch${side}`, i, [sign * 0.45, 0.2, 0.1], gauss(d, 1.0) * f);
      const sideSel = sign > 0 ? leftSide(p(i)[0]) : rightSide(p(i)[0]);
      add(`mouthStretch${side}`, i, [0, 0.2, 0], lowerMask(i, 0.4) * sideSel);
    }
  };
  cornerShapes('Left', 291, 1);
  cornerShapes('Right', 61, -1);

  // ---- Eyes -----------------------------------------------------------------------------
  const eyeShapes = (side: 'Left' | 'Right', upper: number[], lower: number[], sign: 1 | -1) => {
    const n = upper.length;
    /** Position on the other lid at the same parameter along the eye (corners shared). */
    const along = (lid: number[], k: number) => p(lid[k] as number);
    const taperAt = (k: number) => Math.sin((Math.PI * k) / (n - 1));
    const eyeCenter: V3 = [0, 0, 0];
    for (const i of [...upper, ...lower]) {
      const v = p(i);
      eyeCenter[0] += v[0] / (2 * n);
      eyeCenter[1] += v[1] / (2 * n);
      eyeCenter[2] += v[2] / (2 * n);
    }
    const lidSet = new Set([...upper, ...lower]);
    /** Displacement field from per-contour-point displacements with fall-off into the lid skin. */
    const field = (
      name: BlendshapeName,
      upperDisp: (k: number) => V3,
      lowerDisp: (k: number) => V3,
      sigmaUpper: number,
      sigmaLower: number,
    ) => {
      for (const i of all) {
        if (dist(p(i), eyeCenter) > 3.2 || front(i) < 0.2) continue;
        const isLid = lidSet.has(i);
        // Which lid a vertex belongs to: the nearer contour (contour points are their own).
        let bestU = Number.POSITIVE_INFINITY;
        let kU = 0;
        upper.forEach((j, k) => {
          const d = dist(p(i), p(j));
          if (d < bestU) [bestU, kU] = [d, k];
        });
        let bestL = Number.POSITIVE_INFINITY;
        let kL = 0;
        lower.forEach((j, k) => {
          const d = dist(p(i), p(j));
          if (d < bestL) [bestL, kL] = [d, k];
        });
        const onUpper = isLid ? upper.includes(i) : p(i)[1] < eyeCenter[1] && bestU <= bestL + 0.3;
        const onLower = isLid
          ? lower.includes(i) && !upper.includes(i)
          : !onUpper && p(i)[1] >= eyeCenter[1];
        if (onUpper) add(name, i, upperDisp(kU), isLid ? 1 : gauss(bestU, sigmaUpper));
        else if (onLower) add(name, i, lowerDisp(kL), isLid ? 1 : gauss(bestL, sigmaLower));
      }
    };
    const towards = (from: V3, to: V3, t: number): V3 => [
      (to[0] - from[0]) * t,
      (to[1] - from[1]) * t,
      (to[2] - from[2]) * t,
    ];
    const scaled = (k: number, v: V3): V3 => {
      const t = taperAt(k);
      return [v[0] * t, v[1] * t, v[2] * t];
    };
    field(
      `eyeBlink${side}`,
      (k) => towards(along(upper, k), along(lower, k), 0.85),
      (k) => towards(along(lower, k), along(upper, k), 0.15),
      0.45,
      0.3,
    );
    field(
      `eyeSquint${side}`,
      (k) => towards(along(upper, k), along(lower, k), 0.12),
      (k) => towards(along(lower, k), along(upper, k), 0.35),
      0.3,
      0.6,
    );
    field(
      `eyeWide${side}`,
      (k) => scaled(k, [0, -0.3, -0.05]),
      (k) => scaled(k, [0, 0.05, 0]),
      0.5,
      0.3,
    );
    field(
      `eyeLookDown${side}`,
      (k) => towards(along(upper, k), along(lower, k), 0.3),
      (k) => scaled(k, [0, 0.08, 0]),
      0.4,
      0.3,
    );
    field(
      `eyeLookUp${side}`,
      (k) => scaled(k, [0, -0.12, 0]),
      (k) => towards(along(lower, k), along(upper, k), 0.15),
      0.4,
      0.3,
    );
    // In = towards the nose: −x for the left eye (+x side), +x for the right eye.
    field(
      `eyeLookIn${side}`,
      (k) => scaled(k, [-sign * 0.12, 0, 0]),
      (k) => scaled(k, [-sign * 0.1, 0, 0]),
      0.3,
      0.3,
    );
    field(
      `eyeLookOut${side}`,
      (k) => scaled(k, [sign * 0.12, 0, 0]),
      (k) => scaled(k, [sign * 0.1, 0, 0]),
      0.3,
      0.3,
    );

    // Cheek raise below this eye (cheekSquint): skin under the eye up, lower lid a little.
    const cheek: V3 = [eyeCenter[0] + sign * 0.3, eyeCenter[1] + 1.6, eyeCenter[2] - 0.3];
    for (const i of all) {
      add(`cheekSquint${side}`, i, [0, -0.3, -0.1], gauss(dist(p(i), cheek), 1.2) * front(i));
    }
    field(
      `cheekSquint${side}`,
      () => [0, 0, 0],
      (k) => scaled(k, [0, -0.08, 0]),
      0.3,
      0.3,
    );
  };
  eyeShapes('Left', LEFT_EYE_UPPER, LEFT_EYE_LOWER, 1);
  eyeShapes('Right', RIGHT_EYE_UPPER, RIGHT_EYE_LOWER, -1);

  // ---- Brows ----------------------------------------------------------------------------
  /** Per-vertex brow influence and position along the brow (0 outer end, 1 inner end). */
  const browInfluence = (lowerEdge: number[], upperEdge: number[]) => {
    const points = [...lowerEdge, ...upperEdge];
    const along = (k: number) => (k % lowerEdge.length) / (lowerEdge.length - 1);
    return all.map((i) => {
      let weightSum = 0;
      let tSum = 0;
      let best = Number.POSITIVE_INFINITY;
      points.forEach((j, k) => {
        const d = dist(p(i), p(j));
        best = Math.min(best, d);
        const g = gauss(d, 0.6);
        weightSum += g;
        tSum += g * along(k);
      });
      return { g: gauss(best, 0.8) * front(i), t: weightSum > 0 ? tSum / weightSum : 0 };
    });
  };
  const brows: [
    side: 'Left' | 'Right',
    sign: 1 | -1,
    influence: ReturnType<typeof browInfluence>,
  ][] = [
    ['Left', 1, browInfluence(LEFT_BROW_LOWER, LEFT_BROW_UPPER)],
    ['Right', -1, browInfluence(RIGHT_BROW_LOWER, RIGHT_BROW_UPPER)],
  ];
  for (const [side, sign, influence] of brows) {
    for (const i of all) {
      const { g, t } = influence[i] as { g: number; t: number };
      if (g < 1e-4) continue;
      add(`browDown${side}`, i, [-sign * 0.15 * t, 0.25 + 0.2 * t, 0.05], g);
      add(`browOuterUp${side}`, i, [0, -0.45 * (1 - t) ** 1.5, 0], g);
      add('browInnerUp', i, [0, -0.45 * t ** 1.5, 0], g);
    }
  }

  // ---- Cheeks and nose ------------------------------------------------------------------
  const frontPointNear = (target: [number, number]): V3 => {
    let best = 0;
    let bestD = Number.POSITIVE_INFINITY;
    for (const i of all) {
      if (p(i)[2] > 0) continue;
      const d = Math.hypot(p(i)[0] - target[0], p(i)[1] - target[1]);
      if (d < bestD) [best, bestD] = [i, d];
    }
    return p(best);
  };
  for (const sign of [1, -1] as const) {
    const cheek = frontPointNear([sign * 4.0, 2.8]);
    const ala = sets[sign > 0 ? 'noseLeftAla' : 'noseRightAla'].map(p);
    const alaCenter: V3 = [0, 1, 2].map(
      (a) => ala.reduce((sum, v) => sum + (v[a] as number), 0) / ala.length,
    ) as V3;
    const side = sign > 0 ? 'Left' : 'Right';
    for (const i of all) {
      const [x] = xy(i);
      const notLips = 1 - lipMask(i, 0.5);
      add(
        'cheekPuff',
        i,
        [sign * 0.5, 0, -0.35],
        gauss(dist(p(i), cheek), 1.6) * notLips * front(i),
      );
      add(
        `noseSneer${side}`,
        i,
        [sign * 0.05, -0.3, -0.05],
        gauss(dist(p(i), alaCenter), 0.7) * front(i),
      );
      const sideSel = sign > 0 ? leftSide(x) : rightSide(x);
      add(`noseSneer${side}`, i, [0, -0.1, 0], upperMask(i, 0.4) * sideSel);
    }
  }
  return basis;
}
