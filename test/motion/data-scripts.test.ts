import { execFile } from 'node:child_process';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { augmentSpeech, codecRoundTrip } from '../../scripts/data/augment.ts';
import { parseFlitePhones } from '../../scripts/data/flite.ts';
import { HELDOUT_JSON, loadHeldoutSources, sourceStem } from '../../scripts/data/heldout.ts';
import { mulberry32 } from '../../src/motion/index.ts';
import { fixture, tempDir } from '../helpers/media.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

describe('motion data scripts', () => {
  it('read the held-out list: every source in heldout.json', async () => {
    const listed = JSON.parse(await readFile(HELDOUT_JSON, 'utf8')).sources as string[];
    const sources = await loadHeldoutSources();
    expect([...sources].sort()).toEqual([...listed].sort());
    expect(sourceStem('/x/train-talk/talk_mimictalk_German_20s.mp4')).toBe(
      'talk_mimictalk_German_20s',
    );
  });

  it('real.ts never turns a held-out source into training data', async () => {
    const videos = join(dir, 'videos');
    await run('mkdir', ['-p', videos]);
    // A clip named like a held-out source: skipped before any tracking or decoding.
    await copyFile(
      fixture('heldout/clips/edmarkey_256.mp4'),
      join(videos, 'talk_sadtalker_WDA_EdMarkey0_000.mp4'),
    );
    const out = join(dir, 'shards');
    await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/data/real.ts', '--out', out, '--split', 'train', videos],
      { cwd: ROOT },
    );
    expect((await readdir(out)).filter((f) => f.startsWith('index-'))).toEqual([]);
  }, 60_000);

  it('maps flite phone timings (ARPAbet, end times in s) to IPA phonemes in ms', () => {
    const phones = parseFlitePhones('pau:0.164 hh:0.255 ax:0.304 p:0.412 ow:0.548 pau:0.7\n');
    expect(phones.map((p) => p.phoneme)).toEqual(['h', 'ə', 'p', 'oʊ']);
    expect(phones[0]).toEqual({ phoneme: 'h', startMs: 164, endMs: 255 });
    expect(phones[3]?.endMs).toBeCloseTo(548, 6);
  });

  it('augments reproducibly from the seed, and a codec round trip keeps the length', async () => {
    const x = Float32Array.from({ length: 16_000 }, (_, i) => 0.3 * Math.sin(i / 7));
    const context = { nonSpeech: false, clean: false, babble: new Float32Array(0) };
    const a = await augmentSpeech(x, mulberry32(5), context);
    const b = await augmentSpeech(x, mulberry32(5), context);
    expect(b.samples).toEqual(a.samples);
    expect(a.samples.length).toBe(Math.round(x.length * a.times));
    const coded = await codecRoundTrip(x, 'opus-16k');
    expect(coded.length).toBe(x.length);
    const clean = await augmentSpeech(x, mulberry32(5), { ...context, clean: true });
    expect(clean.log).toMatchObject({ speed: 1, noise: 'none', codec: 'none', gainDb: -3 });
  });
});
