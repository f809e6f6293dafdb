import { join } from 'node:path';
import { z } from 'zod';
import { isFacecastError } from '../core/index.ts';
import { GeneratorError } from './errors.ts';
import { generatorManifestSchema, readManifest } from './manifest.ts';
import { DEFAULT_GENERATOR_MODEL_DIR, Generator, type GeneratorLoadOptions } from './model.ts';

/** `--generator on|off|auto`. */
export const GENERATOR_MODES = ['on', 'off', 'auto'] as const;
export const generatorModeSchema = z.enum(GENERATOR_MODES);
export type GeneratorMode = z.infer<typeof generatorModeSchema>;

/** Options of {@link resolveGenerator}. */
export interface ResolveGeneratorOptions extends GeneratorLoadOptions {
  /**
   * Real-time use (live sessions): `auto` also requires one frame (generator + SR, one
   * frame per window) to take at most this many ms on the chosen execution provider,
   * measured by a probe at load. Default: undefined (offline jobs: no time limit).
   */
  frameBudgetMs?: number;
}

/** What {@link resolveGenerator} decided, and why (log the reason). */
export interface GeneratorDecision {
  mode: GeneratorMode;
  enabled: boolean;
  reason: string;
  /** The loaded generator when enabled (the caller closes it). */
  generator?: Generator;
}

/**
 * Turns `--generator on|off|auto` into a loaded {@link Generator} or warp-only.
 *
 * - `off`: warp-only.
 * - `on`: the generator, or GENERATOR_UNAVAILABLE when its models are missing or invalid.
 * - `auto`: the generator only where it measurably beats warp-only: the manifest's held-out
 *   self-reenactment evaluation must say `wins` (scripts/generator/eval-heldout.ts: PSNR gain
 *   with a 95 % interval above 0, SSIM not lower in the frame and the face box, flicker not
 *   worse), and for real-time use
 *   the probe must fit `frameBudgetMs` and, when the evaluation measured the live path
 *   (1-frame windows), that verdict must be a win too. Otherwise warp-only, with the reason.
 *
 * @example
 * const { generator, reason } = await resolveGenerator('auto', { frameBudgetMs: 20 });
 * log.info(`generator: ${reason}`);
 */
export async function resolveGenerator(
  mode: GeneratorMode,
  options: ResolveGeneratorOptions = {},
): Promise<GeneratorDecision> {
  if (mode === 'off') return { mode, enabled: false, reason: 'off (warp-only) as requested' };
  if (mode === 'auto') {
    const dir = options.modelDir ?? DEFAULT_GENERATOR_MODEL_DIR;
    let manifest: z.infer<typeof generatorManifestSchema>;
    try {
      manifest = await readManifest(join(dir, 'manifest.json'), generatorManifestSchema);
    } catch (error) {
      return { mode, enabled: false, reason: `warp-only: no usable generator (${message(error)})` };
    }
    const e = manifest.evaluation;
    if (!e)
      return { mode, enabled: false, reason: 'warp-only: the generator has not been evaluated' };
    const summary = `held-out PSNR ${e.generator.psnrDb.toFixed(2)} vs ${e.warpOnly.psnrDb.toFixed(2)} dB, SSIM ${e.generator.ssim.toFixed(4)} vs ${e.warpOnly.ssim.toFixed(4)}, face SSIM ${e.generator.faceSsim.toFixed(4)} vs ${e.warpOnly.faceSsim.toFixed(4)}, flicker ${e.generator.flicker.toFixed(2)} vs ${e.warpOnly.flicker.toFixed(2)}`;
    if (!e.wins)
      return {
        mode,
        enabled: false,
        reason: `warp-only: the generator does not beat it (${summary})`,
      };
    if (options.frameBudgetMs !== undefined && e.live && !e.live.wins)
      return {
        mode,
        enabled: false,
        reason: `warp-only: the generator beats it offline but not live, with 1-frame windows (held-out PSNR gain ${e.live.psnrGainDb.mean.toFixed(2)} dB, 95 % interval [${e.live.psnrGainDb.ci95[0].toFixed(2)}, ${e.live.psnrGainDb.ci95[1].toFixed(2)}])`,
      };
    let generator: Generator;
    try {
      generator = await Generator.load(options);
    } catch (error) {
      return {
        mode,
        enabled: false,
        reason: `warp-only: the generator failed to load (${message(error)})`,
      };
    }
    if (options.frameBudgetMs !== undefined) {
      const ms = await generator.probeFrameMs({ signal: options.signal });
      if (ms > options.frameBudgetMs) {
        await generator.close();
        return {
          mode,
          enabled: false,
          reason: `warp-only: a frame takes ${ms.toFixed(1)} ms on ${generator.executionProvider}, over the ${options.frameBudgetMs} ms budget`,
        };
      }
    }
    return {
      mode,
      enabled: true,
      reason: `generator on ${generator.executionProvider} (${summary})`,
      generator,
    };
  }
  try {
    const generator = await Generator.load(options);
    return {
      mode,
      enabled: true,
      reason: `generator on ${generator.executionProvider} as requested`,
      generator,
    };
  } catch (error) {
    if (isFacecastError(error) && error.kind === 'aborted') throw error;
    throw new GeneratorError('GENERATOR_UNAVAILABLE', `--generator on: ${message(error)}`, {
      cause: error,
    });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
