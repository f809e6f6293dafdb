import { z } from 'zod';
import { createSessionSchema } from './options.ts';
import {
  clientMessageSchema,
  MAX_BINARY_MESSAGE_BYTES,
  MAX_TEXT_MESSAGE_BYTES,
} from './protocol.ts';
import { ViewerConnectBody, ViewerJoinBody } from './viewer-schemas.ts';

/** The part of an OpenAPI registry the live routes use (`app.openAPIRegistry` of the server). */
export interface OpenApiRegistryLike {
  registerPath(route: LiveRouteDoc): unknown;
  registerComponent(type: 'schemas', name: string, schema: Record<string, unknown>): unknown;
}

/** One documented route (the shape `@hono/zod-openapi`'s registry takes). */
export interface LiveRouteDoc {
  [extension: `x-${string}`]: unknown;
  method: 'get' | 'post' | 'delete';
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  request?: {
    params?: z.ZodObject;
    query?: z.ZodObject;
    body?: { required: boolean; content: Record<string, { schema: z.ZodType }> };
  };
  responses: Record<
    number,
    { description: string; content?: Record<string, { schema: z.ZodType | { $ref: string } }> }
  >;
}

const error = { $ref: '#/components/schemas/Error' };
const errors = (codes: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(codes).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: error } } },
    ]),
  );
const idParam = z.object({ id: z.string().min(1).max(64) });
const statsRef = { $ref: '#/components/schemas/LiveSessionStats' };

const createdSchema = z.object({
  sessionId: z.string(),
  avatarId: z.string(),
  token: z.string().describe('One-use token for the ws URL, valid for tokenTtlMs (60 s)'),
  expiresAt: z.string().describe('ISO time the token expires'),
  wsUrl: z.string().describe('`/v1/sessions/{id}/ws?token=…`: open it to negotiate WebRTC'),
  video: z.object({
    codec: z.literal('VP8'),
    width: z.number(),
    height: z.number(),
    fps: z.number(),
  }),
  state: z.enum(['waiting', 'negotiating', 'live', 'closed']),
  viewToken: z.string().optional().describe('Only with fan-out: a token for viewers'),
  viewUrl: z.string().optional(),
});

const SERVER_MESSAGES = `Server → client (JSON text): \`ready\` (codecs, ICE servers, limits, whether TTS is on) once
on connect; \`answer\` {sdp}; \`ice\` {candidate}; \`state\` {state, peer}; \`speaking\` {speaking};
\`text.queued\` {id?, durationMs} for every accepted \`text\` and completed \`text.delta\` turn (or an
\`error\`: nothing is dropped silently); \`sentence.queued\` {id?, index, text, durationMs} as each
sentence is synthesised; \`conversation\` {state: idle|listening|speaking|interrupted};
\`audio.queued\` {durationMs}; \`interrupted\` {droppedMs};
\`stats\` {stats}; \`pong\` {t?, serverTime}; \`error\` {code, message, fatal, details?};
\`closed\` {reason}.`;

const wsRoute: LiveRouteDoc = {
  method: 'get',
  path: '/v1/sessions/{id}/ws',
  tags: ['sessions'],
  summary: 'The session’s WebSocket: signalling, text to speak, PCM audio in (upgrade)',
  description: `Upgrade with \`?token=\` from \`POST /v1/sessions\` (one use). Client → server: JSON text
messages (schema \`LiveClientMessage\`, at most ${MAX_TEXT_MESSAGE_BYTES} bytes) — \`offer\` {sdp},
\`ice\` {candidate|null}, \`text\` {text, id?, voice?}, \`text.delta\` {text, id?, voice?} (streamed
text, e.g. an LLM's tokens: each sentence is spoken as soon as it is complete), \`text.end\` {id?},
\`audio.start\` {format}, \`audio\` {data:
base64 PCM}, \`audio.end\`, \`interrupt\`, \`mic\` {enabled}, \`ping\` {t?}, \`bye\`; and, after
\`audio.start\`, binary messages of raw PCM (at most ${MAX_BINARY_MESSAGE_BYTES} bytes each).
${SERVER_MESSAGES} Errors: LIVE_TOKEN_INVALID (401 before the upgrade), LIVE_BAD_MESSAGE,
LIVE_MESSAGE_TOO_LARGE, LIVE_BAD_STATE, LIVE_SPEECH_BACKLOG, LIVE_TTS_UNAVAILABLE, TTS_*.`,
  request: { params: idParam, query: z.object({ token: z.string() }) },
  responses: {
    101: { description: 'Switching protocols: the session’s WebSocket' },
    ...errors({ 401: 'LIVE_TOKEN_INVALID', 404: 'LIVE_SESSION_NOT_FOUND' }),
  },
};

const routes: LiveRouteDoc[] = [
  {
    method: 'post',
    path: '/v1/sessions',
    tags: ['sessions'],
    summary: 'Start a live session (WebRTC) for an avatar',
    description:
      'Answers a one-use token and the ws URL; the session waits for the ws (tokenTtlMs) and the peer (connectTimeoutMs). Errors: LIVE_BAD_REQUEST, LIVE_AVATAR_NOT_FOUND, LIVE_SESSION_LIMIT (503 at the cap).',
    request: {
      body: { required: true, content: { 'application/json': { schema: createSessionSchema } } },
    },
    responses: {
      201: {
        description: 'The session',
        content: { 'application/json': { schema: createdSchema } },
      },
      ...errors({
        400: 'LIVE_BAD_REQUEST',
        404: 'LIVE_AVATAR_NOT_FOUND',
        413: 'PAYLOAD_TOO_LARGE',
        415: 'UNSUPPORTED_CONTENT_TYPE',
        503: 'LIVE_SESSION_LIMIT',
      }),
    },
  },
  {
    method: 'get',
    path: '/v1/sessions',
    tags: ['sessions'],
    summary: 'Running sessions and the cap',
    responses: {
      200: {
        description: 'Sessions',
        content: {
          'application/json': {
            schema: z.object({ sessions: z.array(z.unknown()), maxSessions: z.number() }),
          },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/v1/sessions/{id}',
    tags: ['sessions'],
    summary: 'A session’s statistics (fps, latency, queues)',
    request: { params: idParam },
    responses: {
      200: { description: 'Statistics', content: { 'application/json': { schema: statsRef } } },
      ...errors({ 404: 'LIVE_SESSION_NOT_FOUND' }),
    },
  },
  {
    method: 'delete',
    path: '/v1/sessions/{id}',
    tags: ['sessions'],
    summary: 'End a session (releases every resource)',
    request: { params: idParam },
    responses: { 204: { description: 'Ended' }, ...errors({ 404: 'LIVE_SESSION_NOT_FOUND' }) },
  },
  wsRoute,
  ...viewerRoutes(),
];

/** Fan-out viewers (mediasoup; 501 LIVE_FANOUT_UNAVAILABLE without a worker). */
function viewerRoutes(): LiveRouteDoc[] {
  const query = z.object({ token: z.string().describe('The session’s viewToken') });
  const transport = z.object({ id: z.string(), transportId: z.string() });
  const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
  const refused = errors({ 401: 'LIVE_TOKEN_INVALID', 501: 'LIVE_FANOUT_UNAVAILABLE' });
  const object = z.record(z.string(), z.unknown());
  const badBody = errors({ 400: 'LIVE_BAD_REQUEST' });
  return [
    {
      method: 'get',
      path: '/v1/sessions/{id}/viewers/capabilities',
      tags: ['sessions'],
      summary: 'Viewer: the router’s RTP capabilities (mediasoup-client Device.load)',
      request: { params: idParam, query },
      responses: { 200: { description: 'Capabilities', content: json(object) }, ...refused },
    },
    {
      method: 'post',
      path: '/v1/sessions/{id}/viewers',
      tags: ['sessions'],
      summary: 'Viewer: a receive transport and consumers for the session’s tracks',
      request: {
        params: idParam,
        query,
        body: { required: true, content: json(ViewerJoinBody) },
      },
      responses: {
        201: {
          description: 'Transport, consumers and the publication generation',
          content: json(object),
        },
        ...refused,
        ...badBody,
        ...errors({
          503: 'LIVE_VIEWER_LIMIT (no CPU headroom for one more viewer) or LIVE_FANOUT_MOVING (the session moves to another worker); Retry-After',
        }),
      },
    },
    {
      method: 'get',
      path: '/v1/sessions/{id}/viewers/{transportId}',
      tags: ['sessions'],
      summary:
        'Viewer: its transport’s state (poll it: 404 once the transport is gone; join again)',
      request: { params: transport, query },
      responses: {
        200: {
          description: 'transportId, generation, workerIndex, piped, dtlsState',
          content: json(object),
        },
        ...refused,
        ...errors({ 404: 'LIVE_VIEWER_NOT_FOUND (join again) or LIVE_SESSION_NOT_FOUND (ended)' }),
      },
    },
    {
      method: 'delete',
      path: '/v1/sessions/{id}/viewers/{transportId}',
      tags: ['sessions'],
      summary: 'Viewer: leave (frees its place at once)',
      request: { params: transport, query },
      responses: { 204: { description: 'Left' }, ...refused },
    },
    {
      method: 'post',
      path: '/v1/sessions/{id}/viewers/{transportId}/connect',
      tags: ['sessions'],
      summary: 'Viewer: connect the transport (DTLS parameters)',
      request: {
        params: transport,
        query,
        body: { required: true, content: json(ViewerConnectBody) },
      },
      responses: { 204: { description: 'Connected' }, ...refused, ...badBody },
    },
    {
      method: 'post',
      path: '/v1/sessions/{id}/viewers/{transportId}/resume',
      tags: ['sessions'],
      summary: 'Viewer: resume the consumers',
      request: { params: transport, query },
      responses: { 204: { description: 'Resumed' }, ...refused },
    },
  ];
}

/** Documents the session routes and the ws protocol in the server's OpenAPI registry. */
export function registerLiveOpenApi(registry: OpenApiRegistryLike): void {
  registry.registerComponent(
    'schemas',
    'LiveClientMessage',
    z.toJSONSchema(clientMessageSchema, { target: 'openapi-3.0', io: 'input' }) as Record<
      string,
      unknown
    >,
  );
  registry.registerComponent('schemas', 'LiveSessionStats', {
    type: 'object',
    description:
      'sessionId, avatarId, state, uptimeMs, fps, framesSent, framesDropped, latencyMs {p50, p95, last}, queues {speechMs, micMs, motionFrames, encoderFrames}, audio {packetsSent, micPackets, micUnderruns, speaking}, peer, conversation {state, userSpeaking, sentencesSpoken, firstSpokenFrameMs {p50, last, count}, interruptMs {p50, last, count}}',
  });
  for (const route of routes) registry.registerPath(route);
}
