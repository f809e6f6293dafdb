import { describe, expect, it } from 'vitest';
import { FlickerMeter, FrameScorer, lumaOf, psnrFromMse } from '../../src/eval/index.ts';
import { createRgbImage, type RgbImage } from '../../src/render/index.ts';

function noiseImage(w: number, h: number, seed: number): RgbImage {
  const img = createRgbImage(w, h);
  let s = seed;
  for (let i = 0; i < img.data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    img.data[i] = (s >>> 16) & 255;
  }
  return img;
}

/** SSIM by its definition: every fully-inside 11 × 11 Gaussian window, computed directly. */
function bruteSsim(a: Float32Array, b: Float32Array, w: number, h: number): number {
  const g: number[] = [];
  for (let i = 0; i < 11; i++) g.push(Math.exp(-((i - 5) ** 2) / 4.5));
  const sum = g.reduce((x, y) => x + y, 0);
  const k = g.map((v) => v / sum);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  let count = 0;
  for (let y = 5; y < h - 5; y++) {
    for (let x = 5; x < w - 5; x++) {
      let ma = 0;
      let mb = 0;
      let aa = 0;
      let bb = 0;
      let ab = 0;
      for (let dy = -5; dy <= 5; dy++) {
        for (let dx = -5; dx <= 5; dx++) {
          const wt = (k[dy + 5] as number) * (k[dx + 5] as number);
          const va = a[(y + dy) * w + x + dx] as number;
          const vb = b[(y + dy) * w + x + dx] as number;
          ma += wt * va;
          mb += wt * vb;
          aa += wt * va * va;
          bb += wt * vb * vb;
          ab += wt * va * vb;
        }
      }
      const num = (2 * ma * mb + c1) * (2 * (ab - ma * mb) + c2);
      const den = (ma * ma + mb * mb + c1) * (aa - ma * ma + bb - mb * mb + c2);
      total += num / den;
      count++;
    }
  }
  return total / count;
}

describe('FrameScorer', () => {
  it('gives MSE 0 / PSNR ∞ / SSIM 1 for identical frames', () => {
    const a = noiseImage(40, 30, 1);
    const s = new FrameScorer(40, 30).score(a, a);
    expect(s.mse).toBe(0);
    expect(psnrFromMse(s.mse)).toBe(Number.POSITIVE_INFINITY);
    expect(s.ssim).toBeCloseTo(1, 6);
  });

  it('measures MSE over RGB exactly and PSNR from it', () => {
    const a = createRgbImage(10, 10);
    const b = createRgbImage(10, 10);
    b.data.fill(10);
    const s = new FrameScorer(10, 10).score(a, b);
    expect(s.mse).toBe(100);
    expect(psnrFromMse(100)).toBeCloseTo(10 * Math.log10(65025 / 100), 10);
  });

  it('computes SSIM as the direct windowed definition does, whole frame and region', () => {
    const w = 48;
    const h = 40;
    const a = noiseImage(w, h, 3);
    const b = noiseImage(w, h, 3);
    // b = a blurred horizontally a little plus an offset: similar but not equal.
    for (let i = 3; i < b.data.length; i++)
      b.data[i] = (((a.data[i] as number) + (a.data[i - 3] as number)) >> 1) + 5;
    const scorer = new FrameScorer(w, h);
    const s = scorer.score(b, a);
    const la = lumaOf(b, new Float32Array(w * h));
    const lb = lumaOf(a, new Float32Array(w * h));
    const expected = bruteSsim(la, lb, w, h);
    expect(s.ssim).toBeCloseTo(expected, 4);
    expect(s.ssim).toBeLessThan(0.95);
    expect(s.ssim).toBeGreaterThan(0.1);
    // A region: only windows inside it.
    const r = { x: 10, y: 8, width: 24, height: 20 };
    const sub = (l: Float32Array) => {
      const out = new Float32Array(r.width * r.height);
      for (let y = 0; y < r.height; y++)
        for (let x = 0; x < r.width; x++)
          out[y * r.width + x] = l[(y + r.y) * w + x + r.x] as number;
      return out;
    };
    expect(scorer.score(b, a, r).ssim).toBeCloseTo(
      bruteSsim(sub(la), sub(lb), r.width, r.height),
      4,
    );
  });
});

describe('FlickerMeter', () => {
  it('is 0 for an output as still as the real video, and counts changes where the video is still', () => {
    const w = 20;
    const h = 20;
    const real = createRgbImage(w, h);
    real.data.fill(80);
    const still = new FlickerMeter(w, h);
    const flicker = new FlickerMeter(w, h);
    const out = createRgbImage(w, h);
    for (let t = 0; t < 5; t++) {
      still.push(real, real);
      out.data.fill(t % 2 === 0 ? 100 : 104); // the whole output toggles by 4 levels
      flicker.push(out, real);
    }
    expect(still.value).toBe(0);
    expect(flicker.value).toBeCloseTo(4, 4);
    expect(flicker.staticFraction).toBe(1);
  });

  it('ignores pixels where the real video moves', () => {
    const w = 20;
    const h = 20;
    const meter = new FlickerMeter(w, h);
    const a = createRgbImage(w, h);
    for (let t = 0; t < 3; t++) {
      a.data.fill(t * 50); // the real video changes everywhere
      meter.push(a, a);
    }
    expect(Number.isNaN(meter.value)).toBe(true); // no static pixel: nothing to measure
  });
});
