/**
 * Native element-wise, reduction, split, gather, tile, reverse, fill, max-pool-gradient and depthwise-convolution kernels for the cpu backend.
 * These dominated a UNet training step once the convolutions were native (bench/README.md).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.ts';
import { mergeBox, padBox, sliceBox, transposeWalk, type Box } from '../kernels/copy.ts';
import type { CpuBackend, Kernel, KernelArgs } from './kernels.ts';

const f32 = (backend: CpuBackend, t: tf.TensorInfo): Float32Array => {
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
};
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Collapse a broadcast of `aShape` with `bShape` into at most 4 dims with element strides
 * for each side (0 where broadcast). Undefined when it needs more than 4 dims.
 */
export const broadcastGeometry = (aShape: readonly number[], bShape: readonly number[]): { geom: Int32Array; outShape: number[] } | undefined => {
  const outShape = tf.backend_util.assertAndGetBroadcastShape([...aShape], [...bShape]);
  const r = outShape.length;
  const pad = (s: readonly number[]): number[] => [...new Array<number>(r - s.length).fill(1), ...s];
  const a = pad(aShape), b = pad(bShape);
  const groups: { n: number; aFull: boolean; bFull: boolean }[] = [];
  for (let i = 0; i < r; i++) {
    const n = outShape[i]!;
    if (n === 1) continue;
    const aFull = a[i] !== 1, bFull = b[i] !== 1;
    const last = groups[groups.length - 1];
    if (last && last.aFull === aFull && last.bFull === bFull) last.n *= n;
    else groups.push({ n, aFull, bFull });
  }
  if (groups.length > 4) return undefined;
  while (groups.length < 4) groups.unshift({ n: 1, aFull: false, bFull: false });
  const geom = new Int32Array(12);
  let sa = 1, sb = 1;
  for (let i = 3; i >= 0; i--) {
    const g = groups[i]!;
    geom[i] = g.n;
    geom[4 + i] = g.aFull ? sa : 0;
    geom[8 + i] = g.bFull ? sb : 0;
    if (g.aFull) sa *= g.n;
    if (g.bFull) sb *= g.n;
  }
  return { geom, outShape };
};

const BINARY: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 };
const UNARY: Record<string, number> = {
  Relu: 0, Neg: 1, Square: 2, Sqrt: 3, Rsqrt: 4, Exp: 5, Log: 6, Abs: 7, Step: 8, LeakyRelu: 9,
  Sigmoid: 10, Reciprocal: 11, Relu6: 12, Tanh: 13, Log1p: 14, Sign: 15,
};
/** Unary ops of addons that have `softmax` (the same build added them; older builds would leave the output at 0). */
const UNARY_SINCE_SOFTMAX: Record<string, number> = { Sin: 16, Cos: 17 };
const COMPARE: Record<string, number> = { Greater: 0, GreaterEqual: 1, Less: 2, LessEqual: 3, Equal: 4, NotEqual: 5 };
const REDUCE: Record<string, number> = { Sum: 0, Mean: 1, Max: 2, Min: 3 };
/** Below this many elements the JS kernels are as fast (no call or thread overhead). */
const MIN_NATIVE = 2048;

/** The element-wise kernels, each falling back to `fallback(name, args)` outside its cases. */
export const makeElementwiseKernels = (
  addon: NativeAddon,
  fallback: (name: string, args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[],
  alloc: (n: number) => Float32Array = (n) => new Float32Array(n),
): Record<string, Kernel> => {
  const kernels: Record<string, Kernel> = {};
  for (const [name, op] of Object.entries(BINARY)) {
    kernels[name] = (args) => {
      const { a, b } = args.inputs;
      if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(name, args);
      const g = broadcastGeometry(a.shape, b.shape);
      if (!g || size(g.outShape) < MIN_NATIVE) return fallback(name, args);
      const out = alloc(size(g.outShape));
      addon.binary(op, g.geom, f32(args.backend, a), f32(args.backend, b), out);
      return args.backend.makeTensorInfo(g.outShape, 'float32', out);
    };
  }
  for (const [name, op] of Object.entries(COMPARE)) {
    kernels[name] = (args) => {
      const { a, b } = args.inputs;
      if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(name, args);
      const g = broadcastGeometry(a.shape, b.shape);
      if (!g || size(g.outShape) < MIN_NATIVE) return fallback(name, args);
      const out = new Uint8Array(size(g.outShape));
      addon.compare(op, g.geom, f32(args.backend, a), f32(args.backend, b), out);
      return args.backend.makeTensorInfo(g.outShape, 'bool', out);
    };
  }
  kernels['Select'] = (args) => {
    const { condition, t, e } = args.inputs;
    if (!condition || !t || !e || t.dtype !== 'float32' || e.dtype !== 'float32' || condition.dtype !== 'bool') return fallback('Select', args);
    const n = size(t.shape);
    const cv = args.backend.data.get(condition.dataId).values;
    if (n < MIN_NATIVE || !(cv instanceof Uint8Array) || cv.length !== n || size(e.shape) !== n) return fallback('Select', args);
    const out = alloc(n);
    addon.select(cv, f32(args.backend, t), f32(args.backend, e), out);
    return args.backend.makeTensorInfo([...t.shape], 'float32', out);
  };
  for (const [name, op] of Object.entries({ ...UNARY, ...(addon.softmax ? UNARY_SINCE_SOFTMAX : {}) })) {
    kernels[name] = (args) => {
      const { x } = args.inputs;
      if (!x || x.dtype !== 'float32' || size(x.shape) < MIN_NATIVE) return fallback(name, args);
      const dflt = name === 'LeakyRelu' ? 0.2 : 0;
      const alpha = (args.attrs?.['alpha'] as number | undefined) ?? dflt;
      const out = alloc(size(x.shape));
      addon.unary(op, f32(args.backend, x), out, alpha);
      return args.backend.makeTensorInfo([...x.shape], 'float32', out);
    };
  }
  for (const [name, op] of Object.entries(REDUCE)) {
    kernels[name] = (args) => {
      const { x } = args.inputs;
      if (!x || x.dtype !== 'float32' || size(x.shape) < MIN_NATIVE) return fallback(name, args);

      const axisAttr = (args.attrs?.['axis'] ?? args.attrs?.['reductionIndices']) as number | number[] | undefined;
      const axes = tf.util.parseAxisParam(axisAttr ?? [...x.shape.keys()], x.shape);
      const reduced = new Set(axes);
      // Dims of size 1 do not matter. Each run of adjacent reduced dims is one [outer, mid, inner]
      // reduction, the last run first (sum, mean, max and min of a rectangle can be taken axis group
      // by axis group; tfjs's kernel transposes instead).
      let dims = [...x.shape.keys()].filter((i) => x.shape[i]! > 1).map((i) => ({ n: x.shape[i]!, r: reduced.has(i) }));
      const prod = (ds: readonly { n: number }[]): number => ds.reduce((a, d) => a * d.n, 1);
      let cur = f32(args.backend, x);
      let out: Float32Array | undefined;
      do {
        const last = dims.map((d) => d.r).lastIndexOf(true);
        let first = last;
        while (first > 0 && dims[first - 1]!.r) first--;
        const outer = prod(dims.slice(0, Math.max(first, 0))), mid = last < 0 ? 1 : prod(dims.slice(first, last + 1));
        const inner = last < 0 ? 1 : prod(dims.slice(last + 1));
        const final = last < 0 || !dims.slice(0, first).some((d) => d.r);
        const next = final ? alloc(outer * inner) : new Float32Array(outer * inner);
        addon.reduce(op, Int32Array.from([outer, mid, inner]), cur, next);
        cur = next;
        if (final) out = next;
        dims = last < 0 ? dims : [...dims.slice(0, first), ...dims.slice(last + 1)];
      } while (!out);
      const keepDims = args.attrs?.['keepDims'] === true;
      const outShape = keepDims ? x.shape.map((n, i) => (reduced.has(i) ? 1 : n)) : x.shape.filter((_, i) => !reduced.has(i));
      return args.backend.makeTensorInfo(outShape, 'float32', out);
    };
  }
  kernels['SplitV'] = (args) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32') return fallback('SplitV', args);
    const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, args.attrs?.['numOrSizeSplits'] as number | number[], axis);
    const outer = size(x.shape.slice(0, axis));
    const inner = size(x.shape.slice(axis + 1));
    const rowLen = x.shape[axis]! * inner;
    const src = f32(args.backend, x);
    if (addon.split && outer > 1) {
      const outs = sizes.map((s) => alloc(outer * s * inner));
      addon.split(outer, src, outs);
      return outs.map((out, i) => {
        const shape = [...x.shape];
        shape[axis] = sizes[i]!;
        return args.backend.makeTensorInfo(shape, 'float32', out);
      });
    }
    let offset = 0;
    return sizes.map((s) => {
      const len = s * inner;
      const out = alloc(outer * len);
      if (outer === 1) out.set(src.subarray(offset, offset + len));
      else for (let o = 0; o < outer; o++) out.set(src.subarray(o * rowLen + offset, o * rowLen + offset + len), o * len);
      offset += len;
      const shape = [...x.shape];
      shape[axis] = s;
      return args.backend.makeTensorInfo(shape, 'float32', out);
    });
  };
  const poolInfo = (xShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo =>
    tf.backend_util.computePool2DInfo(
      xShape as [number, number, number, number],
      attrs['filterSize'] as [number, number] | number,
      attrs['strides'] as [number, number] | number,
      1,
      attrs['pad'] as 'valid' | 'same' | number,
      attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
    );
  /** Max-pool geometry: sizes, strides, top/left padding, output size. */
  const maxPoolGeom = (info: tf.backend_util.Conv2DInfo): Int32Array => Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth,
  ]);
  const poolGeom = (xShape: number[], attrs: Record<string, unknown>): Int32Array | undefined => {
    const info = poolInfo(xShape, attrs);
    const p = info.padInfo;
    if (p.top !== 0 || p.left !== 0 || p.bottom !== 0 || p.right !== 0) return undefined;
    return Int32Array.from([
      info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
      info.strideHeight, info.strideWidth, info.outHeight, info.outWidth,
    ]);
  };
  kernels['AvgPool'] = (args) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32' || x.shape.length !== 4) return fallback('AvgPool', args);
    const geom = poolGeom(x.shape, args.attrs ?? {});
    if (!geom) return fallback('AvgPool', args);
    const outShape = [geom[0]!, geom[8]!, geom[9]!, geom[3]!];
    const out = alloc(size(outShape));
    addon.avgPool(geom, f32(args.backend, x), out);
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };
  kernels['AvgPoolGrad'] = (args) => {
    const { dy, input } = args.inputs;
    if (!dy || !input || dy.dtype !== 'float32' || input.shape.length !== 4) return fallback('AvgPoolGrad', args);
    const geom = poolGeom(input.shape, args.attrs ?? {});
    if (!geom) return fallback('AvgPoolGrad', args);
    const out = alloc(size(input.shape));
    addon.avgPoolGrad(geom, f32(args.backend, dy), out);
    return args.backend.makeTensorInfo([...input.shape], 'float32', out);
  };
  kernels['LogicalNot'] = (args) => {
    const { x } = args.inputs;
    const v = x ? args.backend.data.get(x.dataId).values : undefined;
    if (!x || x.dtype !== 'bool' || !(v instanceof Uint8Array) || v.length < MIN_NATIVE) return fallback('LogicalNot', args);
    const out = new Uint8Array(v.length);
    addon.logicalNot(v, out);
    return args.backend.makeTensorInfo([...x.shape], 'bool', out);
  };
  const softmax = addon.softmax?.bind(addon);
  if (softmax) {
    kernels['Softmax'] = (args) => {
      const { logits } = args.inputs;
      if (!logits || logits.dtype !== 'float32' || logits.shape.length === 0 || size(logits.shape) < MIN_NATIVE) return fallback('Softmax', args);
      const dim = (args.attrs?.['dim'] as number | undefined) ?? -1;
      const rank = logits.shape.length;
      if (dim !== -1 && dim !== rank - 1) return fallback('Softmax', args);
      const out = alloc(size(logits.shape));
      softmax(logits.shape[rank - 1]!, f32(args.backend, logits), out);
      return args.backend.makeTensorInfo([...logits.shape], 'float32', out);
    };
  }
  kernels['MaxPool'] = (args) => {
    const { x } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!x || x.dtype !== 'float32' || x.shape.length !== 4 || size(x.shape) < MIN_NATIVE) return fallback('MaxPool', args);
    const info = poolInfo(x.shape, attrs);
    const geom = maxPoolGeom(info);
    const out = alloc(size(info.outShape));
    addon.maxPool(geom, f32(args.backend, x), out);
    return args.backend.makeTensorInfo([...info.outShape], 'float32', out);
  };
  const copyBox = (src: Float32Array, dst: Float32Array, box: Box): boolean => {
    const b = mergeBox(box);
    const r = b.shape.length;
    if (!addon.copyBox || r < 1 || r > 16) return false;
    addon.copyBox(Int32Array.from([r, ...b.shape, ...b.begin, ...b.size, ...b.dstShape, ...b.dstBegin]), src, dst);
    return true;
  };
  kernels['Slice'] = (args) => {
    const { x } = args.inputs;
    if (!addon.copyBox || !x || x.dtype !== 'float32' || size(x.shape) >= 2 ** 31) return fallback('Slice', args);
    const [begin, sz] = tf.slice_util.parseSliceParams(x as tf.Tensor, args.attrs?.['begin'] as number[], args.attrs?.['size'] as number[]);
    tf.slice_util.assertParamsValid(x as tf.Tensor, begin, sz);
    if (size(sz) < MIN_NATIVE) return fallback('Slice', args);
    const out = alloc(size(sz));
    if (!copyBox(f32(args.backend, x), out, sliceBox(x.shape, begin, sz))) return fallback('Slice', args);
    return args.backend.makeTensorInfo([...sz], 'float32', out);
  };
  kernels['PadV2'] = (args) => {
    const { x } = args.inputs;
    const paddings = args.attrs?.['paddings'] as Array<[number, number]> | undefined;
    if (!addon.copyBox || !x || !paddings || x.dtype !== 'float32' || paddings.length !== x.shape.length || paddings.some((p) => p[0] < 0 || p[1] < 0)) return fallback('PadV2', args);
    const box = padBox(x.shape, paddings);
    const n = size(box.dstShape);
    if (n < MIN_NATIVE || n >= 2 ** 31 || box.dstShape.some((d) => d < 0)) return fallback('PadV2', args);
    const out = alloc(n);
    out.fill((args.attrs?.['constantValue'] as number | undefined) ?? 0);
    if (!copyBox(f32(args.backend, x), out, box)) return fallback('PadV2', args);
    return args.backend.makeTensorInfo(box.dstShape, 'float32', out);
  };
  kernels['Transpose'] = (args) => {
    const { x } = args.inputs;
    const perm = args.attrs?.['perm'] as number[] | undefined;
    if (!addon.transpose || !x || !perm || x.dtype !== 'float32' || size(x.shape) < MIN_NATIVE || size(x.shape) >= 2 ** 31) return fallback('Transpose', args);
    const { len, step } = transposeWalk(x.shape, perm);
    if (len.length === 0 || len.length > 16) return fallback('Transpose', args);
    const out = alloc(size(x.shape));
    addon.transpose(Int32Array.from([len.length, ...len, ...step]), f32(args.backend, x), out);
    return args.backend.makeTensorInfo(perm.map((p) => x.shape[p]!), 'float32', out);
  };
  kernels['Concat'] = (args) => {
    const inputs = Object.values(args.inputs).filter((t): t is tf.TensorInfo => t !== undefined);
    const first = inputs[0];
    if (!first || inputs.some((t) => t.dtype !== 'float32' || t.shape.length !== first.shape.length)) return fallback('Concat', args);
    const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, first.shape)[0]!;
    const outer = size(first.shape.slice(0, axis));
    const outShape = [...first.shape];
    outShape[axis] = inputs.reduce((a, t) => a + t.shape[axis]!, 0);
    const ok = inputs.every((t) => t.shape.every((n, i) => i === axis || n === first.shape[i]));
    if (!ok || size(outShape) < MIN_NATIVE || outer < 1) return fallback('Concat', args);
    const out = alloc(size(outShape));
    addon.concat(outer, inputs.map((t) => f32(args.backend, t)), out);
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };
  kernels['MaxPoolGrad'] = (args) => {
    const { dy, input } = args.inputs;
    const attrs = args.attrs ?? {};
    if (!dy || !input || dy.dtype !== 'float32' || input.dtype !== 'float32') return fallback('MaxPoolGrad', args);
    const info = poolInfo(input.shape, attrs);
    const geom = maxPoolGeom(info);
    const out = alloc(size(input.shape));
    addon.maxPoolGrad(geom, f32(args.backend, dy), f32(args.backend, input), out);
    return args.backend.makeTensorInfo([...input.shape], 'float32', out);
  };
  kernels['DepthwiseConv2dNative'] = (args) => {
    const { x, filter } = args.inputs;
    if (!addon.depthwiseConv || !x || !filter || x.dtype !== 'float32' || filter.dtype !== 'float32') return fallback('DepthwiseConv2dNative', args);
    const attrs = args.attrs ?? {};
    if (attrs['dataFormat'] !== undefined && attrs['dataFormat'] !== 'NHWC') return fallback('DepthwiseConv2dNative', args);
    // tfjs's own checks (shapes, pads, strides with dilations) and error messages come from its kernel.
    if (x.shape.length !== 4 || filter.shape.length !== 4 || filter.shape[3] !== 1 || filter.shape[2] !== x.shape[3]) return fallback('DepthwiseConv2dNative', args);
    const dilations = (attrs['dilations'] ?? 1) as number | [number, number];
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      attrs['strides'] as number | [number, number], dilations, attrs['pad'] as 'same',
      attrs['dimRoundingMode'] as 'floor' | undefined, true);
    if (info.outHeight <= 0 || info.outWidth <= 0 || size(info.outShape) < MIN_NATIVE) return fallback('DepthwiseConv2dNative', args);
    const geom = Int32Array.from([info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.filterHeight, info.filterWidth,
      info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth]);
    const out = alloc(size(info.outShape));
    addon.depthwiseConv(geom, f32(args.backend, x), f32(args.backend, filter), out);
    return args.backend.makeTensorInfo([...info.outShape], 'float32', out);
  };
  // Constant-filled outputs from the pool: tfjs's kernels allocate a fresh array each time (page
  // faults and zeroing of a new ArrayBuffer per call; zerosLike is what second-order gradients of
  // piecewise-linear ops return).
  const filled = (args: KernelArgs, name: string, shape: readonly number[], dtype: tf.DataType, value: number): tf.TensorInfo | tf.TensorInfo[] => {
    if (dtype !== 'float32' || size(shape) < MIN_NATIVE) return fallback(name, args);
    const out = alloc(size(shape));
    out.fill(value);
    return args.backend.makeTensorInfo([...shape], 'float32', out);
  };
  kernels['ZerosLike'] = (args) => {
    const { x } = args.inputs;
    return x ? filled(args, 'ZerosLike', x.shape, x.dtype, 0) : fallback('ZerosLike', args);
  };
  kernels['OnesLike'] = (args) => {
    const { x } = args.inputs;
    return x ? filled(args, 'OnesLike', x.shape, x.dtype, 1) : fallback('OnesLike', args);
  };
  kernels['Fill'] = (args) => {
    const shape = args.attrs?.['shape'] as number[] | undefined;
    const value = args.attrs?.['value'];
    const dtype = (args.attrs?.['dtype'] as tf.DataType | undefined) ?? 'float32';
    return shape && typeof value === 'number' ? filled(args, 'Fill', shape, dtype, value) : fallback('Fill', args);
  };
  kernels['Tile'] = (args) => {
    const { x } = args.inputs;
    const reps = args.attrs?.['reps'] as number[] | undefined;
    if (!x || x.dtype !== 'float32' || !reps || reps.length !== x.shape.length || x.shape.length === 0) return fallback('Tile', args);
    const outShape = x.shape.map((n, i) => n * reps[i]!);
    const row = x.shape[x.shape.length - 1]!;
    // Row copies: worth it when rows are long enough for TypedArray.set to beat the index loop.
    if (size(outShape) < MIN_NATIVE || row < 16) return fallback('Tile', args);
    const src = f32(args.backend, x);
    const out = alloc(size(outShape));
    tileInto(src, x.shape, reps, out);
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };
  kernels['GatherV2'] = (args) => {
    const { x, indices } = args.inputs;
    const batchDims = (args.attrs?.['batchDims'] as number | undefined) ?? 0;
    if (!x || !indices || x.dtype !== 'float32' || indices.dtype !== 'int32' || batchDims !== 0) return fallback('GatherV2', args);
    const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, x.shape)[0]!;
    const outer = size(x.shape.slice(0, axis)), inner = size(x.shape.slice(axis + 1)), n = x.shape[axis]!;
    const idx = args.backend.data.get(indices.dataId).values as Int32Array;
    // Whole rows only: short rows are what the generic kernel handles as well.
    if (inner < 16 || outer * idx.length * inner < MIN_NATIVE) return fallback('GatherV2', args);
    for (const i of idx) if (!(i >= 0 && i < n)) return fallback('GatherV2', args); // its error message for bad indices
    const src = f32(args.backend, x);
    const out = alloc(outer * idx.length * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < idx.length; j++) {
        const s = (o * n + idx[j]!) * inner;
        out.set(src.subarray(s, s + inner), (o * idx.length + j) * inner);
      }
    }
    const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };
  kernels['Reverse'] = (args) => {
    const { x } = args.inputs;
    if (!x || x.dtype !== 'float32' || size(x.shape) < MIN_NATIVE) return fallback('Reverse', args);
    const axes = tf.util.parseAxisParam(args.attrs?.['dims'] as number | number[], x.shape);
    if (axes.length === 0) return fallback('Reverse', args);
    const out = alloc(size(x.shape));
    reverseInto(f32(args.backend, x), x.shape, axes, out);
    return args.backend.makeTensorInfo([...x.shape], 'float32', out);
  };
  return kernels;
};

/**
 * `tf.reverse` of a row-major `src` along `axes` into `out`: the dims after the last reversed
 * one stay contiguous, so each of those blocks is one copy (tfjs's kernel maps every element's
 * index through a buffer: ~1 µs per element).
 */
export const reverseInto = (src: Float32Array, shape: readonly number[], axes: readonly number[], out: Float32Array): void => {
  const r = shape.length;
  const rev = new Array<boolean>(r).fill(false);
  for (const a of axes) rev[a] = true;
  const last = rev.lastIndexOf(true);
  if (last < 0) {
    out.set(src.subarray(0, out.length));
    return;
  }
  const stride = [...tf.util.computeStrides(shape as number[]), 1];
  const inner = stride[last]!;
  const walk = (d: number, s: number, o: number): void => {
    const n = shape[d]!, st = stride[d]!;
    for (let j = 0; j < n; j++) {
      const sj = s + (rev[d] ? n - 1 - j : j) * st, oj = o + j * st;
      if (d < last) walk(d + 1, sj, oj);
      else if (inner >= 32) out.set(src.subarray(sj, sj + inner), oj);
      else for (let k = 0; k < inner; k++) out[oj + k] = src[sj + k]!;
    }
  };
  walk(0, 0, 0);
};

/**
 * `tf.tile` of a row-major `src` into `out`: each input row is copied once, then every tiled
 * block is replicated with `copyWithin`, innermost dimension first.
 */
export const tileInto = (src: Float32Array, shape: readonly number[], reps: readonly number[], out: Float32Array): void => {
  const r = shape.length;
  const srcStride = [...tf.util.computeStrides(shape as number[]), 1];
  const outStride = [...tf.util.computeStrides(shape.map((n, i) => n * reps[i]!)), 1];
  const fill = (d: number, s: number, o: number): void => {
    const n = shape[d]!;
    if (d === r - 1) out.set(src.subarray(s, s + n), o);
    else for (let j = 0; j < n; j++) fill(d + 1, s + j * srcStride[d]!, o + j * outStride[d]!);
    // The block just written is n * outStride[d] long; repeat it reps[d] - 1 times after itself.
    const block = n * outStride[d]!;
    for (let k = 1; k < reps[d]!; k++) out.copyWithin(o + k * block, o, o + block);
  };
  fill(0, 0, 0);
};
