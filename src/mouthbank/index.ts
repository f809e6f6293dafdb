export {
  chooseBankFrames,
  MOUTH_BANK_BLEND,
  MOUTH_BANK_DEFAULTS,
  MOUTH_BANK_FEATHER,
  MOUTH_BANK_FILE,
  MouthBank,
  type MouthBankOptions,
  type MouthBankPaintOptions,
  type MouthSample,
  type PaintRegion,
} from './bank.ts';
export {
  DEFAULT_MOUTH_BANK_DIR,
  GENERIC_MOUTH_BANK_PAINT,
  loadGenericMouthBank,
} from './generic.ts';
export { type InnerLips, innerLipsFromMesh, lipShape, opening } from './lips.ts';
export type { RgbView } from './patch.ts';
