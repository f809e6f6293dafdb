import { describe, expect, it } from 'vitest';
import { type ControlsFrame, neutralFrame } from '../../src/controls/index.ts';
import { RenderPool } from '../../src/pipeline/render-pool.ts';
import { createRenderer, TemporalSteadier } from '../../src/render/index.ts';

const AVATAR = new URL('../fixtures/avatars/s42', import.meta.url).pathname;

/** Talking-like motion with a large head move in the middle (forces full redraws). */
function frames(count: number): ControlsFrame[] {
  return Array.from({ length: count }, (_, i) => {
    const f = neutralFrame();
    f.blendshapes.jawOpen = 0.3 + 0.3 * Math.sin(i * 0.9);
    f.blendshapes.eyeBlinkLeft = i % 9 === 0 ? 1 : 0;
    f.blendshapes.eyeBlinkRight = i % 9 === 0 ? 1 : 0;
    f.head.yaw = i >= 10 && i < 14 ? 0.35 : 0.05 * Math.sin(i * 0.3);
    f.head.x = i >= 10 && i < 14 ? 0.5 : 0;
    return f;
  });
}

describe('RenderPool', () => {
  it('renders on worker threads exactly what one sequential Renderer renders, steadied in order', async () => {
    const sequence = frames(24);
    const renderer = await createRenderer(AVATAR, { size: 256, steady: false });
    const steadier = new TemporalSteadier(256, 256);
    const expected = sequence.map((f) => {
      const rgb = Uint8Array.from(renderer.render(f).composite.data);
      steadier.apply(rgb, 256);
      return rgb;
    });
    renderer.close();
    const pool = await RenderPool.create(AVATAR, { sizePx: 256, threads: 2 });
    try {
      expect([pool.width, pool.height]).toEqual([256, 256]);
      const rendered = await Promise.all(sequence.map((f) => pool.render(f)));
      rendered.forEach((frame, i) => {
        expect(frame.rgb.length, `frame ${i}`).toBe(256 * 256 * 3);
        expect(Buffer.compare(frame.rgb, expected[i] as Uint8Array), `frame ${i}`).toBe(0);
      });
    } finally {
      await pool.close();
      await pool.close();
    }
    await expect(pool.render(sequence[0] as ControlsFrame)).rejects.toMatchObject({
      code: 'RENDER_CLOSED',
    });
  });

  it('reports a worker start-up failure with the renderer’s own error code', async () => {
    await expect(
      RenderPool.create('/nonexistent/avatar', { sizePx: 256, threads: 1 }),
    ).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
  });
});
