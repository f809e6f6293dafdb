export {
  type CreateRendererOptions,
  createRenderer,
  loadAvatarReference,
  readRgbImage,
  referenceFromAvatar,
  segmentPerson,
} from './avatar.ts';
export { fillBodyMask, type Point } from './body.ts';
export { MapsDumpWriter, NpyStackWriter } from './dump.ts';
export { applyEdits, type ControlEdit, EDIT_RAMP_MS, parseEdit } from './edits.ts';
export { RenderError, type RenderErrorCode } from './errors.ts';
export { createRgbImage, type PixelRect, type RgbImage, resizeRgb } from './image.ts';
export { PART_COLORS, PART_LABELS, PART_NAMES, type PartLabel, type PartName } from './labels.ts';
export { mapsContract, RENDER_MAPS_VERSION, type RenderMaps, visualiseMaps } from './maps.ts';
export {
  MAX_RENDER_SIZE,
  MIN_RENDER_SIZE,
  RENDERER_DEFAULTS,
  Renderer,
  type RendererOptions,
  type RenderFrameOptions,
  type RenderOutput,
  type RenderReference,
} from './renderer.ts';
export { TemporalSteadier } from './steady.ts';
export {
  RenderThread,
  type RenderThreadOptions,
  reviveThreadError,
  type SerialisedError,
  serialiseThreadError,
  type ThreadFrame,
} from './thread.ts';
