/**
 * Clips never trained on: the generator's evaluation set (every fixture kind is represented:
 * the two product test videos, a GRID studio clip, a VoxCeleb-style crop, a LivePortrait
 * driving clip). prepare-data.ts keeps them out of training; eval-heldout.ts scores them.
 */
export const DEFAULT_HELDOUT = [
  'video_videoretalking_1',
  'video_sadtalker_WDA_KatieHill_000',
  'talk_lipnet_swiz3n',
  'talk_pcavs_Audio_Source_00086',
  'liveportrait_d20',
];
