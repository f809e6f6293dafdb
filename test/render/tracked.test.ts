import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readControlsFile } from '../../src/controls/index.ts';
import { createRenderer, PART_LABELS } from '../../src/render/index.ts';
import { fixture } from '../helpers/media.ts';
import { AVATAR_DIR, countLabel } from './helpers.ts';

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += ((a[i] as number) - ma) * ((b[i] as number) - mb);
    aa += ((a[i] as number) - ma) ** 2;
    bb += ((b[i] as number) - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('a tracked video rendered onto a photo', () => {
  it("the rendered mouth opens and closes with the source's (GRID clip, 75 frames)", async () => {
    // Controls and the source's inner-lip gap from scripts/render/tracked-fixture.ts.
    const sequence = await readControlsFile(fixture('render/grid_bbaf2n.controls.csv'));
    const { lipGap } = JSON.parse(
      await readFile(fixture('render/grid_bbaf2n.lipgap.json'), 'utf8'),
    ) as { lipGap: (number | null)[] };
    expect(lipGap).toHaveLength(sequence.frames.length);
    const renderer = await createRenderer(AVATAR_DIR, { size: 256 });
    const area = sequence.frames.map((f) =>
      countLabel(renderer.render(f).maps.labels, PART_LABELS.mouthInterior),
    );
    renderer.close();
    const faced = lipGap.map((g, i) => [g, area[i]] as const).filter(([g]) => g !== null);
    const r = pearson(
      faced.map(([g]) => g as number),
      faced.map(([, a]) => a as number),
    );
    // Measured 0.90 (docs/stages/render.md).
    expect(r).toBeGreaterThan(0.8);
    // The widest source openings give clearly larger rendered openings than the closed ones.
    const order = faced
      .map(([g, a]) => ({ gap: g as number, area: a as number }))
      .sort((p, q) => p.gap - q.gap);
    const mean = (list: { area: number }[]) => list.reduce((s, o) => s + o.area, 0) / list.length;
    const closed = mean(order.slice(0, 10));
    const open = mean(order.slice(-10));
    expect(open).toBeGreaterThan(1.6 * closed);
  });
});
