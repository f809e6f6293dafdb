/**
 * The neck-and-shoulders prior of the `labels` map, in source (reference) space at output
 * size. Without a person segmentation this is geometry: a neck column under the jaw and a
 * shoulder slope down to the frame bottom, placed from the face outline and, when the
 * profile has them, the detected shoulder keypoints. Pixels of the skirt whose source lies
 * inside it are labelled body, so the label moves with the warp.
 */

/** A point in output pixels. */
export interface Point {
  x: number;
  y: number;
}

/**
 * Fills `mask` (width × height, 1 inside) with the body prior.
 *
 * @param outline face outline points (output px, source space)
 * @param shoulders detected shoulders (subject's left, right) in output px, if any; with
 *   only one confidently detected, pass it mirrored about the face centre
 */
export function fillBodyMask(
  mask: Uint8Array,
  width: number,
  height: number,
  outline: Point[],
  shoulders: { left: Point; right: Point } | undefined,
): void {
  mask.fill(0);
  const g = bodyGeometry(outline, shoulders);
  if (!g) return;
  const neckHalf = 0.3 * g.faceWidth;
  const bottom = height + 2;
  const polygon: Point[] = [
    { x: g.centerX - neckHalf, y: g.neckTop },
    { x: g.centerX + neckHalf, y: g.neckTop },
    { x: g.centerX + neckHalf * 1.1, y: g.neckBase },
    g.imageRight,
    { x: g.imageRight.x + 0.25 * g.faceWidth, y: bottom },
    { x: g.imageLeft.x - 0.25 * g.faceWidth, y: bottom },
    g.imageLeft,
    { x: g.centerX - neckHalf * 1.1, y: g.neckBase },
  ];
  fillPolygon(mask, width, height, polygon);
}

/** Where the neck and shoulders are in a reference (output px, source space). */
export interface BodyGeometry {
  centerX: number;
  faceWidth: number;
  faceHeight: number;
  chin: number;
  /** Top of the shoulders on the image's left and right (joint centres moved to the edge). */
  imageLeft: Point;
  imageRight: Point;
  /** Whether the shoulders come from detected keypoints (else a prior from the face). */
  detected: boolean;
  /** The subject's shoulder on the image's left (the right one on a frontal photo). */
  imageLeftJoint: 'leftShoulder' | 'rightShoulder';
  /** Distance between the shoulder joints, px: the unit of the Controls body offsets. */
  shoulderWidth: number;
  neckTop: number;
  neckBase: number;
}

/**
 * The neck-and-shoulder layout from the face outline and, when confidently detected, the
 * shoulder keypoints (subject's left, right); undefined for a degenerate outline.
 */
export function bodyGeometry(
  outline: Point[],
  shoulders: { left: Point; right: Point } | undefined,
): BodyGeometry | undefined {
  if (outline.length < 3) return undefined;
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const p of outline) {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const centerX = (minX + maxX) / 2;
  const faceWidth = maxX - minX;
  const faceHeight = maxY - minY;
  const chin = maxY;
  // Image "left" is the subject's right on a frontal photo.
  // Without keypoints: the tops of the shoulders about a third of a face height below the
  // chin, a face width and a bit out from the face centre.
  let imageLeft: Point = { x: centerX - 1.1 * faceWidth, y: chin + 0.32 * faceHeight };
  let imageRight: Point = { x: centerX + 1.1 * faceWidth, y: chin + 0.32 * faceHeight };
  let detected = false;
  let imageLeftJoint: BodyGeometry['imageLeftJoint'] = 'rightShoulder';
  let shoulderWidth = 1.8 * faceWidth;
  if (shoulders) {
    const a = shoulders.left.x < shoulders.right.x ? shoulders.left : shoulders.right;
    const b = a === shoulders.left ? shoulders.right : shoulders.left;
    // Keypoints are joint centres; the shoulder's top edge is a little higher and wider.
    const span = b.x - a.x;
    if (span > faceWidth * 0.8) {
      imageLeft = { x: a.x - 0.12 * span, y: a.y - 0.12 * span };
      imageRight = { x: b.x + 0.12 * span, y: b.y - 0.12 * span };
      detected = true;
      imageLeftJoint = a === shoulders.left ? 'leftShoulder' : 'rightShoulder';
      shoulderWidth = Math.hypot(b.x - a.x, b.y - a.y);
    }
  }
  const neckTop = chin - 0.35 * faceHeight;
  const shoulderY = Math.min(imageLeft.y, imageRight.y);
  const neckBase = Math.max(chin + 0.08 * faceHeight, shoulderY - 0.15 * faceHeight);
  return {
    centerX,
    faceWidth,
    faceHeight,
    chin,
    imageLeft,
    imageRight,
    detected,
    imageLeftJoint,
    shoulderWidth,
    neckTop,
    neckBase,
  };
}

/** Even–odd polygon fill at pixel centres. */
function fillPolygon(mask: Uint8Array, width: number, height: number, polygon: Point[]): void {
  // Crossings of a row, sorted by insertion as they are found (a polygon has a handful; an
  // Array sort per row boxed them into garbage, ~0.2 MB a frame when dubbing re-references).
  const xs = new Float64Array(polygon.length);
  for (let y = 0; y < height; y++) {
    const yc = y + 0.5;
    let count = 0;
    for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      const a = polygon[i] as Point;
      const b = polygon[j] as Point;
      if (a.y > yc === b.y > yc) continue;
      const x = a.x + ((yc - a.y) * (b.x - a.x)) / (b.y - a.y);
      let k = count++;
      while (k > 0 && (xs[k - 1] as number) > x) {
        xs[k] = xs[k - 1] as number;
        k--;
      }
      xs[k] = x;
    }
    for (let k = 0; k + 1 < count; k += 2) {
      const from = Math.max(0, Math.ceil((xs[k] as number) - 0.5));
      const to = Math.min(width - 1, Math.floor((xs[k + 1] as number) - 0.5));
      if (to >= from) mask.fill(1, y * width + from, y * width + to + 1);
    }
  }
}
