import { describe, expect, it } from 'vitest';
import { neutralFrame } from '../../src/controls/index.ts';
import { type ClipTrack, reenactmentControls } from '../../src/eval/index.ts';
import { applyHeadDelta, FACE_VERTEX_COUNT, type FacePose } from '../../src/face/index.ts';

const IOD_CM = 6.25;

/**
 * A synthetic track written with the tracker's conventions: absolute rotation, x/y relative to
 * a calibration position in calibration inter-ocular distances, z = focal/iod − focal/iod_cal.
 */
function syntheticTrack(poses: FacePose[], width: number, height: number): ClipTrack {
  const focal = Math.max(width, height);
  const cal = { tx: 250, ty: 240, iod: 90 };
  return {
    format: 'facecast.clip-track',
    version: 1,
    clip: 'synthetic.mp4',
    width,
    height,
    maxSize: 512,
    identity: Array.from({ length: FACE_VERTEX_COUNT * 3 }, () => 0),
    frames: poses.map((pose, i) => {
      const controls = neutralFrame();
      controls.blendshapes.jawOpen = i / 10;
      const iod = pose.pxPerCm * IOD_CM;
      controls.head = {
        pitch: pose.pitch,
        yaw: pose.yaw,
        roll: pose.roll,
        x: (pose.txPx - cal.tx) / cal.iod,
        y: (pose.tyPx - cal.ty) / cal.iod,
        z: focal / iod - focal / cal.iod,
      };
      return { controls, pose };
    }),
  };
}

describe('reenactmentControls', () => {
  const poses: FacePose[] = [
    { pitch: 0.05, yaw: -0.1, roll: 0.02, pxPerCm: 14, txPx: 255, tyPx: 238 },
    { pitch: 0.1, yaw: 0.2, roll: -0.05, pxPerCm: 14.6, txPx: 270, tyPx: 230 },
    { pitch: -0.15, yaw: 0.3, roll: 0.1, pxPerCm: 13.1, txPx: 231, tyPx: 251 },
    { pitch: 0, yaw: 0, roll: 0, pxPerCm: 14.4, txPx: 250, tyPx: 240 },
  ];
  const track = syntheticTrack(poses, 512, 480);

  for (const ref of [0, 2]) {
    it(`re-expresses every frame as a delta that lands on its tracked pose (reference ${ref})`, () => {
      const plan = reenactmentControls(track, ref, IOD_CM);
      expect(plan.referenceIndex).toBe(ref);
      expect(plan.reference.pose).toEqual(poses[ref]);
      poses.forEach((target, i) => {
        const frame = plan.frames[i];
        if (!frame) throw new Error('missing frame');
        const posed = applyHeadDelta(plan.reference.pose, frame.head, {
          focalPx: 512,
          interOcularCm: IOD_CM,
        });
        expect(posed.pitch).toBeCloseTo(target.pitch, 9);
        expect(posed.yaw).toBeCloseTo(target.yaw, 9);
        expect(posed.roll).toBeCloseTo(target.roll, 9);
        expect(posed.pxPerCm).toBeCloseTo(target.pxPerCm, 6);
        expect(posed.txPx).toBeCloseTo(target.txPx, 6);
        expect(posed.tyPx).toBeCloseTo(target.tyPx, 6);
        // Weights stay absolute (the renderer replaces the reference's own).
        expect(frame.blendshapes.jawOpen).toBeCloseTo(i / 10, 12);
      });
      expect(plan.reference.weights[17]).toBeCloseTo(ref / 10, 6); // jawOpen of the reference
    });
  }

  it('moves the reference to the next frame with a face', () => {
    const t = syntheticTrack(poses, 512, 480);
    (t.frames[0] as { pose: FacePose | null }).pose = null;
    expect(reenactmentControls(t, 0, IOD_CM).referenceIndex).toBe(1);
  });
});

describe('reenactmentControls: the body', () => {
  const poses: FacePose[] = [
    { pitch: 0, yaw: 0, roll: 0, pxPerCm: 14, txPx: 250, tyPx: 240 },
    { pitch: 0, yaw: 0, roll: 0, pxPerCm: 14, txPx: 250, tyPx: 240 },
    { pitch: 0, yaw: 0, roll: 0, pxPerCm: 14, txPx: 250, tyPx: 240 },
  ];
  const track = syntheticTrack(poses, 512, 480);
  // Tracked offsets from the tracker's rest pose (a rest the reference frame is not at).
  const tracked = [
    { l: { x: 0.03, y: -0.02 }, r: { x: 0.01, y: 0.02 }, roll: 0.05 },
    { l: { x: 0.05, y: -0.02 }, r: { x: 0.04, y: 0.01 }, roll: 0.02 },
    { l: { x: -0.01, y: 0.0 }, r: { x: 0.0, y: 0.03 }, roll: 0.06 },
  ];
  track.frames.forEach((f, i) => {
    const t = tracked[i] as (typeof tracked)[0];
    f.controls.body.leftShoulder = { ...t.l, z: 0 };
    f.controls.body.rightShoulder = { ...t.r, z: 0 };
    f.controls.body.neck.roll = t.roll;
  });

  it('moves the shoulders by the tracked displacement from the reference frame', () => {
    const plan = reenactmentControls(track, 1, IOD_CM);
    const ref = tracked[1] as (typeof tracked)[0];
    tracked.forEach((t, i) => {
      const body = plan.frames[i]?.body;
      if (!body) throw new Error('missing frame');
      expect(body.leftShoulder.x).toBeCloseTo(t.l.x - ref.l.x, 9);
      expect(body.leftShoulder.y).toBeCloseTo(t.l.y - ref.l.y, 9);
      expect(body.rightShoulder.x).toBeCloseTo(t.r.x - ref.r.x, 9);
      expect(body.rightShoulder.y).toBeCloseTo(t.r.y - ref.r.y, 9);
      expect(body.neck.roll).toBeCloseTo(t.roll - ref.roll, 9);
    });
    // The reference frame itself: the torso where the reference image has it.
    expect(plan.frames[1]?.body.leftShoulder).toEqual({ x: 0, y: 0, z: 0 });
  });

  it('leaves a track without body channels with a still torso', () => {
    const plain = syntheticTrack(poses, 512, 480);
    const plan = reenactmentControls(plain, 0, IOD_CM);
    for (const f of plan.frames) expect(f.body).toEqual(neutralFrame().body);
  });
});
