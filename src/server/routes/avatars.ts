import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AvatarPosition, AvatarRecord } from '../../avatars/index.ts';
import type { AppEnv, AppServices, ResolvedAppOptions } from '../context.ts';
import { ApiError } from '../errors.ts';
import { FORM_OVERHEAD_BYTES, receiveMultipart } from '../multipart.ts';
import {
  AvatarIdParam,
  AvatarListQuery,
  AvatarListSchema,
  AvatarSchema,
  type AvatarView,
  ErrorSchema,
  errorResponses,
} from '../schemas.ts';

/** The API view of an avatar. */
export function avatarView(avatar: AvatarRecord): AvatarView {
  const base = {
    id: avatar.id,
    createdAt: avatar.createdAt,
    links: { self: `/v1/avatars/${avatar.id}` },
  };
  if (avatar.kind === 'video') {
    const m = avatar.replica;
    return {
      ...base,
      kind: 'video',
      video: {
        widthPx: m.footage.width,
        heightPx: m.footage.height,
        frames: m.footage.frames,
        durationMs: m.source.durationMs,
        usableFrames: m.usable.reduce<number>((n, u) => n + u, 0),
        cuts: m.cuts.length,
        mouthBank: m.mouthBank !== null,
      },
      warnings: [],
    };
  }
  const { profile } = avatar;
  const deg = (rad: number) => Math.round((rad * 1800) / Math.PI) / 10;
  return {
    ...base,
    kind: 'photo',
    image: { widthPx: profile.image.width, heightPx: profile.image.height },
    crop: profile.crop,
    face: {
      box: profile.face.box,
      score: profile.face.score,
      facesFound: profile.face.facesFound,
      interOcularPx: profile.face.interOcularPx,
    },
    poseDeg: {
      pitch: deg(profile.fit.pose.pitch),
      yaw: deg(profile.fit.pose.yaw),
      roll: deg(profile.fit.pose.roll),
    },
    warnings: profile.warnings,
  };
}

const FramingField = z
  .enum(['head', 'whole'], { error: '"framing" must be head or whole' })
  .optional();

const avatarForm = z
  .object({
    photo: z
      .instanceof(File, { message: 'expected a file in the "photo" field' })
      .optional()
      .openapi({ type: 'string', format: 'binary', description: 'JPEG, PNG or WebP (by content)' }),
    video: z
      .instanceof(File, { message: 'expected a file in the "video" field' })
      .optional()
      .openapi({
        type: 'string',
        format: 'binary',
        description:
          'A video avatar: 5 s to 5 min of one person, MP4/MOV/WebM/MKV (by content), constant frame rate',
      }),
    allowMultipleFaces: z.enum(['true', 'false']).optional().openapi({
      description:
        'With several faces in the photo: `false` (default) refuses it with FACE_MULTIPLE, `true` uses the largest.',
    }),
    framing: FramingField.openapi({
      description:
        'What renders of a photo avatar show: `head` (default), a square talking-head crop around the face; `whole`, the whole photo (half- and full-body photos keep arms and legs in the picture). Photos only: a video avatar shows its footage.',
    }),
  })
  .refine((f) => (f.photo === undefined) !== (f.video === undefined), {
    message: 'send exactly one of the "photo" or "video" fields',
  });

/** The form as received: the photo or video is a file on disk by then. */
const avatarFields = z
  .object({
    photo: z.string().optional(),
    video: z.string().optional(),
    allowMultipleFaces: z.enum(['true', 'false']).optional(),
    framing: FramingField,
  })
  .refine((f) => (f.photo === undefined) !== (f.video === undefined), {
    message: 'send exactly one of the "photo" or "video" fields',
  })
  .refine((f) => f.framing === undefined || f.photo !== undefined, {
    message: '"framing" applies to photo avatars only (a video avatar shows its footage)',
    path: ['framing'],
  });

const createAvatarRoute = createRoute({
  method: 'post',
  path: '/v1/avatars',
  tags: ['avatars'],
  summary: 'Create an avatar from a photo of one face, or a video avatar from a short clip',
  description:
    'A `photo` must show one face, frontal enough (|yaw| ≤ 35°, |pitch| ≤ 30°, |roll| ≤ 45°) and large enough (≥ 32 px between the eyes). Errors: FACE_NOT_FOUND, FACE_MULTIPLE, FACE_TOO_SMALL, FACE_POSE_EXTREME, IMAGE_UNREADABLE. A `video` is tracked once (this request lasts about as long as tracking, ~17 ms a frame on two cores: about half as long as the clip); its avatar plays the footage with only the mouth re-animated. Errors: REPLICA_TOO_SHORT, REPLICA_TOO_LONG (413), REPLICA_VARIABLE_FRAME_RATE, REPLICA_MULTIPLE_PEOPLE, REPLICA_FACE_LOST, REPLICA_NO_FRONTAL, REPLICA_TOO_FRAGMENTED, MEDIA_*. Both: UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE.',
  request: { body: { required: true, content: { 'multipart/form-data': { schema: avatarForm } } } },
  responses: {
    201: { description: 'The avatar', content: { 'application/json': { schema: AvatarSchema } } },
    413: {
      description: 'Photo or video too large',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    415: {
      description: 'Not a JPEG/PNG/WebP photo or an MP4/MOV/WebM/MKV video',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    ...errorResponses,
  },
});

const listAvatarsRoute = createRoute({
  method: 'get',
  path: '/v1/avatars',
  tags: ['avatars'],
  summary: 'Avatars, newest first, a page at a time',
  request: { query: AvatarListQuery },
  responses: {
    200: {
      description: 'A page of avatars',
      content: { 'application/json': { schema: AvatarListSchema } },
    },
    ...errorResponses,
  },
});

/** The position `{createdAt, id}` of a page's last avatar, as an opaque string. */
const cursorSchema = z.object({ createdAt: z.iso.datetime(), id: z.string().max(64) }).strict();
const encodeCursor = (p: AvatarPosition) => Buffer.from(JSON.stringify(p)).toString('base64url');
function decodeCursor(cursor: string): AvatarPosition {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (cause) {
    throw new ApiError('VALIDATION_FAILED', 'cursor: not a cursor from a previous page', {
      cause,
    });
  }
}

const getAvatarRoute = createRoute({
  method: 'get',
  path: '/v1/avatars/{id}',
  tags: ['avatars'],
  summary: 'An avatar',
  request: { params: AvatarIdParam },
  responses: {
    200: { description: 'The avatar', content: { 'application/json': { schema: AvatarSchema } } },
    ...errorResponses,
  },
});

const deleteAvatarRoute = createRoute({
  method: 'delete',
  path: '/v1/avatars/{id}',
  tags: ['avatars'],
  summary: 'Delete an avatar (jobs already accepted keep their own copy)',
  request: { params: AvatarIdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

export function mountAvatarRoutes(
  app: OpenAPIHono<AppEnv>,
  services: AppServices,
  options: ResolvedAppOptions,
): void {
  const { avatars } = services;
  // Documented with createRoute; the body is read by hand (after the size limit) so every
  // failure carries facecast's own error codes.
  app.openAPIRegistry.registerPath(createAvatarRoute);
  app.post('/v1/avatars', async (c) => {
    const form = await receiveMultipart(c, {
      dir: services.uploadDir,
      maxBodyBytes: Math.max(options.maxPhotoBytes, options.maxVideoBytes) + FORM_OVERHEAD_BYTES,
      files: {
        photo: {
          maxBytes: options.maxPhotoBytes,
          accept: ['image'],
          describe: 'a JPEG, PNG or WebP image',
        },
        video: {
          maxBytes: options.maxVideoBytes,
          accept: ['av-container'],
          describe: 'an MP4, MOV, WebM or MKV video',
        },
      },
    });
    try {
      const fields = avatarFields.parse({
        ...form.fields,
        photo: form.files.photo?.path,
        video: form.files.video?.path,
      });
      const avatar = await avatars.create(fields.photo ?? fields.video ?? '', {
        strict: fields.allowMultipleFaces !== 'true',
        ...(fields.framing ? { framing: fields.framing } : {}),
        signal: c.req.raw.signal,
      });
      c.header('Location', `/v1/avatars/${avatar.id}`);
      return c.json(avatarView(avatar), 201);
    } finally {
      await form.cleanup();
    }
  });

  app.openapi(listAvatarsRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await avatars.list({
      limit: limit ?? 20,
      ...(cursor ? { after: decodeCursor(cursor) } : {}),
    });
    return c.json(
      { avatars: page.avatars.map(avatarView), next: page.next && encodeCursor(page.next) },
      200,
    );
  });

  app.openapi(getAvatarRoute, async (c) =>
    c.json(avatarView(await avatars.get(c.req.valid('param').id)), 200),
  );

  app.openapi(deleteAvatarRoute, async (c) => {
    await avatars.remove(c.req.valid('param').id);
    return c.body(null, 204);
  });
}
