import { decodeAudioFile } from '../../src/audio/index.ts';
import { computeLogMel } from '../../src/features/index.ts';
import { type Bench, machineLine, table, timeMedian } from './harness.ts';

/** Mel front-end speed, facecast's FFT vs Meyda's spectrum (the baseline) in the same run. */
export const melBench: Bench = {
  id: 'mel',
  async run() {
    const { samples, durationMs } = await decodeAudioFile('test/fixtures/speech/jfk.wav');
    // 60 s of real speech (the 11 s clip repeated) so each timing is tens of milliseconds.
    const repeats = Math.ceil(60_000 / durationMs);
    const long = new Float32Array(samples.length * repeats);
    for (let i = 0; i < repeats; i++) long.set(samples, i * samples.length);
    const audioMs = (long.length / 16_000) * 1000;
    const fastMs = await timeMedian(() => computeLogMel(long), 9, 3);
    const meydaMs = await timeMedian(() => computeLogMel(long, { engine: 'meyda' }), 3, 1);
    const frames = 1 + Math.floor(long.length / 160);
    return {
      id: 'mel',
      title: 'Mel features (80-band log-mel, 10 ms hop)',
      body: [
        `Machine: ${machineLine()}. Input: ${(audioMs / 1000).toFixed(0)} s of real speech (jfk.wav repeated), one thread. Median of 9 (fast) / 3 (meyda) runs. Command: \`npm run bench -- mel\`.`,
        '',
        table(
          ['engine', 'ms (whole input)', 'µs per frame', '× real time', 'vs Meyda'],
          [
            [
              'facecast FFT (default)',
              fastMs.toFixed(1),
              ((fastMs * 1000) / frames).toFixed(2),
              (audioMs / fastMs).toFixed(0),
              `${(meydaMs / fastMs).toFixed(1)}×`,
            ],
            [
              'Meyda powerSpectrum (baseline)',
              meydaMs.toFixed(1),
              ((meydaMs * 1000) / frames).toFixed(2),
              (audioMs / meydaMs).toFixed(0),
              '1.0×',
            ],
          ],
        ),
        '',
        'Target: ≥ 1000× real time.',
      ].join('\n'),
    };
  },
};
