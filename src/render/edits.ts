import {
  type ControlsFrame,
  type ControlsSequence,
  FRAME_DURATION_MS,
  isBlendshapeName,
} from '../controls/index.ts';
import { RenderError } from './errors.ts';

/**
 * One performance edit: set a control to a value, over the whole clip or a time range
 * (VLOGGER's editing use: close the mouth, close the eyes, hold the head still).
 */
export interface ControlEdit {
  /** A blendshape name (`jawOpen`), `head.<pitch|yaw|roll|x|y|z>` or `gaze.<leftYaw|…>`. */
  control: string;
  /** Weight in [0, 1], radians for angles, inter-ocular distances for head x/y/z. */
  value: number;
  /** Start of the range in ms (inclusive); undefined = the whole clip. */
  startMs?: number;
  /** End of the range in ms (exclusive). */
  endMs?: number;
}

/** Edits with a range ease in and out over this long (no pop), ms. */
export const EDIT_RAMP_MS = 80;

const HEAD = new Set(['pitch', 'yaw', 'roll', 'x', 'y', 'z']);
const ANGLES = new Set(['pitch', 'yaw', 'roll']);
const GAZE = new Set(['leftYaw', 'leftPitch', 'rightYaw', 'rightPitch']);

const bad = (message: string) => new RenderError('RENDER_BAD_EDIT', message);

/**
 * Parses `--set` syntax: `<control>=<value>[@<start>-<end>s]`, e.g. `eyeBlinkLeft=1@2.0-2.5s`,
 * `jawOpen=0`, `head.yaw=10deg@1-3s` (angles in radians, or degrees with `deg`).
 */
export function parseEdit(text: string): ControlEdit {
  const match = /^([A-Za-z.]+)=(-?[\d.]+(?:e-?\d+)?)(deg)?(?:@([\d.]+)-([\d.]+)s)?$/.exec(
    text.trim(),
  );
  if (!match) {
    throw bad(
      `cannot parse edit "${text}": expected <control>=<value>[@<start>-<end>s], e.g. eyeBlinkLeft=1@2.0-2.5s`,
    );
  }
  const [, control = '', valueText = '', deg, startText, endText] = match;
  let value = Number(valueText);
  if (!Number.isFinite(value)) throw bad(`edit "${text}": value is not a number`);
  const [group, field] = control.includes('.') ? control.split('.', 2) : [undefined, control];
  if (group === undefined) {
    if (!isBlendshapeName(control)) {
      throw bad(
        `edit "${text}": unknown control "${control}" (an ARKit blendshape name, head.yaw, gaze.leftYaw, …)`,
      );
    }
    if (deg) throw bad(`edit "${text}": blendshape weights take no unit`);
    if (value < 0 || value > 1) throw bad(`edit "${text}": blendshape weights are in [0, 1]`);
  } else if (group === 'head' && field && HEAD.has(field)) {
    if (deg && !ANGLES.has(field)) throw bad(`edit "${text}": head.${field} is not an angle`);
  } else if (group === 'gaze' && field && GAZE.has(field)) {
    // angles
  } else {
    throw bad(`edit "${text}": unknown control "${control}"`);
  }
  if (deg) value = (value * Math.PI) / 180;
  if (
    (group === 'gaze' || (group === 'head' && field && ANGLES.has(field))) &&
    Math.abs(value) > Math.PI
  ) {
    throw bad(`edit "${text}": angles must be within ±π rad (±180°)`);
  }
  const edit: ControlEdit = { control, value };
  if (startText !== undefined && endText !== undefined) {
    const startMs = Number(startText) * 1000;
    const endMs = Number(endText) * 1000;
    if (!(Number.isFinite(startMs) && Number.isFinite(endMs) && endMs > startMs)) {
      throw bad(`edit "${text}": the time range must be <start>-<end>s with end > start`);
    }
    edit.startMs = startMs;
    edit.endMs = endMs;
  }
  return edit;
}

/**
 * Applies edits in order to every frame they cover (frame i at i × 40 ms). Ranged edits
 * blend from the frame's own value to the edit's over {@link EDIT_RAMP_MS} at each end.
 * Returns how many frames each edit touched.
 */
export function applyEdits(sequence: ControlsSequence, edits: readonly ControlEdit[]): number[] {
  return edits.map((edit) => {
    let touched = 0;
    sequence.frames.forEach((frame, i) => {
      const t = i * FRAME_DURATION_MS;
      let weight = 1;
      if (edit.startMs !== undefined && edit.endMs !== undefined) {
        if (t < edit.startMs || t >= edit.endMs) return;
        const ramp = Math.min(EDIT_RAMP_MS, (edit.endMs - edit.startMs) / 2);
        weight = Math.min(
          1,
          (t - edit.startMs + FRAME_DURATION_MS) / ramp,
          (edit.endMs - t) / ramp,
        );
      }
      setControl(frame, edit.control, (old) => old + (edit.value - old) * weight);
      touched++;
    });
    return touched;
  });
}

function setControl(frame: ControlsFrame, control: string, update: (old: number) => number): void {
  const [group, field] = control.includes('.')
    ? (control.split('.', 2) as [string, string])
    : [undefined, control];
  if (group === undefined) {
    const name = field as keyof ControlsFrame['blendshapes'];
    frame.blendshapes[name] = Math.min(1, Math.max(0, update(frame.blendshapes[name])));
  } else if (group === 'head') {
    const key = field as keyof ControlsFrame['head'];
    frame.head[key] = update(frame.head[key]);
  } else {
    const key = field as keyof ControlsFrame['gaze'];
    frame.gaze[key] = update(frame.gaze[key]);
  }
}
