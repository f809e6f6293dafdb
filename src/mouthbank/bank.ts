import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type InnerLips, lipShape, mouthAxes, opening, profileAt, toMouthUnits } from './lips.ts';
import {
  extractPatch,
  imagePoint,
  lipBandColour,
  PATCH_HEIGHT,
  PATCH_WIDTH,
  patchPoint,
  type RgbView,
  sampleRgb,
} from './patch.ts';

/** One footage frame offered to the bank: the picture and its inner lips (image px). */
export interface MouthSample {
  image: RgbView;
  lips: InnerLips;
  /** The frame's number in its footage (kept for the record and to exclude stretches). */
  frame: number;
}

/** Where the bank paints: pixels whose `labels` value is `value` (e.g. the renderer's mouth interior). */
export interface PaintRegion {
  labels: Uint8Array;
  value: number;
}

/** Options of {@link chooseBankFrames}; defaults in {@link MOUTH_BANK_DEFAULTS}. */
export interface MouthBankOptions {
  /** Most entries kept. Default 160 (~1.5 MB). */
  maxEntries?: number;
  /** A frame joins only when its mouth is at least this open (mean middle gap over width). Default 0.04. */
  minOpening?: number;
}

export const MOUTH_BANK_DEFAULTS = Object.freeze({ maxEntries: 160, minOpening: 0.04 });

/** Keeping the previous entry unless another is this much closer (less flicker). */
const HYSTERESIS = 1.25;
/**
 * Weight of the lip colours' distance against the shapes' in a query with a colour (chosen
 * on four training clips, none held out: 0, 0.1, 0.3, 1, 3 tried; 0.3 raised the bank's
 * mouth-box PSNR and SSIM on all four — scripts/bench/replica-mouth.ts's measure).
 */
const COLOUR_WEIGHT = 0.3;
/**
 * Entries {@link MouthBank.paint} blends by default: the queried one and the next closest to
 * the target (decided on 12 training clips, none held out — scripts/bench/replica-mouth-train.ts:
 * 1, 2, 4, 6, 8, 12 tried; bank − procedural mouth-box PSNR +3.71, +4.39, +4.75, +4.89, +4.95,
 * +5.00 dB on average, SSIM and the flicker figure up with it; 8 = the fewest within 0.1 dB of the
 * best, so the least blur). A single entry's teeth are often not the real frame's (the lip shape
 * does not tell them apart); their weighted mean is nearer on average and switches smoothly.
 */
export const MOUTH_BANK_BLEND = 8;
/**
 * Rings of pixels along the painted region's edge that are softened towards the pixels round
 * it (ring r keeps r / (rings + 1) of the painted colour): the seam between the bank's interior
 * and the rendered lips (decided on the same 12 training clips with the blend: 0, 1, 2, 3
 * rings tried, mouth-box PSNR gain +4.95, +5.27, +5.32, +5.29 dB, SSIM best at 2).
 */
export const MOUTH_BANK_FEATHER = 2;
/** The colour match's gain per channel stays within this range. */
const MIN_GAIN = 0.6;
const MAX_GAIN = 1.6;

const FILE_JSON = 'mouthbank.json';
const FILE_BIN = 'mouthbank.bin';

const entrySchema = z
  .object({
    frame: z.number().int().nonnegative(),
    shape: z.array(z.number()),
    upper: z.array(z.number()),
    lower: z.array(z.number()),
    lipColour: z.array(z.number()).length(3),
  })
  .strict();
const fileSchema = z
  .object({
    format: z.literal('facecast.mouthbank'),
    version: z.literal(1),
    patchWidth: z.literal(PATCH_WIDTH),
    patchHeight: z.literal(PATCH_HEIGHT),
    entries: z.array(entrySchema),
  })
  .strict();

interface Entry {
  frame: number;
  shape: Float32Array;
  /** Inner lips in mouth units (u, v pairs). */
  upper: Float32Array;
  lower: Float32Array;
  lipColour: Float32Array;
  patch: Uint8Array;
}

/** How a bank paints (given when it is built or loaded). */
export interface MouthBankPaintOptions {
  /** Entries blended per paint (1 = the queried entry alone). Default {@link MOUTH_BANK_BLEND}. */
  blend?: number;
  /** Edge rings softened when painting into a region (0 = none). Default {@link MOUTH_BANK_FEATHER}. */
  feather?: number;
}

/**
 * Which frames to offer the bank (so only those need decoding): frames whose mouth is open
 * at least `minOpening`, at most `maxEntries` of them spread evenly over the range of
 * openings. `lips[i]` undefined = frame i has no usable face.
 */
export function chooseBankFrames(
  lips: readonly (InnerLips | undefined)[],
  options: MouthBankOptions = {},
): number[] {
  const o = { ...MOUTH_BANK_DEFAULTS, ...options };
  const open: { frame: number; opening: number }[] = [];
  lips.forEach((l, frame) => {
    if (!l) return;
    const value = opening(lipShape(l));
    if (value >= o.minOpening) open.push({ frame, opening: value });
  });
  open.sort((a, b) => a.opening - b.opening);
  if (open.length <= o.maxEntries) return open.map((e) => e.frame).sort((a, b) => a - b);
  const picked = new Set<number>();
  for (let k = 0; k < o.maxEntries; k++) {
    picked.add((open[Math.floor((k * open.length) / o.maxEntries)] as { frame: number }).frame);
  }
  return [...picked].sort((a, b) => a - b);
}

/**
 * A person's own mouth interiors (teeth, tongue, inner lips) from real footage, indexed by
 * lip shape, to paint a re-animated mouth with instead of a drawn one.
 *
 * - **Build** from frames and their inner lips ({@link MouthBank.build}; pick the frames with
 *   {@link chooseBankFrames}). Each entry is the mouth region resampled into the mouth's own
 *   frame (corner to corner = 1), 64 × 48 px, with its lips' shape and colour.
 * - **Query** by lip shape ({@link MouthBank.query}): the entry whose gaps along the mouth are
 *   closest, keeping the previous entry unless another is clearly closer.
 * - **Paint** into a target picture ({@link MouthBank.paint}): each interior pixel is mapped
 *   to the entry through the mouth frame, proportionally between the lips, and colour-matched
 *   by the ratio of the target's lip colour to the entry's; blended with the next closest
 *   entries ({@link MOUTH_BANK_BLEND} in all by default).
 *
 * @example
 * const bank = await MouthBank.build(samples);
 * const entry = bank.query(lips, previous);
 * bank.paint(crop, lips, entry, { labels, value: PART_LABELS.mouthInterior });
 */
export class MouthBank {
  readonly #entries: Entry[];
  readonly #blend: number;
  readonly #feather: number;

  private constructor(entries: Entry[], options: MouthBankPaintOptions = {}) {
    this.#entries = entries;
    this.#blend = Math.max(1, Math.round(options.blend ?? MOUTH_BANK_BLEND));
    this.#feather = Math.max(0, Math.round(options.feather ?? MOUTH_BANK_FEATHER));
  }

  /** Entries in the bank. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * The same entries painting with other options (shared, not copied): e.g. a bench's arm, or
   * a player told how to paint a bank it already loaded.
   */
  withPaint(options: MouthBankPaintOptions): MouthBank {
    return new MouthBank(this.#entries, options);
  }

  /** The footage frame each entry came from. */
  get frames(): number[] {
    return this.#entries.map((e) => e.frame);
  }

  /** Builds from samples (an async iterable lets the caller decode one frame at a time). */
  static async build(
    samples: AsyncIterable<MouthSample> | Iterable<MouthSample>,
    options: MouthBankPaintOptions = {},
  ): Promise<MouthBank> {
    const entries: Entry[] = [];
    for await (const sample of samples) {
      const axes = mouthAxes(sample.lips);
      const upper = toMouthUnits(sample.lips.upper, axes);
      const lower = toMouthUnits(sample.lips.lower, axes);
      const patch = extractPatch(sample.image, axes);
      entries.push({
        frame: sample.frame,
        shape: lipShape(sample.lips),
        upper,
        lower,
        patch,
        lipColour: lipBandColour(upper, lower, (u, v, out) => samplePatch(patch, u, v, out)),
      });
    }
    return new MouthBank(entries, options);
  }

  /**
   * The entry closest to `lips`' shape; `previous` (the last frame's entry) is kept unless
   * another is more than 25 % closer. With `lipColour` (the target's, {@link lipColourAt}),
   * entries lit like the target are preferred too: the distance adds
   * {@link COLOUR_WEIGHT} × the squared log ratios of the lip colours. −1 when the bank is empty.
   */
  query(lips: InnerLips, previous = -1, lipColour?: ArrayLike<number>): number {
    const cost = costTo(lips, lipColour);
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    this.#entries.forEach((e, i) => {
      const d = cost(e);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    });
    const prev = this.#entries[previous];
    if (prev && cost(prev) <= HYSTERESIS * bestD + 1e-5) return previous;
    return best;
  }

  /** The colour of the lips round `lips` in `image` (what {@link MouthBank.paint} matches to). */
  lipColourAt(image: RgbView, lips: InnerLips): Float32Array {
    const axes = mouthAxes(lips);
    const upper = toMouthUnits(lips.upper, axes);
    const lower = toMouthUnits(lips.lower, axes);
    return lipBandColour(upper, lower, (u, v, out) => {
      const [x, y] = imagePoint(axes, u, v);
      sampleRgb(image, x, y, out);
    });
  }

  /**
   * Paints entry `index`'s interior into `image` between `lips` (image px): in `region` when
   * given, else inside the inner-lip contour. Blended with the bank's `blend − 1` other entries
   * closest to `lips` and the lips' colour (the query's distance; weights exp(−d / mean d)), each
   * colour-matched to the lips around it. In a region, its edge is then softened
   * ({@link MOUTH_BANK_FEATHER}).
   */
  paint(image: RgbView, lips: InnerLips, index: number, region?: PaintRegion): void {
    if (!this.#entries[index]) return;
    const axes = mouthAxes(lips);
    const upper = toMouthUnits(lips.upper, axes);
    const lower = toMouthUnits(lips.lower, axes);
    const target = this.lipColourAt(image, lips);
    const mix = this.#mix(index, costTo(lips, target), target);
    const box = lipsBox(lips, image, 4);
    const rgb = new Float32Array(3);
    const sum = new Float32Array(3);
    const w = axes.widthPx;
    for (let y = box.y0; y <= box.y1; y++) {
      for (let x = box.x0; x <= box.x1; x++) {
        const p = y * image.width + x;
        if (region && region.labels[p] !== region.value) continue;
        const dx = x - axes.ox;
        const dy = y - axes.oy;
        const u = (dx * axes.ux + dy * axes.uy) / w;
        const v = (dx * axes.vx + dy * axes.vy) / w;
        const up = profileAt(upper, u);
        const lo = profileAt(lower, u);
        if (!region && (u <= 0 || u >= 1 || v < up || v > lo)) continue;
        const s = lo - up > 1e-4 ? Math.min(1.5, Math.max(-0.5, (v - up) / (lo - up))) : 0.5;
        sum.fill(0);
        for (let m = 0; m < mix.length; m++) {
          const { entry, gain } = mix[m] as (typeof mix)[number];
          const eu = profileAt(entry.upper, u);
          const el = profileAt(entry.lower, u);
          samplePatch(entry.patch, u, eu + s * (el - eu), rgb);
          sum[0] = (sum[0] as number) + (rgb[0] as number) * (gain[0] as number);
          sum[1] = (sum[1] as number) + (rgb[1] as number) * (gain[1] as number);
          sum[2] = (sum[2] as number) + (rgb[2] as number) * (gain[2] as number);
        }
        const o = p * 3;
        for (let c = 0; c < 3; c++) image.data[o + c] = Math.min(255, (sum[c] as number) + 0.5);
      }
    }
    if (region) featherEdge(image, region, box, this.#feather);
  }

  /**
   * The entries {@link paint} blends: `index` and the `blend − 1` others of least `cost`, each
   * with its colour gain (lip colour ratio, clamped) times its weight (weights sum to 1).
   */
  #mix(index: number, cost: (e: Entry) => number, target: Float32Array) {
    const others = this.#entries
      .map((entry, i) => ({ entry, i, d: cost(entry) }))
      .filter((c) => c.i !== index)
      .sort((a, b) => a.d - b.d)
      .slice(0, this.#blend - 1);
    const anchor = this.#entries[index] as Entry;
    const chosen = [{ entry: anchor, d: cost(anchor) }, ...others];
    const scale = chosen.reduce((a, c) => a + c.d, 0) / chosen.length;
    const weights = chosen.map((c) => (scale > 1e-9 ? Math.exp(-c.d / scale) : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    return chosen.map(({ entry }, k) => ({
      entry,
      gain: [0, 1, 2].map(
        (c) =>
          ((weights[k] as number) / total) *
          Math.min(
            MAX_GAIN,
            Math.max(MIN_GAIN, (target[c] as number) / Math.max(1, entry.lipColour[c] as number)),
          ),
      ),
    }));
  }

  /** Writes `mouthbank.json` + `mouthbank.bin` into `dir`. */
  async save(dir: string): Promise<void> {
    const file: z.infer<typeof fileSchema> = {
      format: 'facecast.mouthbank',
      version: 1,
      patchWidth: PATCH_WIDTH,
      patchHeight: PATCH_HEIGHT,
      entries: this.#entries.map((e) => ({
        frame: e.frame,
        shape: round(e.shape),
        upper: round(e.upper),
        lower: round(e.lower),
        lipColour: round(e.lipColour),
      })),
    };
    await writeFile(join(dir, FILE_JSON), `${JSON.stringify(file)}\n`);
    await writeFile(join(dir, FILE_BIN), Buffer.concat(this.#entries.map((e) => e.patch)));
  }

  /** Reads a bank written by {@link MouthBank.save} (throws on a missing or invalid one). */
  static async load(dir: string, options: MouthBankPaintOptions = {}): Promise<MouthBank> {
    const file = fileSchema.parse(JSON.parse(await readFile(join(dir, FILE_JSON), 'utf8')));
    const bin = await readFile(join(dir, FILE_BIN));
    const bytes = PATCH_WIDTH * PATCH_HEIGHT * 3;
    if (bin.length !== bytes * file.entries.length) {
      throw new Error(`${join(dir, FILE_BIN)} does not hold ${file.entries.length} patches`);
    }
    return new MouthBank(
      file.entries.map((e, i) => ({
        frame: e.frame,
        shape: Float32Array.from(e.shape),
        upper: Float32Array.from(e.upper),
        lower: Float32Array.from(e.lower),
        lipColour: Float32Array.from(e.lipColour),
        patch: new Uint8Array(bin.subarray(i * bytes, (i + 1) * bytes)),
      })),
      options,
    );
  }
}

/** The file name a saved bank is recognised by. */
export const MOUTH_BANK_FILE = FILE_JSON;

function samplePatch(patch: Uint8Array, u: number, v: number, out: Float32Array): void {
  const [x, y] = patchPoint(u, v);
  sampleRgb({ width: PATCH_WIDTH, height: PATCH_HEIGHT, data: patch }, x, y, out);
}

/**
 * The query's distance of an entry from `lips`: squared differences of the lip shapes, plus
 * {@link COLOUR_WEIGHT} × the colours' squared log ratios when the target's colour is given.
 */
function costTo(lips: InnerLips, lipColour?: ArrayLike<number>): (e: Entry) => number {
  const shape = lipShape(lips);
  return (e) =>
    distance(shape, e.shape) +
    (lipColour ? COLOUR_WEIGHT * colourDistance(lipColour, e.lipColour) : 0);
}

/** Squared log ratios of two colours, summed over the channels. */
function colourDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let c = 0; c < 3; c++) {
    const e = Math.log(((a[c] as number) + 1) / ((b[c] as number) + 1));
    d += e * e;
  }
  return d;
}

function distance(a: Float32Array, b: Float32Array): number {
  let d = 0;
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const e = (a[k] as number) - (b[k] as number);
    d += e * e;
  }
  return d;
}

/** {@link featherEdge}'s buffers, grown as boxes need (this thread's; painting is synchronous). */
const featherScratch = { at: new Int32Array(0), colour: new Float64Array(0) };

/**
 * Softens the edge of the region painted inside `box`: `rings` passes, each taking the painted
 * pixels with a 4-neighbour outside the region (or softened by an earlier pass) and mixing
 * them with those neighbours' mean, keeping r / (rings + 1) of their own colour in pass r.
 */
function featherEdge(
  image: RgbView,
  region: PaintRegion,
  box: { x0: number; y0: number; x1: number; y1: number },
  rings: number,
): void {
  const bw = box.x1 - box.x0 + 1;
  const bh = box.y1 - box.y0 + 1;
  // 1 = painted and not yet softened; 0 = outside the region or the box, or softened.
  const inner = new Uint8Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const p = (box.y0 + y) * image.width + box.x0 + x;
      inner[y * bw + x] = region.labels[p] === region.value ? 1 : 0;
    }
  }
  // Per softened pixel of a pass: its index in the box and its new colour (scratch kept
  // between paints: one per frame on the reanimator's hot path).
  if (featherScratch.at.length < bw * bh) {
    featherScratch.at = new Int32Array(bw * bh);
    featherScratch.colour = new Float64Array(bw * bh * 3);
  }
  const { at, colour } = featherScratch;
  const mean = new Float32Array(3);
  for (let r = 1; r <= rings; r++) {
    const keep = r / (rings + 1);
    let edits = 0;
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        if (inner[y * bw + x] !== 1) continue;
        mean.fill(0);
        let n = 0;
        for (let k = 0; k < 4; k++) {
          const nx = k === 0 ? x - 1 : k === 1 ? x + 1 : x;
          const ny = k === 2 ? y - 1 : k === 3 ? y + 1 : y;
          if (nx >= 0 && ny >= 0 && nx < bw && ny < bh && inner[ny * bw + nx] === 1) continue;
          const gx = Math.min(image.width - 1, Math.max(0, box.x0 + nx));
          const gy = Math.min(image.height - 1, Math.max(0, box.y0 + ny));
          const q = (gy * image.width + gx) * 3;
          for (let c = 0; c < 3; c++) mean[c] = (mean[c] as number) + (image.data[q + c] as number);
          n++;
        }
        if (n === 0) continue;
        const p = ((box.y0 + y) * image.width + box.x0 + x) * 3;
        at[edits] = y * bw + x;
        for (let c = 0; c < 3; c++) {
          colour[edits * 3 + c] =
            keep * (image.data[p + c] as number) + ((1 - keep) * (mean[c] as number)) / n;
        }
        edits++;
      }
    }
    for (let e = 0; e < edits; e++) {
      const i = at[e] as number;
      const p = ((box.y0 + Math.floor(i / bw)) * image.width + box.x0 + (i % bw)) * 3;
      for (let c = 0; c < 3; c++) image.data[p + c] = Math.round(colour[e * 3 + c] as number);
      inner[i] = 0;
    }
  }
}

function lipsBox(lips: InnerLips, image: RgbView, margin: number) {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const contour of [lips.upper, lips.lower]) {
    for (let k = 0; k < contour.length; k += 2) {
      x0 = Math.min(x0, contour[k] as number);
      x1 = Math.max(x1, contour[k] as number);
      y0 = Math.min(y0, contour[k + 1] as number);
      y1 = Math.max(y1, contour[k + 1] as number);
    }
  }
  return {
    x0: Math.max(0, Math.floor(x0 - margin)),
    y0: Math.max(0, Math.floor(y0 - margin)),
    x1: Math.min(image.width - 1, Math.ceil(x1 + margin)),
    y1: Math.min(image.height - 1, Math.ceil(y1 + margin)),
  };
}

function round(values: Float32Array): number[] {
  return Array.from(values, (v) => Math.round(v * 1e4) / 1e4);
}
