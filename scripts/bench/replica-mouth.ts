import { join } from 'node:path';
import {
  LowerFaceReanimator,
  mouthBankPainter,
  STATUS_ID,
  TrackStore,
} from '../../src/dub/index.ts';
import { FrameScorer, psnrFromMse, type Region } from '../../src/eval/index.ts';
import type { FaceModel } from '../../src/face/index.ts';
import { lipShape, type MouthBankPaintOptions, opening } from '../../src/mouthbank/index.ts';
import {
  buildReplicaMouthBank,
  Replica,
  TRACK_FILE,
  trackedInnerLips,
} from '../../src/replica/index.ts';

/** Mouth-box scores of one arm over the held-out stretch. */
export interface MouthArm {
  psnr: number;
  ssim: number;
  /**
   * Flicker: PSNR of the frame-to-frame change against the real change, over the mouth box
   * of consecutive open-mouthed frames (higher = the interior changes as the real one does;
   * an entry switching to a different-looking one costs here).
   */
  changePsnr: number;
}

/**
 * Self-reenactment of the mouth interior on the last `heldFrames` frames of a video avatar:
 * the bank is rebuilt from the frames before them only; each held-out frame with an open
 * mouth is re-rendered as its own reference with its own mouth (strength 0: the geometry is
 * the frame's, only the interior is new), once with the renderer's drawn interior and once
 * painted from the bank, and scored against the real frame over the mouth box (the inner
 * lips' bounding box grown by a quarter of the mouth width). The avatar's bank is left
 * rebuilt without the held-out stretch ({@link rebuildMouthBank} restores it). `paint`: how
 * the bank paints (default: the bank's defaults).
 */
export async function mouthBankReenactment(
  dir: string,
  model: FaceModel,
  heldFrames: number,
  paint?: MouthBankPaintOptions,
): Promise<{ frames: number; bankEntries: number; procedural: MouthArm; bank: MouthArm }> {
  const first = await Replica.load(dir);
  const m = first.manifest;
  await first.close();
  const cut = m.footage.storedFrames - heldFrames;
  await rebuildMouthBank(dir, model, (frame) => frame >= cut);
  const replica = await Replica.load(dir);
  const bank = paint ? replica.bank?.withPaint(paint) : replica.bank;
  if (!bank) throw new Error(`${dir}: no mouth bank before the held-out stretch`);
  const { width, height } = m.footage;
  const size = 256;
  const drawn = new LowerFaceReanimator(model, size, { drawInterior: true });
  const painted = new LowerFaceReanimator(model, size, {
    drawInterior: true,
    painter: mouthBankPainter(model, bank),
  });
  const scorer = new FrameScorer(width, height);
  const sums = { drawnMse: 0, drawnSsim: 0, bankMse: 0, bankSsim: 0, n: 0 };
  const change = { drawn: 0, bank: 0, n: 0 };
  let last: { frame: number; real: Uint8Array; a: Uint8Array; b: Uint8Array } | undefined;
  try {
    for (let s = cut; s < m.footage.storedFrames; s++) {
      const face = replica.face(s);
      if (!face) continue;
      const lips = trackedInnerLips(model, face.landmarks);
      if (opening(lipShape(lips)) < 0.04) continue;
      const real = await replica.frames.read(s);
      const region = mouthBox(lips.upper, lips.lower, width, height);
      const source = { rgb: real, width, height, ...face };
      const image = (data: Uint8Array) => ({ width, height, data });
      const a = Uint8Array.from(real);
      drawn.reanimate(source, face.weights, 0, a);
      const b = Uint8Array.from(real);
      painted.reanimate(source, face.weights, 0, b);
      const sa = scorer.score(image(a), image(real), region);
      const sb = scorer.score(image(b), image(real), region);
      sums.drawnMse += sa.mse;
      sums.drawnSsim += sa.ssim;
      sums.bankMse += sb.mse;
      sums.bankSsim += sb.ssim;
      sums.n++;
      if (last && last.frame === s - 1) {
        change.drawn += changeMse(a, last.a, real, last.real, width, region);
        change.bank += changeMse(b, last.b, real, last.real, width, region);
        change.n++;
      }
      last = { frame: s, real, a, b };
    }
  } finally {
    drawn.close();
    painted.close();
    await replica.close();
  }
  const n = Math.max(1, sums.n);
  const pairs = Math.max(1, change.n);
  return {
    frames: sums.n,
    bankEntries: bank.size,
    procedural: {
      psnr: psnrFromMse(sums.drawnMse / n),
      ssim: sums.drawnSsim / n,
      changePsnr: psnrFromMse(change.drawn / pairs),
    },
    bank: {
      psnr: psnrFromMse(sums.bankMse / n),
      ssim: sums.bankSsim / n,
      changePsnr: psnrFromMse(change.bank / pairs),
    },
  };
}

/**
 * Rebuilds a video avatar's mouth bank in place from its stored frames, as `createReplica`
 * builds it (every usable frame may join), or without the frames `exclude` names.
 */
export async function rebuildMouthBank(
  dir: string,
  model: FaceModel,
  exclude?: (frame: number) => boolean,
): Promise<void> {
  const replica = await Replica.load(dir);
  const m = replica.manifest;
  await replica.close();
  const store = await TrackStore.open(join(dir, TRACK_FILE));
  try {
    await buildReplicaMouthBank(dir, {
      model,
      store,
      statuses: Uint8Array.from(m.usable, (u) => (u ? STATUS_ID.dubbed : STATUS_ID['no-face'])),
      width: m.footage.width,
      height: m.footage.height,
      storedFrames: m.footage.storedFrames,
      ...(exclude ? { exclude } : {}),
    });
  } finally {
    await store.close({ keep: true });
  }
}

/** MSE of an output's frame-to-frame change against the real change, over `region`. */
function changeMse(
  out: Uint8Array,
  outBefore: Uint8Array,
  real: Uint8Array,
  realBefore: Uint8Array,
  width: number,
  region: Region,
): number {
  let se = 0;
  for (let y = region.y; y < region.y + region.height; y++) {
    for (let o = (y * width + region.x) * 3, end = o + region.width * 3; o < end; o++) {
      const d =
        (out[o] as number) -
        (outBefore[o] as number) -
        ((real[o] as number) - (realBefore[o] as number));
      se += d * d;
    }
  }
  return se / Math.max(1, region.width * region.height * 3);
}

/** Smallest side of the scored mouth box, px. */
const MIN_BOX = 16;

export function mouthBox(
  upper: Float32Array,
  lower: Float32Array,
  width: number,
  height: number,
): Region {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const c of [upper, lower]) {
    for (let k = 0; k < c.length; k += 2) {
      x0 = Math.min(x0, c[k] as number);
      x1 = Math.max(x1, c[k] as number);
      y0 = Math.min(y0, c[k + 1] as number);
      y1 = Math.max(y1, c[k + 1] as number);
    }
  }
  const grow = 0.25 * (x1 - x0);
  // At least MIN_BOX px a side (SSIM's 11-px windows must fit: a small face's closed-ish
  // mouth box is thinner than that, and SSIM was NaN on the 384-px half-body clip).
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const half = (extent: number) => Math.max(MIN_BOX / 2, extent / 2 + grow);
  const hx = half(x1 - x0);
  const hy = half(y1 - y0);
  const x = Math.max(0, Math.floor(cx - hx));
  const y = Math.max(0, Math.floor(cy - hy));
  return {
    x,
    y,
    width: Math.min(width, Math.ceil(cx + hx)) - x,
    height: Math.min(height, Math.ceil(cy + hy)) - y,
  };
}
