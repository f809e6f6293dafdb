import { FaceLandmarker, loadFaceModel } from '../face/index.ts';
import { MotionModel, type MotionModelOptions } from '../motion/index.ts';
import { type DubModels, type DubResult, dubVideo } from './dub.ts';
import type { DubOptions, DubRequest } from './options.ts';

/** Options for {@link Dubber.load}. */
export interface DubberOptions {
  /** A motion model already loaded (e.g. the video pipeline's), shared, not closed by the dubber. */
  motion?: MotionModel;
  /** Where to load the motion model from when none is given. Default: the shipped `models/motion`. */
  motionOptions?: Omit<MotionModelOptions, 'signal'>;
  /** Defaults for every dub (limits, tracking size …); per-call options override them. */
  defaults?: Omit<DubOptions, 'signal' | 'onProgress' | 'onFrame'>;
  /**
   * Run the iris model while tracking. Default false: a dub re-renders the lower face only
   * and keeps every frame's own eyes, so gaze is not needed, and the iris model costs more
   * than the face mesh (the dub bench's lip-sync figures compare both).
   */
  iris?: boolean;
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
    const model = await loadFaceModel();
    const motion =
      options.motion ??
      (await MotionModel.load({ ...options.motionOptions, ...(signal ? { signal } : {}) }));
    try {
      // on a thread of its own: each frame's landmarks overlap the previous frame's fit
      const landmarker = await FaceLandmarker.load({
        video: true,
        body: false,
        thread: true,
        iris: options.iris ?? false,
        ...(signal ? { signal } : {}),
      });
      return new Dubber({ model, landmarker, motion }, !options.motion, options.defaults);
    } catch (error) {
      if (!options.motion) await motion.close();
      throw error;
    }
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
