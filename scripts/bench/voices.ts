import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '../../src/audio/index.ts';
import { createAvatar, FaceLandmarker, loadFaceModel } from '../../src/face/index.ts';
import { measureLipSync, VideoPipeline } from '../../src/pipeline/index.ts';
import { VoiceCatalog } from '../../src/tts/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

const HELDOUT = new URL('../../test/fixtures/heldout/', import.meta.url).pathname;
/** Held-out photos (test/fixtures/heldout): a closed neutral mouth, and a black-and-white one. */
const PHOTOS = ['photos/german_neutral.jpg', 'photos/edmarkey_bw.jpg'];
/** One voice per engine, the best each has here; espeak-ng is the baseline. */
const VOICES = [
  'espeak:en-us',
  'flite:slt',
  'festival:cmu_us_slt_arctic_hts',
  'rhvoice:slt',
  'rhvoice:bdl',
];
const TEXT =
  'Good morning, and thank you for joining us today. My name is Anna, and I will walk you through the plan. First we look at the numbers, then we talk about the next steps. Please stop me at any time if you have a question.';
const SIZE = 256;

const f2 = (v: number) => v.toFixed(2);
const f3 = (v: number) => v.toFixed(3);

/**
 * Text → video through each installed engine: synthesis time, and lip sync of the rendered
 * MP4 on held-out photos with the independent measure of `npm run bench -- lipsync` (the faces
 * tracker's lip gap against the MP4's own sound, r at lag 0).
 */
export const voicesBench: Bench = {
  id: 'voices',
  async run() {
    const load = loadavg()[0]?.toFixed(1);
    const dir = await mkdtemp(join(tmpdir(), 'facecast-voices-'));
    const catalog = await VoiceCatalog.load();
    const pipeline = await VideoPipeline.load({ tts: { provider: 'local' } });
    const landmarker = await FaceLandmarker.load({ video: true });
    const model = await loadFaceModel();
    const rows: (string | number)[][] = [];
    try {
      const avatars: string[] = [];
      for (const [i, photo] of PHOTOS.entries()) {
        const avatarDir = join(dir, `avatar-${i}`);
        await createAvatar(join(HELDOUT, photo), avatarDir, { model });
        avatars.push(avatarDir);
      }
      const installed = new Set(catalog.engines);
      for (const voice of VOICES.filter((v) => installed.has(v.split(':')[0] as string))) {
        rows.push(
          await measureVoice(voice, { catalog, pipeline, landmarker, model, avatars, dir }),
        );
      }
    } finally {
      await Promise.all([catalog.close(), pipeline.close(), landmarker.close()]);
      await rm(dir, { recursive: true, force: true });
    }
    const missing = catalog.missing.map((m) => `${m.engine} (${m.reason})`).join('; ');
    return {
      id: 'voices',
      title: 'Voices: synthesis speed and lip sync of text → video per engine',
      body: [
        `Machine: ${machineLine()}, load average ${load} at the start (shared machine). The same ${TEXT.split(' ').length}-word English text spoken by one voice per installed engine (\`VoiceCatalog\`, espeak-ng the baseline), rendered by \`VideoPipeline\` at ${SIZE}² (warp-only, seed 1) on held-out photos (${PHOTOS.join(', ')}), and measured like \`npm run bench -- lipsync\`: the faces tracker's lip gap against the MP4's own sound, r at lag 0. Synthesis: one call, wall time (process start included), real-time factor = audio / wall. Command: \`npm run bench -- voices\`.${missing ? ` Not installed: ${missing}.` : ''}`,
        '',
        table(
          [
            'voice',
            'speech s',
            'synthesis ms',
            '× real time',
            'phonemes / words',
            ...PHOTOS.map((p) => `lip-gap r, ${p.split('/').pop()}`),
            'mean r',
          ],
          rows,
        ),
      ].join('\n'),
    };
  },
};

async function measureVoice(
  voice: string,
  ctx: {
    catalog: VoiceCatalog;
    pipeline: VideoPipeline;
    landmarker: FaceLandmarker;
    model: Awaited<ReturnType<typeof loadFaceModel>>;
    avatars: string[];
    dir: string;
  },
): Promise<(string | number)[]> {
  const t = performance.now();
  const speech = await ctx.catalog.synthesize(TEXT, { voice });
  const synthMs = performance.now() - t;
  const audioPath = join(ctx.dir, `${voice.replace(/\W/g, '_')}.wav`);
  await writeFile(audioPath, encodeWav(speech.samples, speech.sampleRate));
  const rs: number[] = [];
  for (const [i, avatarDir] of ctx.avatars.entries()) {
    const out = join(ctx.dir, `${i}-${voice.replace(/\W/g, '_')}.mp4`);
    await ctx.pipeline.render({ avatarDir, audioPath, outPath: out, sizePx: SIZE, seed: 1 });
    const r = await measureLipSync(out, { landmarker: ctx.landmarker, model: ctx.model });
    console.info(`${voice} on avatar ${i}: ${JSON.stringify(r.lipGap)}`);
    rs.push(r.lipGap.r);
  }
  return [
    voice,
    f2(speech.durationMs / 1000),
    Math.round(synthMs),
    `${f2(speech.durationMs / synthMs)}×`,
    `${speech.phonemes?.length ?? '—'} / ${speech.words?.length ?? '—'}`,
    ...rs.map(f3),
    f3(rs.reduce((a, b) => a + b, 0) / rs.length),
  ];
}
