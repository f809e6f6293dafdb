/**
 * Measures the shipped motion model through the TypeScript runtime, against the energy
 * baseline (jawOpen ∝ RMS of the 40 ms around each frame) computed in the same run, and writes
 * the figures into the model's manifest.
 *
 *   node --import tsx scripts/train/eval-motion.ts --heldout data/motion/synth/heldout \
 *        [--real data/motion/real-eval] [--model models/motion] [--write]
 *
 * (a) held-out synthetic voices (timbres never used in training): correlation of predicted
 *     jawOpen, lip aperture and each mouth channel with the phoneme-derived ground truth, and how
 *     often /p b m/ close the lips;
 * (b) real talking videos tracked by `facecast track` (clips not used in training): correlation
 *     of predicted jawOpen with the tracked jawOpen, and with the audio's energy.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BLENDSHAPE_INDEX, type BlendshapeName } from '../../src/controls/index.ts';
import { readNpy } from '../../src/features/index.ts';
import {
  lipAperture,
  MOTION_OUTPUT_COUNT,
  MotionCore,
  MotionModel,
  pearson,
} from '../../src/motion/index.ts';

const { values } = parseArgs({
  options: {
    heldout: { type: 'string', default: 'data/motion/synth/heldout' },
    real: { type: 'string', multiple: true, default: [] },
    model: { type: 'string' },
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
/** Lips count as closed below this aperture (ground truth at /p b m/ is < 0.03; open vowels > 0.15). */
const CLOSED_APERTURE = 0.05;

interface Session {
  meta: Record<string, unknown> & {
    frames: number;
    kind?: string;
    phonemes?: { phoneme: string; startMs: number; endMs: number }[];
  };
  mel: Float32Array;
  targets: Float32Array;
  mask: Float32Array;
  rms: Float32Array;
}

async function loadShards(dir: string): Promise<Session[]> {
  const sessions: Session[] = [];
  for (let n = 0; ; n++) {
    const name = String(n).padStart(3, '0');
    let index: { sessions: Session['meta'][] };
    try {
      index = JSON.parse(await readFile(join(dir, `index-${name}.json`), 'utf8'));
    } catch {
      break;
    }
    const mel = (await readNpy(join(dir, `mel-${name}.npy`))).data;
    const targets = (await readNpy(join(dir, `targets-${name}.npy`))).data;
    const mask = (await readNpy(join(dir, `mask-${name}.npy`))).data;
    const rms = (await readNpy(join(dir, `rms-${name}.npy`))).data;
    for (const s of index.sessions) {
      const m = s as unknown as {
        melStart: number;
        melFrames: number;
        frameStart: number;
        frames: number;
      };
      sessions.push({
        meta: s,
        mel: mel.subarray(m.melStart * 80, (m.melStart + m.melFrames) * 80),
        targets: targets.subarray(m.frameStart * C, (m.frameStart + m.frames) * C),
        mask: mask.subarray(m.frameStart * C, (m.frameStart + m.frames) * C),
        rms: rms.subarray(m.frameStart, m.frameStart + m.frames),
      });
    }
  }
  return sessions;
}

const model = await MotionModel.load({ modelDir: values.model });
const core = new MotionCore(model);

async function predict(s: Session): Promise<Float32Array> {
  const a = await core.process(s.mel);
  const b = await core.flush();
  const all = new Float32Array(a.data.length + b.data.length);
  all.set(a.data, 0);
  all.set(b.data, a.data.length);
  return all.subarray(0, s.meta.frames * C);
}

const column = (rows: Float32Array, c: number, frames: number) =>
  Float32Array.from({ length: frames }, (_, f) => rows[f * C + c] as number);
const apertures = (rows: Float32Array, frames: number) =>
  Float32Array.from({ length: frames }, (_, f) => lipAperture(rows, f * C));
const cat = (parts: Float32Array[]) => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
/** Best correlation of `x` shifted by −2…+2 frames with `y` (the energy baseline's best case). */
function bestLag(x: Float32Array, y: Float32Array): number {
  let best = -1;
  for (let lag = -2; lag <= 2; lag++) {
    const a = x.subarray(Math.max(0, lag), x.length + Math.min(0, lag));
    const b = y.subarray(Math.max(0, -lag), y.length - Math.max(0, lag));
    best = Math.max(best, pearson(a, b));
  }
  return best;
}
const r3 = (v: number) => Number(v.toFixed(3));

// (a) held-out synthetic voices
const heldout = (await loadShards(values.heldout)).filter((s) => s.meta.kind === 'speech');
const groups: Record<
  string,
  { pred: Float32Array[]; truth: Float32Array[]; rms: Float32Array[]; frames: number[] }
> = {
  all: { pred: [], truth: [], rms: [], frames: [] },
  clean: { pred: [], truth: [], rms: [], frames: [] },
  augmented: { pred: [], truth: [], rms: [], frames: [] },
};
const predictions: Float32Array[] = [];
for (const s of heldout) {
  const pred = await predict(s);
  predictions.push(pred);
  const log = s.meta.augment as { noise: string; speed: number };
  const augmented = log.noise !== 'none' || log.speed !== 1;
  for (const g of ['all', augmented ? 'augmented' : 'clean']) {
    groups[g]?.pred.push(pred);
    groups[g]?.truth.push(s.targets);
    groups[g]?.rms.push(s.rms);
    groups[g]?.frames.push(s.meta.frames);
  }
}
// The energy baseline as a lip aperture: RMS mapped to the ground-truth aperture by least squares.
const apertureFit = fitCoefficients(
  cat(heldout.map((s) => s.rms)),
  cat(heldout.map((s) => apertures(s.targets, s.meta.frames))),
);
let closures = 0;
let closedModel = 0;
let closedBaseline = 0;
heldout.forEach((s, i) => {
  const frames = s.meta.frames;
  const ap = apertures(predictions[i] as Float32Array, frames);
  for (const p of s.meta.phonemes ?? []) {
    if (!/^[pbm]$/.test(p.phoneme.replace(/[ˈˌː]/g, ''))) continue;
    const from = Math.max(0, Math.floor(p.startMs / 40) - 1);
    const to = Math.min(frames - 1, Math.ceil(p.endMs / 40) + 1);
    if (to < from) continue;
    closures++;
    let minModel = Number.POSITIVE_INFINITY;
    let minBase = Number.POSITIVE_INFINITY;
    for (let f = from; f <= to; f++) {
      minModel = Math.min(minModel, ap[f] as number);
      minBase = Math.min(minBase, apertureFit.a * (s.rms[f] as number) + apertureFit.b);
    }
    if (minModel < CLOSED_APERTURE) closedModel++;
    if (minBase < CLOSED_APERTURE) closedBaseline++;
  }
});

function synthMetrics(g: (typeof groups)['all']) {
  const pred = cat(g.pred.map((p, i) => column(p, B.jawOpen, g.frames[i] as number)));
  const truth = cat(g.truth.map((t, i) => column(t, B.jawOpen, g.frames[i] as number)));
  const rms = cat(g.rms);
  const apPred = cat(g.pred.map((p, i) => apertures(p, g.frames[i] as number)));
  const apTruth = cat(g.truth.map((t, i) => apertures(t, g.frames[i] as number)));
  const perChannel: Record<string, { model: number; baseline: number }> = {};
  for (const name of CHANNELS) {
    const c = B[name];
    const p = cat(g.pred.map((x, i) => column(x, c, g.frames[i] as number)));
    const t = cat(g.truth.map((x, i) => column(x, c, g.frames[i] as number)));
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

function mae(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs((a[i] as number) - (b[i] as number));
  return s / a.length;
}
/** Least-squares a·x + b fitted to y (gives the energy baseline the best possible scale). */
function fitLinear(x: Float32Array, y: Float32Array): Float32Array {
  const { a, b } = fitCoefficients(x, y);
  return x.map((v) => a * v + b);
}

function fitCoefficients(x: Float32Array, y: Float32Array): { a: number; b: number } {
  const n = x.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i] as number;
    sy += y[i] as number;
    sxx += (x[i] as number) ** 2;
    sxy += (x[i] as number) * (y[i] as number);
  }
  const a = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  return { a, b: (sy - a * sx) / n };
}

const synthetic = {
  sessions: heldout.length,
  all: synthMetrics(groups.all as (typeof groups)['all']),
  clean: synthMetrics(groups.clean as (typeof groups)['all']),
  augmented: synthMetrics(groups.augmented as (typeof groups)['all']),
  bilabialClosure: {
    segments: closures,
    model: r3(closedModel / Math.max(1, closures)),
    baseline: r3(closedBaseline / Math.max(1, closures)),
    threshold: CLOSED_APERTURE,
  },
};

// (b) real videos (tracked jawOpen)
const realSets: Record<string, unknown> = {};
for (const dir of values.real ?? []) {
  const sessions = await loadShards(dir);
  const clips: Record<string, unknown>[] = [];
  const pooled = {
    pred: [] as Float32Array[],
    tracked: [] as Float32Array[],
    rms: [] as Float32Array[],
  };
  for (const s of sessions) {
    const pred = await predict(s);
    const frames = s.meta.frames;
    const keep: number[] = [];
    for (let f = 0; f < frames; f++) if ((s.mask[f * C + B.jawOpen] as number) > 0) keep.push(f);
    const pick = (x: Float32Array, c?: number) =>
      Float32Array.from(keep, (f) =>
        c === undefined ? (x[f] as number) : (x[f * C + c] as number),
      );
    const p = pick(pred, B.jawOpen);
    const t = pick(s.targets, B.jawOpen);
    const e = pick(s.rms);
    pooled.pred.push(p);
    pooled.tracked.push(t);
    pooled.rms.push(e);
    clips.push({
      clip: s.meta.clip,
      frames: keep.length,
      modelVsTracked: r3(pearson(p, t)),
      energyVsTracked: r3(pearson(e, t)),
      energyBestLagVsTracked: r3(bestLag(e, t)),
      modelVsEnergy: r3(pearson(p, e)),
      modelJawMean: r3(p.reduce((a, v) => a + v, 0) / p.length),
      trackedJawMean: r3(t.reduce((a, v) => a + v, 0) / t.length),
    });
  }
  const p = cat(pooled.pred);
  const t = cat(pooled.tracked);
  const e = cat(pooled.rms);
  const meanOf = (key: string) =>
    r3(clips.reduce((a, c) => a + (c[key] as number), 0) / Math.max(1, clips.length));
  realSets[dir] = {
    clips,
    pooled: {
      frames: p.length,
      jawOpenVsTrackedR: {
        model: r3(pearson(p, t)),
        baseline: r3(pearson(e, t)),
        baselineBestLag: r3(bestLag(e, t)),
      },
      modelJawOpenVsEnergyR: r3(pearson(p, e)),
    },
    meanPerClip: {
      jawOpenVsTrackedR: { model: meanOf('modelVsTracked'), baseline: meanOf('energyVsTracked') },
      modelJawOpenVsEnergyR: meanOf('modelVsEnergy'),
    },
  };
}
await model.close();

const metrics = {
  measuredAt: new Date().toISOString(),
  command: `node --import tsx scripts/train/eval-motion.ts --heldout ${values.heldout}${(values.real ?? []).map((r) => ` --real ${r}`).join('')}${values.write ? ' --write' : ''}`,
  baseline:
    'energy: RMS of the 40 ms around each frame, same frames, same run (correlation is scale-free; MAE uses a least-squares fit of RMS to the truth)',
  syntheticHeldoutVoices: synthetic,
  real: realSets,
};
console.log(JSON.stringify(metrics, null, 1));
if (values.write) {
  const path = join(model.manifest.file ? (values.model ?? 'models/motion') : '', 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8'));
  manifest.metrics = metrics;
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
  console.error(`wrote metrics into ${path}`);
}
