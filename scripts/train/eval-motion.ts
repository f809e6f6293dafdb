/**
 * Measures the motion model through the TypeScript runtime, against the energy baseline
 * (jawOpen ∝ RMS of the 40 ms around each frame) and, with `--compare`, against another model
 * (the previous version) — all in the same run — and writes the figures into the manifest.
 *
 *   node --import tsx scripts/train/eval-motion.ts --heldout data/motion/synth/heldout \
 *        --real data/motion/real-heldout [--model models/motion] [--compare <old model dir>] [--write]
 *
 * (a) held-out synthetic voices (timbres never used in training): correlation of predicted
 *     jawOpen, lip aperture and each mouth channel with the phoneme-derived ground truth, and how
 *     often /p b m/ close the lips;
 * (b) real talking videos tracked by `facecast track` (held-out speakers, never trained on):
 *     per clip, correlation of predicted jawOpen with the tracked jawOpen and with the audio's
 *     energy, and of the predicted upper face (brows, eye squint/wide) with the tracked one.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BLENDSHAPE_INDEX, type BlendshapeName } from '../../src/controls/index.ts';
import {
  DEFAULT_MOTION_MODEL_DIR,
  MOTION_OUTPUT_COUNT,
  MotionCore,
  MotionModel,
  pearson,
} from '../../src/motion/index.ts';
import {
  apertures,
  bestLag,
  cat,
  column,
  fitCoefficients,
  fitLinear,
  loadShards,
  mae,
  predict,
  r3,
  type Session,
} from './eval-shards.ts';

const { values } = parseArgs({
  options: {
    heldout: { type: 'string', default: 'data/motion/synth/heldout' },
    real: { type: 'string', multiple: true, default: [] },
    model: { type: 'string' },
    compare: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});

const C = MOTION_OUTPUT_COUNT;
const B = BLENDSHAPE_INDEX;
const CHANNELS: BlendshapeName[] = [
  'jawOpen',
  'mouthClose',
  'mouthFunnel',
  'mouthPucker',
  'mouthStretchLeft',
  'mouthSmileLeft',
  'mouthPressLeft',
  'mouthRollLower',
  'mouthLowerDownLeft',
  'mouthUpperUpLeft',
];
/** Upper-face channels learnt from speech (real clips): their mean r is reported per clip. */
const UPPER: BlendshapeName[] = ['browInnerUp', 'browDownLeft', 'browOuterUpLeft', 'eyeWideLeft'];
/** Lips count as closed below this aperture (ground truth at /p b m/ is < 0.03; open vowels > 0.15). */
const CLOSED_APERTURE = 0.05;

interface Predicted {
  session: Session;
  pred: Float32Array;
}

async function predictAll(dir: string | undefined, sessions: Session[][]) {
  const model = await MotionModel.load({ modelDir: dir });
  const core = new MotionCore(model);
  const out: Predicted[][] = [];
  for (const set of sessions) {
    const preds: Predicted[] = [];
    for (const s of set) preds.push({ session: s, pred: await predict(core, s) });
    out.push(preds);
  }
  const version = model.manifest.version;
  await model.close();
  return { version, sets: out };
}

function synthMetrics(items: Predicted[]) {
  const frames = items.map((x) => x.session.meta.frames);
  const pred = cat(items.map((x, i) => column(x.pred, B.jawOpen, frames[i] as number)));
  const truth = cat(items.map((x, i) => column(x.session.targets, B.jawOpen, frames[i] as number)));
  const rms = cat(items.map((x) => x.session.rms));
  const apPred = cat(items.map((x, i) => apertures(x.pred, frames[i] as number)));
  const apTruth = cat(items.map((x, i) => apertures(x.session.targets, frames[i] as number)));
  const perChannel: Record<string, { model: number; baseline: number }> = {};
  for (const name of CHANNELS) {
    const p = cat(items.map((x, i) => column(x.pred, B[name], frames[i] as number)));
    const t = cat(items.map((x, i) => column(x.session.targets, B[name], frames[i] as number)));
    perChannel[name] = { model: r3(pearson(p, t)), baseline: r3(pearson(rms, t)) };
  }
  const vals = Object.values(perChannel);
  return {
    frames: pred.length,
    jawOpenR: {
      model: r3(pearson(pred, truth)),
      baseline: r3(pearson(rms, truth)),
      baselineBestLag: r3(bestLag(rms, truth)),
    },
    lipApertureR: { model: r3(pearson(apPred, apTruth)), baseline: r3(pearson(rms, apTruth)) },
    meanMouthChannelR: {
      model: r3(vals.reduce((a, v) => a + v.model, 0) / vals.length),
      baseline: r3(vals.reduce((a, v) => a + v.baseline, 0) / vals.length),
    },
    jawOpenMae: { model: r3(mae(pred, truth)), baseline: r3(mae(fitLinear(rms, truth), truth)) },
    perChannel,
  };
}

/** Share of /p b m/ segments where the predicted lips close (and the fitted energy baseline's). */
function bilabialClosure(items: Predicted[]) {
  const all = items.map((x) => x.session);
  const fit = fitCoefficients(
    cat(all.map((s) => s.rms)),
    cat(all.map((s) => apertures(s.targets, s.meta.frames))),
  );
  let segments = 0;
  let model = 0;
  let baseline = 0;
  for (const { session: s, pred } of items) {
    const ap = apertures(pred, s.meta.frames);
    for (const p of s.meta.phonemes ?? []) {
      if (!/^[pbm]$/.test(p.phoneme.replace(/[ˈˌː]/g, ''))) continue;
      const from = Math.max(0, Math.floor(p.startMs / 40) - 1);
      const to = Math.min(s.meta.frames - 1, Math.ceil(p.endMs / 40) + 1);
      if (to < from) continue;
      segments++;
      let minModel = Number.POSITIVE_INFINITY;
      let minBase = Number.POSITIVE_INFINITY;
      for (let f = from; f <= to; f++) {
        minModel = Math.min(minModel, ap[f] as number);
        minBase = Math.min(minBase, fit.a * (s.rms[f] as number) + fit.b);
      }
      if (minModel < CLOSED_APERTURE) model++;
      if (minBase < CLOSED_APERTURE) baseline++;
    }
  }
  const share = (n: number) => r3(n / Math.max(1, segments));
  return { segments, model: share(model), baseline: share(baseline), threshold: CLOSED_APERTURE };
}

function syntheticSection(items: Predicted[]) {
  const augmented = (x: Predicted) => {
    const log = x.session.meta.augment as { noise: string; speed: number };
    return log.noise !== 'none' || log.speed !== 1;
  };
  return {
    sessions: items.length,
    all: synthMetrics(items),
    clean: synthMetrics(items.filter((x) => !augmented(x))),
    augmented: synthMetrics(items.filter(augmented)),
    bilabialClosure: bilabialClosure(items),
  };
}

/** Per clip: the faced frames' predicted vs tracked jawOpen, vs energy, and the upper face. */
function realClip(x: Predicted) {
  const s = x.session;
  const keep: number[] = [];
  for (let f = 0; f < s.meta.frames; f++)
    if ((s.mask[f * C + B.jawOpen] as number) > 0) keep.push(f);
  const pick = (rows: Float32Array, c: number) =>
    Float32Array.from(keep, (f) => rows[f * C + c] as number);
  const p = pick(x.pred, B.jawOpen);
  const t = pick(s.targets, B.jawOpen);
  const e = Float32Array.from(keep, (f) => s.rms[f] as number);
  const upper = UPPER.map((n) => pearson(pick(x.pred, B[n]), pick(s.targets, B[n])));
  const mean = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  return {
    series: { p, t, e },
    row: {
      clip: s.meta.clip,
      frames: keep.length,
      modelVsTracked: r3(pearson(p, t)),
      modelVsEnergy: r3(pearson(p, e)),
      energyVsTracked: r3(pearson(e, t)),
      energyBestLagVsTracked: r3(bestLag(e, t)),
      upperFaceVsTracked: r3(
        upper.reduce((a, v) => a + (Number.isFinite(v) ? v : 0), 0) / upper.length,
      ),
      modelJawMean: r3(mean(p)),
      trackedJawMean: r3(mean(t)),
    },
  };
}

function realSection(items: Predicted[]) {
  const clips = items.map(realClip);
  const p = cat(clips.map((c) => c.series.p));
  const t = cat(clips.map((c) => c.series.t));
  const e = cat(clips.map((c) => c.series.e));
  const meanOf = (
    key: 'modelVsTracked' | 'modelVsEnergy' | 'energyVsTracked' | 'upperFaceVsTracked',
  ) => r3(clips.reduce((a, c) => a + c.row[key], 0) / Math.max(1, clips.length));
  return {
    clips: clips.map((c) => c.row),
    pooled: {
      frames: p.length,
      jawOpenVsTrackedR: { model: r3(pearson(p, t)), baseline: r3(pearson(e, t)) },
      modelJawOpenVsEnergyR: r3(pearson(p, e)),
    },
    meanPerClip: {
      jawOpenVsTrackedR: { model: meanOf('modelVsTracked'), baseline: meanOf('energyVsTracked') },
      modelJawOpenVsEnergyR: meanOf('modelVsEnergy'),
      upperFaceVsTrackedR: meanOf('upperFaceVsTracked'),
    },
  };
}

async function measure(dir: string | undefined, synthetic: Session[], real: Session[][]) {
  const { version, sets } = await predictAll(dir, [synthetic, ...real]);
  const [synth = [], ...realSets] = sets;
  return {
    version,
    syntheticHeldoutVoices: syntheticSection(synth),
    real: Object.fromEntries(realSets.map((items, i) => [values.real?.[i], realSection(items)])),
  };
}

const synthetic = (await loadShards(values.heldout)).filter((s) => s.meta.kind === 'speech');
const real = await Promise.all((values.real ?? []).map(loadShards));
const main = await measure(values.model, synthetic, real);
const compared = values.compare ? await measure(values.compare, synthetic, real) : undefined;
const args = [
  `--heldout ${values.heldout}`,
  ...(values.real ?? []).map((r) => `--real ${r}`),
  ...(values.compare ? [`--compare ${values.compare}`] : []),
  ...(values.write ? ['--write'] : []),
];
const metrics = {
  measuredAt: new Date().toISOString(),
  command: `node --import tsx scripts/train/eval-motion.ts ${args.join(' ')}`,
  baseline:
    'energy: RMS of the 40 ms around each frame, same frames, same run (correlation is scale-free; MAE uses a least-squares fit of RMS to the truth)',
  syntheticHeldoutVoices: main.syntheticHeldoutVoices,
  real: main.real,
  ...(compared
    ? {
        compared: {
          version: compared.version,
          note: 'the previous model, measured in the same run on the same sessions',
          syntheticHeldoutVoices: compared.syntheticHeldoutVoices,
          real: compared.real,
        },
      }
    : {}),
};
console.log(JSON.stringify(metrics, null, 1));
if (values.write) {
  const path = join(values.model ?? DEFAULT_MOTION_MODEL_DIR, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  manifest.metrics = metrics;
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
  console.error(`wrote metrics into ${path}`);
}
