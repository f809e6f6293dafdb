/**
 * Helpers for the transport and live tests. `syntheticFrame` is a test pattern for
 * transport-level tests only; the product never renders one.
 */

/** An RGB24 frame with a moving gradient (so the encoder sees motion). */
export function syntheticFrame(width: number, height: number, index: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      rgb[o] = (x * 4 + index * 8) & 0xff;
      rgb[o + 1] = (y * 4) & 0xff;
      rgb[o + 2] = 128;
    }
  }
  return rgb;
}

/** Whether a process id is running (signal 0 probes without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls `condition` until it holds; for integration tests that wait on real processes,
 * sockets or browsers (unit tests use fake timers instead).
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 15_000, intervalMs = 10, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
