import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Metadata, OutputInfo } from 'sharp';
import { throwIfAborted } from '../core/index.ts';
import { checkLocalInput } from '../media/index.ts';
import { FaceError } from './errors.ts';
import type { RgbImage } from './landmarker.ts';

/** Options for {@link loadImage}. Defaults in {@link IMAGE_DEFAULTS}. */
export interface LoadImageOptions {
  /** Longest side after normalisation, px; larger images are downscaled. Default 2048. */
  maxSizePx?: number;
  /** Images with more pixels than this are refused (IMAGE_TOO_LARGE). Default 100 megapixels. */
  maxInputPixels?: number;
  /** Largest accepted file, bytes. Default 50 MiB. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export const IMAGE_DEFAULTS = Object.freeze({
  maxSizePx: 2048,
  maxInputPixels: 100_000_000,
  maxBytes: 50 * 1024 ** 2,
});

/** A photo decoded and normalised for face detection and rendering. */
export interface NormalisedImage extends RgbImage {
  source: {
    fileName: string;
    sha256: string;
    format: string;
    /** After EXIF rotation, before downscaling. */
    width: number;
    height: number;
    exifOrientation: number | null;
    hasAlpha: boolean;
    space: string;
  };
  /** Normalised size / source size. */
  scale: number;
  /** The longest-side limit it was normalised with. */
  maxSizePx: number;
}

/**
 * Reads a photo into 8-bit sRGB: EXIF orientation applied, alpha flattened onto white,
 * greyscale/CMYK converted, downscaled so the longest side is at most `maxSizePx`.
 * Throws FaceError IMAGE_UNREADABLE / IMAGE_TOO_LARGE, MediaError for missing files.
 *
 * @example
 * const image = await loadImage('portrait.jpg');
 * const { faces } = await landmarker.detect(image);
 */
/** sharp, loaded on first use: video-only commands (`facecast track`) never pay its start-up. */
async function loadSharp(): Promise<typeof import('sharp').default> {
  return (await import('sharp')).default;
}

export async function loadImage(
  path: string,
  options: LoadImageOptions = {},
): Promise<NormalisedImage> {
  const o = { ...IMAGE_DEFAULTS, ...options };
  throwIfAborted(options.signal);
  const input = await checkLocalInput(path, { maxBytes: o.maxBytes });
  const bytes = await readFile(input.absolutePath);
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw new FaceError('IMAGE_UNREADABLE', 'not a readable image', { cause });
  }
  if (!meta.width || !meta.height || !meta.format) {
    throw new FaceError('IMAGE_UNREADABLE', 'not a readable image');
  }
  if (meta.width * meta.height > o.maxInputPixels) {
    throw new FaceError(
      'IMAGE_TOO_LARGE',
      `image is ${meta.width}×${meta.height} px; the limit is ${(o.maxInputPixels / 1e6).toFixed(0)} megapixels`,
      { details: { width: meta.width, height: meta.height, maxInputPixels: o.maxInputPixels } },
    );
  }
  const orientation = meta.orientation ?? null;
  const swapped = orientation !== null && orientation >= 5;
  const width = swapped ? meta.height : meta.width;
  const height = swapped ? meta.width : meta.height;
  const scale = Math.min(1, o.maxSizePx / Math.max(width, height));
  throwIfAborted(options.signal);
  let raw: { data: Buffer; info: OutputInfo };
  try {
    let pipeline = sharp(bytes, { limitInputPixels: false, failOn: 'error' }).rotate();
    if (meta.hasAlpha) pipeline = pipeline.flatten({ background: '#ffffff' });
    if (scale < 1) {
      pipeline = pipeline.resize({
        width: Math.max(1, Math.round(width * scale)),
        height: Math.max(1, Math.round(height * scale)),
        fit: 'fill',
        kernel: 'lanczos3',
      });
    }
    raw = await pipeline
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new FaceError(
      'IMAGE_UNREADABLE',
      `could not decode the image: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (raw.info.channels !== 3) {
    throw new FaceError(
      'IMAGE_UNREADABLE',
      `the image decoded to ${raw.info.channels} channels, expected 3`,
    );
  }
  return {
    width: raw.info.width,
    height: raw.info.height,
    data: new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength),
    source: {
      fileName: basename(input.absolutePath),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      format: meta.format,
      width,
      height,
      exifOrientation: orientation,
      hasAlpha: Boolean(meta.hasAlpha),
      space: meta.space ?? 'unknown',
    },
    scale: raw.info.width / width,
    maxSizePx: o.maxSizePx,
  };
}

/** Encodes an RGB image as PNG bytes. */
export async function encodePng(image: RgbImage): Promise<Uint8Array> {
  const sharp = await loadSharp();
  const png = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
