import { describe, expect, it } from 'vitest';
import {
  type GaugeRegistry,
  LIVE_RETRY_AFTER_S,
  probeSessionCapacity,
  registerLiveMetrics,
  type SessionCapacity,
} from '../../src/live/index.ts';
import { startLiveServer } from '../helpers/live-server.ts';
import { scriptedStages } from '../helpers/stages.ts';

/** Collects the gauges registerLiveMetrics adds, to read them like a scrape would. */
function gauges(): GaugeRegistry & { read(name: string): unknown } {
  const collectors = new Map<string, () => unknown>();
  return {
    gauge(name, _help, collect) {
      collectors.set(name, collect);
    },
    read(name) {
      return collectors.get(name)?.();
    },
  };
}

const measured = (sessions: number): SessionCapacity => ({
  sessions,
  cpuMsPerFrame: 12.5,
  cores: 2,
  utilisation: 0.7,
  frames: 50,
});

describe('session capacity probe', () => {
  it('measures CPU per frame through the stages and the real VP8 encoder', async () => {
    const stages = scriptedStages({ size: 128 });
    const capacity = await probeSessionCapacity(stages, 'ada', {
      frames: 20,
      warmupFrames: 2,
      cores: 4,
      utilisation: 0.5,
    });
    expect(capacity.frames).toBe(20);
    expect(capacity.cpuMsPerFrame).toBeGreaterThan(0);
    expect(capacity.sessions).toBe(
      Math.max(1, Math.floor((4 * 40 * 0.5) / capacity.cpuMsPerFrame)),
    );
    // It rendered through the stages and closed them again.
    expect(stages.opened[0]?.renderer.rendered.length).toBeGreaterThanOrEqual(22);
    expect(stages.opened[0]?.renderer.closed).toBe(1);
    expect(stages.opened[0]?.motion.closed).toBe(1);
  });

  it('fails on an unknown avatar, like a session would', async () => {
    await expect(probeSessionCapacity(scriptedStages(), 'missing')).rejects.toMatchObject({
      code: 'LIVE_AVATAR_NOT_FOUND',
    });
  });
});

describe('admission against the measured capacity', () => {
  it('admits N sessions, answers the N+1th with 503 + Retry-After, and reports headroom', async () => {
    const server = await startLiveServer({
      stages: scriptedStages(),
      capacity: measured(2),
      maxSessions: 5,
    });
    const metrics = gauges();
    registerLiveMetrics(metrics, server.manager);
    const create = () =>
      fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ avatarId: 'ada' }),
      });
    try {
      expect(server.manager.maxSessions).toBe(2);
      expect(metrics.read('facecast_live_sessions_headroom')).toBe(2);
      expect(metrics.read('facecast_live_capacity_cpu_ms_per_frame')).toBe(12.5);
      const admitted = [await create(), await create()];
      expect(admitted.map((r) => r.status)).toEqual([201, 201]);
      expect(metrics.read('facecast_live_sessions_headroom')).toBe(0);
      const refused = await create();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe(String(LIVE_RETRY_AFTER_S));
      expect(await refused.json()).toMatchObject({
        error: { code: 'LIVE_SESSION_LIMIT', details: { maxSessions: 2 } },
      });
    } finally {
      await server.close();
    }
  });

  it('keeps a lower configured cap, and falls back to it without a measurement', async () => {
    const capped = await startLiveServer({
      stages: scriptedStages(),
      capacity: measured(8),
      maxSessions: 3,
    });
    const unmeasured = await startLiveServer({ stages: scriptedStages(), maxSessions: 3 });
    try {
      expect(capped.manager.maxSessions).toBe(3);
      expect(unmeasured.manager.maxSessions).toBe(3);
      const metrics = gauges();
      registerLiveMetrics(metrics, unmeasured.manager);
      expect(metrics.read('facecast_live_capacity_cpu_ms_per_frame')).toEqual([]);
    } finally {
      await capped.close();
      await unmeasured.close();
    }
  });
});
