/**
 * A one-line progress bar on stderr, drawn only on a terminal and at most 10 times a second.
 * `done()` clears the line.
 */
export class ProgressBar {
  readonly #out: NodeJS.WritableStream;
  readonly #enabled: boolean;
  #lastDrawMs = 0;
  #drawn = false;

  constructor(out: NodeJS.WritableStream, enabled: boolean) {
    this.#out = out;
    this.#enabled = enabled;
  }

  /** `fraction` in 0–1; `label` e.g. the stage; `detail` e.g. frame counts and speed. */
  update(fraction: number, label: string, detail = ''): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#lastDrawMs < 100 && fraction < 1) return;
    this.#lastDrawMs = now;
    const width = 28;
    const clamped = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(clamped * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const pct = `${Math.floor(clamped * 100)}`.padStart(3);
    this.#out.write(`\r\x1b[2K${label.padEnd(8)} ${bar} ${pct}% ${detail}`);
    this.#drawn = true;
  }

  done(): void {
    if (this.#drawn) this.#out.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
