import { describe, expect, it } from 'vitest';
import { STATUS_ID } from '../../src/dub/index.ts';
import {
  checkFootage,
  type FootageFacts,
  playbackIndex,
  REPLICA_LIMITS,
  ReplicaError,
  usableRuns,
} from '../../src/replica/index.ts';

const D = STATUS_ID.dubbed;
function facts(overrides: Partial<FootageFacts> = {}): FootageFacts {
  const n = 250;
  return {
    durationMs: 10_000,
    fps: 25,
    variableFrameRate: false,
    statuses: new Uint8Array(n).fill(D),
    shots: new Int32Array(n),
    frontalFrames: n,
    ...overrides,
  };
}
function codeOf(f: FootageFacts): string | undefined {
  try {
    checkFootage(f);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ReplicaError);
    return (error as ReplicaError).code;
  }
}

describe('checkFootage', () => {
  it('accepts one person filmed throughout, and returns its one stretch', () => {
    expect(checkFootage(facts())).toEqual([{ first: 0, last: 249 }]);
  });

  it('refuses each kind of bad footage with its own code', () => {
    expect(codeOf(facts({ durationMs: 3_000 }))).toBe('REPLICA_TOO_SHORT');
    expect(codeOf(facts({ durationMs: REPLICA_LIMITS.maxDurationMs + 1 }))).toBe(
      'REPLICA_TOO_LONG',
    );
    expect(codeOf(facts({ variableFrameRate: true }))).toBe('REPLICA_VARIABLE_FRAME_RATE');
    const two = new Uint8Array(250).fill(D).fill(STATUS_ID['multiple-faces'], 0, 60);
    expect(codeOf(facts({ statuses: two }))).toBe('REPLICA_MULTIPLE_PEOPLE');
    const lost = new Uint8Array(250).fill(D).fill(STATUS_ID['no-face'], 100, 180);
    expect(codeOf(facts({ statuses: lost }))).toBe('REPLICA_FACE_LOST');
    expect(codeOf(facts({ frontalFrames: 0 }))).toBe('REPLICA_NO_FRONTAL');
    // A cut every 40 frames (1.6 s): no stretch reaches 2 s.
    const shots = Int32Array.from({ length: 250 }, (_, i) => Math.floor(i / 40));
    expect(codeOf(facts({ shots }))).toBe('REPLICA_TOO_FRAGMENTED');
  });

  it('accepts a few lost frames and a cut, splitting the stretches there', () => {
    const statuses = new Uint8Array(250).fill(D).fill(STATUS_ID['track-lost'], 100, 110);
    const shots = Int32Array.from({ length: 250 }, (_, i) => (i < 200 ? 0 : 1));
    expect(checkFootage(facts({ statuses, shots }))).toEqual([
      { first: 0, last: 99 },
      { first: 110, last: 199 },
      { first: 200, last: 249 },
    ]);
  });
});

describe('usableRuns', () => {
  it('ends a run at an unusable frame and at a shot change', () => {
    expect(usableRuns([D, D, 1, D, D, D], [0, 0, 0, 0, 1, 1])).toEqual([
      { first: 0, last: 1 },
      { first: 3, last: 3 },
      { first: 4, last: 5 },
    ]);
  });
});

describe('playbackIndex', () => {
  it('maps a 30 fps clip onto 25 fps by time, dropping every sixth frame', () => {
    const times = Array.from({ length: 30 }, (_, i) => (i * 1000) / 30);
    const index = playbackIndex(times, 1000);
    expect(index).toHaveLength(25);
    expect(index.slice(0, 7)).toEqual([0, 1, 2, 3, 4, 6, 7]);
  });

  it('keeps a 25 fps clip frame for frame', () => {
    const times = Array.from({ length: 50 }, (_, i) => i * 40);
    expect(playbackIndex(times, 2000)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
