import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type KernelArm, type KernelRunner, kernelFrames } from './reanimate-kernel.frames.ts';

/**
 * The re-animation kernel's pictures, pinned: speed work on the reanimator (mask, crop
 * packing, rasteriser, blend) must give byte-identical frames. A change that is meant to
 * alter the pictures updates these hashes, and states its PSNR against the old frames.
 */
const EXPECTED: { arm: KernelArm; sha256: string }[] = [
  // the crop's own size (a video avatar's grid), mouth-bank interior
  {
    arm: { sizePx: 344, bank: true },
    sha256: '0c871695fc258cb8e4b7e5d8e7f26bf3ca9e0ff29797ee7beaedafc916916418',
  },
  // a grid smaller than the crop (rendered downscaled, blended back bilinearly), procedural
  {
    arm: { sizePx: 256, bank: false },
    sha256: '4dfc4e8b6a401d6476bfc830f447bed24adb2a08f6073955f5d5cf8e04a7ed66',
  },
];

describe('LowerFaceReanimator frames of a fixed input', () => {
  for (const { arm, sha256 } of EXPECTED) {
    it(`are byte-identical to the pinned ones (grid ${arm.sizePx}, bank ${arm.bank})`, async () => {
      const frames = await kernelFrames(arm);
      expect(frames).toHaveLength(10);
      // not the footage passed through: consecutive mouths differ
      for (let i = 1; i < frames.length; i++) {
        expect(Buffer.compare(frames[i] as Uint8Array, frames[i - 1] as Uint8Array)).not.toBe(0);
      }
      const hash = createHash('sha256');
      for (const frame of frames) hash.update(frame);
      expect(hash.digest('hex')).toBe(sha256);
    });
    // The reanimator thread gives the same bytes, whole frames on the thread or each frame
    // planned (geometry, crop, mask) on the caller and drawn on the thread.
    for (const runner of ['thread', 'thread-planned'] as KernelRunner[]) {
      it(`on the thread (${runner}) too (grid ${arm.sizePx}, bank ${arm.bank})`, async () => {
        const frames = await kernelFrames(arm, 10, runner);
        const hash = createHash('sha256');
        for (const frame of frames) hash.update(frame);
        expect(hash.digest('hex')).toBe(sha256);
      }, 60_000);
    }
  }

  it('planned on the caller: the same frames as here when the face moves further', async () => {
    const arm = { sizePx: 256, bank: false };
    const here = await kernelFrames(arm, 8, 'here', 48);
    const planned = await kernelFrames(arm, 8, 'thread-planned', 48);
    here.forEach((frame, i) => {
      expect(Buffer.compare(frame, planned[i] as Uint8Array)).toBe(0);
    });
  }, 60_000);
});
