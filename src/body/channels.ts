import { BODY_JOINTS, type ControlsFrame } from '../controls/index.ts';
import { BODY_OUTPUT_COUNT } from './layout.ts';

/** The body channels of Controls frames as rows in BODY_OUTPUTS order (frames × 13). */
export function bodyTargets(frames: readonly ControlsFrame[]): Float32Array {
  const out = new Float32Array(frames.length * BODY_OUTPUT_COUNT);
  frames.forEach((frame, f) => {
    const o = f * BODY_OUTPUT_COUNT;
    out[o] = frame.body.neck.roll;
    BODY_JOINTS.forEach((joint, j) => {
      out[o + 1 + 2 * j] = frame.body[joint].x;
      out[o + 2 + 2 * j] = frame.body[joint].y;
    });
  });
  return out;
}

/**
 * Adds body rows (BODY_OUTPUTS order) to frames' body channels in place: the model's motion
 * on top of what the frames carry (the motion stage's breathing lift of the shoulders).
 */
export function addBodyRows(frames: ControlsFrame[], rows: Float32Array): void {
  frames.forEach((frame, f) => {
    const o = f * BODY_OUTPUT_COUNT;
    if (o + BODY_OUTPUT_COUNT > rows.length) return;
    const roll = frame.body.neck.roll + (rows[o] as number);
    frame.body.neck = { ...frame.body.neck, roll: Math.max(-Math.PI, Math.min(Math.PI, roll)) };
    BODY_JOINTS.forEach((joint, j) => {
      const at = frame.body[joint];
      frame.body[joint] = {
        x: at.x + (rows[o + 1 + 2 * j] as number),
        y: at.y + (rows[o + 2 + 2 * j] as number),
        z: at.z,
      };
    });
  });
}
