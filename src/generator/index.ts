export {
  CROP_DEFAULTS,
  type CropOptions,
  CropTracker,
  faceCropBox,
  pasteResidual,
} from './crop.ts';
export { GeneratorError, type GeneratorErrorCode } from './errors.ts';
export { framedReference } from './framing.ts';
export {
  GENERATOR_IN_CHANNELS,
  LABEL_CHANNELS,
  MAP_CHANNELS,
  SLOT_CHANNELS,
  SR_FACTOR,
  SR_GUIDE_CHANNELS,
} from './layout.ts';
export {
  type GeneratorManifest,
  generatorManifestSchema,
  readManifest,
  type SrManifest,
  srManifestSchema,
} from './manifest.ts';
export {
  GENERATOR_MODES,
  type GeneratorDecision,
  type GeneratorMode,
  generatorModeSchema,
  type ResolveGeneratorOptions,
  resolveGenerator,
} from './mode.ts';
export {
  DEFAULT_GENERATOR_MODEL_DIR,
  DEFAULT_SR_MODEL_DIR,
  GENERATOR_LOAD_DEFAULTS,
  Generator,
  type GeneratorLoadOptions,
} from './model.ts';
export { type CropBox, type CropTaps, cropTaps, upsample2x } from './resample.ts';
export { packRgb, packSlotMaps, packSrGuide, type SlotSource } from './slots.ts';
export {
  GeneratorStream,
  type GeneratorStreamOptions,
  type GeneratorStreamStats,
  gaussianNoise,
} from './stream.ts';
