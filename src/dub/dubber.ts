import { FaceLandmarker, loadFaceModel } from '../face/index.ts';
import { MotionModel, type MotionModelOptions } from '../motion/index.ts';
import { MIN_RENDER_SIZE } from '../render/index.ts';
import { type DubModels, type DubResult, dubVideo } from './dub.ts';
import type { DubOptions, DubRequest } from './options.ts';
import { ReanimatorThread } from './reanimate-thread.ts';

/** Options for {@link Dubber.load}. */
export interface DubberOptions {
  /** A motion model already loaded (e.g. the video pipeline's), shared, not closed by the dubber. */
  motion?: MotionModel;
  /** Where to load the motion model from when none is given. Default: the shipped `models/motion`. */
  motionOptions?: Omit<MotionModelOptions, 'signal'>;
  /** Defaults for every dub (limits, tracking size …); per-call options override them. */
  defaults?: Omit<DubOptions, 'signal' | 'onProgress' | 'onFrame'>;
  signal?: AbortSignal;
}

/**
 * The loaded dubbing pipeline: the face model, a video-mode landmarker and the motion model,
 * loaded once and shared by every dub. Dubs run one at a time per process (the landmarker's
 * video mode keeps one face box; the job queue runs dubs with its own concurrency).
 *
 * @example
 * const dubber = await Dubber.load();
 * await dubber.dub({ videoPath: 'talk.mp4', audioPath: 'es.wav', outPath: 'talk.es.mp4', fit: 'loop' });
 * await dubber.close();
 */
export class Dubber {
  readonly #models: DubModels;
  readonly #ownsMotion: boolean;
  readonly #defaults: DubberOptions['defaults'];
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(models: DubModels, ownsMotion: boolean, defaults: DubberOptions['defaults']) {
    this.#models = models;
    this.#ownsMotion = ownsMotion;
    this.#defaults = defaults;
  }

  static async load(options: DubberOptions = {}): Promise<Dubber> {
    const { signal } = options;
    const withSignal = signal ? { signal } : {};
    // All at once: the face model, the motion model, the landmark thread (each frame's
    // landmarks overlap the previous frame's fit) and the shared reanimator thread (pass 2's;
    // a worker loads its modules afresh, ~1 CPU s, which the first dub would otherwise wait for).
    const reanimator = warmReanimatorThread(signal);
    const [model, motion, landmarker] = await Promise.allSettled([
      loadFaceModel(),
      options.motion ?? MotionModel.load({ ...options.motionOptions, ...withSignal }),
      FaceLandmarker.load({ video: true, body: false, thread: true, ...withSignal }),
    ]);
    await reanimator;
    if (
      model.status === 'fulfilled' &&
      motion.status === 'fulfilled' &&
      landmarker.status === 'fulfilled'
    ) {
      return new Dubber(
        { model: model.value, landmarker: landmarker.value, motion: motion.value },
        !options.motion,
        options.defaults,
      );
    }
    if (landmarker.status === 'fulfilled') await landmarker.value.close();
    if (motion.status === 'fulfilled' && !options.motion) await motion.value.close();
    const failed = [model, motion, landmarker].find((r) => r.status === 'rejected');
    throw (failed as PromiseRejectedResult).reason;
  }

  /** Dubs one video (see {@link dubVideo}); calls run one after another. */
  dub(request: DubRequest, options: DubOptions = {}): Promise<DubResult> {
    const run = this.#queue.then(() => {
      if (this.#closing) throw new Error('the dubber is closed');
      return dubVideo(this.#models, request, { ...this.#defaults, ...options });
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Releases the landmarker and (if it loaded it) the motion model. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#queue;
      await this.#models.landmarker.close();
      if (this.#ownsMotion) await this.#models.motion.close();
    })();
    return this.#closing;
  }
}

/**
 * Starts the process's shared reanimator thread (it stays for the dubs; a failure here is
 * not one: the first dub that needs the thread reports it).
 */
async function warmReanimatorThread(signal: AbortSignal | undefined): Promise<void> {
  try {
    const thread = await ReanimatorThread.start({ sizePx: MIN_RENDER_SIZE, signal });
    await thread.close();
  } catch {
    // reported by the dub that needs it
  }
}
