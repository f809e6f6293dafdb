export { InferenceError, type InferenceErrorCode } from './errors.ts';
export { type ManifestErrors, readModelManifest } from './manifest.ts';
export {
  cudaBinariesInstalled,
  EXECUTION_PROVIDERS,
  type ExecutionProvider,
  type HostArray,
  type HostTensor,
  loadOnnxSession,
  OnnxRunner,
  OnnxSession,
  type OnnxSessionOptions,
  type ProviderFallback,
  type RunnerSpec,
  type TensorInfo,
  type TensorType,
  vulkanLoaderInstalled,
} from './onnx.ts';
