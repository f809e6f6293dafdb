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
  if (outline.length < 3) return;
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
  const cx = (minX + maxX) / 2;
  const fw = maxX - minX;
  const fh = maxY - minY;
  const chin = maxY;
  const neckHalf = 0.3 * fw;
  // Image "left" is the subject's right on a frontal photo.
  // Without keypoints: the tops of the shoulders about a third of a face height below the
  // chin, a face width and a bit out from the face centre.
  let imageLeft: Point = { x: cx - 1.1 * fw, y: chin + 0.32 * fh };
  let imageRight: Point = { x: cx + 1.1 * fw, y: chin + 0.32 * fh };
  if (shoulders) {
    const a = shoulders.left.x < shoulders.right.x ? shoulders.left : shoulders.right;
    const b = a === shoulders.left ? shoulders.right : shoulders.left;
    // Keypoints are joint centres; the shoulder's top edge is a little higher and wider.
    const span = b.x - a.x;
    if (span > fw * 0.8) {
      imageLeft = { x: a.x - 0.12 * span, y: a.y - 0.12 * span };
      imageRight = { x: b.x + 0.12 * span, y: b.y - 0.12 * span };
    }
  }
  const neckTop = chin - 0.35 * fh;
  const shoulderY = Math.min(imageLeft.y, imageRight.y);
  const neckBase = Math.max(chin + 0.08 * fh, shoulderY - 0.15 * fh);
  const bottom = height + 2;
  const polygon: Point[] = [
    { x: cx - neckHalf, y: neckTop },
    { x: cx + neckHalf, y: neckTop },
    { x: cx + neckHalf * 1.1, y: neckBase },
    imageRight,
    { x: imageRight.x + 0.25 * fw, y: bottom },
    { x: imageLeft.x - 0.25 * fw, y: bottom },
    imageLeft,
    { x: cx - neckHalf * 1.1, y: neckBase },
  ];
  fillPolygon(mask, width, height, polygon);
}

/** Even–odd polygon fill at pixel centres. */
function fillPolygon(mask: Uint8Array, width: number, height: number, polygon: Point[]): void {
  const xs: number[] = [];
  for (let y = 0; y < height; y++) {
    const yc = y + 0.5;
    xs.length = 0;
    for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      const a = polygon[i] as Point;
      const b = polygon[j] as Point;
      if (a.y > yc !== b.y > yc) xs.push(a.x + ((yc - a.y) * (b.x - a.x)) / (b.y - a.y));
    }
    xs.sort((p, q) => p - q);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil((xs[k] as number) - 0.5));
      const to = Math.min(width - 1, Math.floor((xs[k + 1] as number) - 0.5));
      if (to >= from) mask.fill(1, y * width + from, y * width + to + 1);
    }
  }
}
