/**
 * Contact sheet of the blendshape basis applied to a real photo's mesh: the photo's own
 * face (top left), then each of the 52 ARKit shapes at weight 1 on top of the photo's
 * expression, drawn by warping the photo triangle by triangle from its fitted mesh to the
 * deformed one (mouth opening filled dark, lid and lip contours traced).
 *
 *   node --import tsx scripts/face/contact-sheet.ts [photo] [--out docs/face-basis.png] [--tile 160]
 *
 * Default photo: $FACECAST_FIXTURES/photos/photo_liveportrait_s42.jpg, else ../shared/fixtures/….
 * A documentation aid, not the renderer (src/render does the real warping).
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { ARKIT_BLENDSHAPES } from '../../src/controls/index.ts';
import {
  buildAvatarProfile,
  FaceLandmarker,
  loadFaceModel,
  loadImage,
  poseVertices,
} from '../../src/face/index.ts';

const { values, positionals } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/face-basis.png' },
    tile: { type: 'string', default: '160' },
  },
  allowPositionals: true,
});
const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const photo = positionals[0] ?? join(fixtures, 'photos', 'photo_liveportrait_s42.jpg');
const tile = Number(values.tile);

const model = await loadFaceModel();
const image = await loadImage(photo);
const landmarker = await FaceLandmarker.load({ body: false });
const detection = await landmarker.detect(image);
await landmarker.close();
const profile = buildAvatarProfile(model, image, detection);
const identity = Float32Array.from(profile.fit.identity);
const base = Float32Array.from(ARKIT_BLENDSHAPES, (n) => profile.fit.blendshapes[n]);
const pose = profile.fit.pose;
const rest = poseVertices(model, identity, base, pose);

// Square crop around the face (1.1 × the landmarks' extent), scaled to the tile size.
let minX = Number.POSITIVE_INFINITY;
let minY = Number.POSITIVE_INFINITY;
let maxX = Number.NEGATIVE_INFINITY;
let maxY = Number.NEGATIVE_INFINITY;
for (let i = 0; i < 468; i++) {
  minX = Math.min(minX, rest[i * 3] as number);
  maxX = Math.max(maxX, rest[i * 3] as number);
  minY = Math.min(minY, rest[i * 3 + 1] as number);
  maxY = Math.max(maxY, rest[i * 3 + 1] as number);
}
const side = 1.1 * Math.max(maxX - minX, maxY - minY);
const cx = (minX + maxX) / 2;
const cy = (minY + maxY) / 2 + 0.1 * side;
const scale = tile / side;
const ox = cx - side / 2;
const oy = cy - side / 2;

function sample(x: number, y: number, out: Uint8Array, o: number): void {
  const xi = Math.max(0, Math.min(image.width - 2, Math.floor(x)));
  const yi = Math.max(0, Math.min(image.height - 2, Math.floor(y)));
  const fx = Math.max(0, Math.min(1, x - xi));
  const fy = Math.max(0, Math.min(1, y - yi));
  for (let c = 0; c < 3; c++) {
    const p = (xx: number, yy: number) => image.data[(yy * image.width + xx) * 3 + c] as number;
    const top = p(xi, yi) * (1 - fx) + p(xi + 1, yi) * fx;
    const bottom = p(xi, yi + 1) * (1 - fx) + p(xi + 1, yi + 1) * fx;
    out[o + c] = Math.round(top * (1 - fy) + bottom * fy);
  }
}

const mouth = new Set(model.triangleSets.mouthInterior);
/** One tile: the photo warped from `rest` to `target` (both image px). */
function renderTile(target: Float32Array): Uint8Array {
  const out = new Uint8Array(tile * tile * 3);
  for (let y = 0; y < tile; y++) {
    for (let x = 0; x < tile; x++)
      sample(ox + (x + 0.5) / scale, oy + (y + 0.5) / scale, out, (y * tile + x) * 3);
  }
  const order = Array.from({ length: model.triangleCount }, (_, t) => t);
  const depth = (t: number) =>
    [0, 1, 2].reduce(
      (s, k) => s + (target[(model.triangles[t * 3 + k] as number) * 3 + 2] as number),
      0,
    );
  order.sort((a, b) => depth(b) - depth(a)); // far first
  for (const t of order) {
    const ids = [0, 1, 2].map((k) => model.triangles[t * 3 + k] as number);
    const [a, b, c] = ids.map((i) => [
      ((target[i * 3] as number) - ox) * scale,
      ((target[i * 3 + 1] as number) - oy) * scale,
    ]) as [number[], number[], number[]];
    const [sa, sb, sc] = ids.map((i) => [rest[i * 3] as number, rest[i * 3 + 1] as number]) as [
      number[],
      number[],
      number[],
    ];
    const det =
      ((b[1] as number) - (c[1] as number)) * ((a[0] as number) - (c[0] as number)) +
      ((c[0] as number) - (b[0] as number)) * ((a[1] as number) - (c[1] as number));
    if (Math.abs(det) < 1e-9) continue;
    const x0 = Math.max(0, Math.floor(Math.min(a[0] as number, b[0] as number, c[0] as number)));
    const x1 = Math.min(
      tile - 1,
      Math.ceil(Math.max(a[0] as number, b[0] as number, c[0] as number)),
    );
    const y0 = Math.max(0, Math.floor(Math.min(a[1] as number, b[1] as number, c[1] as number)));
    const y1 = Math.min(
      tile - 1,
      Math.ceil(Math.max(a[1] as number, b[1] as number, c[1] as number)),
    );
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const l1 =
          (((b[1] as number) - (c[1] as number)) * (px - (c[0] as number)) +
            ((c[0] as number) - (b[0] as number)) * (py - (c[1] as number))) /
          det;
        const l2 =
          (((c[1] as number) - (a[1] as number)) * (px - (c[0] as number)) +
            ((a[0] as number) - (c[0] as number)) * (py - (c[1] as number))) /
          det;
        const l3 = 1 - l1 - l2;
        if (l1 < -1e-6 || l2 < -1e-6 || l3 < -1e-6) continue;
        const o = (y * tile + x) * 3;
        if (mouth.has(t)) {
          out[o] = 70;
          out[o + 1] = 20;
          out[o + 2] = 25;
          continue;
        }
        sample(
          l1 * (sa[0] as number) + l2 * (sb[0] as number) + l3 * (sc[0] as number),
          l1 * (sa[1] as number) + l2 * (sb[1] as number) + l3 * (sc[1] as number),
          out,
          o,
        );
      }
    }
  }
  traceContours(out, target);
  return out;
}

/** Lip, eye and brow contours of the deformed mesh in green, so small shapes are visible. */
function traceContours(out: Uint8Array, target: Float32Array): void {
  const loops: [Uint32Array, boolean][] = [
    [model.sets.lipsOuter, true],
    [model.sets.lipsInner, true],
    [model.sets.leftEye, true],
    [model.sets.rightEye, true],
    [model.sets.leftBrow.subarray(5), false],
    [model.sets.rightBrow.subarray(5), false],
  ];
  for (const [ids, closed] of loops) {
    const count = closed ? ids.length : ids.length - 1;
    for (let k = 0; k < count; k++) {
      const i = ids[k] as number;
      const j = ids[(k + 1) % ids.length] as number;
      const x0 = ((target[i * 3] as number) - ox) * scale;
      const y0 = ((target[i * 3 + 1] as number) - oy) * scale;
      const x1 = ((target[j * 3] as number) - ox) * scale;
      const y1 = ((target[j * 3 + 1] as number) - oy) * scale;
      const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 2) + 1;
      for (let s = 0; s <= steps; s++) {
        const x = Math.round(x0 + ((x1 - x0) * s) / steps);
        const y = Math.round(y0 + ((y1 - y0) * s) / steps);
        if (x < 0 || y < 0 || x >= tile || y >= tile) continue;
        const o = (y * tile + x) * 3;
        out[o] = 40;
        out[o + 1] = 220;
        out[o + 2] = 60;
      }
    }
  }
}

// mouthClose only means something on an open jaw (ARKit: lips closed whatever the jaw does).
const MOUTH_CLOSE = ARKIT_BLENDSHAPES.indexOf('mouthClose');
const JAW_OPEN = ARKIT_BLENDSHAPES.indexOf('jawOpen');
const names = [
  'photo (fitted)',
  ...ARKIT_BLENDSHAPES.map((n) => (n === 'mouthClose' ? 'mouthClose + jawOpen' : n)),
];
const columns = 8;
const rows = Math.ceil(names.length / columns);
const label = 18;
const sheet = Buffer.alloc(columns * tile * rows * (tile + label) * 3, 255);
const sheetWidth = columns * tile;
names.forEach((_, n) => {
  const weights = Float32Array.from(base);
  if (n > 0) weights[n - 1] = 1;
  if (n - 1 === MOUTH_CLOSE) weights[JAW_OPEN] = 1;
  const pixels = renderTile(n === 0 ? rest : poseVertices(model, identity, weights, pose));
  const col = n % columns;
  const row = Math.floor(n / columns);
  for (let y = 0; y < tile; y++) {
    const dst = ((row * (tile + label) + label + y) * sheetWidth + col * tile) * 3;
    sheet.set(pixels.subarray(y * tile * 3, (y + 1) * tile * 3), dst);
  }
});
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${sheetWidth}" height="${rows * (tile + label)}">${names
  .map((name, n) => {
    const x = (n % columns) * tile + 4;
    const y = Math.floor(n / columns) * (tile + label) + 14;
    return `<text x="${x}" y="${y}" font-family="sans-serif" font-size="12" fill="#111">${name}</text>`;
  })
  .join('')}</svg>`;
await sharp(sheet, { raw: { width: sheetWidth, height: rows * (tile + label), channels: 3 } })
  .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
  .png({ compressionLevel: 9 })
  .toFile(values.out as string);
console.log(`wrote ${values.out}: ${names.length} tiles of ${tile} px from ${photo}`);
