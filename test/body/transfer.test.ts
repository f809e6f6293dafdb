import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BODY_JOINTS,
  type ControlsSequence,
  readControlsFile,
  writeControlsFile,
} from '../../src/controls/index.ts';
import { openVideoFrames } from '../../src/media/index.ts';
import { loadAvatarReference } from '../../src/render/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';
import { patchShift } from './helpers.ts';

/**
 * Motion transfer (MagicDance-style): the Controls tracked from one person's half-body video
 * (face and body, `facecast track --body-every 1`) drive another person's half-body photo
 * through `facecast render-controls`. The photo's shoulders must move with the tracked body:
 * each shoulder, on the frame where the tracked offset of that shoulder is largest, is found
 * shifted by that offset × the photo's shoulder width against the same render with the body
 * channels zeroed.
 */
const run = promisify(execFile);
const BIN = new URL('../../bin/facecast', import.meta.url).pathname;
const CLIP = fixture('body/halfbody_demo3_sway.mp4'); // a TANGO training speaker whose torso sways
const PHOTO = fixture('heldout/photos/tango_female_halfbody.jpg'); // another person
const SIZE = 384;

async function facecast(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [BIN, ...args]);
  return stdout;
}

async function readFrames(
  path: string,
): Promise<{ width: number; height: number; rgb: Uint8Array }[]> {
  const frames = [];
  for await (const f of await openVideoFrames(path, { fps: 25, maxSize: SIZE }))
    frames.push({ width: f.width, height: f.height, rgb: f.rgb });
  return frames;
}

let dir: string;
let cleanup: () => Promise<void>;
let tracked: ControlsSequence;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('facecast-transfer-'));
  const controls = join(dir, 'tracked.json');
  await facecast(['track', CLIP, '--body-every', '1', '--out', controls]);
  await facecast(['avatar', 'create', PHOTO, '--out', join(dir, 'avatar')]);
  tracked = await readControlsFile(controls);
  // The same performance with the body channels zeroed: the torso held still.
  const still = structuredClone(tracked);
  for (const f of still.frames) {
    f.body.neck = { pitch: 0, yaw: 0, roll: 0 };
    for (const joint of BODY_JOINTS) f.body[joint] = { x: 0, y: 0, z: 0 };
  }
  await writeControlsFile(join(dir, 'still.json'), still);
  for (const name of ['tracked', 'still']) {
    await facecast([
      'render-controls',
      '--avatar',
      join(dir, 'avatar'),
      '--controls',
      join(dir, `${name}.json`),
      '--out',
      join(dir, `${name}.mp4`),
      '--size',
      `${SIZE}`,
      '--generator',
      'off',
    ]);
  }
}, 480_000);
afterAll(() => cleanup());

describe('motion transfer: a video drives a photo (facecast track → render-controls)', () => {
  it("moves the photo's shoulders by the tracked body offsets", async () => {
    const moved = await readFrames(join(dir, 'tracked.mp4'));
    const still = await readFrames(join(dir, 'still.mp4'));
    expect(moved).toHaveLength(tracked.frames.length);
    const first = moved[0] as (typeof moved)[0];
    const size = { width: first.width, height: first.height };
    // The photo's shoulder joints in output px (the avatar's crop is the output framing).
    const reference = await loadAvatarReference(join(dir, 'avatar'));
    const { shoulders, crop } = reference;
    if (!shoulders || !crop) throw new Error('the half-body photo must have detected shoulders');
    const k = size.width / crop.width;
    const out = (p: { x: number; y: number }) => ({ x: (p.x - crop.x) * k, y: (p.y - crop.y) * k });
    const joints = { leftShoulder: out(shoulders.left), rightShoulder: out(shoulders.right) };
    const width = Math.hypot(
      joints.leftShoulder.x - joints.rightShoulder.x,
      joints.leftShoulder.y - joints.rightShoulder.y,
    );
    const mid = {
      x: (joints.leftShoulder.x + joints.rightShoulder.x) / 2,
      y: (joints.leftShoulder.y + joints.rightShoulder.y) / 2,
    };
    // The frame where the shoulders' midpoint is tracked furthest from its rest; there the
    // chest between the shoulders (where the field takes the mean of both) moves by it.
    const midOffset = (f: ControlsSequence['frames'][number]) => ({
      x: (f.body.leftShoulder.x + f.body.rightShoulder.x) / 2,
      y: (f.body.leftShoulder.y + f.body.rightShoulder.y) / 2,
    });
    let best = 0;
    tracked.frames.forEach((f, i) => {
      const o = midOffset(f);
      const b = midOffset(tracked.frames[best] as ControlsSequence['frames'][number]);
      if (Math.hypot(o.x, o.y) > Math.hypot(b.x, b.y)) best = i;
    });
    const offset = midOffset(tracked.frames[best] as ControlsSequence['frames'][number]);
    const expected = { x: offset.x * width, y: offset.y * width };
    expect(Math.hypot(expected.x, expected.y)).toBeGreaterThan(3);
    const { dx, dy } = patchShift(
      still[best]?.rgb as Uint8Array,
      moved[best]?.rgb as Uint8Array,
      mid,
      size,
    );
    expect(Math.abs(dx - expected.x)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(dy - expected.y)).toBeLessThanOrEqual(1.5);
  });
});
