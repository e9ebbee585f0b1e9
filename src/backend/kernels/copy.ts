/**
 * `Slice`, `PadV2` and `Transpose` as row copies and strided loops. tfjs's cpu kernels walk a non-contiguous slice
 * element by element through index arithmetic (a [32,34,34] slice took ~70 ms); these
 * copy each contiguous innermost run with `TypedArray.set`. Pure JS, any dtype but strings.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { input, make, type Kernel, type KernelArgs, type KernelFactory } from './util.ts';

type Numeric = Float32Array | Int32Array | Uint8Array;

const strides = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
};

const numeric = (args: KernelArgs, t: tf.TensorInfo): Numeric | undefined => {
  const v = args.backend.readSync(t.dataId);
  return v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array ? v : undefined;
};

/** A box copy: the box `begin`/`size` of a source of shape `shape` goes to `dstBegin` in a destination of shape `dstShape`. */
export interface Box {
  readonly shape: number[];
  readonly begin: number[];
  readonly size: number[];
  readonly dstShape: number[];
  readonly dstBegin: number[];
}

/**
 * The same box copy with fewer, longer runs: a trailing dim the box spans whole on both sides
 * (NHWC channels under a spatial pad or slice) joins the dim before it, since index (i, j) is
 * i·L + j on both sides.
 *
 * @example
 * ```ts
 * // a [2,5,5,3] image padded by 1 on H and W: runs of 15 floats instead of 3
 * mergeBox({ shape: [2, 5, 5, 3], begin: [0, 0, 0, 0], size: [2, 5, 5, 3], dstShape: [2, 7, 7, 3], dstBegin: [0, 1, 1, 0] });
 * // { shape: [2, 5, 15], begin: [0, 0, 0], size: [2, 5, 15], dstShape: [2, 7, 21], dstBegin: [0, 1, 3] }
 * ```
 */
export const mergeBox = (b: Box): Box => {
  const shape = [...b.shape], begin = [...b.begin], size = [...b.size], dstShape = [...b.dstShape], dstBegin = [...b.dstBegin];
  while (shape.length > 1) {
    const l = shape.length - 1, n = shape[l]!;
    if (begin[l] !== 0 || dstBegin[l] !== 0 || size[l] !== n || dstShape[l] !== n) break;
    shape.pop(); begin.pop(); size.pop(); dstShape.pop(); dstBegin.pop();
    shape[l - 1]! *= n; begin[l - 1]! *= n; size[l - 1]! *= n; dstShape[l - 1]! *= n; dstBegin[l - 1]! *= n;
  }
  return { shape, begin, size, dstShape, dstBegin };
};

/** Copy a box ({@link mergeBox} first), one innermost run at a time. */
const copyBox = (src: Numeric, dst: Numeric, box: Box): void => {
  const { shape, begin, size, dstShape, dstBegin } = mergeBox(box);
  const rank = shape.length;
  if (rank === 0) { dst[0] = src[0]!; return; }
  const ss = strides(shape), ds = strides(dstShape);
  const run = size[rank - 1]!;
  if (size.some((n) => n === 0)) return;
  const idx = new Array<number>(rank - 1).fill(0);
  for (;;) {
    let so = begin[rank - 1]!, d = dstBegin[rank - 1]!;
    for (let k = 0; k < rank - 1; k++) { so += (begin[k]! + idx[k]!) * ss[k]!; d += (dstBegin[k]! + idx[k]!) * ds[k]!; }
    dst.set(src.subarray(so, so + run), d);
    let k = rank - 2;
    while (k >= 0) { if (++idx[k]! < size[k]!) break; idx[k] = 0; k--; }
    if (k < 0) return;
  }
};

/** A kernel on the numeric data of input `x`, falling back to `original` for strings. */
const numericKernel = (name: string, original: Kernel | undefined, body: (args: KernelArgs, x: tf.TensorInfo, v: Numeric) => tf.TensorInfo): Kernel => (args) => {
  const x = input(name, args, 'x');
  const v = numeric(args, x);
  if (v) return body(args, x, v);
  if (original) return original(args);
  throw new Error(`${name}: unsupported dtype ${x.dtype}`);
};

const newLike = (v: Numeric, n: number): Numeric =>
  v instanceof Float32Array ? new Float32Array(n) : v instanceof Int32Array ? new Int32Array(n) : new Uint8Array(n);

/**
 * The box a `Slice` copies (begin and size already resolved).
 *
 * @example
 * ```ts
 * sliceBox([4, 6], [1, 2], [2, 3]); // the 2×3 block at (1, 2) into a fresh [2, 3]
 * ```
 */
export const sliceBox = (shape: readonly number[], begin: readonly number[], size: readonly number[]): Box =>
  ({ shape: [...shape], begin: [...begin], size: [...size], dstShape: [...size], dstBegin: size.map(() => 0) });

/**
 * The box a constant `PadV2` copies (after filling the output).
 *
 * @example
 * ```ts
 * padBox([2, 3], [[1, 1], [0, 2]]); // the whole [2, 3] into a [4, 5] at (1, 0)
 * ```
 */
export const padBox = (shape: readonly number[], paddings: readonly (readonly [number, number])[]): Box =>
  ({ shape: [...shape], begin: shape.map(() => 0), size: [...shape], dstShape: shape.map((n, i) => paddings[i]![0] + n + paddings[i]![1]), dstBegin: paddings.map((p) => p[0]) });

/** `Slice` as row copies (falls back to the original kernel for strings). */
export const sliceByRows: KernelFactory = (_backendName, original) => numericKernel('Slice', original, (args, x, v) => {
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs?.['begin'] as number[], args.attrs?.['size'] as number[]);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  const out = newLike(v, size.reduce((a, b) => a * b, 1));
  copyBox(v, out, sliceBox(x.shape, begin, size));
  return make(args.backend, [...size], x.dtype, out);
});

/** `PadV2` (constant padding) as a fill then row copies (falls back for strings). */
export const padByRows: KernelFactory = (_backendName, original) => numericKernel('PadV2', original, (args, x, v) => {
  const paddings = args.attrs?.['paddings'] as Array<[number, number]>;
  const value = (args.attrs?.['constantValue'] as number | undefined) ?? 0;
  const outShape = x.shape.map((n, i) => paddings[i]![0] + n + paddings[i]![1]);
  const out = newLike(v, outShape.reduce((a, b) => a * b, 1));
  if (value !== 0) out.fill(value);
  copyBox(v, out, padBox(x.shape, paddings));
  return make(args.backend, outShape, x.dtype, out);
});

/**
 * The walk a transpose makes over its input: the output's dims with size-1 dims dropped and
 * output dims that are also adjacent in the input merged, each with its length and its stride
 * in the input (the last is the innermost). An NHWC → NCHW transpose is a 3-D walk.
 *
 * @example
 * ```ts
 * transposeWalk([2, 3, 4], [0, 2, 1]); // { len: [2, 4, 3], step: [12, 1, 4] }
 * transposeWalk([8, 1, 5], [1, 0, 2]); // { len: [40], step: [1] }
 * ```
 */
export const transposeWalk = (shape: readonly number[], perm: readonly number[]): { len: number[]; step: number[] } => {
  const ss = strides(shape);
  const len: number[] = [], step: number[] = [];
  for (const p of perm) {
    const l = shape[p]!, st = ss[p]!;
    if (l === 1) continue;
    const last = len.length - 1;
    if (last >= 0 && step[last] === st * l) { len[last] = len[last]! * l; step[last] = st; } else { len.push(l); step.push(st); }
  }
  return { len, step };
};

/**
 * `Transpose` with an odometer over the output and a strided inner loop (falls back for strings).
 * Size-1 dims are dropped and output dims that are also adjacent in the input are merged first, so
 * an NHWC ↔ NCHW transpose is a 3-D walk with long inner runs.
 */
export const transposeStrided: KernelFactory = (_backendName, original) => numericKernel('Transpose', original, (args, x, v) => {
  const perm = args.attrs?.['perm'] as number[];
  const outShape = perm.map((p) => x.shape[p]!);
  const n = outShape.reduce((a, b) => a * b, 1);
  const out = newLike(v, n);
  const { len, step } = transposeWalk(x.shape, perm);
  const rank = len.length;
  if (rank === 0 || n === 0) { if (n) out[0] = v[0]!; return make(args.backend, outShape, x.dtype, out); }
  const inner = len[rank - 1]!, innerStep = step[rank - 1]!;
  const idx = new Array<number>(rank - 1).fill(0);
  let o = 0;
  for (;;) {
    let s = 0;
    for (let k = 0; k < rank - 1; k++) s += idx[k]! * step[k]!;
    if (innerStep === 1) { out.set(v.subarray(s, s + inner), o); o += inner; }
    else for (let j = 0; j < inner; j++, s += innerStep) out[o++] = v[s]!;
    let k = rank - 2;
    while (k >= 0) { if (++idx[k]! < len[k]!) break; idx[k] = 0; k--; }
    if (k < 0) break;
  }
  return make(args.backend, outShape, x.dtype, out);
});
