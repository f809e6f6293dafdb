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
    const bank = await MouthBank.build(samples, { blend: 1 });
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

  it('blends the queried entry with the closest others, far ones weighing little', async () => {
    // The real interior is dark; the closest shape is a lone bright one (its teeth showed),
    // three nearly as close are dark, and one far wider mouth is blue.
    const entry = (gap: number, inside: number[], frame: number) => {
      const l = lips(gap);
      return {
        image: { width: W, height: H, data: picture(l, [150, 60, 60], inside) },
        lips: l,
        frame,
      };
    };
    const entries = [
      entry(16, [240, 240, 230], 0),
      entry(15, [40, 30, 30], 1),
      entry(17, [40, 30, 30], 2),
      entry(15.5, [40, 30, 30], 3),
      entry(40, [0, 0, 255], 4),
    ];
    const target = lips(16);
    const centre = async (blend: number) => {
      const bank = await MouthBank.build(entries, { blend });
      const data = picture(target, [150, 60, 60], [0, 255, 0]);
      const view = { width: W, height: H, data };
      const index = bank.query(target, -1, bank.lipColourAt(view, target));
      expect(index).toBe(0);
      bank.paint(view, target, index);
      return Array.from(data.subarray((60 * W + 80) * 3, (60 * W + 80) * 3 + 3));
    };
    const alone = await centre(1);
    expect(alone[0]).toBeGreaterThan(220); // one entry: the bright teeth, 200 levels off
    const blended = await centre(8);
    expect(blended[1]).toBeLessThan(160); // the green placeholder is gone
    expect(blended[0]).toBeGreaterThan(80); // the queried entry counts most (≈ 90)…
    expect(blended[0]).toBeLessThan(130); // …but the three dark ones together outweigh it
    // The far blue mouth weighs little: blue exceeds green by a few levels (27 at equal weights).
    expect((blended[2] as number) - (blended[1] as number)).toBeLessThan(8);
    expect(Math.abs((blended[0] as number) - 40)).toBeLessThan(Math.abs((alone[0] as number) - 40));
  });

  it('blends by default; a bank loaded with blend 1 paints the queried entry alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bank-'));
    try {
      await (await MouthBank.build(samples)).save(dir);
      const target = lips(20, 6);
      const paintWith = async (bank: MouthBank) => {
        const data = picture(target, [150, 60, 60], [0, 0, 255]);
        bank.paint({ width: W, height: H, data }, target, 1);
        return data[(60 * W + 86) * 3] as number;
      };
      const single = await paintWith(await MouthBank.load(dir, { blend: 1 }));
      const blended = await paintWith(await MouthBank.load(dir));
      expect(single).toBeLessThan(70); // entry 1's dark interior
      expect(blended).toBeGreaterThan(single + 20); // entry 0's white teeth mixed in
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('withPaint: the same entries painting as a bank loaded with those options', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bank-'));
    try {
      await (await MouthBank.build(samples)).save(dir);
      const target = lips(20, 6);
      const paintWith = (bank: MouthBank) => {
        const data = picture(target, [150, 60, 60], [0, 0, 255]);
        bank.paint({ width: W, height: H, data }, target, 1);
        return data;
      };
      const loaded = await MouthBank.load(dir);
      const single = paintWith(await MouthBank.load(dir, { blend: 1, feather: 0 }));
      const switched = loaded.withPaint({ blend: 1, feather: 0 });
      expect(switched.frames).toEqual(loaded.frames);
      expect(paintWith(switched)).toEqual(single);
      expect(paintWith(loaded)).not.toEqual(single); // the original keeps its own options
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('softens the edge of the painted region towards the pixels round it, two rings deep', async () => {
    const target = lips(20);
    const lip = [150, 60, 60];
    // The region: the inner-lip opening as the picture draws it (the renderer's label).
    const labels = Uint8Array.from(
      picture(target, [0, 0, 0], [1, 1, 1]).filter((_, i) => i % 3 === 0),
    );
    const paintWith = async (feather: number) => {
      const bank = await MouthBank.build(samples, { blend: 1, feather });
      const data = picture(target, lip, [0, 0, 255]);
      bank.paint({ width: W, height: H, data }, target, 1, { labels, value: 1 });
      return (x: number, y: number) => data[(y * W + x) * 3] as number;
    };
    const sharp = await paintWith(0);
    const soft = await paintWith(2);
    let top = 0;
    while (labels[top * W + 80] !== 1) top++;
    // Ring 1 keeps a third of the painted red, ring 2 two thirds; the middle is untouched.
    expect(soft(80, top)).toBeGreaterThan(sharp(80, top) + 30);
    expect(soft(80, top)).toBeLessThan(lip[0] as number);
    expect(soft(80, top + 1)).toBeGreaterThan(sharp(80, top + 1) + 5);
    expect(soft(80, top + 1)).toBeLessThan(soft(80, top));
    expect(soft(80, 60)).toBe(sharp(80, 60));
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
