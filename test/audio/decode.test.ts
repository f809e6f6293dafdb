import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AudioError,
  analyzeAudio,
  decodeAudioFile,
  encodeWav,
  openAudio,
} from '../../src/audio/index.ts';
import { FacecastError } from '../../src/core/index.ts';
import { MediaError } from '../../src/media/index.ts';
import { ffmpeg, fixture, tempDir } from '../helpers/media.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FacecastError);
    return (error as FacecastError).code;
  }
  throw new Error('expected an error');
}

describe('decodeAudioFile on real speech', () => {
  it.each([
    ['speech/jfk.wav', 11_000, 16_000, 1, 16],
    ['speech/jfk.mp3', 11_000, 16_000, 1, undefined],
    ['speech/fayu_french_s24_48k_stereo.wav', 6723.375, 48_000, 2, 24],
    ['speech/lj001_22k.wav', 9655.011, 22_050, 1, 16],
  ])(
    '%s decodes to 16 kHz mono of the right duration',
    async (file, durationMs, rate, channels, bits) => {
      const decoded = await decodeAudioFile(fixture(file));
      expect(decoded.sampleRate).toBe(16_000);
      expect(Math.abs(decoded.durationMs - durationMs)).toBeLessThanOrEqual(10);
      expect(decoded.source.sampleRate).toBe(rate);
      expect(decoded.source.channels).toBe(channels);
      expect(decoded.source.bitsPerSample).toBe(bits);
      const stats = analyzeAudio(decoded.samples);
      expect(stats.silent).toBe(false);
      expect(stats.peak).toBeLessThanOrEqual(1.05);
      expect(stats.voicedFraction).toBeGreaterThan(0.3);
      expect(stats.voicedFraction).toBeLessThan(0.95);
    },
  );

  it('the MP3 and the WAV of the same speech decode to nearly the same samples', async () => {
    const wav = await decodeAudioFile(fixture('speech/jfk.wav'));
    const mp3 = await decodeAudioFile(fixture('speech/jfk.mp3'));
    const n = Math.min(wav.samples.length, mp3.samples.length);
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      num += ((wav.samples[i] as number) - (mp3.samples[i] as number)) ** 2;
      den += (wav.samples[i] as number) ** 2;
    }
    const snrDb = 10 * Math.log10(den / num);
    expect(snrDb).toBeGreaterThan(10);
  });

  it('streams in chunks whose concatenation equals the whole-file decode', async () => {
    const reader = await openAudio(fixture('speech/lj001_22k.wav'));
    const chunks: Float32Array[] = [];
    for await (const chunk of reader) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    const whole = await decodeAudioFile(fixture('speech/lj001_22k.wav'));
    const joined = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const c of chunks) {
      joined.set(c, offset);
      offset += c.length;
    }
    expect(joined).toEqual(whole.samples);
  });

  it('reads the sound of a video file', async () => {
    const video = join(dir, 'talk.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x64:rate=25',
      '-i',
      fixture('speech/jfk.wav'),
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-c:a',
      'aac',
      '-shortest',
      video,
    ]);
    const fromVideo = await decodeAudioFile(video);
    expect(fromVideo.source.hasVideo).toBe(true);
    expect(Math.abs(fromVideo.durationMs - 2000)).toBeLessThan(60);
  });
});

describe('bad audio input gives a specific error', () => {
  it('empty file → MEDIA_EMPTY', async () => {
    const path = join(dir, 'empty.wav');
    await writeFile(path, '');
    expect(await codeOf(decodeAudioFile(path))).toBe('MEDIA_EMPTY');
  });

  it('a text file renamed .wav → MEDIA_UNREADABLE', async () => {
    const path = join(dir, 'notes.wav');
    await writeFile(path, 'these are meeting notes, not audio\n'.repeat(20));
    expect(await codeOf(decodeAudioFile(path))).toBe('MEDIA_UNREADABLE');
  });

  it('a truncated MP3 → AUDIO_TRUNCATED with the decoded and declared durations', async () => {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(fixture('speech/jfk.mp3'));
    const path = join(dir, 'cut.mp3');
    await writeFile(path, bytes.subarray(0, 30_001));
    const error = await decodeAudioFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AudioError);
    expect((error as AudioError).code).toBe('AUDIO_TRUNCATED');
    expect((error as AudioError).details?.declaredMs).toBeGreaterThan(10_000);
    expect((error as AudioError).details?.decodedMs).toBeLessThan(6_000);
  });

  it('a video with no audio stream → AUDIO_NO_STREAM', async () => {
    const path = join(dir, 'silent-video.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x64:rate=25',
      '-t',
      '1',
      '-c:v',
      'libx264',
      path,
    ]);
    const error = await decodeAudioFile(path).catch((e: unknown) => e);
    expect((error as AudioError).code).toBe('AUDIO_NO_STREAM');
    expect((error as AudioError).message).toMatch(/video without sound/);
  });

  it('a 0.2 s clip → AUDIO_TOO_SHORT', async () => {
    const path = join(dir, 'short.wav');
    await writeFile(
      path,
      encodeWav(
        new Float32Array(3200).map((_, i) => 0.3 * Math.sin(i / 5)),
        16_000,
      ),
    );
    const error = await decodeAudioFile(path).catch((e: unknown) => e);
    expect((error as AudioError).code).toBe('AUDIO_TOO_SHORT');
    expect((error as AudioError).details?.durationMs).toBeCloseTo(200, 0);
  });

  it('30 s of digital silence is valid and reported silent', async () => {
    const path = join(dir, 'silence.wav');
    await writeFile(path, encodeWav(new Float32Array(30 * 16_000), 16_000));
    const decoded = await decodeAudioFile(path);
    expect(decoded.durationMs).toBe(30_000);
    const stats = analyzeAudio(decoded.samples);
    expect(stats).toMatchObject({ silent: true, voicedFraction: 0, peak: 0 });
  });

  it('a missing file → MEDIA_NOT_FOUND; a folder → MEDIA_NOT_A_FILE', async () => {
    expect(await codeOf(decodeAudioFile(join(dir, 'nope.wav')))).toBe('MEDIA_NOT_FOUND');
    expect(await codeOf(decodeAudioFile(dir))).toBe('MEDIA_NOT_A_FILE');
  });

  it('a file over the byte limit → MEDIA_TOO_LARGE', async () => {
    const error = await decodeAudioFile(fixture('speech/jfk.wav'), { maxBytes: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).code).toBe('MEDIA_TOO_LARGE');
    expect((error as MediaError).kind).toBe('limit');
  });

  it('audio over the duration limit → AUDIO_TOO_LONG', async () => {
    expect(await codeOf(decodeAudioFile(fixture('speech/jfk.wav'), { maxDurationMs: 5000 }))).toBe(
      'AUDIO_TOO_LONG',
    );
  });

  it('a playlist pointing at a URL is refused without opening it (local files only)', async () => {
    const path = join(dir, 'remote.m3u8');
    await writeFile(path, '#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/evil.wav\n');
    expect(await codeOf(decodeAudioFile(path))).toBe('MEDIA_UNREADABLE');
  });

  it('an aborted decode stops with ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(
      await codeOf(decodeAudioFile(fixture('speech/jfk.wav'), { signal: controller.signal })),
    ).toBe('ABORTED');
  });
});
