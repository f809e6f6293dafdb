import { neutralFrame } from '../../src/controls/index.ts';
import { createRenderer } from '../../src/render/index.ts';
import { type Bench, machineLine, table, timeMedian } from './harness.ts';

const AVATAR = 'test/fixtures/avatars/s42';
const FRAMES = 100;

/**
 * A plain full-frame bilinear remap (float weights, one source position per pixel read from
 * a flow buffer): the least any per-pixel warp must do. The baseline for the ratio.
 */
function bilinearRemap(
  src: Uint8Array,
  flow: Float32Array,
  out: Uint8Array,
  w: number,
  h: number,
): void {
  for (let p = 0; p < w * h; p++) {
    const sx = Math.min(w - 1.001, Math.max(0, flow[p * 2] as number));
    const sy = Math.min(h - 1.001, Math.max(0, flow[p * 2 + 1] as number));
    const x0 = sx | 0;
    const y0 = sy | 0;
    const fx = sx - x0;
    const fy = sy - y0;
    const o = (y0 * w + x0) * 3;
    const s = w * 3;
    for (let c = 0; c < 3; c++) {
      const top = (src[o + c] as number) * (1 - fx) + (src[o + 3 + c] as number) * fx;
      const bottom = (src[o + s + c] as number) * (1 - fx) + (src[o + s + 3 + c] as number) * fx;
      out[p * 3 + c] = top * (1 - fy) + bottom * fy + 0.5;
    }
  }
}

/** Render speed: maps + warp-only composite per 512×512 frame, against a plain bilinear remap. */
export const renderBench: Bench = {
  id: 'render',
  async run() {
    const renderer = await createRenderer(AVATAR, { size: 512 });
    const { width: w, height: h } = renderer;
    // Talking-like motion: jaw, lips, a blink every 40 frames, small head turns.
    const frames = Array.from({ length: FRAMES }, (_, i) => {
      const f = neutralFrame();
      f.blendshapes.jawOpen = 0.35 + 0.3 * Math.sin(i * 0.9);
      f.blendshapes.mouthFunnel = 0.2 + 0.2 * Math.sin(i * 0.37);
      f.blendshapes.mouthSmileLeft = 0.2;
      f.blendshapes.mouthSmileRight = 0.2;
      f.blendshapes.eyeBlinkLeft = i % 40 < 3 ? 1 : 0;
      f.blendshapes.eyeBlinkRight = i % 40 < 3 ? 1 : 0;
      f.head.yaw = 0.12 * Math.sin(i * 0.11);
      f.head.pitch = 0.05 * Math.sin(i * 0.07);
      f.head.roll = 0.04 * Math.sin(i * 0.05);
      return f;
    });
    const renderMs = await timeMedian(
      () => {
        for (const f of frames) renderer.render(f);
      },
      7,
      2,
    );
    const reference = renderer.render(neutralFrame()).maps.warped.slice();
    const flow = new Float32Array(w * h * 2);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        flow[(y * w + x) * 2] = x + 0.3 + 2 * Math.sin(y * 0.02);
        flow[(y * w + x) * 2 + 1] = y + 0.6;
      }
    const out = new Uint8Array(w * h * 3);
    const remapMs = await timeMedian(
      () => {
        for (let i = 0; i < FRAMES; i++) bilinearRemap(reference, flow, out, w, h);
      },
      7,
      2,
    );
    const copyMs = await timeMedian(
      () => {
        for (let i = 0; i < FRAMES; i++) out.set(reference);
      },
      7,
      2,
    );
    renderer.close();
    const row = (name: string, ms: number) => [
      name,
      (ms / FRAMES).toFixed(2),
      ((FRAMES * 1000) / ms).toFixed(0),
      `${(ms / remapMs).toFixed(2)}×`,
    ];
    return {
      id: 'render',
      title: 'Render (maps + warp-only composite, 512×512)',
      body: [
        `Machine: ${machineLine()}. One thread (Node's main thread), ${FRAMES} frames of talking-like Controls (jaw, lips, blinks, head turns) on test/fixtures/avatars/s42; median of 7 runs. The machine is shared: other processes ran at the same time, so compare the rows (measured in the same run), not absolute numbers across runs. Command: \`npm run bench -- render\`.`,
        '',
        table(
          ['what', 'ms / frame', 'frames / s', 'time vs bilinear remap'],
          [
            row('facecast render: warped reference, mask, coords, labels, composite', renderMs),
            row('baseline: plain full-frame bilinear remap (RGB only)', remapMs),
            row('baseline: full-frame copy (memcpy)', copyMs),
          ],
        ),
        '',
        'Target: ≥ 100 frames/s on one core.',
      ].join('\n'),
    };
  },
};
