import {
  BODY_JOINTS,
  type BodyPose,
  blendshapeVector,
  type ControlsFrame,
} from '../controls/index.ts';
import { anglesFromRotation, type FacePose, rotationMatrix } from '../face/index.ts';
import type { RenderReference } from '../render/index.ts';
import { EvaluationError } from './errors.ts';
import type { ClipTrack } from './track.ts';

/** The render reference of a tracked frame, less its image (the decoded frame itself). */
export type TrackedReference = Omit<RenderReference, 'image'>;

/**
 * Self-reenactment: frame `referenceIndex` of a tracked clip becomes the reference (its raw
 * fitted pose, its smoothed weights and gaze, the person's neutral), and every frame's
 * tracked Controls are re-expressed for the renderer — weights and gaze as tracked (absolute),
 * head pose as the delta from the reference's pose that lands on the tracked pose
 * (`applyHeadDelta(reference.pose, delta)` = the tracked rotation, position and scale).
 *
 * The tracker reports x/y relative to a calibration position in calibration inter-ocular
 * distances, and z as `focal/iod − focal/iod_calibration`; both calibration values are
 * recovered here as medians over the faced frames (focal = the decoded frame's larger side,
 * what `track` and the renderer both assume).
 *
 * The body channels (tracked offsets from the tracker's rest pose, in rest shoulder widths)
 * become offsets from the reference frame's own pose ({@link bodyRelativeTo}): the renderer
 * moves the reference's shoulders by the Controls offset, so the reference frame itself must
 * read 0. The unit is kept (rest shoulder width ≈ the reference's; a few per cent of a few
 * pixels). A track without body channels (all 0) stays at 0: a still torso.
 *
 * @example
 * const { reference, frames } = reenactmentControls(track, 0, model.interOcularCm);
 * renderer.setReference({ ...reference, image: firstFrame });
 */
export function reenactmentControls(
  track: ClipTrack,
  referenceIndex: number,
  interOcularCm: number,
): { reference: TrackedReference; referenceIndex: number; frames: ControlsFrame[] } {
  const faced = track.frames
    .map((f, i) => ({ pose: f.pose, controls: f.controls, i }))
    .filter((f): f is { pose: FacePose; controls: ControlsFrame; i: number } => f.pose !== null);
  if (faced.length === 0)
    throw new EvaluationError('EVAL_TOO_FEW_FRAMES', `${track.clip}: no face`);
  // The first faced frame at or after the requested index (else the last faced one).
  const ref = faced.find((f) => f.i >= referenceIndex) ?? (faced.at(-1) as (typeof faced)[0]);
  const focal = Math.max(track.width, track.height);
  const iodOf = (p: FacePose) => p.pxPerCm * interOcularCm;
  const calIod = median(faced.map((f) => focal / (focal / iodOf(f.pose) - f.controls.head.z)));
  const calTx = median(faced.map((f) => f.pose.txPx - f.controls.head.x * calIod));
  const calTy = median(faced.map((f) => f.pose.tyPx - f.controls.head.y * calIod));
  const refPose = ref.pose;
  const refIod = iodOf(refPose);
  const rb = rotationMatrix(refPose.pitch, refPose.yaw, refPose.roll);
  const rt = new Float64Array(9);
  const rd = new Float64Array(9);
  const refBody = ref.controls.body;
  const frames = track.frames.map((f) => {
    const head = f.controls.head;
    rotationMatrix(head.pitch, head.yaw, head.roll, rt);
    // R_delta = R_target · R_refᵀ
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += (rt[i * 3 + k] as number) * (rb[j * 3 + k] as number);
        rd[i * 3 + j] = s;
      }
    }
    const angles = anglesFromRotation(rd);
    return {
      ...f.controls,
      body: bodyRelativeTo(f.controls.body, refBody),
      head: {
        ...angles,
        x: (calTx + head.x * calIod - refPose.txPx) / refIod,
        y: (calTy + head.y * calIod - refPose.tyPx) / refIod,
        z: head.z + focal / calIod - focal / refIod,
      },
    };
  });
  return {
    reference: {
      identity: Float32Array.from(track.identity),
      weights: blendshapeVector(ref.controls),
      pose: refPose,
      gaze: ref.controls.gaze,
    },
    referenceIndex: ref.i,
    frames,
  };
}

/**
 * A body pose re-expressed relative to another: joint offsets and the neck roll minus the
 * reference's (pitch and yaw pass through: the tracker leaves them 0).
 */
export function bodyRelativeTo(body: BodyPose, reference: BodyPose): BodyPose {
  const out: BodyPose = {
    ...body,
    neck: { ...body.neck, roll: body.neck.roll - reference.neck.roll },
  };
  for (const joint of BODY_JOINTS) {
    const a = body[joint];
    const b = reference[joint];
    out[joint] = { x: a.x - b.x, y: a.y - b.y, z: a.z - b.z };
  }
  return out;
}

function median(values: number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
