/**
 * tfjs kernels for the `cpu` backend that call the native addon. Each falls back to the
 * kernel it replaced for the cases it does not handle (NCHW, non-float32, odd broadcasts).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_UPDATE, AFFINE_GRID_PLAN, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, LEAKY_RELU_GRAD, SAMPLE_ROWS, SUM_SQUARES } from '../../core/fused-ops.ts';
import { bilinearAxis, nearestAxis } from '../kernels/resample.ts';
import type { NativeAddon } from './addon.ts';
import { makeElementwiseKernels } from './elementwise.ts';

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;
/** The parts of tfjs's `MathBackendCPU` the kernels use. */
export interface CpuBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array | Uint8Array): TensorInfo;
  disposeIntermediateTensorInfo(t: TensorInfo): void;
}
/** What tfjs passes a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: CpuBackend;
  attrs?: Attrs;
}
/** A kernel function. */
export type Kernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

const f32 = (backend: CpuBackend, t: TensorInfo): Float32Array => {
  const v = backend.data.get(t.dataId).values;
  if (v instanceof Float32Array) return v;
  return Float32Array.from(v as ArrayLike<number>);
};
const isF32 = (...ts: (TensorInfo | undefined)[]): boolean => ts.every((t) => t === undefined || t.dtype === 'float32');
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

type ConvInfo = tf.backend_util.Conv2DInfo;
const geom = (c: ConvInfo): Int32Array =>
  Int32Array.from([
    c.batchSize, c.inHeight, c.inWidth, c.inChannels,
    c.filterHeight, c.filterWidth, c.outChannels,
    c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth,
    c.padInfo.top, c.padInfo.left, c.outHeight, c.outWidth,
  ]);

const ACT: Record<string, number> = { linear: 0, relu: 1, leakyrelu: 2, relu6: 3, sigmoid: 4 };

/** Kernel name → replacement, given the addon and the kernels being replaced. */
export const makeKernels = (
  addon: NativeAddon,
  original: (name: string) => Kernel | undefined,
  alloc: (n: number) => Float32Array = (n) => new Float32Array(n),
): Record<string, Kernel> => {
  const fallback = (name: string, args: KernelArgs): TensorInfo | TensorInfo[] => {
    const k = original(name);
    if (!k) throw new Error(`native ${name}: case not supported and no fallback kernel registered`);
    return k(args);
  };
  const nhwc = (attrs: Attrs | undefined): boolean => (attrs?.['dataFormat'] ?? 'NHWC') === 'NHWC';

  const conv2dInfo = (xShape: number[], fShape: number[], attrs: Attrs): ConvInfo =>
    tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      fShape as [number, number, number, number],
      attrs['strides'] as [number, number] | number,
      (attrs['dilations'] as [number, number] | number | undefined) ?? 1,
      attrs['pad'] as 'valid' | 'same' | number,
      attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
      false,
      'channelsLast',
    );

  const conv2d = (backend: CpuBackend, x: TensorInfo, filter: TensorInfo, attrs: Attrs): TensorInfo => {
    const info = conv2dInfo(x.shape, filter.shape, attrs);
    const out = alloc(size(info.outShape));
    addon.conv2d(geom(info), f32(backend, x), f32(backend, filter), out);
    return backend.makeTensorInfo(info.outShape, 'float32', out);
  };

  // Bias + activation on a fresh NHWC / [.., N] result in place, or via the registered kernels.
  const epilogue = (backend: CpuBackend, y: TensorInfo, bias: TensorInfo | undefined, activation: string | undefined,
    prelu: TensorInfo | undefined, alpha: number | undefined): TensorInfo => {
    const channels = y.shape[y.shape.length - 1] ?? 1;
    const act = activation ?? 'linear';
    const simpleBias = bias === undefined || (bias.shape.length <= 1 && size(bias.shape) === channels);
    const values = f32(backend, y);
    let result = y;
    if (simpleBias && ACT[act] !== undefined) {
      addon.biasActivation(values, values.length / channels, channels, bias ? f32(backend, bias) : null, ACT[act] ?? 0, alpha ?? 0.2);
      return y;
    }
    const run = (name: string, inputs: Record<string, TensorInfo | undefined>, attrs: Attrs = {}): void => {
      const k = tf.getKernel(name, 'cpu')?.kernelFunc as unknown as Kernel | undefined;
      if (!k) throw new Error(`native epilogue: no cpu kernel ${name}`);
      const next = k({ inputs, backend, attrs }) as TensorInfo;
      backend.disposeIntermediateTensorInfo(result);
      result = next;
    };
    if (bias) run('Add', { a: result, b: bias });
    if (act === 'relu') run('Relu', { x: result });
    else if (act === 'elu') run('Elu', { x: result });
    else if (act === 'relu6') run('Relu6', { x: result });
    else if (act === 'sigmoid') run('Sigmoid', { x: result });
    else if (act === 'leakyrelu') run('LeakyRelu', { x: result }, { alpha: alpha ?? 0.2 });
    else if (act === 'prelu') run('Prelu', { x: result, alpha: prelu });
    else if (act !== 'linear') throw new Error(`native epilogue: activation ${act} not supported`);
    return result;
  };

  const matmul = (backend: CpuBackend, a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): TensorInfo | undefined => {
    const ra = a.shape.length, rb = b.shape.length;
    const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const kb = transB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (k !== kb) return undefined;
    const outerA = a.shape.slice(0, -2), outerB = b.shape.slice(0, -2);
    const batchA = size(outerA), batchB = size(outerB);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
    if (size(outer) !== Math.max(batchA, batchB)) return undefined;
    const batch = Math.max(batchA, batchB);
    const out = alloc(batch * m * n);
    const dims = Int32Array.from([batch, m, n, k, transA ? 1 : 0, transB ? 1 : 0, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n]);
    addon.batchMatMul(dims, f32(backend, a), f32(backend, b), out);
    return backend.makeTensorInfo([...outer, m, n], 'float32', out);
  };

  const channelsOf = (t: TensorInfo): number => t.shape[t.shape.length - 1] ?? 1;

  // Resizes: kind 0 bilinear, 1 bilinear gradient, 2 nearest, 3 nearest gradient.
  const NO_I32 = new Int32Array(1), NO_F64 = new Float64Array(1);
  const resize = (kind: number, backend: CpuBackend, src: TensorInfo, inShape: number[], outH: number, outW: number, attrs: Attrs | undefined): TensorInfo => {
    const [n, h, w, c] = inShape as [number, number, number, number];
    const ac = Boolean(attrs?.['alignCorners']), hp = Boolean(attrs?.['halfPixelCenters']);
    const dims = Int32Array.from([n, h, w, c, outH, outW]);
    const out = alloc(kind % 2 === 0 ? n * outH * outW * c : n * h * w * c);
    if (kind < 2) {
      const rows = bilinearAxis(h, outH, ac, hp), cols = bilinearAxis(w, outW, ac, hp);
      addon.resize(kind, dims, rows.lo, rows.hi, rows.frac, cols.lo, cols.hi, cols.frac, f32(backend, src), out);
    } else {
      addon.resize(kind, dims, nearestAxis(h, outH, ac, hp), NO_I32, NO_F64, nearestAxis(w, outW, ac, hp), NO_I32, NO_F64, f32(backend, src), out);
    }
    return backend.makeTensorInfo(kind % 2 === 0 ? [n, outH, outW, c] : [n, h, w, c], 'float32', out);
  };
  const resizeForward = (name: string, kind: number): Kernel => (args) => {
    const { images } = args.inputs;
    const target = args.attrs?.['size'] as [number, number] | undefined;
    if (!images || !isF32(images) || images.shape.length !== 4 || !target || target[0] < 1 || target[1] < 1 || size(images.shape) === 0) return fallback(name, args);
    return resize(kind, args.backend, images, images.shape, target[0], target[1], args.attrs);
  };
  const resizeGrad = (name: string, kind: number): Kernel => (args) => {
    const { images, dy } = args.inputs;
    if (!images || !dy || !isF32(dy) || images.shape.length !== 4 || dy.shape.length !== 4 || size(images.shape) === 0 || size(dy.shape) === 0) return fallback(name, args);
    return resize(kind, args.backend, dy, images.shape, dy.shape[1]!, dy.shape[2]!, args.attrs);
  };

  return {
    ...makeElementwiseKernels(addon, fallback, alloc),
    ResizeBilinear: resizeForward('ResizeBilinear', 0),
    ResizeBilinearGrad: resizeGrad('ResizeBilinearGrad', 1),
    ResizeNearestNeighbor: resizeForward('ResizeNearestNeighbor', 2),
    ResizeNearestNeighborGrad: resizeGrad('ResizeNearestNeighborGrad', 3),
    // The project's fused kernels (src/core/fused-ops.ts); callers only run them on float32.
    [BATCH_NORM_TRAIN]: ({ inputs: { x, gamma, beta }, backend, attrs }) => {
      if (!x || !gamma || !beta) throw new Error(`${BATCH_NORM_TRAIN}: x, gamma and beta are required`);
      const c = channelsOf(x);
      const y = alloc(size(x.shape)), mean = alloc(c), variance = alloc(c);
      addon.batchNormTrain(f32(backend, x), c, f32(backend, gamma), f32(backend, beta), Number(attrs?.['eps']), attrs?.['relu'] === true, y, mean, variance);
      return [backend.makeTensorInfo([...x.shape], 'float32', y), backend.makeTensorInfo([c], 'float32', mean), backend.makeTensorInfo([c], 'float32', variance)];
    },
    [BATCH_NORM_TRAIN_GRAD]: ({ inputs: { dy, x, y, gamma, mean, variance, dmean, dvariance }, backend, attrs }) => {
      if (!dy || !x || !y || !gamma || !mean || !variance) throw new Error(`${BATCH_NORM_TRAIN_GRAD}: dy, x, y, gamma, mean and variance are required`);
      const c = channelsOf(x);
      const dx = alloc(size(x.shape)), dgamma = alloc(c), dbeta = alloc(c);
      addon.batchNormTrainGrad(f32(backend, dy), f32(backend, x), attrs?.['relu'] === true ? f32(backend, y) : null, c, f32(backend, gamma),
        f32(backend, mean), f32(backend, variance), Number(attrs?.['eps']), dx, dgamma, dbeta,
        dmean ? f32(backend, dmean) : null, dvariance ? f32(backend, dvariance) : null);
      return [backend.makeTensorInfo([...x.shape], 'float32', dx), backend.makeTensorInfo([c], 'float32', dgamma), backend.makeTensorInfo([c], 'float32', dbeta)];
    },
    [LEAKY_RELU_GRAD]: ({ inputs: { dy, x }, backend, attrs }) => {
      if (!dy || !x) throw new Error(`${LEAKY_RELU_GRAD}: dy and x are required`);
      const dx = alloc(size(x.shape));
      addon.leakyReluGrad(f32(backend, dy), f32(backend, x), Number(attrs?.['alpha']), dx);
      return backend.makeTensorInfo([...x.shape], 'float32', dx);
    },
    // Registered only with addons that have them (hasFusedKernel then says false and callers fall back).
    ...(addon.affineGridPlan && addon.sampleRows
      ? {
          [AFFINE_GRID_PLAN]: ({ backend, attrs }: KernelArgs) => {
            const a = attrs ?? {};
            const [n, h, w, outH, outW] = ['n', 'h', 'w', 'outH', 'outW'].map((k) => Number(a[k]));
            const theta = a['theta'];
            if (!(theta instanceof Float64Array) || theta.length < n! * 6) throw new Error(`${AFFINE_GRID_PLAN}: theta must be a Float64Array of n × 6`);
            const rows = n! * outH! * outW!;
            const idx = new Int32Array(4 * rows), wt = new Float32Array(4 * rows);
            addon.affineGridPlan!(Int32Array.from([n!, h!, w!, outH!, outW!]), theta, idx, wt);
            return [
              backend.makeTensorInfo([4, rows], 'int32', idx as unknown as Float32Array),
              backend.makeTensorInfo([4, rows], 'float32', wt),
            ];
          },
          [SAMPLE_ROWS]: ({ inputs: { x }, backend, attrs }: KernelArgs) => {
            const a = attrs ?? {};
            const idx = a['idx'], wt = a['wt'];
            const outRows = Number(a['outRows']), inRows = Number(a['inRows']), adjoint = Boolean(a['adjoint']);
            if (!x || x.dtype !== 'float32' || x.shape.length !== 2 || !(idx instanceof Int32Array) || !(wt instanceof Float32Array)) {
              throw new Error(`${SAMPLE_ROWS}: a float32 [rows, C] x and Int32Array / Float32Array idx, wt are required`);
            }
            const c = x.shape[1]!;
            const out = alloc((adjoint ? inRows : outRows) * c);
            addon.sampleRows!(Int32Array.from([outRows, inRows, c, adjoint ? 1 : 0]), idx, wt, f32(backend, x), out);
            return backend.makeTensorInfo([adjoint ? inRows : outRows, c], 'float32', out);
          },
        }
      : {}),
    ...(addon.sumSquares
      ? {
          [SUM_SQUARES]: ({ inputs, backend }: KernelArgs) => {
            const xs = Object.values(inputs).filter((t): t is TensorInfo => t !== undefined);
            if (!isF32(...xs)) throw new Error(`${SUM_SQUARES}: inputs must be float32`);
            const parts = new Float64Array(xs.length);
            addon.sumSquares!(xs.map((t) => f32(backend, t)), parts);
            let s = 0;
            for (const p of parts) s += p;
            return backend.makeTensorInfo([], 'float32', Float32Array.of(s));
          },
        }
      : {}),
    [ADAM_UPDATE]: ({ inputs: { x, g, m, v }, backend, attrs }) => {
      if (!x || !g || !m || !v) throw new Error(`${ADAM_UPDATE}: x, g, m and v are required`);
      const a = attrs ?? {};
      const b1 = Number(a['beta1']), b2 = Number(a['beta2']);
      const scalars = Float32Array.from([Number(a['lr']), b1, 1 - b1, b2, 1 - b2, Number(a['eps']), Number(a['c1']), Number(a['c2'])]);
      const n = size(x.shape);
      const xo = alloc(n), mo = alloc(n), vo = alloc(n);
      addon.adam(f32(backend, x), f32(backend, g), f32(backend, m), f32(backend, v), scalars, xo, mo, vo);
      return [backend.makeTensorInfo([...x.shape], 'float32', xo), backend.makeTensorInfo([...m.shape], 'float32', mo), backend.makeTensorInfo([...v.shape], 'float32', vo)];
    },
    Conv2D: (args) => {
      const { x, filter } = args.inputs;
      const attrs = args.attrs ?? {};
      if (!x || !filter || !isF32(x, filter) || !nhwc(attrs)) return fallback('Conv2D', args);
      return conv2d(args.backend, x, filter, attrs);
    },
    FusedConv2D: (args) => {
      const { x, filter, bias, preluActivationWeights } = args.inputs;
      const attrs = args.attrs ?? {};
      if (!x || !filter || !isF32(x, filter, bias, preluActivationWeights) || !nhwc(attrs)) return fallback('FusedConv2D', args);
      const y = conv2d(args.backend, x, filter, attrs);
      return epilogue(args.backend, y, bias, attrs['activation'] as string | undefined, preluActivationWeights, attrs['leakyreluAlpha'] as number | undefined);
    },
    Conv2DBackpropInput: (args) => {
      const { dy, filter } = args.inputs;
      const attrs = args.attrs ?? {};
      if (!dy || !filter || !isF32(dy, filter) || !nhwc(attrs)) return fallback('Conv2DBackpropInput', args);
      const inputShape = attrs['inputShape'] as number[];
      const info = conv2dInfo(inputShape, filter.shape, { ...attrs, dilations: 1 });
      const out = alloc(size(inputShape));
      addon.conv2dBackpropInput(geom(info), f32(args.backend, dy), f32(args.backend, filter), out);
      return args.backend.makeTensorInfo([...inputShape], 'float32', out);
    },
    Conv2DBackpropFilter: (args) => {
      const { x, dy } = args.inputs;
      const attrs = args.attrs ?? {};
      if (!x || !dy || !isF32(x, dy) || !nhwc(attrs)) return fallback('Conv2DBackpropFilter', args);
      const filterShape = attrs['filterShape'] as number[];
      const info = conv2dInfo(x.shape, filterShape, { ...attrs, dilations: 1 });
      const out = alloc(size(filterShape));
      addon.conv2dBackpropFilter(geom(info), f32(args.backend, x), f32(args.backend, dy), out);
      return args.backend.makeTensorInfo([...filterShape], 'float32', out);
    },
    BatchMatMul: (args) => {
      const { a, b } = args.inputs;
      const attrs = args.attrs ?? {};
      if (!a || !b || !isF32(a, b)) return fallback('BatchMatMul', args);
      return matmul(args.backend, a, b, attrs['transposeA'] === true, attrs['transposeB'] === true) ?? fallback('BatchMatMul', args);
    },
    _FusedMatMul: (args) => {
      const { a, b, bias, preluActivationWeights } = args.inputs;
      const attrs = args.attrs ?? {};
      if (!a || !b || !isF32(a, b, bias, preluActivationWeights)) return fallback('_FusedMatMul', args);
      const y = matmul(args.backend, a, b, attrs['transposeA'] === true, attrs['transposeB'] === true);
      if (!y) return fallback('_FusedMatMul', args);
      return epilogue(args.backend, y, bias, attrs['activation'] as string | undefined, preluActivationWeights, attrs['leakyreluAlpha'] as number | undefined);
    },
  };
};
