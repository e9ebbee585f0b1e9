/**
 * Conv2D for the pure-JS `cpu` backend as blocked GEMMs over an implicit im2col matrix
 * `col[p, (kh,kw,ci)]` (p = output pixel), packed per block of pixels and reduced by a
 * 4×4 register tile:
 *
 * - forward: `y[p, co] = Σ_r col[p, r] · w[r, co]` (built-in ~0.4–1 GFLOP/s, this ~2–3.5
 *   on one core of the 2-core dev machine, batch 8, 64×64, 64→64, 3×3);
 * - filter gradient: `dW[r, co] = Σ_p col[p, r] · dy[p, co]` (built-in ~0.01 GFLOP/s, this
 *   ~2.5–4.7; the same filter gradient as a forward conv of transposed tensors through the
 *   forward kernel measured ~2, so the direct GEMM is kept).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { convGeometry } from './conv.ts';
import { input, make, pair, readF32, type KernelFactory } from './util.ts';

const PB = 64; // pixels per block of the filter gradient: the two packed blocks stay in L1/L2

/**
 * The filter gradient `[KH,KW,Ci,Co]` of an NHWC conv (dilation 1) from `x` `[N,H,W,Ci]`
 * and `dy` `[N,OH,OW,Co]`.
 *
 * @example
 * ```ts
 * const dw = conv2dFilterGradGemm(xValues, dyValues, convInfo); // Float32Array, KH*KW*Ci*Co
 * ```
 */
export const conv2dFilterGradGemm = (x: Float32Array, dy: Float32Array, g: tf.backend_util.Conv2DInfo): Float32Array => {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co, filterHeight: kh, filterWidth: kw } = g;
  const sh = g.strideHeight, sw = g.strideWidth, pt = g.padInfo.top, pl = g.padInfo.left;
  const total = n * oh * ow;
  const acc = new Float64Array(kh * kw * ci * co);
  const dyT = new Float32Array(co * PB), xT = new Float32Array(ci * PB);
  const rowBase = new Int32Array(PB), r0 = new Int32Array(PB), c0 = new Int32Array(PB);
  const ci4 = ci - (ci % 4), co4 = co - (co % 4);
  for (let p0 = 0; p0 < total; p0 += PB) {
    const pb = Math.min(PB, total - p0);
    for (let pp = 0; pp < pb; pp++) {
      const p = p0 + pp, b = Math.floor(p / (oh * ow)), rem = p - b * oh * ow, i = Math.floor(rem / ow), j = rem - i * ow;
      rowBase[pp] = b * h;
      r0[pp] = i * sh - pt;
      c0[pp] = j * sw - pl;
      const src = p * co;
      for (let o = 0; o < co; o++) dyT[o * PB + pp] = dy[src + o]!;
    }
    for (let a = 0; a < kh; a++)
      for (let b = 0; b < kw; b++) {
        let any = false;
        for (let pp = 0; pp < pb; pp++) {
          const r = r0[pp]! + a, c = c0[pp]! + b;
          if (r < 0 || r >= h || c < 0 || c >= w) {
            for (let k = 0; k < ci; k++) xT[k * PB + pp] = 0;
          } else {
            any = true;
            const src = ((rowBase[pp]! + r) * w + c) * ci;
            for (let k = 0; k < ci; k++) xT[k * PB + pp] = x[src + k]!;
          }
        }
        if (!any) continue;
        const outBase = (a * kw + b) * ci * co;
        for (let i0 = 0; i0 < ci; i0 += 4) {
          if (i0 >= ci4) {
            // leftover input channels: one row at a time
            for (let i = i0; i < ci; i++)
              for (let o = 0; o < co; o++) {
                let s = 0;
                const xa = i * PB, da = o * PB;
                for (let pp = 0; pp < pb; pp++) s += xT[xa + pp]! * dyT[da + pp]!;
                acc[outBase + i * co + o] += s;
              }
            break;
          }
          const x0 = i0 * PB, x1 = x0 + PB, x2 = x1 + PB, x3 = x2 + PB;
          for (let o0 = 0; o0 < co4; o0 += 4) {
            const d0 = o0 * PB, d1 = d0 + PB, d2 = d1 + PB, d3 = d2 + PB;
            let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            for (let pp = 0; pp < pb; pp++) {
              const a0 = xT[x0 + pp]!, a1 = xT[x1 + pp]!, a2 = xT[x2 + pp]!, a3 = xT[x3 + pp]!;
              const b0 = dyT[d0 + pp]!, b1 = dyT[d1 + pp]!, b2 = dyT[d2 + pp]!, b3 = dyT[d3 + pp]!;
              c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
              c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
              c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
              c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            const o = outBase + i0 * co + o0;
            acc[o] += c00; acc[o + 1] += c01; acc[o + 2] += c02; acc[o + 3] += c03;
            acc[o + co] += c10; acc[o + co + 1] += c11; acc[o + co + 2] += c12; acc[o + co + 3] += c13;
            acc[o + 2 * co] += c20; acc[o + 2 * co + 1] += c21; acc[o + 2 * co + 2] += c22; acc[o + 2 * co + 3] += c23;
            acc[o + 3 * co] += c30; acc[o + 3 * co + 1] += c31; acc[o + 3 * co + 2] += c32; acc[o + 3 * co + 3] += c33;
          }
          // leftover output channels for these four input channels
          for (let o = co4; o < co; o++)
            for (let i = i0; i < i0 + 4; i++) {
              let s = 0;
              const xa = i * PB, da = o * PB;
              for (let pp = 0; pp < pb; pp++) s += xT[xa + pp]! * dyT[da + pp]!;
              acc[outBase + i * co + o] += s;
            }
        }
      }
  }
  return Float32Array.from(acc);
};

/** `Conv2DBackpropFilter` for the cpu backend through {@link conv2dFilterGradGemm} (NHWC; else the original kernel). */
export const conv2dBackpropFilterGemm: KernelFactory = (_bn, original) => (args) => {
  const name = 'Conv2DBackpropFilter';
  const x = input(name, args, 'x'), dy = input(name, args, 'dy');
  if ((args.attrs?.['dataFormat'] ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32') {
    if (!original) throw new Error(`${name}: only NHWC float32 is supported`);
    return original(args);
  }
  const fShape = args.attrs!['filterShape'] as number[];
  const g = convGeometry(x.shape, fShape, args.attrs!);
  const dw = conv2dFilterGradGemm(readF32(args.backend, x), readF32(args.backend, dy), g);
  return make(args.backend, fShape, 'float32', dw);
};

/**
 * Forward NHWC conv `[N,OH,OW,Co]` (any stride/dilation/padding) from `x` `[N,H,W,Ci]` and
 * `w` `[KH,KW,Ci,Co]`.
 *
 * @example
 * ```ts
 * const y = conv2dForwardGemm(xValues, wValues, convInfo); // Float32Array, N*OH*OW*Co
 * ```
 */
export const conv2dForwardGemm = (x: Float32Array, wv: Float32Array, g: tf.backend_util.Conv2DInfo): Float32Array => {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow, outChannels: co, filterHeight: kh, filterWidth: kw } = g;
  const sh = g.strideHeight, sw = g.strideWidth, dh = g.dilationHeight, dw = g.dilationWidth, pt = g.padInfo.top, pl = g.padInfo.left;
  const total = n * oh * ow, red = kh * kw * ci;
  const y = new Float32Array(total * co);
  const co4 = co - (co % 4), nq = co4 / 4;
  // weights packed per quad of output channels: wq[(q·red + r)·4 + j] = w[r, 4q + j]
  const wq = new Float32Array(nq * red * 4);
  for (let q = 0; q < nq; q++)
    for (let r = 0; r < red; r++) for (let j = 0; j < 4; j++) wq[(q * red + r) * 4 + j] = wv[r * co + 4 * q + j]!;
  // pixels per block: keep the packed im2col block (red × pixels floats) within ~128 KB (L2)
  const pb0 = Math.max(4, Math.min(PB, 4 * Math.floor(32768 / (red * 4))));
  const col = new Float32Array(red * pb0); // col[(pq·red + r)·4 + i] for pixel 4·pq + i of the block
  for (let p0 = 0; p0 < total; p0 += pb0) {
    const pb = Math.min(pb0, total - p0), quads = Math.ceil(pb / 4);
    col.fill(0, 0, quads * red * 4);
    for (let pp = 0; pp < pb; pp++) {
      const p = p0 + pp, b = Math.floor(p / (oh * ow)), rem = p - b * oh * ow, i = Math.floor(rem / ow), j = rem - i * ow;
      const base = (pp >> 2) * red * 4 + (pp & 3);
      for (let a = 0; a < kh; a++) {
        const r = i * sh - pt + a * dh;
        if (r < 0 || r >= h) continue;
        for (let bb = 0; bb < kw; bb++) {
          const c = j * sw - pl + bb * dw;
          if (c < 0 || c >= w) continue;
          const src = ((b * h + r) * w + c) * ci, dst = base + (a * kw + bb) * ci * 4;
          for (let k = 0; k < ci; k++) col[dst + 4 * k] = x[src + k]!;
        }
      }
    }
    for (let q = 0; q < nq; q++) {
      const bo = q * red * 4, o0 = 4 * q;
      for (let pq = 0; pq < quads; pq++) {
        const ao = pq * red * 4;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let r4 = 0; r4 < red * 4; r4 += 4) {
          const a0 = col[ao + r4]!, a1 = col[ao + r4 + 1]!, a2 = col[ao + r4 + 2]!, a3 = col[ao + r4 + 3]!;
          const b0 = wq[bo + r4]!, b1 = wq[bo + r4 + 1]!, b2 = wq[bo + r4 + 2]!, b3 = wq[bo + r4 + 3]!;
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        const pp = 4 * pq, yo = (p0 + pp) * co + o0;
        y[yo] = c00; y[yo + 1] = c01; y[yo + 2] = c02; y[yo + 3] = c03;
        if (pp + 1 < pb) { y[yo + co] = c10; y[yo + co + 1] = c11; y[yo + co + 2] = c12; y[yo + co + 3] = c13; }
        if (pp + 2 < pb) { y[yo + 2 * co] = c20; y[yo + 2 * co + 1] = c21; y[yo + 2 * co + 2] = c22; y[yo + 2 * co + 3] = c23; }
        if (pp + 3 < pb) { y[yo + 3 * co] = c30; y[yo + 3 * co + 1] = c31; y[yo + 3 * co + 2] = c32; y[yo + 3 * co + 3] = c33; }
      }
    }
    // leftover output channels
    for (let o = co4; o < co; o++)
      for (let pp = 0; pp < pb; pp++) {
        const ao = (pp >> 2) * red * 4 + (pp & 3);
        let sum = 0;
        for (let r = 0; r < red; r++) sum += col[ao + 4 * r]! * wv[r * co + o]!;
        y[(p0 + pp) * co + o] = sum;
      }
  }
  return y;
};

/** `Conv2D` for the cpu backend through {@link conv2dForwardGemm} (NHWC float32; else the original kernel). */
export const conv2dGemm: KernelFactory = (_bn, original) => (args) => {
  const name = 'Conv2D';
  const x = input(name, args, 'x'), filter = input(name, args, 'filter');
  const a = args.attrs ?? {};
  if ((a['dataFormat'] ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32' || filter.dtype !== 'float32') {
    if (!original) throw new Error(`${name}: only NHWC float32 is supported`);
    return original(args);
  }
  const g = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    pair(a['strides']), pair(a['dilations'] ?? 1), a['pad'] as 'same', a['dimRoundingMode'] as 'floor' | undefined, false, 'channelsLast',
  );
  return make(args.backend, [...g.outShape], 'float32', conv2dForwardGemm(readF32(args.backend, x), readF32(args.backend, filter), g));
};
