import { beforeAll, describe, expect, it } from 'vitest';
import { type FaceModel, loadFaceModel } from '../../src/face/index.ts';
import {
  createRgbImage,
  loadAvatarReference,
  PART_LABELS,
  RenderError,
  Renderer,
  type RenderReference,
  resizeRgb,
} from '../../src/render/index.ts';
import { AVATAR_DIR, countLabel, frameWith, psnr, referenceFrame } from './helpers.ts';

let model: FaceModel;
let reference: RenderReference;
let renderer: Renderer;
const SIZE = 256;

beforeAll(async () => {
  model = await loadFaceModel();
  reference = await loadAvatarReference(AVATAR_DIR);
  renderer = Renderer.create(model, reference, { size: SIZE });
});

/** The reference crop at output size: what an identity warp must reproduce. */
function referenceAtOutputSize(r: Renderer, ref: RenderReference): Uint8Array {
  const crop = ref.crop ?? { x: 0, y: 0, width: ref.image.width, height: ref.image.height };
  return resizeRgb(ref.image, createRgbImage(r.width, r.height), {
    x: Math.round(crop.x),
    y: Math.round(crop.y),
    width: Math.round(crop.width),
    height: Math.round(crop.height),
  }).data;
}

const FACE_LABELS: number[] = [
  PART_LABELS.skin,
  PART_LABELS.lips,
  PART_LABELS.brows,
  PART_LABELS.eyes,
];

describe('Renderer: geometry follows the Controls', () => {
  it('output size comes from the crop (longer side = size, even sides)', () => {
    expect(renderer.width).toBe(SIZE);
    expect(renderer.height).toBe(SIZE);
  });

  it('jawOpen 0 → 1 grows the mouth-interior area monotonically', () => {
    const areas: number[] = [];
    for (let k = 0; k <= 10; k++) {
      const { maps } = renderer.render(frameWith((f) => (f.blendshapes.jawOpen = k / 10)));
      areas.push(countLabel(maps.labels, PART_LABELS.mouthInterior));
    }
    for (let k = 1; k < areas.length; k++)
      expect(areas[k], `jawOpen ${k / 10}`).toBeGreaterThanOrEqual(areas[k - 1] as number);
    // Fully open: at 256 px this face's mouth is ~30 px wide and opens ~15 px.
    expect(areas[10]).toBeGreaterThan(250);
    expect(areas[10]).toBeGreaterThan(3 * (areas[0] as number) + 100);
  });

  it('a blink closes the eye region (each eye separately)', () => {
    const open = renderer.render(frameWith());
    const centreX = columnCentre(open.maps.labels, PART_LABELS.eyes);
    // The subject's left eye is on the image's right in a frontal photo.
    const onImageRight = (p: number) => p % SIZE > centreX;
    const onImageLeft = (p: number) => p % SIZE < centreX;
    const leftOpen = countLabel(open.maps.labels, PART_LABELS.eyes, onImageRight);
    const rightOpen = countLabel(open.maps.labels, PART_LABELS.eyes, onImageLeft);
    expect(leftOpen).toBeGreaterThan(30);
    expect(rightOpen).toBeGreaterThan(30);

    const blinkLeft = renderer.render(frameWith((f) => (f.blendshapes.eyeBlinkLeft = 1)));
    expect(countLabel(blinkLeft.maps.labels, PART_LABELS.eyes, onImageRight)).toBeLessThan(
      0.1 * leftOpen,
    );
    expect(countLabel(blinkLeft.maps.labels, PART_LABELS.eyes, onImageLeft)).toBeGreaterThan(
      0.8 * rightOpen,
    );
    const half = renderer.render(
      frameWith((f) => {
        f.blendshapes.eyeBlinkLeft = 0.5;
        f.blendshapes.eyeBlinkRight = 0.5;
      }),
    );
    const halfCount = countLabel(half.maps.labels, PART_LABELS.eyes);
    expect(halfCount).toBeLessThan(0.8 * (leftOpen + rightOpen));
    expect(halfCount).toBeGreaterThan(0.1 * (leftOpen + rightOpen));
  });

  it("yaw moves the nose tip towards the subject's left (image right); pitch moves it down", () => {
    const tip = model.sets.noseBridge[model.sets.noseBridge.length - 1] as number;
    const target = nocsOf(tip);
    const at = (edit: Parameters<typeof frameWith>[0]) =>
      pixelNearest(renderer.render(frameWith(edit)).maps.coords, target);
    const rest = at(() => {});
    const left = at((f) => (f.head.yaw = 0.25));
    const right = at((f) => (f.head.yaw = -0.25));
    const down = at((f) => (f.head.pitch = 0.25));
    expect(left.x - rest.x).toBeGreaterThan(4);
    expect(right.x - rest.x).toBeLessThan(-4);
    expect(down.y - rest.y).toBeGreaterThan(4);
  });

  it('gaze Controls move the iris inside the eye opening', () => {
    const darkCentroidX = (yaw: number) => {
      const { maps } = renderer.render(
        frameWith((f) => {
          f.gaze.leftYaw = yaw;
          f.gaze.rightYaw = yaw;
        }),
      );
      // Centroid of darkness (iris and pupil) inside the openings.
      let sum = 0;
      let n = 0;
      for (let p = 0; p < maps.labels.length; p++) {
        if (maps.labels[p] !== PART_LABELS.eyes) continue;
        const luma = ((maps.warped[p * 3] as number) + (maps.warped[p * 3 + 1] as number)) / 2;
        const w = Math.max(0, 150 - luma) ** 2;
        sum += w * (p % SIZE);
        n += w;
      }
      return sum / Math.max(1, n);
    };
    expect(darkCentroidX(0.35) - darkCentroidX(0)).toBeGreaterThan(0.5);
    expect(darkCentroidX(-0.35) - darkCentroidX(0)).toBeLessThan(-0.5);
  });
});

describe('Renderer: the reference is reproduced and the background stays still', () => {
  it('the reference frame (its own weights, head 0) reproduces the photo inside the face', () => {
    const expected = referenceAtOutputSize(renderer, reference);
    const { composite, maps } = renderer.render(referenceFrame(reference));
    const inFace = (p: number) => FACE_LABELS.includes(maps.labels[p] as number);
    expect(countLabel(maps.labels, PART_LABELS.skin)).toBeGreaterThan(0.1 * SIZE * SIZE);
    // Bound stated in docs/stages/render.md: ≥ 45 dB inside the face; in practice
    // the warp is the identity and the PSNR is infinite.
    expect(psnr(maps.warped, expected, inFace)).toBeGreaterThanOrEqual(45);
    expect(psnr(composite.data, expected, inFace)).toBeGreaterThanOrEqual(45);
    // The whole frame too: the mouth fill keeps the reference's own interior at rest.
    expect(psnr(composite.data, expected)).toBeGreaterThanOrEqual(45);
  });

  it('all weights 0 is the neutral face: it differs from a photo with an expression', () => {
    const expected = referenceAtOutputSize(renderer, reference);
    const { maps } = renderer.render(frameWith());
    const inFace = (p: number) => FACE_LABELS.includes(maps.labels[p] as number);
    const hasExpression = Array.from(reference.weights).some((w) => w > 0.05);
    if (hasExpression) expect(psnr(maps.warped, expected, inFace)).toBeLessThan(45);
    // …but far from the mouth and eyes (the forehead) it is still the photo.
    expect(psnr(maps.warped, expected, (p) => Math.floor(p / SIZE) < 0.12 * SIZE)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('pixels outside the moving region are the reference, unchanged, whatever the head does', () => {
    const expected = referenceAtOutputSize(renderer, reference);
    const corners = (p: number) => {
      const x = p % SIZE;
      const y = Math.floor(p / SIZE);
      return (x < 12 || x >= SIZE - 12) && (y < 12 || y >= SIZE - 12);
    };
    for (const edit of [
      (f: ReturnType<typeof frameWith>) => (f.head.yaw = 0.3),
      (f: ReturnType<typeof frameWith>) => {
        f.head.roll = 0.2;
        f.blendshapes.jawOpen = 1;
      },
    ]) {
      const { maps, composite } = renderer.render(frameWith(edit));
      expect(psnr(maps.warped, expected, corners)).toBe(Number.POSITIVE_INFINITY);
      expect(psnr(composite.data, expected, corners)).toBe(Number.POSITIVE_INFINITY);
    }
  });

  it('the warp has no tear at the mesh border: a ramp image warps without jumps', () => {
    // Reference image = a smooth ramp, so the warped colours are the source coordinates.
    // No person matte: this checks the warp field itself (the matte holds the background,
    // which is not a warp of the ramp; test/render/matte.test.ts covers it).
    const { width, height } = reference.image;
    const ramp = createRgbImage(width, height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        ramp.data[o] = (x * 255) / width;
        ramp.data[o + 1] = (y * 255) / height;
        ramp.data[o + 2] = 128;
      }
    const r = Renderer.create(
      model,
      { ...reference, image: ramp, person: undefined },
      { size: SIZE },
    );
    const { maps } = r.render(
      frameWith((f) => {
        f.blendshapes.jawOpen = 0.7;
        f.head.yaw = 0.08;
        f.head.roll = 0.1;
      }),
    );
    let worst = 0;
    for (let y = 0; y < SIZE - 1; y++)
      for (let x = 0; x < SIZE - 1; x++) {
        const p = y * SIZE + x;
        if (maps.disocclusion[p] || maps.disocclusion[p + 1] || maps.disocclusion[p + SIZE])
          continue;
        for (let c = 0; c < 2; c++) {
          const v = maps.warped[p * 3 + c] as number;
          worst = Math.max(
            worst,
            Math.abs(v - (maps.warped[(p + 1) * 3 + c] as number)),
            Math.abs(v - (maps.warped[(p + SIZE) * 3 + c] as number)),
          );
        }
      }
    // One pixel of the ramp is ~1 level; stretching in the skirt makes a few. A tear is tens.
    expect(worst).toBeLessThanOrEqual(8);
    r.close();
  });
});

describe('Renderer: references per frame and errors', () => {
  it('switching the reference gives exactly what a fresh renderer gives', () => {
    const shifted: RenderReference = {
      ...reference,
      crop: {
        x: 24,
        y: 16,
        width: reference.image.width - 48,
        height: reference.image.height - 48,
      },
    };
    const frame = frameWith((f) => {
      f.blendshapes.jawOpen = 0.6;
      f.head.yaw = 0.1;
    });
    const r = Renderer.create(model, reference, { size: SIZE });
    r.render(frame);
    r.setReference(shifted);
    const switched = r.render(frame);
    const fresh = Renderer.create(model, shifted, { size: SIZE }).render(frame);
    expect(
      Buffer.compare(Buffer.from(switched.composite.data), Buffer.from(fresh.composite.data)),
    ).toBe(0);
    expect(Buffer.compare(Buffer.from(switched.maps.labels), Buffer.from(fresh.maps.labels))).toBe(
      0,
    );
    r.close();
  });

  it('rejects bad sizes, mismatched references, and use after close', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(RenderError);
        return (error as RenderError).code;
      }
      return 'no error';
    };
    expect(code(() => Renderer.create(model, reference, { size: 128 }))).toBe('RENDER_BAD_OPTIONS');
    expect(code(() => Renderer.create(model, reference, { size: 2048 }))).toBe(
      'RENDER_BAD_OPTIONS',
    );
    const r = Renderer.create(model, reference, { size: SIZE });
    expect(
      code(() => r.setReference({ ...reference, crop: { x: 0, y: 0, width: 300, height: 150 } })),
    ).toBe('RENDER_BAD_REFERENCE');
    expect(code(() => r.setReference({ ...reference, identity: new Float32Array(10) }))).toBe(
      'RENDER_BAD_REFERENCE',
    );
    r.close();
    r.close();
    expect(code(() => r.render(frameWith()))).toBe('RENDER_CLOSED');
  });
});

function nocsOf(vertex: number): [number, number, number] {
  const n = model.neutral;
  const out: number[] = [];
  for (let a = 0; a < 3; a++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n.length / 3; i++) {
      lo = Math.min(lo, n[i * 3 + a] as number);
      hi = Math.max(hi, n[i * 3 + a] as number);
    }
    out.push(((n[vertex * 3 + a] as number) - lo) / (hi - lo));
  }
  return out as [number, number, number];
}

/** The pixel whose face coordinates are nearest `target` (the vertex's image position). */
function pixelNearest(
  coords: Float32Array,
  target: [number, number, number],
): { x: number; y: number } {
  let best = Number.POSITIVE_INFINITY;
  let at = 0;
  for (let p = 0; p < coords.length / 3; p++) {
    const d =
      ((coords[p * 3] as number) - target[0]) ** 2 +
      ((coords[p * 3 + 1] as number) - target[1]) ** 2 +
      ((coords[p * 3 + 2] as number) - target[2]) ** 2;
    if (d < best) {
      best = d;
      at = p;
    }
  }
  return { x: at % SIZE, y: Math.floor(at / SIZE) };
}

function columnCentre(labels: Uint8Array, label: number): number {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < labels.length; p++)
    if (labels[p] === label) {
      sum += p % SIZE;
      n++;
    }
  return sum / n;
}
