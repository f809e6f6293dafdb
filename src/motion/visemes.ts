/**
 * Phonemes → visemes → ARKit mouth weights, with coarticulation. Used to make the synthetic
 * training targets from espeak's phoneme timing, and usable directly when a TTS provider
 * reports phonemes.
 *
 * Coarticulation follows Cohen & Massaro's dominance model: each phoneme pulls every group of
 * mouth channels (jaw, lip closure and parting, rounding, spreading, tongue) towards its own target with a
 * dominance that is flat over the middle of the phoneme and decays exponentially outside it,
 * faster after than before (anticipation). Bilabials dominate lip closure strongly so the lips
 * seal even in fast speech; /h/ and the glottal stop dominate nothing and take their
 * neighbours' shapes. The weights stay in the ranges real ARKit captures show: jawOpen ≈ 0.1–0.5
 * in speech, ≈ 0.02 at rest.
 */
import { BLENDSHAPE_COUNT, BLENDSHAPE_INDEX, type BlendshapeName } from '../controls/index.ts';

export const VISEMES = [
  'sil',
  'PP',
  'FF',
  'TH',
  'DD',
  'kk',
  'CH',
  'SS',
  'RR',
  'W',
  'J',
  'AA',
  'E',
  'schwa',
  'I',
  'O',
  'U',
  'h',
] as const;
export type Viseme = (typeof VISEMES)[number];

type Group = 'jaw' | 'close' | 'round' | 'spread' | 'tongue';
const GROUPS: Record<Group, BlendshapeName[]> = {
  jaw: ['jawOpen'],
  // Lip parting (lowerDown/upperUp) belongs with closure: sealed lips cannot part.
  close: [
    'mouthClose',
    'mouthPressLeft',
    'mouthPressRight',
    'mouthRollLower',
    'mouthRollUpper',
    'mouthLowerDownLeft',
    'mouthLowerDownRight',
    'mouthUpperUpLeft',
    'mouthUpperUpRight',
  ],
  round: ['mouthFunnel', 'mouthPucker', 'mouthShrugUpper', 'mouthShrugLower'],
  spread: ['mouthStretchLeft', 'mouthStretchRight', 'mouthSmileLeft', 'mouthSmileRight'],
  tongue: ['tongueOut'],
};
const GROUP_NAMES = Object.keys(GROUPS) as Group[];

interface VisemeDef {
  /** Target weights; symmetric channels are given once without Left/Right. */
  target: Partial<Record<string, number>>;
  /** Dominance per channel group (how strongly this viseme holds that group). */
  dominance: Record<Group, number>;
}

const D = (jaw: number, close: number, round: number, spread: number, tongue = 0.3) => ({
  jaw,
  close,
  round,
  spread,
  tongue,
});

/** Viseme targets (ARKit weights) and dominance. Values follow typical ARKit face-capture ranges. */
export const VISEME_TARGETS: Readonly<Record<Viseme, VisemeDef>> = Object.freeze({
  sil: { target: { jawOpen: 0.02 }, dominance: D(0.6, 0.6, 0.6, 0.6, 0.6) },
  PP: {
    target: {
      jawOpen: 0.06,
      mouthClose: 1,
      mouthPress: 0.45,
      mouthRollLower: 0.18,
      mouthRollUpper: 0.12,
    },
    dominance: D(2, 6, 0.4, 0.4),
  },
  FF: {
    target: {
      jawOpen: 0.08,
      mouthRollLower: 0.45,
      mouthUpperUp: 0.14,
      mouthPress: 0.1,
      mouthClose: 0.4,
    },
    dominance: D(2, 4, 0.4, 0.5),
  },
  TH: { target: { jawOpen: 0.12, tongueOut: 0.25 }, dominance: D(1.5, 1, 0.4, 0.4, 4) },
  DD: { target: { jawOpen: 0.14, mouthStretch: 0.05 }, dominance: D(1.2, 1, 0.3, 0.3) },
  kk: { target: { jawOpen: 0.18 }, dominance: D(1, 0.8, 0.2, 0.2) },
  CH: {
    target: {
      jawOpen: 0.1,
      mouthFunnel: 0.4,
      mouthPucker: 0.25,
      mouthShrugUpper: 0.15,
      mouthUpperUp: 0.1,
      mouthLowerDown: 0.1,
    },
    dominance: D(2, 1, 5, 3),
  },
  SS: {
    target: {
      jawOpen: 0.06,
      mouthStretch: 0.25,
      mouthSmile: 0.12,
      mouthLowerDown: 0.08,
      mouthUpperUp: 0.05,
    },
    dominance: D(3, 1, 1, 3),
  },
  RR: {
    target: { jawOpen: 0.12, mouthFunnel: 0.25, mouthPucker: 0.25 },
    dominance: D(1, 0.8, 2, 1.5),
  },
  W: { target: { jawOpen: 0.06, mouthPucker: 0.7, mouthFunnel: 0.35 }, dominance: D(1.5, 1, 6, 4) },
  J: {
    target: { jawOpen: 0.08, mouthStretch: 0.3, mouthSmile: 0.1 },
    dominance: D(1.2, 0.8, 1.5, 2),
  },
  AA: {
    target: { jawOpen: 0.45, mouthLowerDown: 0.2, mouthUpperUp: 0.05, mouthStretch: 0.05 },
    dominance: D(2, 2, 1, 1),
  },
  E: {
    target: { jawOpen: 0.28, mouthStretch: 0.18, mouthLowerDown: 0.12 },
    dominance: D(2, 2, 1, 1.2),
  },
  schwa: { target: { jawOpen: 0.18, mouthStretch: 0.05 }, dominance: D(0.8, 1, 0.4, 0.4) },
  I: {
    target: { jawOpen: 0.1, mouthStretch: 0.35, mouthSmile: 0.15 },
    dominance: D(2, 2, 1.5, 2.5),
  },
  O: {
    target: { jawOpen: 0.3, mouthFunnel: 0.5, mouthPucker: 0.3, mouthLowerDown: 0.08 },
    dominance: D(2, 2, 3, 2),
  },
  U: { target: { jawOpen: 0.1, mouthPucker: 0.6, mouthFunnel: 0.4 }, dominance: D(2, 2, 3.5, 2.5) },
  h: { target: { jawOpen: 0.15 }, dominance: D(0.05, 0.05, 0.05, 0.05, 0.05) },
});

/** IPA symbol (after stripping stress, length and diacritics) → viseme. */
const SYMBOLS: [string, Viseme][] = [
  ['pbmɓʙ', 'PP'],
  ['fvɱʋɸβ', 'FF'],
  ['θð', 'TH'],
  ['tdnlɾɗʈɖɳɭɫɬɮɺ', 'DD'],
  ['kgɡŋxɣqɢχcɟɲçʝɰʟ', 'kk'],
  ['ʃʒɕʑʂʐ', 'CH'],
  ['sz', 'SS'],
  ['rɹɻʀɽʁ', 'RR'],
  ['wʍɥ', 'W'],
  ['j', 'J'],
  ['aɑæɐʌä', 'AA'],
  ['eɛɜɘøɞœɶ', 'E'],
  ['əɚɵ', 'schwa'],
  ['iɪɨ', 'I'],
  ['yʏ', 'U'],
  ['oɔɒɤ', 'O'],
  ['uʊɯ', 'U'],
  ['hɦʔħʕ', 'h'],
];
const SYMBOL_VISEME = new Map<string, Viseme>();
for (const [chars, viseme] of SYMBOLS) for (const c of chars) SYMBOL_VISEME.set(c, viseme);
const VOWELS = new Set<Viseme>(['AA', 'E', 'schwa', 'I', 'O', 'U']);

/** A phoneme with its timing, as TTS providers report it. */
export interface TimedPhoneme {
  phoneme: string;
  startMs: number;
  endMs: number;
}

/** One viseme segment: a phoneme (or part of a diphthong/affricate) mapped to a viseme. */
export interface VisemeSegment {
  viseme: Viseme;
  startMs: number;
  endMs: number;
  /** Scale on the jaw target: stressed vowels open wider. */
  emphasis: number;
}

/** Maps an IPA phoneme string (espeak style: `ˈaɪ`, `tʃ`, `ɜː`) to its viseme sequence. */
export function visemesOfPhoneme(phoneme: string): { visemes: Viseme[]; stress: 0 | 1 | 2 } {
  const stress = phoneme.includes('ˈ') ? 1 : phoneme.includes('ˌ') ? 2 : 0;
  const base = phoneme.normalize('NFD').replace(/[\p{M}\p{Lm}':-]/gu, '');
  const visemes: Viseme[] = [];
  for (let i = 0; i < base.length; i++) {
    const c = base[i] as string;
    // Affricates (tʃ, dʒ, ts, dz): the fricative part shapes the lips.
    if ((c === 't' || c === 'd') && /[ʃʒsz]/.test(base[i + 1] ?? '')) continue;
    const v = SYMBOL_VISEME.get(c.toLowerCase());
    if (v && visemes.at(-1) !== v) visemes.push(v);
  }
  return { visemes, stress };
}

/** Splits timed phonemes into viseme segments (diphthongs: 60 % / 40 %). */
export function visemeSegments(phonemes: readonly TimedPhoneme[]): VisemeSegment[] {
  const out: VisemeSegment[] = [];
  for (const p of phonemes) {
    const { visemes, stress } = visemesOfPhoneme(p.phoneme);
    if (visemes.length === 0 || p.endMs <= p.startMs) continue;
    const duration = p.endMs - p.startMs;
    let t = p.startMs;
    visemes.forEach((viseme, i) => {
      const share = visemes.length === 1 ? 1 : i === 0 ? 0.6 : 0.4 / (visemes.length - 1);
      const end = i === visemes.length - 1 ? p.endMs : t + duration * share;
      const emphasis = VOWELS.has(viseme) ? (stress === 1 ? 1.15 : stress === 2 ? 1.05 : 0.9) : 1;
      out.push({ viseme, startMs: t, endMs: end, emphasis });
      t = end;
    });
  }
  return out;
}

/** Options for {@link visemeWeights}. */
export interface CoarticulationOptions {
  /** Anticipation: dominance decay before a segment, ms. Default 50. */
  anticipationMs?: number;
  /** Carry-over: dominance decay after a segment, ms. Default 35. */
  carryoverMs?: number;
  /** Frame rate of the output. Default 25. */
  fps?: number;
}
const COARTICULATION: Readonly<Required<CoarticulationOptions>> = Object.freeze({
  anticipationMs: 50,
  carryoverMs: 35,
  fps: 25,
});

/** Internal grid for blending (10 ms), sampled at the frame instants with a [¼ ½ ¼] filter. */
const GRID_MS = 10;

/**
 * Mouth blendshape weights (frames × 52, ARKit order; only mouth, jaw and tongue channels are
 * set) for timed phonemes over `durationMs`. Frame `i` is the instant `i / fps`. Time not
 * covered by a phoneme is rest (`sil`).
 *
 * @example
 * const weights = visemeWeights(tts.phonemes, tts.durationMs); // Float32Array(frames * 52)
 */
export function visemeWeights(
  phonemes: readonly TimedPhoneme[],
  durationMs: number,
  options: CoarticulationOptions = {},
): Float32Array {
  const o = { ...COARTICULATION, ...options };
  const segments = withSilence(visemeSegments(phonemes), durationMs);
  const gridCount = Math.ceil(durationMs / GRID_MS) + 3;
  const grid = new Float32Array(gridCount * BLENDSHAPE_COUNT);
  const channelTargets = segments.map((s) => targetVector(s));
  for (let g = 0; g < gridCount; g++) {
    const t = g * GRID_MS;
    for (const group of GROUP_NAMES) {
      let weightSum = 0;
      const acc = new Float64Array(GROUPS[group].length);
      for (let s = 0; s < segments.length; s++) {
        const seg = segments[s] as VisemeSegment;
        const d = dominance(seg, group, t, o.anticipationMs, o.carryoverMs);
        if (d < 1e-4) continue;
        weightSum += d;
        const target = channelTargets[s] as Float32Array;
        GROUPS[group].forEach((name, k) => {
          acc[k] = (acc[k] as number) + d * (target[BLENDSHAPE_INDEX[name]] as number);
        });
      }
      if (weightSum === 0) continue;
      GROUPS[group].forEach((name, k) => {
        grid[g * BLENDSHAPE_COUNT + BLENDSHAPE_INDEX[name]] = (acc[k] as number) / weightSum;
      });
    }
  }
  // The close group blends a lip-seal fraction in the mouthClose slot; ARKit's mouthClose
  // closes the lips against the jaw's opening, so the weight is that fraction of jawOpen.
  const jaw = BLENDSHAPE_INDEX.jawOpen;
  const close = BLENDSHAPE_INDEX.mouthClose;
  for (let g = 0; g < gridCount; g++) {
    const base = g * BLENDSHAPE_COUNT;
    grid[base + close] = (grid[base + close] as number) * (grid[base + jaw] as number);
  }
  const frames = Math.max(1, Math.ceil((durationMs * o.fps) / 1000));
  const out = new Float32Array(frames * BLENDSHAPE_COUNT);
  for (let f = 0; f < frames; f++) {
    const g = Math.round((f * 1000) / o.fps / GRID_MS);
    for (let c = 0; c < BLENDSHAPE_COUNT; c++) {
      const at = (k: number) =>
        grid[Math.min(gridCount - 1, Math.max(0, k)) * BLENDSHAPE_COUNT + c] as number;
      out[f * BLENDSHAPE_COUNT + c] = 0.25 * at(g - 1) + 0.5 * at(g) + 0.25 * at(g + 1);
    }
  }
  return out;
}

function dominance(
  seg: VisemeSegment,
  group: Group,
  t: number,
  preMs: number,
  postMs: number,
): number {
  const alpha = VISEME_TARGETS[seg.viseme].dominance[group];
  // Flat over the segment but its edges (a quarter, at most 25 ms), exponential decay outside.
  const margin = Math.min((seg.endMs - seg.startMs) / 4, 25);
  const from = seg.startMs + margin;
  const to = seg.endMs - margin;
  // Closures are anticipated further ahead (the lips start closing early).
  const pre = group === 'close' && seg.viseme === 'PP' ? preMs * 1.3 : preMs;
  // Gaussian-shaped decay (Cohen–Massaro with c = 2): strong inside, quickly gone outside.
  if (t < from) return alpha * Math.exp(-(((from - t) / pre) ** 2));
  if (t > to) return alpha * Math.exp(-(((t - to) / postMs) ** 2));
  return alpha;
}

function targetVector(seg: VisemeSegment): Float32Array {
  const v = new Float32Array(BLENDSHAPE_COUNT);
  for (const [name, value] of Object.entries(VISEME_TARGETS[seg.viseme].target)) {
    const scaled =
      name === 'jawOpen' || name === 'mouthLowerDown'
        ? (value as number) * seg.emphasis
        : (value as number);
    for (const full of [name, `${name}Left`, `${name}Right`]) {
      if (Object.hasOwn(BLENDSHAPE_INDEX, full))
        v[BLENDSHAPE_INDEX[full as BlendshapeName]] = scaled;
    }
  }
  return v;
}

/** Fills the gaps between segments (and before/after) with rest. */
function withSilence(segments: VisemeSegment[], durationMs: number): VisemeSegment[] {
  const out: VisemeSegment[] = [];
  let t = -200;
  for (const s of segments) {
    if (s.startMs - t > 20) out.push({ viseme: 'sil', startMs: t, endMs: s.startMs, emphasis: 1 });
    out.push(s);
    t = Math.max(t, s.endMs);
  }
  out.push({ viseme: 'sil', startMs: t, endMs: Math.max(t + 200, durationMs + 200), emphasis: 1 });
  return out;
}
