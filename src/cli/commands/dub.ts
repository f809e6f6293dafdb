import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { Dubber, FIT_MODES, fitModeSchema } from '../../dub/index.ts';
import { type Command, parseCommandArgs, parseFlags, writeJson } from '../command.ts';
import { ProgressBar } from '../progress.ts';

const flagsSchema = z.object({
  video: z.string({ error: '--video <in.mp4> is required' }).min(1),
  audio: z.string({ error: '--audio <new speech> is required' }).min(1),
  out: z
    .string({ error: '--out <file.mp4> is required' })
    .regex(/\.mp4$/i, '--out must name an .mp4 file'),
  fit: fitModeSchema.default('pingpong'),
  'track-size': z.coerce.number().int().min(128).max(2048).default(512),
});

export const dubCommand: Command = {
  usage: `Usage: facecast dub --video <in.mp4> --audio <new speech> --out <out.mp4> [options]

Lip-sync translation: re-animates the mouth and jaw of the person in the video to the new
audio (a translation, a corrected line, a TTS voice); head motion, eyes, brows, background
and framing stay the source's own pixels. Frames without a usable face (none, a second
face, a head turned too far, a cut) are passed through untouched and listed. The output
keeps the source's frame rate and size (a variable-rate source is output at its fastest
regular rate), H.264 + the new audio as AAC, and lasts as long as the new audio.

Options:
  --video <file>     the source video (any format ffmpeg reads)
  --audio <file>     the new speech (wav, mp3, m4a, ogg, a video's sound …)
  --out <file.mp4>   output file (its folder is created; written to a temporary name and
                     renamed when complete)
  --fit <mode>       when the audio outlasts the video: ${FIT_MODES.join(' | ')} (default pingpong:
                     backwards then forwards again, no jump cut; loop restarts, hold freezes the
                     last frame, trim cuts the output at the video's end). A shorter audio always
                     trims the video.
  --track-size <px>  longest side of the frames the face is tracked on (default 512)
  --motion-model <dir>  a motion model folder instead of the shipped models/motion
                     (also FACECAST_MOTION_MODEL_DIR)
  --json             no progress bar; print the result as JSON
  -h, --help

A progress bar is drawn on stderr when it is a terminal. Errors (exit code 2): DUB_NO_FACE,
DUB_VIDEO_TOO_LONG, DUB_VIDEO_TOO_LARGE, AUDIO_*, MEDIA_* (MEDIA_NO_VIDEO …).`,
  async run(context) {
    const { values } = parseCommandArgs(
      context.argv,
      {
        video: { type: 'string', short: 'v' },
        audio: { type: 'string', short: 'a' },
        out: { type: 'string', short: 'o' },
        fit: { type: 'string' },
        'track-size': { type: 'string' },
        'motion-model': { type: 'string' },
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
    const started = performance.now();
    const modelDir = values['motion-model'] ?? process.env.FACECAST_MOTION_MODEL_DIR;
    const dubber = await Dubber.load({
      signal,
      ...(modelDir ? { motionOptions: { modelDir: resolve(modelDir) } } : {}),
    });
    try {
      const result = await dubber.dub(
        {
          videoPath: resolve(flags.video),
          audioPath: resolve(flags.audio),
          outPath: resolve(flags.out),
          fit: flags.fit,
        },
        {
          signal,
          trackSizePx: flags['track-size'],
          onProgress: (p) =>
            bar.update(p.fraction, p.stage, `${p.framesDone}/${p.framesTotal} frames`),
        },
      );
      bar.done();
      const wallMs = performance.now() - started;
      const { size } = await stat(result.outPath);
      const report = {
        out: flags.out,
        durationMs: result.durationMs,
        audioDurationMs: Math.round(result.audioDurationMs * 10) / 10,
        videoDurationMs: Math.round(result.videoDurationMs * 10) / 10,
        frames: result.frames,
        fps: Math.round(result.fps * 1000) / 1000,
        width: result.width,
        height: result.height,
        sizeBytes: size,
        fit: result.fit,
        variableFrameRate: result.variableFrameRate,
        silentAudio: result.silentAudio,
        sourceFrames: result.sourceFrames,
        dubbedSourceFrames: result.dubbedSourceFrames,
        passThrough: result.passThrough,
        cuts: result.cuts,
        renderSizePx: result.renderSizePx,
        mouthOpeningScale: result.mouthOpeningScale,
        wallMs: Math.round(wallMs),
        realtimeFactor: Math.round((result.durationMs / wallMs) * 100) / 100,
        timingsMs: Object.fromEntries(
          Object.entries(result.timingsMs).map(([k, v]) => [k, Math.round(v)]),
        ),
      };
      if (values.json) writeJson(context, report);
      else {
        const untouched = result.sourceFrames - result.dubbedSourceFrames;
        context.stdout.write(
          `${flags.out}: ${(result.durationMs / 1000).toFixed(2)} s, ${result.frames} frames ${result.width}×${result.height} @ ${report.fps} fps, ` +
            `${(size / 1e6).toFixed(2)} MB, ${result.dubbedSourceFrames}/${result.sourceFrames} source frames dubbed, done in ${(wallMs / 1000).toFixed(1)} s (${report.realtimeFactor}× real time)\n`,
        );
        if (untouched > 0) {
          for (const r of result.passThrough) {
            context.stdout.write(
              `  untouched ${(r.startMs / 1000).toFixed(2)}–${(r.endMs / 1000).toFixed(2)} s (source frames ${r.firstFrame}–${r.lastFrame}): ${r.reason}\n`,
            );
          }
        }
        if (result.cuts.length > 0) {
          context.stdout.write(
            `  cuts at ${result.cuts.map((c) => `${(c.timeMs / 1000).toFixed(2)} s`).join(', ')}\n`,
          );
        }
      }
    } finally {
      bar.done();
      await dubber.close();
    }
  },
};
