/**
 * How reliable MoveNet's upper-body keypoints are on the tracked half-body clips
 * (track-clips.ts output): per joint, the share of frames with score ≥ 0.3, the median score,
 * and the frame-to-frame jitter (median |second difference| in shoulder widths, frames
 * where the joint and both shoulders score ≥ 0.3), split into frames where that side's arm is
 * raised (wrist above its elbow) or hanging. Prints a markdown table.
 *
 *   node --import tsx scripts/body/reliability.ts [--tracks data/body/tracks]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Keypoint {
  name: string;
  x: number;
  y: number;
  score: number;
}
type Frame = { keypoints: Keypoint[] } | null;

const MIN = 0.3;
const JOINTS = ['Shoulder', 'Elbow', 'Wrist'] as const;
const { values } = parseArgs({
  options: { tracks: { type: 'string', default: 'data/body/tracks' } },
});
const dir = values.tracks as string;
type Stat = { frames: number; seen: number; scores: number[]; jitter: number[] };
const stats = new Map<string, Stat>();
const stat = (key: string): Stat => {
  let s = stats.get(key);
  if (!s) {
    s = { frames: 0, seen: 0, scores: [], jitter: [] };
    stats.set(key, s);
  }
  return s;
};
let clips = 0;
for (const file of (await readdir(dir)).sort()) {
  if (!file.endsWith('.keypoints.json')) continue;
  clips++;
  const frames = (JSON.parse(await readFile(join(dir, file), 'utf8')) as { frames: Frame[] })
    .frames;
  const at = (f: number, name: string) => frames[f]?.keypoints.find((k) => k.name === name);
  for (let f = 0; f < frames.length; f++) {
    const l = at(f, 'leftShoulder');
    const r = at(f, 'rightShoulder');
    const widthPx =
      l && r && l.score >= MIN && r.score >= MIN ? Math.hypot(l.x - r.x, l.y - r.y) : 0;
    for (const side of ['left', 'right'] as const) {
      const elbow = at(f, `${side}Elbow`);
      const wrist = at(f, `${side}Wrist`);
      const raised = elbow && wrist && wrist.score >= MIN && wrist.y < elbow.y;
      for (const joint of JOINTS) {
        const name = `${side}${joint}`;
        const k = at(f, name);
        const s = stat(`${joint}|${raised ? 'raised' : 'hanging'}`);
        s.frames++;
        if (!k) continue;
        s.scores.push(k.score);
        if (k.score < MIN) continue;
        s.seen++;
        const a = at(f - 1, name);
        const b = at(f + 1, name);
        if (widthPx > 0 && a && b && a.score >= MIN && b.score >= MIN) {
          const ddx = a.x - 2 * k.x + b.x;
          const ddy = a.y - 2 * k.y + b.y;
          s.jitter.push(Math.hypot(ddx, ddy) / widthPx);
        }
      }
    }
  }
}
const rows: string[] = [];
for (const joint of JOINTS) {
  for (const arm of ['hanging', 'raised'] as const) {
    const s = stats.get(`${joint}|${arm}`);
    if (!s || s.frames === 0) continue;
    rows.push(
      `| ${joint.toLowerCase()}s | ${arm} | ${s.frames} | ${((100 * s.seen) / s.frames).toFixed(0)} % | ${median(s.scores).toFixed(2)} | ${median(s.jitter).toFixed(3)} |`,
    );
  }
}
console.log(
  [
    `${clips} clips, one row per (joint, side) and frame; "raised": that side's wrist is seen above its elbow.`,
    '',
    '| joint | arm | joint-frames | score ≥ 0.3 | median score | jitter (shoulder widths) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n'),
);

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
