import { type ControlsFrame, neutralFrame, setBlendshapeVector } from '../../src/controls/index.ts';
import type { RenderReference } from '../../src/render/index.ts';
import { fixture } from '../helpers/media.ts';

/** The avatar every render test uses (see test/fixtures/README.md). */
export const AVATAR_DIR = fixture('avatars/s42');

/** A Controls frame: neutral, then `edit` applied. */
export function frameWith(edit: (f: ControlsFrame) => void = () => {}): ControlsFrame {
  const f = neutralFrame();
  edit(f);
  return f;
}

/** The frame that reproduces the reference: its own weights and gaze, head pose 0. */
export function referenceFrame(reference: RenderReference): ControlsFrame {
  return frameWith((f) => {
    setBlendshapeVector(f, reference.weights);
    if (reference.gaze) f.gaze = { ...reference.gaze };
  });
}

export function countLabel(
  labels: Uint8Array,
  label: number,
  where?: (p: number) => boolean,
): number {
  let n = 0;
  for (let p = 0; p < labels.length; p++) if (labels[p] === label && (!where || where(p))) n++;
  return n;
}

/** PSNR (dB) of two RGB buffers over the pixels `where` accepts (all by default). */
export function psnr(a: Uint8Array, b: Uint8Array, where?: (p: number) => boolean): number {
  let se = 0;
  let n = 0;
  for (let p = 0; p < a.length / 3; p++) {
    if (where && !where(p)) continue;
    for (let c = 0; c < 3; c++) se += ((a[p * 3 + c] as number) - (b[p * 3 + c] as number)) ** 2;
    n += 3;
  }
  return se === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255 * n) / se);
}
