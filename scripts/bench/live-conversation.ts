/**
 * `npm run bench -- live-conversation`: a live session speaking streamed text, one voice per
 * installed local engine. Per trial: a sentence arrives as a `text.delta` while the avatar is
 * silent (its trailing space completes it), it is synthesised and spoken; after 600 ms of
 * speech an `interrupt` cuts it. Measured by the session itself (stats `conversation`):
 * sentence complete → its first spoken frame handed to the encoder, and interrupt → the first
 * silent frame; the voice's synthesis time alone is measured in the same run (the baseline:
 * what the pipeline adds on top is the difference).
 */
import type { LiveSession } from '../../src/live/index.ts';
import { VoiceCatalog } from '../../src/tts/index.ts';
import { type Bench, machineLine, table } from './harness.ts';
import { loadLine, percentile, startServer, viewers } from './live.ts';

const SENTENCES = [
  'Thanks for waiting, here is what I found.',
  'The train leaves at nine from platform four.',
  'Your order was shipped this morning.',
  'I can book a table for two at seven.',
  'The weather will be sunny all weekend.',
  'Let me check that for you right now.',
];
const VOICES = ['espeak:en-us', 'flite:slt', 'rhvoice:slt', 'festival:cmu_us_slt_arctic_hts'];
/** Viewer run length: long enough for slow runs; the bench ends the session when done. */
const VIEWER_SECONDS = 600;

const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '–');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** One voice's trials on the live session; returns the three series, ms. */
async function trials(session: LiveSession, catalog: VoiceCatalog, voice: string) {
  const firstFrame: number[] = [];
  const interrupt: number[] = [];
  const synthesis: number[] = [];
  for (const [i, sentence] of SENTENCES.entries()) {
    const t = performance.now();
    await catalog.synthesize(sentence, { voice });
    synthesis.push(performance.now() - t);
    await until(
      'the avatar silent',
      () => session.stats().conversation.state === 'idle' && session.stats().queues.speechMs === 0,
    );
    const before = session.stats().conversation;
    await session.handle({ type: 'text.delta', text: `${sentence} `, id: `${voice}-${i}`, voice });
    await until(
      'the first spoken frame',
      () => session.stats().conversation.firstSpokenFrameMs.count > before.firstSpokenFrameMs.count,
    );
    firstFrame.push(session.stats().conversation.firstSpokenFrameMs.last ?? Number.NaN);
    await sleep(600);
    await session.handle({ type: 'interrupt' });
    await until(
      'the interrupt',
      () => session.stats().conversation.interruptMs.count > before.interruptMs.count,
    );
    interrupt.push(session.stats().conversation.interruptMs.last ?? Number.NaN);
    await session.handle({ type: 'text.end', id: `${voice}-${i}` });
  }
  return { firstFrame, interrupt, synthesis };
}

export const liveConversationBench: Bench = {
  id: 'live-conversation',
  async run() {
    const catalog = await VoiceCatalog.load();
    const voices = VOICES.filter((v) => catalog.engines.includes(v.split(':')[0] as string));
    const server = await startServer(1, undefined, false, catalog);
    const loadBefore = await loadLine();
    const rows: (string | number)[][] = [];
    try {
      await viewers(
        server.url,
        1,
        VIEWER_SECONDS,
        async () => {
          await until(
            'a live session',
            () => server.manager.list().some((s) => s.state === 'live'),
            60_000,
          );
          const id = server.manager.list()[0]?.sessionId as string;
          const session = server.manager.get(id) as LiveSession;
          await sleep(2000); // the encoder's first frames, the model warm
          for (const voice of voices) {
            const r = await trials(session, catalog, voice);
            console.info(`${voice}: ${JSON.stringify(r)}`);
            rows.push([
              voice,
              `${f0(percentile(r.synthesis, 0.5))} ms`,
              `${f0(percentile(r.firstFrame, 0.5))} ms`,
              `${f0(percentile(r.firstFrame, 0.95))} ms`,
              `${f0(percentile(r.firstFrame, 0.5) - percentile(r.synthesis, 0.5))} ms`,
              `${f0(percentile(r.interrupt, 0.5))} ms`,
              `${f0(Math.max(...r.interrupt))} ms`,
            ]);
          }
          await server.manager.end(id, 'bench-done');
        },
        '-',
      );
    } finally {
      await server.close();
      await catalog.close();
    }
    const loadAfter = await loadLine();
    return {
      id: 'live-conversation',
      title: 'Live conversation: sentence → first spoken frame, interrupt → silence',
      body: [
        `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (shared machine). Command: \`npm run bench -- live-conversation\`.`,
        '',
        `One 512² session on the real stages (motion model, renderer worker, VP8 via ffmpeg), a werift viewer in another process. Per voice, ${SENTENCES.length} trials: a sentence (8–9 words) arrives as a \`text.delta\` while the avatar is silent, its trailing space completes it; after 600 ms of speech an \`interrupt\`. Measured by the session (stats \`conversation\`): **sentence → first spoken frame** = sentence complete → the first frame carrying its voice handed to the encoder (synthesis + queue + the motion model's look-ahead + render); **interrupt → silent picture** = interrupt message → the first frame without voice handed to the encoder (frames already rendered before the interrupt still leave: at most one render in flight); the voice itself goes silent with the next audio packet (the voices still waiting for their picture are zeroed, \`FrameLoop.silenceHeldVoices\`). Baseline in the same run: the same sentence synthesised alone (“synthesis alone”); “pipeline adds” is the difference of the medians. Each local engine synthesises a whole sentence at once, so the first frame waits for the whole sentence's synthesis; a streaming (cloud) provider queues its first chunk as it arrives.`,
        '',
        table(
          [
            'voice',
            'synthesis alone p50',
            'sentence → first spoken frame p50',
            'p95',
            'pipeline adds (p50)',
            'interrupt → silent picture p50',
            'max',
          ],
          rows,
        ),
        '',
        'Target: interruption within one frame (40 ms). On this loaded machine the picture misses it (a render takes longer than a frame under load 15–20); the voice meets it by construction.',
      ].join('\n'),
    };
  },
};
