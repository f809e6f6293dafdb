import { BodyModel } from '../../src/body/index.ts';
import { MotionModel } from '../../src/motion/index.ts';
import { type ClipScore, heldOutBodyClips, SEEDS, scoreClip } from '../body/evaluate.ts';
import { type Bench, machineLine, table } from './harness.ts';

/**
 * Speech → body on the held-out half-body clips: does the predicted body's motion energy
 * follow the speech, and do its strokes land on the speech's beats — against a seeded
 * idle-sway baseline and the real (tracked) speaker, same audio, same run. Method in
 * scripts/body/evaluate.ts.
 */
export const bodyBench: Bench = {
  id: 'body',
  async run() {
    const motion = await MotionModel.load();
    const body = await BodyModel.load();
    const scores: ClipScore[] = [];
    const t0 = performance.now();
    try {
      for (const clip of await heldOutBodyClips()) scores.push(await scoreClip(motion, body, clip));
    } finally {
      await body.close();
      await motion.close();
    }
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const spread = (v: number[]) =>
      `${mean(v).toFixed(2)} (${Math.min(...v).toFixed(2)}…${Math.max(...v).toFixed(2)})`;
    const real = (v: number | null) => (v === null ? 'not tracked' : v.toFixed(2));
    const rows = scores.flatMap((s) => [
      [
        s.clip,
        `${s.seconds.toFixed(1)} s`,
        'energy r',
        spread(s.energyR.model),
        spread(s.energyR.noAccent),
        spread(s.energyR.idle),
        real(s.energyR.real),
      ],
      [
        s.clip,
        '',
        'beat align',
        spread(s.beatAlign.model),
        spread(s.beatAlign.noAccent),
        spread(s.beatAlign.idle),
        real(s.beatAlign.real),
      ],
    ]);
    return {
      id: 'body',
      title: 'Speech → body (held-out half-body clips)',
      body: [
        `Machine: ${machineLine()}. ${body.manifest.name} ${body.manifest.version} after the shipped motion model (its head drives the neck input), seeds ${SEEDS.join(', ')} (mean, min…max), with the beat accent (src/body/accent.ts, on by default; tuned on the training clips only by scripts/body/tune-accent.ts) and without. Baseline: seeded idle sway (the model's noise process at the training motion's SD per channel, no audio). Real: the speaker tracked by scripts/body/track-clips.ts, when data/body/tracks has the clip. Energy r: Pearson r of the joints' speed and the speech envelope, both averaged over 0.52 s. Beat align: mean over the motion's strokes (speed peaks) of exp(−d²/2σ²), d = distance to the nearest speech beat (envelope-rise peak), σ = 100 ms. Method: scripts/body/evaluate.ts. ${seconds} s. Command: \`npm run bench -- body\`.`,
        '',
        table(
          [
            'clip',
            'length',
            'measure',
            'body model + beat accent',
            'body model, no accent',
            'idle sway (baseline)',
            'real speaker',
          ],
          rows,
        ),
      ].join('\n'),
    };
  },
};
