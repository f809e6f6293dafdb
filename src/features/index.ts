export { hzToMel, melToHz, slaneyMelFilterbank } from './filterbank.ts';
export {
  computeLogMel,
  concatMel,
  MEL_BANDS,
  MEL_CONFIG,
  MEL_FRAMES_PER_SECOND,
  MelExtractor,
  type MelFrames,
  powerSpectrum,
} from './mel.ts';
export { decodeNpy, encodeNpy, type NpyArray, readNpy, writeNpy } from './npy.ts';
