import { z } from 'zod';
import { type ArmScores, readClipTrack, scoreReenactment } from '../../eval/index.ts';
import { generatorModeSchema, resolveGenerator } from '../../generator/index.ts';
import { checkLocalInput } from '../../media/index.ts';
import { type Command, parseCommandArgs, parseFlags, UsageError, writeJson } from '../command.ts';

const flagsSchema = z.object({
  video: z.string({ error: '--video <clip> is required' }).min(1),
  generator: generatorModeSchema.default('auto'),
  track: z.string().optional(),
  window: z.coerce.number().int().min(1).max(16).optional(),
  seed: z.coerce.number().int().min(0).default(1),
  frames: z.coerce.number().int().min(2).optional(),
  model: z.string().optional(),
  sr: z.string().optional(),
  baseline: z.boolean().default(false),
  body: z.boolean().default(false),
});

export const evalCommand: Command = {
  usage: `Usage: facecast eval reenact --video <clip> [--generator on|off|auto] [options] [--json]

Tracks the clip (facecast track), takes its first frame as the reference, re-renders every
frame from the tracked Controls and compares with the real frames: PSNR (RGB) and SSIM (luma)
over the whole frame, inside the face box and inside the mouth box, and temporal flicker (mean frame-to-frame luma
change where the real video is static; the real video's own value is printed as the floor).
The reference frame is not scored. With the generator, warp-only is scored on the very same
rendered frames in the same run, as the baseline.

Options:
  --video <clip>          any video with one face
  --generator <mode>      on: generator + SR as well (error if not installed); off: warp-only;
                          auto (default): as the product decides (see docs/stages/generator.md)
  --track <file.json>     a cached track of this clip (scripts/generator/track-clips.ts)
  --window <n>            frames per generator call (default: the model's, 4; 1 = live path)
  --seed <n>              the generator stream's noise seed (default 1)
  --frames <n>            score only the first n frames (the whole clip is still tracked)
  --model <dir>           generator folder (default models/generator)
  --sr <dir>              super-resolution folder (default models/sr)
  --baseline              also score warp-only without the person matte (the renderer before
                          segmentation: "warp-only 1.0"), same frames, same run
  --body                  half-body clips: track the body on every frame, move the reference's
                          torso with it (the torso pass) and score the body box (shoulders and
                          upper chest below the chin), against a still torso, same frames, same
                          run (EVAL_NO_BODY when the reference frame shows no shoulders)
  --json                  machine-readable output (includes per-frame MSE)
  -h, --help

Errors: FACE_NOT_FOUND, MEDIA_NO_VIDEO, MEDIA_UNREADABLE, GENERATOR_UNAVAILABLE, EVAL_NO_BODY (exit 2).`,
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.argv,
      {
        video: { type: 'string' },
        generator: { type: 'string' },
        track: { type: 'string' },
        window: { type: 'string' },
        seed: { type: 'string' },
        frames: { type: 'string' },
        model: { type: 'string' },
        sr: { type: 'string' },
        baseline: { type: 'boolean' },
        body: { type: 'boolean' },
      },
      { min: 1, max: 1 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    if (positionals[0] !== 'reenact')
      throw new UsageError(`unknown action "${positionals[0]}" (expected: reenact)`);
    const flags = parseFlags(flagsSchema, values);
    const { signal } = context;
    await checkLocalInput(flags.video);
    const decision = await resolveGenerator(flags.generator, {
      ...(flags.model ? { modelDir: flags.model } : {}),
      ...(flags.sr ? { srDir: flags.sr } : {}),
      signal,
    });
    try {
      const track = flags.track ? await readClipTrack(flags.track) : undefined;
      const scores = await scoreReenactment(flags.video, {
        ...(decision.generator ? { generator: decision.generator } : {}),
        stream: { seed: flags.seed, ...(flags.window ? { framesPerWindow: flags.window } : {}) },
        ...(track ? { track } : {}),
        ...(flags.frames ? { maxFrames: flags.frames } : {}),
        baseline: flags.baseline,
        body: flags.body,
        signal,
        onProgress: (stage, done, total) => {
          if (context.interactive && (done % 10 === 0 || done === total))
            context.stderr.write(`\r${stage} ${done}/${total ?? '?'} frames`);
        },
      });
      if (context.interactive) context.stderr.write('\n');
      if (values.json) {
        writeJson(context, { generatorDecision: decision.reason, ...scores });
        return;
      }
      const withBody = scores.bodyBox !== null;
      const bodyCells = (a: ArmScores) =>
        withBody
          ? ` ${(a.bodyPsnrDb ?? Number.NaN).toFixed(2).padStart(9)} ${(a.bodySsim ?? Number.NaN).toFixed(4).padStart(9)}`
          : '';
      const row = (name: string, a: ArmScores) =>
        `${name.padEnd(12)} ${a.psnrDb.toFixed(2).padStart(8)} ${a.ssim.toFixed(4).padStart(8)} ${a.facePsnrDb.toFixed(2).padStart(10)} ${a.faceSsim.toFixed(4).padStart(9)} ${a.mouthSsim.toFixed(4).padStart(10)}${bodyCells(a)} ${a.flicker.toFixed(2).padStart(8)}`;
      const box = scores.bodyBox;
      const lines = [
        `clip         ${scores.clip}: ${scores.frames} frames (${scores.facedFrames} with a face), ${scores.width}×${scores.height}, reference frame ${scores.referenceIndex}, ${scores.scoredFrames} scored`,
        `generator    ${decision.reason}`,
        ...(box
          ? [
              `body box     x ${box.x}–${box.x + box.width}, y ${box.y}–${box.y + box.height} px; warp-only moves the torso with the tracked body, "still torso" does not`,
            ]
          : []),
        '',
        `${'arm'.padEnd(12)} ${'PSNR dB'.padStart(8)} ${'SSIM'.padStart(8)} ${'face PSNR'.padStart(10)} ${'face SSIM'.padStart(9)} ${'mouth SSIM'.padStart(10)}${withBody ? ` ${'body PSNR'.padStart(9)} ${'body SSIM'.padStart(9)}` : ''} ${'flicker'.padStart(8)}`,
        ...(scores.warpOnlyBaseline ? [row('warp-only 1', scores.warpOnlyBaseline)] : []),
        ...(scores.stillTorso ? [row('still torso', scores.stillTorso)] : []),
        row('warp-only', scores.warpOnly),
        ...(scores.generator ? [row('generator+SR', scores.generator)] : []),
        '',
        `flicker of the real video itself: ${scores.realFlicker.toFixed(2)} (luma levels; ${(scores.staticFraction * 100).toFixed(0)} % of pixels static)`,
        `time         track ${(scores.timingsMs.track / 1000).toFixed(1)} s, score ${(scores.timingsMs.score / 1000).toFixed(1)} s${scores.timingsMs.generatorPerFrame !== null ? `, generator ${scores.timingsMs.generatorPerFrame.toFixed(0)} ms/frame` : ''}`,
      ];
      context.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await decision.generator?.close();
    }
  },
};
