import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../src/live/index.ts';

describe('ws protocol parsing', () => {
  it('accepts every message the client sends', () => {
    const messages = [
      { type: 'offer', sdp: 'v=0\r\n' },
      {
        type: 'ice',
        candidate: {
          candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host',
          sdpMid: '0',
          sdpMLineIndex: 0,
        },
      },
      { type: 'ice', candidate: null },
      { type: 'text', text: ' hello ', id: 'a1' },
      { type: 'audio.start', format: { encoding: 's16le', sampleRate: 48000, channels: 2 } },
      { type: 'audio', data: 'AAAA' },
      { type: 'audio.end' },
      { type: 'interrupt' },
      { type: 'mic', enabled: true },
      { type: 'ping', t: 5 },
      { type: 'bye' },
    ];
    for (const m of messages) {
      const parsed = parseClientMessage(JSON.stringify(m));
      expect(parsed.ok, JSON.stringify(m)).toBe(true);
    }
    const text = parseClientMessage(JSON.stringify({ type: 'text', text: ' hello ' }));
    expect(text.ok && text.message.type === 'text' && text.message.text).toBe('hello');
  });

  it('rejects malformed, unknown, extra-field and oversized messages with a code and a reason', () => {
    const cases: [string, string, RegExp][] = [
      ['{not json', 'LIVE_BAD_MESSAGE', /not valid JSON/],
      ['[]', 'LIVE_BAD_MESSAGE', /invalid message/],
      [JSON.stringify({ type: 'dance' }), 'LIVE_BAD_MESSAGE', /type/],
      [JSON.stringify({ type: 'mic', enabled: 'yes' }), 'LIVE_BAD_MESSAGE', /enabled/],
      [JSON.stringify({ type: 'bye', extra: 1 }), 'LIVE_BAD_MESSAGE', /invalid message/],
      [JSON.stringify({ type: 'text', text: '   ' }), 'LIVE_BAD_MESSAGE', /text/],
      [
        JSON.stringify({ type: 'audio.start', format: { encoding: 's16le', sampleRate: 44100 } }),
        'LIVE_BAD_MESSAGE',
        /format.sampleRate/,
      ],
      [
        JSON.stringify({ type: 'offer', sdp: 'x'.repeat(70_000) }),
        'LIVE_MESSAGE_TOO_LARGE',
        /exceeds 65536/,
      ],
    ];
    for (const [text, code, reason] of cases) {
      const parsed = parseClientMessage(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.code, text.slice(0, 40)).toBe(code);
        expect(parsed.message).toMatch(reason);
      }
    }
  });
});
