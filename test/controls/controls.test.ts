import { describe, expect, it } from 'vitest';
import {
  ARKIT_BLENDSHAPES,
  blendshapeVector,
  CONTROLS_FPS,
  type ControlsSequence,
  CSV_VALUE_COLUMNS,
  controlsFromCsv,
  controlsFromJson,
  controlsToCsv,
  controlsToJson,
  frameTimecode,
  neutralFrame,
  parseControls,
  setBlendshapeVector,
} from '../../src/controls/index.ts';

function sampleSequence(frames = 60): ControlsSequence {
  const out: ControlsSequence = {
    format: 'facecast.controls',
    version: 1,
    fps: CONTROLS_FPS,
    frames: [],
  };
  for (let i = 0; i < frames; i++) {
    const frame = neutralFrame();
    setBlendshapeVector(
      frame,
      ARKIT_BLENDSHAPES.map((_, k) => ((i * 7 + k * 13) % 101) / 100),
    );
    frame.head = {
      pitch: 0.1 * Math.sin(i / 5),
      yaw: -0.2 * Math.cos(i / 7),
      roll: 0.05,
      x: 0.01 * i,
      y: -0.02,
      z: 0.3,
    };
    frame.gaze = { leftYaw: 0.1, leftPitch: -0.05, rightYaw: 0.12, rightPitch: -0.04 };
    frame.body.neck = { pitch: 0.02, yaw: -0.01, roll: 0 };
    frame.body.leftWrist = { x: 0.1, y: 0.2, z: -0.1 };
    frame.faceFound = i % 10 !== 3;
    out.frames.push(frame);
  }
  return out;
}

describe('Controls contract', () => {
  it('has the 52 ARKit names, unique', () => {
    expect(ARKIT_BLENDSHAPES).toHaveLength(52);
    expect(new Set(ARKIT_BLENDSHAPES).size).toBe(52);
    expect(ARKIT_BLENDSHAPES).toContain('jawOpen');
    expect(ARKIT_BLENDSHAPES).toContain('tongueOut');
  });

  it('round-trips through JSON exactly', () => {
    const seq = sampleSequence();
    expect(controlsFromJson(controlsToJson(seq))).toEqual(seq);
  });

  it('round-trips through the ARKit-style CSV within 7 significant digits', () => {
    const seq = sampleSequence();
    const csv = controlsToCsv(seq);
    const header = csv.split('\n')[0]?.split(',');
    expect(header?.slice(0, 5)).toEqual([
      'Timecode',
      'BlendShapeCount',
      'EyeBlinkLeft',
      'EyeLookDownLeft',
      'EyeLookInLeft',
    ]);
    expect(header?.slice(54, 63)).toEqual([
      'HeadYaw',
      'HeadPitch',
      'HeadRoll',
      'LeftEyeYaw',
      'LeftEyePitch',
      'LeftEyeRoll',
      'RightEyeYaw',
      'RightEyePitch',
      'RightEyeRoll',
    ]);
    const back = controlsFromCsv(csv);
    expect(back.frames).toHaveLength(seq.frames.length);
    back.frames.forEach((frame, i) => {
      const original = seq.frames[i]!;
      const a = blendshapeVector(frame);
      const b = blendshapeVector(original);
      a.forEach((v, k) => {
        expect(v).toBeCloseTo(b[k] as number, 6);
      });
      expect(frame.head.yaw).toBeCloseTo(original.head.yaw, 6);
      expect(frame.head.x).toBeCloseTo(original.head.x, 6);
      expect(frame.gaze).toEqual(original.gaze);
      expect(frame.body.leftWrist).toEqual(original.body.leftWrist);
      expect(frame.faceFound).toBe(original.faceFound);
    });
  });

  it('reads a Live Link Face style CSV with only the ARKit columns', () => {
    const header = ['Timecode', 'BlendShapeCount', ...CSV_VALUE_COLUMNS.slice(0, 61)];
    const row = (i: number) => [
      frameTimecode(i),
      '61',
      ...CSV_VALUE_COLUMNS.slice(0, 61).map((name) => (name === 'JawOpen' ? '0.5' : '0')),
    ];
    const csv = [header, row(0), row(1)].map((r) => r.join(',')).join('\r\n');
    const seq = controlsFromCsv(csv);
    expect(seq.frames).toHaveLength(2);
    expect(seq.frames[1]?.blendshapes.jawOpen).toBe(0.5);
    expect(seq.frames[1]?.faceFound).toBe(true);
  });

  it('writes Live Link Face timecodes at 25 fps', () => {
    expect(frameTimecode(0)).toBe('00:00:00:00.000');
    expect(frameTimecode(26)).toBe('00:00:01:01.000');
    expect(frameTimecode(25 * 3661 + 24)).toBe('01:01:01:24.000');
  });
});

describe('Controls errors are clear', () => {
  const csv = controlsToCsv(sampleSequence(3));
  const lines = csv.trim().split('\n');

  it('unknown column', () => {
    const bad = [lines[0]!.replace('JawOpen', 'JawOpened'), ...lines.slice(1)].join('\n');
    expect(() => controlsFromCsv(bad)).toThrow(/unknown column "JawOpened"/);
  });

  it('missing blendshape column', () => {
    const cells = lines.map((l) => l.split(','));
    const at = cells[0]!.indexOf('MouthClose');
    const bad = cells.map((r) => r.filter((_, i) => i !== at).join(',')).join('\n');
    expect(() => controlsFromCsv(bad)).toThrow(/missing blendshape columns: MouthClose/);
  });

  it('NaN and non-numbers name the line and column', () => {
    const cells = lines.map((l) => l.split(','));
    const at = cells[0]!.indexOf('JawOpen');
    cells[2]![at] = 'NaN';
    expect(() => controlsFromCsv(cells.map((r) => r.join(',')).join('\n'))).toThrow(
      /line 3, column JawOpen: "NaN" is not a finite number/,
    );
  });

  it('out-of-range weights and degrees-for-radians', () => {
    const cells = lines.map((l) => l.split(','));
    const jaw = cells[0]!.indexOf('JawOpen');
    cells[1]![jaw] = '1.5';
    expect(() => controlsFromCsv(cells.map((r) => r.join(',')).join('\n'))).toThrow(
      /outside \[0, 1\]/,
    );
    cells[1]![jaw] = '0.5';
    cells[1]![cells[0]!.indexOf('HeadYaw')] = '45';
    expect(() => controlsFromCsv(cells.map((r) => r.join(',')).join('\n'))).toThrow(/not radians/);
  });

  it('wrong cell count and bad timecode', () => {
    expect(() => controlsFromCsv([lines[0], `${lines[1]},0.1`].join('\n'))).toThrow(
      /line 2: .* cells/,
    );
    expect(() =>
      controlsFromCsv([lines[0], lines[1]!.replace(/^[^,]+/, 'yesterday')].join('\n')),
    ).toThrow(/bad timecode/);
  });

  it('JSON: invalid values, unknown keys and bad syntax', () => {
    expect(() => parseControls({ frames: [{ blendshapes: { jawOpen: 2 } }] })).toThrow(
      /frames\.0\.blendshapes\.jawOpen/,
    );
    expect(() => parseControls({ frames: [{ blendshapes: { jawOpn: 0.2 } }] })).toThrow(
      /jawOpn|Unrecognized/,
    );
    expect(() => parseControls({ fps: 30, frames: [] })).toThrow(/fps/);
    expect(() => controlsFromJson('{"frames": [')).toThrow(/not valid JSON/);
    expect(() => parseControls({ frames: [{ head: { yaw: Number.NaN } }] })).toThrow(/head\.yaw/);
  });

  it('JSON: partial frames are completed with neutral defaults', () => {
    const seq = parseControls({ frames: [{ blendshapes: { jawOpen: 0.4 } }] });
    expect(seq.fps).toBe(25);
    expect(seq.frames[0]?.blendshapes.jawOpen).toBe(0.4);
    expect(seq.frames[0]?.blendshapes.eyeBlinkLeft).toBe(0);
    expect(seq.frames[0]?.head.yaw).toBe(0);
  });
});
