import { rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BodyModel, type BodyModelOptions } from '../body/index.ts';
import {
  type Generator,
  type GeneratorDecision,
  type GeneratorLoadOptions,
  type GeneratorMode,
  resolveGenerator,
} from '../generator/index.ts';
import type { JobRunContext, JobRunner } from '../jobs/index.ts';
import { MotionModel, type MotionModelOptions } from '../motion/index.ts';
import { ReplicaPlayerPool, type ReplicaPlayerPoolOptions } from '../replica/index.ts';
import { createTtsProvider, type TtsConfig, type TtsProvider } from '../tts/index.ts';
import type { VideoJobInput, VideoJobResult } from './job.ts';
import { type RenderVideoRequest, type RenderVideoResult, renderVideo } from './render-video.ts';
import { speakToFile } from './speak.ts';

/** Options for {@link VideoPipeline.load}. */
export interface VideoPipelineOptions {
  /** Motion model folder and runtime options. Default: the shipped `models/motion`. */
  motion?: Omit<MotionModelOptions, 'signal'>;
  /**
   * The body model (speech → neck, shoulders, arms, torso sway; the renderer moves neck and
   * shoulders with it). Default: the shipped `models/body`; `false` for none (the shoulders
   * then only breathe).
   */
  body?: false | Omit<BodyModelOptions, 'signal'>;
  /** Text-to-speech provider. Default `{ provider: 'local' }`: every engine installed here (espeak-ng embedded, the default voice; flite, festival, RHVoice when installed). */
  tts?: TtsConfig;
  /** Longest speech accepted, ms. Default 1 hour. */
  maxDurationMs?: number;
  /** Render worker threads per video; 0 (the default) renders on the calling thread. */
  renderThreads?: number;
  /**
   * `--generator`: `off` warp-only, `on` generator + super-resolution (GENERATOR_UNAVAILABLE
   * when its models are missing), `auto` (default) on only where the shipped model's held-out
   * evaluation says it beats warp-only. Decided once at load; see `generatorDecision`.
   */
  generator?: GeneratorMode;
  /** Where the generator and SR models are, execution providers (default: the shipped ones). */
  generatorOptions?: Omit<GeneratorLoadOptions, 'signal'>;
  /**
   * Video avatars' opened players kept between renders (src/replica `ReplicaPlayerPool`: a
   * render of a recently used avatar folder skips opening it, the same frames). Default: up
   * to 2 idle players, each closed after 2 minutes unused; `{ maxIdle: 0 }` keeps none. Jobs
   * ({@link VideoPipeline.jobRunner}) render a private copy of the avatar: never kept.
   */
  replicaPool?: ReplicaPlayerPoolOptions;
  signal?: AbortSignal;
}

/** A pool that keeps no player: each render opens its avatar and closes it. */
const NOTHING_KEPT = new ReplicaPlayerPool({ maxIdle: 0 });

/** Output file name of a video job, inside its folder. */
export const OUTPUT_FILE = 'output.mp4';

/**
 * The loaded video pipeline: the motion model (loaded once, shared by every render) and the
 * TTS provider (loaded on first use). Renders files directly ({@link VideoPipeline.render})
 * or as the job queue's runner ({@link VideoPipeline.jobRunner}).
 *
 * @example
 * const pipeline = await VideoPipeline.load();
 * await pipeline.render({ avatarDir, audioPath: 'hi.wav', outPath: 'hi.mp4' });
 * await pipeline.close();
 */
export class VideoPipeline {
  readonly motion: MotionModel;
  readonly body: BodyModel | undefined;
  /** What `--generator` resolved to, and why (log `reason`). */
  readonly generatorDecision: Omit<GeneratorDecision, 'generator'>;
  readonly #generator: Generator | undefined;
  readonly #ttsConfig: TtsConfig;
  readonly #maxDurationMs: number | undefined;
  readonly #renderThreads: number | undefined;
  readonly #replicas: ReplicaPlayerPool;
  #tts: Promise<TtsProvider> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(
    motion: MotionModel,
    body: BodyModel | undefined,
    decision: GeneratorDecision,
    options: VideoPipelineOptions,
  ) {
    this.motion = motion;
    this.body = body;
    const { generator, ...rest } = decision;
    this.generatorDecision = rest;
    this.#generator = generator;
    this.#ttsConfig = options.tts ?? { provider: 'local' };
    this.#maxDurationMs = options.maxDurationMs;
    this.#renderThreads = options.renderThreads;
    this.#replicas = new ReplicaPlayerPool(options.replicaPool);
  }

  static async load(options: VideoPipelineOptions = {}): Promise<VideoPipeline> {
    const motion = await MotionModel.load({
      ...options.motion,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let decision: GeneratorDecision;
    let body: BodyModel | undefined;
    try {
      body =
        options.body === false
          ? undefined
          : await BodyModel.load({
              ...options.body,
              ...(options.signal ? { signal: options.signal } : {}),
            });
      decision = await resolveGenerator(options.generator ?? 'auto', {
        ...options.generatorOptions,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      await motion.close();
      await body?.close();
      throw error;
    }
    return new VideoPipeline(motion, body, decision, options);
  }

  /** The TTS provider, created on first use and kept. */
  tts(): Promise<TtsProvider> {
    if (!this.#tts) {
      this.#tts = createTtsProvider(this.#ttsConfig);
      this.#tts.catch(() => {
        this.#tts = undefined;
      });
    }
    return this.#tts;
  }

  /** Renders one video from an audio file (see {@link renderVideo}). */
  render(
    request: RenderVideoRequest,
    options: Parameters<typeof renderVideo>[2] = {},
  ): Promise<RenderVideoResult> {
    return renderVideo(this.motion, request, {
      ...(this.#maxDurationMs ? { maxDurationMs: this.#maxDurationMs } : {}),
      ...(this.#renderThreads === undefined ? {} : { renderThreads: this.#renderThreads }),
      ...(this.#generator ? { generator: this.#generator } : {}),
      ...(this.body ? { body: this.body } : {}),
      replicas: this.#replicas,
      ...options,
    });
  }

  /** The job queue's runner for video jobs. */
  jobRunner(): JobRunner<VideoJobInput, VideoJobResult> {
    return (input, context) => this.#runJob(input, context);
  }

  /** Releases the model session, the TTS provider and the kept video-avatar players. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const tts = await this.#tts?.catch(() => undefined);
      await tts?.close();
      await this.#replicas.close();
      await this.motion.close();
      await this.body?.close();
      await this.#generator?.close();
    })();
    return this.#closing;
  }

  async #runJob(input: VideoJobInput, context: JobRunContext): Promise<VideoJobResult> {
    const { signal, paths } = context;
    let audioPath: string;
    let expectedDurationMs: number;
    let ttsMs = 0;
    if (input.speech.type === 'text') {
      context.progress({ stage: 'tts', fraction: 0 });
      const t = performance.now();
      const spoken = await speakToFile(
        await this.tts(),
        input.speech,
        join(paths.workDir, 'speech.wav'),
        { signal },
      );
      ttsMs = performance.now() - t;
      audioPath = spoken.path;
      expectedDurationMs = spoken.durationMs;
    } else {
      audioPath = join(paths.inputDir, input.speech.file);
      expectedDurationMs = input.speech.durationMs;
    }
    // TTS is quick next to rendering: it gets the first 5 % of the bar.
    const ttsShare = input.speech.type === 'text' ? 0.05 : 0;
    const result = await this.render(
      {
        avatarDir: join(paths.inputDir, input.avatarDir),
        audioPath,
        // Rendered inside the scratch folder (the encoder's partial files too), so a crash
        // mid-render leaves nothing outside it; moved into place when complete.
        outPath: join(paths.workDir, OUTPUT_FILE),
        sizePx: input.sizePx,
        seed: input.seed,
      },
      {
        signal,
        expectedDurationMs,
        // The job renders its own copy of the avatar, removed with the job: nothing to keep.
        replicas: NOTHING_KEPT,
        onProgress: (p) =>
          context.progress({
            stage: p.stage,
            fraction: ttsShare + (1 - ttsShare) * p.fraction * 0.99,
            framesDone: p.framesDone,
            framesTotal: p.framesTotal,
          }),
      },
    );
    const outPath = join(paths.dir, OUTPUT_FILE);
    await rename(result.outPath, outPath);
    const { size } = await stat(outPath);
    return {
      file: OUTPUT_FILE,
      sizeBytes: size,
      durationMs: result.durationMs,
      frames: result.frames,
      fps: 25,
      sizePx: Math.max(result.width, result.height),
      renderer: result.renderer,
      timingsMs: { tts: ttsMs, ...result.timingsMs, total: result.timingsMs.total + ttsMs },
    };
  }
}
