import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { encodeWav, openAudio } from '../../audio/index.ts';
import { animateBody, BodyModel } from '../../body/index.ts';
import { type ControlsFrame, controlsFormatOf, writeControlsFile } from '../../controls/index.ts';
import { type AnimateResult, animateAudio, MotionModel } from '../../motion/index.ts';
import { VoiceCatalog } from '../../tts/index.ts';
import { type Command, parseCommandArgs, parseFlags, UsageError, writeJson } from '../command.ts';

const optionsSchema = z
  .object({
    out: z.string().min(1, '--out <controls.csv|json> is required'),
    text: z.string().optional(),
    voice: z.string().optional(),
    rate: z.coerce.number().min(0.5).max(2.5).optional(),
    'audio-out': z.string().optional(),
    seed: z.coerce
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    'no-idle': z.boolean().default(false),
    'stream-ms': z.coerce.number().min(10).max(10_000).optional(),
    model: z.string().optional(),
    'no-body': z.boolean().default(false),
    'body-model': z.string().optional(),
  })
  .strict();

/** Shortest audio the command animates (one video frame). */
const MIN_DURATION_MS = 40;

export const motionCommand: Command = {
  usage: `Usage: facecast motion <audio> --out <controls.csv|json> [options]
       facecast motion --text "Hello there" --out <controls.csv|json> [--voice en-us] [options]

Runs the motion model (causal transformer, models/motion) on speech and writes ARKit-52
blendshapes, head rotation and gaze per 40 ms frame, plus seeded idle life (blinks, head sway,
gaze shifts, breathing). The model looks 80 ms ahead; silence gives a resting mouth. The body
model (models/body) adds the upper body from the same speech and the head's motion: neck
roll and shoulder, elbow and wrist offsets (seeded too).

Options:
  --out <file>        .csv (ARKit / Live Link Face layout) or .json Controls (required)
  --text <text>       speak this text with a local TTS voice (default: embedded espeak-ng, robotic)
  --voice <id>        TTS voice with --text: engine:name (flite:slt; facecast tts --voices), or an espeak language (en-us+f3)
  --rate <x>          TTS speaking-rate multiplier with --text (0.5–2.5, default 1)
  --audio-out <wav>   with --text: also write the synthesized speech (16 kHz WAV)
  --seed <n>          seed of the idle motion (default 1); same seed → same output
  --no-idle           model output only: no blinks, sway or gaze shifts
  --stream-ms <ms>    feed the audio in chunks of this many ms through the streaming path
                      (the output equals the offline output within 1e-5)
  --model <dir>       model folder with manifest.json (default: the shipped models/motion)
  --no-body           no body model: the body channels carry only the breathing
  --body-model <dir>  body model folder (default: the shipped models/body)
  --json              machine-readable report`,
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.argv,
      {
        out: { type: 'string', short: 'o' },
        text: { type: 'string' },
        voice: { type: 'string' },
        rate: { type: 'string' },
        'audio-out': { type: 'string' },
        seed: { type: 'string' },
        'no-idle': { type: 'boolean' },
        'stream-ms': { type: 'string' },
        model: { type: 'string' },
        'no-body': { type: 'boolean' },
        'body-model': { type: 'string' },
      },
      { min: 0, max: 1 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const { help: _help, json, ...rest } = values;
    const o = parseFlags(optionsSchema, rest);
    const input = positionals[0];
    if ((input === undefined) === (o.text === undefined))
      throw new UsageError('give either an audio file or --text "…", not both');
    if (o.text === undefined && (o.voice || o.rate || o['audio-out']))
      throw new UsageError('--voice, --rate and --audio-out go with --text');
    controlsFormatOf(o.out);

    const started = performance.now();
    const model = await MotionModel.load({ modelDir: o.model, signal: context.signal });
    const body = o['no-body']
      ? undefined
      : await BodyModel.load({ modelDir: o['body-model'], signal: context.signal }).catch(
          async (error: unknown) => {
            await model.close();
            throw error;
          },
        );
    try {
      let source: string | Float32Array;
      let voice: string | undefined;
      if (o.text !== undefined) {
        const tts = await VoiceCatalog.load();
        const speech = await tts.synthesize(o.text, {
          voice: o.voice,
          rate: o.rate,
          signal: context.signal,
        });
        await tts.close();
        voice = speech.voice;
        source = speech.samples;
        if (o['audio-out']) await writeFile(o['audio-out'], encodeWav(speech.samples, 16_000));
      } else {
        source = input as string;
      }
      const animateOptions = {
        seed: o.seed,
        idle: !o['no-idle'],
        signal: context.signal,
        decode: { minDurationMs: MIN_DURATION_MS },
      };
      const result =
        o['stream-ms'] === undefined
          ? await animateAudio(model, source, animateOptions)
          : await animateStreaming(model, source, o['stream-ms'], animateOptions);
      // The body reads the audio again chunk by chunk: memory stays bounded for long files.
      const sequence = body
        ? await animateBody(
            body,
            result.sequence,
            typeof source === 'string'
              ? await openAudio(source, { ...animateOptions.decode, signal: context.signal })
              : source,
            { seed: o.seed, signal: context.signal },
          )
        : result.sequence;
      await writeControlsFile(o.out, sequence);
      const elapsedMs = performance.now() - started;
      const report = {
        out: o.out,
        frames: result.sequence.frames.length,
        fps: 25,
        durationMs: Math.round(result.durationMs),
        ...(voice ? { voice } : {}),
        mode: o['stream-ms'] === undefined ? 'offline' : `stream ${o['stream-ms']} ms chunks`,
        seed: o.seed,
        idle: !o['no-idle'],
        executionProvider: model.executionProvider,
        model: `${model.manifest.name} ${model.manifest.version}`,
        body: body ? `${body.manifest.name} ${body.manifest.version}` : null,
        elapsedMs: Math.round(elapsedMs),
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        summary: summarize(sequence.frames),
      };
      if (json) writeJson(context, report);
      else
        context.stdout.write(
          `wrote ${o.out}: ${report.frames} frames (${(report.durationMs / 1000).toFixed(2)} s at 25 fps), ` +
            `jawOpen mean ${report.summary.jawOpenMean} max ${report.summary.jawOpenMax}, ` +
            `${report.summary.blinks} blinks, ${report.mode}, ${report.elapsedMs} ms\n`,
        );
    } finally {
      await model.close();
      await body?.close();
    }
  },
};

/** Feeds the audio in fixed chunks through the streaming path (what a live session does). */
async function animateStreaming(
  model: MotionModel,
  source: string | Float32Array,
  chunkMs: number,
  options: { seed: number; idle: boolean; signal: AbortSignal; decode: { minDurationMs: number } },
): Promise<AnimateResult> {
  const stream = model.createStream({ seed: options.seed, idle: options.idle });
  const chunkSamples = Math.max(1, Math.round(chunkMs * 16));
  const frames: ControlsFrame[] = [];
  const rows: Float32Array[] = [];
  let samples = 0;
  let pending = new Float32Array(0);
  const feed = async (chunk: Float32Array) => {
    const out = await stream.process({ pcm: chunk }, { signal: options.signal });
    frames.push(...out.frames);
    rows.push(out.rows);
  };
  const reader =
    typeof source === 'string'
      ? await openAudio(source, { ...options.decode, signal: options.signal })
      : [source];
  try {
    for await (const decoded of reader) {
      samples += decoded.length;
      const merged = new Float32Array(pending.length + decoded.length);
      merged.set(pending, 0);
      merged.set(decoded, pending.length);
      let at = 0;
      for (; at + chunkSamples <= merged.length; at += chunkSamples)
        await feed(merged.subarray(at, at + chunkSamples));
      pending = merged.slice(at);
    }
    if (pending.length > 0) await feed(pending);
    const stats = stream.toJSON();
    const tail = await stream.flush({ signal: options.signal });
    frames.push(...tail.frames);
    rows.push(tail.rows);
    const all = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
    let o = 0;
    for (const r of rows) {
      all.set(r, o);
      o += r.length;
    }
    return {
      sequence: { format: 'facecast.controls', version: 1, fps: 25, frames },
      durationMs: (samples / 16_000) * 1000,
      rows: all,
      stats,
    };
  } finally {
    stream.close();
  }
}

function summarize(frames: ControlsFrame[]) {
  let sum = 0;
  let max = 0;
  let blinks = 0;
  let closed = false;
  for (const f of frames) {
    const jaw = f.blendshapes.jawOpen;
    sum += jaw;
    max = Math.max(max, jaw);
    const blink = f.blendshapes.eyeBlinkLeft > 0.5;
    if (blink && !closed) blinks++;
    closed = blink;
  }
  return {
    jawOpenMean: Number((sum / Math.max(1, frames.length)).toFixed(3)),
    jawOpenMax: Number(max.toFixed(3)),
    blinks,
  };
}
