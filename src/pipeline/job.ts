import { z } from 'zod';

/** Longest text accepted for one video (characters). */
export const MAX_TEXT_CHARS = 5000;
/** Output sizes: square, even (H.264 4:2:0), 256–1024 px (the renderer's range). */
export const MIN_SIZE_PX = 256;
export const MAX_SIZE_PX = 1024;
export const DEFAULT_SIZE_PX = 512;

export const avatarIdSchema = z.string().regex(/^av_[A-Za-z0-9_-]{16}$/, 'not an avatar id');

export const sizePxSchema = z
  .number()
  .int()
  .min(MIN_SIZE_PX)
  .max(MAX_SIZE_PX)
  .refine((n) => n % 2 === 0, 'must be even');

export const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** Text to speak, with the TTS voice options. */
export const textSpeechSchema = z
  .object({
    type: z.literal('text'),
    text: z.string().trim().min(1).max(MAX_TEXT_CHARS),
    /** TTS voice id (espeak: a language voice such as `en-us`, optionally `+variant`). */
    voice: z.string().min(1).max(100).optional(),
    /** Language tag used when `voice` is absent (espeak default `en-us`). */
    language: z.string().min(1).max(35).optional(),
    /** Speaking-rate multiplier, 1 = the voice's normal speed (0.5–2.5). */
    rate: z.number().min(0.5).max(2.5).optional(),
  })
  .strict();

/** An uploaded audio file, already checked, stored in the job's input folder. */
export const audioSpeechSchema = z
  .object({
    type: z.literal('audio'),
    /** File name inside the job's `input/` folder. */
    file: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    /** Duration measured when the upload was checked. */
    durationMs: z.number().positive(),
  })
  .strict();

/** The input of a video job as stored in its job file. */
export const videoJobInputSchema = z
  .object({
    avatarId: avatarIdSchema,
    /** Folder name of the avatar's copy inside the job's `input/` folder. */
    avatarDir: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
    speech: z.discriminatedUnion('type', [audioSpeechSchema, textSpeechSchema]),
    sizePx: sizePxSchema,
    seed: seedSchema,
  })
  .strict();
export type VideoJobInput = z.infer<typeof videoJobInputSchema>;

/** Wall time of each stage of one render, ms. */
export const stageTimingsSchema = z
  .object({
    /** Text to speech (0 for uploaded audio). */
    tts: z.number().nonnegative(),
    /** Waiting for decoded audio chunks. */
    decode: z.number().nonnegative(),
    /** Log-mel features and the motion model. */
    motion: z.number().nonnegative(),
    /** Warp-only rendering (on the calling thread, or waiting for render workers). */
    render: z.number().nonnegative(),
    /** Waiting on the encoder (backpressure) plus finishing and muxing the MP4. */
    encode: z.number().nonnegative(),
    total: z.number().nonnegative(),
  })
  .strict();
export type StageTimings = z.infer<typeof stageTimingsSchema>;

/** What a finished video job produced (stored in its job file). */
export const videoJobResultSchema = z
  .object({
    /** The MP4's file name inside the job folder. */
    file: z.literal('output.mp4'),
    sizeBytes: z.number().int().positive(),
    durationMs: z.number().positive(),
    frames: z.number().int().positive(),
    fps: z.literal(25),
    sizePx: sizePxSchema,
    /** `warp` (warp-only composite) or `generator`. */
    renderer: z.enum(['warp', 'generator', 'replica']),
    timingsMs: stageTimingsSchema,
  })
  .strict();
export type VideoJobResult = z.infer<typeof videoJobResultSchema>;
