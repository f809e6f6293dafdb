/**
 * Reads MediaPipe's canonical face mesh (Apache-2.0) from the fixture files and checks the
 * two known traps (see ../shared/fixtures/SOURCES.md):
 *
 * - the OBJ's `vt` indices are permuted relative to its `v` indices, so UVs are taken from
 *   the pbtxt, whose `vertex_buffer` is in landmark order (x, y, z, u, v per vertex);
 * - the OBJ's V axis is flipped relative to the pbtxt (vt = (u, 1 − v)).
 *
 * Both files are parsed; positions and triangles must agree, and every OBJ corner's `vt`
 * must equal the pbtxt UV of its `v` with V flipped, or the build stops.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CanonicalMesh {
  /** 468 × 3, MediaPipe's own frame: centimetres, x to the image right, y up, z towards the viewer. */
  positions: Float64Array;
  /** 468 × 2, pbtxt convention: u right, v down (v = 0 at the top of the texture). */
  uvs: Float64Array;
  /** 898 × 3 vertex indices, as in the pbtxt `index_buffer`. */
  triangles: Uint32Array;
  /** Landmark weights MediaPipe uses for its Procrustes pose fit (landmark id → weight). */
  procrustesWeights: Map<number, number>;
}

export const CANONICAL_VERTEX_COUNT = 468;
export const CANONICAL_TRIANGLE_COUNT = 898;

export async function readCanonicalMesh(faceDir: string): Promise<CanonicalMesh> {
  const pbtxt = await readFile(
    join(faceDir, 'mediapipe_geometry_pipeline_metadata_landmarks.pbtxt'),
    'utf8',
  );
  const vertexBuffer = [...pbtxt.matchAll(/vertex_buffer:\s*(-?[\d.eE+-]+)/g)].map((m) =>
    Number(m[1]),
  );
  const indexBuffer = [...pbtxt.matchAll(/index_buffer:\s*(\d+)/g)].map((m) => Number(m[1]));
  const weights = new Map<number, number>();
  for (const m of pbtxt.matchAll(/landmark_id:\s*(\d+)\s+weight:\s*([\d.eE+-]+)/g)) {
    weights.set(Number(m[1]), Number(m[2]));
  }
  if (vertexBuffer.length !== CANONICAL_VERTEX_COUNT * 5) {
    throw new Error(`pbtxt: expected ${CANONICAL_VERTEX_COUNT * 5} vertex_buffer values`);
  }
  if (indexBuffer.length !== CANONICAL_TRIANGLE_COUNT * 3) {
    throw new Error(`pbtxt: expected ${CANONICAL_TRIANGLE_COUNT * 3} index_buffer values`);
  }
  const positions = new Float64Array(CANONICAL_VERTEX_COUNT * 3);
  const uvs = new Float64Array(CANONICAL_VERTEX_COUNT * 2);
  for (let i = 0; i < CANONICAL_VERTEX_COUNT; i++) {
    for (let k = 0; k < 3; k++) positions[i * 3 + k] = vertexBuffer[i * 5 + k] as number;
    uvs[i * 2] = vertexBuffer[i * 5 + 3] as number;
    uvs[i * 2 + 1] = vertexBuffer[i * 5 + 4] as number;
  }
  const triangles = Uint32Array.from(indexBuffer);
  await crossCheckObj(join(faceDir, 'canonical_face_model.obj'), positions, uvs, triangles);
  return { positions, uvs, triangles, procrustesWeights: weights };
}

async function crossCheckObj(
  path: string,
  positions: Float64Array,
  uvs: Float64Array,
  triangles: Uint32Array,
): Promise<void> {
  const text = await readFile(path, 'utf8');
  const v: number[][] = [];
  const vt: number[][] = [];
  const faces: [number, number][][] = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === 'v') v.push(parts.slice(1, 4).map(Number));
    else if (parts[0] === 'vt') vt.push(parts.slice(1, 3).map(Number));
    else if (parts[0] === 'f') {
      faces.push(
        parts.slice(1).map((c) => {
          const [a, b] = c.split('/').map(Number);
          return [(a as number) - 1, (b as number) - 1] as [number, number];
        }),
      );
    }
  }
  if (v.length !== CANONICAL_VERTEX_COUNT || faces.length !== CANONICAL_TRIANGLE_COUNT) {
    throw new Error('OBJ: unexpected vertex or face count');
  }
  for (let i = 0; i < v.length; i++) {
    for (let k = 0; k < 3; k++) {
      if (Math.abs((v[i]?.[k] as number) - (positions[i * 3 + k] as number)) > 1e-5) {
        throw new Error(`OBJ vertex ${i} differs from the pbtxt`);
      }
    }
  }
  const key = (a: number, b: number, c: number) => {
    const s = [a, b, c].sort((x, y) => x - y);
    return s.join(',');
  };
  const pbTriangles = new Set<string>();
  for (let t = 0; t < CANONICAL_TRIANGLE_COUNT; t++) {
    pbTriangles.add(
      key(
        triangles[t * 3] as number,
        triangles[t * 3 + 1] as number,
        triangles[t * 3 + 2] as number,
      ),
    );
  }
  for (const face of faces) {
    const [a, b, c] = face.map(([vi]) => vi) as [number, number, number];
    if (!pbTriangles.has(key(a, b, c))) throw new Error('OBJ triangle missing from the pbtxt');
    for (const [vi, ti] of face) {
      const [u, vv] = vt[ti] as [number, number];
      if (
        Math.abs(u - (uvs[vi * 2] as number)) > 1e-5 ||
        Math.abs(vv - (1 - (uvs[vi * 2 + 1] as number))) > 1e-5
      ) {
        throw new Error(`OBJ vt of vertex ${vi} is not the pbtxt UV with V flipped`);
      }
    }
  }
}

/**
 * MediaPipe frame (x right, y up, z to the viewer) → facecast model frame: the camera frame
 * of a frontal, upright face (x right, y down, z away from the camera). A 180° turn about x.
 */
export function toModelFrame(positions: Float64Array): Float64Array {
  const out = new Float64Array(positions.length);
  for (let i = 0; i < positions.length; i += 3) {
    out[i] = positions[i] as number;
    out[i + 1] = -(positions[i + 1] as number);
    out[i + 2] = -(positions[i + 2] as number);
  }
  return out;
}
