/**
 * Lip-sync check of a dub: the landmark mouth opening of the source and of the dubbed video,
 * each correlated with the source's own audio and with the new audio (four numbers).
 *
 *   node --import tsx scripts/dub/eval.ts --video <source.mp4> --audio <new speech> --dubbed <out.mp4>
 *
 * The source's audio is read from the source video itself. Prints JSON.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lipSyncScore, mouthOpening } from '../../src/dub/index.ts';
import { FaceLandmarker } from '../../src/face/index.ts';

const { values } = parseArgs({
  options: { video: { type: 'string' }, audio: { type: 'string' }, dubbed: { type: 'string' } },
});
if (!values.video || !values.audio || !values.dubbed) {
  console.error('usage: eval.ts --video <source> --audio <new speech> --dubbed <out.mp4>');
  process.exit(2);
}
const landmarker = await FaceLandmarker.load({ video: true, body: false });
try {
  const source = await mouthOpening(resolve(values.video), landmarker);
  const dubbed = await mouthOpening(resolve(values.dubbed), landmarker);
  const result = {
    source: {
      withOriginalAudio: await lipSyncScore(source, resolve(values.video)),
      withNewAudio: await lipSyncScore(source, resolve(values.audio)),
    },
    dubbed: {
      withNewAudio: await lipSyncScore(dubbed, resolve(values.audio)),
      withOriginalAudio: await lipSyncScore(dubbed, resolve(values.video)),
    },
    frames: { source: source.length, dubbed: dubbed.length },
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await landmarker.close();
}
