import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parityImages } from '../../scripts/face/human-reference.ts';
import {
  type BodyParityItem,
  bodyParity,
  ourBodies,
} from '../../scripts/face/movenet-reference.ts';
import { BodyDetector } from '../../src/face/body.ts';
import { squarePadding } from '../../src/face/movenet.ts';
import { fixture } from '../helpers/media.ts';

describe('body keypoints on onnxruntime (models/movenet) vs Human (tfjs-wasm)', () => {
  it("gives Human's keypoints and scores on the parity images (within a pixel)", async () => {
    const reference = JSON.parse(await readFile(fixture('face/human-body.json'), 'utf8')) as {
      items: BodyParityItem[];
    };
    const sources: [string, number | undefined][] = [];
    for await (const { source, frameIndex } of parityImages()) sources.push([source, frameIndex]);
    expect(sources).toEqual(reference.items.map((i) => [i.source, i.frameIndex]));
    // the set includes non-square frames (padded) and photos of different sizes
    expect(reference.items.some((i) => squarePadding(i.width, i.height).padY > 0)).toBe(true);
    const parity = bodyParity(reference.items, await ourBodies());
    expect(parity.compared).toBeGreaterThan(350);
    expect(parity.unmatched).toBe(0);
    expect(parity.maxPx).toBeLessThanOrEqual(1);
    expect(parity.maxScoreDiff).toBeLessThanOrEqual(0.01);
  }, 120_000);

  it('holds a keypoint that moved less than 0.5 % of the frame, per detector until reset', async () => {
    const detector = await BodyDetector.load();
    try {
      const frames: { width: number; height: number; data: Uint8Array }[] = [];
      for await (const { image } of parityImages()) if (image.width === 256) frames.push(image);
      const [a] = frames as [(typeof frames)[0]];
      const first = await detector.detect(a);
      // the same image one pixel to the right: every keypoint moves ≤ ~1 px of 256 (< 0.5 %)
      const shifted = new Uint8Array(a.data.length);
      for (let y = 0; y < a.height; y++) {
        const row = y * a.width * 3;
        shifted.set(a.data.subarray(row, row + (a.width - 1) * 3), row + 3);
      }
      const held = await detector.detect({ ...a, data: shifted });
      detector.reset();
      const fresh = await detector.detect({ ...a, data: shifted });
      const at = (b: typeof first, name: string) => b?.keypoints.find((k) => k.name === name);
      // keypoints that moved, but by less than 0.5 % of 256 px, on a fresh detector…
      const moved = (first?.keypoints ?? []).filter((k) => {
        const f = at(fresh, k.name);
        const dx = Math.abs((f?.x ?? Infinity) - k.x);
        const dy = Math.abs((f?.y ?? Infinity) - k.y);
        return (dx > 0 || dy > 0) && dx < 0.005 * 256 && dy < 0.005 * 256;
      });
      expect(moved.length).toBeGreaterThan(0);
      // …are held where they were by the detector that saw the first frame
      for (const k of moved) expect(at(held, k.name)).toEqual(k);
    } finally {
      await detector.close();
    }
  }, 60_000);

  it('a missing or corrupt model is FACE_MODEL_INVALID', async () => {
    await expect(BodyDetector.load({ modelDir: fixture('face') })).rejects.toMatchObject({
      code: 'FACE_MODEL_INVALID',
    });
  });
});
