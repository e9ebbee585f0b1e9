/**
 * Conv2D gradients written as *forward* convolutions, so a backend with a fast
 * `Conv2D` (wasm: XNNPACK) gets fast gradients:
 *
 * - filter gradient: `dW[kh,kw,ci,co] = Σ_{n,i,j} x[n, i·s+kh−pt, j·s+kw−pl, ci] · dy[n,i,j,co]`
 *   is a stride-1 conv of `x` transposed to `[Ci,H,W,N]` with `dy` transposed to
 *   `[OH,OW,N,Co]` as filter and dilation = stride; output `[Ci,KH,KW,Co]`.
 * - input gradient: with `s` the stride and `M = ⌈K/s⌉`, `dx[q·s+r−pt] = Σ_m dy[q−m] · w[m·s+r]`,
 *   one stride-1 conv of `dy` with a filter `[MH,MW,Co,s·s·Ci]` holding the `s×s` phases
 *   of the flipped filter, then depth-to-space by `s` and a crop. For `s = 1` that is the
 *   plain flipped, in/out-transposed filter.
 *
 * NHWC only, dilation 1 (what tfjs's own Conv2D gradient supports); other cases go to
 * the kernel that was registered before.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { dispose, input, make, readF32, run, type Kernel, type KernelArgs, type KernelBackendLike, type KernelFactory } from './util.ts';

type TensorInfo = tf.TensorInfo;

/** Conv geometry of a Conv2D with `x`/`filter` shapes and the attributes of its gradient kernels. */
export const convGeometry = (xShape: number[], filterShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo =>
  tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs['strides'] as [number, number],
    1,
    attrs['pad'] as 'same',
    attrs['dimRoundingMode'] as 'floor' | undefined,
    false,
    'channelsLast',
  );

/**
 * Stride-1 NHWC `Conv2D` (or `DepthwiseConv2dNative`) with per-side padding
 * `[top, bottom, left, right]`; a negative pad crops the input on that side.
 */
export const convPadded = (
  bn: string, backend: KernelBackendLike, x: TensorInfo, filter: TensorInfo, dilations: [number, number], pads: [number, number, number, number],
  kernel: 'Conv2D' | 'DepthwiseConv2dNative' = 'Conv2D',
): TensorInfo => {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const crop = pads.map((p) => Math.max(0, -p)) as [number, number, number, number];
  let src = x;
  if (crop.some((v) => v > 0)) {
    src = run(bn, backend, 'Slice', { x }, { begin: [0, crop[0], crop[2], 0], size: [n, h - crop[0] - crop[1], w - crop[2] - crop[3], c] });
  }
  const [t, b, l, r] = pads.map((p) => Math.max(0, p)) as [number, number, number, number];
  const out = run(bn, backend, kernel, { x: src, filter }, {
    strides: [1, 1], pad: [[0, 0], [t, b], [l, r], [0, 0]], dataFormat: 'NHWC', dilations, dimRoundingMode: undefined,
  });
  if (src !== x) dispose(backend, src);
  return out;
};

const isNhwc = (args: KernelArgs): boolean => (args.attrs?.['dataFormat'] ?? 'NHWC') === 'NHWC';

const fallback = (name: string, original: Kernel | undefined, args: KernelArgs, why: string): TensorInfo | TensorInfo[] => {
  if (!original) throw new Error(`${name}: ${why} is not supported on this backend`);
  return original(args);
};

/** `Conv2DBackpropFilter` as a forward conv of transposed tensors (inputs `x`, `dy`; attr `filterShape`). */
export const conv2dBackpropFilterByConv: KernelFactory = (bn, original) => (args) => {
  const name = 'Conv2DBackpropFilter';
  if (!isNhwc(args)) return fallback(name, original, args, 'NCHW');
  const x = input(name, args, 'x'), dy = input(name, args, 'dy');
  const { backend } = args;
  const fShape = args.attrs!['filterShape'] as number[];
  const g = convGeometry(x.shape, fShape, args.attrs!);
  const pb = g.filterHeight + (g.outHeight - 1) * g.strideHeight - g.inHeight - g.padInfo.top;
  const pr = g.filterWidth + (g.outWidth - 1) * g.strideWidth - g.inWidth - g.padInfo.left;
  const xT = run(bn, backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] }); // [Ci,H,W,N]
  const dyT = run(bn, backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [OH,OW,N,Co]
  const out = convPadded(bn, backend, xT, dyT, [g.strideHeight, g.strideWidth], [g.padInfo.top, pb, g.padInfo.left, pr]); // [Ci,KH,KW,Co]
  const dw = run(bn, backend, 'Transpose', { x: out }, { perm: [1, 2, 0, 3] });
  dispose(backend, xT, dyT, out);
  return dw;
};

/**
 * The phase-split flipped filter: `w` `[KH,KW,Ci,Co]` → `[MH,MW,Co,s·s·Ci]` with
 * `w'[t1,t2,co,(r1·s+r2)·Ci+ci] = w[(MH−1−t1)·s+r1, (MW−1−t2)·s+r2, ci, co]` (0 outside).
 */
export const phaseFilter = (w: Float32Array, kh: number, kw: number, ci: number, co: number, s: number): { values: Float32Array; shape: [number, number, number, number] } => {
  const mh = Math.ceil(kh / s), mw = Math.ceil(kw / s), oc = s * s * ci;
  const out = new Float32Array(mh * mw * co * oc);
  for (let t1 = 0; t1 < mh; t1++)
    for (let r1 = 0; r1 < s; r1++) {
      const a = (mh - 1 - t1) * s + r1;
      if (a >= kh) continue;
      for (let t2 = 0; t2 < mw; t2++)
        for (let r2 = 0; r2 < s; r2++) {
          const b = (mw - 1 - t2) * s + r2;
          if (b >= kw) continue;
          const src = (a * kw + b) * ci * co, ch = (r1 * s + r2) * ci, dst = (t1 * mw + t2) * co * oc;
          for (let i = 0; i < ci; i++)
            for (let o = 0; o < co; o++) out[dst + o * oc + ch + i] = w[src + i * co + o]!;
        }
    }
  return { values: out, shape: [mh, mw, co, oc] };
};

/**
 * `Conv2DBackpropInput` (also the forward pass of `conv2dTranspose`) as one forward conv
 * with the phase-split flipped filter, then `DepthToSpace` for strides > 1.
 * Inputs `dy`, `filter`; attr `inputShape`.
 */
export const conv2dBackpropInputByConv: KernelFactory = (bn, original) => (args) => {
  const name = 'Conv2DBackpropInput';
  if (!isNhwc(args)) return fallback(name, original, args, 'NCHW');
  const dy = input(name, args, 'dy'), filter = input(name, args, 'filter');
  const { backend } = args;
  const xShape = args.attrs!['inputShape'] as number[];
  const g = convGeometry(xShape, filter.shape, args.attrs!);
  const s = g.strideHeight;
  if (g.strideWidth !== s || filter.dtype !== 'float32') return fallback(name, original, args, 'unequal strides');
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const pf = phaseFilter(readF32(backend, filter), kh, kw, ci, co, s);
  const wp = make(backend, pf.shape, 'float32', pf.values);
  const [mh, mw] = pf.shape;
  const pt = g.padInfo.top, pl = g.padInfo.left;
  const q0h = Math.floor(pt / s), q0w = Math.floor(pl / s);
  const qh = Math.ceil((g.inHeight + pt) / s), qw = Math.ceil((g.inWidth + pl) / s);
  const out = convPadded(bn, backend, dy, wp, [1, 1], [mh - 1 - q0h, qh - g.outHeight, mw - 1 - q0w, qw - g.outWidth]);
  dispose(backend, wp);
  if (s === 1) return out; // [N,H,W,Ci] exactly
  const d2s = depthToSpace(bn, backend, out, s);
  dispose(backend, out);
  const top = pt - q0h * s, left = pl - q0w * s;
  if (top === 0 && left === 0 && d2s.shape[1] === g.inHeight && d2s.shape[2] === g.inWidth) return d2s;
  const dx = run(bn, backend, 'Slice', { x: d2s }, { begin: [0, top, left, 0], size: [g.batchSize, g.inHeight, g.inWidth, ci] });
  dispose(backend, d2s);
  return dx;
};

/**
 * NHWC depth-to-space (channel `(r1·s+r2)·C+c`) as reshape → 4-D transpose → reshape (wasm's own `DepthToSpace` is a
 * scalar loop, ~10× slower than its `Transpose`):
 * `[N,Q,W,(r1·s+r2)·C+c] → [N·Q, W, s, s·C] → [N·Q, s, W, s·C] → [N, Q·s, W·s, C]`.
 */
export const depthToSpace = (bn: string, backend: KernelBackendLike, x: TensorInfo, s: number): TensorInfo => {
  const [n, q, w, cc] = x.shape as [number, number, number, number];
  const c = cc / (s * s);
  const r = run(bn, backend, 'Reshape', { x }, { shape: [n * q, w, s, s * c] });
  const t = run(bn, backend, 'Transpose', { x: r }, { perm: [0, 2, 1, 3] });
  const out = run(bn, backend, 'Reshape', { x: t }, { shape: [n, q * s, w * s, c] });
  dispose(backend, r, t);
  return out;
};
