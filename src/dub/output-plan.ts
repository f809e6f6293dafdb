import { type FitMode, outputFrameCount, videoFrameAt } from './plan.ts';
import { buildTimeline, type SourceTimeline } from './timeline.ts';
import type { TrackFeed } from './track-feed.ts';

/** One output frame: the source frame it shows and which way the video is playing. */
export interface OutputStep {
  sourceFrame: number;
  direction: 'forward' | 'backward';
}

/**
 * Thrown by {@link OutputPlan.at} when the whole clip's timeline contradicts what was planned
 * from its start (another frame rate, or other source frames for the output frames already
 * given): the output so far is wrong and pass 2 must start again with a fresh plan.
 */
export class PlanChanged extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanChanged';
  }
}

/**
 * Which source frame each output frame shows, while pass 1 may still run. Once pass 1 has
 * ended it is the source timeline (timeline.ts) and the fit mode (plan.ts). Before that, the
 * first output frames — which play the video forwards — are planned at the rate of the frames
 * decoded so far (the timeline of that prefix), each as soon as the decoded times pass it;
 * when pass 1 ends the plan is checked against the whole clip's timeline ({@link PlanChanged}
 * when they differ, which a constant-rate source never does).
 */
export class OutputPlan {
  /** Output frame rate (checked against the whole clip's when pass 1 ends). */
  readonly fps: number;
  readonly #feed: TrackFeed;
  readonly #audioMs: number;
  readonly #fit: FitMode;
  #final: { timeline: SourceTimeline; frames: number } | undefined;
  /** Source frame of each output frame planned before pass 1 ended. */
  readonly #early: number[] = [];
  #cursor = 0;
  #previousVideoFrame = -1;

  /** Plans from what `feed` knows now (at least one decoded frame). */
  constructor(feed: TrackFeed, audioMs: number, fit: FitMode) {
    this.#feed = feed;
    this.#audioMs = audioMs;
    this.#fit = fit;
    const result = feed.result;
    if (result) {
      this.#final = this.#plan(buildTimeline(result.timesMs));
      this.fps = this.#final.timeline.fps;
    } else {
      this.fps = buildTimeline(feed.view.timesMs).fps;
    }
  }

  /** The whole clip's timeline (once pass 1 has ended and {@link at} has seen it). */
  get timeline(): SourceTimeline | undefined {
    return this.#final?.timeline;
  }

  /** Output frames: exact once pass 1 has ended, the audio's length at {@link fps} before. */
  get expectedFrames(): number {
    return this.#final?.frames ?? outputFrameCount(this.#audioMs, this.fps, Infinity, this.#fit);
  }

  /** Output frame `k`'s step (k = 0, 1, 2… in order), or undefined past the last frame. */
  async at(k: number): Promise<OutputStep | undefined> {
    for (;;) {
      if (!this.#final && this.#feed.result) this.#finish(this.#feed.result.timesMs);
      const final = this.#final;
      if (final) {
        if (k >= final.frames) return undefined;
        const j = videoFrameAt(k, final.timeline.frames, this.#fit);
        const backward = j < this.#previousVideoFrame && this.#fit === 'pingpong';
        this.#previousVideoFrame = j;
        return {
          sourceFrame: final.timeline.sourceIndexAt(j),
          direction: backward ? 'backward' : 'forward',
        };
      }
      const early = this.#planEarly(k);
      if (early !== undefined) {
        this.#previousVideoFrame = k;
        return { sourceFrame: early, direction: 'forward' };
      }
      await this.#feed.changed();
    }
  }

  #plan(timeline: SourceTimeline): { timeline: SourceTimeline; frames: number } {
    const frames = outputFrameCount(this.#audioMs, timeline.fps, timeline.frames, this.#fit);
    return { timeline, frames };
  }

  /**
   * Output frame `k` at the prefix's rate: the last decoded frame shown by its middle, once a
   * later frame is decoded (buildTimeline's rule); undefined until then, and for frames past
   * the audio's end (they wait for the whole clip).
   */
  #planEarly(k: number): number | undefined {
    if (k !== this.#early.length) throw new RangeError(`output frame ${k} planned out of order`);
    if (k >= outputFrameCount(this.#audioMs, this.fps, Infinity, this.#fit)) return undefined;
    const times = this.#feed.view.timesMs;
    const t0 = times[0] as number;
    const frameMs = 1000 / this.fps;
    const at = k * frameMs + 0.5 * frameMs;
    let i = this.#cursor;
    while (i + 1 < times.length && (times[i + 1] as number) - t0 <= at) i++;
    this.#cursor = i;
    if (i + 1 >= times.length) return undefined;
    this.#early.push(i);
    return i;
  }

  #finish(timesMs: ArrayLike<number>): void {
    const final = this.#plan(buildTimeline(timesMs));
    if (final.timeline.fps !== this.fps) {
      throw new PlanChanged(`the clip runs at ${final.timeline.fps} fps, its start at ${this.fps}`);
    }
    this.#early.forEach((s, k) => {
      const planned =
        k < final.frames
          ? final.timeline.sourceIndexAt(videoFrameAt(k, final.timeline.frames, this.#fit))
          : -1;
      if (planned !== s)
        throw new PlanChanged(`output frame ${k} shows source frame ${planned}, not ${s}`);
    });
    this.#final = final;
  }
}
