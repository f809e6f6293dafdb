import { ARKIT_BLENDSHAPES, BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import {
  FaceFitter,
  type FaceModel,
  type FacePose,
  gaussian,
  poseVertices,
  seededRandom,
} from './helpers.ts';

/** Pairs that are geometric opposites: a face shows at most one of each. */
const ANTAGONISTS: [string, string][] = [
  ['eyeLookInLeft', 'eyeLookOutLeft'],
  ['eyeLookUpLeft', 'eyeLookDownLeft'],
  ['eyeLookInRight', 'eyeLookOutRight'],
  ['eyeLookUpRight', 'eyeLookDownRight'],
  ['jawLeft', 'jawRight'],
  ['mouthLeft', 'mouthRight'],
];

export interface RecoveryResult {
  /** Mean |fitted − true| over all shapes and trials. */
  meanAbsError: number;
  /** Largest |fitted − true| per shape over the trials. */
  maxAbsError: Record<string, number>;
  meanAbsErrorOf: (names: string[]) => number;
  /** Largest head-angle error, radians. */
  maxAngleError: number;
}

/**
 * Fits landmarks made by poseVertices from known weights and poses (a quarter of the shapes
 * active, uniform in [0, 1]; tongueOut excluded: not observable), with Gaussian pixel noise.
 */
export function recoveryTrial(
  model: FaceModel,
  options: { trials: number; noisePx: number; regularization?: number; seed: number },
): RecoveryResult {
  const random = seededRandom(options.seed);
  const fitter = new FaceFitter(model);
  const errors: number[][] = ARKIT_BLENDSHAPES.map(() => []);
  let maxAngleError = 0;
  for (let t = 0; t < options.trials; t++) {
    const weights = new Float32Array(52);
    for (let k = 0; k < 52; k++) if (random() < 0.25) weights[k] = random();
    weights[BLENDSHAPE_INDEX.tongueOut] = 0;
    for (const [a, b] of ANTAGONISTS) {
      const ia = BLENDSHAPE_INDEX[a as keyof typeof BLENDSHAPE_INDEX];
      const ib = BLENDSHAPE_INDEX[b as keyof typeof BLENDSHAPE_INDEX];
      if ((weights[ia] as number) > 0 && (weights[ib] as number) > 0)
        weights[random() < 0.5 ? ia : ib] = 0;
    }
    const pose: FacePose = {
      pitch: (random() - 0.5) * 0.5,
      yaw: (random() - 0.5) * 0.7,
      roll: (random() - 0.5) * 0.4,
      pxPerCm: 15 + random() * 25,
      txPx: 200 + random() * 100,
      tyPx: 200 + random() * 100,
    };
    const landmarks = poseVertices(model, model.neutral, weights, pose);
    for (let i = 0; i < 468; i++) {
      landmarks[i * 3] = (landmarks[i * 3] as number) + options.noisePx * gaussian(random);
      landmarks[i * 3 + 1] = (landmarks[i * 3 + 1] as number) + options.noisePx * gaussian(random);
    }
    const fit = fitter.fit(landmarks, { regularization: options.regularization });
    for (let k = 0; k < 52; k++)
      (errors[k] as number[]).push(Math.abs((fit.weights[k] as number) - (weights[k] as number)));
    maxAngleError = Math.max(
      maxAngleError,
      Math.abs(fit.pose.pitch - pose.pitch),
      Math.abs(fit.pose.yaw - pose.yaw),
      Math.abs(fit.pose.roll - pose.roll),
    );
  }
  const all = errors.flat();
  const meanOf = (names: string[]) => {
    const picked = names.flatMap((n) => errors[ARKIT_BLENDSHAPES.indexOf(n as never)] ?? []);
    return picked.reduce((s, e) => s + e, 0) / picked.length;
  };
  return {
    meanAbsError: all.reduce((s, e) => s + e, 0) / all.length,
    maxAbsError: Object.fromEntries(
      ARKIT_BLENDSHAPES.map((n, k) => [n, Math.max(...(errors[k] as number[]))]),
    ),
    meanAbsErrorOf: meanOf,
    maxAngleError,
  };
}
