import { describe, expect, it } from 'vitest';
import { Conversation } from '../../src/live/conversation.ts';

describe('Conversation state machine', () => {
  it('idle → listening while the user speaks (with hangover) → speaking → interrupted → listening/idle', () => {
    const c = new Conversation({ voiceDbfs: -45, voiceHangoverMs: 600, interruptedHoldMs: 400 });
    expect(c.step({ speaking: false }, 0)).toBe('idle');
    c.micLevel(-60, 10); // background noise is not voice
    expect(c.step({ speaking: false }, 20)).toBe('idle');
    c.micLevel(-25, 40);
    expect(c.step({ speaking: false }, 40)).toBe('listening');
    expect(c.step({ speaking: false }, 600)).toBe('listening'); // hangover
    expect(c.step({ speaking: false }, 700)).toBe('idle');
    c.micLevel(-25, 800);
    expect(c.step({ speaking: true }, 800)).toBe('speaking'); // the avatar's speech wins
    c.interrupt(900);
    expect(c.step({ speaking: false }, 920)).toBe('interrupted');
    expect(c.step({ speaking: false }, 1250)).toBe('interrupted');
    c.micLevel(-25, 1300);
    expect(c.step({ speaking: false }, 1320)).toBe('listening');
    expect(c.toJSON()).toMatchObject({ state: 'listening', userSpeaking: true });
  });

  it('measures sentence arrival → first spoken frame (only from silence) and interrupt → first silent frame', () => {
    const c = new Conversation();
    c.sentenceQueued(1000);
    c.frameSent(false, 1100);
    c.frameSent(true, 1180);
    c.step({ speaking: true }, 1180);
    c.sentenceQueued(1300); // arrives while speaking: waits for the first, not measured
    c.frameSent(true, 1400);
    c.interrupt(2000);
    c.frameSent(true, 2010); // rendered before the interrupt
    c.frameSent(false, 2030);
    c.frameSent(false, 2070);
    expect(c.toJSON()).toMatchObject({
      sentencesSpoken: 2,
      firstSpokenFrameMs: { p50: 180, last: 180 },
      interruptMs: { p50: 30, last: 30 },
    });
  });
});
