/**
 * File formats and weight import/export.
 *
 * @module
 */
export { readTorchCheckpoint, parseTorchBytes, loadTorchCheckpoint, tryLoadTorchCheckpoint, TorchStorage, TorchTensor, PyGlobal, PyObject, TORCH_GLOBALS, isAllowedTorchGlobal, type TorchReadOptions, type AllowGlobal } from './torch/index.ts';
export * from './safetensors.ts';
export * from './safetensors-file.ts';
export * from './npy.ts';
export * from './npy-file.ts';
