import { z } from 'zod';

/**
 * What to do when the new audio is longer than the video: `loop` starts the video again
 * (a jump cut at each seam), `pingpong` plays it backwards then forwards again (no cut; head
 * motion reverses), `hold` freezes the last frame while the mouth keeps moving, `trim` cuts
 * the output (and the audio) at the video's end. A shorter audio always trims the video.
 */
export const FIT_MODES = ['loop', 'pingpong', 'hold', 'trim'] as const;
export const fitModeSchema = z.enum(FIT_MODES);
export type FitMode = z.infer<typeof fitModeSchema>;

/**
 * Output frames for an audio of `audioMs` at `fps` over a video of `videoFrames` output
 * frames: the audio's length, except `trim` stops at the video's end.
 */
export function outputFrameCount(
  audioMs: number,
  fps: number,
  videoFrames: number,
  mode: FitMode,
): number {
  const audioFrames = Math.max(1, Math.round((audioMs * fps) / 1000));
  return mode === 'trim' ? Math.min(audioFrames, videoFrames) : audioFrames;
}

/**
 * The video frame (0 … videoFrames − 1, on the source timeline) shown at output frame `k`.
 * Pure; a ping-pong period is 2·(n − 1) frames, so the turning frames are not doubled.
 *
 * @example
 * [0, 1, 2, 3, 4, 5].map((k) => videoFrameAt(k, 3, 'pingpong')); // [0, 1, 2, 1, 0, 1]
 */
export function videoFrameAt(k: number, videoFrames: number, mode: FitMode): number {
  const n = videoFrames;
  if (!(Number.isInteger(k) && k >= 0)) throw new RangeError(`frame ${k} is not an index`);
  if (k < n) return k;
  switch (mode) {
    case 'loop':
      return k % n;
    case 'pingpong': {
      if (n === 1) return 0;
      const p = k % (2 * n - 2);
      return p < n ? p : 2 * n - 2 - p;
    }
    case 'hold':
    case 'trim':
      return n - 1;
  }
}
