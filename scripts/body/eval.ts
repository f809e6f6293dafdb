/**
 * Scores the body model on the held-out half-body clips (scripts/body/evaluate.ts) and, with
 * `--write`, stores the figures in models/body/manifest.json `metrics`.
 *
 *   nice -n 10 node --import tsx scripts/body/eval.ts [--write]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BodyModel, DEFAULT_BODY_MODEL_DIR } from '../../src/body/index.ts';
import { MotionModel } from '../../src/motion/index.ts';
import { heldOutBodyClips, SEEDS, scoreClip } from './evaluate.ts';

const { values } = parseArgs({ options: { write: { type: 'boolean', default: false } } });
const motion = await MotionModel.load();
const body = await BodyModel.load();
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const round = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000);
const clips = [];
try {
  for (const clip of await heldOutBodyClips()) {
    const s = await scoreClip(motion, body, clip);
    clips.push({
      clip: s.clip,
      seconds: round(s.seconds),
      energyR: {
        model: round(mean(s.energyR.model)),
        noAccent: round(mean(s.energyR.noAccent)),
        idleSway: round(mean(s.energyR.idle)),
        real: round(s.energyR.real),
      },
      beatAlign: {
        model: round(mean(s.beatAlign.model)),
        noAccent: round(mean(s.beatAlign.noAccent)),
        idleSway: round(mean(s.beatAlign.idle)),
        real: round(s.beatAlign.real),
      },
    });
  }
} finally {
  await body.close();
  await motion.close();
}
const metrics = {
  measuredAt: new Date().toISOString(),
  command: 'node --import tsx scripts/body/eval.ts --write',
  method: `held-out half-body clips; means over seeds ${SEEDS.join(', ')}; model: with the beat accent (src/body/accent.ts), noAccent: without; baseline: seeded idle sway at the training motion's SD; real: the tracked speaker (scripts/body/evaluate.ts)`,
  heldoutClips: clips,
};
console.log(JSON.stringify(metrics, null, 2));
if (values.write) {
  const path = join(DEFAULT_BODY_MODEL_DIR, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  manifest.metrics = metrics;
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
}
