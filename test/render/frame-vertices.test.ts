import { describe, expect, it } from 'vitest';
import { BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import { poseVertices } from '../../src/face/index.ts';
import {
  createRenderer,
  createRgbImage,
  loadAvatarReference,
  resizeRgb,
} from '../../src/render/index.ts';
import { AVATAR_DIR, frameWith } from './helpers.ts';

describe('rendering a mesh given by the caller (dubbing)', () => {
  it("equals the renderer's own mesh when given the same vertices, and moves with them", async () => {
    const reference = await loadAvatarReference(AVATAR_DIR);
    const renderer = await createRenderer(reference, { size: 256 });
    const frame = frameWith((f) => {
      f.blendshapes.jawOpen = 0.4;
    });
    const weights = new Float32Array(52);
    weights[BLENDSHAPE_INDEX.jawOpen] = 0.4;
    const own = Uint8Array.from(renderer.render(frame).composite.data);
    const vertices = poseVertices(renderer.model, reference.identity, weights, reference.pose);
    const given = renderer.render(frame, { vertices }).composite.data;
    expect(Buffer.from(given).equals(Buffer.from(own))).toBe(true);
    // Lowering the chin vertices by hand changes the picture.
    const moved = Float32Array.from(vertices);
    for (const i of renderer.model.sets.faceOval)
      moved[i * 3 + 1] = (moved[i * 3 + 1] as number) + 6;
    expect(
      Buffer.from(renderer.render(frame, { vertices: moved }).composite.data).equals(
        Buffer.from(own),
      ),
    ).toBe(false);
    expect(() => renderer.render(frame, { vertices: new Float32Array(10) })).toThrow(
      expect.objectContaining({ code: 'RENDER_BAD_OPTIONS' }),
    );
    renderer.close();
  });
});

describe('resizeRgb at the same size (a crop copied as it is)', () => {
  it('copies exactly what resampling gives, edges repeated outside the image', () => {
    const src = createRgbImage(37, 29);
    for (let i = 0; i < src.data.length; i++) src.data[i] = (i * 7919) % 256;
    for (const region of [
      { x: 0, y: 0, width: 37, height: 29 },
      { x: -5, y: -3, width: 20, height: 20 },
      { x: 30, y: 20, width: 16, height: 16 },
      { x: -10, y: 10, width: 60, height: 30 },
    ]) {
      const fast = resizeRgb(src, createRgbImage(region.width, region.height), region);
      // A non-integer origin takes the general resampling path; 1e-9 px changes no weight.
      const general = resizeRgb(src, createRgbImage(region.width, region.height), {
        ...region,
        x: region.x + 1e-9,
      });
      expect(Buffer.from(fast.data).equals(Buffer.from(general.data))).toBe(true);
    }
  });
});
