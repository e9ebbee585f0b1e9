/**
 * PyTorch checkpoint import without Python.
 *
 * @module
 */
export { readTorchCheckpoint, parseTorchBytes, materialize, TorchStorage, TorchTensor, type TorchReadOptions, type AllowGlobal } from './checkpoint.ts';
export { loadTorchCheckpoint, tryLoadTorchCheckpoint } from './load.ts';
export { unpickle, PyGlobal, PyObject, PickleError, PickleGlobalError, TORCH_GLOBALS, isAllowedTorchGlobal, type PyCallTable, type UnpickleOptions, type UnpickleResult } from './pickle.ts';
export { readZip, isZip, ZipError, type ZipEntry } from './zip.ts';
