import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '../../src/audio/index.ts';
import { readControlsFile } from '../../src/controls/index.ts';
import { facecast } from '../helpers/cli.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

describe('facecast motion', () => {
  it('animates an audio file into an ARKit CSV, and streaming gives the same frames', async () => {
    const csv = join(dir, 'jfk.csv');
    const { code, stdout } = await facecast([
      'motion',
      fixture('speech/jfk.mp3'),
      '--out',
      csv,
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      frames: 276,
      fps: 25,
      mode: 'offline',
      executionProvider: 'cpu',
    });
    const offline = await readControlsFile(csv);
    expect(offline.frames.length).toBe(276);
    const text = await readFile(csv, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^Timecode,BlendShapeCount,EyeBlinkLeft,/);

    const streamedPath = join(dir, 'jfk-stream.json');
    const streamed = await facecast([
      'motion',
      fixture('speech/jfk.mp3'),
      '--out',
      streamedPath,
      '--stream-ms',
      '20',
    ]);
    expect(streamed.code).toBe(0);
    const s = await readControlsFile(streamedPath);
    expect(s.frames.length).toBe(276);
    let maxDiff = 0;
    s.frames.forEach((f, i) => {
      const o = offline.frames[i];
      if (!o) return;
      for (const [k, v] of Object.entries(f.blendshapes))
        maxDiff = Math.max(maxDiff, Math.abs(v - o.blendshapes[k as keyof typeof o.blendshapes]));
    });
    expect(maxDiff).toBeLessThan(1e-4); // CSV keeps 6 decimals
  });

  it('speaks --text with the embedded TTS and animates it', async () => {
    const out = join(dir, 'text.json');
    const wav = join(dir, 'text.wav');
    const { code, stdout } = await facecast([
      'motion',
      '--text',
      'Bob bought a map.',
      '--voice',
      'en-gb+m3',
      '--out',
      out,
      '--audio-out',
      wav,
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.voice).toBe('espeak:en-gb+m3');
    const audio = await decodeAudioFile(wav);
    expect(report.frames).toBe(Math.floor(audio.samples.length / 640) + 1);
    expect((await readControlsFile(out)).frames.length).toBe(report.frames);
  });

  it('animates a 10-minute file with bounded memory', async () => {
    const long = join(dir, 'long.wav');
    // 10 minutes: the JFK speech looped, as 16 kHz mono.
    await ffmpeg([
      '-stream_loop',
      '60',
      '-i',
      fixture('speech/jfk.wav'),
      '-t',
      '600',
      '-ac',
      '1',
      '-ar',
      '16000',
      long,
    ]);
    const out = join(dir, 'long.csv');
    const { code, stdout } = await facecast(['motion', long, '--out', out, '--json', '--no-idle']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.frames).toBe(15_001);
    expect(report.durationMs).toBe(600_000);
    // Audio, mel and model state are streamed; only the output (Controls + file text) grows.
    // 1 min peaks at ~190 MB, 10 min at 290-300 MB with the system allocator and 315-340 MB
    // with facecast's (heap on 2 MiB pages, freed heap kept: docs/architecture.md "Memory").
    expect(report.peakRssMb).toBeLessThan(380);
  });

  it('exits 2 with one clear line on bad input', async () => {
    const missing = await facecast(['motion', join(dir, 'nope.wav'), '--out', join(dir, 'x.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^facecast motion: MEDIA_NOT_FOUND: /);
    const both = await facecast([
      'motion',
      fixture('speech/jfk.wav'),
      '--text',
      'hi',
      '--out',
      join(dir, 'x.csv'),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/USAGE: give either an audio file or --text/);
    const badExt = await facecast([
      'motion',
      fixture('speech/jfk.wav'),
      '--out',
      join(dir, 'x.txt'),
    ]);
    expect(badExt.code).toBe(2);
    const badSeed = await facecast([
      'motion',
      fixture('speech/jfk.wav'),
      '--out',
      join(dir, 'x.csv'),
      '--seed',
      '-3',
    ]);
    expect(badSeed.code).toBe(2);
    expect(badSeed.stderr).toMatch(/--seed/);
    const empty = join(dir, 'empty.wav');
    await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '0.01', empty]);
    const tooShort = await facecast(['motion', empty, '--out', join(dir, 'x.csv')]);
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toMatch(/AUDIO_TOO_SHORT/);
  });
});

describe('facecast tts', () => {
  it('writes speech and lists phoneme timing', async () => {
    const wav = join(dir, 'tts.wav');
    const { code, stdout } = await facecast([
      'tts',
      'Hello there.',
      '--out',
      wav,
      '--voice',
      'en-us',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.phonemes.length).toBeGreaterThan(4);
    const audio = await decodeAudioFile(wav);
    expect(audio.durationMs).toBeCloseTo(report.durationMs, -1);
    const voices = await facecast(['tts', '--voices']);
    expect(voices.stdout).toMatch(/en-us\s+English \(America\)/);
    const bad = await facecast(['tts', 'hi', '--out', wav, '--voice', 'zz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/TTS_UNKNOWN_VOICE/);
  });
});
