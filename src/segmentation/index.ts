export { SegmentationError, type SegmentationErrorCode } from './errors.ts';
export {
  readSegmentationManifest,
  type SegmentationManifest,
  segmentationManifestSchema,
} from './manifest.ts';
export {
  DEFAULT_SEGMENTATION_MODEL_DIR,
  type PersonMatte,
  PersonSegmenter,
  type RgbFrame,
  SEGMENTATION_INPUT_SIZE,
  type SegmenterLoadOptions,
} from './segmenter.ts';
