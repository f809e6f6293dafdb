import { describe, expect, it } from 'vitest';
import { Admission, type SessionCapacity, type ViewerCost } from '../../src/live/index.ts';

// 1 core × 1000 ms × 1.0 = 1000 ms of CPU per second; a session 250 ms/s, a viewer 50 ms/s.
const capacity: SessionCapacity = {
  sessions: 4,
  cpuMsPerFrame: 10,
  cores: 1,
  utilisation: 1,
  frames: 50,
};
const viewerCost: ViewerCost = {
  cpuMsPerViewerFrame: 2,
  viewers: 20,
  frames: 50,
  cores: 1,
  utilisation: 1,
};

describe('Admission by measured cost', () => {
  it('admits viewers while the sessions and viewers running leave CPU for one more', () => {
    const admission = new Admission({ maxSessions: 4, capacity, viewerCost });
    expect(admission.headroom(1, 0)).toMatchObject({
      sessionsHeadroom: 3,
      viewersHeadroom: 15, // (1000 − 250) / 50
      plannedCpuMsPerS: 250,
      budgetCpuMsPerS: 1000,
    });
    expect(() => admission.checkViewer(1, 14)).not.toThrow();
    expect(() => admission.checkViewer(1, 15)).toThrow(
      expect.objectContaining({
        code: 'LIVE_VIEWER_LIMIT',
        details: expect.objectContaining({ retryAfterS: 30 }),
      }),
    );
    expect(admission.headroom(2, 10).viewersHeadroom).toBe(0); // 500 + 500
  });

  it('viewers count against sessions too; the first session is always admitted', () => {
    const admission = new Admission({ maxSessions: 4, capacity, viewerCost });
    expect(() => admission.checkSession(1, 0)).not.toThrow();
    expect(() => admission.checkSession(1, 11)).toThrow(
      expect.objectContaining({
        code: 'LIVE_SESSION_LIMIT',
        message: expect.stringMatching(/no CPU left for another live session/),
      }),
    ); // 250 + 550 leaves 200 < 250
    expect(() => admission.checkSession(4, 0)).toThrow(/at most 4 live sessions/);
    const tiny = new Admission({
      maxSessions: 1,
      capacity: { ...capacity, cpuMsPerFrame: 100, sessions: 1 },
    });
    expect(() => tiny.checkSession(0, 0)).not.toThrow();
  });

  it('without measurements: sessions up to the cap, viewers unbounded', () => {
    const admission = new Admission({ maxSessions: 2 });
    expect(admission.headroom(1, 5000)).toMatchObject({
      sessionsHeadroom: 1,
      viewersHeadroom: null,
      plannedCpuMsPerS: null,
    });
    expect(() => admission.checkViewer(1, 1_000_000)).not.toThrow();
    expect(() => admission.checkSession(2, 0)).toThrow(/at most 2 live sessions/);
  });
});
