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

describe('shading a region only (the lower-face reanimator)', () => {
  it('gives the full render inside the region, leaves the rest, and redraws all after', async () => {
    const reference = await loadAvatarReference(AVATAR_DIR);
    const renderer = await createRenderer(reference, { size: 256, steady: false });
    const frame = frameWith((f) => {
      f.blendshapes.jawOpen = 0.5;
    });
    const full = Uint8Array.from(renderer.render(frame).composite.data);
    const { width, height } = renderer;
    // Rows 120–199, columns 60–179: a rectangle over the mouth.
    const region = new Int32Array(height * 2);
    for (let y = 0; y < height; y++) {
      region[y * 2] = y >= 120 && y < 200 ? 60 : 1;
      region[y * 2 + 1] = y >= 120 && y < 200 ? 179 : 0;
    }
    const blank = frameWith(() => {});
    renderer.render(blank);
    const part = renderer.render(frame, { region }).composite.data;
    let inside = 0;
    let staleOutside = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        const same =
          part[o] === full[o] && part[o + 1] === full[o + 1] && part[o + 2] === full[o + 2];
        if (y >= 120 && y < 200 && x >= 60 && x < 180) inside += same ? 0 : 1;
        else staleOutside += same ? 0 : 1;
      }
    }
    expect(inside).toBe(0);
    // The blank frame's closed mouth is still there outside the region (the chin moved).
    expect(staleOutside).toBeGreaterThan(0);
    renderer.render(blank);
    expect(Buffer.from(renderer.render(frame).composite.data).equals(Buffer.from(full))).toBe(true);
    expect(() => renderer.render(frame, { region: new Int32Array(4) })).toThrow(
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
