/**
 * Deterministic stage doubles for unit and protocol tests of the live scheduler and
 * transport (the product and the browser e2e use the real motion and render stages):
 * motion with a configurable look-ahead whose jawOpen follows the block's loudness, and a
 * renderer that paints jawOpen as brightness.
 */
import { type ControlsFrame, neutralFrame } from '../../src/controls/index.ts';
import type {
  MotionPort,
  RenderPort,
  RgbFrame,
  SessionStages,
  StageFactory,
} from '../../src/live/index.ts';
import { LiveError } from '../../src/live/index.ts';

export class ScriptedMotion implements MotionPort {
  /** Audio needed past a frame's instant before it is emitted (the real model: 92.5 ms). */
  readonly lookAheadSamples: number;
  samplesReceived = 0;
  interrupts = 0;
  closed = 0;
  /** Sum of squares of each 40 ms frame fed so far and not yet emitted, oldest first. */
  #energy: number[] = [];
  #fed = 0;
  #emitted = 0;

  constructor(lookAheadSamples = 1480) {
    this.lookAheadSamples = lookAheadSamples;
  }

  process(samples: Float32Array): ControlsFrame[] {
    this.samplesReceived += samples.length;
    for (let i = 0; i < samples.length; i++) {
      const frame = Math.floor((this.#fed + i) / 640) - this.#emitted;
      this.#energy[frame] = (this.#energy[frame] ?? 0) + (samples[i] as number) ** 2;
    }
    this.#fed += samples.length;
    const out: ControlsFrame[] = [];
    while (this.#fed >= this.#emitted * 640 + this.lookAheadSamples) {
      const frame = neutralFrame();
      frame.blendshapes.jawOpen = Math.min(1, Math.sqrt((this.#energy.shift() ?? 0) / 640) * 4);
      out.push(frame);
      this.#emitted++;
    }
    return out;
  }

  /** Like the real runtime: the look-ahead is discarded, the frame clock restarts on new audio. */
  interrupt(): void {
    this.interrupts++;
    this.#energy = [];
    this.#fed = 0;
    this.#emitted = 0;
  }

  close(): void {
    this.closed++;
  }
}

export class BrightnessRenderer implements RenderPort {
  readonly width: number;
  readonly height: number;
  readonly frame: RgbFrame;
  rendered: number[] = [];
  closed = 0;

  constructor(size = 64) {
    this.width = size;
    this.height = size;
    this.frame = { width: size, height: size, data: new Uint8Array(size * size * 3) };
  }

  render(controls: ControlsFrame): RgbFrame {
    const v = Math.round(40 + controls.blendshapes.jawOpen * 200);
    this.frame.data.fill(v);
    this.rendered.push(controls.blendshapes.jawOpen);
    return this.frame;
  }

  close(): void {
    this.closed++;
  }
}

/** A factory of doubles; `opened` keeps every session's stages for assertions. */
export function scriptedStages(
  options: { size?: number; lookAheadSamples?: number; speech?: boolean } = {},
): StageFactory & {
  opened: (SessionStages & { motion: ScriptedMotion; renderer: BrightnessRenderer })[];
} {
  const opened: (SessionStages & { motion: ScriptedMotion; renderer: BrightnessRenderer })[] = [];
  return {
    opened,
    async open(avatarId) {
      if (avatarId === 'missing') throw new LiveError('LIVE_AVATAR_NOT_FOUND', 'no avatar missing');
      const stages = {
        motion: new ScriptedMotion(options.lookAheadSamples ?? 1480),
        renderer: new BrightnessRenderer(options.size ?? 64),
      };
      opened.push(stages);
      return stages;
    },
    ...(options.speech
      ? {
          speech: {
            async synthesize(text: string) {
              // 100 ms of a 200 Hz tone per character: enough to tell texts apart by length
              const n = text.length * 1600;
              return Float32Array.from(
                { length: n },
                (_, i) => 0.3 * Math.sin((2 * Math.PI * 200 * i) / 16_000),
              );
            },
          },
        }
      : {}),
  };
}
