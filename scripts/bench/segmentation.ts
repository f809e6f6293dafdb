import { loadavg } from 'node:os';
import { readRgbImage } from '../../src/render/index.ts';
import { PersonSegmenter, SEGMENTATION_INPUT_SIZE } from '../../src/segmentation/index.ts';
import { type Bench, machineLine, table, timeMedian } from './harness.ts';

const IMAGE = 'test/fixtures/avatars/s42/image.png';

/**
 * Person segmentation (models/segmentation): the ONNX model on one 256² frame, and
 * `segment()` on a 512² photo (resize in, model, resize back), against the cost of one
 * 512² RGB → float planes conversion measured in the same run (the least any per-frame
 * model input costs in JS).
 */
export const segmentationBench: Bench = {
  id: 'segmentation',
  async run() {
    const load = loadavg()[0] ?? 0;
    const image = await readRgbImage(IMAGE);
    const n = SEGMENTATION_INPUT_SIZE;
    const planes = new Float32Array(3 * n * n).fill(0.5);
    const rows: (string | number)[][] = [];
    for (const threads of [1, 2]) {
      const segmenter = await PersonSegmenter.load({ threads });
      const modelMs = await timeMedian(() => segmenter.run(planes), 31, 5);
      const segmentMs = await timeMedian(() => segmenter.segment(image), 15, 3);
      rows.push([threads, modelMs.toFixed(2), segmentMs.toFixed(2), (40 / segmentMs).toFixed(1)]);
      await segmenter.close();
    }
    const big = new Float32Array(3 * image.width * image.height);
    const baselineMs = await timeMedian(
      () => {
        const px = image.width * image.height;
        for (let p = 0; p < px; p++)
          for (let c = 0; c < 3; c++) big[c * px + p] = (image.data[p * 3 + c] as number) / 255;
      },
      15,
      3,
    );
    const body = [
      `Machine: ${machineLine()}; load average ${load.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after (shared machine). Model: models/segmentation (MediaPipe selfie segmentation, 256² input). Image: ${IMAGE} (${image.width}×${image.height}). Medians of 31 (model) / 15 (segment) runs after warm-up. Command: \`npm run bench -- segmentation\`.`,
      '',
      table(
        [
          'onnxruntime threads',
          'model, one 256² frame (ms)',
          `segment() a ${image.width}² photo (ms)`,
          'frames per 40 ms (25 fps budget)',
        ],
        rows,
      ),
      '',
      `Baseline in the same run: converting the ${image.width}² RGB photo to float planes in JS: ${baselineMs.toFixed(2)} ms. The renderer segments a photo avatar once per reference (at load), not per frame.`,
    ].join('\n');
    return { id: 'segmentation', title: 'Person segmentation (selfie model, ONNX, CPU)', body };
  },
};
