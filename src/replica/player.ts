import {
  LowerFaceReanimator,
  mouthBankPainter,
  type ReanimateSource,
  ReanimatorThread,
  reanimateInPlace,
} from '../dub/index.ts';
import { type FaceModel, loadFaceModel } from '../face/index.ts';
import type { MouthBankPaintOptions } from '../mouthbank/index.ts';
import { MAX_RENDER_SIZE, MIN_RENDER_SIZE } from '../render/index.ts';
import { type PlanOptions, PlaybackPlan, type PlaybackStep } from './plan.ts';
import { Replica, type ReplicaFace } from './replica.ts';

/** Options of {@link ReplicaPlayer.open}. */
export interface ReplicaPlayerOptions {
  /** Seed of the playback plan's choice among good joins. Default 0. */
  seed?: number;
  /**
   * Paint the mouth interior from the footage's mouth bank (its real teeth and tongue);
   * false draws the renderer's procedural interior. Default true (when the avatar has a bank).
   */
  mouthBank?: boolean;
  /** How the bank paints (src/mouthbank `MouthBankPaintOptions`). Default: the bank's defaults. */
  mouthBankPaint?: MouthBankPaintOptions;
  /** Playback-planner settings (src/replica plan.ts). */
  plan?: Omit<PlanOptions, 'seed'>;
  /**
   * Re-animate on a worker thread (src/dub `ReanimatorThread`), so that it overlaps with the
   * caller's work (motion, encoder) and the footage decoding: both cores of a 2-core machine.
   * false re-animates on the calling thread. Default true.
   */
  thread?: boolean;
  /**
   * With the thread: plan each frame (geometry, crop, blend mask) here and only render and
   * blend on the thread (src/dub `ReanimatorThread` `planOnCaller`); the same pictures.
   * Default false (the whole frame on the thread), unless the environment sets
   * FACECAST_REPLICA_PLAN_HERE=1 (the speed bench's baseline arm): in alternating whole
   * renders the split was no faster (medians 2.76–2.96× vs 2.92–3.00× real time at 512², the
   * same CPU per second of video) and doubled the calling thread's time (0.14 vs 0.07–0.08
   * CPU s per s of video), which the motion model, the encoder's writes and a live transport
   * need; it pays only when the calling thread has nothing else to do.
   */
  planOnCaller?: boolean;
}

/** Re-animates one footage frame in its own buffer (on a thread or here). */
type Reanimate = (
  source: ReanimateSource,
  weights: Float32Array,
  forget: boolean,
) => Promise<Uint8Array>;

/**
 * Plays a video avatar: each call gives the next output frame — the footage's own frame
 * (body, blinks, head motion, background) along the playback plan, cross-faded at joins —
 * with the lower face re-animated to the given mouth by the dubbing machinery
 * (src/dub `LowerFaceReanimator`, on its own thread by default) and the mouth interior
 * painted from the footage's mouth bank. Frames are 25 fps; the caller decides how many (as
 * many as the speech lasts).
 *
 * @example
 * const player = await ReplicaPlayer.open('avatars/me');
 * const rgb = await player.render(controlsWeights); // 52 ARKit weights of this frame
 * await player.close();
 */
export class ReplicaPlayer {
  readonly replica: Replica;
  readonly width: number;
  readonly height: number;
  readonly plan: PlaybackPlan;
  /** The last frame's plan step (diagnostics, the loop bench). */
  lastStep: PlaybackStep | undefined;
  readonly #reanimate: Reanimate;
  readonly #close: () => Promise<void>;
  /** Frame buffers (footage-sized) free for the next frames. */
  readonly #free: ArrayBuffer[] = [];
  /** Frames handed out, newest last: each stays valid for {@link OUTPUT_BUFFERS} calls. */
  readonly #handedOut: Uint8Array[] = [];
  /** Decoded (or decoding) footage frames by stored index, least recently used first. */
  readonly #cache = new Map<number, Promise<Uint8Array>>();
  /** Plan steps taken ahead of the frame being rendered, their footage already decoding. */
  readonly #ahead: PlaybackStep[] = [];
  /** The previous frame's preparation: frames are prepared and sent in call order. */
  #queue: Promise<unknown> = Promise.resolve();
  /** The last frame asked for (settled, its error swallowed). */
  #last: Promise<unknown> = Promise.resolve();
  readonly #face: ReplicaFace;

  private constructor(
    replica: Replica,
    reanimate: { run: Reanimate; close: () => Promise<void> },
    options: ReplicaPlayerOptions,
  ) {
    this.replica = replica;
    const { width, height } = replica.manifest.footage;
    this.width = width - (width % 2);
    this.height = height - (height % 2);
    this.plan = new PlaybackPlan(replica.planInput(), { ...options.plan, seed: options.seed ?? 0 });
    this.#reanimate = reanimate.run;
    this.#close = reanimate.close;
    const anyFace = replica.face(replica.manifest.usable.indexOf(1)) as ReplicaFace;
    this.#face = {
      weights: new Float32Array(anyFace.weights.length),
      pose: { ...anyFace.pose },
      landmarks: new Float32Array(anyFace.landmarks.length),
      identity: anyFace.identity,
    };
  }

  /**
   * Loads the avatar and prepares the first frame: its footage decoded (and the next ones
   * decoding), the reanimator started and warm, so that the first `render` (a live session's
   * first frame after connect) costs what any frame does.
   */
  static async open(dir: string, options: ReplicaPlayerOptions = {}): Promise<ReplicaPlayer> {
    // The reanimator's worker starts (once per process) while the avatar loads.
    const warming = (options.thread ?? true) ? ReanimatorThread.warmUp() : Promise.resolve();
    warming.catch(() => undefined);
    const model = await loadFaceModel();
    // A reanimator thread loads the mouth bank itself: not here as well.
    const thread = options.thread ?? true;
    const replica = await Replica.load(dir, { mouthBank: !thread && options.mouthBank !== false });
    let player: ReplicaPlayer | undefined;
    try {
      const reanimate = await openReanimator(model, replica, options);
      player = new ReplicaPlayer(replica, reanimate, options);
      await player.#prepare();
    } catch (error) {
      if (player) await player.close();
      else await replica.close();
      throw error;
    }
    return player;
  }

  /**
   * The next frame with the mouth of `weights` (52 ARKit weights, read at the call; only jaw
   * and mouth articulation are used, every other shape stays the footage's). Calls may
   * overlap: frames are prepared in call order (footage decoded on libuv's threads, several
   * ahead) and re-animated one after another on the reanimator's thread while the caller
   * goes on. The buffer is reused {@link OUTPUT_BUFFERS} calls later.
   */
  render(weights: ArrayLike<number>): Promise<Uint8Array> {
    const own = Float32Array.from(weights);
    this.#recycle();
    // The chain waits for each frame to be sent, not for it to be re-animated.
    const sent = this.#queue.then(() => this.#sendNext(own));
    this.#queue = sent.catch(() => undefined);
    const frame = sent.then(({ frame }) => frame);
    this.#last = frame.catch(() => undefined);
    return frame;
  }

  /**
   * Starts playback again as a newly opened player with `seed` would (the same frames, byte
   * for byte), keeping what opening costs: the loaded avatar, the reanimator and its thread,
   * the playback plan's joins and the decoded footage. Waits for the frames asked for so far;
   * their buffers are reused. What {@link ReplicaPlayerPool} does between renders.
   */
  async restart(seed: number): Promise<void> {
    await this.#last;
    this.#free.push(...this.#handedOut.splice(0).map((f) => f.buffer as ArrayBuffer));
    this.#ahead.length = 0;
    this.lastStep = undefined;
    this.plan.restart(seed);
    await this.#prepare();
  }

  /** Prepares the next planned frame and hands it to the reanimator. */
  async #sendNext(weights: Float32Array): Promise<{ frame: Promise<Uint8Array> }> {
    this.#lookAhead();
    const step = this.#ahead.shift() as PlaybackStep;
    this.#lookAhead();
    this.lastStep = step;
    const m = this.replica.manifest;
    const sa = m.playback[step.a] as number;
    const sb = m.playback[step.b] as number;
    const a = await this.#frame(sa);
    const rgb = this.#take(a.length);
    let face = this.replica.face(sa) as ReplicaFace;
    if (step.w > 0 && sb !== sa) {
      mix(a, await this.#frame(sb), step.w, rgb);
      face = this.#mixFace(face, this.replica.face(sb) as ReplicaFace, step.w);
    } else {
      rgb.set(a);
    }
    const { width, height } = m.footage;
    const frame = this.#reanimate({ rgb, width, height, ...face }, weights, false);
    frame.then((out) => this.#handedOut.push(out)).catch(() => undefined);
    return { frame };
  }

  /**
   * Re-animates the first planned frame with a closed mouth (the plan does not advance; the
   * mouth bank's choice is forgotten again): JIT, caches and the thread are warm.
   */
  async #prepare(): Promise<void> {
    this.#lookAhead();
    const m = this.replica.manifest;
    const s = m.playback[(this.#ahead[0] as PlaybackStep).a] as number;
    const a = await this.#frame(s);
    const rgb = this.#take(a.length);
    rgb.set(a);
    const { width, height } = m.footage;
    const face = this.replica.face(s) as ReplicaFace;
    const closed = new Float32Array(face.weights.length);
    const out = await this.#reanimate({ rgb, width, height, ...face }, closed, true);
    this.#free.push(out.buffer as ArrayBuffer);
  }

  /** A free footage-sized buffer (a new one when every buffer is in use). */
  #take(bytes: number): Uint8Array {
    let buffer = this.#free.pop();
    while (buffer && buffer.byteLength !== bytes) buffer = this.#free.pop();
    return new Uint8Array(buffer ?? new ArrayBuffer(bytes));
  }

  /** Frames handed out {@link OUTPUT_BUFFERS} calls ago go back to the free buffers. */
  #recycle(): void {
    while (this.#handedOut.length >= OUTPUT_BUFFERS) {
      this.#free.push((this.#handedOut.shift() as Uint8Array).buffer as ArrayBuffer);
    }
  }

  /** Takes plan steps up to {@link LOOK_AHEAD} ahead and starts decoding their footage. */
  #lookAhead(): void {
    const m = this.replica.manifest;
    while (this.#ahead.length < LOOK_AHEAD) {
      const step = this.plan.next();
      this.#ahead.push(step);
      this.#frame(m.playback[step.a] as number).catch(() => undefined);
      if (step.w > 0) this.#frame(m.playback[step.b] as number).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.#close();
    await this.replica.close();
  }

  /** Stored frame `index`, decoded once while it stays among the recently used. */
  #frame(index: number): Promise<Uint8Array> {
    const hit = this.#cache.get(index);
    if (hit) {
      this.#cache.delete(index);
      this.#cache.set(index, hit);
      return hit;
    }
    const decoding = this.replica.frames.read(index);
    this.#cache.set(index, decoding);
    if (this.#cache.size > FRAME_CACHE) {
      this.#cache.delete(this.#cache.keys().next().value as number);
    }
    return decoding;
  }

  #mixFace(a: ReplicaFace, b: ReplicaFace, w: number): ReplicaFace {
    const f = this.#face;
    lerp(a.weights, b.weights, w, f.weights);
    lerp(a.landmarks, b.landmarks, w, f.landmarks);
    for (const key of ['pitch', 'yaw', 'roll', 'pxPerCm', 'txPx', 'tyPx'] as const) {
      f.pose[key] = a.pose[key] + w * (b.pose[key] - a.pose[key]);
    }
    f.identity = w < 0.5 ? a.identity : b.identity;
    return f;
  }
}

/**
 * The footage's reanimator (mouth-bank painter when the avatar has a bank and it is wanted)
 * on its own thread, or on this one; the output is the footage's size made even.
 */
async function openReanimator(
  model: FaceModel,
  replica: Replica,
  options: ReplicaPlayerOptions,
): Promise<{ run: Reanimate; close: () => Promise<void> }> {
  const { width, height } = replica.manifest.footage;
  const outWidth = width - (width % 2);
  const outHeight = height - (height % 2);
  const sizePx = renderSize(model, replica);
  const withBank = options.mouthBank !== false && replica.manifest.mouthBank !== null;
  if (options.thread ?? true) {
    const thread = await ReanimatorThread.start({
      sizePx,
      ...(withBank ? { mouthBankDir: replica.dir } : {}),
      ...(withBank && options.mouthBankPaint ? { mouthBankPaint: options.mouthBankPaint } : {}),
      planOnCaller: options.planOnCaller ?? process.env.FACECAST_REPLICA_PLAN_HERE === '1',
    });
    return {
      run: async (source, weights, forget) =>
        (await thread.reanimate(source, weights, 1, { outWidth, outHeight, forget })).rgb,
      close: () => thread.close(),
    };
  }
  const bank = withBank ? replica.bank : undefined;
  const paint = options.mouthBankPaint;
  const painter = bank ? mouthBankPainter(model, paint ? bank.withPaint(paint) : bank) : undefined;
  const reanimator = new LowerFaceReanimator(model, sizePx, painter ? { painter } : {});
  return {
    run: async (source, weights, forget) => {
      const { rgb } = reanimateInPlace(reanimator, source, weights, 1, outWidth, outHeight);
      if (forget) painter?.forget();
      return rgb;
    },
    close: async () => reanimator.close(),
  };
}

/** Plan steps decoded ahead of the frame being rendered. */
const LOOK_AHEAD = 3;
/**
 * Decoded footage frames kept: every frame of the steps ahead (a cross-fade reads two
 * streams) and a few behind (ping-pong re-reads).
 */
const FRAME_CACHE = 12;
/** Output buffers used in turn (a caller keeps at most two frames in flight). */
const OUTPUT_BUFFERS = 3;

/**
 * Render grid of the re-animated crop: the crop's own size at the footage's typical face
 * (75th percentile, as src/dub chooses), within the renderer's limits.
 */
function renderSize(model: FaceModel, replica: Replica): number {
  const sides: number[] = [];
  replica.manifest.usable.forEach((u, i) => {
    const face = replica.face(i);
    if (u && face) sides.push(Math.ceil(CROP_INTER_OCULAR * eyeDistance(model, face.landmarks)));
  });
  sides.sort((x, y) => x - y);
  const p75 = sides[Math.floor(0.75 * (sides.length - 1))] ?? MIN_RENDER_SIZE;
  return Math.min(MAX_RENDER_SIZE, Math.max(MIN_RENDER_SIZE, 2 * Math.ceil(p75 / 2)));
}

/** Side of the re-rendered crop in eye distances (src/dub's crop). */
const CROP_INTER_OCULAR = 3.6;

/** Distance between the eye centres of 468 × (x, y) landmarks, px. */
function eyeDistance(model: FaceModel, landmarks: Float32Array): number {
  const centre = (set: ArrayLike<number>) => {
    let x = 0;
    let y = 0;
    for (let k = 0; k < set.length; k++) {
      x += landmarks[(set[k] as number) * 2] as number;
      y += landmarks[(set[k] as number) * 2 + 1] as number;
    }
    return [x / set.length, y / set.length] as const;
  };
  const [lx, ly] = centre(model.sets.leftEye);
  const [rx, ry] = centre(model.sets.rightEye);
  return Math.hypot(lx - rx, ly - ry);
}

function mix(a: Uint8Array, b: Uint8Array, w: number, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) {
    const x = a[i] as number;
    out[i] = x + w * ((b[i] as number) - x) + 0.5;
  }
}

function lerp(a: Float32Array, b: Float32Array, w: number, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const x = a[i] as number;
    out[i] = x + w * ((b[i] as number) - x);
  }
}
