/**
 * Identity of a video avatar's output against its footage, by Human's face description (the
 * `faceres` embedding of @vladmandic/human, on tfjs-wasm; photo mode: a fresh detection per
 * frame) and Human's own similarity (0–1; Human calls ≥ 0.5 a match).
 */
import type { Config, Human } from '@vladmandic/human';
import { createHuman } from '../face/human.ts';
import { HUMAN_FACE_CONFIG } from '../face/human-reference.ts';

/** Human's face models as the parity reference runs them, one face, with its description. */
const DESCRIBE_CONFIG = {
  ...HUMAN_FACE_CONFIG,
  face: {
    ...HUMAN_FACE_CONFIG.face,
    detector: { ...HUMAN_FACE_CONFIG.face.detector, rotation: false, maxDetected: 1 },
    iris: { enabled: false },
    description: { enabled: true, skipFrames: 0, skipTime: 0, minConfidence: 0 },
  },
};

/** Human's face description of RGB frames, and its similarity. */
export class FaceDescriber {
  readonly #human: Human;

  private constructor(human: Human) {
    this.#human = human;
  }

  static async load(): Promise<FaceDescriber> {
    return new FaceDescriber(await createHuman(DESCRIBE_CONFIG as Partial<Config>));
  }

  /** The description of the most confident face, or undefined when none is found. */
  async describe(rgb: Uint8Array, width: number, height: number): Promise<number[] | undefined> {
    const human = this.#human;
    const tensor = human.tf.tensor3d(rgb, [height, width, 3], 'int32');
    try {
      const result = await human.detect(tensor as never);
      const embedding = result.face[0]?.embedding;
      return embedding && embedding.length > 0 ? Array.from(embedding) : undefined;
    } finally {
      tensor.dispose();
    }
  }

  /** Human's similarity of two descriptions, 0–1. */
  similarity(a: number[], b: number[]): number {
    return this.#human.match.similarity(a, b);
  }

  /** Mean similarity over every pair (a_i, b_j); over i < j when `b` is `a`. */
  meanSimilarity(a: number[][], b: number[][]): number {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < a.length; i++) {
      for (let j = a === b ? i + 1 : 0; j < b.length; j++) {
        sum += this.similarity(a[i] as number[], b[j] as number[]);
        n++;
      }
    }
    return n > 0 ? sum / n : Number.NaN;
  }

  /** Disposes Human's face models (they are module-wide: a later load reloads them). */
  close(): void {
    const human = this.#human;
    const models = human.models.models as unknown as Record<
      string,
      { dispose?: () => void } | null
    >;
    for (const model of Object.values(models)) model?.dispose?.();
    human.models.reset();
    (human.env as unknown as { initial: boolean }).initial = true;
  }
}

/** `count` indices spread evenly over [0, length). */
export function spread(length: number, count: number): number[] {
  const n = Math.min(length, count);
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * length) / n));
}
