/**
 * The real stages of a live session: the motion runtime (src/motion, one shared ONNX model,
 * one stream per session), the warp-only renderer (src/render) of an avatar profile
 * (src/face) or the player of a video avatar (src/replica), and a TTS provider (src/tts)
 * for `text` messages.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { BodyModel, BodyStream } from '../body/index.ts';
import { BLENDSHAPE_COUNT, blendshapeVector } from '../controls/index.ts';
import { isFacecastError, throwIfAborted } from '../core/index.ts';
import { type FaceModel, loadFaceModel, PROFILE_FILE } from '../face/index.ts';
import { framedReference, type Generator } from '../generator/index.ts';
import { MotionModel, type MotionModelOptions } from '../motion/index.ts';
import { createRenderer } from '../render/index.ts';
import { isReplicaDir, ReplicaPlayer } from '../replica/index.ts';
import { speechChunks, type TtsProvider } from '../tts/index.ts';
import { LiveError } from './errors.ts';
import type { MotionPort, RenderPort, SpeechPort, StageFactory } from './ports.ts';
import { RenderWorker } from './render-worker.ts';

/** Maps an avatar id to its profile folder; undefined when there is no such avatar. */
export type AvatarResolver = (
  avatarId: string,
  context: { signal?: AbortSignal },
) => Promise<string | undefined>;

const AVATAR_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Resolves ids to `<root>/<id>` folders that hold an avatar profile, searching the roots in
 * order. Ids are restricted to `[A-Za-z0-9_-]` (no path tricks).
 *
 * @example
 * const resolve = avatarFolders(['data/avatars', 'test/fixtures/avatars']);
 * await resolve('s42', {}); // 'test/fixtures/avatars/s42'
 */
export function avatarFolders(
  roots: readonly string[],
): AvatarResolver & { list(): Promise<string[]> } {
  const resolve = async (avatarId: string) => {
    if (!AVATAR_ID.test(avatarId)) return undefined;
    for (const root of roots) {
      const dir = join(root, avatarId);
      const photo = await access(join(dir, PROFILE_FILE)).then(
        () => true,
        () => false,
      );
      if (photo || (await isReplicaDir(dir))) return dir;
    }
    return undefined;
  };
  return Object.assign(resolve, {
    async list() {
      const { readdir } = await import('node:fs/promises');
      const ids = new Set<string>();
      for (const root of roots) {
        const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
        for (const e of entries) if (e.isDirectory() && (await resolve(e.name))) ids.add(e.name);
      }
      return [...ids].sort();
    },
  });
}

/** Options of {@link createLiveStages}. */
export interface LiveStagesOptions {
  resolveAvatar: AvatarResolver;
  /** A loaded motion model to share; default: load the shipped one (and close it in `close()`). */
  motion?: MotionModel;
  motionOptions?: MotionModelOptions;
  /**
   * The body model (src/body) to share: each photo-avatar session then runs a body stream
   * beside its motion stream (neck, shoulders, torso sway; the renderer's torso pass moves
   * them). Default: load the shipped one (and close it in `close()`); `false`: none.
   */
  body?: BodyModel | false;
  /** The face model to share; default: load the shipped one. */
  faceModel?: FaceModel;
  /** TTS for `text` messages, or a loader called on first use; default none (text is refused with LIVE_TTS_UNAVAILABLE). */
  tts?: TtsProvider | (() => Promise<TtsProvider>);
  /**
   * Where each session renders: `worker` (default) on its own worker thread, beside the
   * event loop that carries audio and signalling; `inline` on the main thread.
   */
  render?: 'worker' | 'inline';
  /**
   * A loaded generator (src/generator): each session then renders on the main thread and
   * runs generator + super-resolution on every frame (windows of one frame: no frame waits
   * for later ones). Chosen by `facecast serve --generator`; the caller closes it.
   */
  generator?: Generator;
}

/**
 * The stage factory the server runs: one motion model for all sessions, a motion stream
 * and a renderer per session.
 *
 * @example
 * const stages = await createLiveStages({ resolveAvatar: avatarFolders(['data/avatars']) });
 * const manager = new SessionManager({ stages });
 */
export async function createLiveStages(
  options: LiveStagesOptions,
): Promise<StageFactory & { readonly model: MotionModel; close(): Promise<void> }> {
  const owned = options.motion === undefined;
  const model = options.motion ?? (await MotionModel.load(options.motionOptions));
  const faceModel = options.faceModel ?? (await loadFaceModel());
  const ownsBody = options.body === undefined;
  const body = options.body === false ? undefined : (options.body ?? (await BodyModel.load()));
  // Warm the shared model once (its first inference is slow), on a throwaway stream.
  const warm = model.createStream();
  await warm.process({ pcm: new Float32Array(1600) });
  warm.close();
  const tts = options.tts;
  const provider = typeof tts === 'function' ? tts : async () => tts as TtsProvider;
  const speech: SpeechPort | undefined = tts && {
    async synthesize(text, { voice, signal }) {
      const result = await (await provider()).synthesize(text, {
        ...(voice ? { voice } : {}),
        ...(signal ? { signal } : {}),
      });
      return result.samples;
    },
    async *stream(text, { voice, signal }) {
      const options = { ...(voice ? { voice } : {}), ...(signal ? { signal } : {}) };
      for await (const chunk of speechChunks(await provider(), text, options)) yield chunk.samples;
    },
  };
  return {
    model,
    ...(speech ? { speech } : {}),
    async open(avatarId, { size, seed }, { signal }) {
      const dir = await options.resolveAvatar(avatarId, signal ? { signal } : {});
      if (!dir) throw new LiveError('LIVE_AVATAR_NOT_FOUND', `no avatar "${avatarId}"`);
      throwIfAborted(signal);
      const render = (await isReplicaDir(dir))
        ? await replicaRenderer(avatarId, dir, seed, signal)
        : options.generator
          ? await generatedRenderer(avatarId, dir, size, faceModel, options.generator, signal)
          : options.render === 'inline'
            ? await inlineRenderer(avatarId, dir, size, faceModel, signal)
            : await RenderWorker.start(dir, { size, ...(signal ? { signal } : {}) });
      const stream = model.createStream({ seed });
      const bodyStream = body ? new BodyStream(body, { seed }) : undefined;
      const motion: MotionPort = {
        async process(samples) {
          const frames = (await stream.process({ pcm: samples })).frames;
          if (!bodyStream) return frames;
          bodyStream.pushAudio(samples);
          return bodyStream.process(frames);
        },
        interrupt: () => stream.interrupt(),
        close: () => {
          bodyStream?.close();
          stream.close();
        },
      };
      return { motion, renderer: render };
    },
    async close() {
      if (owned) await model.close();
      if (ownsBody) await body?.close();
    },
  };
}

/**
 * A video avatar (src/replica): its footage at 25 fps along the playback plan, the mouth
 * re-animated to each frame's Controls; tracking was done at creation, so each frame costs
 * one JPEG decode, the lower-face render and the blend. Output at the footage's size.
 */
async function replicaRenderer(
  avatarId: string,
  dir: string,
  seed: number,
  signal: AbortSignal | undefined,
): Promise<RenderPort> {
  throwIfAborted(signal);
  // On the calling thread: live needs 25 fps, which one thread gives with room to spare,
  // and the reanimator thread's hand-over delays the first frame after connect
  // (replica-live bench, same machine: 261 ms here vs 308–384 ms on the thread).
  const player = await ReplicaPlayer.open(dir, { seed, thread: false }).catch((error: unknown) => {
    throw new LiveError('LIVE_AVATAR_NOT_FOUND', `video avatar "${avatarId}" cannot be played`, {
      cause: error,
    });
  });
  const weights = new Float32Array(BLENDSHAPE_COUNT);
  const { width, height } = player;
  return {
    width,
    height,
    async render(controls) {
      return { width, height, data: await player.render(blendshapeVector(controls, weights)) };
    },
    close: () => player.close(),
  };
}

async function inlineRenderer(
  avatarId: string,
  dir: string,
  size: number,
  faceModel: FaceModel,
  signal: AbortSignal | undefined,
): Promise<RenderPort> {
  const renderer = await openRenderer(avatarId, dir, size, faceModel, signal);
  return {
    width: renderer.width,
    height: renderer.height,
    render: (controls) => renderer.render(controls).composite,
    close: () => renderer.close(),
  };
}

/** Warp on the main thread, then generator + super-resolution, one frame per window. */
async function generatedRenderer(
  avatarId: string,
  dir: string,
  size: number,
  faceModel: FaceModel,
  generator: Generator,
  signal: AbortSignal | undefined,
): Promise<RenderPort> {
  const renderer = await openRenderer(avatarId, dir, size, faceModel, signal);
  const reference = renderer.reference;
  if (!reference) {
    renderer.close();
    throw new LiveError('LIVE_AVATAR_NOT_FOUND', `avatar "${avatarId}" has no reference image`);
  }
  const framed = framedReference(reference, renderer.width, renderer.height);
  const stream = generator.createStream({ framesPerWindow: 1 });
  return {
    width: renderer.width,
    height: renderer.height,
    async render(controls) {
      const { composite, maps } = renderer.render(controls);
      const [out] = await stream.push({ composite, maps, reference: framed });
      return out ?? composite;
    },
    close: () => {
      stream.close();
      renderer.close();
    },
  };
}

async function openRenderer(
  avatarId: string,
  dir: string,
  size: number,
  faceModel: FaceModel,
  signal: AbortSignal | undefined,
) {
  try {
    return await createRenderer(dir, {
      size,
      model: faceModel,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (isFacecastError(error) && error.kind !== 'internal') {
      throw new LiveError(
        'LIVE_AVATAR_NOT_FOUND',
        `avatar "${avatarId}" cannot be rendered: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
