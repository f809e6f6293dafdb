import { describe, expect, it } from 'vitest';
import { BLENDSHAPE_INDEX } from '../../src/controls/index.ts';
import { ControlsComposer, MOTION_OUTPUT_COUNT } from '../../src/motion/index.ts';
import { createRenderer, PART_LABELS } from '../../src/render/index.ts';
import { fixture } from '../helpers/media.ts';

const SECONDS = 60;
const FRAMES = 25 * SECONDS;

/**
 * Raw model rows for `FRAMES` frames, all zero except a model that "winks": its left blink
 * output closes for 4 frames every 3 s while its right one stays at 0.1.
 */
function winkingModelRows(): Float32Array {
  const rows = new Float32Array(FRAMES * MOTION_OUTPUT_COUNT);
  for (let f = 0; f < FRAMES; f++) {
    const o = f * MOTION_OUTPUT_COUNT;
    rows[o + BLENDSHAPE_INDEX.eyeBlinkRight] = 0.1;
    if (f % 75 < 4) rows[o + BLENDSHAPE_INDEX.eyeBlinkLeft] = 0.9;
  }
  return rows;
}

describe('blinks: both eyes together, at a natural rate', () => {
  const frames = new ControlsComposer({ seed: 4 }).compose(winkingModelRows(), FRAMES);

  it('plans every closure on both eyes in the same frame', () => {
    for (const f of frames) expect(f.blendshapes.eyeBlinkLeft).toBe(f.blendshapes.eyeBlinkRight);
  });

  it('idle blinks come 10–30 times a minute (besides the model’s)', () => {
    const idleOnly = new ControlsComposer({ seed: 4 }).compose(
      new Float32Array(FRAMES * MOTION_OUTPUT_COUNT),
      FRAMES,
    );
    let blinks = 0;
    let closed = false;
    for (const f of idleOnly) {
      const shut = f.blendshapes.eyeBlinkLeft > 0.5;
      if (shut && !closed) blinks++;
      closed = shut;
    }
    expect(blinks / (SECONDS / 60)).toBeGreaterThanOrEqual(10);
    expect(blinks / (SECONDS / 60)).toBeLessThanOrEqual(30);
  });

  it('renders no frame with one eye shut and the other open', async () => {
    const renderer = await createRenderer(fixture('avatars/s42'), { size: 256 });
    // Visible eye (sclera/iris) pixels per image half, from the renderer's part labels.
    const eyes = (labels: Uint8Array) => {
      const counts: [number, number] = [0, 0];
      const { width } = renderer;
      for (let p = 0; p < labels.length; p++) {
        const side: 0 | 1 = p % width < width / 2 ? 0 : 1;
        if (labels[p] === PART_LABELS.eyes) counts[side]++;
      }
      return counts;
    };
    const rest = frames.find((f) => f.blendshapes.eyeBlinkLeft < 0.15) as (typeof frames)[0];
    const open = eyes(renderer.render(rest).maps.labels);
    let winks = 0;
    let bothShut = 0;
    for (const frame of frames.slice(0, 25 * 20)) {
      const [a, b] = eyes(renderer.render(frame).maps.labels);
      const shutA = a < 0.2 * open[0];
      const shutB = b < 0.2 * open[1];
      const openA = a > 0.6 * open[0];
      const openB = b > 0.6 * open[1];
      if ((shutA && openB) || (shutB && openA)) winks++;
      if (shutA && shutB) bothShut++;
    }
    renderer.close();
    expect(open[0]).toBeGreaterThan(20);
    expect(open[1]).toBeGreaterThan(20);
    expect(bothShut).toBeGreaterThan(5);
    expect(winks).toBe(0);
  }, 120_000);
});
