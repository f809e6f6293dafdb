import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaceModel, loadFaceModel } from '../../src/face/index.ts';
import {
  DEFAULT_MOUTH_BANK_DIR,
  loadGenericMouthBank,
  type MouthBank,
} from '../../src/mouthbank/index.ts';
import {
  createRenderer,
  loadAvatarReference,
  PART_LABELS,
  Renderer,
  type RenderReference,
} from '../../src/render/index.ts';
import { facecast } from '../helpers/cli.ts';
import { fixture, tempDir } from '../helpers/media.ts';
import { AVATAR_DIR, frameWith, referenceFrame } from './helpers.ts';

const SIZE = 256;
const OPEN = frameWith((f) => {
  f.blendshapes.jawOpen = 0.6;
});

let model: FaceModel;
let bank: MouthBank;
let reference: RenderReference;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  model = await loadFaceModel();
  bank = await loadGenericMouthBank();
  reference = await loadAvatarReference(AVATAR_DIR);
  ({ dir, cleanup } = await tempDir('facecast-bank-interior-'));
}, 60_000);
afterAll(async () => cleanup());

function render(options: { mouthBank?: MouthBank }, frame = OPEN) {
  const renderer = Renderer.create(model, reference, { size: SIZE, steady: false, ...options });
  const out = renderer.render(frame);
  const result = { rgb: out.composite.data.slice(), labels: out.maps.labels.slice() };
  renderer.close();
  return result;
}

/** Mean absolute difference (levels) over the pixels `where` accepts, and their count. */
function meanDiff(a: Uint8Array, b: Uint8Array, where: (p: number) => boolean) {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < a.length / 3; p++) {
    if (!where(p)) continue;
    for (let c = 0; c < 3; c++)
      sum += Math.abs((a[p * 3 + c] as number) - (b[p * 3 + c] as number));
    n++;
  }
  return { mean: n ? sum / (3 * n) : 0, n };
}

describe('photo avatars: mouth interior from the bank of real mouths', () => {
  it('paints the opened mouth from the bank and leaves every other pixel as drawn', () => {
    const drawn = render({});
    const banked = render({ mouthBank: bank });
    const interior = (p: number) => drawn.labels[p] === PART_LABELS.mouthInterior;
    const inside = meanDiff(drawn.rgb, banked.rgb, interior);
    expect(inside.n).toBeGreaterThan(100);
    expect(inside.mean).toBeGreaterThan(8);
    expect(meanDiff(drawn.rgb, banked.rgb, (p) => !interior(p)).mean).toBe(0);
  });

  it('keeps the photo’s own mouth where the mouth opens no wider than in the photo', () => {
    const still = referenceFrame(reference);
    const drawn = render({}, still);
    const banked = render({ mouthBank: bank }, still);
    expect(meanDiff(drawn.rgb, banked.rgb, () => true).mean).toBe(0);
  });

  it('an avatar whose profile asks for the bank gets it from createRenderer', async () => {
    const avatar = join(dir, 'bank-avatar');
    await cp(AVATAR_DIR, avatar, { recursive: true });
    const profilePath = join(avatar, 'profile.json');
    const profile = JSON.parse(await readFile(profilePath, 'utf8'));
    await writeFile(profilePath, JSON.stringify({ ...profile, mouthInterior: 'bank' }));
    const withBank = await createRenderer(avatar, { size: SIZE, steady: false });
    const plain = await createRenderer(AVATAR_DIR, { size: SIZE, steady: false });
    const a = withBank.render(OPEN);
    const b = plain.render(OPEN);
    const interior = (p: number) => b.maps.labels[p] === PART_LABELS.mouthInterior;
    expect(meanDiff(a.composite.data, b.composite.data, interior).mean).toBeGreaterThan(8);
    expect(a.composite.data).toEqual(render({ mouthBank: bank }).rgb);
    withBank.close();
    plain.close();
  });

  it('refuses a bank whose files do not match the manifest', async () => {
    const copy = join(dir, 'bank-copy');
    await cp(DEFAULT_MOUTH_BANK_DIR, copy, { recursive: true });
    const bin = await readFile(join(copy, 'mouthbank.bin'));
    bin[1000] = (bin[1000] as number) ^ 0xff;
    await writeFile(join(copy, 'mouthbank.bin'), bin);
    await expect(loadGenericMouthBank(copy)).rejects.toThrow(/sha256 does not match/);
  });
});

describe('facecast avatar create --mouth-interior', () => {
  const PHOTO = fixture('face/portrait_happy_256.png');

  it('bank is stored in the profile', async () => {
    const out = join(dir, 'cli-bank');
    const ok = await facecast([
      'avatar',
      'create',
      PHOTO,
      '--out',
      out,
      '--mouth-interior',
      'bank',
    ]);
    expect(ok.code).toBe(0);
    const profile = JSON.parse(await readFile(join(out, 'profile.json'), 'utf8'));
    expect(profile.mouthInterior).toBe('bank');
  });

  it('an unknown interior is a usage error, exit 2, nothing written', async () => {
    const out = join(dir, 'cli-bad');
    const bad = await facecast([
      'avatar',
      'create',
      PHOTO,
      '--out',
      out,
      '--mouth-interior',
      'gold',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--mouth-interior must be drawn or bank/);
    await expect(readFile(join(out, 'profile.json'))).rejects.toThrow();
  });
});
