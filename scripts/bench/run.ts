/**
 * `npm run bench [-- <id> ...]`: runs the benchmarks, prints their sections, and replaces
 * those sections in docs/benchmarks.md (each between `<!-- bench:<id> -->` markers).
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { allocatorBench } from './allocator.ts';
import { bodyBench } from './body.ts';
import { dubBench } from './dub.ts';
import { encodeBench } from './encode.ts';
import { avatarBench } from './face.ts';
import { generatorBench } from './generator.ts';
import type { Bench, BenchResult } from './harness.ts';
import { lipsyncBench } from './lipsync.ts';
import { liveBench, liveBrowserBench, liveSessionsBench, liveSoakBench } from './live.ts';
import { liveCapacityBench } from './live-capacity.ts';
import { liveConversationBench } from './live-conversation.ts';
import { liveFanoutBench } from './live-fanout.ts';
import { melBench } from './mel.ts';
import { motionBench } from './motion.ts';
import { mouthInteriorBench } from './mouth-interior.ts';
import { queueBench } from './queue.ts';
import { renderBench } from './render.ts';
import { replicaBench } from './replica.ts';
import { replicaLiveBench } from './replica-live.ts';
import { replicaMouthTrainLipSyncBench } from './replica-mouth-lipsync.ts';
import { replicaMouthHeldoutBench, replicaMouthTrainBench } from './replica-mouth-train.ts';
import { replicaSpeedBench } from './replica-speed.ts';
import { segmentationBench } from './segmentation.ts';
import { torsoBench } from './torso.ts';
import { torsoDanceBench } from './torso-dance.ts';
import { torsoReenactBench } from './torso-reenact.ts';
import { trackBench } from './track.ts';
import { videoBench, videoMemoryBench } from './video.ts';
import { voicesBench } from './voices.ts';

const BENCHES: Bench[] = [
  melBench,
  motionBench,
  bodyBench,
  torsoBench,
  torsoReenactBench,
  torsoDanceBench,
  avatarBench,
  trackBench,
  renderBench,
  segmentationBench,
  generatorBench,
  videoBench,
  videoMemoryBench,
  dubBench,
  allocatorBench,
  encodeBench,
  queueBench,
  replicaBench,
  replicaLiveBench,
  replicaMouthTrainBench,
  replicaMouthTrainLipSyncBench,
  replicaMouthHeldoutBench,
  replicaSpeedBench,
  mouthInteriorBench,
  lipsyncBench,
  voicesBench,
  liveBench,
  liveBrowserBench,
  liveConversationBench,
  liveSessionsBench,
  liveFanoutBench,
  liveCapacityBench,
  liveSoakBench,
];
const DOC = 'docs/benchmarks.md';

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected =
  wanted.length > 0
    ? BENCHES.filter((b) => wanted.includes(b.id))
    : BENCHES.filter((b) => !b.onlyWhenNamed);
if (selected.length === 0) {
  console.error(
    `no such benchmark: ${wanted.join(', ')} (have: ${BENCHES.map((b) => b.id).join(', ')})`,
  );
  process.exit(2);
}

let doc = await readFile(DOC, 'utf8').catch(() => '# Benchmarks\n');
for (const bench of selected) {
  console.error(`running ${bench.id}…`);
  const result: BenchResult = await bench.run();
  const section = `<!-- bench:${result.id} -->\n## ${result.title}\n\n${result.body}\n<!-- /bench:${result.id} -->`;
  console.log(`${section}\n`);
  const pattern = new RegExp(`<!-- bench:${result.id} -->[\\s\\S]*?<!-- /bench:${result.id} -->`);
  doc = pattern.test(doc) ? doc.replace(pattern, section) : `${doc.trimEnd()}\n\n${section}\n`;
}
await writeFile(DOC, doc);
// Tables as biome formats them (aligned columns), so `npm test`'s lint stays green.
execFileSync(
  process.execPath,
  [createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome'), 'format', '--write', DOC],
  { stdio: 'ignore' },
);
console.error(`updated ${DOC}`);
