import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ARKIT_BLENDSHAPES, BLENDSHAPE_COUNT } from '../../src/controls/index.ts';
import {
  LowerFaceReanimator,
  mouthBankPainter,
  type ReanimateSource,
  ReanimatorThread,
  reanimateInPlace,
} from '../../src/dub/index.ts';
import { type FacePose, loadFaceModel } from '../../src/face/index.ts';
import {
  DEFAULT_MOUTH_BANK_DIR,
  GENERIC_MOUTH_BANK_PAINT,
  loadGenericMouthBank,
} from '../../src/mouthbank/index.ts';
import { fixture } from '../helpers/media.ts';

/**
 * Where the frames are re-animated: here (`reanimateInPlace`), on the reanimator thread, or
 * on the thread with each frame planned here (`planOnCaller`).
 */
export type KernelRunner = 'here' | 'thread' | 'thread-planned';

/** How one arm of the kernel run re-animates. */
export interface KernelArm {
  /** Render grid of the crop, px (below the crop's side: the downscaled path). */
  sizePx: number;
  /** Paint the interior from the generic mouth bank. */
  bank: boolean;
}

interface Profile {
  face: { landmarks: number[] };
  fit: { pose: FacePose; blendshapes: Record<string, number>; identity: number[] };
}

/**
 * Re-animated frames of a fixed input: the s42 avatar photo (512²) as "footage" that drifts a
 * few px a frame (image and mesh moved together, so the crop moves), its fitted face, and a
 * mouth that opens, closes and rounds — the same reanimator for every frame (what a video
 * avatar does). Returns each output frame (512 × 512 × 3).
 */
export async function kernelFrames(
  arm: KernelArm,
  count = 10,
  runner: KernelRunner = 'here',
  driftPx = 6,
): Promise<Uint8Array[]> {
  const model = await loadFaceModel();
  const dir = fixture('avatars/s42');
  const profile = JSON.parse(await readFile(`${dir}/profile.json`, 'utf8')) as Profile;
  const { data, info } = await sharp(`${dir}/image.png`)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const image = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const identity = Float32Array.from(profile.fit.identity);
  const weights = Float32Array.from(ARKIT_BLENDSHAPES, (n) => profile.fit.blendshapes[n] ?? 0);
  const painter = arm.bank ? mouthBankPainter(model, await loadGenericMouthBank()) : undefined;
  const reanimator = new LowerFaceReanimator(model, arm.sizePx, painter ? { painter } : {});
  const thread =
    runner === 'here'
      ? undefined
      : await ReanimatorThread.start({
          sizePx: arm.sizePx,
          ...(arm.bank
            ? { mouthBankDir: DEFAULT_MOUTH_BANK_DIR, mouthBankPaint: GENERIC_MOUTH_BANK_PAINT }
            : {}),
          planOnCaller: runner === 'thread-planned',
        });
  const audio = new Float32Array(BLENDSHAPE_COUNT);
  const at = (name: string) =>
    ARKIT_BLENDSHAPES.indexOf(name as (typeof ARKIT_BLENDSHAPES)[number]);
  const frames: Uint8Array[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const dx = Math.round(driftPx * Math.sin(i / 2));
      const dy = Math.round(((i % 4) - 1) * (driftPx / 6));
      const landmarks = new Float32Array(468 * 2);
      for (let v = 0; v < 468; v++) {
        landmarks[v * 2] = (profile.face.landmarks[v * 3] as number) + dx;
        landmarks[v * 2 + 1] = (profile.face.landmarks[v * 3 + 1] as number) + dy;
      }
      const pose = { ...profile.fit.pose };
      pose.txPx += dx;
      pose.tyPx += dy;
      const source: ReanimateSource = {
        rgb: shifted(image, width, height, dx, dy),
        width,
        height,
        landmarks,
        weights,
        pose,
        identity,
      };
      audio.fill(0);
      audio[at('jawOpen')] = 0.45 + 0.4 * Math.sin(i / 1.5);
      audio[at('mouthFunnel')] = i % 3 === 0 ? 0.5 : 0;
      audio[at('mouthSmileLeft')] = 0.2 * (i % 2);
      frames.push(
        thread
          ? (await thread.reanimate(source, audio, 1)).rgb
          : reanimateInPlace(reanimator, source, audio, 1, width, height).rgb,
      );
    }
  } finally {
    reanimator.close();
    await thread?.close();
  }
  return frames;
}

/** The image moved by (dx, dy) px, edges repeated. */
function shifted(rgb: Uint8Array, width: number, height: number, dx: number, dy: number) {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(height - 1, Math.max(0, y - dy));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(width - 1, Math.max(0, x - dx));
      const o = (y * width + x) * 3;
      const s = (sy * width + sx) * 3;
      out[o] = rgb[s] as number;
      out[o + 1] = rgb[s + 1] as number;
      out[o + 2] = rgb[s + 2] as number;
    }
  }
  return out;
}
