import { describe, expect, it } from 'vitest';
import { type ControlsSequence, neutralFrame } from '../../src/controls/index.ts';
import { applyEdits, parseEdit, RenderError } from '../../src/render/index.ts';

function sequence(frames: number): ControlsSequence {
  return {
    format: 'facecast.controls',
    version: 1,
    fps: 25,
    frames: Array.from({ length: frames }, () => neutralFrame()),
  };
}

describe('parseEdit', () => {
  it('reads blendshapes, head and gaze controls, ranges and degrees', () => {
    expect(parseEdit('eyeBlinkLeft=1@2.0-2.5s')).toEqual({
      control: 'eyeBlinkLeft',
      value: 1,
      startMs: 2000,
      endMs: 2500,
    });
    expect(parseEdit('jawOpen=0')).toEqual({ control: 'jawOpen', value: 0 });
    expect(parseEdit('head.yaw=-0.2')).toEqual({ control: 'head.yaw', value: -0.2 });
    const deg = parseEdit('head.roll=10deg@1-3s');
    expect(deg.value).toBeCloseTo(Math.PI / 18, 12);
    expect(parseEdit('gaze.leftYaw=0.3').control).toBe('gaze.leftYaw');
    expect(parseEdit('head.x=0.5').value).toBe(0.5);
  });

  it.each([
    ['jawOpen', 'no value'],
    ['jawOpen=1.5', 'weight out of range'],
    ['jawOpne=1', 'unknown blendshape'],
    ['head.tilt=0.1', 'unknown head field'],
    ['head.x=3deg', 'degrees on a translation'],
    ['head.yaw=200deg', 'angle past π'],
    ['jawOpen=1@3-2s', 'end before start'],
    ['jawOpen=1deg', 'unit on a weight'],
  ])('rejects %s (%s) with RENDER_BAD_EDIT', (text) => {
    try {
      parseEdit(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RenderError);
      expect((error as RenderError).code).toBe('RENDER_BAD_EDIT');
      expect((error as RenderError).kind).toBe('input');
    }
  });
});

describe('applyEdits', () => {
  it('sets a range with an 80 ms ease at each end and leaves other frames alone', () => {
    const seq = sequence(100);
    const touched = applyEdits(seq, [parseEdit('eyeBlinkLeft=1@1.0-1.4s')]);
    const values = seq.frames.map((f) => f.blendshapes.eyeBlinkLeft);
    expect(touched).toEqual([10]); // frames 25…34 (1.00 s … 1.36 s)
    expect(values[24]).toBe(0);
    expect(values[25]).toBeCloseTo(0.5, 6); // ramping in
    expect(values.slice(26, 33).every((v) => v === 1)).toBe(true);
    expect(values[34]).toBeCloseTo(0.5, 6); // ramping out: 40 ms before the end
    expect(values[35]).toBe(0);
  });

  it('without a range edits every frame; later edits win; weights stay in [0, 1]', () => {
    const seq = sequence(10);
    seq.frames.forEach((f, i) => {
      f.blendshapes.jawOpen = i / 10;
    });
    applyEdits(seq, [
      parseEdit('jawOpen=1'),
      parseEdit('jawOpen=0@0-0.2s'),
      parseEdit('head.yaw=0.1'),
    ]);
    expect(seq.frames.map((f) => f.blendshapes.jawOpen)).toEqual([
      0.5, 0, 0, 0, 0.5, 1, 1, 1, 1, 1,
    ]);
    expect(seq.frames.every((f) => f.head.yaw === 0.1)).toBe(true);
  });
});
