import { decodeAudioFile } from '../../src/audio/index.ts';
import { computeLogMel } from '../../src/features/index.ts';
import { MotionCore, MotionModel } from '../../src/motion/index.ts';
import { type Bench, machineLine, table, timeMedian } from './harness.ts';

/**
 * Motion model speed through the TypeScript runtime: offline (whole file, 128-token model
 * runs) and streaming (one 40 ms audio chunk per call: mel + model + Controls), one and two
 * onnxruntime threads. The mel front-end on the same audio is the reference row.
 */
export const motionBench: Bench = {
  id: 'motion',
  async run() {
    const { samples, durationMs } = await decodeAudioFile('test/fixtures/speech/jfk.wav');
    const repeats = Math.ceil(60_000 / durationMs);
    const long = new Float32Array(samples.length * repeats);
    for (let i = 0; i < repeats; i++) long.set(samples, i * samples.length);
    const audioMs = (long.length / 16_000) * 1000;
    const frames = Math.floor(long.length / 640) + 1;
    const melMs = await timeMedian(() => computeLogMel(long), 7, 2);
    const mel = computeLogMel(long).data;
    const rows: (string | number)[][] = [];
    let streamLine = '';
    for (const threads of [1, 2]) {
      const model = await MotionModel.load({ threads });
      const core = new MotionCore(model);
      const coreMs = await timeMedian(
        async () => {
          await core.process(mel);
          await core.flush();
        },
        9,
        3,
      );
      const stream = model.createStream({ seed: 1 });
      const e2eMs = await timeMedian(
        async () => {
          await stream.process({ pcm: long });
          await stream.flush();
        },
        5,
        2,
      );
      // Streaming: 40 ms chunks, each call timed (mel + model step + Controls frame).
      const live = model.createStream({ seed: 1 });
      const steps: number[] = [];
      for (let pass = 0; pass < 2; pass++) {
        for (let at = 0; at + 640 <= long.length; at += 640) {
          const t = performance.now();
          await live.process({ pcm: long.subarray(at, at + 640) });
          if (pass === 1) steps.push(performance.now() - t);
        }
        await live.flush();
      }
      steps.sort((a, b) => a - b);
      const q = (p: number) =>
        (steps[Math.min(steps.length - 1, Math.floor(p * steps.length))] as number).toFixed(3);
      rows.push([
        `${threads} thread${threads > 1 ? 's' : ''}`,
        coreMs.toFixed(1),
        (audioMs / coreMs).toFixed(0),
        ((coreMs * 1000) / frames).toFixed(1),
        (audioMs / e2eMs).toFixed(0),
        q(0.5),
        q(0.95),
        q(0.99),
      ]);
      if (threads === 1) streamLine = `${steps.length} streaming steps per run`;
      await model.close();
    }
    const model = await MotionModel.load();
    const info = model.manifest;
    await model.close();
    return {
      id: 'motion',
      title: 'Motion model (causal transformer, ONNX via onnxruntime-node, CPU)',
      body: [
        `Machine: ${machineLine()}. Model: ${info.name} ${info.version}, ${info.config.parameters.toLocaleString('en')} parameters, ${(info.bytes / 1e6).toFixed(2)} MB, ${info.config.layers} attention layers × ${info.config.heads} heads, window ${info.config.window} frames. Input: ${(audioMs / 1000).toFixed(0)} s of real speech (jfk.wav repeated), ${frames} video frames. Medians of 9 (offline model) / 5 (end to end) runs; ${streamLine}. Command: \`npm run bench -- motion\`.`,
        '',
        table(
          [
            'onnxruntime threads',
            'offline model ms (60 s)',
            'offline × real time',
            'µs per frame',
            'end to end from PCM × real time',
            'stream step p50 ms',
            'p95 ms',
            'p99 ms',
          ],
          rows,
        ),
        '',
        `Reference in the same run: mel front-end alone ${melMs.toFixed(1)} ms for the same 60 s (${(audioMs / melMs).toFixed(0)}× real time). "Offline model" is the ONNX model fed the whole file's mel in 128-token runs, with token assembly and cache hand-over in TypeScript; "end to end" adds mel extraction and Controls frames (idle life included). A stream step is one 40 ms chunk of PCM in, one Controls frame out. Targets: offline ≥ 2000× real time; streaming step ≤ 2 ms per 40 ms frame. Tail latencies on this shared machine come from other processes and GC.`,
      ].join('\n'),
    };
  },
};
