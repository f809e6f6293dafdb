import { loadavg } from 'node:os';
import { neutralFrame } from '../../src/controls/index.ts';
import { createRenderer } from '../../src/render/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

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

/**
 * Median over `repeats` runs (after `warmup`) of wall time and of this process's CPU time
 * (user + system; the process runs one JS thread, so this is one core's time even when
 * other processes compete for the cores).
 */
function measure(fn: () => void, repeats = 7, warmup = 2): { wallMs: number; cpuMs: number } {
  for (let i = 0; i < warmup; i++) fn();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    walls.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpus.push((d.user + d.system) / 1000);
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
  return { wallMs: median(walls), cpuMs: median(cpus) };
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
    const render = measure(() => {
      for (const f of frames) renderer.render(f);
    });
    // The same with the torso moving (breathing lift and sway on both shoulders): the torso
    // pass then redraws the rows below the chin every frame.
    const moving = frames.map((f, i) => {
      const m = structuredClone(f);
      const sway = {
        x: 0.015 * Math.sin(i * 0.06),
        y: -0.006 * (0.5 - 0.5 * Math.cos(i * 0.23)),
        z: 0,
      };
      m.body.leftShoulder = sway;
      m.body.rightShoulder = { ...sway };
      return m;
    });
    const torso = measure(() => {
      for (const f of moving) renderer.render(f);
    });
    const reference = renderer.render(neutralFrame()).maps.warped.slice();
    const flow = new Float32Array(w * h * 2);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        flow[(y * w + x) * 2] = x + 0.3 + 2 * Math.sin(y * 0.02);
        flow[(y * w + x) * 2 + 1] = y + 0.6;
      }
    const out = new Uint8Array(w * h * 3);
    const remap = measure(() => {
      for (let i = 0; i < FRAMES; i++) bilinearRemap(reference, flow, out, w, h);
    });
    const copy = measure(() => {
      for (let i = 0; i < FRAMES; i++) out.set(reference);
    });
    const stats = renderer.stats();
    renderer.close();
    const row = (name: string, m: { wallMs: number; cpuMs: number }) => [
      name,
      (m.cpuMs / FRAMES).toFixed(2),
      ((FRAMES * 1000) / m.cpuMs).toFixed(0),
      (m.wallMs / FRAMES).toFixed(2),
      `${(m.cpuMs / remap.cpuMs).toFixed(2)}×`,
    ];
    return {
      id: 'render',
      title: 'Render (maps + warp-only composite, 512×512)',
      body: [
        `Machine: ${machineLine()}, load average ${loadavg()[0]?.toFixed(1)} at the start (the machine is shared). One JS thread; ${FRAMES} frames of talking-like Controls (jaw, lips, blinks, head turns) on test/fixtures/avatars/s42, ${w}×${h}; median of 7 runs. "CPU" is this process's CPU time (one core's work; less affected by other processes than wall time, though they still share caches and, on SMT cores, execution units); "wall" includes time the core was given to others. Command: \`npm run bench -- render\`.`,
        '',
        table(
          ['what', 'CPU ms / frame', 'frames / CPU-s', 'wall ms / frame', 'CPU vs bilinear remap'],
          [
            row('facecast render: warped reference, mask, coords, labels, composite', render),
            row('the same with the torso moving (torso pass every frame)', torso),
            row('baseline: plain full-frame bilinear remap (RGB only)', remap),
            row('baseline: full-frame copy (memcpy)', copy),
          ],
        ),
        '',
        `Target: ≥ 100 frames/s on one core. The renderer redraws only the moving region inside the skirt's static ring (${(stats.dynamicFraction * 100).toFixed(0)} % of this frame; ${stats.fullFrames} of ${stats.frames} frames redrew everything); the baseline remaps every pixel.`,
      ].join('\n'),
    };
  },
};
