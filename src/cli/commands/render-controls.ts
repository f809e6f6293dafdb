import { z } from 'zod';
import { type ControlsSequence, readControlsFile } from '../../controls/index.ts';
import { throwIfAborted } from '../../core/index.ts';
import { framedReference, generatorModeSchema, resolveGenerator } from '../../generator/index.ts';
import { checkLocalInput, Mp4Writer } from '../../media/index.ts';
import {
  applyEdits,
  createRenderer,
  MAX_RENDER_SIZE,
  MapsDumpWriter,
  MIN_RENDER_SIZE,
  parseEdit,
  RENDERER_DEFAULTS,
} from '../../render/index.ts';
import { isReplicaDir } from '../../replica/index.ts';
import { type Command, parseCommandArgs, UsageError, writeJson } from '../command.ts';
import { drivenControls } from './drive.ts';
import { renderControlsOnReplica } from './render-controls-replica.ts';

/** The command's flags, validated (numbers arrive as strings). */
const flagsSchema = z
  .object({
    avatar: z.string({ error: '--avatar <dir> is required' }).min(1),
    controls: z.string().min(1, { message: '--controls needs a file' }).optional(),
    drive: z.string().min(1, { message: '--drive needs a video' }).optional(),
    out: z
      .string({ error: '--out <video.mp4> is required' })
      .regex(/\.mp4$/i, { message: '--out must name an .mp4 file' }),
    audio: z.string().min(1).optional(),
    size: z.coerce
      .number()
      .int()
      .min(MIN_RENDER_SIZE, { message: `--size must be ${MIN_RENDER_SIZE}–${MAX_RENDER_SIZE}` })
      .max(MAX_RENDER_SIZE, { message: `--size must be ${MIN_RENDER_SIZE}–${MAX_RENDER_SIZE}` })
      .default(RENDERER_DEFAULTS.size),
    maps: z.string().min(1).optional(),
    set: z.array(z.string()).default([]),
    generator: generatorModeSchema.default('auto'),
  })
  .refine((f) => (f.controls === undefined) !== (f.drive === undefined), {
    message: 'give either --controls <file.csv|file.json> or --drive <video>',
  });

export const renderControlsCommand: Command = {
  usage: `Usage: facecast render-controls --avatar <dir> (--controls <file.csv|file.json> | --drive <video>)
                                --out <video.mp4> [--audio <file>] [--size <px>] [--set <edit>]... [--maps <dir>] [--json]

Renders every Controls frame (25 fps) onto the avatar made by \`facecast avatar create\` with
the warp-only renderer (no generator needed) and encodes H.264 MP4, muxing --audio (cut or
padded to the video's length) when given.

Controls weights replace the photo's own expression; head angles are applied on top of the
photo's pose. Edit a performance with --set (repeatable, applied in order):
  --set <control>=<value>[@<start>-<end>s]
  control: an ARKit blendshape (jawOpen, eyeBlinkLeft, …), head.pitch|yaw|roll|x|y|z,
           gaze.leftYaw|leftPitch|rightYaw|rightPitch
  value:   weight 0–1; angles in radians, or degrees with "deg" (head.yaw=10deg)
  ranges ease in and out over 80 ms; without a range the whole clip is set.
  e.g. --set eyeBlinkLeft=1@2.0-2.5s --set eyeBlinkRight=1@2.0-2.5s --set jawOpen=0@4-5s

Options:
  --avatar <dir>     avatar folder: a photo avatar (profile.json + image.png) or a video
                     avatar (its footage plays; the Controls' jaw and mouth re-animate it;
                     --size, --maps and the generator do not apply)
  --controls <file>  Controls as ARKit-style CSV or facecast JSON
  --drive <video>    motion transfer: the video's face (as \`facecast track\` tracks it) and upper
                     body (MoveNet keypoints retargeted onto the photo's own shoulders, elbows and
                     wrists) drive a photo avatar whose shoulders were detected
  --out <file.mp4>   video to write (nothing is left behind on failure or Ctrl-C)
  --audio <file>     audio to mux as AAC
  --size <px>        longer side of the video, ${MIN_RENDER_SIZE}–${MAX_RENDER_SIZE} (default ${RENDERER_DEFAULTS.size})
  --maps <dir>       also write the generator's maps per frame as .npy stacks + maps.json
  --generator <mode> on: generator + super-resolution over the face (models/generator, models/sr);
                     off: warp-only; auto (default): on only where the held-out evaluation
                     says it beats warp-only (see docs/stages/generator.md)
  --json             machine-readable output`,
  async run(context) {
    const { values } = parseCommandArgs(
      context.argv,
      {
        avatar: { type: 'string', short: 'a' },
        controls: { type: 'string', short: 'c' },
        drive: { type: 'string' },
        out: { type: 'string', short: 'o' },
        audio: { type: 'string' },
        size: { type: 'string' },
        maps: { type: 'string' },
        set: { type: 'string', multiple: true },
        generator: { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const parsed = flagsSchema.safeParse(values);
    if (!parsed.success) throw new UsageError(parsed.error.issues[0]?.message ?? 'invalid flags');
    const flags = parsed.data;
    const edits = flags.set.map(parseEdit);
    const { signal } = context;

    let sequence: ControlsSequence | undefined;
    if (flags.controls) {
      await checkLocalInput(flags.controls, { maxBytes: 512 * 1024 ** 2 });
      sequence = await readControlsFile(flags.controls);
      if (sequence.frames.length === 0) throw new UsageError(`${flags.controls} has no frames`);
    }
    if (await isReplicaDir(flags.avatar)) {
      if (!sequence)
        throw new UsageError('--drive drives a photo avatar; use --controls with a video avatar');
      applyEdits(sequence, edits);
      await renderControlsOnReplica(context, flags, sequence, values.json === true);
      return;
    }
    const renderer = await createRenderer(flags.avatar, { size: flags.size, signal });
    if (!sequence && flags.drive) {
      sequence = await drivenControls(flags.drive, renderer.reference ?? {}, { signal }).catch(
        (error) => {
          renderer.close();
          throw error;
        },
      );
    }
    if (!sequence) {
      renderer.close();
      throw new UsageError('give either --controls <file.csv|file.json> or --drive <video>');
    }
    const touched = applyEdits(sequence, edits);
    const decision = await resolveGenerator(flags.generator, { signal }).catch((error) => {
      renderer.close();
      throw error;
    });
    const stream = decision.generator?.createStream();
    const reference = stream
      ? framedReference(
          renderer.reference as NonNullable<typeof renderer.reference>,
          renderer.width,
          renderer.height,
        )
      : undefined;
    const writer = await Mp4Writer.open(flags.out, {
      width: renderer.width,
      height: renderer.height,
      fps: sequence.fps,
      ...(flags.audio ? { audioPath: flags.audio } : {}),
      expectedFrames: Math.max(1, sequence.frames.length),
      signal,
    });
    const dump = flags.maps
      ? await MapsDumpWriter.open(
          flags.maps,
          renderer.width,
          renderer.height,
          sequence.frames.length,
        )
      : undefined;
    const started = performance.now();
    let renderMs = 0;
    try {
      const total = sequence.frames.length;
      for (let i = 0; i < total; i++) {
        throwIfAborted(signal);
        const t = performance.now();
        const { composite, maps } = renderer.render(
          sequence.frames[i] as (typeof sequence.frames)[number],
        );
        renderMs += performance.now() - t;
        if (dump) await dump.write(maps, composite.data);
        if (stream && reference) {
          for (const out of await stream.push({ composite, maps, reference }, { signal }))
            await writer.writeFrame(out.data, { signal });
        } else await writer.writeFrame(composite.data, { signal });
        if (context.interactive && (i % 25 === 0 || i === total - 1)) {
          context.stderr.write(`\rrendering ${i + 1}/${total} frames`);
        }
      }
      if (stream)
        for (const out of await stream.flush({ signal }))
          await writer.writeFrame(out.data, { signal });
      if (context.interactive) context.stderr.write('\n');
      await dump?.close();
      const summary = await writer.finish({ signal });
      const wallMs = performance.now() - started;
      const report = {
        out: summary.path,
        frames: summary.frames,
        durationMs: summary.durationMs,
        width: renderer.width,
        height: renderer.height,
        fps: sequence.fps,
        audio: summary.hasAudio,
        edits: edits.map((e, k) => ({ ...e, frames: touched[k] })),
        maps: dump?.dir ?? null,
        renderMsPerFrame: renderMs / summary.frames,
        generator: decision.reason,
        generatorMsPerFrame: stream ? stream.toJSON().meanMsPerFrame : null,
        realTimeFactor: summary.durationMs / wallMs,
      };
      if (flags.maps === undefined) delete (report as { maps?: unknown }).maps;
      if (values.json) writeJson(context, report);
      else
        context.stdout.write(
          `wrote ${summary.path}: ${summary.frames} frames ${renderer.width}×${renderer.height} at ${sequence.fps} fps (${(summary.durationMs / 1000).toFixed(2)} s${summary.hasAudio ? ', with audio' : ''}); render ${report.renderMsPerFrame.toFixed(1)} ms/frame${stream ? `, generator ${report.generatorMsPerFrame?.toFixed(1)} ms/frame` : ''}, ${report.realTimeFactor.toFixed(1)}× real time${dump ? `; maps in ${dump.dir}` : ''}\n`,
        );
    } catch (error) {
      await writer.close();
      await dump?.close().catch(() => {});
      throw error;
    } finally {
      renderer.close();
      stream?.close();
      await decision.generator?.close();
    }
  },
};
