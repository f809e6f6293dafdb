import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutralFrame, writeControlsFile } from '../../src/controls/index.ts';
import { probeMedia } from '../../src/media/index.ts';
import { toFloat16Bits } from '../../src/render/dump.ts';
import { facecast } from '../helpers/cli.ts';
import { fixture, tempDir } from '../helpers/media.ts';
import { AVATAR_DIR } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
let controls: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  controls = join(dir, 'talk.json');
  const frames = Array.from({ length: 12 }, (_, i) => {
    const f = neutralFrame();
    f.blendshapes.jawOpen = (i % 4) / 4;
    return f;
  });
  await writeControlsFile(controls, { format: 'facecast.controls', version: 1, fps: 25, frames });
});
afterAll(() => cleanup());

/** Reads a .npy header: dtype descr and shape. */
function npyHeader(bytes: Buffer): { descr: string; shape: number[]; offset: number } {
  const length = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + length).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)?.[1] ?? '';
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return { descr, shape, offset: 10 + length };
}

describe('facecast render-controls', () => {
  it('renders Controls with edits and audio to an MP4, and dumps the maps', async () => {
    const out = join(dir, 'talk.mp4');
    const maps = join(dir, 'maps');
    const { code, stdout, stderr } = await facecast([
      'render-controls',
      '--avatar',
      AVATAR_DIR,
      '--controls',
      controls,
      '--out',
      out,
      '--size',
      '256',
      '--audio',
      fixture('speech/jfk.wav'),
      '--set',
      'eyeBlinkLeft=1@0.1-0.3s',
      '--set',
      'head.yaw=5deg',
      '--maps',
      maps,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      frames: 12,
      durationMs: 480,
      width: 256,
      height: 256,
      audio: true,
    });
    expect(report.edits.map((e: { frames: number }) => e.frames)).toEqual([5, 12]);
    const info = await probeMedia(out);
    expect(info.video).toMatchObject({ codec: 'h264', width: 256, height: 256, frameCount: 12 });
    expect(info.audio?.codec).toBe('aac');

    expect((await readdir(maps)).sort()).toEqual([
      'composite.npy',
      'coords.npy',
      'disocclusion.npy',
      'labels.npy',
      'maps.json',
      'warped.npy',
    ]);
    const contract = JSON.parse(await readFile(join(maps, 'maps.json'), 'utf8'));
    expect(contract).toMatchObject({ format: 'facecast.render-maps', version: 1, frames: 12 });
    for (const [name, descr, shape] of [
      ['warped', '|u1', [12, 256, 256, 3]],
      ['disocclusion', '|u1', [12, 256, 256]],
      ['labels', '|u1', [12, 256, 256]],
      ['coords', '<f2', [12, 256, 256, 3]],
      ['composite', '|u1', [12, 256, 256, 3]],
    ] as const) {
      const bytes = await readFile(join(maps, `${name}.npy`));
      const header = npyHeader(bytes);
      expect(header.descr, name).toBe(descr);
      expect(header.shape, name).toEqual(shape);
      const itemBytes = descr === '<f2' ? 2 : 1;
      expect(bytes.length - header.offset).toBe(shape.reduce((a, b) => a * b, 1) * itemBytes);
      expect(header.offset % 64).toBe(0);
    }
    // Labels hold only part ids; the mask only 0/255.
    const labels = await readFile(join(maps, 'labels.npy'));
    expect(labels.subarray(npyHeader(labels).offset).every((v) => v <= 6)).toBe(true);
    const mask = await readFile(join(maps, 'disocclusion.npy'));
    expect(new Set(mask.subarray(npyHeader(mask).offset))).toEqual(new Set([0, 255]));
  });

  it('rejects bad input with one clear line and exit code 2, leaving no output', async () => {
    const out = join(dir, 'bad.mp4');
    const cases: [string[], RegExp][] = [
      [['--controls', controls, '--out', out], /USAGE: --avatar <dir> is required/],
      [
        ['--avatar', AVATAR_DIR, '--controls', controls, '--out', join(dir, 'x.avi')],
        /--out must name an \.mp4/,
      ],
      [
        ['--avatar', AVATAR_DIR, '--controls', controls, '--out', out, '--size', '99'],
        /--size must be 256–1024/,
      ],
      [
        ['--avatar', AVATAR_DIR, '--controls', controls, '--out', out, '--set', 'jawOpne=1'],
        /RENDER_BAD_EDIT/,
      ],
      [
        ['--avatar', join(dir, 'nobody'), '--controls', controls, '--out', out],
        /PROFILE_NOT_FOUND/,
      ],
      [
        ['--avatar', AVATAR_DIR, '--controls', join(dir, 'none.csv'), '--out', out],
        /facecast render-controls: /,
      ],
    ];
    const results = await Promise.all(
      cases.map(([args]) => facecast(['render-controls', ...args])),
    );
    results.forEach(({ code, stderr }, k) => {
      const [args, pattern] = cases[k] as [string[], RegExp];
      expect(code, args.join(' ')).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(pattern);
    });
    expect((await readdir(dir)).filter((f) => f.includes('bad') || f.startsWith('.'))).toEqual([]);
  });
});

describe('float16 dump encoding', () => {
  it('encodes exactly representable values exactly and [0, 1] within 2.5e-4', () => {
    expect(toFloat16Bits(0)).toBe(0);
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(0.5)).toBe(0x3800);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    const decode = (h: number) => {
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      return e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
    };
    for (let i = 0; i <= 1000; i++) {
      const v = i / 1000 + 1e-5;
      expect(Math.abs(decode(toFloat16Bits(v)) - v)).toBeLessThan(2.5e-4);
    }
  });
});
