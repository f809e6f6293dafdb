/**
 * Part labels of the `labels` map (uint8 per pixel). Stable ids: the generator and its
 * trainer one-hot encode these, so never renumber; add new parts at the end.
 */
export const PART_LABELS = Object.freeze({
  background: 0,
  /** Face skin: every face-mesh triangle that is not lips, brows, eyes or mouth interior. */
  skin: 1,
  /** The red of the lips (between the outer and the inner lip contour). */
  lips: 2,
  /** Inside the inner lip contour (cavity, teeth, tongue): disoccluded. */
  mouthInterior: 3,
  /** Inside the eyelid openings (sclera, iris): disoccluded. */
  eyes: 4,
  brows: 5,
  /** Neck and shoulders: a geometric prior below the jaw, not a segmentation. */
  body: 6,
} as const);

export type PartName = keyof typeof PART_LABELS;
export type PartLabel = (typeof PART_LABELS)[PartName];

/** Names by id, for docs and visualisations. */
export const PART_NAMES: readonly PartName[] = Object.freeze(
  (Object.keys(PART_LABELS) as PartName[]).sort((a, b) => PART_LABELS[a] - PART_LABELS[b]),
);

/** Display colour of each label in the PNG dump (RGB, index = label id). */
export const PART_COLORS: readonly (readonly [number, number, number])[] = Object.freeze([
  [0, 0, 0],
  [230, 180, 150],
  [220, 40, 60],
  [90, 0, 30],
  [60, 140, 255],
  [120, 70, 20],
  [80, 170, 90],
]);
