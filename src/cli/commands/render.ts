import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { createAvatar, PROFILE_FILE } from '../../face/index.ts';
import { generatorModeSchema } from '../../generator/index.ts';
import {
  DEFAULT_SIZE_PX,
  inspectSpeech,
  MAX_SIZE_PX,
  MAX_TEXT_CHARS,
  MIN_SIZE_PX,
  speakToFile,
  VideoPipeline,
} from '../../pipeline/index.ts';
import { isReplicaDir, REPLICA_MANIFEST_FILE } from '../../replica/index.ts';
import {
  type Command,
  numberFlag,
  parseCommandArgs,
  parseFlags,
  UsageError,
  writeJson,
} from '../command.ts';
import { ProgressBar } from '../progress.ts';

const flagsSchema = z
  .object({
    image: z.string({ error: '--image <photo|avatar dir> is required' }).min(1),
    audio: z.string().min(1).optional(),
    text: z.string().trim().min(1).max(MAX_TEXT_CHARS).optional(),
    voice: z.string().min(1).max(100).optional(),
    language: z.string().min(1).max(35).optional(),
    rate: z.coerce.number().min(0.5).max(2.5).optional(),
    out: z
      .string({ error: '--out <file.mp4> is required' })
      .regex(/\.mp4$/i, '--out must name an .mp4 file'),
    size: z.coerce
      .number()
      .int()
      .min(MIN_SIZE_PX)
      .max(MAX_SIZE_PX)
      .refine((n) => n % 2 === 0, 'must be even')
      .default(DEFAULT_SIZE_PX),
    seed: z.coerce
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    generator: generatorModeSchema.default('auto'),
  })
  .refine((f) => (f.audio === undefined) !== (f.text === undefined), {
    message: 'give exactly one of --audio <file> or --text "…"',
  })
  .refine((f) => f.text !== undefined || (f.voice ?? f.language ?? f.rate) === undefined, {
    message: '--voice, --language and --rate apply to --text only',
  });

export const renderCommand: Command = {
  usage: `Usage: facecast render --image <photo|avatar dir> (--audio <file> | --text "…") --out <file.mp4> [options]

Renders a talking-head video: the photo's face (or an avatar folder made by
\`facecast avatar create\`) speaking the audio file, or the text through text-to-speech.
Frames stream from the motion model through the renderer into the encoder, so memory does
not grow with the length. Video length = audio length (within half a frame, 25 fps).

Options:
  --image <path>     photo (JPEG/PNG/WebP, one face) or avatar folder (a video avatar's
                     footage plays with the mouth re-animated, at the footage's size)
  --audio <file>     speech in any format ffmpeg reads (wav, mp3, m4a, ogg, a video's sound)
  --text "…"         text to speak (default voice: embedded espeak-ng, offline, robotic)
  --voice <id>       TTS voice engine:name, e.g. flite:slt, festival:cmu_us_slt_arctic_hts, or en-gb+f3
                     (espeak); facecast tts --voices lists them
  --language <tag>   TTS language when no voice is given (default en-us)
  --rate <x>         TTS speaking-rate multiplier, 0.5–2.5 (default 1)
  --out <file.mp4>   output file (its folder is created; written to a temporary name and
                     renamed when complete)
  --size <px>        video size, ${MIN_SIZE_PX}–${MAX_SIZE_PX}, even (default ${DEFAULT_SIZE_PX}; square)
  --seed <n>         seed of the idle motion: blinks, sway (default 0)
  --threads <n>      render worker threads (default 0: render on the main thread, the fastest on
                     2 cores; try more on machines with free cores)
  --generator <mode> on: generator + super-resolution over the face (models/generator, models/sr);
                     off: warp-only; auto (default): on only where the shipped model's held-out
                     evaluation says it beats warp-only (docs/stages/generator.md)
  --motion-model <dir>  a motion model folder (manifest.json + ONNX) instead of the shipped
                     models/motion (also FACECAST_MOTION_MODEL_DIR)
  --json             no progress bar; print the result as JSON
  -h, --help

A progress bar is drawn on stderr when it is a terminal. Errors (exit code 2): FACE_*,
IMAGE_*, AUDIO_* (AUDIO_SILENT, AUDIO_TRUNCATED …), MEDIA_*, TTS_*.`,
  async run(context) {
    const { values } = parseCommandArgs(
      context.argv,
      {
        image: { type: 'string', short: 'i' },
        audio: { type: 'string', short: 'a' },
        text: { type: 'string', short: 't' },
        voice: { type: 'string' },
        language: { type: 'string' },
        rate: { type: 'string' },
        out: { type: 'string', short: 'o' },
        size: { type: 'string' },
        seed: { type: 'string' },
        'motion-model': { type: 'string' },
        threads: { type: 'string' },
        generator: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const flags = parseFlags(flagsSchema, values);
    const { signal } = context;
    const bar = new ProgressBar(context.stderr, context.interactive && !values.json);
    await mkdir(dirname(resolve(flags.out)), { recursive: true });
    const work = await mkdtemp(join(tmpdir(), 'facecast-render-'));
    const started = performance.now();
    let pipeline: VideoPipeline | undefined;
    try {
      bar.update(0, 'avatar');
      const avatarDir = await resolveAvatar(flags.image, join(work, 'avatar'), signal);
      const modelDir = values['motion-model'] ?? process.env.FACECAST_MOTION_MODEL_DIR;
      pipeline = await VideoPipeline.load({
        signal,
        generator: flags.generator,
        ...(values.threads === undefined
          ? {}
          : { renderThreads: numberFlag(values.threads, 'threads', 0) }),
        ...(modelDir ? { motion: { modelDir: resolve(modelDir) } } : {}),
      });
      let audioPath: string;
      let expectedDurationMs: number;
      if (flags.text !== undefined) {
        bar.update(0, 'speech');
        const spoken = await speakToFile(
          await pipeline.tts(),
          {
            type: 'text',
            text: flags.text,
            ...(flags.voice ? { voice: flags.voice } : {}),
            ...(flags.language ? { language: flags.language } : {}),
            ...(flags.rate ? { rate: flags.rate } : {}),
          },
          join(work, 'speech.wav'),
          { signal },
        );
        audioPath = spoken.path;
        expectedDurationMs = spoken.durationMs;
      } else {
        audioPath = resolve(flags.audio as string);
        expectedDurationMs = (await inspectSpeech(audioPath, { signal })).durationMs;
      }
      const result = await pipeline.render(
        { avatarDir, audioPath, outPath: resolve(flags.out), sizePx: flags.size, seed: flags.seed },
        {
          signal,
          expectedDurationMs,
          onProgress: (p) => {
            const seconds = (performance.now() - started) / 1000;
            const rtf = (p.framesDone * 0.04) / Math.max(seconds, 1e-3);
            bar.update(
              p.fraction,
              p.stage,
              `${p.framesDone}/${p.framesTotal} frames  ${rtf.toFixed(1)}× real time`,
            );
          },
        },
      );
      bar.done();
      const totalMs = performance.now() - started;
      const { size } = await stat(result.outPath);
      const report = {
        out: flags.out,
        durationMs: result.durationMs,
        audioDurationMs: Math.round(result.audioDurationMs * 10) / 10,
        frames: result.frames,
        fps: 25,
        width: result.width,
        height: result.height,
        sizeBytes: size,
        renderer: result.renderer,
        generator: pipeline.generatorDecision.reason,
        seed: flags.seed,
        wallMs: Math.round(totalMs),
        realtimeFactor: Math.round((result.durationMs / totalMs) * 100) / 100,
        timingsMs: Object.fromEntries(
          Object.entries(result.timingsMs).map(([k, v]) => [k, Math.round(v)]),
        ),
      };
      if (values.json) writeJson(context, report);
      else {
        context.stdout.write(
          `${flags.out}: ${(result.durationMs / 1000).toFixed(2)} s, ${result.frames} frames ${result.width}×${result.height} @ 25 fps, ` +
            `${(size / 1e6).toFixed(2)} MB, rendered in ${(totalMs / 1000).toFixed(1)} s (${report.realtimeFactor}× real time); ${report.generator}\n`,
        );
      }
    } finally {
      bar.done();
      await pipeline?.close();
      await rm(work, { recursive: true, force: true });
    }
  },
};

/** An avatar folder as given (photo or video avatar), or one built from a photo into `dir`. */
async function resolveAvatar(image: string, dir: string, signal: AbortSignal): Promise<string> {
  const info = await stat(image).catch(() => undefined);
  if (info?.isDirectory()) {
    const photoAvatar = await stat(join(image, PROFILE_FILE)).catch(() => undefined);
    if (!photoAvatar && !(await isReplicaDir(image))) {
      throw new UsageError(
        `${image} is a folder without ${PROFILE_FILE} or ${REPLICA_MANIFEST_FILE}: not an avatar`,
      );
    }
    return resolve(image);
  }
  await createAvatar(image, dir, { signal });
  return dir;
}
