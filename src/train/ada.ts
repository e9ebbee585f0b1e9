/**
 * Adaptive discriminator augmentation (Karras et al. 2020, "Training Generative Adversarial
 * Networks with Limited Data", https://arxiv.org/abs/2006.06676): the augmentation pipeline of
 * NVlabs/stylegan2-ada-pytorch `training/augment.py` (`AugmentPipe`) — pixel blitting (x-flip,
 * 90° rotations, integer translation), general geometric transforms (isotropic and anisotropic
 * scaling, rotation, fractional translation; executed by reflect padding, 2× upsampling with the
 * sym6 wavelet, bilinear resampling and 2× downsampling) and colour transforms (brightness,
 * contrast, luma flip, hue rotation, saturation) — each applied with probability `multiplier·p`,
 * and the controller that moves `p` so that the sign of D on reals averages to the target (0.6).
 * Differentiable with respect to the images; parameters drawn from an {@link Rng}.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { ShapeError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { fusedAffineGridPlan, fusedSampleRows } from '../core/fused-ops.ts';
import { roundHalfToEven } from '../core/round.ts';
import { makeKernel, upfirdn2d, zeroInsert } from '../nn/upfirdn.ts';

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

/** Probability multipliers and ranges of the pipeline (`AugmentPipe.__init__`). */
export const AdaPipeConfig = t.type({
  /** x-flip multiplier. `bgc`: 1. */ xflip: t.number,
  /** 90° rotation multiplier. `bgc`: 1. */ rotate90: t.number,
  /** Integer translation multiplier. `bgc`: 1. */ xint: t.number,
  /** Integer translation range, relative to the side. Reference: 0.125. */ xintMax: t.number,
  /** Isotropic scaling multiplier. `bgc`: 1. */ scale: t.number,
  /** Arbitrary rotation multiplier. `bgc`: 1. */ rotate: t.number,
  /** Anisotropic scaling multiplier. `bgc`: 1. */ aniso: t.number,
  /** Fractional translation multiplier. `bgc`: 1. */ xfrac: t.number,
  /** log2 std of isotropic scaling. Reference: 0.2. */ scaleStd: t.number,
  /** Rotation range, 1 = full circle. Reference: 1. */ rotateMax: t.number,
  /** log2 std of anisotropic scaling. Reference: 0.2. */ anisoStd: t.number,
  /** Std of fractional translation, relative to the side. Reference: 0.125. */ xfracStd: t.number,
  /** Brightness multiplier. `bgc`: 1. */ brightness: t.number,
  /** Contrast multiplier. `bgc`: 1. */ contrast: t.number,
  /** Luma flip multiplier. `bgc`: 1. */ lumaflip: t.number,
  /** Hue rotation multiplier. `bgc`: 1. */ hue: t.number,
  /** Saturation multiplier. `bgc`: 1. */ saturation: t.number,
  /** Std of brightness. Reference: 0.2. */ brightnessStd: t.number,
  /** log2 std of contrast. Reference: 0.5. */ contrastStd: t.number,
  /** Hue range, 1 = full circle. Reference: 1. */ hueMax: t.number,
  /** log2 std of saturation. Reference: 1. */ saturationStd: t.number,
});
/** Probability multipliers and ranges of the pipeline. */
export type AdaPipeConfig = t.TypeOf<typeof AdaPipeConfig>;

const OFF: AdaPipeConfig = {
  xflip: 0, rotate90: 0, xint: 0, xintMax: 0.125, scale: 0, rotate: 0, aniso: 0, xfrac: 0,
  scaleStd: 0.2, rotateMax: 1, anisoStd: 0.2, xfracStd: 0.125,
  brightness: 0, contrast: 0, lumaflip: 0, hue: 0, saturation: 0,
  brightnessStd: 0.2, contrastStd: 0.5, hueMax: 1, saturationStd: 1,
};

/** The reference's named pipelines (`train.py` `augpipe_specs`) this port runs (no filter, noise or cutout). */
export type AdaPipeName = 'blit' | 'geom' | 'color' | 'bg' | 'bgc';

/**
 * A named pipeline's settings: `bgc` is the reference's default (blit + geom + color).
 *
 * @example
 * ```ts
 * const cfg = adaPipe('bgc'); // every multiplier 1
 * ```
 */
export const adaPipe = (name: AdaPipeName): AdaPipeConfig => {
  const blit = { xflip: 1, rotate90: 1, xint: 1 }, geom = { scale: 1, rotate: 1, aniso: 1, xfrac: 1 };
  const color = { brightness: 1, contrast: 1, lumaflip: 1, hue: 1, saturation: 1 };
  const on = { blit, geom, color, bg: { ...blit, ...geom }, bgc: { ...blit, ...geom, ...color } }[name];
  return { ...OFF, ...on };
};

/** ADA controller settings (`training_loop.py`). */
export const AdaControlConfig = t.type({
  /** Target of E[sign(D(real))]. Reference: 0.6. */ target: t.number,
  /** Adjust every this many steps. Reference: 4. */ interval: t.number,
  /** kimg for p to move by 1. Reference: 500. */ kimg: t.number,
});
/** ADA controller settings. */
export type AdaControlConfig = t.TypeOf<typeof AdaControlConfig>;

/**
 * ADA in a GAN run (`GanTrainConfig.ada`): the pipeline, the controller and the starting `p`.
 * NVlabs' `--aug=ada`: pipeline `bgc`, target 0.6, interval 4, 500 kimg, p from 0.
 */
export const AdaSettings = t.type({
  /** Pipeline (`--augpipe`). Reference: `bgc`. */
  pipe: t.union([t.literal('blit'), t.literal('geom'), t.literal('color'), t.literal('bg'), t.literal('bgc')]),
  /** Target of E[sign D(real)]; `null` = fixed p (`--aug=fixed`). Reference: 0.6. */
  target: t.union([t.number, t.null]),
  /** Adjust every this many steps. Reference: 4. */
  interval: t.number,
  /** kimg for p to move by 1. Reference: 500. */
  kimg: t.number,
  /** Starting p (`--p`). Reference: 0. */
  initialP: t.number,
});
/** ADA in a GAN run. */
export type AdaSettings = t.TypeOf<typeof AdaSettings>;

/**
 * NVlabs' `--aug=ada` settings.
 *
 * @example
 * ```ts
 * const cfg: GanTrainConfig = { ...stylegan2Defaults, ada: ADA_DEFAULTS };
 * ```
 */
export const ADA_DEFAULTS: AdaSettings = { pipe: 'bgc', target: 0.6, interval: 4, kimg: 500, initialP: 0 };

/** The reference's controller: target 0.6, every 4 steps, 500 kimg per unit of p. */
export const ADA_CONTROL_DEFAULTS: AdaControlConfig = { target: 0.6, interval: 4, kimg: 500 };

/**
 * One controller update (`training_loop.py`): `p ← max(0, p + sign(mean sign D(real) − target)·batch·interval/(kimg·1000))`.
 *
 * @example
 * ```ts
 * p = adaAdjust(p, meanSignOfRealLogits, 32, ADA_CONTROL_DEFAULTS);
 * ```
 */
export const adaAdjust = (p: number, meanSign: number, batch: number, c: AdaControlConfig): number =>
  Math.max(0, p + Math.sign(meanSign - c.target) * (batch * c.interval) / (c.kimg * 1000));

// ---------------------------------------------------------------------------
// 3×3 and 4×4 matrices (float64, row-major), one per sample
// ---------------------------------------------------------------------------

type M = number[][];
const mul = (a: M, b: M): M => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const eye = (n: number): M => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const translate2d = (tx: number, ty: number): M => [[1, 0, tx], [0, 1, ty], [0, 0, 1]];
const scale2d = (sx: number, sy: number): M => [[sx, 0, 0], [0, sy, 0], [0, 0, 1]];
const rotate2d = (th: number): M => [[Math.cos(th), Math.sin(-th), 0], [Math.sin(th), Math.cos(th), 0], [0, 0, 1]];
const translate3d = (tx: number, ty: number, tz: number): M => [[1, 0, 0, tx], [0, 1, 0, ty], [0, 0, 1, tz], [0, 0, 0, 1]];
const scale3d = (sx: number, sy: number, sz: number): M => [[sx, 0, 0, 0], [0, sy, 0, 0], [0, 0, sz, 0], [0, 0, 0, 1]];
const rotate3d = (v: readonly number[], th: number): M => {
  const [vx, vy, vz] = v as [number, number, number];
  const s = Math.sin(th), c = Math.cos(th), cc = 1 - c;
  return [
    [vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s, 0],
    [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s, 0],
    [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c, 0],
    [0, 0, 0, 1],
  ];
};

/**
 * erf⁻¹ (the reference's `torch.erfinv` for `debug_percentile`): a closed-form first guess refined
 * by Newton steps on erf (Taylor series below 2.5, continued fraction above); |error| < 1e-12.
 *
 * @example
 * ```ts
 * erfinv(0.5); // 0.4769362762044699
 * ```
 */
export const erfinv = (y: number): number => {
  if (y <= -1) return -Infinity;
  if (y >= 1) return Infinity;
  const erf = (x: number): number => {
    // Abramowitz–Stegun 7.1.26 is too coarse; use the continued series via the complementary function.
    const ax = Math.abs(x);
    if (ax < 2.5) {
      let sum = x, term = x;
      for (let n = 1; n < 200; n++) {
        term *= -x * x / n;
        const add = term / (2 * n + 1);
        sum += add;
        if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    }
    // erfc continued fraction (Lentz) for large |x|.
    let f = ax, c = ax, d = 0;
    for (let n = 1; n < 300; n++) {
      const an = n / 2;
      d = ax + an * d; d = 1 / d;
      c = ax + an / c;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    const erfc = Math.exp(-ax * ax) / (f * Math.sqrt(Math.PI));
    return Math.sign(x) * (1 - erfc);
  };
  const a = 0.147, ln = Math.log(1 - y * y), b = 2 / (Math.PI * a) + ln / 2;
  let x = Math.sign(y) * Math.sqrt(Math.sqrt(b * b - ln / a) - b);
  for (let i = 0; i < 4; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
};

// ---------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------

/** The per-sample transforms of one call: `geometry[i]` maps output pixels to input pixels, `color[i]` maps colours. */
export interface AdaTransforms {
  /** Inverse homogeneous 2-D transforms (pixel units, origin at the image centre), or null = identity for all. */
  readonly geometry: number[][][] | null;
  /** Homogeneous 3-D colour transforms, or null = identity for all. */
  readonly color: number[][][] | null;
}

/**
 * Draw the transforms of one `AugmentPipe.forward` call, in the reference's order (each
 * augmentation draws its values, then its gates, for the whole batch). `debugPercentile` is the
 * reference's `debug_percentile`: every enabled augmentation at the value of that percentile.
 *
 * @example
 * ```ts
 * const tr = drawAdaTransforms(adaPipe('bgc'), 0.3, 8, 64, 64, rng);
 * ```
 */
export const drawAdaTransforms = (c: AdaPipeConfig, p: number, n: number, height: number, width: number, rng: Rng, debugPercentile?: number): AdaTransforms => {
  const u = (k = n): number[] => Array.from({ length: k }, () => rng.uniform());
  const g = (k = n): number[] => Array.from({ length: k }, () => rng.normal());
  const dp = debugPercentile;
  /** `torch.where(torch.rand([N]) < threshold, values, off)`: the gate draws after the values. */
  const gate = <T>(threshold: number, values: T[], off: T): T[] => {
    const r = u();
    return values.map((v, i) => (r[i]! < threshold ? v : off));
  };
  const at = <T>(values: T[], forced: () => T): T[] => (dp === undefined ? values : values.map(forced));

  // Pixel blitting and general geometric transforms: G_inv = G_inv @ M, output pixel → input pixel.
  let G: M[] | null = null;
  const then = (f: (i: number) => M): void => { G = Array.from({ length: n }, (_, i) => mul(G ? G[i]! : eye(3), f(i))); };
  if (c.xflip > 0) {
    const i = at(gate(c.xflip * p, u().map((v) => Math.floor(v * 2)), 0), () => Math.floor(dp! * 2));
    then((k) => scale2d(1 / (1 - 2 * i[k]!), 1));
  }
  if (c.rotate90 > 0) {
    const i = at(gate(c.rotate90 * p, u().map((v) => Math.floor(v * 4)), 0), () => Math.floor(dp! * 4));
    then((k) => rotate2d(Math.PI / 2 * i[k]!)); // rotate2d_inv(−π/2·i)
  }
  if (c.xint > 0) {
    const flat = u(2 * n); // rand([N, 2]), row-major
    const tr = at(
      gate(c.xint * p, Array.from({ length: n }, (_, i) => [(flat[2 * i]! * 2 - 1) * c.xintMax, (flat[2 * i + 1]! * 2 - 1) * c.xintMax]), [0, 0]),
      () => [(dp! * 2 - 1) * c.xintMax, (dp! * 2 - 1) * c.xintMax],
    );
    then((k) => translate2d(-roundHalfToEven(Math.fround(tr[k]![0]! * width)), -roundHalfToEven(Math.fround(tr[k]![1]! * height))));
  }
  if (c.scale > 0) {
    const s = at(gate(c.scale * p, g().map((v) => 2 ** (v * c.scaleStd)), 1), () => 2 ** (erfinv(dp! * 2 - 1) * c.scaleStd));
    then((k) => scale2d(1 / s[k]!, 1 / s[k]!));
  }
  const pRot = 1 - Math.sqrt(Math.min(Math.max(1 - c.rotate * p, 0), 1)); // P(pre OR post) = p
  if (c.rotate > 0) {
    const th = at(gate(pRot, u().map((v) => (v * 2 - 1) * Math.PI * c.rotateMax), 0), () => (dp! * 2 - 1) * Math.PI * c.rotateMax);
    then((k) => rotate2d(th[k]!)); // rotate2d_inv(−θ)
  }
  if (c.aniso > 0) {
    const s = at(gate(c.aniso * p, g().map((v) => 2 ** (v * c.anisoStd)), 1), () => 2 ** (erfinv(dp! * 2 - 1) * c.anisoStd));
    then((k) => scale2d(1 / s[k]!, s[k]!)); // scale2d_inv(s, 1/s)
  }
  if (c.rotate > 0) {
    const th = at(gate(pRot, u().map((v) => (v * 2 - 1) * Math.PI * c.rotateMax), 0), () => 0);
    then((k) => rotate2d(th[k]!));
  }
  if (c.xfrac > 0) {
    const flat = g(2 * n);
    const tr = at(
      gate(c.xfrac * p, Array.from({ length: n }, (_, i) => [flat[2 * i]! * c.xfracStd, flat[2 * i + 1]! * c.xfracStd]), [0, 0]),
      () => [erfinv(dp! * 2 - 1) * c.xfracStd, erfinv(dp! * 2 - 1) * c.xfracStd],
    );
    then((k) => translate2d(-tr[k]![0]! * width, -tr[k]![1]! * height));
  }

  // Colour: C = M @ C, colour in → colour out.
  let C: M[] | null = null;
  const before = (f: (i: number) => M): void => { C = Array.from({ length: n }, (_, i) => mul(f(i), C ? C[i]! : eye(4))); };
  if (c.brightness > 0) {
    const b = at(gate(c.brightness * p, g().map((v) => v * c.brightnessStd), 0), () => erfinv(dp! * 2 - 1) * c.brightnessStd);
    before((k) => translate3d(b[k]!, b[k]!, b[k]!));
  }
  if (c.contrast > 0) {
    const s = at(gate(c.contrast * p, g().map((v) => 2 ** (v * c.contrastStd)), 1), () => 2 ** (erfinv(dp! * 2 - 1) * c.contrastStd));
    before((k) => scale3d(s[k]!, s[k]!, s[k]!));
  }
  const v = [1, 1, 1, 0].map((x) => x / Math.sqrt(3)); // luma axis
  const vv = v.map((a) => v.map((b) => a * b));
  if (c.lumaflip > 0) {
    const i = at(gate(c.lumaflip * p, u().map((x) => Math.floor(x * 2)), 0), () => Math.floor(dp! * 2));
    before((k) => eye(4).map((row, r) => row.map((x, q) => x - 2 * vv[r]![q]! * i[k]!))); // Householder reflection
  }
  if (c.hue > 0) {
    const th = at(gate(c.hue * p, u().map((x) => (x * 2 - 1) * Math.PI * c.hueMax), 0), () => (dp! * 2 - 1) * Math.PI * c.hueMax);
    before((k) => rotate3d(v, th[k]!));
  }
  if (c.saturation > 0) {
    const s = at(gate(c.saturation * p, g().map((x) => 2 ** (x * c.saturationStd)), 1), () => 2 ** (erfinv(dp! * 2 - 1) * c.saturationStd));
    before((k) => vv.map((row, r) => row.map((x, q) => x + ((r === q ? 1 : 0) - x) * s[k]!)));
  }
  return { geometry: G, color: C };
};

// ---------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------

const SYM6 = [0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633, 0.4910559419267466, 0.787641141030194, 0.3379294217276218, -0.07263752278646252, -0.021060292512300564, 0.04472490177066578, 0.0017677118642428036, -0.007800708325034148];

/** Four gather positions and bilinear weights per output row, tap k at offset k·outRows. */
interface SamplePlan {
  readonly idx: Int32Array; // [4·M_out] rows of the input (arrays, not tensors: the backward pass may run after any tidy)
  readonly wt: Float32Array; // [4·M_out]
  readonly inRows: number;
  readonly outRows: number;
}

/** Σₖ wₖ·src[idxₖ] row by row (`adjoint`: the transpose, scatter-adding into the index rows). */
const sampleLoop = (src: Float32Array, c: number, plan: SamplePlan, adjoint: boolean): Float32Array => {
  const out = new Float32Array((adjoint ? plan.inRows : plan.outRows) * c);
  const m = plan.outRows;
  for (let k = 0; k < 4; k++) {
    for (let r = 0; r < m; r++) {
      const w = plan.wt[k * m + r]!;
      if (w === 0) continue;
      const a = plan.idx[k * m + r]! * c, b = r * c;
      if (adjoint) for (let q = 0; q < c; q++) out[a + q] += w * src[b + q]!;
      else for (let q = 0; q < c; q++) out[b + q] += w * src[a + q]!;
    }
  }
  return out;
};

/** {@link sampleLoop} on a tensor: one native kernel where the backend has it, the JS loop elsewhere (the same numbers). */
const sampleTensor = (v: tf.Tensor2D, plan: SamplePlan, adjoint: boolean): tf.Tensor2D => {
  const fused = fusedSampleRows(v, plan.idx, plan.wt, plan.outRows, plan.inRows, adjoint);
  if (fused) return fused;
  const c = v.shape[1];
  return tf.tensor2d(sampleLoop(v.dataSync() as Float32Array, c, plan, adjoint), [adjoint ? plan.inRows : plan.outRows, c]);
};

/**
 * out = Σₖ wₖ·x[idxₖ] ([M_in,C] → [M_out,C]) computed in a plain loop (tfjs's gathers are slow on the
 * cpu backend at these sizes), with its adjoint {@link scatterRows} as gradient and the adjoint's
 * gradient this op again, so gradients of any order exist.
 */
const sampleRows = (x: tf.Tensor2D, plan: SamplePlan): tf.Tensor2D => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const value = sampleTensor(args[0] as tf.Tensor2D, plan, false);
    return { value, gradFunc: (dy: tf.Tensor2D) => scatterRows(dy, plan) };
  });
  return f(x) as tf.Tensor2D;
};

/** The adjoint of {@link sampleRows}: Σₖ scatter-add of wₖ·dy into rows idxₖ ([M_out,C] → [M_in,C]). */
const scatterRows = (dy: tf.Tensor2D, plan: SamplePlan): tf.Tensor2D => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const value = sampleTensor(args[0] as tf.Tensor2D, plan, true);
    return { value, gradFunc: (d: tf.Tensor2D) => sampleRows(d, plan) };
  });
  return f(dy) as tf.Tensor2D;
};

/**
 * `torch.nn.functional.grid_sample(x, affine_grid(θ, size, align_corners=False), 'bilinear',
 * 'zeros', align_corners=False)` for per-sample affine maps `theta` ([N] of 2×3, normalized
 * coordinates), NHWC. The sampling positions and weights are constants (computed here in float64);
 * the gradient flows to `x` through gathers.
 *
 * @example
 * ```ts
 * const shifted = affineGridSample(x, [[[1, 0, 0.25], [0, 1, 0]]], 16, 16); // x [1,16,16,C], ⅛ of the width
 * ```
 */
export const affineGridSample = (x: tf.Tensor4D, theta: readonly (readonly (readonly number[])[])[], outH: number, outW: number): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    if (theta.length !== n) throw new ShapeError('affineGridSample', `${theta.length} transforms for a batch of ${n}`);
    const m = outH * outW, nm = n * m;
    const plan: SamplePlan = { ...affinePlan(theta, n, h, w, outH, outW), inRows: n * h * w, outRows: nm };
    const out = sampleRows(tf.reshape(x, [n * h * w, c]), plan);
    return tf.reshape(out, [n, outH, outW, c]) as tf.Tensor4D;
  });

/** The plan of {@link affineGridSample}: one native kernel where the backend has it, else this loop (the same numbers). */
const affinePlan = (theta: readonly (readonly (readonly number[])[])[], n: number, h: number, w: number, outH: number, outW: number): { idx: Int32Array; wt: Float32Array } => {
  const fused = fusedAffineGridPlan(n, h, w, outH, outW, Float64Array.from(theta.flatMap((t) => [...t[0]!.slice(0, 3), ...t[1]!.slice(0, 3)])));
  if (fused) return fused;
  const m = outH * outW, nm = n * m;
  const idx = new Int32Array(4 * nm), wt = new Float32Array(4 * nm);
  for (let b = 0; b < n; b++) {
    const [r0, r1] = theta[b] as [readonly number[], readonly number[]];
    for (let i = 0; i < outH; i++) {
      const yb = (2 * i + 1) / outH - 1;
      for (let j = 0; j < outW; j++) {
        const xb = (2 * j + 1) / outW - 1;
        const gx = Math.fround(r0[0]! * xb + r0[1]! * yb + r0[2]!), gy = Math.fround(r1[0]! * xb + r1[1]! * yb + r1[2]!);
        const ix = ((gx + 1) * w - 1) / 2, iy = ((gy + 1) * h - 1) / 2;
        const x0 = Math.floor(ix), y0 = Math.floor(iy);
        const fx = ix - x0, fy = iy - y0;
        const o = b * m + i * outW + j;
        for (let k = 0; k < 4; k++) {
          const yy = y0 + (k >> 1), xx = x0 + (k & 1);
          const inside = yy >= 0 && yy < h && xx >= 0 && xx < w;
          idx[k * nm + o] = inside ? (b * h + yy) * w + xx : 0;
          wt[k * nm + o] = inside ? ((k >> 1) ? fy : 1 - fy) * ((k & 1) ? fx : 1 - fx) : 0;
        }
      }
    }
  }
  return { idx, wt };
};

/**
 * `upfirdn2d.upsample2d(x, sym6, up=2)`: zero insertion, padding ((fw + 1)//2, (fw − 2)//2), the
 * separable filter with gain 4 — as a row pass then a column pass (12 + 12 taps per pixel instead of
 * 144; the same sums up to rounding).
 */
const sym6Upsample2x = (x: tf.Tensor4D): tf.Tensor4D => {
  const p0 = Math.floor((SYM6.length + 1) / 2), p1 = Math.floor((SYM6.length - 2) / 2);
  const z = tf.pad(zeroInsert(x, 2), [[0, 0], [p0, p1], [p0, p1], [0, 0]]);
  const rows = upfirdn2d(z, makeKernel([SYM6], 2));
  return upfirdn2d(rows, makeKernel(SYM6.map((v) => [v]), 2));
};

/**
 * `upfirdn2d.downsample2d(x, sym6, down=2, padding=−6, flip_filter=True)` separably: crop (or pad) by
 * (p0, p1), correlate the rows, then the columns with stride 2 on both axes.
 */
const sym6Downsample2x = (x: tf.Tensor4D, rev: readonly number[], p0: number, p1: number): tf.Tensor4D => {
  const [, h, w] = x.shape;
  const cropped = p0 <= 0 && p1 <= 0
    ? tf.slice(x, [0, -p0, -p0, 0], [-1, h + p0 + p1, w + p0 + p1, -1])
    : tf.pad(x, [[0, 0], [Math.max(p0, 0), Math.max(p1, 0)], [Math.max(p0, 0), Math.max(p1, 0)], [0, 0]]);
  const rows = upfirdn2d(cropped, makeKernel([rev]));
  // the row pass keeps every column; the column pass subsamples rows and columns together
  return upfirdn2d(rows, makeKernel(rev.map((v) => [v])), { down: 2 });
};

/**
 * `torch.nn.functional.pad(mode='reflect')` on H and W (edges not repeated), from slices, reversals
 * and concatenations so that its gradient is exact (tfjs's `mirrorPad` gradient only slices the
 * centre out and drops what the reflected borders received).
 */
const reflectPad = (x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D => {
  const [, h, w] = x.shape;
  const rows = [
    ...(top > 0 ? [tf.reverse(tf.slice(x, [0, 1, 0, 0], [-1, top, -1, -1]), 1)] : []),
    x,
    ...(bottom > 0 ? [tf.reverse(tf.slice(x, [0, h - 1 - bottom, 0, 0], [-1, bottom, -1, -1]), 1)] : []),
  ];
  const y = rows.length > 1 ? tf.concat(rows, 1) : x;
  const cols = [
    ...(left > 0 ? [tf.reverse(tf.slice(y, [0, 0, 1, 0], [-1, -1, left, -1]), 2)] : []),
    y,
    ...(right > 0 ? [tf.reverse(tf.slice(y, [0, 0, w - 1 - right, 0], [-1, -1, right, -1]), 2)] : []),
  ];
  return (cols.length > 1 ? tf.concat(cols, 2) : y) as tf.Tensor4D;
};

/**
 * Execute drawn {@link AdaTransforms} on `images` ([N,H,W,C], C = 3 or 1) as `AugmentPipe.forward`:
 * geometry (reflect padding by the transformed corners' margin, 2× upsampling with the sym6
 * wavelet, bilinear resampling, 2× downsampling and crop), then colour (`C[:3,:3]·rgb + C[:3,3]`;
 * for one channel the mean row). Differentiable with respect to `images`.
 *
 * @example
 * ```ts
 * const y = applyAdaTransforms(x, drawAdaTransforms(adaPipe('bgc'), p, n, h, w, rng));
 * ```
 */
export const applyAdaTransforms = (images: tf.Tensor4D, tr: AdaTransforms): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, height, width, ch] = images.shape;
    if (ch !== 3 && ch !== 1) throw new ShapeError('applyAdaTransforms', `images must be RGB or L (3 or 1 channels), got [${images.shape}]`);
    let x = images;
    if (tr.geometry) {
      let G = tr.geometry;
      const cx = (width - 1) / 2, cy = (height - 1) / 2;
      const cps = [[-cx, -cy], [cx, -cy], [cx, cy], [-cx, cy]];
      const hzPad = Math.floor(SYM6.length / 4); // 3
      // margin = max over samples and corners of (−x, −y, x, y) of G_inv·corner, then + (2·Hz_pad − c)
      const mg = [-Infinity, -Infinity, -Infinity, -Infinity];
      for (const g of G) {
        for (const [px, py] of cps) {
          const qx = Math.fround(g[0]![0]! * px! + g[0]![1]! * py! + g[0]![2]!), qy = Math.fround(g[1]![0]! * px! + g[1]![1]! * py! + g[1]![2]!);
          mg[0] = Math.max(mg[0]!, -qx); mg[1] = Math.max(mg[1]!, -qy); mg[2] = Math.max(mg[2]!, qx); mg[3] = Math.max(mg[3]!, qy);
        }
      }
      const add = [hzPad * 2 - cx, hzPad * 2 - cy, hzPad * 2 - cx, hzPad * 2 - cy], hi = [width - 1, height - 1, width - 1, height - 1];
      const [mx0, my0, mx1, my1] = mg.map((v, i) => Math.ceil(Math.min(Math.max(Math.fround(v + add[i]!), 0), hi[i]!))) as [number, number, number, number];
      x = reflectPad(x, my0, my1, mx0, mx1);
      G = G.map((g) => mul(translate2d((mx0 - mx1) / 2, (my0 - my1) / 2), g));
      // upsample 2× (upfirdn2d.upsample2d: pad (fw + 1)//2, (fw − 2)//2, gain 4)
      x = sym6Upsample2x(x);
      G = G.map((g) => mul(mul(scale2d(2, 2), g), scale2d(0.5, 0.5)));
      G = G.map((g) => mul(mul(translate2d(-0.5, -0.5), g), translate2d(0.5, 0.5)));
      const outH = (height + hzPad * 2) * 2, outW = (width + hzPad * 2) * 2;
      const [, ih, iw] = x.shape;
      G = G.map((g) => mul(mul(scale2d(2 / iw, 2 / ih), g), scale2d(outW / 2, outH / 2)));
      x = affineGridSample(x, G.map((g) => [g[0]!, g[1]!]), outH, outW);
      // downsample 2× with the flipped filter (correlation), cropping Hz_pad·2 on each side of the input
      const rev = SYM6.slice().reverse();
      const p0 = -hzPad * 2 + Math.floor((SYM6.length - 2 + 1) / 2), p1 = -hzPad * 2 + Math.floor((SYM6.length - 2) / 2);
      x = sym6Downsample2x(x, rev, p0, p1);
    }
    if (tr.color) {
      const C = tr.color;
      if (ch === 3) {
        const a = tf.tensor3d(C.map((m) => [0, 1, 2].map((k) => [0, 1, 2].map((r) => m[r]![k]!))).flat(2), [n, 3, 3]); // Cᵀ per sample
        const b = tf.tensor3d(C.map((m) => [0, 1, 2].map((r) => m[r]![3]!)).flat(), [n, 1, 3]);
        x = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [n, height * width, 3]), a), b), [n, height, width, 3]);
      } else {
        const mean = C.map((m) => [0, 1, 2, 3].map((q) => (m[0]![q]! + m[1]![q]! + m[2]![q]!) / 3));
        const sc = tf.tensor4d(mean.map((r) => r[0]! + r[1]! + r[2]!), [n, 1, 1, 1]), off = tf.tensor4d(mean.map((r) => r[3]!), [n, 1, 1, 1]);
        x = tf.add(tf.mul(x, sc), off);
      }
    }
    return x === images ? images.clone() : x;
  });

/**
 * One `AugmentPipe.forward(images)`: draw the transforms at strength `p` and apply them.
 *
 * @example
 * ```ts
 * const aug = adaAugment(reals, adaPipe('bgc'), 0.2, rng); // [N,H,W,3], differentiable
 * ```
 */
export const adaAugment = (images: tf.Tensor4D, c: AdaPipeConfig, p: number, rng: Rng, debugPercentile?: number): tf.Tensor4D => {
  const [n, h, w] = images.shape;
  return applyAdaTransforms(images, drawAdaTransforms(c, p, n, h, w, rng, debugPercentile));
};
