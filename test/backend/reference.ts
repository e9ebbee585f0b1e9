// Float64 reference implementations (plain loops, straight from the definitions) for the
// backend kernel and gradient tests.
import * as tf from '@tensorflow/tfjs';

/** ||a − b|| / ||b|| in float64. */
export const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) throw new Error(`relErr: lengths ${a.length} vs ${b.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
};

/** Geometry of an NHWC conv as tfjs defines it (padding conventions included). */
export const geometry = (
  xShape: number[], fShape: number[], stride: number, pad: 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]], depthwise = false, dilation = 1,
): tf.backend_util.Conv2DInfo =>
  tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number], stride, dilation, pad as 'same', undefined, depthwise, 'channelsLast');

/** Calls `f(n, i, j, kh, kw, xOffset, dyOffset)` for every tap inside the image. */
const taps = (g: tf.backend_util.Conv2DInfo, f: (xo: number, dyo: number, kh: number, kw: number) => void): void => {
  for (let n = 0; n < g.batchSize; n++)
    for (let i = 0; i < g.outHeight; i++)
      for (let j = 0; j < g.outWidth; j++)
        for (let kh = 0; kh < g.filterHeight; kh++)
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const p = i * g.strideHeight + kh * g.dilationHeight - g.padInfo.top, q = j * g.strideWidth + kw * g.dilationWidth - g.padInfo.left;
            if (p < 0 || q < 0 || p >= g.inHeight || q >= g.inWidth) continue;
            f(((n * g.inHeight + p) * g.inWidth + q) * g.inChannels, ((n * g.outHeight + i) * g.outWidth + j) * g.outChannels, kh, kw);
          }
};

/** y[n,i,j,co] = Σ x[n, i·s+kh·d−pt, j·s+kw·d−pl, ci] · w[kh,kw,ci,co]. */
export const convForward = (x: Float32Array, w: Float32Array, g: tf.backend_util.Conv2DInfo): Float64Array => {
  const ci = g.inChannels, co = g.outChannels, out = new Float64Array(g.batchSize * g.outHeight * g.outWidth * co);
  taps(g, (xo, yo, kh, kw) => {
    const fo = (kh * g.filterWidth + kw) * ci * co;
    for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) out[yo + b] += x[xo + a]! * w[fo + a * co + b]!;
  });
  return out;
};

/** dW[kh,kw,ci,co] = Σ x[n, i·s+kh−pt, j·s+kw−pl, ci] · dy[n,i,j,co]. */
export const convFilterGrad = (x: Float32Array, dy: Float32Array, g: tf.backend_util.Conv2DInfo): Float64Array => {
  const ci = g.inChannels, co = g.outChannels, out = new Float64Array(g.filterHeight * g.filterWidth * ci * co);
  taps(g, (xo, dyo, kh, kw) => {
    const fo = (kh * g.filterWidth + kw) * ci * co;
    for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) out[fo + a * co + b] += x[xo + a]! * dy[dyo + b]!;
  });
  return out;
};

/** dx[n,p,q,ci] = Σ dy[n,i,j,co] · w[kh,kw,ci,co] over taps landing on (p, q). */
export const convInputGrad = (dy: Float32Array, w: Float32Array, g: tf.backend_util.Conv2DInfo): Float64Array => {
  const ci = g.inChannels, co = g.outChannels, out = new Float64Array(g.batchSize * g.inHeight * g.inWidth * ci);
  taps(g, (xo, dyo, kh, kw) => {
    const fo = (kh * g.filterWidth + kw) * ci * co;
    for (let a = 0; a < ci; a++) {
      let s = 0;
      for (let b = 0; b < co; b++) s += dy[dyo + b]! * w[fo + a * co + b]!;
      out[xo + a] += s;
    }
  });
  return out;
};

/** Depthwise (channel multiplier m = outChannels / inChannels) filter and input gradients. */
export const depthwiseGrads = (x: Float32Array, w: Float32Array, dy: Float32Array, g: tf.backend_util.Conv2DInfo): { dw: Float64Array; dx: Float64Array } => {
  const c = g.inChannels, m = g.outChannels / c;
  const dw = new Float64Array(g.filterHeight * g.filterWidth * c * m), dx = new Float64Array(x.length);
  taps(g, (xo, dyo, kh, kw) => {
    const fo = (kh * g.filterWidth + kw) * c * m;
    for (let a = 0; a < c; a++)
      for (let k = 0; k < m; k++) {
        dw[fo + a * m + k] += x[xo + a]! * dy[dyo + a * m + k]!;
        dx[xo + a] += w[fo + a * m + k]! * dy[dyo + a * m + k]!;
      }
  });
  return { dw, dx };
};

/**
 * The gradient of `u ↦ Σ op(u)·v` for a LINEAR `op`, column by column: component k is
 * `Σ op(e_k)·v` in float64 (an exact finite difference). Small shapes only.
 */
export const linearGradByBasis = (op: (u: tf.Tensor) => tf.Tensor, uShape: number[], v: Float32Array): Float64Array => {
  const n = uShape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const e = new Float32Array(n);
    e[k] = 1;
    const y = tf.tidy(() => op(tf.tensor(e, uShape)).dataSync());
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * v[i]!;
    out[k] = s;
  }
  return out;
};
