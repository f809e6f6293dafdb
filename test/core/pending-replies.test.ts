import { describe, expect, it } from 'vitest';
import { PendingReplies } from '../../src/core/index.ts';

describe('PendingReplies: requests to a worker answered by id', () => {
  it('settles each request by its own id, in any order', async () => {
    const pending = new PendingReplies<string>();
    const a = pending.add();
    const b = pending.add();
    expect(a.id).not.toBe(b.id);
    expect(pending.size).toBe(2);
    expect(pending.resolve(b.id, 'second')).toBe(true);
    expect(pending.reject(a.id, new Error('first failed'))).toBe(true);
    await expect(b.reply).resolves.toBe('second');
    await expect(a.reply).rejects.toThrow('first failed');
    expect(pending.size).toBe(0);
    // An answer for a request no longer in flight is ignored.
    expect(pending.resolve(a.id, 'late')).toBe(false);
  });

  it('rejectAll fails every request in flight; settled waits for them either way', async () => {
    const pending = new PendingReplies<number>();
    const requests = [pending.add(), pending.add(), pending.add()];
    let settled = false;
    const waiting = pending.settled().then(() => {
      settled = true;
    });
    pending.resolve(requests[0]?.id ?? -1, 1);
    await Promise.resolve();
    expect(settled).toBe(false);
    pending.rejectAll(new Error('thread died'));
    await waiting;
    expect(settled).toBe(true);
    await expect(requests[1]?.reply).rejects.toThrow('thread died');
    await expect(requests[2]?.reply).rejects.toThrow('thread died');
    expect(pending.size).toBe(0);
  });
});
