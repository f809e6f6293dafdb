import type { StageFactory } from '../../src/live/index.ts';
import { scriptedStages } from './stages.ts';

/**
 * The stages the browser e2e runs. TEMPORARY: scripted doubles until the motion runtime
 * and the renderer land (branches `motion`, `render`); then this returns the real stages
 * with a committed avatar profile.
 */
export async function e2eStages(): Promise<{
  factory: StageFactory;
  avatars: { id: string; name: string }[];
  close: () => Promise<void>;
}> {
  return {
    factory: scriptedStages({ size: 512 }),
    avatars: [{ id: 'scripted', name: 'scripted' }],
    close: async () => {},
  };
}
