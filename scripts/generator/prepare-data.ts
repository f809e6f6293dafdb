/**
 * Stage 2 of the generator's data: self-reenactment samples from the cached tracks
 * (stage 1, track-clips.ts). For each clip and each reference frame, every frame is
 * re-rendered from its tracked Controls and written, cropped around the face exactly as the
 * runtime crops it (src/generator: CropTracker, packSlotMaps, packSrGuide), next to the real
 * frame under the same crop:
 *
 *   <out>/<clip>@<ref>/maps.npy       uint8 [F, 20, B, B]  slot map channels (RGB as (v+1)·127.5, others ·255)
 *                     target.npy     uint8 [F, 3, B, B]   real frame crop
 *                     sr_guide.npy   uint8 [F, 4, 2B, 2B] composite RGB + disocclusion at the SR size
 *                     sr_target.npy  uint8 [F, 3, 2B, 2B] real frame crop at the SR size
 *                     boxes.npy      float32 [F, 4]       crop x, y, size (output px), 1 where the crop changed
 *                     meta.json
 *
 *   node --import tsx scripts/generator/prepare-data.ts --tracks data/generator/tracks \
 *     --out data/generator/samples [--base 64] [--refs 3] [--heldout a,b] <folder|video>...
 *
 * Videos are found by name in the given folders (default: $FACECAST_FIXTURES or
 * ../shared/fixtures train-video, train-talk, video). Existing sample folders are kept.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readClipTrack, reenactFrames } from '../../src/eval/index.ts';
import { loadFaceModel } from '../../src/face/index.ts';
import { writeNpy } from '../../src/features/index.ts';
import {
  CropTracker,
  cropTaps,
  MAP_CHANNELS,
  packRgb,
  packSlotMaps,
  packSrGuide,
  SR_FACTOR,
  SR_GUIDE_CHANNELS,
} from '../../src/generator/index.ts';
import { NpyStackWriter } from '../../src/render/index.ts';
import { DEFAULT_HELDOUT } from './heldout.ts';
import { listVideos } from './videos.ts';

const { values, positionals } = parseArgs({
  options: {
    tracks: { type: 'string', default: 'data/generator/tracks' },
    out: { type: 'string', default: 'data/generator/samples' },
    base: { type: 'string', default: '64' },
    refs: { type: 'string', default: '3' },
    heldout: { type: 'string' },
  },
  allowPositionals: true,
});
const fixtures = process.env.FACECAST_FIXTURES ?? '../shared/fixtures';
const inputs = positionals.length
  ? positionals
  : ['train-video', 'train-talk', 'video'].map((d) => join(fixtures, d));
const base = Number(values.base);
const srSize = base * SR_FACTOR;
const refsPerClip = Number(values.refs);
const heldout = new Set(values.heldout ? values.heldout.split(',') : DEFAULT_HELDOUT);

const videos = new Map(
  (await listVideos(inputs)).map((p) => [basename(p).replace(/\.[^.]+$/, ''), p]),
);
const model = await loadFaceModel();
await mkdir(values.out, { recursive: true });

for (const name of (await readdir(values.tracks)).filter((n) => n.endsWith('.json')).sort()) {
  const clip = name.replace(/\.json$/, '');
  const video = videos.get(clip);
  if (!video) {
    console.log(`${clip}: no video found in ${inputs.join(', ')}; skipped`);
    continue;
  }
  const track = await readClipTrack(join(values.tracks, name));
  const count = track.frames.length;
  const split = heldout.has(clip) ? 'heldout' : 'train';
  // Held-out clips are scored from their first frame (what `facecast eval reenact` does);
  // training clips use several references spread over the clip.
  const refs =
    split === 'heldout'
      ? [0]
      : Array.from({ length: refsPerClip }, (_, k) => Math.floor((k * count) / refsPerClip));
  for (const ref of refs) {
    const dir = join(values.out, `${clip}@${ref}`);
    if (existsSync(join(dir, 'meta.json'))) continue;
    const t0 = performance.now();
    const tmp = `${dir}.partial`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const writers = {
      maps: await NpyStackWriter.open(
        join(tmp, 'maps.npy'),
        'uint8',
        [MAP_CHANNELS, base, base],
        count,
      ),
      target: await NpyStackWriter.open(join(tmp, 'target.npy'), 'uint8', [3, base, base], count),
      srGuide: await NpyStackWriter.open(
        join(tmp, 'sr_guide.npy'),
        'uint8',
        [SR_GUIDE_CHANNELS, srSize, srSize],
        count,
      ),
      srTarget: await NpyStackWriter.open(
        join(tmp, 'sr_target.npy'),
        'uint8',
        [3, srSize, srSize],
        count,
      ),
    };
    const slot = new Float32Array(MAP_CHANNELS * base * base);
    const target = new Float32Array(3 * base * base);
    const guide = new Float32Array(SR_GUIDE_CHANNELS * srSize * srSize);
    const srTarget = new Float32Array(3 * srSize * srSize);
    const row = new Float32Array(srSize * 8);
    const bytes = {
      maps: new Uint8Array(slot.length),
      target: new Uint8Array(target.length),
      guide: new Uint8Array(guide.length),
      srTarget: new Uint8Array(srTarget.length),
    };
    const boxes = new Float32Array(count * 4);
    const faceFound: boolean[] = [];
    const crop = new CropTracker();
    let size = { width: 0, height: 0 };
    for await (const f of reenactFrames(video, track, { model, referenceIndex: ref })) {
      size = { width: f.real.width, height: f.real.height };
      const { box, changed } = crop.update(f.output.maps.labels, size.width, size.height);
      const taps = cropTaps(box, base, size.width, size.height);
      const srTaps = cropTaps(box, srSize, size.width, size.height);
      packSlotMaps(
        { composite: f.output.composite, maps: f.output.maps, reference: f.reference },
        taps,
        slot,
        row,
      );
      packRgb(f.real, taps, target, row);
      packSrGuide(
        f.output,
        srTaps,
        guide.subarray(0, 3 * srSize * srSize),
        guide.subarray(3 * srSize * srSize),
        row,
      );
      packRgb(f.real, srTaps, srTarget, row);
      quantise(slot, bytes.maps, base * base, isSlotRgb);
      quantise(target, bytes.target, base * base, () => true);
      quantise(guide, bytes.guide, srSize * srSize, (c) => c < 3);
      quantise(srTarget, bytes.srTarget, srSize * srSize, () => true);
      await writers.maps.write(bytes.maps);
      await writers.target.write(bytes.target);
      await writers.srGuide.write(bytes.guide);
      await writers.srTarget.write(bytes.srTarget);
      boxes.set([box.x, box.y, box.size, changed ? 1 : 0], f.frameIndex * 4);
      faceFound.push(f.faceFound);
    }
    for (const w of Object.values(writers)) await w.close();
    await writeNpy(join(tmp, 'boxes.npy'), { data: boxes, shape: [count, 4] });
    await writeFile(
      join(tmp, 'meta.json'),
      JSON.stringify({
        clip,
        split,
        referenceIndex: ref,
        frames: count,
        width: size.width,
        height: size.height,
        base,
        srSize,
        faceFound,
      }),
    );
    await rename(tmp, dir);
    console.log(
      `${clip}@${ref} (${split}): ${count} frames, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
}

/** Slot channels stored as RGB: composite, warped, reference (see SLOT_CHANNELS). */
function isSlotRgb(channel: number): boolean {
  return channel < 6 || channel >= 17;
}

/**
 * float → uint8 for storage, per planar channel: RGB in [-1, 1] as round((v + 1) · 127.5),
 * [0, 1] values as round(v · 255).
 */
function quantise(
  src: Float32Array,
  dst: Uint8Array,
  plane: number,
  isRgb: (channel: number) => boolean,
): void {
  for (let c = 0; c * plane < dst.length; c++) {
    const rgb = isRgb(c);
    for (let i = c * plane; i < (c + 1) * plane; i++) {
      const v = src[i] as number;
      const q = rgb ? (v + 1) * 127.5 : v * 255;
      dst[i] = q <= 0 ? 0 : q >= 255 ? 255 : q + 0.5;
    }
  }
}
