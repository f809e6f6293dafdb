import { describe, expect, it } from 'vitest';
import { loadFaceModel } from '../../src/face/index.ts';
import { loadAvatarReference, Renderer, TemporalSteadier } from '../../src/render/index.ts';
import { AVATAR_DIR, frameWith } from './helpers.ts';

describe('TemporalSteadier', () => {
  it('damps jitter of a level or two, passes real changes at once, and resets', () => {
    const s = new TemporalSteadier(2, 1);
    const frame = (a: number, b: number) => new Uint8Array([a, a, a, b, b, b]);
    const first = frame(100, 100);
    s.apply(first, 2);
    expect([...first]).toEqual([...frame(100, 100)]); // the first frame passes unchanged
    // Pixel 0 jitters ±1; pixel 1 jumps by 60 (the mouth opening).
    const outs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const f = frame(i % 2 ? 99 : 101, 160);
      s.apply(f, 2);
      outs.push(f[0] as number);
      expect(f[3]).toBe(160);
    }
    expect(Math.max(...outs) - Math.min(...outs)).toBeLessThanOrEqual(1);
    // A slow drift still arrives (float state): 10 frames at +1 reach most of it.
    for (let i = 0; i < 10; i++) s.apply(frame(101, 160), 2);
    const settled = frame(101, 160);
    s.apply(settled, 2);
    expect(settled[0]).toBe(101);
    s.reset();
    const after = frame(50, 50);
    s.apply(after, 2);
    expect([...after]).toEqual([...frame(50, 50)]);
  });

  it('the renderer steadies by default; steady: false renders each frame as it is', async () => {
    const model = await loadFaceModel();
    const reference = await loadAvatarReference(AVATAR_DIR);
    const render = (steady: boolean) => {
      const r = Renderer.create(model, reference, { size: 256, steady });
      // Sub-pixel head jitter back and forth: the pixels shimmer by a level or two.
      let change = 0;
      let prev: Uint8Array | undefined;
      for (let i = 0; i < 8; i++) {
        const out = r.render(frameWith((f) => (f.head.yaw = i % 2 ? 0.004 : -0.004))).composite;
        if (prev)
          for (let p = 0; p < prev.length; p++)
            change += Math.abs((out.data[p] as number) - (prev[p] as number));
        prev = out.data.slice();
      }
      return change;
    };
    const plain = render(false);
    expect(plain).toBeGreaterThan(0);
    expect(render(true)).toBeLessThan(plain * 0.6);
  });
});
