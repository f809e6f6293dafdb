import type { ControlsFrame } from '../../src/controls/index.ts';
import { fixture } from '../helpers/media.ts';
import { frameWith } from './helpers.ts';

/** Where the golden PNGs live and the size they are rendered at. */
export const GOLDEN_DIR = fixture('render');
export const GOLDEN_SIZE = 256;

/** The fixed Controls of the golden images (scripts/render/goldens.ts writes them). */
export const GOLDEN_CASES: { name: string; frame: () => ControlsFrame }[] = [
  {
    name: 'speaking',
    frame: () =>
      frameWith((f) => {
        f.blendshapes.jawOpen = 0.6;
        f.blendshapes.mouthSmileLeft = 0.3;
        f.blendshapes.mouthSmileRight = 0.3;
        f.blendshapes.browInnerUp = 0.4;
      }),
  },
  {
    name: 'blink-turn',
    frame: () =>
      frameWith((f) => {
        f.blendshapes.eyeBlinkLeft = 1;
        f.blendshapes.eyeBlinkRight = 1;
        f.blendshapes.jawOpen = 0.25;
        f.head.yaw = 0.2;
        f.head.pitch = -0.08;
      }),
  },
  {
    name: 'tilt-gaze',
    frame: () =>
      frameWith((f) => {
        f.head.roll = 0.15;
        f.head.x = 0.2;
        f.gaze.leftYaw = 0.3;
        f.gaze.rightYaw = 0.3;
        f.blendshapes.mouthFunnel = 0.5;
        f.blendshapes.jawOpen = 0.3;
      }),
  },
];
