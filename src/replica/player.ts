import { copyFrame, type InteriorPainter, LowerFaceReanimator } from '../dub/index.ts';
import { type FaceModel, loadFaceModel } from '../face/index.ts';
import { innerLipsFromMesh, type MouthBank } from '../mouthbank/index.ts';
import { MAX_RENDER_SIZE, MIN_RENDER_SIZE, PART_LABELS } from '../render/index.ts';
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
  /** Playback-planner settings (src/replica plan.ts). */
  plan?: Omit<PlanOptions, 'seed'>;
}

/**
 * Plays a video avatar: each call gives the next output frame — the footage's own frame
 * (body, blinks, head motion, background) along the playback plan, cross-faded at joins —
 * with the lower face re-animated to the given mouth by the dubbing machinery
 * (src/dub `LowerFaceReanimator`) and the mouth interior painted from the footage's mouth
 * bank. Frames are 25 fps; the caller decides how many (as many as the speech lasts).
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
  readonly #reanimator: LowerFaceReanimator;
  /** Output frames, used in turn: a frame stays valid while the next ones render. */
  readonly #outs: Uint8Array[];
  #outIndex = 0;
  readonly #mixed: Uint8Array;
  /** Decoded (or decoding) footage frames by stored index, least recently used first. */
  readonly #cache = new Map<number, Promise<Uint8Array>>();
  /** Plan steps taken ahead of the frame being rendered, their footage already decoding. */
  readonly #ahead: PlaybackStep[] = [];
  /** The previous render: renders run one at a time, in call order. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #face: ReplicaFace;
  /** The mouth-bank entry shown last (kept across frames against flicker). */
  readonly #bankChoice = { previous: -1 };

  private constructor(replica: Replica, model: FaceModel, options: ReplicaPlayerOptions) {
    this.replica = replica;
    const { width, height } = replica.manifest.footage;
    this.width = width - (width % 2);
    this.height = height - (height % 2);
    this.plan = new PlaybackPlan(replica.planInput(), { ...options.plan, seed: options.seed ?? 0 });
    const bank = options.mouthBank === false ? undefined : replica.bank;
    this.#reanimator = new LowerFaceReanimator(
      model,
      renderSize(model, replica),
      bank ? { painter: bankPainter(model, bank, this.#bankChoice) } : {},
    );
    this.#outs = Array.from(
      { length: OUTPUT_BUFFERS },
      () => new Uint8Array(this.width * this.height * 3),
    );
    this.#mixed = new Uint8Array(width * height * 3);
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
   * decoding), the renderer built and warm, so that the first `render` (a live session's
   * first frame after connect) costs what any frame does.
   */
  static async open(dir: string, options: ReplicaPlayerOptions = {}): Promise<ReplicaPlayer> {
    const model = await loadFaceModel();
    const replica = await Replica.load(dir);
    const player = new ReplicaPlayer(replica, model, options);
    try {
      await player.#prepare();
    } catch (error) {
      await player.close();
      throw error;
    }
    return player;
  }

  /**
   * The next frame with the mouth of `weights` (52 ARKit weights, read at the call; only jaw
   * and mouth articulation are used, every other shape stays the footage's). Calls may
   * overlap: frames render one at a time, in call order, while the footage of the frames
   * after decodes on libuv's threads. The buffer is reused {@link OUTPUT_BUFFERS} calls later.
   */
  render(weights: ArrayLike<number>): Promise<Uint8Array> {
    const own = Float32Array.from(weights);
    const done = this.#queue.then(() => this.#renderNext(own));
    this.#queue = done.catch(() => undefined);
    return done;
  }

  async #renderNext(weights: Float32Array): Promise<Uint8Array> {
    this.#lookAhead();
    const step = this.#ahead.shift() as PlaybackStep;
    this.#lookAhead();
    this.lastStep = step;
    const m = this.replica.manifest;
    const sa = m.playback[step.a] as number;
    const sb = m.playback[step.b] as number;
    const a = await this.#frame(sa);
    let rgb = a;
    let face = this.replica.face(sa) as ReplicaFace;
    if (step.w > 0 && sb !== sa) {
      const b = await this.#frame(sb);
      mix(a, b, step.w, this.#mixed);
      rgb = this.#mixed;
      face = this.#mixFace(face, this.replica.face(sb) as ReplicaFace, step.w);
    }
    const { width, height } = m.footage;
    const out = this.#outs[this.#outIndex] as Uint8Array;
    this.#outIndex = (this.#outIndex + 1) % OUTPUT_BUFFERS;
    copyFrame(rgb, width, out, this.width, this.height);
    this.#reanimator.reanimate(
      { rgb, width, height, ...face },
      weights,
      1,
      out,
      this.width,
      this.height,
    );
    return out;
  }

  /**
   * Renders the first planned frame with a closed mouth into a spare buffer (the plan does
   * not advance; the mouth bank's choice is forgotten again).
   */
  async #prepare(): Promise<void> {
    this.#lookAhead();
    const m = this.replica.manifest;
    const s = m.playback[(this.#ahead[0] as PlaybackStep).a] as number;
    const rgb = await this.#frame(s);
    const { width, height } = m.footage;
    const spare = this.#outs[OUTPUT_BUFFERS - 1] as Uint8Array;
    copyFrame(rgb, width, spare, this.width, this.height);
    const face = this.replica.face(s) as ReplicaFace;
    const closed = new Float32Array(face.weights.length);
    this.#reanimator.reanimate(
      { rgb, width, height, ...face },
      closed,
      1,
      spare,
      this.width,
      this.height,
    );
    this.#bankChoice.previous = -1;
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
    this.#reanimator.close();
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

/** Plan steps decoded ahead of the frame being rendered. */
const LOOK_AHEAD = 3;
/**
 * Decoded footage frames kept: every frame of the steps ahead (a cross-fade reads two
 * streams) and a few behind (ping-pong re-reads).
 */
const FRAME_CACHE = 12;
/** Output buffers used in turn (a caller keeps at most two frames in flight). */
const OUTPUT_BUFFERS = 3;

/** The mouth bank as the reanimator's interior painter (entry kept across frames in `choice`). */
function bankPainter(
  model: FaceModel,
  bank: MouthBank,
  choice: { previous: number },
): InteriorPainter {
  return ({ image, labels, target }) => {
    const lips = innerLipsFromMesh(model.sets.lipsUpperInner, model.sets.lipsLowerInner, target, 3);
    choice.previous = bank.query(lips, choice.previous);
    bank.paint(image, lips, choice.previous, { labels, value: PART_LABELS.mouthInterior });
  };
}

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
