import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARKIT_BLENDSHAPES } from '../../src/controls/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';
import {
  buildAvatarProfile,
  createAvatar,
  FaceLandmarker,
  type FaceModel,
  interOcularPx,
  isFaceError,
  loadAvatarProfile,
  loadFaceModel,
  loadImage,
  poseVertices,
} from './helpers.ts';

const PORTRAIT = fixture('face/portrait_s42.jpg'); // 512×512
const SMALL_PORTRAIT = fixture('face/portrait_happy_256.png'); // 256×256
const GROUP = fixture('face/group_3faces.jpg');

let model: FaceModel;
let landmarker: FaceLandmarker;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  model = await loadFaceModel();
  landmarker = await FaceLandmarker.load();
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await landmarker.close();
  await cleanup();
});

async function detect(path: string) {
  const image = await loadImage(path);
  return { image, detection: await landmarker.detect(image) };
}

describe('landmarks (Human on tfjs-wasm, offline)', () => {
  it('finds exactly one face with 478 landmarks and a body on each portrait', async () => {
    for (const path of [PORTRAIT, SMALL_PORTRAIT]) {
      const { image, detection } = await detect(path);
      expect(detection.faces, path).toHaveLength(1);
      const face = detection.faces[0]!;
      expect(face.landmarks.length).toBe(478 * 3);
      expect(face.score).toBeGreaterThan(0.8);
      // Landmarks inside the face box, inside the image.
      const xs = Array.from({ length: 468 }, (_, i) => face.landmarks[i * 3] as number);
      expect(Math.min(...xs)).toBeGreaterThan(face.box.x - 5);
      expect(Math.max(...xs)).toBeLessThan(Math.min(image.width, face.box.x + face.box.width + 5));
      // MoveNet's keypoints with their scores (Human drops any it scores exactly 0).
      expect(detection.body?.keypoints.length).toBeGreaterThanOrEqual(12);
      expect(detection.body?.keypoints.find((k) => k.name === 'nose')?.score).toBeGreaterThan(0.2);
    }
  });

  it('finds the three faces of the group photo, largest first', async () => {
    const { detection } = await detect(GROUP);
    expect(detection.faces).toHaveLength(3);
    const areas = detection.faces.map((f) => f.box.width * f.box.height);
    expect(areas).toEqual([...areas].sort((a, b) => b - a));
  });
});

describe('avatar profile from a photo', () => {
  it('fits the model with a mean re-projection error under 1.2 % of the eye distance', async () => {
    // Human's landmark noise is about 1 % of the inter-ocular distance; pose + 52 weights +
    // 10 identity components on a 468-point mesh should explain the landmarks to that level.
    for (const path of [PORTRAIT, SMALL_PORTRAIT]) {
      const { image, detection } = await detect(path);
      const profile = buildAvatarProfile(model, image, detection);
      const iod = profile.face.interOcularPx;
      expect(profile.fit.modelResidualPx.mean / iod, path).toBeLessThan(0.012);
      // Frontal portraits: small angles.
      expect(Math.abs(profile.fit.pose.yaw)).toBeLessThan(0.15);
      expect(Math.abs(profile.fit.pose.roll)).toBeLessThan(0.15);
    }
  });

  it('stores an identity that reproduces the landmarks exactly through poseVertices (inner lips: up to the seal)', async () => {
    const { image, detection } = await detect(PORTRAIT);
    const profile = buildAvatarProfile(model, image, detection);
    const weights = Float32Array.from(ARKIT_BLENDSHAPES, (n) => profile.fit.blendshapes[n]);
    const points = poseVertices(model, profile.fit.identity, weights, profile.fit.pose);
    const inner = new Set([...model.sets.lipsUpperInner, ...model.sets.lipsLowerInner]);
    let max = 0;
    let maxInner = 0;
    for (let i = 0; i < 468; i++) {
      const d = Math.hypot(
        (points[i * 3] as number) - (profile.face.landmarks[i * 3] as number),
        (points[i * 3 + 1] as number) - (profile.face.landmarks[i * 3 + 1] as number),
      );
      if (inner.has(i)) maxInner = Math.max(maxInner, d);
      else max = Math.max(max, d);
    }
    expect(max).toBeLessThan(0.05);
    // The inner lips were sealed (closeMouth): they move by < 2 % IOD here.
    expect(maxInner).toBeLessThan(0.02 * profile.face.interOcularPx);
    expect(profile.mouth?.lipGap).toBeGreaterThan(0);
  });

  it('uses the largest of several faces with a warning, or refuses with --strict', async () => {
    const { image, detection } = await detect(GROUP);
    const profile = buildAvatarProfile(model, image, detection);
    expect(profile.face.facesFound).toBe(3);
    expect(profile.warnings.join()).toMatch(/3 faces .* using the largest/);
    const error = (() => {
      try {
        buildAvatarProfile(model, image, detection, { strict: true });
      } catch (e) {
        return e;
      }
    })();
    expect(isFaceError(error, 'FACE_MULTIPLE')).toBe(true);
  });

  it('writes profile.json + image.png that loadAvatarProfile validates', async () => {
    const out = join(dir, 'anna');
    const { timingsMs } = await createAvatar(PORTRAIT, out, { landmarker, model });
    expect(timingsMs.total).toBeGreaterThan(0);
    const avatar = await loadAvatarProfile(out);
    expect(avatar.profile.image).toMatchObject({ width: 512, height: 512, scale: 1 });
    expect(avatar.identity.length).toBe(1404);
    expect(avatar.weights.length).toBe(52);
    expect(avatar.landmarks.length).toBe(1434);
    expect(avatar.profile.source.fileName).toBe('portrait_s42.jpg');
    const meta = await sharp(avatar.imagePath).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([512, 512, 3]);
    // The crop is square and inside the image.
    const { crop } = avatar.profile;
    expect(crop.width).toBe(crop.height);
    expect(crop.x).toBeGreaterThanOrEqual(0);
    expect(crop.x + crop.width).toBeLessThanOrEqual(512.01);
    // A damaged file is refused with the field named.
    const json = JSON.parse(await readFile(join(out, 'profile.json'), 'utf8'));
    json.fit.pose.yaw = 'left';
    await writeFile(join(out, 'profile.json'), JSON.stringify(json));
    const error = await loadAvatarProfile(out).catch((e: unknown) => e);
    expect(isFaceError(error, 'PROFILE_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/fit\.pose\.yaw/);
    expect(
      isFaceError(
        await loadAvatarProfile(join(dir, 'nope')).catch((e: unknown) => e),
        'PROFILE_NOT_FOUND',
      ),
    ).toBe(true);
  });
});

describe('awkward photos', () => {
  /** Landmarks of the original portrait, for comparison. */
  async function reference() {
    const { detection } = await detect(PORTRAIT);
    return detection.faces[0]!.landmarks;
  }
  const meanDistance = (a: Float32Array, b: Float32Array, scale = 1) => {
    let sum = 0;
    for (let i = 0; i < 468; i++) {
      sum += Math.hypot(
        (a[i * 3] as number) * scale - (b[i * 3] as number),
        (a[i * 3 + 1] as number) * scale - (b[i * 3 + 1] as number),
      );
    }
    return sum / 468;
  };

  it('PNG with alpha: flattened, face found', async () => {
    const path = join(dir, 'alpha.png');
    const { data, info } = await sharp(PORTRAIT)
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    for (let y = 0; y < info.height; y++)
      for (let x = 0; x < 60; x++) data[(y * info.width + x) * 4 + 3] = 0;
    await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } })
      .png()
      .toFile(path);
    const image = await loadImage(path);
    expect(image.source.hasAlpha).toBe(true);
    expect(image.data[0]).toBe(255); // transparent corner became white
    expect((await landmarker.detect(image)).faces).toHaveLength(1);
  });

  it('greyscale JPEG: converted to RGB, landmarks match the colour photo', async () => {
    const path = join(dir, 'grey.jpg');
    await sharp(PORTRAIT).toColourspace('b-w').jpeg({ quality: 95 }).toFile(path);
    const image = await loadImage(path);
    expect(image.source.space).toBe('b-w');
    expect(image.data.length).toBe(512 * 512 * 3);
    const { faces } = await landmarker.detect(image);
    expect(faces).toHaveLength(1);
    expect(meanDistance(faces[0]!.landmarks, await reference())).toBeLessThan(3);
  });

  it('EXIF-rotated JPEG: pixels stored sideways, shown upright, landmarks match', async () => {
    const path = join(dir, 'exif.jpg');
    // Store the picture turned 90° anticlockwise with orientation 6 ("rotate 90° clockwise to show").
    await sharp(PORTRAIT)
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toFile(path);
    expect((await sharp(path).metadata()).orientation).toBe(6);
    const image = await loadImage(path);
    expect(image.source.exifOrientation).toBe(6);
    const { faces } = await landmarker.detect(image);
    expect(faces).toHaveLength(1);
    expect(meanDistance(faces[0]!.landmarks, await reference())).toBeLessThan(3);
  });

  it('very large image: downscaled to maxSizePx, landmarks scale with it', async () => {
    const path = join(dir, 'large.png');
    await sharp(PORTRAIT)
      .resize(4096, 4096, { kernel: 'cubic' })
      .png({ compressionLevel: 1 })
      .toFile(path);
    const image = await loadImage(path, { maxSizePx: 1024 });
    expect([image.width, image.height, image.scale]).toEqual([1024, 1024, 0.25]);
    expect([image.source.width, image.source.height]).toEqual([4096, 4096]);
    const { faces } = await landmarker.detect(image);
    expect(faces).toHaveLength(1);
    expect(meanDistance(await reference(), faces[0]!.landmarks, 2)).toBeLessThan(5);
  });

  it('no face: FACE_NOT_FOUND', async () => {
    const path = join(dir, 'blank.png');
    await sharp({ create: { width: 400, height: 300, channels: 3, background: '#7a8a9a' } })
      .png()
      .toFile(path);
    const error = await createAvatar(path, join(dir, 'blank'), { landmarker, model }).catch(
      (e: unknown) => e,
    );
    expect(isFaceError(error, 'FACE_NOT_FOUND')).toBe(true);
  });

  it('face below the minimum size: FACE_TOO_SMALL', async () => {
    const { image, detection } = await detect(PORTRAIT);
    const iod = interOcularPx(model, detection.faces[0]!.landmarks);
    expect(iod).toBeGreaterThan(60);
    const error = (() => {
      try {
        buildAvatarProfile(model, image, detection, { minInterOcularPx: iod + 1 });
      } catch (e) {
        return e;
      }
    })();
    expect(isFaceError(error, 'FACE_TOO_SMALL')).toBe(true);
  });

  it('head tilted 60°: FACE_POSE_EXTREME (roll limit 45°)', async () => {
    const path = join(dir, 'tilted.png');
    await sharp(PORTRAIT).rotate(60, { background: '#ffffff' }).png().toFile(path);
    const error = await createAvatar(path, join(dir, 'tilted'), { landmarker, model }).catch(
      (e: unknown) => e,
    );
    expect(isFaceError(error, 'FACE_POSE_EXTREME')).toBe(true);
    expect((error as Error).message).toMatch(/roll/);
  });

  it('not an image: IMAGE_UNREADABLE', async () => {
    const path = join(dir, 'notes.jpg');
    await writeFile(path, 'this is not a JPEG');
    const error = await loadImage(path).catch((e: unknown) => e);
    expect(isFaceError(error, 'IMAGE_UNREADABLE')).toBe(true);
  });
});
