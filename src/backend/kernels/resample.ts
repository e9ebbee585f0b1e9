/**
 * Gradient kernels of average pooling and resizing, written as the exact adjoints of
 * the forward kernels. tfjs 4.22's own are wrong in places (measured on cpu and wasm):
 *
 * - `AvgPoolGrad` divides by the full window size, while `avgPool` with `'same'` padding
 *   divides by the number of pixels inside the image (relative error ~0.3–0.4);
 * - `ResizeBilinearGrad` ignores `halfPixelCenters` (both backends) and, on cpu, returns
 *   the wrong shape for non-square images;
 * - `ResizeNearestNeighborGrad` is wrong with `halfPixelCenters` at non-integer scales;
 * - wasm's `MaxPoolGrad` and `MaxPoolWithArgmax` are wrong with `'same'` padding and stride 2
 *   (relative error ~0.4 / ~0.16).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { input, make, pair, readF32, type KernelArgs, type KernelFactory } from './util.ts';

const poolGeometry = (kernel: string, args: KernelArgs, x: tf.TensorInfo): tf.backend_util.Conv2DInfo => {
  const a = args.attrs ?? {};
  if (x.shape.length !== 4) throw new Error(`${kernel}: expected a rank-4 NHWC input, got shape [${x.shape}]`);
  return tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number], pair(a['filterSize']), pair(a['strides']), 1, a['pad'] as 'same', a['dimRoundingMode'] as 'floor' | undefined,
  );
};

/** `AvgPoolGrad` (inputs `dy`, `input`; attrs `filterSize`, `strides`, `pad`, `dimRoundingMode`). */
export const avgPoolGradLoop: KernelFactory = () => (args: KernelArgs) => {
  const name = 'AvgPoolGrad';
  const dy = input(name, args, 'dy'), x = input(name, args, 'input');
  const g = poolGeometry(name, args, x);
  const dyv = readF32(args.backend, dy);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = g;
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++) {
      const r0 = Math.max(0, i * g.strideHeight - g.padInfo.top), r1 = Math.min(h, i * g.strideHeight - g.padInfo.top + g.filterHeight);
      for (let j = 0; j < ow; j++) {
        const c0 = Math.max(0, j * g.strideWidth - g.padInfo.left), c1 = Math.min(w, j * g.strideWidth - g.padInfo.left + g.filterWidth);
        const count = (r1 - r0) * (c1 - c0);
        if (count <= 0) continue;
        const src = ((b * oh + i) * ow + j) * c;
        for (let r = r0; r < r1; r++)
          for (let q = c0; q < c1; q++) {
            const dst = ((b * h + r) * w + q) * c;
            for (let k = 0; k < c; k++) dx[dst + k] += dyv[src + k]! / count;
          }
      }
    }
  return make(args.backend, [...x.shape], 'float32', dx);
};

/** For every output element of a max pool, the flat index (batch included) of its window's first maximum; -1 for an empty window. */
const maxPoolArgmax = (xv: Float32Array, g: tf.backend_util.Conv2DInfo): Int32Array => {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = g;
  const out = new Int32Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++) {
      const r0 = Math.max(0, i * g.strideHeight - g.padInfo.top), r1 = Math.min(h, i * g.strideHeight - g.padInfo.top + g.filterHeight);
      for (let j = 0; j < ow; j++) {
        const c0 = Math.max(0, j * g.strideWidth - g.padInfo.left), c1 = Math.min(w, j * g.strideWidth - g.padInfo.left + g.filterWidth);
        const dst = ((b * oh + i) * ow + j) * c;
        for (let k = 0; k < c; k++) {
          let best = -Infinity, at = -1;
          for (let r = r0; r < r1; r++)
            for (let q = c0; q < c1; q++) {
              const o = ((b * h + r) * w + q) * c + k;
              if (xv[o]! > best || at < 0) { best = xv[o]!; at = o; }
            }
          out[dst + k] = at;
        }
      }
    }
  return out;
};

/**
 * `MaxPoolGrad` (inputs `dy`, `input`, `output`; attrs `filterSize`, `strides`, `pad`,
 * `dimRoundingMode`): each `dy` goes to the first maximum of its window.
 */
export const maxPoolGradLoop: KernelFactory = () => (args: KernelArgs) => {
  const name = 'MaxPoolGrad';
  const dy = input(name, args, 'dy'), x = input(name, args, 'input');
  const arg = maxPoolArgmax(readF32(args.backend, x), poolGeometry(name, args, x));
  const dyv = readF32(args.backend, dy);
  const dx = new Float32Array(x.shape.reduce((p, q) => p * q, 1));
  for (let i = 0; i < arg.length; i++) if (arg[i]! >= 0) dx[arg[i]!] += dyv[i]!;
  return make(args.backend, [...x.shape], 'float32', dx);
};

/**
 * `MaxPoolWithArgmax` (input `x`; attrs as `MaxPool` plus `includeBatchInIndex`): the max and
 * the flat index of the first maximum (wasm's own gets `'same'` windows wrong).
 */
export const maxPoolWithArgmaxLoop: KernelFactory = () => (args: KernelArgs) => {
  const name = 'MaxPoolWithArgmax';
  const x = input(name, args, 'x');
  const g = poolGeometry(name, args, x);
  const xv = readF32(args.backend, x);
  const arg = maxPoolArgmax(xv, g);
  const per = g.inHeight * g.inWidth * g.inChannels;
  const keepBatch = Boolean(args.attrs?.['includeBatchInIndex']);
  const y = new Float32Array(arg.length), idx = new Int32Array(arg.length);
  for (let i = 0; i < arg.length; i++) {
    y[i] = arg[i]! >= 0 ? xv[arg[i]!]! : -Infinity;
    idx[i] = keepBatch ? arg[i]! : arg[i]! % per;
  }
  return [make(args.backend, [...g.outShape], 'float32', y), make(args.backend, [...g.outShape], 'int32', idx)];
};

/** Per output index along one axis: the two source indices and the weight of the second (as tfjs's forward kernel computes them). */
/**
 * Sampling table of one axis of a bilinear resize, as tfjs's kernels compute it: for each
 * output position the lower and upper source index and the weight of the upper one.
 * Shared with the native kernels so both sample the same positions.
 *
 * @example
 * ```ts
 * bilinearAxis(4, 8, true, false); // lo [0,0,0,1,…], hi [0,1,1,2,…], frac [0,0.43,0.86,0.29,…]
 * ```
 */
export const bilinearAxis = (inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): { lo: Int32Array; hi: Int32Array; frac: Float64Array } => {
  const ratio = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), frac = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    lo[o] = Math.max(0, Math.floor(src));
    hi[o] = Math.min(inSize - 1, Math.ceil(src));
    frac[o] = src - lo[o]!;
  }
  return { lo, hi, frac };
};

/**
 * Source index of each output position of a nearest-neighbour resize along one axis, as
 * tfjs's kernels compute it.
 *
 * @example
 * ```ts
 * nearestAxis(2, 4, false, false); // [0, 0, 1, 1]
 * ```
 */
export const nearestAxis = (inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array => {
  const ratio = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const idx = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    let k = Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src));
    if (halfPixelCenters) k = Math.max(0, k);
    idx[o] = k;
  }
  return idx;
};

/**
 * The `alignCorners` and `halfPixelCenters` attributes of a resize kernel call.
 *
 * @example
 * ```ts
 * const [alignCorners, halfPixelCenters] = resizeFlags(args);
 * ```
 */
export const resizeFlags = (args: KernelArgs): [boolean, boolean] => [Boolean(args.attrs?.['alignCorners']), Boolean(args.attrs?.['halfPixelCenters'])];

/** `ResizeBilinearGrad` (inputs `dy` `[N,NH,NW,C]`, `images` `[N,H,W,C]`). */
export const resizeBilinearGradLoop: KernelFactory = () => (args: KernelArgs) => {
  const name = 'ResizeBilinearGrad';
  const dy = input(name, args, 'dy'), images = input(name, args, 'images');
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const [, nh, nw] = dy.shape as [number, number, number, number];
  const [ac, hp] = resizeFlags(args);
  const rows = bilinearAxis(h, nh, ac, hp), cols = bilinearAxis(w, nw, ac, hp);
  const dyv = readF32(args.backend, dy);
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < nh; r++) {
      const rf = rows.frac[r]!, top = (b * h + rows.lo[r]!) * w, bot = (b * h + rows.hi[r]!) * w;
      for (let q = 0; q < nw; q++) {
        const cf = cols.frac[q]!, left = cols.lo[q]!, right = cols.hi[q]!;
        const wtl = (1 - rf) * (1 - cf), wtr = (1 - rf) * cf, wbl = rf * (1 - cf), wbr = rf * cf;
        const src = ((b * nh + r) * nw + q) * c;
        const tl = (top + left) * c, tr = (top + right) * c, bl = (bot + left) * c, br = (bot + right) * c;
        for (let k = 0; k < c; k++) {
          const gv = dyv[src + k]!;
          dx[tl + k] += gv * wtl;
          dx[tr + k] += gv * wtr;
          dx[bl + k] += gv * wbl;
          dx[br + k] += gv * wbr;
        }
      }
    }
  return make(args.backend, [n, h, w, c], 'float32', dx);
};

/** `ResizeNearestNeighborGrad` (inputs `dy` `[N,NH,NW,C]`, `images` `[N,H,W,C]`). */
export const resizeNearestGradLoop: KernelFactory = () => (args: KernelArgs) => {
  const name = 'ResizeNearestNeighborGrad';
  const dy = input(name, args, 'dy'), images = input(name, args, 'images');
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const [, nh, nw] = dy.shape as [number, number, number, number];
  const [ac, hp] = resizeFlags(args);
  const rows = nearestAxis(h, nh, ac, hp), cols = nearestAxis(w, nw, ac, hp);
  const dyv = readF32(args.backend, dy);
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < nh; r++)
      for (let q = 0; q < nw; q++) {
        const src = ((b * nh + r) * nw + q) * c, dst = ((b * h + rows[r]!) * w + cols[q]!) * c;
        for (let k = 0; k < c; k++) dx[dst + k] += dyv[src + k]!;
      }
  return make(args.backend, [n, h, w, c], 'float32', dx);
};
