import { describe, expect, it } from 'vitest';
import { type ControlsFrame, neutralFrame } from '../../src/controls/index.ts';
import { RenderWorker } from '../../src/live/render-worker.ts';
import { createRenderer, RenderThread } from '../../src/render/index.ts';

const AVATAR = new URL('../fixtures/avatars/s42', import.meta.url).pathname;

function talking(count: number): ControlsFrame[] {
  return Array.from({ length: count }, (_, i) => {
    const f = neutralFrame();
    f.blendshapes.jawOpen = 0.3 + 0.3 * Math.sin(i * 0.9);
    f.head.yaw = 0.05 * Math.sin(i * 0.3);
    return f;
  });
}

describe('RenderThread (the one worker-thread render path)', () => {
  it('with steadiness renders what one sequential Renderer renders, into reused buffers', async () => {
    const sequence = talking(10);
    const renderer = await createRenderer(AVATAR, { size: 256 });
    const expected = sequence.map((f) => Uint8Array.from(renderer.render(f).composite.data));
    renderer.close();
    const thread = await RenderThread.start(AVATAR, { sizePx: 256, steady: true });
    try {
      let reuse: Uint8Array | undefined;
      for (const [i, f] of sequence.entries()) {
        const { rgb, renderMs } = await thread.render(f, reuse);
        expect(Buffer.compare(rgb, expected[i]!), `frame ${i}`).toBe(0);
        expect(renderMs).toBeGreaterThan(0);
        if (reuse) expect(reuse.byteLength, 'the previous buffer went back').toBe(0);
        reuse = rgb;
      }
      expect(thread.toJSON().renders).toBe(10);
    } finally {
      await thread.close();
      await thread.close();
    }
    await expect(thread.render(sequence[0]!)).rejects.toMatchObject({ code: 'RENDER_CLOSED' });
  });

  it('keeps several frames in flight in order, and rejects pending ones on close', async () => {
    const thread = await RenderThread.start(AVATAR, { sizePx: 256, steady: false });
    const done: number[] = [];
    const renders = talking(6).map((f, i) => thread.render(f).then(() => done.push(i)));
    await Promise.all(renders.slice(0, 4));
    expect(done.slice(0, 4)).toEqual([0, 1, 2, 3]);
    const rest = Promise.allSettled(renders); // frames 4 and 5 may be rejected by the close
    const late = thread.render(neutralFrame());
    const lateError = late.catch((error: unknown) => error);
    await thread.close();
    expect(await lateError).toMatchObject({ code: 'RENDER_CLOSED' });
    await rest;
  });

  it('reports start-up failures with the renderer’s own code', async () => {
    await expect(
      RenderThread.start('/nonexistent/avatar', { sizePx: 256, steady: true }),
    ).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND', kind: 'not-found' });
  });
});

describe('live RenderWorker on RenderThread', () => {
  it('maps a missing avatar to LIVE_AVATAR_NOT_FOUND and a closed renderer to LIVE_SESSION_ENDED', async () => {
    await expect(RenderWorker.start('/nonexistent/avatar', { size: 256 })).rejects.toMatchObject({
      code: 'LIVE_AVATAR_NOT_FOUND',
    });
    const worker = await RenderWorker.start(AVATAR, { size: 256 });
    const frame = await worker.render(neutralFrame());
    expect([frame.width, frame.height, frame.data.length]).toEqual([256, 256, 256 * 256 * 3]);
    const inFlight = worker.render(neutralFrame());
    await expect(worker.render(neutralFrame())).rejects.toMatchObject({
      code: 'LIVE_PIPELINE_FAILED',
    });
    await inFlight;
    await worker.close();
    await expect(worker.render(neutralFrame())).rejects.toMatchObject({
      code: 'LIVE_SESSION_ENDED',
    });
  });
});
