/**
 * `npm run bench -- allocator`: the same dub in fresh processes with the C library's default
 * allocator settings and with facecast's (src/core/allocator.mjs), alternated so both see the
 * same load. Each process loads a Dubber, dubs once untimed, then twice timed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  allocatorEnvironment,
  hugePagesMode,
  MALLOC_OPT_OUT,
  MALLOC_TUNABLES,
} from '../../src/core/allocator.mjs';
import { locateFfmpeg } from '../../src/media/index.ts';
import { type Bench, machineLine, table } from './harness.ts';

const fixtures = resolve(process.env.FACECAST_FIXTURES ?? '../shared/fixtures');
const CHILD = new URL('./allocator-child.ts', import.meta.url).pathname;
const PROCESSES_PER_ARM = 3;
const DUBS_PER_PROCESS = 2;

interface DubLine {
  frames: number;
  wallMs: number;
  nodeCpuMs: number;
  nodeSysMs: number;
  ffmpegCpuMs: number;
  minorFaults: number;
  sha256: string;
}

interface Arm {
  label: string;
  env: NodeJS.ProcessEnv;
  dubs: DubLine[];
}

/** The process environment without any allocator setting (the C library's defaults). */
function defaultEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FACECAST_MALLOC: MALLOC_OPT_OUT };
  delete env.GLIBC_TUNABLES;
  return env;
}

function tunedEnvironment(): NodeJS.ProcessEnv {
  const clean = { ...process.env };
  delete clean.GLIBC_TUNABLES;
  delete clean.FACECAST_MALLOC;
  const env = allocatorEnvironment(clean, 'linux');
  if (!env) throw new Error('no allocator environment');
  return env;
}

async function runChild(env: NodeJS.ProcessEnv, args: string[]): Promise<DubLine[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`allocator bench child exited with ${code}`);
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as DubLine);
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const spread = (values: number[], scale: number, digits: number) =>
  `${(mean(values) / scale).toFixed(digits)} (${(Math.min(...values) / scale).toFixed(digits)}–${(Math.max(...values) / scale).toFixed(digits)})`;

function armRow(arm: Arm, seconds: number): (string | number)[] {
  const d = arm.dubs;
  const all = d.map((x) => x.nodeCpuMs + x.ffmpegCpuMs);
  const inSeconds = (values: number[]) => spread(values, 1000, 2);
  return [
    arm.label,
    inSeconds(d.map((x) => x.wallMs)),
    `${(seconds / (mean(d.map((x) => x.wallMs)) / 1000)).toFixed(2)}×`,
    inSeconds(all),
    inSeconds(d.map((x) => x.nodeCpuMs)),
    inSeconds(d.map((x) => x.nodeSysMs)),
    inSeconds(d.map((x) => x.ffmpegCpuMs)),
    spread(
      d.map((x) => x.minorFaults),
      1,
      0,
    ),
    `${(seconds / (mean(all) / 2000)).toFixed(2)}×`,
  ];
}

export const allocatorBench: Bench = {
  id: 'allocator',
  async run() {
    const katie = join(fixtures, 'video', 'video_sadtalker_WDA_KatieHill_000.mp4');
    const video = existsSync(katie) ? katie : 'test/fixtures/dub/retalking.mp4';
    const dir = await mkdtemp(join(tmpdir(), 'facecast-bench-allocator-'));
    const audio = join(dir, 'speech.wav');
    execFileSync(locateFfmpeg().ffmpegPath, [
      ...['-v', 'error', '-i', 'test/fixtures/speech/jfk.wav', '-t', '8', audio],
    ]);
    const arms: Arm[] = [
      { label: 'C library defaults (baseline)', env: defaultEnvironment(), dubs: [] },
      { label: "facecast's settings (the CLI's)", env: tunedEnvironment(), dubs: [] },
    ];
    const loadBefore = loadavg()[0]?.toFixed(1);
    try {
      for (let p = 0; p < PROCESSES_PER_ARM * arms.length; p++) {
        const arm = arms[p % arms.length] as Arm;
        arm.dubs.push(...(await runChild(arm.env, [video, audio, dir, String(DUBS_PER_PROCESS)])));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const loadAfter = loadavg()[0]?.toFixed(1);
    const frames = arms[0]?.dubs[0]?.frames ?? 0;
    const seconds = frames / 25;
    const hashes = new Set(arms.flatMap((a) => a.dubs.map((d) => d.sha256)));
    const [base, tuned] = arms.map((a) => mean(a.dubs.map((d) => d.nodeCpuMs + d.ffmpegCpuMs)));
    const body = [
      `Machine: ${machineLine()}; load average ${loadBefore} before, ${loadAfter} after (2 cores shared with the other engineers' work); transparent huge pages: \`${hugePagesMode()}\`. Input: ${video.split('/').pop()} (${frames} frames, ${seconds.toFixed(1)} s) dubbed with the first 8 s of jfk.wav, default options, through \`Dubber\` (what \`facecast dub\` runs). ${PROCESSES_PER_ARM} fresh processes per arm, alternating from the baseline; each loads the models, dubs once untimed, then ${DUBS_PER_PROCESS} times timed: mean (min–max) over the ${PROCESSES_PER_ARM * DUBS_PER_PROCESS} timed dubs of each arm. facecast's settings: GLIBC_TUNABLES=${MALLOC_TUNABLES.join(':')} (src/core/allocator.mjs; the CLI and \`npm run bench\` start their process with it). Command: \`npm run bench -- allocator\`.`,
      '',
      table(
        [
          'allocator',
          'wall s per dub',
          'real time',
          'all CPU s per dub',
          'Node CPU s',
          'of it in the kernel',
          'ffmpeg CPU s',
          'minor page faults (Node)',
          'at best on 2 idle cores',
        ],
        arms.map((a) => armRow(a, seconds)),
      ),
      '',
      `All CPU per dub: ${(((tuned ?? 0) / (base ?? 1) - 1) * 100).toFixed(1)} % with facecast's settings. Outputs: ${hashes.size === 1 ? 'the same MP4 bytes from every dub of both arms' : `${hashes.size} different MP4s among the dubs (expected one)`}.`,
    ].join('\n');
    return {
      id: 'allocator',
      title: 'Memory allocator settings, 8 s dub at 512² (same run)',
      body,
    };
  },
};
