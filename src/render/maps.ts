import { PART_COLORS, PART_LABELS } from './labels.ts';

/** Version of the maps contract (bump on any change of layout, dtype or meaning). */
export const RENDER_MAPS_VERSION = 1 as const;

/**
 * The dense maps of one frame: what the generator (and its trainer) consumes. All arrays
 * are row-major, rows top to bottom, channels last (H × W × C), at the renderer's output
 * size. The buffers belong to the renderer and are overwritten by the next `render()`;
 * copy what you keep.
 */
export interface RenderMaps {
  width: number;
  height: number;
  /**
   * Warped reference: the reference photo warped from its own mesh to this frame's posed
   * mesh (and, outside the face, by the skirt field). uint8 RGB, H × W × 3, 0–255. Inside
   * the openings it holds the raw warp (what the reference had there), not the fill.
   */
  warped: Uint8Array;
  /**
   * Disocclusion mask: 255 where the warped reference is not to be trusted (mouth interior,
   * eye interior, surface that faces away from the camera in the reference), else 0.
   * uint8, H × W.
   */
  disocclusion: Uint8Array;
  /**
   * Normalised canonical coordinates of the visible face surface: the point's position on
   * the model's neutral face, each axis scaled to [0, 1] over the neutral's bounding box
   * (x: subject's right → left, y: top → bottom, z: front → back). 0 where no face surface.
   * float32, H × W × 3.
   */
  coords: Float32Array;
  /** Part labels ({@link PART_LABELS}), uint8, H × W. */
  labels: Uint8Array;
}

/** Machine-readable description of the maps (written as maps.json next to dumps). */
export function mapsContract(width: number, height: number, frames?: number) {
  return {
    format: 'facecast.render-maps',
    version: RENDER_MAPS_VERSION,
    width,
    height,
    ...(frames === undefined ? {} : { frames, fps: 25 }),
    layout: 'row-major, channels last; stacked files add a leading frame axis',
    arrays: {
      warped: { dtype: 'uint8', channels: ['r', 'g', 'b'], range: [0, 255] },
      disocclusion: { dtype: 'uint8', channels: 1, values: { trusted: 0, disoccluded: 255 } },
      coords: {
        dtype: 'float32 in memory; float16 in coords.npy dumps',
        channels: ['x', 'y', 'z'],
        range: [0, 1],
        meaning:
          "position on the model's neutral face, per-axis normalised to its bounding box; 0 off the face",
      },
      labels: { dtype: 'uint8', channels: 1, values: PART_LABELS },
      composite: { dtype: 'uint8', channels: ['r', 'g', 'b'], range: [0, 255] },
    },
  };
}

/**
 * Visualises the maps as four RGB images of the map size: the warped reference, the
 * disocclusion mask (grey), the coordinates (x, y, z as r, g, b) and the labels (palette
 * {@link PART_COLORS}).
 */
export function visualiseMaps(maps: RenderMaps): {
  warped: Uint8Array;
  disocclusion: Uint8Array;
  coords: Uint8Array;
  labels: Uint8Array;
} {
  const n = maps.width * maps.height;
  const disocclusion = new Uint8Array(n * 3);
  const coords = new Uint8Array(n * 3);
  const labels = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const m = maps.disocclusion[p] as number;
    disocclusion[p * 3] = m;
    disocclusion[p * 3 + 1] = m;
    disocclusion[p * 3 + 2] = m;
    for (let c = 0; c < 3; c++) coords[p * 3 + c] = (maps.coords[p * 3 + c] as number) * 255 + 0.5;
    const color = PART_COLORS[maps.labels[p] as number] ?? [255, 0, 255];
    labels[p * 3] = color[0];
    labels[p * 3 + 1] = color[1];
    labels[p * 3 + 2] = color[2];
  }
  return { warped: maps.warped.slice(), disocclusion, coords, labels };
}
