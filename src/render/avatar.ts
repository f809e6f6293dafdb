import sharp from 'sharp';
import { throwIfAborted } from '../core/index.ts';
import {
  type AvatarProfile,
  type FaceModel,
  type LoadedAvatar,
  loadAvatarProfile,
  loadFaceModel,
} from '../face/index.ts';
import { loadGenericMouthBank, type MouthBank } from '../mouthbank/index.ts';
import { PersonSegmenter } from '../segmentation/index.ts';
import type { Point } from './body.ts';
import { RenderError } from './errors.ts';
import type { RgbImage } from './image.ts';
import { ARM_JOINTS } from './limbs.ts';
import { Renderer, type RendererOptions, type RenderReference } from './renderer.ts';

/** Shoulder keypoints below this detector score are ignored (the body prior is guessed). */
const MIN_SHOULDER_SCORE = 0.3;

/** Reads an image file (PNG, JPEG, …) as packed 8-bit RGB (alpha dropped). */
export async function readRgbImage(path: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(path)
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels`);
    return {
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (cause) {
    throw new RenderError(
      'RENDER_BAD_REFERENCE',
      `cannot read image ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/**
 * The render reference of an avatar profile (`facecast avatar create`): its normalised
 * image, fitted identity/expression/pose, gaze, the crop as the output framing, and the
 * shoulders and arm joints when the body detector was confident.
 */
export function referenceFromAvatar(avatar: LoadedAvatar, image: RgbImage): RenderReference {
  const { profile } = avatar;
  if (image.width !== profile.image.width || image.height !== profile.image.height) {
    throw new RenderError(
      'RENDER_BAD_REFERENCE',
      `${avatar.imagePath} is ${image.width}×${image.height}; the profile says ${profile.image.width}×${profile.image.height}`,
    );
  }
  const keypoint = (name: string): Point | undefined => {
    const k = profile.body?.keypoints.find((p) => p.name === name);
    return k && k.score >= MIN_SHOULDER_SCORE ? { x: k.x, y: k.y } : undefined;
  };
  let left = keypoint('leftShoulder');
  let right = keypoint('rightShoulder');
  // One confident shoulder: mirror it about the face (the fitted head position).
  const cx = profile.fit.pose.txPx;
  if (left && !right) right = { x: 2 * cx - left.x, y: left.y };
  if (right && !left) left = { x: 2 * cx - right.x, y: right.y };
  const arms: RenderReference['arms'] = {};
  for (const joint of ARM_JOINTS) {
    const at = keypoint(joint);
    if (at) arms[joint] = at;
  }
  return {
    image,
    identity: avatar.identity,
    weights: avatar.weights,
    pose: profile.fit.pose,
    crop: profile.crop,
    // Profiles with a mouth reading have a lip-sealed neutral: sample the photo where its
    // landmarks are (older profiles' fitted mesh lands on them anyway).
    ...(profile.mouth ? { sourcePoints: profile.face.landmarks } : {}),
    // The photo's eyes are taken to look where Controls gaze 0 looks (at the camera): a
    // single photo's gaze estimate is too noisy to turn the eyes against (see docs).
    ...(left && right ? { shoulders: { left, right }, arms } : {}),
  };
}

/**
 * Loads `<dir>/profile.json` and `<dir>/image.png` as a render reference, with the photo's
 * person matte (src/segmentation, models/segmentation) so the background stays still.
 */
export async function loadAvatarReference(
  dir: string,
  options: { signal?: AbortSignal } = {},
): Promise<RenderReference> {
  return referenceOf(await loadAvatarProfile(dir), options.signal);
}

/** A loaded avatar's image as a render reference, with its person matte. */
async function referenceOf(
  avatar: LoadedAvatar,
  signal: AbortSignal | undefined,
): Promise<RenderReference> {
  throwIfAborted(signal);
  const image = await readRgbImage(avatar.imagePath);
  const reference = referenceFromAvatar(avatar, image);
  reference.person = await segmentPerson(image, signal);
  return reference;
}

/** The person matte of one image (loads the shared segmentation session for the call). */
export async function segmentPerson(image: RgbImage, signal?: AbortSignal): Promise<Uint8Array> {
  const segmenter = await PersonSegmenter.load({ signal });
  try {
    return (await segmenter.segment(image, { signal })).data;
  } finally {
    await segmenter.close();
  }
}

/** Options of {@link createRenderer}. */
export interface CreateRendererOptions extends RendererOptions {
  /** The face model; default: models/face via `loadFaceModel()`. */
  model?: FaceModel;
  signal?: AbortSignal;
}

/**
 * A renderer for an avatar folder, a loaded avatar plus its image, or any reference.
 *
 * @example
 * const renderer = await createRenderer('avatars/anna', { size: 512 });
 * for (const frame of controls.frames) encoder.writeFrame(renderer.render(frame).composite.data);
 */
export async function createRenderer(
  source: string | RenderReference,
  options: CreateRendererOptions = {},
): Promise<Renderer> {
  const { model: given, signal, ...rendererOptions } = options;
  const model = given ?? (await loadFaceModel());
  throwIfAborted(signal);
  if (typeof source !== 'string') return Renderer.create(model, source, rendererOptions);
  const avatar = await loadAvatarProfile(source);
  const reference = await referenceOf(avatar, signal);
  const mouthBank = rendererOptions.mouthBank ?? (await avatarMouthBank(avatar.profile));
  return Renderer.create(model, reference, {
    ...rendererOptions,
    ...(mouthBank ? { mouthBank } : {}),
  });
}

/** The avatar's mouth bank: the shipped generic one when its profile asks for `bank`. */
async function avatarMouthBank(profile: AvatarProfile): Promise<MouthBank | undefined> {
  if (profile.mouthInterior !== 'bank') return undefined;
  try {
    return await loadGenericMouthBank();
  } catch (cause) {
    throw new RenderError(
      'RENDER_MODEL_MISSING',
      `the avatar asks for the mouth bank, which could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}
