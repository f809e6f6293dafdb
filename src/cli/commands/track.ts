import { extname } from 'node:path';
import { z } from 'zod';
import { controlsFormatOf, writeControlsFile } from '../../controls/index.ts';
import { LANDMARK_COUNT, TRACK_DEFAULTS, trackVideo } from '../../face/index.ts';
import { type Command, parseCommandArgs, parseFlags, writeJson } from '../command.ts';

/** The command's flags, validated (numbers arrive as strings). */
const trackFlagsSchema = z.object({
  out: z
    .string({ error: '--out <controls.csv|controls.json> is required' })
    .regex(/\.(csv|json)$/i, { message: 'must end in .csv or .json' }),
  landmarks: z
    .string()
    .regex(/\.npy$/i, { message: 'must end in .npy' })
    .optional(),
  maxSize: z.coerce.number().int().min(128).max(4096).default(TRACK_DEFAULTS.maxSize),
  smooth: z.boolean().default(true),
  bodyEvery: z.coerce.number().int().min(0).max(250).default(TRACK_DEFAULTS.bodyEvery),
});

export const trackCommand: Command = {
  usage: `Usage: facecast track <video> --out <controls.csv|controls.json> [options] [--json]

Decodes the video at exactly 25 fps (variable-frame-rate input too), finds the face in every
frame, fits facecast's face model and writes one Controls frame per 40 ms: the 52 ARKit
weights, head rotation (radians, relative to a frontal upright head) and translation
(inter-ocular distances from the clip's median position), gaze, upper-body offsets. Values
are One-Euro smoothed; frames without a face are marked FaceFound = 0 and hold the last
values. With several faces the largest in each frame is tracked.

Options:
  --out <file>          Controls file; .csv (ARKit / Live Link Face layout) or .json
  --landmarks <f.npy>   also write the raw landmarks: float32 [frames, 478, 3], x/y in
                        source pixels, z in detector units, NaN where no face
  --max-size <px>       decode frames at most this large (default ${TRACK_DEFAULTS.maxSize})
  --no-smooth           raw per-frame fits, no temporal smoothing
  --body-every <n>      run the body keypoint model (shoulders, elbows, wrists) on every
                        n-th frame, held in between; 1 = every frame, 0 = never
                        (default ${TRACK_DEFAULTS.bodyEvery})
  --json                machine-readable summary
  -h, --help

Errors: FACE_NOT_FOUND (no face in any frame), MEDIA_NO_VIDEO, MEDIA_UNREADABLE (exit 2).`,
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.argv,
      {
        out: { type: 'string', short: 'o' },
        landmarks: { type: 'string' },
        'max-size': { type: 'string' },
        'no-smooth': { type: 'boolean' },
        'body-every': { type: 'string' },
      },
      { min: 1, max: 1 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const flags = parseFlags(trackFlagsSchema, {
      out: values.out,
      landmarks: values.landmarks,
      maxSize: values['max-size'],
      smooth: values['no-smooth'] !== true,
      bodyEvery: values['body-every'],
    });
    controlsFormatOf(flags.out);
    const video = positionals[0] as string;
    const started = performance.now();
    const progress = context.interactive
      ? (done: number, expected: number | undefined) => {
          if (done % 25 !== 0) return;
          const fps = done / ((performance.now() - started) / 1000);
          context.stderr.write(
            `\rtracking ${done}${expected ? `/${expected}` : ''} frames (${fps.toFixed(1)} frames/s)`,
          );
        }
      : undefined;
    const result = await trackVideo(video, {
      maxSize: flags.maxSize,
      keepLandmarks: flags.landmarks !== undefined,
      smoothing: flags.smooth ? undefined : false,
      bodyEvery: flags.bodyEvery,
      onProgress: progress,
      signal: context.signal,
    });
    if (progress) context.stderr.write('\n');
    await writeControlsFile(flags.out, result.sequence);
    if (flags.landmarks && result.landmarks) {
      // loaded only here: the audio features' modules (Meyda) are not needed otherwise
      const { writeNpy } = await import('../../features/index.ts');
      await writeNpy(flags.landmarks, {
        data: result.landmarks,
        shape: [result.frames.length, LANDMARK_COUNT, 3],
      });
    }
    const seconds = result.timingsMs.total / 1000;
    const jaw = result.sequence.frames.filter((f) => f.faceFound).map((f) => f.blendshapes.jawOpen);
    const report = {
      video,
      out: flags.out,
      format: extname(flags.out).slice(1).toLowerCase(),
      landmarks: flags.landmarks ?? null,
      frames: result.frames.length,
      facedFrames: result.facedFrames,
      durationMs: result.frames.length * 40,
      sourceFps: Math.round(result.video.sourceFps * 1000) / 1000,
      decoded: `${result.video.decodedWidth}x${result.video.decodedHeight}`,
      meanResidualPx: Math.round(result.meanResidualPx * 1000) / 1000,
      jawOpenMax: Math.round(Math.max(0, ...jaw) * 1000) / 1000,
      framesPerSecond: Math.round((result.frames.length / seconds) * 10) / 10,
      timingsMs: Object.fromEntries(
        Object.entries(result.timingsMs).map(([k, v]) => [k, Math.round(v)]),
      ),
    };
    if (values.json) {
      writeJson(context, report);
      return;
    }
    const missing = report.frames - report.facedFrames;
    context.stdout.write(
      [
        `wrote          ${flags.out} (${report.frames} frames at 25 fps, ${(report.durationMs / 1000).toFixed(2)} s)${flags.landmarks ? ` and ${flags.landmarks}` : ''}`,
        `faces          ${report.facedFrames} of ${report.frames} frames${missing > 0 ? ` (${missing} marked FaceFound = 0)` : ''}`,
        `source         ${report.sourceFps} fps, decoded at ${report.decoded}`,
        `fit residual   ${report.meanResidualPx.toFixed(2)} px mean (decoded frame)`,
        `speed          ${report.framesPerSecond} frames/s (${seconds.toFixed(1)} s)`,
      ].join('\n') + '\n',
    );
  },
};
