import { describe, expect, it } from 'vitest';
import { createSessionSchema, liveOptionsFromEnv } from '../../src/live/index.ts';

describe('live options', () => {
  it('fills session defaults and rejects unknown or out-of-range options', () => {
    expect(createSessionSchema.parse({ avatarId: 'av_x' }).options).toEqual({
      size: 512,
      bitrateKbps: 1200,
      echoMic: true,
      mic: 'puppet',
      seed: 1,
      idleTimeoutMs: 300_000,
      maxDurationMs: 3_600_000,
    });
    expect(createSessionSchema.safeParse({ avatarId: 'a', options: { size: 500 } }).success).toBe(
      false,
    );
    expect(createSessionSchema.safeParse({ avatarId: 'a', options: { fps: 30 } }).success).toBe(
      false,
    );
    expect(createSessionSchema.safeParse({ avatarId: 'a', extra: 1 }).success).toBe(false);
    expect(
      createSessionSchema.safeParse({ avatarId: 'a', options: { maxDurationMs: 9 * 3_600_000 } })
        .success,
    ).toBe(false);
  });

  it('reads the server options from FACECAST_* variables and refuses malformed ones', () => {
    expect(
      liveOptionsFromEnv({
        FACECAST_MAX_SESSIONS: '3',
        FACECAST_ICE_HOST: '203.0.113.7, 198.51.100.2',
        FACECAST_ICE_PORTS: '40000-40100',
        FACECAST_STUN_URLS: 'stun:stun.example.org:3478',
      }),
    ).toEqual({
      maxSessions: 3,
      iceAdditionalHostAddresses: ['203.0.113.7', '198.51.100.2'],
      icePortRange: [40_000, 40_100],
      iceServers: [{ urls: ['stun:stun.example.org:3478'] }],
    });
    expect(liveOptionsFromEnv({})).toEqual({});
    expect(() => liveOptionsFromEnv({ FACECAST_MAX_SESSIONS: '0' })).toThrow(
      /FACECAST_MAX_SESSIONS/,
    );
    expect(() => liveOptionsFromEnv({ FACECAST_ICE_PORTS: '5000' })).toThrow(/FACECAST_ICE_PORTS/);
    expect(() => liveOptionsFromEnv({ FACECAST_ICE_PORTS: '6000-5000' })).toThrow(
      /FACECAST_ICE_PORTS/,
    );
  });
});
