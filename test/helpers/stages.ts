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
  readonly lookAheadFrames: number;
  readonly received: Float32Array[] = [];
  interrupts = 0;
  closed = 0;
  #primed = 0;
  #queue: number[] = [];

  constructor(lookAheadFrames = 2) {
    this.lookAheadFrames = lookAheadFrames;
  }

  process(samples: Float32Array): ControlsFrame[] {
    this.received.push(samples);
    let acc = 0;
    for (const v of samples) acc += v * v;
    this.#queue.push(Math.min(1, Math.sqrt(acc / Math.max(1, samples.length)) * 4));
    if (this.#primed < this.lookAheadFrames) {
      this.#primed++;
      return [];
    }
    const jaw = this.#queue.shift() ?? 0;
    const frame = neutralFrame();
    frame.blendshapes.jawOpen = jaw;
    return [frame];
  }

  interrupt(): void {
    this.interrupts++;
    this.#queue = this.#queue.map(() => 0);
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
  options: { size?: number; lookAheadFrames?: number; speech?: boolean } = {},
): StageFactory & {
  opened: (SessionStages & { motion: ScriptedMotion; renderer: BrightnessRenderer })[];
} {
  const opened: (SessionStages & { motion: ScriptedMotion; renderer: BrightnessRenderer })[] = [];
  return {
    opened,
    async open(avatarId) {
      if (avatarId === 'missing') throw new LiveError('LIVE_AVATAR_NOT_FOUND', 'no avatar missing');
      const stages = {
        motion: new ScriptedMotion(options.lookAheadFrames ?? 2),
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
