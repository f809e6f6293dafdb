export { buildReplicaMouthBank, type ReplicaBankInput, trackedInnerLips } from './bank.ts';
export {
  type CreateReplicaOptions,
  createReplica,
  isVideoFile,
  playbackIndex,
  type ReplicaModels,
  type ReplicaSummary,
} from './create.ts';
export { ReplicaError, type ReplicaErrorCode } from './errors.ts';
export {
  isReplicaDir,
  REPLICA_FPS,
  REPLICA_MANIFEST_FILE,
  type ReplicaManifest,
  readReplicaManifest,
  replicaManifestSchema,
  TRACK_FILE,
} from './manifest.ts';
export {
  findJoins,
  type Join,
  PLAN_DEFAULTS,
  type PlanInput,
  type PlanOptions,
  PlaybackPlan,
  type PlaybackStep,
  playbackRuns,
} from './plan.ts';
export { ReplicaPlayer, type ReplicaPlayerOptions } from './player.ts';
export {
  ReplicaPlayerPool,
  type ReplicaPlayerPoolOptions,
} from './pool.ts';
export { faceFeatures, Replica, type ReplicaFace } from './replica.ts';
export {
  checkFootage,
  type FootageFacts,
  REPLICA_LIMITS,
  type ReplicaLimits,
  type UsableRun,
  usableRuns,
} from './validate.ts';
