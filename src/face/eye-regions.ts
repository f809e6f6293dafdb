/**
 * Which face-mesh landmarks the iris model refines: MediaPipe's eye and brow contours (indices
 * of its 468-point mesh, Apache-2.0), each paired with the points of the iris model's 71-point
 * eye contour output. "left"/"right" are the subject's (left = image right, landmarks 263/362).
 */

/** Iris-model contour indices per contour (its output order). */
const IRIS_MODEL_CONTOURS = {
  upper0: [9, 10, 11, 12, 13, 14, 15],
  upper1: [25, 26, 27, 28, 29, 30, 31],
  upper2: [41, 42, 43, 44, 45, 46, 47],
  lower0: [0, 1, 2, 3, 4, 5, 6, 7, 8],
  lower1: [16, 17, 18, 19, 20, 21, 22, 23, 24],
  lower2: [32, 33, 34, 35, 36, 37, 38, 39, 40],
  lower3: [54, 55, 56, 57, 58, 59, 60, 61, 62],
  browUpper: [63, 64, 65, 66, 67, 68, 69, 70],
  browLower: [48, 49, 50, 51, 52, 53],
} as const;
type Contour = keyof typeof IRIS_MODEL_CONTOURS;

/** Mesh landmarks of each contour, outer → inner, for each eye. */
const MESH_CONTOURS: Record<'left' | 'right', Record<Contour, readonly number[]>> = {
  left: {
    upper0: [466, 388, 387, 386, 385, 384, 398],
    upper1: [467, 260, 259, 257, 258, 286, 414],
    upper2: [342, 445, 444, 443, 442, 441, 413],
    lower0: [263, 249, 390, 373, 374, 380, 381, 382, 362],
    lower1: [359, 255, 339, 254, 253, 252, 256, 341, 463],
    lower2: [446, 261, 448, 449, 450, 451, 452, 453, 464],
    lower3: [372, 340, 346, 347, 348, 349, 350, 357, 465],
    browUpper: [383, 300, 293, 334, 296, 336, 285, 417],
    browLower: [265, 353, 276, 283, 282, 295],
  },
  right: {
    upper0: [246, 161, 160, 159, 158, 157, 173],
    upper1: [247, 30, 29, 27, 28, 56, 190],
    upper2: [113, 225, 224, 223, 222, 221, 189],
    lower0: [33, 7, 163, 144, 145, 153, 154, 155, 133],
    lower1: [130, 25, 110, 24, 23, 22, 26, 112, 243],
    lower2: [226, 31, 228, 229, 230, 231, 232, 233, 244],
    lower3: [143, 111, 117, 118, 119, 120, 121, 128, 245],
    browUpper: [156, 70, 63, 105, 66, 107, 55, 193],
    browLower: [35, 124, 46, 53, 52, 65],
  },
};

export type EyeSide = 'left' | 'right';

/** Outer and inner eye corner of each eye (the ends of its lower lid contour). */
export const EYE_CORNERS: Record<EyeSide, readonly [number, number]> = {
  left: [263, 362],
  right: [33, 133],
};

/** The iris model's output: 71 contour points, then the iris centre and 4 rim points. */
export const IRIS_MODEL_POINTS = 76;
export const IRIS_MODEL_IRIS_START = 71;

/**
 * Pairs (mesh landmark, iris-model point) that the iris model replaces on one eye: every
 * contour when the face is frontal, only the lid contours nearest the eye when it is turned.
 */
export function refinedPairs(side: EyeSide, lidsOnly: boolean): [number, number][] {
  const pairs: [number, number][] = [];
  for (const contour of Object.keys(IRIS_MODEL_CONTOURS) as Contour[]) {
    if (lidsOnly && contour !== 'upper0' && contour !== 'lower0') continue;
    const model = IRIS_MODEL_CONTOURS[contour];
    const mesh = MESH_CONTOURS[side][contour];
    model.forEach((m, j) => {
      pairs.push([mesh[j] as number, m]);
    });
  }
  return pairs;
}

/** Mesh landmarks whose depth the iris points take: the middle of the upper and lower lid. */
export function lidCentres(side: EyeSide): { upper: number; lower: number } {
  return {
    upper: MESH_CONTOURS[side].upper0[3] as number,
    lower: MESH_CONTOURS[side].lower0[4] as number,
  };
}
