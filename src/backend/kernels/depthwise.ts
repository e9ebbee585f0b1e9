/**
 * Depthwise-conv gradients and `UnsortedSegmentSum` as plain loops over the tensors'
 * values, for backends that have none (wasm). Depthwise convs are cheap (no sum over
 * channels), so loops in JS are fast enough.
 *
 * Forward: `y[n,i,j,c·M+m] = Σ_{kh,kw} x[n, i·sh+kh·dh−pt, j·sw+kw·dw−pl, c] · f[kh,kw,c,m]`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convPadded, depthToSpace } from './conv.ts';
import { dispose, input, make, readF32, run, sizeOf, type KernelArgs, type KernelFactory } from './util.ts';

const depthwiseGeometry = (xShape: number[], fShape: number[], attrs: Record<string, unknown>): tf.backend_util.Conv2DInfo =>
  tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    attrs['strides'] as [number, number],
    (attrs['dilations'] ?? 1) as [number, number],
    attrs['pad'] as 'same',
    attrs['dimRoundingMode'] as 'floor' | undefined,
    true,
    'channelsLast',
  );

/**
 * Visit every (output pixel, filter tap) pair whose input pixel is inside the image:
 * `visit(xOffset, dyOffset, filterOffset)` with offsets to channel 0.
 */
const forEachTap = (g: tf.backend_util.Conv2DInfo, visit: (xo: number, dyo: number, fo: number) => void): void => {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, outChannels, filterHeight, filterWidth } = g;
  const m = outChannels / c;
  for (let n = 0; n < batchSize; n++)
    for (let i = 0; i < outHeight; i++)
      for (let kh = 0; kh < filterHeight; kh++) {
        const p = i * g.strideHeight + kh * g.dilationHeight - g.padInfo.top;
        if (p < 0 || p >= inHeight) continue;
        for (let j = 0; j < outWidth; j++)
          for (let kw = 0; kw < filterWidth; kw++) {
            const q = j * g.strideWidth + kw * g.dilationWidth - g.padInfo.left;
            if (q < 0 || q >= inWidth) continue;
            visit(((n * inHeight + p) * inWidth + q) * c, ((n * outHeight + i) * outWidth + j) * c * m, (kh * filterWidth + kw) * c * m);
          }
      }
};

/** `DepthwiseConv2dNativeBackpropFilter` (inputs `x`, `dy`; attr `filterShape`). */
export const depthwiseBackpropFilterLoop: KernelFactory = () => (args: KernelArgs) => {
  const name = 'DepthwiseConv2dNativeBackpropFilter';
  const x = input(name, args, 'x'), dy = input(name, args, 'dy');
  const fShape = args.attrs!['filterShape'] as number[];
  const g = depthwiseGeometry(x.shape, fShape, args.attrs!);
  const xv = readF32(args.backend, x), dyv = readF32(args.backend, dy);
  const c = g.inChannels, m = g.outChannels / c;
  const dw = new Float32Array(sizeOf(fShape));
  if (m === 1) {
    forEachTap(g, (xo, dyo, fo) => {
      for (let ch = 0; ch < c; ch++) dw[fo + ch] += xv[xo + ch]! * dyv[dyo + ch]!;
    });
  } else {
    forEachTap(g, (xo, dyo, fo) => {
      for (let ch = 0; ch < c; ch++) {
        const xval = xv[xo + ch]!;
        for (let k = 0; k < m; k++) dw[fo + ch * m + k] += xval * dyv[dyo + ch * m + k]!;
      }
    });
  }
  return make(args.backend, fShape, 'float32', dw);
};

/** `DepthwiseConv2dNativeBackpropInput` (inputs `dy`, `filter`; attr `inputShape`). */
export const depthwiseBackpropInputLoop: KernelFactory = () => (args: KernelArgs) => {
  const name = 'DepthwiseConv2dNativeBackpropInput';
  const dy = input(name, args, 'dy'), filter = input(name, args, 'filter');
  const xShape = args.attrs!['inputShape'] as number[];
  const g = depthwiseGeometry(xShape, filter.shape, args.attrs!);
  const fv = readF32(args.backend, filter), dyv = readF32(args.backend, dy);
  const c = g.inChannels, m = g.outChannels / c;
  const dx = new Float32Array(sizeOf(xShape));
  if (m === 1) {
    forEachTap(g, (xo, dyo, fo) => {
      for (let ch = 0; ch < c; ch++) dx[xo + ch] += dyv[dyo + ch]! * fv[fo + ch]!;
    });
  } else {
    forEachTap(g, (xo, dyo, fo) => {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < m; k++) acc += dyv[dyo + ch * m + k]! * fv[fo + ch * m + k]!;
        dx[xo + ch] += acc;
      }
    });
  }
  return make(args.backend, xShape, 'float32', dx);
};

/**
 * `UnsortedSegmentSum` (inputs `x`, `segmentIds` int32 of shape `x.shape[0..r)`; attr `numSegments`):
 * `out[id[i], …] += x[i, …]`; ids outside `[0, numSegments)` are dropped, as in TensorFlow.
 */
export const unsortedSegmentSumLoop: KernelFactory = () => (args: KernelArgs) => {
  const name = 'UnsortedSegmentSum';
  const x = input(name, args, 'x'), ids = input(name, args, 'segmentIds');
  const num = args.attrs!['numSegments'] as number;
  const inner = sizeOf(x.shape.slice(ids.shape.length));
  const xv = x.dtype === 'float32' ? readF32(args.backend, x) : Int32Array.from(args.backend.readSync(x.dataId) as ArrayLike<number>);
  const idv = args.backend.readSync(ids.dataId) as ArrayLike<number>;
  const out = x.dtype === 'float32' ? new Float32Array(num * inner) : new Int32Array(num * inner);
  for (let i = 0; i < idv.length; i++) {
    const s = idv[i]!;
    if (s < 0 || s >= num) continue;
    const src = i * inner, dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += xv[src + k]!;
  }
  return make(args.backend, [num, ...x.shape.slice(ids.shape.length)], x.dtype === 'float32' ? 'float32' : 'int32', out);
};

/**
 * `DepthwiseConv2dNativeBackpropInput` for channel multiplier 1 and dilation 1 as one forward
 * depthwise conv (the backend's own, XNNPACK on wasm) of `dy` with the phase-split flipped
 * filter `[MH,MW,C,s·s]` (see `conv.ts`), then phases → depth-to-space → crop. Other cases:
 * {@link depthwiseBackpropInputLoop}.
 */
export const depthwiseBackpropInputByConv: KernelFactory = (bn, original) => {
  const loop = depthwiseBackpropInputLoop(bn, original);
  return (args: KernelArgs) => {
    const name = 'DepthwiseConv2dNativeBackpropInput';
    const dy = input(name, args, 'dy'), filter = input(name, args, 'filter');
    const xShape = args.attrs!['inputShape'] as number[];
    const g = depthwiseGeometry(xShape, filter.shape, args.attrs!);
    const s = g.strideHeight;
    if (g.outChannels !== g.inChannels || g.dilationHeight !== 1 || g.dilationWidth !== 1 || g.strideWidth !== s || filter.dtype !== 'float32') return loop(args);
    const { backend } = args;
    const [kh, kw, c] = filter.shape as [number, number, number, number];
    const mh = Math.ceil(kh / s), mw = Math.ceil(kw / s), ss = s * s;
    const f = readF32(backend, filter);
    const wv = new Float32Array(mh * mw * c * ss);
    for (let t1 = 0; t1 < mh; t1++)
      for (let r1 = 0; r1 < s; r1++) {
        const a = (mh - 1 - t1) * s + r1;
        if (a >= kh) continue;
        for (let t2 = 0; t2 < mw; t2++)
          for (let r2 = 0; r2 < s; r2++) {
            const b = (mw - 1 - t2) * s + r2;
            if (b >= kw) continue;
            for (let ch = 0; ch < c; ch++) wv[((t1 * mw + t2) * c + ch) * ss + r1 * s + r2] = f[(a * kw + b) * c + ch]!;
          }
      }
    const wp = make(backend, [mh, mw, c, ss], 'float32', wv);
    const pt = g.padInfo.top, pl = g.padInfo.left;
    const q0h = Math.floor(pt / s), q0w = Math.floor(pl / s);
    const qh = Math.ceil((g.inHeight + pt) / s), qw = Math.ceil((g.inWidth + pl) / s);
    const out = convPadded(bn, backend, dy, wp, [1, 1], [mh - 1 - q0h, qh - g.outHeight, mw - 1 - q0w, qw - g.outWidth], 'DepthwiseConv2dNative');
    dispose(backend, wp);
    if (s === 1) return out; // [N,H,W,C]
    // channels (c, r) → (r, c), then depth-to-space and crop
    const [n, h2, w2] = out.shape as [number, number, number, number];
    const r = run(bn, backend, 'Reshape', { x: out }, { shape: [n * h2 * w2, c, ss] });
    const t = run(bn, backend, 'Transpose', { x: r }, { perm: [0, 2, 1] });
    const rc = run(bn, backend, 'Reshape', { x: t }, { shape: [n, h2, w2, ss * c] });
    const d2s = depthToSpace(bn, backend, rc, s);
    dispose(backend, out, r, t, rc);
    const top = pt - q0h * s, left = pl - q0w * s;
    if (top === 0 && left === 0 && d2s.shape[1] === g.inHeight && d2s.shape[2] === g.inWidth) return d2s;
    const dx = run(bn, backend, 'Slice', { x: d2s }, { begin: [0, top, left, 0], size: [n, g.inHeight, g.inWidth, c] });
    dispose(backend, d2s);
    return dx;
  };
};
