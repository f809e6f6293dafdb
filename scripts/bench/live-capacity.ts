/**
 * Admission benchmark (docs/benchmarks.md, live-capacity): the startup capacity probe on
 * the real stages, then N + 1 sessions at once against it (N = the measured capacity): the
 * first N should hold 25 fps and the last get 503. The live-fanout benchmark runs the same
 * check ({@link admissionCheck}) after its fan-out rows.
 *
 *   npm run bench -- live-capacity      (LIVE_SECONDS, default 20)
 */
import { type Bench, machineLine, table } from './harness.ts';
import { loadLine, startServer, type ViewerResult, viewers } from './live.ts';

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');

/**
 * Probes this host's session capacity N, opens N + 1 sessions at once (werift peers in a
 * separate process, each streaming jfk.wav for `seconds`) and returns the probe and the
 * outcome as markdown lines: the admitted sessions' fps received, and the refusal.
 */
export async function admissionCheck(seconds: number): Promise<string[]> {
  const server = await startServer(Number.POSITIVE_INFINITY, undefined, true);
  const capacity = server.manager.capacity;
  if (!capacity) throw new Error('the capacity probe did not run');
  let results: ViewerResult[];
  try {
    results = await viewers(server.url, capacity.sessions + 1, seconds);
  } finally {
    await server.close();
  }
  const atCap = (r: ViewerResult) => /at most \d+ live sessions/.test(r.error ?? '');
  const refused = results.filter(atCap);
  const admitted = results.filter((r) => !atCap(r));
  return [
    `Probe: ${capacity.frames} frames of one 512² session (real motion model, renderer, VP8 via ffmpeg), ${f1(capacity.cpuMsPerFrame)} ms of CPU per frame; ${capacity.cores} cores × 40 ms × ${capacity.utilisation} → capacity N = ${capacity.sessions}. Then ${capacity.sessions + 1} sessions were opened at once by werift peers in a separate process, each streaming jfk.wav for ${seconds} s.`,
    '',
    table(
      ['sessions admitted', 'refused (503)', 'each admitted session: fps received', 'refusal'],
      [
        [
          admitted.length,
          refused.length,
          admitted.map((r) => r.error ?? f1(r.fps)).join('; '),
          refused[0]?.error ?? '–',
        ],
      ],
    ),
  ];
}

export const liveCapacityBench: Bench = {
  id: 'live-capacity',
  async run() {
    const seconds = Number(process.env.LIVE_SECONDS ?? 20);
    const loadBefore = await loadLine();
    const lines = await admissionCheck(seconds);
    const loadAfter = await loadLine();
    return {
      id: 'live-capacity',
      title: 'Admission control: measured capacity, N sessions admitted, the N+1th refused',
      body: [
        `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (other engineers' jobs share these cores). Command: \`npm run bench -- live-capacity\` (LIVE_SECONDS=${seconds}).`,
        '',
        ...lines,
      ].join('\n'),
    };
  },
};
