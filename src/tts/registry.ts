import { z } from 'zod';
import { LOCAL_ENGINES, VoiceCatalog } from './catalog.ts';
import { TtsError } from './errors.ts';
import { EspeakTts } from './espeak.ts';
import { createHttpStreamTts } from './http-stream.ts';
import type { TtsProvider } from './provider.ts';

const cloudConfigSchema = z
  .object({
    provider: z.literal('cloud'),
    /** Registered provider name, e.g. `azure`, `google`, `elevenlabs`. */
    name: z.string().min(1),
    /** Service endpoint or region. */
    endpoint: z.string().url().optional(),
    /** Name of the environment variable holding the API key. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional(),
    /** Default voice for this provider. */
    voice: z.string().optional(),
    /** Request timeout in ms. Default 15000. */
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict();

/**
 * Which TTS provider to use, as read from configuration (env, config file, HTTP admin API).
 * `local` (the default) is every engine installed here behind `engine:voice` names
 * ({@link VoiceCatalog}); `espeak` is the embedded engine alone; any other name must have been registered with
 * {@link registerTtsProvider} (cloud providers: credentials come from the environment variable
 * named in `apiKeyEnv`, never from the config itself).
 */
export const ttsConfigSchema = z.discriminatedUnion('provider', [
  z
    .object({
      provider: z.literal('local'),
      /** Engines to look for. Default all (espeak, flite, festival, rhvoice). */
      engines: z.array(z.enum(LOCAL_ENGINES)).min(1).optional(),
      /** Cloud providers to add beside the local engines, addressed as `<name>:<voice>`. */
      cloud: z.array(cloudConfigSchema).max(8).optional(),
      maxTextLength: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      provider: z.literal('espeak'),
      maxTextLength: z.number().int().positive().optional(),
    })
    .strict(),
  cloudConfigSchema,
]);
export type TtsConfig = z.infer<typeof ttsConfigSchema>;
export type CloudTtsConfig = Extract<TtsConfig, { provider: 'cloud' }>;

/** Builds a cloud provider from its configuration. Implementations live outside this module. */
export type TtsProviderFactory = (
  config: CloudTtsConfig,
  options: { signal?: AbortSignal },
) => Promise<TtsProvider>;

/** Built in: `http-stream`, the facecast NDJSON streaming protocol (src/tts/http-stream.ts). */
const factories = new Map<string, TtsProviderFactory>([['http-stream', createHttpStreamTts]]);

/** Registers a cloud TTS provider under `name` (the `name` of a `cloud` config). */
export function registerTtsProvider(name: string, factory: TtsProviderFactory): void {
  factories.set(name, factory);
}

/**
 * Creates the configured provider.
 *
 * @example
 * const tts = await createTtsProvider({ provider: 'espeak' });
 */
export async function createTtsProvider(
  raw: unknown,
  options: { signal?: AbortSignal } = {},
): Promise<TtsProvider> {
  const parsed = ttsConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TtsError(
      'TTS_BAD_OPTIONS',
      `invalid TTS configuration: ${parsed.error.issues[0]?.message}`,
    );
  }
  const config = parsed.data;
  if (config.provider === 'local') {
    const { provider: _, cloud = [], ...rest } = config;
    const extra = [];
    for (const c of cloud) extra.push(await createCloud(c, options));
    return VoiceCatalog.load({ ...rest, extra });
  }
  if (config.provider === 'espeak')
    return EspeakTts.load(config.maxTextLength ? { maxTextLength: config.maxTextLength } : {});
  return createCloud(config, options);
}

async function createCloud(
  config: CloudTtsConfig,
  options: { signal?: AbortSignal },
): Promise<TtsProvider> {
  const factory = factories.get(config.name);
  if (!factory) {
    throw new TtsError(
      'TTS_PROVIDER_NOT_CONFIGURED',
      `no TTS provider registered as "${config.name}" (registered: ${[...factories.keys()].join(', ') || 'none'})`,
    );
  }
  return factory(config, options);
}
