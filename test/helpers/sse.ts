/** One Server-Sent Event as received. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Reads an SSE response to its end (or until `stopWhen` returns true), parsing events as
 * the WHATWG spec frames them (blank-line separated, `event:`/`data:`/`id:` fields,
 * comment lines ignored).
 */
export async function readSse(
  response: Response,
  stopWhen: (event: SseEvent) => boolean = () => false,
): Promise<SseEvent[]> {
  if (!response.body) throw new Error('no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += value;
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        cut = buffer.indexOf('\n\n');
        const event: SseEvent = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || line === '') continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event.event = val;
          else if (field === 'data') data.push(val);
          else if (field === 'id') event.id = val;
        }
        if (data.length === 0) continue;
        event.data = data.join('\n');
        events.push(event);
        if (stopWhen(event)) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}
