/**
 * Bodies of the fan-out viewer API (src/live/routes.ts): what mediasoup needs from a viewer,
 * checked before it reaches mediasoup (whose own checks answer with TypeErrors or FlatBuffers
 * errors, not a client error).
 */
import { z } from 'zod';

const mediaKind = z.enum(['audio', 'video']);

/** `POST …/viewers`: the viewer device's RTP capabilities (mediasoup-client `device.rtpCapabilities`). */
export const ViewerJoinBody = z.object({
  rtpCapabilities: z.object({
    codecs: z
      .array(
        z.object({
          kind: mediaKind,
          mimeType: z.string().regex(/^(audio|video)\/[\w.-]+$/),
          clockRate: z.number().int().positive(),
          channels: z.number().int().min(1).max(8).optional(),
          preferredPayloadType: z.number().int().min(0).max(127).optional(),
          parameters: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
          rtcpFeedback: z
            .array(z.object({ type: z.string(), parameter: z.string().optional() }))
            .optional(),
        }),
      )
      .max(64)
      .optional(),
    headerExtensions: z
      .array(
        z.object({
          kind: mediaKind,
          uri: z.string(),
          preferredId: z.number().int().min(1).max(255),
          preferredEncrypt: z.boolean().optional(),
          direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
        }),
      )
      .max(64)
      .optional(),
  }),
});

/** `POST …/viewers/:transport/connect`: the viewer's DTLS role and certificate fingerprints. */
export const ViewerConnectBody = z.object({
  dtlsParameters: z.object({
    role: z.enum(['auto', 'client', 'server']).optional(),
    fingerprints: z
      .array(
        z.object({
          algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']),
          value: z.string().regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+$/),
        }),
      )
      .min(1)
      .max(8),
  }),
});
