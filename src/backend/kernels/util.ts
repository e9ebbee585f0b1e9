/**
 * Small helpers shared by the project's kernels: calling another kernel of the same
 * backend, reading and making tensor data, disposing intermediates. Backend-agnostic
 * (works for `cpu` and `wasm`), free of Node-only APIs.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;

/** The parts of a tfjs backend (`MathBackendCPU`, `BackendWasm`) the kernels use. */
export interface KernelBackendLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  disposeData(dataId: object, force?: boolean): boolean;
  /** cpu. */
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): TensorInfo;
  /** wasm (cpu has a `makeOutput` too, with other parameters: never call it there). */
  makeOutput?(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): TensorInfo;
}

/** Arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: KernelBackendLike;
  attrs?: Record<string, unknown>;
}

/** A kernel function as the project writes it. */
export type Kernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** Builds a kernel for backend `backendName`; `original` is the kernel it replaces, if any. */
export type KernelFactory = (backendName: string, original: Kernel | undefined) => Kernel;

/** The input `name`, or a clear error naming the kernel. */
export const input = (kernel: string, args: KernelArgs, name: string): TensorInfo => {
  const t = args.inputs[name];
  if (!t) throw new Error(`${kernel}: missing input '${name}'`);
  return t;
};

/** Run kernel `name` of backend `backendName` on `inputs`; a single output. */
export const run = (backendName: string, backend: KernelBackendLike, name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo => {
  const k = tf.getKernel(name, backendName);
  if (!k) throw new Error(`${name}: kernel not registered for backend '${backendName}'`);
  const out = k.kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap });
  return Array.isArray(out) ? out[0]! : out;
};

/** Dispose intermediate tensor infos made inside a kernel. */
export const dispose = (backend: KernelBackendLike, ...ts: TensorInfo[]): void => {
  for (const t of ts) backend.disposeData(t.dataId);
};

/** A new tensor info holding `values`. */
export const make = (backend: KernelBackendLike, shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): TensorInfo => {
  // cpu's makeOutput has another signature (values, shape, dtype): ask for makeTensorInfo first.
  if (backend.makeTensorInfo) return backend.makeTensorInfo(shape, dtype, values);
  if (backend.makeOutput) return backend.makeOutput(shape, dtype, undefined, values);
  throw new Error('make: backend can make no tensors');
};

/** The values of `t` as float32 (a copy on wasm; on cpu possibly the stored array — do not mutate). */
export const readF32 = (backend: KernelBackendLike, t: TensorInfo): Float32Array => {
  const v = backend.readSync(t.dataId);
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
};

/** `[h, w]` from a number or pair attribute. */
export const pair = (v: unknown): [number, number] => (typeof v === 'number' ? [v, v] : [(v as number[])[0]!, (v as number[])[1]!]);

/** Product of the dimensions. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
