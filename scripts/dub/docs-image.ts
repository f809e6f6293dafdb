/**
 * docs/images/dub-strip.jpg: the README's picture of a dub. The video-retalking clip (its own
 * English speech) dubbed with echomimic_en.wav (another speaker): top row the source, bottom
 * row the dub, every 15th frame, the lower half of the face.
 *
 *   node --import tsx scripts/dub/docs-image.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dubber } from '../../src/dub/index.ts';
import { locateFfmpeg } from '../../src/media/index.ts';

const video = 'test/fixtures/dub/retalking.mp4';
const audio = 'test/fixtures/speech/echomimic_en.wav';
const out = 'docs/images/dub-strip.jpg';
const dir = await mkdtemp(join(tmpdir(), 'facecast-dub-docs-'));
try {
  const dubber = await Dubber.load();
  const dubbed = join(dir, 'dubbed.mp4');
  try {
    await dubber.dub({ videoPath: video, audioPath: audio, outPath: dubbed });
  } finally {
    await dubber.close();
  }
  const row = (input: number) =>
    `[${input}:v]fps=30,trim=end_frame=150,select='not(mod(n\\,15))',crop=240:200:230:220,tile=10x1[r${input}]`;
  execFileSync(locateFfmpeg().ffmpegPath, [
    '-v',
    'error',
    '-y',
    '-i',
    video,
    '-i',
    dubbed,
    '-filter_complex',
    `${row(0)};${row(1)};[r0][r1]vstack`,
    '-frames:v',
    '1',
    '-q:v',
    '3',
    out,
  ]);
  console.log(`wrote ${out}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
