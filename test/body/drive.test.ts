import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyError, driveBody } from '../../src/body/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { facecast } from '../helpers/cli.ts';
import { fixture, tempDir } from '../helpers/media.ts';

type Keypoint = { name: string; x: number; y: number; score: number };

/** A driver frame: shoulders 100 px apart around (200, 200), the arms hanging, then `moves`. */
function driverFrame(moves: Partial<Record<string, { x: number; y: number }>> = {}): Keypoint[] {
  const rest: Record<string, { x: number; y: number }> = {
    leftShoulder: { x: 250, y: 200 },
    rightShoulder: { x: 150, y: 200 },
    leftElbow: { x: 260, y: 280 },
    rightElbow: { x: 140, y: 280 },
    leftWrist: { x: 262, y: 350 },
    rightWrist: { x: 138, y: 350 },
  };
  return Object.entries(rest).map(([name, p]) => {
    const m = moves[name] ?? { x: 0, y: 0 };
    return { name, x: p.x + m.x, y: p.y + m.y, score: 0.9 };
  });
}

/** The photo's body: shoulders 200 px apart (twice the driver's), arms hanging. */
const PHOTO = {
  shoulders: { left: { x: 500, y: 400 }, right: { x: 300, y: 400 } },
  arms: {
    leftElbow: { x: 520, y: 560 },
    rightElbow: { x: 280, y: 560 },
    leftWrist: { x: 524, y: 700 },
    rightWrist: { x: 276, y: 700 },
  },
};

describe('driveBody', () => {
  it("driven keypoints follow the driver's motion, scaled by the shoulder widths", () => {
    // The left wrist rises 3 px a frame for 20 frames, then holds.
    const driver = Array.from({ length: 30 }, (_, i) =>
      driverFrame({ leftWrist: { x: 0, y: -3 * Math.min(i, 20) } }),
    );
    const frames = driveBody(driver, PHOTO);
    expect(frames).toHaveLength(30);
    const last = frames[29];
    // 60 px of the driver's 100 px shoulders = 0.6 shoulder widths = 120 px on the photo.
    expect(last?.body.leftWrist.y).toBeCloseTo(-0.6, 2);
    expect(last?.keypoints.leftWrist?.y).toBeCloseTo(700 - 120, 0);
    expect(last?.keypoints.rightWrist?.y).toBeCloseTo(700, 6);
    expect(last?.keypoints.leftShoulder).toEqual(PHOTO.shoulders.left);
    // Monotone: the photo's wrist never goes back down while the driver's rises.
    for (let i = 1; i < 30; i++)
      expect(frames[i]?.body.leftWrist.y).toBeLessThanOrEqual(frames[i - 1]?.body.leftWrist.y ?? 0);
    expect(frames[0]?.body.leftWrist.y).toBe(0);
  });

  it('undoes a left/right swap, drops a one-frame glitch and holds unseen joints', () => {
    const driver = Array.from({ length: 14 }, () => driverFrame()) as (Keypoint[] | undefined)[];
    const swapped = (frame: Keypoint[]) =>
      frame.map((k) => ({
        ...k,
        name: k.name.startsWith('left')
          ? k.name.replace('left', 'right')
          : k.name.replace('right', 'left'),
      }));
    // Frames 4–6: MoveNet swaps the sides (longer than the median filter would drop).
    for (const i of [4, 5, 6]) driver[i] = swapped(driver[i] as Keypoint[]);
    // Frame 9: the right wrist jumps 80 px for one frame; frame 10: nothing detected.
    driver[9] = driverFrame({ rightWrist: { x: 80, y: -80 } });
    driver[10] = undefined;
    const frames = driveBody(driver, PHOTO);
    for (const f of frames) {
      expect(Math.abs(f.body.leftShoulder.x)).toBeLessThan(1e-9);
      expect(Math.abs(f.body.rightWrist.x)).toBeLessThan(1e-9);
      expect(Math.abs(f.body.neck.roll)).toBeLessThan(1e-9);
    }
  });

  it('refuses a driver without shoulders', () => {
    expect(() => driveBody([undefined, []], PHOTO)).toThrow(BodyError);
  });
});

/**
 * Through the CLI: a training speaker's half-body frame as the photo, another training
 * speaker's gesturing clip as the driver. `render-controls --drive` must move the body region
 * against the same face performance with the body still (`facecast track` without the body).
 */
const DRIVER = fixture('body/halfbody_demo1_gesture.mp4');
const SOURCE = fixture('body/halfbody_demo3_sway.mp4');

async function frames(path: string) {
  const out: { width: number; height: number; rgb: Uint8Array }[] = [];
  for await (const f of await openVideoFrames(path, { fps: 25 }))
    out.push({ width: f.width, height: f.height, rgb: Uint8Array.from(f.rgb) });
  return out;
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-drive-'));
  const first = (await frames(SOURCE))[0];
  if (!first) throw new Error('no frame');
  // Twice its size: the 256² clip's eyes are 18 px apart, avatars need 32.
  await sharp(first.rgb, { raw: { width: first.width, height: first.height, channels: 3 } })
    .resize(first.width * 2, first.height * 2)
    .png()
    .toFile(join(dir, 'photo.png'));
  const created = await facecast([
    'avatar',
    'create',
    join(dir, 'photo.png'),
    '--out',
    join(dir, 'avatar'),
    '--framing',
    'whole',
  ]);
  expect(created.code).toBe(0);
}, 120_000);
afterAll(() => cleanup?.());

describe('render-controls --drive', () => {
  it('moves the body region with the driving video; the face as tracked', async () => {
    const common = ['--avatar', join(dir, 'avatar'), '--size', '256', '--generator', 'off'];
    const driven = await facecast([
      'render-controls',
      ...common,
      '--drive',
      DRIVER,
      '--out',
      join(dir, 'driven.mp4'),
    ]);
    expect(driven.stderr).toBe('');
    expect(driven.code).toBe(0);
    const track = await facecast([
      'track',
      DRIVER,
      '--body-every',
      '0',
      '--out',
      join(dir, 'face.json'),
    ]);
    expect(track.code).toBe(0);
    const still = await facecast([
      'render-controls',
      ...common,
      '--controls',
      join(dir, 'face.json'),
      '--out',
      join(dir, 'still.mp4'),
    ]);
    expect(still.code).toBe(0);
    const a = await frames(join(dir, 'driven.mp4'));
    const b = await frames(join(dir, 'still.mp4'));
    expect(a).toHaveLength(b.length);
    // Mean absolute difference over the lower half (the body) and the top fifth (hair, head).
    const diff = (p: Uint8Array, q: Uint8Array, y0: number, y1: number, w: number) => {
      let s = 0;
      for (let i = y0 * w * 3; i < y1 * w * 3; i++)
        s += Math.abs((p[i] as number) - (q[i] as number));
      return s / ((y1 - y0) * w * 3);
    };
    const w = a[0]?.width ?? 0;
    const h = a[0]?.height ?? 0;
    let body = 0;
    let top = 0;
    a.forEach((f, i) => {
      const g = b[i] as (typeof b)[number];
      body = Math.max(body, diff(f.rgb, g.rgb, h >> 1, h, w));
      top = Math.max(top, diff(f.rgb, g.rgb, 0, Math.floor(h / 5), w));
    });
    expect(body).toBeGreaterThan(5);
    expect(body).toBeGreaterThan(2 * top);
  }, 300_000);

  it('bad flags exit 2 with a clear message', async () => {
    const base = ['render-controls', '--avatar', join(dir, 'avatar'), '--out', join(dir, 'x.mp4')];
    const both = await facecast([...base, '--drive', DRIVER, '--controls', join(dir, 'face.json')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --controls .* or --drive/);
    const neither = await facecast(base);
    expect(neither.code).toBe(2);
    const missing = await facecast([...base, '--drive', join(dir, 'nope.mp4')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.mp4/);
  }, 120_000);
});
