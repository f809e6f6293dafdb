import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chooseBankFrames,
  type InnerLips,
  lipShape,
  MouthBank,
  opening,
} from '../../src/mouthbank/index.ts';

const W = 160;
const H = 120;

/** Inner lips centred at (80, 60), 60 px wide, opened `gap` px in the middle (11 points a lip). */
function lips(gap: number, dx = 0): InnerLips {
  const upper = new Float32Array(22);
  const lower = new Float32Array(22);
  for (let k = 0; k < 11; k++) {
    const x = 50 + dx + k * 6;
    const bulge = Math.sin((Math.PI * k) / 10) * (gap / 2);
    upper.set([x, 60 - bulge], k * 2);
    lower.set([x, 60 + bulge], k * 2);
  }
  return { upper, lower };
}

/** A face-coloured picture with lips of colour `lip` round an interior of colour `inside`. */
function picture(l: InnerLips, lip: number[], inside: number[]): Uint8Array {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const k = Math.min(10, Math.max(0, Math.round((x - (l.upper[0] as number)) / 6)));
      const up = l.upper[k * 2 + 1] as number;
      const lo = l.lower[k * 2 + 1] as number;
      const inMouth = x > (l.upper[0] as number) && x < (l.upper[20] as number);
      const colour =
        inMouth && y > up && y < lo
          ? inside
          : inMouth && Math.abs(y - 60) < 20
            ? lip
            : [200, 160, 140];
      data.set(colour, (y * W + x) * 3);
    }
  }
  return data;
}

describe('MouthBank', () => {
  const ajar = lips(8);
  const wide = lips(24);
  const samples = [
    {
      image: { width: W, height: H, data: picture(ajar, [150, 60, 60], [240, 240, 230]) },
      lips: ajar,
      frame: 3,
    },
    {
      image: { width: W, height: H, data: picture(wide, [150, 60, 60], [60, 20, 20]) },
      lips: wide,
      frame: 7,
    },
  ];

  it('indexes by lip shape: scale and position do not matter, the opening does', async () => {
    const bank = await MouthBank.build(samples);
    expect(bank.size).toBe(2);
    expect(bank.frames).toEqual([3, 7]);
    expect(bank.query(lips(22, 5))).toBe(1);
    expect(bank.query(lips(9, -4))).toBe(0);
    // Hysteresis: a shape between the two keeps the previous entry.
    expect(bank.query(lips(16), 0)).toBe(0);
    expect(bank.query(lips(16), 1)).toBe(1);
    expect(opening(lipShape(wide))).toBeGreaterThan(opening(lipShape(ajar)));
  });

  it('paints the real interior between the target lips, colour-matched to its lips', async () => {
    const bank = await MouthBank.build(samples);
    const target = lips(20, 6);
    // Darker lighting: lips at 80 % of the bank's.
    const data = picture(target, [120, 48, 48], [0, 0, 255]);
    bank.paint({ width: W, height: H, data }, target, 1);
    const at = (x: number, y: number) =>
      Array.from(data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));
    const centre = at(86, 60);
    expect(centre[2]).toBeLessThan(40); // the blue placeholder is gone
    expect(centre[0]).toBeGreaterThan(40);
    expect(centre[0]).toBeLessThan(56); // 60 × 0.8 = 48
    expect(at(20, 20)).toEqual([200, 160, 140]); // outside the mouth untouched
  });

  it('prefers the entry lit like the target when the shapes tie (query with the lip colour)', async () => {
    const shape = lips(16);
    const lit = (lip: number[]) => ({
      image: { width: W, height: H, data: picture(shape, lip, [200, 200, 190]) },
      lips: shape,
      frame: lip[0] as number,
    });
    const bank = await MouthBank.build([lit([200, 90, 90]), lit([90, 40, 40])]);
    const dim = picture(lips(15, 4), [95, 42, 42], [0, 0, 0]);
    const colour = bank.lipColourAt({ width: W, height: H, data: dim }, lips(15, 4));
    expect(colour[0]).toBeGreaterThan(80);
    expect(colour[0]).toBeLessThan(110);
    expect(bank.query(lips(15, 4), -1, colour)).toBe(1);
    const bright = picture(lips(15, 4), [205, 92, 92], [0, 0, 0]);
    expect(
      bank.query(
        lips(15, 4),
        -1,
        bank.lipColourAt({ width: W, height: H, data: bright }, lips(15, 4)),
      ),
    ).toBe(0);
  });

  it('saves and loads the same entries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bank-'));
    try {
      const bank = await MouthBank.build(samples);
      await bank.save(dir);
      const loaded = await MouthBank.load(dir);
      expect(loaded.frames).toEqual([3, 7]);
      expect(loaded.query(lips(22))).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('offers only open mouths, spread over their openings', () => {
    const list = Array.from({ length: 400 }, (_, i) => (i % 7 === 0 ? undefined : lips(i % 40)));
    const chosen = chooseBankFrames(list, { maxEntries: 50 });
    expect(chosen.length).toBeLessThanOrEqual(50);
    expect(chosen.length).toBeGreaterThan(30);
    for (const i of chosen) {
      expect(list[i]).toBeDefined();
      expect(opening(lipShape(list[i] as InnerLips))).toBeGreaterThanOrEqual(0.04);
    }
  });
});
