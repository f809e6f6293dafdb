import { describe, expect, it } from 'vitest';
import { inspectDubInputs } from '../../src/dub/inputs.ts';
import { fixture } from '../helpers/media.ts';

const VIDEO = fixture('dub/retalking.mp4');
const AUDIO = fixture('speech/jfk.wav');
const LIMITS = {
  maxVideoDurationMs: 600_000,
  maxAudioDurationMs: 600_000,
  maxFramePixels: 4096 ** 2,
};
const code = (error: unknown) => (error as { code?: string }).code;

describe('inspectDubInputs', () => {
  it('measures the video and decodes the audio to its exact length', async () => {
    const inputs = await inspectDubInputs(VIDEO, AUDIO, LIMITS);
    expect(inputs.video.width).toBeGreaterThan(0);
    expect(inputs.video.durationMs).toBeGreaterThan(0);
    expect(inputs.audio.durationMs).toBeCloseTo(11_000, -2);
    expect(inputs.audio.silent).toBe(false);
  });

  it("reports the video's error before the audio's when both are refused", async () => {
    // a WAV as the video (no video stream), a video with a too-short limit as the audio
    const both = await inspectDubInputs(AUDIO, VIDEO, { ...LIMITS, maxAudioDurationMs: 1 }).catch(
      (e: unknown) => e,
    );
    expect(code(both)).toBe('MEDIA_NO_VIDEO');
    const audioOnly = await inspectDubInputs(VIDEO, AUDIO, {
      ...LIMITS,
      maxAudioDurationMs: 1000,
    }).catch((e: unknown) => e);
    expect(code(audioOnly)).toBe('AUDIO_TOO_LONG');
    const videoOnly = await inspectDubInputs(VIDEO, AUDIO, { ...LIMITS, maxFramePixels: 16 }).catch(
      (e: unknown) => e,
    );
    expect(code(videoOnly)).toBe('DUB_VIDEO_TOO_LARGE');
  });
});
