import {
  BLENDSHAPE_COUNT,
  type ControlsFrame,
  neutralFrame,
  setBlendshapeVector,
} from '../controls/index.ts';
import { FACE_VERTEX_COUNT, type FaceModel, type FacePose } from '../face/index.ts';
import { innerLipsFromMesh, type MouthBank } from '../mouthbank/index.ts';
import { PART_LABELS, Renderer, type RgbImage } from '../render/index.ts';
import { blendCrop, type CropSquare, copyFrame } from './composite.ts';
import { FrameGeometry, innerLipGap, lowerFaceWeights, mouthAnchor } from './geometry.ts';
import { LowerFaceMask } from './mask.ts';
import {
  CROP_DROP_INTER_OCULAR,
  CROP_INTER_OCULAR,
  MASK_FEATHER_INTER_OCULAR,
  MASK_GROW_INTER_OCULAR,
} from './options.ts';

/** One real frame to re-animate, with its tracked face (all in the frame's pixels). */
export interface ReanimateSource {
  /** The frame, width × height × 3 (its own reference: the warp samples it). */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** 468 × (x, y) mesh landmarks, frame px (read, not changed). */
  landmarks: Float32Array;
  /** The 52 fitted weights of the frame, ARKit order. */
  weights: ArrayLike<number>;
  /** The fitted weak-perspective pose, frame px. */
  pose: FacePose;
  /** The shot's calibrated neutral, 468 × 3 cm (the tracker's identity). */
  identity: Float32Array;
}

/** What the mouth-interior painter gets: the rendered crop before it is blended back. */
export interface InteriorPaintInput {
  /** The rendered crop (`sizePx` square); paint into its `data`. */
  image: RgbImage;
  /** Part label per crop pixel (src/render `PART_LABELS`; `mouthInterior` is the opening). */
  labels: Uint8Array;
  /** The new mesh, 468 × (x, y, depth) in crop px. */
  target: Float32Array;
  /** The source mesh (the frame's landmarks), same layout. */
  source: Float32Array;
}

/**
 * Draws the mouth interior of a re-animated crop in place of the renderer's procedural fill
 * (a mouth bank of the person's real teeth and tongue).
 */
export type InteriorPainter = (input: InteriorPaintInput) => void;

/** A mouth-bank painter: {@link InteriorPainter} plus forgetting the entry it showed last. */
export interface MouthBankPainter extends InteriorPainter {
  /** Forgets the last entry (the next frame queries afresh, e.g. after a warm-up frame). */
  forget(): void;
}

/**
 * Paints the re-animated mouth's interior from a mouth bank (src/mouthbank: a person's real
 * teeth and tongue): queried with the new mouth's inner lips (the reanimator's crop mesh),
 * the previous frame's entry kept against flicker, colour-matched, inside the renderer's
 * mouth-interior label.
 */
export function mouthBankPainter(model: FaceModel, bank: MouthBank): MouthBankPainter {
  let previous = -1;
  const paint = ({ image, labels, target }: InteriorPaintInput) => {
    const lips = innerLipsFromMesh(model.sets.lipsUpperInner, model.sets.lipsLowerInner, target, 3);
    previous = bank.query(lips, previous, bank.lipColourAt(image, lips));
    bank.paint(image, lips, previous, { labels, value: PART_LABELS.mouthInterior });
  };
  return Object.assign(paint, {
    forget: () => {
      previous = -1;
    },
  });
}

/** What {@link LowerFaceReanimator.plan} reads of a frame: its tracked face, no pixels. */
export type PlanSource = Omit<ReanimateSource, 'rgb' | 'width' | 'height'>;

/** One frame's geometry, crop and blend mask ({@link LowerFaceReanimator.plan}). */
export interface ReanimatePlan {
  crop: CropSquare;
  /** The frame's exact neutral (the renderer's reference identity), 468 × 3 cm. */
  identity: Float32Array;
  /** The frame's fitted weights (the reference's). */
  weights: Float32Array;
  pose: FacePose;
  /** The new mesh, 468 × (x, y, depth) frame px. */
  target: Float32Array;
  /** The new frame's Controls weights. */
  frameWeights: Float32Array;
  /** The source and new meshes in crop grid px (what the painter reads). */
  srcCrop: Float32Array;
  tgtCrop: Float32Array;
  /**
   * The blend mask on the `sizePx` grid: `values` is read only inside `bounds` and, per row,
   * `blendSpans` (src/dub mask.ts `LowerFaceMask`); 0 elsewhere.
   */
  mask: {
    values: Float32Array;
    bounds: { x0: number; y0: number; x1: number; y1: number };
    blendSpans: Int32Array;
  };
  mouthGap: number;
  sourceMouthGap: number;
}

/** What one re-animated frame did. */
export interface ReanimateResult {
  /** The square of the frame that was re-rendered, px. */
  crop: CropSquare;
  /** The blend mask on the `sizePx` grid over the crop (valid until the next call). */
  mask: Float32Array;
  sizePx: number;
  /** Inner-lip gap of the new mouth and of the frame's own, over the eye distance. */
  mouthGap: number;
  sourceMouthGap: number;
}

/**
 * Re-animates the lower face of real frames: the one implementation used by lip-sync dubbing
 * and by video avatars. Per frame: jaw and mouth weights from the new mouth, every other
 * weight the frame's own (`mergeWeights`); the renderer warps the frame itself from its
 * tracked mesh to the new mesh inside a square crop round the lower face and fills the
 * mouth (or an {@link InteriorPainter} paints it); the crop is blended back with a feathered
 * lower-face mask. Every pixel outside the mask stays the frame's. Buffers are allocated
 * once; `close()` releases the renderer.
 *
 * @example
 * const reanimator = new LowerFaceReanimator(model, 512);
 * out.set(frame.rgb);
 * reanimator.reanimate(frame, audioWeights, 1, out);
 */
export class LowerFaceReanimator {
  readonly sizePx: number;
  readonly #model: FaceModel;
  readonly #geometry: FrameGeometry;
  readonly #mask: LowerFaceMask;
  readonly #landmarks = new Float32Array(FACE_VERTEX_COUNT * 2);
  readonly #weights = new Float32Array(BLENDSHAPE_COUNT);
  readonly #srcCrop = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #tgtCrop = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #controls: ControlsFrame = neutralFrame();
  /** The pixels the renderer shades (per grid row: first, last). */
  readonly #region: Int32Array;
  readonly #painter: InteriorPainter | undefined;
  readonly #drawInterior: boolean;
  #renderer: Renderer | undefined;

  /**
   * @param sizePx Render grid of the crop, px (256–1024); crops larger than it are rendered
   *   downscaled and blended back bilinearly.
   * @param options.painter Paints the mouth interior over the renderer's (a mouth bank).
   * @param options.drawInterior The renderer draws the whole interior, never keeping the
   *   frame's own (src/render `drawInterior`; the mouth-bank bench's procedural arm). Default false.
   */
  constructor(
    model: FaceModel,
    sizePx: number,
    options: { painter?: InteriorPainter; drawInterior?: boolean } = {},
  ) {
    this.sizePx = sizePx;
    this.#model = model;
    this.#geometry = new FrameGeometry(model);
    this.#mask = new LowerFaceMask(model, lowerFaceWeights(model), sizePx);
    this.#region = new Int32Array(sizePx * 2);
    this.#painter = options.painter;
    this.#drawInterior = options.drawInterior ?? false;
  }

  /**
   * Re-animates `source`'s lower face towards `audioWeights` (only the audio-driven shapes
   * are used) by `strength` (0 keeps the frame's mouth, 1 the new one) into `out`, which
   * holds the frame's pixels (`outWidth` × `outHeight`, at most the frame's size).
   */
  reanimate(
    source: ReanimateSource,
    audioWeights: ArrayLike<number>,
    strength: number,
    out: Uint8Array,
    outWidth = source.width,
    outHeight = source.height,
  ): ReanimateResult {
    return this.draw(this.plan(source, audioWeights, strength), source, out, outWidth, outHeight);
  }

  /**
   * The first half of {@link reanimate}, which reads no pixel: the frame's geometry (the new
   * mesh), its crop and its blend mask. Its buffers are the reanimator's, valid until the
   * next `plan` (a thread copies them: {@link ReanimatorThread} plans on the caller's thread).
   */
  plan(source: PlanSource, audioWeights: ArrayLike<number>, strength: number): ReanimatePlan {
    const model = this.#model;
    const geometry = this.#geometry;
    const size = this.sizePx;
    this.#landmarks.set(source.landmarks.subarray(0, FACE_VERTEX_COUNT * 2));
    widenInnerLips(model, this.#landmarks, INNER_LIP_WIDEN);
    this.#weights.set(source.weights);
    geometry.update(
      source.identity,
      this.#landmarks,
      this.#weights,
      audioWeights,
      strength,
      source.pose,
    );
    const anchor = mouthAnchor(model, geometry.source, 3);
    const crop = cropSquare(anchor, size);
    const k = size / crop.side;
    toCrop(geometry.source, crop, k, this.#srcCrop);
    toCrop(geometry.target, crop, k, this.#tgtCrop);
    const iodOut = anchor.interOcularPx * k;
    const mask = this.#mask.build(
      this.#srcCrop,
      this.#tgtCrop,
      MASK_GROW_INTER_OCULAR * iodOut,
      MASK_FEATHER_INTER_OCULAR * iodOut,
    );
    return {
      crop,
      identity: geometry.identity,
      weights: this.#weights,
      pose: source.pose,
      target: geometry.target,
      frameWeights: geometry.frameWeights,
      srcCrop: this.#srcCrop,
      tgtCrop: this.#tgtCrop,
      mask: { values: mask, bounds: this.#mask.bounds, blendSpans: this.#mask.blendSpans },
      mouthGap: innerLipGap(model, geometry.target, 3) / anchor.interOcularPx,
      sourceMouthGap: innerLipGap(model, geometry.source, 3) / anchor.interOcularPx,
    };
  }

  /**
   * The second half of {@link reanimate}: renders the planned crop from `source`'s pixels,
   * paints the interior and blends it into `out` under the plan's mask.
   */
  draw(
    plan: ReanimatePlan,
    source: { rgb: Uint8Array; width: number; height: number },
    out: Uint8Array,
    outWidth = source.width,
    outHeight = source.height,
  ): ReanimateResult {
    const size = this.sizePx;
    const { crop, mask } = plan;
    const reference = {
      image: { width: source.width, height: source.height, data: source.rgb },
      identity: plan.identity,
      weights: plan.weights,
      pose: plan.pose,
      crop: { x: crop.x, y: crop.y, width: crop.side, height: crop.side },
    };
    if (this.#renderer) this.#renderer.setReference(reference);
    // Not steadied: the reference changes every frame, which resets the steadier anyway.
    else this.#renderer = Renderer.create(this.#model, reference, { size, steady: false });
    setBlendshapeVector(this.#controls, plan.frameWeights);
    const rendered = this.#renderer.render(this.#controls, {
      vertices: plan.target,
      drawInterior: this.#drawInterior,
      region: shadedRegion(mask.blendSpans, this.#region),
    });
    this.#painter?.({
      image: rendered.composite,
      labels: rendered.maps.labels,
      target: plan.tgtCrop,
      source: plan.srcCrop,
    });
    blendCrop(out, outWidth, outHeight, rendered.composite.data, mask.values, size, crop, {
      bounds: mask.bounds,
      spans: mask.blendSpans,
    });
    return {
      crop,
      mask: mask.values,
      sizePx: size,
      mouthGap: plan.mouthGap,
      sourceMouthGap: plan.sourceMouthGap,
    };
  }

  /** Releases the renderer. Idempotent. */
  close(): void {
    this.#renderer?.close();
    this.#renderer = undefined;
  }
}

/**
 * Re-animates a frame in its own buffer: `source.rgb` becomes the output when it has the
 * output's size (the reanimator reads the frame before it writes), else a copy of it of
 * `outWidth` × `outHeight` (a fresh buffer) is. What {@link ReanimatorThread} runs per frame,
 * and video avatars without a thread.
 */
export function reanimateInPlace(
  reanimator: LowerFaceReanimator,
  source: ReanimateSource,
  audioWeights: ArrayLike<number>,
  strength: number,
  outWidth: number,
  outHeight: number,
): { rgb: Uint8Array; result: ReanimateResult } {
  const plan = reanimator.plan(source, audioWeights, strength);
  return drawInPlace(reanimator, plan, source, outWidth, outHeight);
}

/** {@link reanimateInPlace} from a plan made beforehand (on another thread, say). */
export function drawInPlace(
  reanimator: LowerFaceReanimator,
  plan: ReanimatePlan,
  source: { rgb: Uint8Array; width: number; height: number },
  outWidth: number,
  outHeight: number,
): { rgb: Uint8Array; result: ReanimateResult } {
  let out = source.rgb;
  if (outWidth !== source.width || outHeight !== source.height) {
    out = new Uint8Array(outWidth * outHeight * 3);
    copyFrame(source.rgb, source.width, out, outWidth, outHeight);
  }
  const result = reanimator.draw(plan, source, out, outWidth, outHeight);
  return { rgb: out, result };
}

/**
 * The detector's inner-lip contour sits inside the visible opening (it under-reports how far
 * the mouth is open: teeth show between it and the lips). Moving each inner-lip point of the
 * source away from its partner by this share of their gap puts those teeth pixels inside the
 * opening, which collapses when the new mouth closes, instead of on the lips, which would
 * carry them along as a light line between closed lips.
 */
const INNER_LIP_WIDEN = 0.15;

/** Widens the inner-lip gap of 468 × (x, y) landmarks in place (corners stay). */
export function widenInnerLips(
  model: FaceModel,
  landmarks: Float32Array,
  share = INNER_LIP_WIDEN,
): void {
  const upper = model.sets.lipsUpperInner;
  const lower = model.sets.lipsLowerInner;
  for (let k = 1; k + 1 < upper.length; k++) {
    const u = (upper[k] as number) * 2;
    const l = (lower[k] as number) * 2;
    const dx = (landmarks[l] as number) - (landmarks[u] as number);
    const dy = (landmarks[l + 1] as number) - (landmarks[u + 1] as number);
    landmarks[u] = (landmarks[u] as number) - share * dx;
    landmarks[u + 1] = (landmarks[u + 1] as number) - share * dy;
    landmarks[l] = (landmarks[l] as number) + share * dx;
    landmarks[l + 1] = (landmarks[l + 1] as number) + share * dy;
  }
}

/**
 * The square re-rendered round the mouth: CROP_INTER_OCULAR eye distances wide (at least the
 * grid), centred CROP_DROP_INTER_OCULAR eye distances below the lips.
 */
function cropSquare(
  anchor: { x: number; y: number; interOcularPx: number },
  size: number,
): CropSquare {
  const side = Math.max(size, Math.ceil(CROP_INTER_OCULAR * anchor.interOcularPx));
  return {
    x: Math.round(anchor.x - side / 2),
    y: Math.round(anchor.y + CROP_DROP_INTER_OCULAR * anchor.interOcularPx - side / 2),
    side,
  };
}

/**
 * The pixels of the crop the renderer shades: where the mask exceeds BLEND_MIN (the only
 * pixels blending changes, src/dub composite.ts), grown by the 1 px (and row) round such a
 * pixel that bilinear blending also reads. Pixels outside it are never blended.
 */
function shadedRegion(maskSpans: Int32Array, out: Int32Array): Int32Array {
  const rows = out.length / 2;
  for (let y = 0; y < rows; y++) {
    let first = rows;
    let last = -1;
    for (let r = Math.max(0, y - 1); r <= Math.min(rows - 1, y + 1); r++) {
      const a = maskSpans[r * 2] as number;
      const b = maskSpans[r * 2 + 1] as number;
      if (a > b) continue;
      first = Math.min(first, a);
      last = Math.max(last, b);
    }
    out[y * 2] = last < 0 ? 1 : Math.max(0, first - 1);
    out[y * 2 + 1] = last < 0 ? 0 : Math.min(rows - 1, last + 1);
  }
  return out;
}

/** Mesh px (x, y, depth) → render-grid px of the crop. */
function toCrop(points: Float32Array, crop: CropSquare, k: number, out: Float32Array): void {
  for (let i = 0; i < points.length; i += 3) {
    out[i] = ((points[i] as number) - crop.x) * k;
    out[i + 1] = ((points[i + 1] as number) - crop.y) * k;
    out[i + 2] = (points[i + 2] as number) * k;
  }
}
