/**
 * The motion model's input piece, samples (~1 s at 16 kHz). Offline jobs feed it fixed pieces
 * so that their output does not depend on how a decoder's pipe happened to cut the audio (the
 * model's batches change its float sums: a first chunk of 2048 instead of 16384 samples
 * changed 167 of 200 rendered frames).
 */
export const AUDIO_PIECE_SAMPLES = 16_384;

/** Re-cuts chunks of any sizes into pieces of exactly `size` samples (the last one shorter). */
export async function* fixedPieces(
  chunks: AsyncIterable<Float32Array> | Iterable<Float32Array>,
  size: number,
): AsyncGenerator<Float32Array> {
  let piece = new Float32Array(size);
  let filled = 0;
  for await (const chunk of chunks) {
    let from = 0;
    while (from < chunk.length) {
      const n = Math.min(size - filled, chunk.length - from);
      piece.set(chunk.subarray(from, from + n), filled);
      filled += n;
      from += n;
      if (filled === size) {
        yield piece;
        piece = new Float32Array(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield piece.subarray(0, filled);
}
