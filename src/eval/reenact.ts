import { bodyPoseSchema } from '../controls/index.ts';
import { throwIfAborted } from '../core/index.ts';
import { FaceLandmarker, type FaceModel } from '../face/index.ts';
import { openVideoFrames } from '../media/index.ts';
import type { MouthBank } from '../mouthbank/index.ts';
import {
  createRgbImage,
  MAX_RENDER_SIZE,
  MIN_RENDER_SIZE,
  type Point,
  Renderer,
  type RenderOutput,
  type RenderReference,
  type RgbImage,
  resizeRgb,
  segmentPerson,
} from '../render/index.ts';
import { EvaluationError } from './errors.ts';
import { reenactmentControls } from './reenact-controls.ts';
import type { ClipTrack } from './track.ts';

/** One re-rendered frame of a self-reenactment and the real frame it should equal. */
export interface ReenactedFrame {
  frameIndex: number;
  /** The frame used as the reference (the first faced frame at or after the one asked for). */
  referenceIndex: number;
  /** Whether the tracker found the face in this frame (else its Controls are held). */
  faceFound: boolean;
  /** The real frame at the render size. Reused between frames: copy what you keep. */
  real: RgbImage;
  /** The renderer's output for the tracked Controls (its own buffers, reused). */
  output: RenderOutput;
  /** The reference image in the output framing (what the generator's reference crop uses). */
  reference: RgbImage;
  /**
   * With `baseline`: the same frame rendered as before the realism work (no person matte, no
   * temporal steadiness; the renderer's own buffer).
   */
  baseline?: RgbImage;
  /** With `body`: the same frame with the body channels zeroed (a still torso; own buffer). */
  stillTorso?: RgbImage;
  /** With `body`: the reference frame's detected shoulders (subject's left, right), output px. */
  shoulders?: { left: Point; right: Point };
}

/** Options of {@link reenactFrames}. */
export interface ReenactOptions {
  /** The frame used as the reference. Default 0 (the first frame with a face at or after it). */
  referenceIndex?: number;
  /** Also render each frame without the reference's person matte. Default false. */
  baseline?: boolean;
  /**
   * Move the reference's torso with the tracked body channels (the track must have them:
   * `trackClip(…, { bodyEvery: 1 })`): the reference frame's shoulders are detected (MoveNet)
   * and given to the renderer, and every frame is also rendered with the body zeroed
   * (`stillTorso`). Throws EVAL_NO_BODY when the reference frame shows no shoulders. Default
   * false (the body channels still apply, on the face-only body prior).
   */
  body?: boolean;
  /**
   * With `body`: also move the reference's arms (its confident elbows and wrists go to the
   * renderer's limb pass). Default true; false leaves the arms to the torso pass.
   */
  arms?: boolean;
  /** Real mouths to paint the interior from (src/render `mouthBank`). Default: the drawn one. */
  mouthBank?: MouthBank;
  model: FaceModel;
  signal?: AbortSignal;
}

/** The render size for a decoded frame: its longer side, kept within the renderer's range. */
export function reenactRenderSize(track: Pick<ClipTrack, 'width' | 'height'>): number {
  return Math.min(MAX_RENDER_SIZE, Math.max(MIN_RENDER_SIZE, Math.max(track.width, track.height)));
}

/**
 * Self-reenactment of a tracked clip: decodes it again (same size as when tracked), takes the
 * reference frame, and renders every frame from its tracked Controls
 * ({@link reenactmentControls}), yielding the render next to the real frame.
 *
 * @example
 * for await (const f of reenactFrames('clip.mp4', track, { model })) score(f.output.composite, f.real);
 */
export async function* reenactFrames(
  path: string,
  track: ClipTrack,
  options: ReenactOptions,
): AsyncGenerator<ReenactedFrame> {
  const { model, signal } = options;
  const plan = reenactmentControls(track, options.referenceIndex ?? 0, model.interOcularCm);
  const decode = () => openVideoFrames(path, { fps: 25, maxSize: track.maxSize, signal });
  // First pass: the reference image.
  let referenceImage: RgbImage | undefined;
  for await (const frame of await decode()) {
    if (frame.frameIndex === plan.referenceIndex) {
      checkSize(frame, track);
      referenceImage = { width: frame.width, height: frame.height, data: frame.rgb };
      break;
    }
  }
  if (!referenceImage) {
    throw new EvaluationError(
      'EVAL_BAD_TRACK',
      `${path}: frame ${plan.referenceIndex} was not decoded`,
    );
  }
  // The reference frame's person matte, as a photo avatar gets it (background held still).
  const person = await segmentPerson(referenceImage, signal);
  const joints = options.body ? await detectJoints(referenceImage, path, signal) : undefined;
  const shoulders = joints?.shoulders;
  const reference = {
    ...plan.reference,
    image: referenceImage,
    person,
    ...(joints ? { shoulders: joints.shoulders } : {}),
    ...(joints && options.arms !== false ? { arms: joints.arms } : {}),
  };
  const rendererOptions = {
    size: reenactRenderSize(track),
    ...(options.mouthBank ? { mouthBank: options.mouthBank } : {}),
  };
  const renderer = Renderer.create(model, reference, rendererOptions);
  const still = shoulders ? Renderer.create(model, reference, rendererOptions) : undefined;
  const restBody = bodyPoseSchema.parse({});
  const before = options.baseline
    ? Renderer.create(
        model,
        { ...plan.reference, image: referenceImage },
        { size: reenactRenderSize(track), steady: false },
      )
    : undefined;
  try {
    const { width, height } = renderer;
    const referenceOut = resizeRgb(referenceImage, createRgbImage(width, height));
    const k = width / referenceImage.width;
    const shouldersOut = shoulders && {
      left: { x: shoulders.left.x * k, y: shoulders.left.y * k },
      right: { x: shoulders.right.x * k, y: shoulders.right.y * k },
    };
    const real = createRgbImage(width, height);
    for await (const frame of await decode()) {
      throwIfAborted(signal);
      const controls = plan.frames[frame.frameIndex];
      if (!controls) break;
      checkSize(frame, track);
      const image = { width: frame.width, height: frame.height, data: frame.rgb };
      if (frame.width === width && frame.height === height) real.data.set(frame.rgb);
      else resizeRgb(image, real);
      yield {
        frameIndex: frame.frameIndex,
        referenceIndex: plan.referenceIndex,
        faceFound: track.frames[frame.frameIndex]?.pose != null,
        real,
        output: renderer.render(controls),
        reference: referenceOut,
        ...(before ? { baseline: before.render(controls).composite } : {}),
        ...(still && shouldersOut
          ? {
              stillTorso: still.render({ ...controls, body: restBody }).composite,
              shoulders: shouldersOut,
            }
          : {}),
      };
    }
  } finally {
    renderer.close();
    before?.close();
    still?.close();
  }
}

/** Body keypoints below this MoveNet score do not count. */
const MIN_JOINT_SCORE = 0.3;

/**
 * Both shoulder centres of an image and whichever elbows and wrists are confidently seen
 * (MoveNet via the landmarker's body model), image px.
 */
async function detectJoints(
  image: RgbImage,
  path: string,
  signal: AbortSignal | undefined,
): Promise<{ shoulders: { left: Point; right: Point }; arms: RenderReference['arms'] }> {
  const landmarker = await FaceLandmarker.load({ body: true, signal });
  try {
    const { body } = await landmarker.detect(image, { body: true, face: false, signal });
    const at = (name: string) => {
      const k = body?.keypoints.find((p) => p.name === name && p.score >= MIN_JOINT_SCORE);
      return k && { x: k.x, y: k.y };
    };
    const left = at('leftShoulder');
    const right = at('rightShoulder');
    if (!left || !right)
      throw new EvaluationError('EVAL_NO_BODY', `${path}: no shoulders in the reference frame`);
    const arms: RenderReference['arms'] = {};
    for (const joint of ['leftElbow', 'leftWrist', 'rightElbow', 'rightWrist'] as const) {
      const point = at(joint);
      if (point) arms[joint] = point;
    }
    return { shoulders: { left, right }, arms };
  } finally {
    await landmarker.close();
  }
}

function checkSize(frame: { width: number; height: number }, track: ClipTrack): void {
  if (frame.width !== track.width || frame.height !== track.height) {
    throw new EvaluationError(
      'EVAL_BAD_TRACK',
      `${track.clip}: decoded ${frame.width}×${frame.height}, the track says ${track.width}×${track.height}`,
    );
  }
}
