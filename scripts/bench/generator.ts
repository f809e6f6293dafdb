import { loadavg } from 'node:os';
import { neutralFrame } from '../../src/controls/index.ts';
import {
  CropTracker,
  cropTaps,
  framedReference,
  Generator,
  MAP_CHANNELS,
  packSlotMaps,
  packSrGuide,
  pasteResidual,
  type SlotSource,
  SR_FACTOR,
} from '../../src/generator/index.ts';
import { createRenderer, createRgbImage, type Renderer } from '../../src/render/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

const AVATAR = 'test/fixtures/avatars/s42';
const FRAMES = 24;

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** Median wall and process CPU time (all threads, onnxruntime's included) of `fn`, per frame. */
async function perFrame(
  fn: () => Promise<void> | void,
  frames: number,
  repeats = 3,
): Promise<Timing> {
  await fn();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    walls.push((performance.now() - t) / frames);
    const d = process.cpuUsage(c);
    cpus.push((d.user + d.system) / 1000 / frames);
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
  return { wallMs: median(walls), cpuMs: median(cpus) };
}

function talkingFrames(renderer: Renderer): SlotSource[] {
  const reference = framedReference(
    renderer.reference as NonNullable<Renderer['reference']>,
    renderer.width,
    renderer.height,
  );
  return Array.from({ length: FRAMES }, (_, i) => {
    const f = neutralFrame();
    f.blendshapes.jawOpen = 0.35 + 0.3 * Math.sin(i * 0.9);
    f.blendshapes.mouthSmileLeft = 0.2;
    f.blendshapes.mouthSmileRight = 0.2;
    f.head.yaw = 0.05 * Math.sin(i * 0.11);
    const { composite, maps } = renderer.render(f);
    return {
      composite: { ...composite, data: composite.data.slice() },
      maps: {
        ...maps,
        warped: maps.warped.slice(),
        disocclusion: maps.disocclusion.slice(),
        coords: maps.coords.slice(),
        labels: maps.labels.slice(),
      },
      reference,
    };
  });
}

/**
 * Per-frame cost of the generator path at the shipped sizes on this machine, next to the
 * warp-only render measured in the same run: packing the crops, the generator (all sampler
 * steps), the SR model, the paste, and the whole stream (offline windows of 4, live windows
 * of 1) with onnxruntime on 1 and 2 threads.
 */
export const generatorBench: Bench = {
  id: 'generator',
  async run() {
    const renderer = await createRenderer(AVATAR, { size: 512 });
    const frames = talkingFrames(renderer);
    const f0 = neutralFrame();
    const render = await perFrame(() => {
      for (let i = 0; i < FRAMES; i++) {
        f0.blendshapes.jawOpen = (i % 8) / 10;
        renderer.render(f0);
      }
    }, FRAMES);
    const rows: (string | number)[][] = [];
    // × real time: 40 ms (one frame at 25 fps) over this step's wall ms per frame;
    // × render: this step's wall time over the warp-only render's, measured in this run.
    const row = (what: string, t: Timing, note = '') =>
      rows.push([
        what,
        t.cpuMs.toFixed(1),
        t.wallMs.toFixed(1),
        (40 / t.wallMs).toFixed(1),
        (t.wallMs / render.wallMs).toFixed(2),
        note,
      ]);
    row(
      'warp-only render (maps + composite), 512×512',
      render,
      'the baseline: what runs without the generator',
    );

    let config = '';
    for (const threads of [1, 2]) {
      const generator = await Generator.load({ executionProviders: ['cpu'], threads });
      const n = generator.baseSize;
      const m = n * SR_FACTOR;
      config = `generator ${generator.manifest.parameters.toLocaleString('en')} parameters at ${n}×${n}, ${generator.manifest.config.sampler.steps} sampler step(s); SR ×${SR_FACTOR} to ${m}×${m} (${generator.srManifest.parameters.toLocaleString('en')} parameters)`;
      if (threads === 1) {
        // Pieces, one thread.
        const crop = new CropTracker(generator.manifest.config.crop);
        const { box } = crop.update(
          frames[0]?.maps.labels as Uint8Array,
          renderer.width,
          renderer.height,
        );
        const taps = cropTaps(box, n, renderer.width, renderer.height);
        const srTaps = cropTaps(box, m, renderer.width, renderer.height);
        const slot = new Float32Array(MAP_CHANNELS * n * n);
        const guide = new Float32Array(3 * m * m);
        const dis = new Float32Array(m * m);
        const row8 = new Float32Array(m * 8);
        row(
          'pack the crops (20 map channels at base, guide at SR size)',
          await perFrame(() => {
            for (const f of frames) {
              packSlotMaps(f, taps, slot, row8);
              packSrGuide(f, srTaps, guide, dis, row8);
            }
          }, FRAMES),
          'JS, one thread',
        );
        const out = createRgbImage(renderer.width, renderer.height);
        const residual = new Float32Array(3 * m * m).fill(0.05);
        row(
          'paste the SR residual (feathered) into the 512² frame',
          await perFrame(() => {
            for (const f of frames) pasteResidual(f.composite, residual, m, box, out);
          }, FRAMES),
          'JS, one thread',
        );
        for (const t of [4, 1]) {
          const gen = generator.session.createRunner({
            inputs: { slots: { type: 'float32', shape: [1, t + 1, 25, n, n] } },
            outputs: { x0: { type: 'float32', shape: [1, t + 1, 3, n, n] } },
          });
          const sr = generator.srSession.createRunner({
            inputs: {
              composite: { type: 'float32', shape: [t, 3, m, m] },
              disocclusion: { type: 'float32', shape: [t, 1, m, m] },
              base: { type: 'float32', shape: [t, 3, n, n] },
            },
            outputs: { residual: { type: 'float32', shape: [t, 3, m, m] } },
          });
          const windows = FRAMES / t;
          row(
            `generator model, windows of ${t} (+1 context slot)`,
            await perFrame(async () => {
              for (let w = 0; w < windows; w++)
                for (let s = 0; s < generator.manifest.config.sampler.steps; s++) await gen.run();
            }, FRAMES),
            'onnxruntime cpu, 1 thread',
          );
          row(
            `SR model, batches of ${t}`,
            await perFrame(async () => {
              for (let w = 0; w < windows; w++) await sr.run();
            }, FRAMES),
            'onnxruntime cpu, 1 thread',
          );
        }
      }
      for (const t of [4, 1]) {
        const stream = generator.createStream({ framesPerWindow: t, seed: 1 });
        const total = await perFrame(async () => {
          stream.reset();
          for (const f of frames) await stream.push(f);
          await stream.flush();
        }, FRAMES);
        stream.close();
        row(
          `**whole generator path** (pack + models + paste), windows of ${t}${t === 1 ? ' (live)' : ' (offline)'}`,
          total,
          `onnxruntime cpu, ${threads} thread${threads > 1 ? 's' : ''}; with the render: ${(total.wallMs + render.wallMs).toFixed(1)} ms wall/frame = ${(40 / (total.wallMs + render.wallMs)).toFixed(2)}× real time`,
        );
      }
      await generator.close();
    }
    renderer.close();
    return {
      id: 'generator',
      title: 'Generator + super-resolution (per frame, 512×512 output)',
      body: [
        `Machine: ${machineLine()}, load average ${loadavg()[0]?.toFixed(1)} at the start (the machine is shared with other engineers' jobs, so wall times are inflated and noisy). ${config}. ${FRAMES} frames of talking-like Controls on test/fixtures/avatars/s42 rendered at 512×512, median of 3 runs after one warm-up. "CPU" is this process's CPU time per frame over all its threads (onnxruntime's included); "wall" is elapsed time. Command: \`npm run bench -- generator\`.`,
        '',
        table(
          [
            'what',
            'CPU ms / frame',
            'wall ms / frame',
            '× real time (25 fps)',
            '× warp-only render',
            'notes',
          ],
          rows,
        ),
        '',
        'The live target is 40 ms per frame (25 fps) for render + generator together. See docs/stages/generator.md for what `--generator auto` does with these numbers.',
      ].join('\n'),
    };
  },
};
