import { FaceError, type FaceErrorCode } from '../../src/face/index.ts';

export * from '../../src/face/index.ts';

/** True when `error` is a FaceError with the given code. */
export function isFaceError(error: unknown, code: FaceErrorCode): boolean {
  return error instanceof FaceError && error.code === code;
}

/** Deterministic pseudo-random numbers in [0, 1) (Park–Miller). */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

/** Standard normal samples from a uniform source (Box–Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
