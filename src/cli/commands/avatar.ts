import { z } from 'zod';
import { AVATAR_DEFAULTS, createAvatar, IMAGE_DEFAULTS } from '../../face/index.ts';
import { isVideoFile } from '../../replica/index.ts';
import { type Command, parseCommandArgs, parseFlags, UsageError, writeJson } from '../command.ts';
import { createVideoAvatar, VIDEO_LIMITS_TEXT } from './avatar-video.ts';

const degrees = (max: number) => z.coerce.number().gt(0).max(max);
/** The command's flags, validated (numbers arrive as strings). */
const avatarFlagsSchema = z.object({
  out: z.string({ error: '--out <dir> is required' }).min(1),
  strict: z.boolean().default(false),
  maxSize: z.coerce.number().int().min(64).max(16_384).default(IMAGE_DEFAULTS.maxSizePx),
  minIod: z.coerce.number().min(8).max(1000).default(AVATAR_DEFAULTS.minInterOcularPx),
  maxYaw: degrees(89).default((AVATAR_DEFAULTS.maxYawRad * 180) / Math.PI),
  maxPitch: degrees(89).default((AVATAR_DEFAULTS.maxPitchRad * 180) / Math.PI),
  mouthInterior: z
    .enum(['drawn', 'bank'], { error: '--mouth-interior must be drawn or bank' })
    .default('drawn'),
  framing: z.enum(['head', 'whole'], { error: '--framing must be head or whole' }).default('head'),
});

const videoFlagsSchema = z.object({
  out: z.string({ error: '--out <dir> is required' }).min(1),
  maxSize: z.coerce.number().int().min(128).max(1024).default(512),
});

export const avatarCommand: Command = {
  usage: `Usage: facecast avatar create <photo|video> --out <dir> [options] [--json]

A video (${VIDEO_LIMITS_TEXT} of one person, any container, constant frame rate) makes a
video avatar: every frame is tracked once; <dir> gets replica.json (zod-validated), the
footage (JPEG frames at ≤ --max-size px, default 512), the per-frame track, per-shot neutrals
and a mouth bank of the person's real mouth interiors. Renders play the footage (body, blinks,
head motion) and re-animate only the mouth. Errors: REPLICA_TOO_SHORT, REPLICA_TOO_LONG,
REPLICA_VARIABLE_FRAME_RATE, REPLICA_MULTIPLE_PEOPLE, REPLICA_FACE_LOST, REPLICA_NO_FRONTAL,
REPLICA_TOO_FRAGMENTED, REPLICA_OUTPUT_NOT_WRITABLE, MEDIA_* (exit code 2).

A photo: finds the face in a photo (JPEG, PNG with alpha, greyscale, EXIF-rotated; large images are
downscaled), fits facecast's face model to its 478 landmarks, and writes <dir>/profile.json
(zod-validated: source image, crop, landmarks, pose, identity shape, the 52 ARKit weights at
the photo, gaze, upper-body keypoints) and <dir>/image.png (the normalised image all
coordinates refer to). With several faces the largest is used and a warning printed.

Options:
  --out <dir>          folder to write (created if missing)
  --strict             several faces are an error (FACE_MULTIPLE)
  --max-size <px>      longest side of the normalised image (default ${IMAGE_DEFAULTS.maxSizePx};
                       a video's stored footage: default 512, at most 1024)
  --min-iod <px>       smallest eye-centre distance accepted (default ${AVATAR_DEFAULTS.minInterOcularPx}; FACE_TOO_SMALL)
  --max-yaw <deg>      largest head turn accepted (default ${Math.round((AVATAR_DEFAULTS.maxYawRad * 180) / Math.PI)}; FACE_POSE_EXTREME)
  --max-pitch <deg>    largest nod accepted (default ${Math.round((AVATAR_DEFAULTS.maxPitchRad * 180) / Math.PI)})
  --mouth-interior <m> a photo's opened mouth: drawn (default: procedural teeth and cavity) or
                       bank (real mouths of other people, models/mouthbank; see
                       docs/stages/render.md for how the two compare)
  --framing <f>        what renders show: head (default: a square crop around the face) or
                       whole (the whole photo: half- and full-body photos keep their arms
                       and legs in the picture; small faces may need --min-iod 16)
  --json               machine-readable output
  -h, --help

Errors: FACE_NOT_FOUND, FACE_MULTIPLE, FACE_TOO_SMALL, FACE_POSE_EXTREME, IMAGE_UNREADABLE,
IMAGE_TOO_LARGE (exit code 2).`,
  async run(context) {
    const { values, positionals } = parseCommandArgs(
      context.argv,
      {
        out: { type: 'string', short: 'o' },
        strict: { type: 'boolean' },
        'max-size': { type: 'string' },
        'min-iod': { type: 'string' },
        'max-yaw': { type: 'string' },
        'max-pitch': { type: 'string' },
        'mouth-interior': { type: 'string' },
        framing: { type: 'string' },
      },
      { min: 2, max: 2 },
    );
    if (values.help) {
      context.stdout.write(`${this.usage}\n`);
      return;
    }
    const [action, photo] = positionals as [string, string];
    if (action !== 'create') throw new UsageError(`unknown action "${action}" (expected: create)`);
    if (await isVideoFile(photo, context.signal)) {
      const out = parseFlags(videoFlagsSchema, { out: values.out, maxSize: values['max-size'] });
      await createVideoAvatar(
        context,
        photo,
        { ...out, json: values.json === true },
        {
          strict: values.strict,
          'min-iod': values['min-iod'],
          'max-yaw': values['max-yaw'],
          'max-pitch': values['max-pitch'],
        },
      );
      return;
    }
    const flags = parseFlags(avatarFlagsSchema, {
      out: values.out,
      strict: values.strict,
      maxSize: values['max-size'],
      minIod: values['min-iod'],
      maxYaw: values['max-yaw'],
      maxPitch: values['max-pitch'],
      mouthInterior: values['mouth-interior'],
      framing: values.framing,
    });
    const { profile, timingsMs } = await createAvatar(photo, flags.out, {
      strict: flags.strict,
      maxSizePx: flags.maxSize,
      minInterOcularPx: flags.minIod,
      maxYawRad: (flags.maxYaw * Math.PI) / 180,
      maxPitchRad: (flags.maxPitch * Math.PI) / 180,
      mouthInterior: flags.mouthInterior,
      framing: flags.framing,
      signal: context.signal,
    });
    for (const warning of profile.warnings)
      context.stderr.write(`facecast avatar: warning: ${warning}\n`);
    const deg = (rad: number) => Math.round(((rad * 180) / Math.PI) * 10) / 10;
    const active = Object.entries(profile.fit.blendshapes)
      .filter(([, v]) => v >= 0.2)
      .sort((a, b) => b[1] - a[1])
      .map(([name, v]) => `${name} ${v.toFixed(2)}`);
    const report = {
      out: flags.out,
      image: {
        width: profile.image.width,
        height: profile.image.height,
        scale: profile.image.scale,
      },
      facesFound: profile.face.facesFound,
      interOcularPx: profile.face.interOcularPx,
      pose: {
        pitchDeg: deg(profile.fit.pose.pitch),
        yawDeg: deg(profile.fit.pose.yaw),
        rollDeg: deg(profile.fit.pose.roll),
      },
      modelResidualPx: profile.fit.modelResidualPx,
      body: profile.body !== null,
      warnings: profile.warnings,
      timingsMs: Object.fromEntries(Object.entries(timingsMs).map(([k, v]) => [k, Math.round(v)])),
    };
    if (values.json) {
      writeJson(context, report);
      return;
    }
    context.stdout.write(
      [
        `wrote          ${flags.out}/profile.json, ${flags.out}/image.png (${report.image.width}×${report.image.height})`,
        `faces          ${report.facesFound}${report.facesFound > 1 ? ' (used the largest)' : ''}`,
        `eye distance   ${report.interOcularPx.toFixed(1)} px`,
        `pose           pitch ${report.pose.pitchDeg}°, yaw ${report.pose.yawDeg}°, roll ${report.pose.rollDeg}°`,
        `fit residual   ${report.modelResidualPx.mean.toFixed(2)} px mean, ${report.modelResidualPx.max.toFixed(2)} px max`,
        `expression     ${active.length > 0 ? active.join(', ') : 'neutral (no weight ≥ 0.2)'}`,
        `body           ${report.body ? 'keypoints found' : 'not found'}`,
        `time           ${report.timingsMs.total} ms (excluding model load)`,
      ].join('\n') + '\n',
    );
  },
};
