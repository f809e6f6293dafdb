import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutralFrame, writeControlsFile } from '../../src/controls/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { facecast } from '../helpers/cli.ts';
import { fixture, tempDir } from '../helpers/media.ts';

/**
 * Full-body and half-body photos rendered whole: `facecast avatar create --framing whole`
 * stores the whole photo as the output framing, so `render-controls` shows the arms and
 * everything below the face instead of the square talking-head crop.
 */
const PHOTO = fixture('heldout/photos/tango_female_halfbody.jpg');
const SIZE = 256;

async function firstFrame(
  path: string,
): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  for await (const f of await openVideoFrames(path, { fps: 25 }))
    return { width: f.width, height: f.height, rgb: Uint8Array.from(f.rgb) };
  throw new Error(`${path}: no frame`);
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-framing-'));
  const frames = Array.from({ length: 10 }, () => neutralFrame());
  await writeControlsFile(join(dir, 'still.json'), {
    format: 'facecast.controls',
    version: 1,
    fps: 25,
    frames,
  });
}, 60_000);
afterAll(() => cleanup());

async function renderWith(framing: string | undefined): Promise<string> {
  const avatar = join(dir, `avatar-${framing ?? 'default'}`);
  const created = await facecast([
    'avatar',
    'create',
    PHOTO,
    '--out',
    avatar,
    ...(framing ? ['--framing', framing] : []),
  ]);
  expect(created.stderr).toBe('');
  const out = join(dir, `${framing ?? 'default'}.mp4`);
  const rendered = await facecast([
    'render-controls',
    '--avatar',
    avatar,
    '--controls',
    join(dir, 'still.json'),
    '--out',
    out,
    '--size',
    `${SIZE}`,
    '--generator',
    'off',
  ]);
  expect(rendered.code).toBe(0);
  return out;
}

describe('facecast avatar create --framing', { timeout: 300_000 }, () => {
  it('whole: renders the whole photo (its aspect, its lower part), head: a square crop', async () => {
    const meta = await sharp(await readFile(PHOTO)).metadata();
    const photo = { width: meta.width ?? 0, height: meta.height ?? 0 };
    const whole = await firstFrame(await renderWith('whole'));
    expect(Math.max(whole.width, whole.height)).toBe(SIZE);
    expect(whole.width / whole.height).toBeCloseTo(photo.width / photo.height, 1);
    // The bottom fifth of the render is the bottom fifth of the photo (far from the face,
    // so the still Controls leave it as the photo has it).
    const expected = await sharp(await readFile(PHOTO))
      .resize(whole.width, whole.height, { fit: 'fill' })
      .removeAlpha()
      .raw()
      .toBuffer();
    let diff = 0;
    let n = 0;
    for (let y = Math.floor(whole.height * 0.8); y < whole.height; y++)
      for (let x = 0; x < whole.width * 3; x++) {
        const p = y * whole.width * 3 + x;
        diff += Math.abs((whole.rgb[p] as number) - (expected[p] as number));
        n++;
      }
    expect(diff / n).toBeLessThan(8);
    const head = await firstFrame(await renderWith(undefined));
    expect(head.width).toBe(head.height);
  });

  it('refuses an unknown framing with exit code 2 and says which values it takes', async () => {
    const { code, stderr } = await facecast([
      'avatar',
      'create',
      PHOTO,
      '--out',
      join(dir, 'bad'),
      '--framing',
      'chest',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('--framing must be head or whole');
  });
});
