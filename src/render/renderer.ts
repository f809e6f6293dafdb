import {
  BLENDSHAPE_COUNT,
  blendshapeVector,
  type ControlsFrame,
  type Gaze,
} from '../controls/index.ts';
import {
  applyHeadDelta,
  FACE_VERTEX_COUNT,
  type FaceModel,
  type FacePose,
  type PixelBox,
  poseVertices,
} from '../face/index.ts';
import type { MouthBank } from '../mouthbank/index.ts';
import { BankInterior } from './bank-interior.ts';
import { bodyGeometry, fillBodyMask, type Point } from './body.ts';
import { RenderError } from './errors.ts';
import { drawPhotoLashes } from './eyes.ts';
import { createRgbImage, type PixelRect, type RgbImage, resizeRgb } from './image.ts';
import { PART_LABELS } from './labels.ts';
import { ARM_JOINTS, type ArmJoint, type LimbJoints, LimbWarp } from './limbs.ts';
import type { RenderMaps } from './maps.ts';
import { buildBackgroundPlate, holdBackground } from './matte.ts';
import { fillMouth, type MouthFrame, type MouthStyle, mouthStyle, smoothstep } from './mouth.ts';
import {
  drawSurfaceTriangles,
  drawWarpTriangles,
  GeometryBuffer,
  type SurfaceBatch,
} from './raster.ts';
import {
  HIDDEN_IN_SOURCE,
  packRgba,
  RIGHT_EYE_U_OFFSET,
  type ShadeInputs,
  shadeFrame,
} from './shade.ts';
import { fitSimilarity, type Similarity, Skirt } from './skirt.ts';
import { TemporalSteadier } from './steady.ts';
import { buildTopology, type OpeningStrip, type RenderTopology } from './topology.ts';
import { TorsoWarp } from './torso.ts';

/**
 * What the renderer warps from: an image and the face model fitted to it. A photo avatar
 * gives one for its whole life; lip-sync dubbing gives one per source video frame.
 */
export interface RenderReference {
  /** The image (any size); coordinates below are in its pixels. */
  image: RgbImage;
  /** The person's neutral shape, 468 × 3 model cm (AvatarProfile `fit.identity`). */
  identity: ArrayLike<number>;
  /** The expression the image shows, 52 ARKit weights (AvatarProfile `fit.blendshapes`). */
  weights: ArrayLike<number>;
  /** The fitted weak-perspective pose in image pixels (AvatarProfile `fit.pose`). */
  pose: FacePose;
  /**
   * Where the face's 468 vertices are in the image (x, y, z per point, px; z unused), when
   * that is not exactly `poseVertices(identity, weights, pose)`: an avatar whose neutral had
   * its lips sealed (src/face `closeMouth`) samples the photo at its detected landmarks, so
   * the lips keep their own texture. Default: the fitted mesh.
   */
  sourcePoints?: ArrayLike<number>;
  /** Region of the image to render; its aspect sets the output's. Default: the whole image. */
  crop?: PixelBox;
  /** The eyes' rotation in the image (radians); gaze Controls are applied relative to it. Default 0. */
  gaze?: Gaze;
  /** Detected shoulder centres (subject's left/right) in image pixels, to place the body prior. */
  shoulders?: { left: Point; right: Point };
  /**
   * Detected arm joints (elbows, wrists; subject's left/right) in image pixels, with
   * `shoulders`: the arms then follow the Controls' elbows and wrists (src/render/limbs.ts).
   */
  arms?: Partial<Record<ArmJoint, Point>>;
  /**
   * Person matte of `image` (src/segmentation), 0–255 per image pixel, row-major. With it
   * the background stays still while the head and hair move, and the silhouette blends
   * (src/render/matte.ts). Default: none (the skirt alone moves the surroundings).
   */
  person?: Uint8Array;
}

/** Renderer options; defaults in {@link RENDERER_DEFAULTS}. */
export interface RendererOptions {
  /** Longer side of the output in pixels, 256–1024; both sides are rounded to even. Default 512. */
  size?: number;
  /**
   * Focal length (px of the reference image) of the pinhole camera that turns Controls
   * `head.z` into a scale change. Default: the reference image's larger side (what `track`
   * assumes).
   */
  focalPx?: number;
  /**
   * Low-pass small frame-to-frame changes of the composite (src/render/steady.ts): jitter of
   * a pixel or less stops shimmering, real motion passes. Reset by `setReference`. Default true.
   */
  steady?: boolean;
  /**
   * Real mouths (src/mouthbank) to paint the mouth interior from where it opens beyond the
   * reference's own (src/render/bank-interior.ts). Default: none (the drawn interior).
   */
  mouthBank?: MouthBank;
}

interface ResolvedOptions {
  size: number;
  focalPx: number | undefined;
  steady: boolean;
  mouthBank: MouthBank | undefined;
}

export const RENDERER_DEFAULTS = Object.freeze({ size: 512, steady: true });
export const MIN_RENDER_SIZE = 256;
export const MAX_RENDER_SIZE = 1024;

/** Per-call options of {@link Renderer.render}. */
export interface RenderFrameOptions {
  /**
   * The posed mesh to render, 468 × (x, y, depth) in reference-image px, used instead of
   * `poseVertices(reference identity, frame weights, reference pose ∘ frame head)`. For
   * callers that shape the face themselves (lip-sync dubbing puts the model's mouth on a
   * tracked face); the frame's weights still drive blink completion and the mouth fill.
   */
  vertices?: Float32Array;
  /**
   * Draw the whole mouth interior, even where the reference's own would be kept (its real
   * teeth while the mouth is open no wider than in the reference). For comparing interiors
   * on a frame that is its own reference (the video-avatar mouth-bank bench). Default false.
   */
  drawInterior?: boolean;
  /**
   * Shade only these pixels: per output row, the first and last pixel (inclusive; first >
   * last for none), height × 2 values. Every other pixel of the composite and the maps keeps
   * a stale value. For callers that use part of the frame (the lower-face reanimator blends
   * only under its mask). The next frame without a region is redrawn whole. Default: the
   * whole frame.
   */
  region?: Int32Array;
}

/** One rendered frame. Buffers belong to the renderer and are reused by the next `render()`. */
export interface RenderOutput {
  /** Warp-only talking-photo frame (mouth interior filled, lash line on closing eyes). */
  composite: RgbImage;
  maps: RenderMaps;
}

/** Openings are hidden only by surface at least this far in front of them, cm. */
const OPENING_DEPTH_BIAS_CM = 0.6;

/** Radius of the eyeball, cm: how far the iris moves per radian of gaze. */
const EYEBALL_RADIUS_CM = 1.2;

/**
 * Renders Controls frames against a reference: deforms the fitted mesh by the 52 weights,
 * poses it by the reference pose composed with the Controls head pose (src/face
 * `applyHeadDelta` + `poseVertices`, the projection the fitter uses), rasterises it and the
 * skirt around it, and shades the warped reference, the maps and the composite.
 *
 * Expression rule: Controls weights are absolute and **replace** the reference's own
 * weights; the head pose is a delta on the reference's fitted pose. So the Controls frame
 * `{ blendshapes: reference weights, head: 0 }` reproduces the reference exactly, and all
 * weights 0 gives the person's neutral face (closing a smiling photo's mouth).
 *
 * Every buffer is allocated up front; `render()` allocates nothing but a few small objects
 * inside `applyHeadDelta`.
 *
 * @example
 * const renderer = await createRenderer('avatars/anna', { size: 512 });
 * const { composite, maps } = renderer.render(frame);
 * await writer.writeFrame(composite.data);
 */
export class Renderer {
  readonly model: FaceModel;
  readonly topology: RenderTopology;
  /** Output size, px. */
  readonly width: number;
  readonly height: number;
  readonly #options: ResolvedOptions;
  readonly #g: GeometryBuffer;
  readonly #skirt: Skirt;
  readonly #vertexCount: number;
  /** Target positions of every vertex, output px (x, y, depth). */
  readonly #tgt: Float32Array;
  readonly #tgtFace: Float32Array;
  /** Source positions of every vertex, output px. */
  readonly #src: Float32Array;
  readonly #face = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #aux = new Float32Array(FACE_VERTEX_COUNT * 3);
  readonly #weights = new Float32Array(BLENDSHAPE_COUNT);
  readonly #similarity: Similarity = { a: 1, b: 0, tx: 0, ty: 0 };
  readonly #reference: RgbImage;
  readonly #reference32: Uint32Array;
  readonly #bodyMask: Uint8Array;
  /** The reference's person matte at output size (source space) and its background plate. */
  readonly #matte: Uint8Array;
  readonly #plate: Uint8Array;
  #hasMatte = false;
  readonly #steadier: TemporalSteadier | undefined;
  readonly #bankInterior: BankInterior | undefined;
  /** Moves neck and shoulders with the body Controls (src/render/torso.ts). */
  readonly #torso: TorsoWarp;
  /** Moves the arms with the body Controls when the reference shows them (src/render/limbs.ts). */
  readonly #limbs: LimbWarp;
  /** Whether the torso moved since the reference was set (the steadier then covers it). */
  #torsoActive = false;
  readonly #steadySpans: Int32Array;
  /** The matte and plate the torso pass holds the background with (allocated once). */
  readonly #torsoHold: { matte: Uint8Array; plate: Uint8Array };
  readonly #composite: RgbImage;
  readonly #maps: RenderMaps;
  readonly #gazeShift = new Float32Array(4);
  readonly #surface: SurfaceBatch;
  readonly #strips: SurfaceBatch[];
  readonly #shadeInputs: ShadeInputs;
  readonly #output: RenderOutput;
  readonly #mouthFrame: MouthFrame = { widthPx: 0, rest: 0, x0: 0, x1: -1, y0: 0, y1: -1 };
  #surfaceLabels: Uint8Array;
  /** Per row, the pixel range that can change between frames (inside the static ring). */
  readonly #spans: Int32Array;
  readonly #staticRing: Uint32Array;
  readonly #movingFirst: number;
  readonly #movingCount: number;
  /** Draw and shade the whole frame on the next render (new reference, or after overflow). */
  #fullNext = true;
  #frameCount = 0;
  #fullFrameCount = 0;
  #ref: ReferenceState | undefined;
  #closed = false;

  private constructor(model: FaceModel, width: number, height: number, options: ResolvedOptions) {
    this.model = model;
    this.topology = buildTopology(model);
    this.width = width;
    this.height = height;
    this.#options = options;
    this.#g = new GeometryBuffer(width, height);
    this.#skirt = new Skirt(this.topology.oval, FACE_VERTEX_COUNT);
    this.#vertexCount = this.#skirt.endVertex;
    this.#tgt = new Float32Array(this.#vertexCount * 3);
    this.#tgtFace = this.#tgt.subarray(0, FACE_VERTEX_COUNT * 3);
    this.#src = new Float32Array(this.#vertexCount * 2);
    this.#reference = createRgbImage(width, height);
    this.#reference32 = new Uint32Array(width * height);
    this.#spans = new Int32Array(height * 2);
    this.#steadySpans = new Int32Array(height * 2);
    this.#torso = new TorsoWarp(width, height);
    this.#limbs = new LimbWarp(width, height);
    this.#staticRing = this.#skirt.staticRing();
    const moving = this.#skirt.movingVertices();
    this.#movingFirst = moving.first;
    this.#movingCount = moving.count;
    this.#bodyMask = new Uint8Array(width * height);
    this.#matte = new Uint8Array(width * height);
    this.#plate = new Uint8Array(width * height * 3);
    this.#torsoHold = { matte: this.#matte, plate: this.#plate };
    this.#steadier = options.steady ? new TemporalSteadier(width, height) : undefined;
    this.#bankInterior = options.mouthBank ? new BankInterior(model, options.mouthBank) : undefined;
    this.#composite = createRgbImage(width, height);
    this.#maps = {
      width,
      height,
      warped: new Uint8Array(width * height * 3),
      disocclusion: new Uint8Array(width * height),
      coords: this.#g.nocs,
      labels: new Uint8Array(width * height),
    };
    const t = this.topology;
    this.#surfaceLabels = t.surfaceLabels.slice();
    this.#surface = {
      tgt: this.#tgt,
      src: this.#src,
      nocs: t.nocs,
      aux: undefined,
      triangles: t.surface,
      triangleCount: t.surface.length / 3,
      labels: this.#surfaceLabels,
      frontSign: t.frontSign,
      depthBiasPx: 0,
    };
    const stripBatch = (strip: OpeningStrip, label: number): SurfaceBatch => ({
      tgt: this.#tgt,
      src: this.#src,
      nocs: t.nocs,
      aux: this.#aux,
      triangles: strip.triangles,
      triangleCount: strip.triangles.length / 3,
      labels: new Uint8Array(strip.triangles.length / 3).fill(label),
      frontSign: t.frontSign,
      depthBiasPx: 0,
    });
    this.#strips = [
      stripBatch(t.mouth, PART_LABELS.mouthInterior),
      stripBatch(t.leftEye, PART_LABELS.eyes),
      stripBatch(t.rightEye, PART_LABELS.eyes),
    ];
    this.#shadeInputs = {
      reference32: this.#reference32,
      bodyMask: this.#bodyMask,
      gazeShiftPx: this.#gazeShift,
      warped: this.#maps.warped,
      labels: this.#maps.labels,
      disocclusion: this.#maps.disocclusion,
    };
    this.#output = { composite: this.#composite, maps: this.#maps };
  }

  /**
   * A renderer for `reference` (its crop's aspect sets the output size). Throws
   * RenderError RENDER_BAD_OPTIONS / RENDER_BAD_REFERENCE.
   */
  static create(
    model: FaceModel,
    reference: RenderReference,
    options: RendererOptions = {},
  ): Renderer {
    const size = options.size ?? RENDERER_DEFAULTS.size;
    if (!Number.isInteger(size) || size < MIN_RENDER_SIZE || size > MAX_RENDER_SIZE) {
      throw new RenderError(
        'RENDER_BAD_OPTIONS',
        `size must be an integer from ${MIN_RENDER_SIZE} to ${MAX_RENDER_SIZE}, got ${size}`,
      );
    }
    if (options.focalPx !== undefined && !(options.focalPx > 0)) {
      throw new RenderError(
        'RENDER_BAD_OPTIONS',
        `focalPx must be positive, got ${options.focalPx}`,
      );
    }
    const crop = cropOf(reference);
    const long = Math.max(crop.width, crop.height);
    const even = (v: number) => Math.max(2, 2 * Math.round(v / 2));
    const width = even((size * crop.width) / long);
    const height = even((size * crop.height) / long);
    const renderer = new Renderer(model, width, height, {
      size,
      focalPx: options.focalPx,
      steady: options.steady ?? RENDERER_DEFAULTS.steady,
      mouthBank: options.mouthBank,
    });
    renderer.setReference(reference);
    return renderer;
  }

  /**
   * Switches the reference (e.g. per video frame for dubbing). Its crop must have the
   * output's aspect (within 2 %). Costs a resize of the crop and a few small passes.
   */
  setReference(reference: RenderReference): void {
    this.#assertOpen();
    validateReference(reference);
    const crop = cropOf(reference);
    const aspect = crop.width / crop.height;
    if (Math.abs(aspect / (this.width / this.height) - 1) > 0.02) {
      throw new RenderError(
        'RENDER_BAD_REFERENCE',
        `reference crop aspect ${aspect.toFixed(3)} differs from the renderer's ${(this.width / this.height).toFixed(3)}`,
      );
    }
    const rect = {
      x: Math.round(crop.x),
      y: Math.round(crop.y),
      width: Math.max(1, Math.round(crop.width)),
      height: Math.max(1, Math.round(crop.height)),
    };
    resizeRgb(reference.image, this.#reference, rect);
    packRgba(this.#reference.data, this.#reference32);
    const transform: CropTransform = {
      x: rect.x,
      y: rect.y,
      kx: this.width / rect.width,
      ky: this.height / rect.height,
    };
    // Source positions of the face vertices: the fitted mesh, projected by THE projection
    // (or the given points).
    poseVertices(this.model, reference.identity, reference.weights, reference.pose, this.#face);
    if (reference.sourcePoints) {
      for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
        this.#face[i * 3] = reference.sourcePoints[i * 3] as number;
        this.#face[i * 3 + 1] = reference.sourcePoints[i * 3 + 1] as number;
      }
    }
    toOutput(this.#face, transform);
    const src = this.#src;
    for (let i = 0; i < FACE_VERTEX_COUNT; i++) {
      src[i * 2] = this.#face[i * 3] as number;
      src[i * 2 + 1] = this.#face[i * 3 + 1] as number;
    }
    this.#steadier?.reset();
    this.#bankInterior?.reset();
    this.#hasMatte = reference.person !== undefined;
    if (reference.person) {
      matteToOutput(reference, rect, this.#matte, this.width, this.height);
      buildBackgroundPlate(this.#reference.data, this.#matte, this.width, this.height, this.#plate);
    }
    this.#skirt.layout(src, this.width, this.height, this.#hasMatte ? this.#matte : undefined);
    polygonSpans(src, this.#staticRing, this.width, this.height, this.#spans);
    this.#fullNext = true;

    // Surface hidden in the reference (facing away) is flagged for the disocclusion mask.
    const t = this.topology;
    for (let k = 0; k < t.surfaceLabels.length; k++) {
      const a = t.surface[k * 3] as number;
      const b = t.surface[k * 3 + 1] as number;
      const c = t.surface[k * 3 + 2] as number;
      const area =
        ((src[b * 2] as number) - (src[a * 2] as number)) *
          ((src[c * 2 + 1] as number) - (src[a * 2 + 1] as number)) -
        ((src[c * 2] as number) - (src[a * 2] as number)) *
          ((src[b * 2 + 1] as number) - (src[a * 2 + 1] as number));
      this.#surfaceLabels[k] =
        (t.surfaceLabels[k] as number) | (area * t.frontSign > 0 ? 0 : HIDDEN_IN_SOURCE);
    }

    const outline: Point[] = Array.from(t.oval, (i) => ({
      x: src[i * 2] as number,
      y: src[i * 2 + 1] as number,
    }));
    const shoulders = reference.shoulders && {
      left: pointToOutput(reference.shoulders.left, transform),
      right: pointToOutput(reference.shoulders.right, transform),
    };
    fillBodyMask(this.#bodyMask, this.width, this.height, outline, shoulders);
    this.#torso.setReference(
      bodyGeometry(outline, shoulders),
      this.#hasMatte ? this.#matte : this.#bodyMask,
      this.#hasMatte,
    );
    this.#limbs.setReference(shoulders && limbJoints(reference.arms, shoulders, transform));
    this.#torsoActive = false;

    const ref = this.#reference.data;
    const meanAt = (indices: ArrayLike<number>) => {
      const sum = [0, 0, 0];
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k] as number;
        const o = pixelOffset(
          src[i * 2] as number,
          src[i * 2 + 1] as number,
          this.width,
          this.height,
        );
        for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) + (ref[o + c] as number);
      }
      return sum.map((s) => s / Math.max(1, indices.length));
    };
    const mouth = t.mouth;
    const sourceUpper = new Float32Array(mouth.upper.length * 2);
    const sourceLower = new Float32Array(mouth.lower.length * 2);
    for (let k = 0; k < mouth.upper.length; k++) {
      for (let c = 0; c < 2; c++) {
        sourceUpper[k * 2 + c] = src[(mouth.upper[k] as number) * 2 + c] as number;
        sourceLower[k * 2 + c] = src[(mouth.lower[k] as number) * 2 + c] as number;
      }
    }
    const style = mouthStyle(
      ref,
      this.width,
      this.height,
      meanAt(this.model.sets.lips),
      meanAt(t.rigid),
      sourceUpper,
      sourceLower,
    );
    this.#ref = {
      reference,
      transform,
      mouth: style,
      gaze: reference.gaze ?? { leftYaw: 0, leftPitch: 0, rightYaw: 0, rightPitch: 0 },
      eyeOpening: [meanOpening(src, 2, t.leftEye), meanOpening(src, 2, t.rightEye)],
      focalPx: this.#options.focalPx ?? Math.max(reference.image.width, reference.image.height),
    };
  }

  /** The crop-to-output mapping and measurements of the current reference. */
  get reference(): RenderReference | undefined {
    return this.#ref?.reference;
  }

  /**
   * Renders one Controls frame. Returns the renderer's own buffers (overwritten by the
   * next call).
   */
  render(frame: ControlsFrame, options: RenderFrameOptions = {}): RenderOutput {
    this.#assertOpen();
    const ref = this.#ref;
    if (!ref) throw new RenderError('RENDER_BAD_REFERENCE', 'no reference set');
    if (options.region && options.region.length !== this.height * 2) {
      throw new RenderError('RENDER_BAD_OPTIONS', `region must hold ${this.height} × 2 values`);
    }
    const t = this.topology;
    const g = this.#g;
    const tgt = this.#tgt;
    const src = this.#src;

    // 1. Pose: the Controls weights replace the reference's; the head pose is a delta.
    blendshapeVector(frame, this.#weights);
    const pose = applyHeadDelta(ref.reference.pose, frame.head, {
      focalPx: ref.focalPx,
      interOcularCm: this.model.interOcularCm,
    });
    if (options.vertices) {
      if (options.vertices.length !== FACE_VERTEX_COUNT * 3) {
        throw new RenderError(
          'RENDER_BAD_OPTIONS',
          `vertices must hold ${FACE_VERTEX_COUNT} × 3 values`,
        );
      }
      this.#face.set(options.vertices);
    } else {
      poseVertices(this.model, ref.reference.identity, this.#weights, pose, this.#face);
    }
    toOutput(this.#face, ref.transform);
    closeLids(this.#face, t.leftEye, frame.blendshapes.eyeBlinkLeft);
    closeLids(this.#face, t.rightEye, frame.blendshapes.eyeBlinkRight);
    this.#tgtFace.set(this.#face);

    // 2. Skirt: follows the skull's 2-D motion, fading out towards the frame border.
    fitSimilarity(src, tgt, t.rigid, this.#similarity);
    this.#skirt.move(tgt, src, this.#similarity);

    // 3. Opening parameters (u along, v across, opening height) for the strips.
    writeStripAux(this.#aux, tgt, t.mouth, 0);
    writeStripAux(this.#aux, tgt, t.leftEye, 0);
    writeStripAux(this.#aux, tgt, t.rightEye, RIGHT_EYE_U_OFFSET);

    // 4. Rasterise: skirt and face as a plain warp layer (every pixel gets a source), then
    //    the face surface and the openings with culling and depth. Outside the static ring
    //    nothing moves: it is drawn and shaded only after a reference change, or when
    //    something moved out past the ring (then also on the frame after, to restore it).
    const overflow = this.#movedOutside();
    const full = this.#fullNext || overflow;
    this.#fullNext = overflow;
    this.#frameCount++;
    if (full) this.#fullFrameCount++;
    const skirt = this.#skirt;
    g.clearSurface();
    // A region's rows only are drawn and shaded; the next frame without one redraws all.
    const region = options.region;
    clipToRegion(g, region);
    if (region) this.#fullNext = true;
    if (full) {
      drawWarpTriangles(
        g,
        tgt,
        3,
        src,
        skirt.triangles.subarray(skirt.dynamicCount * 3),
        skirt.triangleCount - skirt.dynamicCount,
        PART_LABELS.background,
        0,
      );
    }
    drawWarpTriangles(
      g,
      tgt,
      3,
      src,
      skirt.triangles,
      skirt.dynamicCount,
      PART_LABELS.background,
      0,
    );
    // Surface turned away from the camera still needs a source (it shows where the face folds
    // behind itself); the front-facing surface is drawn over it with depth. The openings come
    // last, over lips and lids that crease into them (the inner contours define the opening),
    // hidden only by surface ≥ 6 mm in front of them (the nose on a turned head).
    drawWarpTriangles(
      g,
      tgt,
      3,
      src,
      t.surface,
      t.surface.length / 3,
      PART_LABELS.skin | HIDDEN_IN_SOURCE,
      -t.frontSign,
    );
    drawSurfaceTriangles(g, this.#surface);
    const biasPx = OPENING_DEPTH_BIAS_CM * pose.pxPerCm * ref.transform.kx;
    for (let k = 0; k < this.#strips.length; k++) {
      const batch = this.#strips[k] as SurfaceBatch;
      batch.depthBiasPx = biasPx;
      drawSurfaceTriangles(g, batch);
    }

    // 5. Shade: warped reference, labels, mask, composite; then the mouth fill and lashes.
    const pxPerCm = pose.pxPerCm * ref.transform.kx;
    const gz = frame.gaze;
    const shift = EYEBALL_RADIUS_CM * pxPerCm;
    this.#gazeShift[0] = shift * Math.sin(gz.leftYaw - ref.gaze.leftYaw);
    this.#gazeShift[1] = shift * Math.sin(gz.leftPitch - ref.gaze.leftPitch);
    this.#gazeShift[2] = shift * Math.sin(gz.rightYaw - ref.gaze.rightYaw);
    this.#gazeShift[3] = shift * Math.sin(gz.rightPitch - ref.gaze.rightPitch);
    const maps = this.#maps;
    const shadeSpans = region ?? (full ? undefined : this.#spans);
    shadeFrame(g, this.#shadeInputs, shadeSpans);
    if (this.#hasMatte) holdBackground(g, this.#matte, this.#plate, maps.warped, shadeSpans);
    this.#composite.data.set(maps.warped);
    const hold = this.#hasMatte ? this.#torsoHold : undefined;
    if (this.#torso.apply(frame.body, maps.warped, this.#composite.data, hold)) {
      this.#torsoActive = true;
    }
    this.#limbs.apply(frame.body, maps.warped, this.#composite.data, hold);
    mouthBounds(tgt, t.mouth, this.#mouthFrame);
    this.#mouthFrame.rest =
      !options.drawInterior && ref.mouth.openingPx > 0.5
        ? 1 - smoothstep(1.05, 1.8, middleOpening(tgt, t.mouth) / ref.mouth.openingPx)
        : 0;
    fillMouth(g, maps.labels, maps.warped, this.#composite.data, ref.mouth, this.#mouthFrame);
    this.#bankInterior?.paint(
      tgt,
      maps.labels,
      maps.warped,
      this.#composite.data,
      this.width,
      this.#mouthFrame,
    );
    for (let e = 0; e < 2; e++) {
      const strip = e === 0 ? t.leftEye : t.rightEye;
      const opening = meanOpening(tgt, 3, strip);
      const ratio = opening / Math.max(0.5, ref.eyeOpening[e] as number);
      const alpha = Math.min(1, Math.max(0, (0.55 - ratio) / 0.55)) * 0.8;
      const eyeWidth = distance3(
        tgt,
        strip.upper[0] as number,
        strip.upper[strip.upper.length - 1] as number,
      );
      drawPhotoLashes(
        this.#composite.data,
        this.width,
        this.height,
        { tgt, src, upper: strip.upper, lower: strip.lower, reference: this.#reference.data },
        Math.max(1.2, eyeWidth * 0.06),
        alpha,
      );
    }
    const steadySpans = this.#torsoActive
      ? this.#torso.unionSpans(this.#spans, this.#steadySpans)
      : this.#spans;
    this.#steadier?.apply(
      this.#composite.data,
      this.width,
      region ?? (full ? undefined : steadySpans),
    );
    return this.#output;
  }

  /**
   * Counters for diagnostics: frames rendered, how many redrew the whole frame (first frame
   * after a reference change, or motion past the static ring), and the fraction of the frame
   * inside the static ring (what an ordinary frame redraws).
   */
  stats(): { frames: number; fullFrames: number; dynamicFraction: number } {
    let pixels = 0;
    for (let y = 0; y < this.height; y++) {
      pixels += Math.max(
        0,
        (this.#spans[y * 2 + 1] as number) - (this.#spans[y * 2] as number) + 1,
      );
    }
    return {
      frames: this.#frameCount,
      fullFrames: this.#fullFrameCount,
      dynamicFraction: pixels / (this.width * this.height),
    };
  }

  /** Releases the buffers; later calls throw RENDER_CLOSED. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#ref = undefined;
  }

  /** Whether a moving vertex (face or inner skirt ring) lies outside the dynamic spans. */
  #movedOutside(): boolean {
    for (let i = 0; i < FACE_VERTEX_COUNT; i++) if (this.#outside(i)) return true;
    const end = this.#movingFirst + this.#movingCount;
    for (let i = this.#movingFirst; i < end; i++) if (this.#outside(i)) return true;
    return false;
  }

  #outside(i: number): boolean {
    const tgt = this.#tgt;
    const spans = this.#spans;
    const y = Math.floor(tgt[i * 3 + 1] as number);
    if (!(y >= 1 && y < this.height - 1)) return true;
    const x = tgt[i * 3] as number;
    for (let r = y - 1; r <= y + 1; r++) {
      if (x < (spans[r * 2] as number) + 1 || x > (spans[r * 2 + 1] as number)) return true;
    }
    return false;
  }

  #assertOpen(): void {
    if (this.#closed) throw new RenderError('RENDER_CLOSED', 'the renderer was closed');
  }
}

interface CropTransform {
  x: number;
  y: number;
  kx: number;
  ky: number;
}

interface ReferenceState {
  reference: RenderReference;
  transform: CropTransform;
  mouth: MouthStyle;
  gaze: Gaze;
  eyeOpening: [number, number];
  focalPx: number;
}

function cropOf(reference: RenderReference): PixelBox {
  return (
    reference.crop ?? { x: 0, y: 0, width: reference.image.width, height: reference.image.height }
  );
}

function validateReference(reference: RenderReference): void {
  const { image, identity, weights, pose } = reference;
  const bad = (message: string) => new RenderError('RENDER_BAD_REFERENCE', message);
  if (
    !(image.width > 0 && image.height > 0) ||
    image.data.length !== image.width * image.height * 3
  ) {
    throw bad(
      `image must be packed RGB: ${image.width}×${image.height} needs ${image.width * image.height * 3} bytes, got ${image.data.length}`,
    );
  }
  if (identity.length !== FACE_VERTEX_COUNT * 3)
    throw bad(`identity must hold ${FACE_VERTEX_COUNT * 3} values`);
  if (weights.length !== BLENDSHAPE_COUNT)
    throw bad(`weights must hold ${BLENDSHAPE_COUNT} values`);
  if (
    ![pose.pitch, pose.yaw, pose.roll, pose.pxPerCm, pose.txPx, pose.tyPx].every(Number.isFinite) ||
    pose.pxPerCm <= 0
  ) {
    throw bad('pose must be finite with a positive pxPerCm');
  }
  const points = reference.sourcePoints;
  if (
    points &&
    !(points.length >= FACE_VERTEX_COUNT * 3 && Array.from(points).every(Number.isFinite))
  )
    throw bad(`sourcePoints must hold at least ${FACE_VERTEX_COUNT} × 3 finite values`);
  const crop = cropOf(reference);
  if (!(crop.width >= 16 && crop.height >= 16)) throw bad('crop must be at least 16 × 16 px');
  if (reference.person && reference.person.length !== image.width * image.height) {
    throw bad(`person matte must hold ${image.width * image.height} values (one per image pixel)`);
  }
}

/** Resamples the crop `rect` of a one-channel matte into `out` (output size). */
function matteToOutput(
  reference: RenderReference,
  rect: PixelRect,
  out: Uint8Array,
  width: number,
  height: number,
): void {
  const matte = reference.person ?? new Uint8Array(0);
  const wide = createRgbImage(reference.image.width, reference.image.height);
  for (let p = 0; p < matte.length; p++) wide.data[p * 3] = matte[p] as number;
  const resized = resizeRgb(wide, createRgbImage(width, height), rect);
  for (let p = 0; p < out.length; p++) out[p] = resized.data[p * 3] as number;
}

/** Image px → output px, in place (x, y, depth per vertex). */
function toOutput(points: Float32Array, c: CropTransform): void {
  for (let i = 0; i < points.length; i += 3) {
    points[i] = ((points[i] as number) - c.x) * c.kx;
    points[i + 1] = ((points[i + 1] as number) - c.y) * c.ky;
    points[i + 2] = (points[i + 2] as number) * c.kx;
  }
}

/** The limb pass's joints in output px: the shoulders and whichever arm joints were detected. */
function limbJoints(
  arms: RenderReference['arms'],
  shoulders: { left: Point; right: Point },
  c: CropTransform,
): LimbJoints {
  const joints: LimbJoints = { leftShoulder: shoulders.left, rightShoulder: shoulders.right };
  for (const joint of ARM_JOINTS) {
    const at = arms?.[joint];
    if (at) joints[joint] = pointToOutput(at, c);
  }
  return joints;
}

function pointToOutput(p: Point, c: CropTransform): Point {
  return { x: (p.x - c.x) * c.kx, y: (p.y - c.y) * c.ky };
}

function pixelOffset(x: number, y: number, width: number, height: number): number {
  const xi = Math.min(width - 1, Math.max(0, Math.floor(x)));
  const yi = Math.min(height - 1, Math.max(0, Math.floor(y)));
  return (yi * width + xi) * 3;
}

function distance3(p: Float32Array, a: number, b: number): number {
  return Math.hypot(
    (p[a * 3] as number) - (p[b * 3] as number),
    (p[a * 3 + 1] as number) - (p[b * 3 + 1] as number),
  );
}

/** Mean gap over the middle 40 % of the mouth (the columns mouthStyle measures), px. */
function middleOpening(tgt: Float32Array, strip: OpeningStrip): number {
  const n = strip.upper.length;
  let sum = 0;
  let count = 0;
  for (let k = Math.floor(n * 0.3); k <= Math.ceil(n * 0.7) - 1; k++) {
    const a = strip.upper[k] as number;
    const b = strip.lower[k] as number;
    sum += Math.hypot(
      (tgt[a * 3] as number) - (tgt[b * 3] as number),
      (tgt[a * 3 + 1] as number) - (tgt[b * 3 + 1] as number),
    );
    count++;
  }
  return sum / Math.max(1, count);
}

/** Mean gap between matching upper and lower contour points (corners excluded), px. */
function meanOpening(p: Float32Array, stride: number, strip: OpeningStrip): number {
  let sum = 0;
  const n = strip.upper.length;
  for (let k = 1; k + 1 < n; k++) {
    const a = strip.upper[k] as number;
    const b = strip.lower[k] as number;
    sum += Math.hypot(
      (p[a * stride] as number) - (p[b * stride] as number),
      (p[a * stride + 1] as number) - (p[b * stride + 1] as number),
    );
  }
  return sum / Math.max(1, n - 2);
}

/**
 * Completes a blink: a blendshape basis moves the lids by fixed amounts, so on an identity
 * whose eyes open wider than the model's neutral, eyeBlink = 1 leaves a slit. The renderer
 * closes whatever gap remains, in proportion to smoothstep(0.4, 1, blink), meeting where the
 * basis's lids meet (85 % of the way down). A no-op where the lids already touch.
 */
function closeLids(points: Float32Array, strip: OpeningStrip, blink: number): void {
  const c =
    blink <= 0.4
      ? 0
      : blink >= 1
        ? 1
        : ((blink - 0.4) / 0.6) ** 2 * (3 - 2 * ((blink - 0.4) / 0.6));
  if (c === 0) return;
  for (let k = 1; k + 1 < strip.upper.length; k++) {
    const u = strip.upper[k] as number;
    const l = strip.lower[k] as number;
    const dx = (points[l * 3] as number) - (points[u * 3] as number);
    const dy = (points[l * 3 + 1] as number) - (points[u * 3 + 1] as number);
    if (dy <= 0) continue;
    points[u * 3] = (points[u * 3] as number) + c * 0.85 * dx;
    points[u * 3 + 1] = (points[u * 3 + 1] as number) + c * 0.85 * dy;
    points[l * 3] = (points[l * 3] as number) - c * 0.15 * dx;
    points[l * 3 + 1] = (points[l * 3 + 1] as number) - c * 0.15 * dy;
  }
}

/** Writes u (along, + offset), v (0 upper, 1 lower, ½ at the shared corners) and the local gap. */
function writeStripAux(
  aux: Float32Array,
  tgt: Float32Array,
  strip: OpeningStrip,
  uOffset: number,
): void {
  const n = strip.upper.length;
  for (let k = 0; k < n; k++) {
    const a = strip.upper[k] as number;
    const b = strip.lower[k] as number;
    const u = k / (n - 1) + uOffset;
    const gap = Math.hypot(
      (tgt[a * 3] as number) - (tgt[b * 3] as number),
      (tgt[a * 3 + 1] as number) - (tgt[b * 3 + 1] as number),
    );
    if (a === b) {
      aux[a * 3] = u;
      aux[a * 3 + 1] = 0.5;
      aux[a * 3 + 2] = 0;
      continue;
    }
    aux[a * 3] = u;
    aux[a * 3 + 1] = 0;
    aux[a * 3 + 2] = gap;
    aux[b * 3] = u;
    aux[b * 3 + 1] = 1;
    aux[b * 3 + 2] = gap;
  }
}

/**
 * Per row, the first and last pixel (inclusive, widened by 2 px) whose centre lies inside
 * the polygon `ring` (vertex indices into `src`, 2 floats per vertex); first > last when none.
 */
function polygonSpans(
  src: Float32Array,
  ring: Uint32Array,
  width: number,
  height: number,
  out: Int32Array,
): void {
  for (let y = 0; y < height; y++) {
    const yc = y + 0.5;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let k = 0, j = ring.length - 1; k < ring.length; j = k++) {
      const a = ring[k] as number;
      const b = ring[j] as number;
      const ay = src[a * 2 + 1] as number;
      const by = src[b * 2 + 1] as number;
      if (ay > yc !== by > yc) {
        const ax = src[a * 2] as number;
        const x = ax + ((yc - ay) * ((src[b * 2] as number) - ax)) / (by - ay);
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
    if (lo > hi) {
      out[y * 2] = 1;
      out[y * 2 + 1] = 0;
      continue;
    }
    out[y * 2] = Math.max(0, Math.ceil(lo - 0.5) - 2);
    out[y * 2 + 1] = Math.min(width - 1, Math.floor(hi - 0.5) + 2);
  }
}

/** Draws triangles only into the rows of `region` that shade something (all without one). */
function clipToRegion(g: GeometryBuffer, region: Int32Array | undefined): void {
  g.clipRows.yMin = 0;
  g.clipRows.yMax = g.height - 1;
  if (!region) return;
  let first = g.height;
  let last = -1;
  for (let y = 0; y < g.height; y++) {
    if ((region[y * 2] as number) > (region[y * 2 + 1] as number)) continue;
    first = Math.min(first, y);
    last = y;
  }
  g.clipRows.yMin = first;
  g.clipRows.yMax = last;
}

function mouthBounds(tgt: Float32Array, strip: OpeningStrip, out: MouthFrame): void {
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const list of [strip.upper, strip.lower]) {
    for (let k = 0; k < list.length; k++) {
      const i = list[k] as number;
      x0 = Math.min(x0, tgt[i * 3] as number);
      x1 = Math.max(x1, tgt[i * 3] as number);
      y0 = Math.min(y0, tgt[i * 3 + 1] as number);
      y1 = Math.max(y1, tgt[i * 3 + 1] as number);
    }
  }
  out.x0 = Math.floor(x0) - 1;
  out.x1 = Math.ceil(x1) + 1;
  out.y0 = Math.floor(y0) - 1;
  out.y1 = Math.ceil(y1) + 1;
  out.widthPx = distance3(
    tgt,
    strip.upper[0] as number,
    strip.upper[strip.upper.length - 1] as number,
  );
}
