/**
 * A tracked talking clip as a test fixture for the renderer:
 *
 *   node --import tsx scripts/render/tracked-fixture.ts <video> <out-prefix>
 *
 * writes `<out-prefix>.controls.csv` (the Controls `facecast track` produces for the video)
 * and `<out-prefix>.lipgap.json` (per frame, the source's inner-lip gap from the detector's
 * landmarks 13/14, in eye-corner distances 33–263; null where no face). The render test
 * checks that the rendered mouth follows the source's.
 */
import { writeFile } from 'node:fs/promises';
import { writeControlsFile } from '../../src/controls/index.ts';
import { trackVideo } from '../../src/face/index.ts';

const [video, prefix] = process.argv.slice(2);
if (!video || !prefix) {
  console.error('usage: tracked-fixture.ts <video> <out-prefix>');
  process.exit(2);
}
const result = await trackVideo(video, { keepLandmarks: true });
const lm = result.landmarks as Float32Array;
const gaps = result.sequence.frames.map((_, i) => {
  const at = (k: number, a: number) => lm[(i * 478 + k) * 3 + a] as number;
  if (Number.isNaN(at(13, 0))) return null;
  const gap = Math.hypot(at(14, 0) - at(13, 0), at(14, 1) - at(13, 1));
  const eyes = Math.hypot(at(263, 0) - at(33, 0), at(263, 1) - at(33, 1));
  return Number((gap / eyes).toFixed(5));
});
await writeControlsFile(`${prefix}.controls.csv`, result.sequence);
await writeFile(
  `${prefix}.lipgap.json`,
  `${JSON.stringify({ video, frames: gaps.length, lipGap: gaps })}\n`,
);
console.log(`wrote ${prefix}.controls.csv and ${prefix}.lipgap.json (${gaps.length} frames)`);
