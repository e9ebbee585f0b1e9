/**
 * Lean versions of the ops the layered G and D run at every layer: the same ops in the same order as
 * tfjs would run them (values and gradients bit for bit, second order included), with fewer
 * activation-sized tensors held by the gradient tape and no plain-JS kernels:
 *
 * - {@link clampSymmetric}: `conv_clamp` without tfjs's `ClipByValue` / `LogicalAnd` (JS loops);
 * - {@link leakyReluClamp}: bias, leaky ReLU, gain and clamp keeping the output and a boolean mask;
 * - {@link modulatedConvLean}: the non-fused modulated conv recomputing x·s in the backward pass.
 *
 * With the changes listed in the README (Training cost) they took an ILSGAN step at 64², channels 256,
 * batch 16 from 32–38 s to ~20 s of CPU and its peak RSS from 4.3 to 2.8 GB.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../../core/tensor.ts';
import { fusedLeakyRelu, LRELU_GAIN, LRELU_SLOPE } from '../../nn/fused-act.ts';
import { modulatedConv2d, type ModulatedConvOptions } from '../../nn/modulated-conv.ts';
import { blur } from '../../nn/upfirdn.ts';

/**
 * `Select(|x| ≤ c, dy, 0)` (the clamp's gradient), each temporary freed as soon as it is used, so the
 * backward pass holds one activation-sized temporary here, not three.
 */
const passInside = (dy: tf.Tensor, x: tf.Tensor, c: number): tf.Tensor => {
  const inside = tf.tidy(() => tf.lessEqual(tf.abs(x), c));
  const masked = tf.tidy(() => tf.where(inside, dy, tf.zerosLike(dy)));
  inside.dispose();
  return masked;
};

/**
 * `x.clamp(−c, c)` (NVlabs `conv_clamp`) on kernels the native backend runs: the value is
 * min(max(x, −c), c) (= `tf.clipByValue`), the gradient dy where |x| ≤ c, else 0 (= tfjs's
 * `ClipByValue` gradient, boundaries included), as `Select(LessEqual(Abs(x), c), dy, 0)`.
 * tfjs's own `clipByValue` runs `ClipByValue` and its gradient's `LogicalAnd` in plain JS
 * (a per-element closure): at 64², channels 256, with batch 4, 4.7 s of a 16 s profiled ILSGAN step.
 * Second-order gradients (R1 through D) flow through `Select` to dy as through tfjs's.
 *
 * @example
 * ```ts
 * const y = clampSymmetric(x, 256); // same values and gradient as tf.clipByValue(x, -256, 256)
 * ```
 */
export const clampSymmetric = <T extends tf.Tensor>(x: T, c: number): T =>
  (tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a]);
    return {
      value: tf.minimum(tf.maximum(a, -c), c),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => passInside(dy, saved[0] as tf.Tensor, c),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor) => tf.Tensor)(x) as T;

/**
 * `clamp(lrelu(y + b, 0.2)·√2, ±c)` (NVlabs `bias_act` with `clamp`; = `fusedLeakyRelu` then
 * {@link clampSymmetric}): the same ops and values, but the leaky ReLU, gain and clamp are one
 * tape node that keeps only its output (which the next layer keeps anyway) and a boolean mask
 * |lrelu(·)·√2| ≤ c, instead of the leaky ReLU's output and the `·√2` product (two activation-sized
 * tensors per layer until the backward pass). Gradient, the chain tfjs computes op for op:
 * `Select(mask, dy, 0)·√2`, then the registered `LeakyRelu` gradient with the output in place of
 * its input (the same sign pattern: gain and clamp keep signs, as the lean tape's own swap).
 * Second order (R1) goes through those ops as through tfjs's.
 *
 * @example
 * ```ts
 * const a = leakyReluClamp(y, bias, 256); // = clampSymmetric(fusedLeakyRelu(y, bias), 256)
 * ```
 */
export const leakyReluClamp = <T extends tf.Tensor>(y: T, bias: tf.Tensor1D | undefined, c: number): T =>
  tf.tidy(() => {
    // Under a nested gradient (R1's double backprop) the mask and output saved here would be constants to the
    // outer tape, and the variables upstream would get no (zero) gradient at all: compose it there.
    if (gradientDepth() > 1) return clampSymmetric(fusedLeakyRelu(y, bias), c);
    const u = bias === undefined ? y : tf.add(y, bias);
    return (tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
      const m = tf.mul(tf.leakyRelu(a, LRELU_SLOPE), LRELU_GAIN);
      const out = tf.minimum(tf.maximum(m, -c), c);
      save([out, tf.lessEqual(tf.abs(m), c)]);
      return {
        value: out,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [o, inside] = saved as [tf.Tensor, tf.Tensor];
          const dv = tf.tidy(() => tf.mul(tf.where(inside, dy, tf.zerosLike(dy)), LRELU_GAIN));
          const du = leakyReluGradient(dv, o);
          dv.dispose();
          return du;
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor) => tf.Tensor)(u) as T;
  });

/** The part of tfjs's engine state {@link gradientDepth} reads. */
interface EngineDepth {
  readonly state: { readonly gradientDepth: number };
}

/** How many gradient tapes are recording (1 in a training step, 2 inside R1's inner gradient). */
const gradientDepth = (): number => (tf.engine() as unknown as EngineDepth).state.gradientDepth;

/** The registered `LeakyRelu` gradient (fused kernel or tfjs's composition) for dy at x (or any tensor of x's signs). */
const leakyReluGradient = (dy: tf.Tensor, x: tf.Tensor): tf.Tensor => {
  const g = tf.getGradient('LeakyRelu');
  if (!g) throw new Error('leakyReluClamp: no LeakyRelu gradient registered');
  return (g.gradFunc(dy, [x], { alpha: LRELU_SLOPE }) as Record<string, () => tf.Tensor>)['x']!();
};

type Grads = Record<string, () => tf.Tensor>;

/** The registered gradient of `kernel` (tfjs's, or the backend's replacement) for dy, saved tensors and attrs. */
const registeredGradient = (kernel: string, dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): Grads => {
  const g = tf.getGradient(kernel);
  if (!g) throw new Error(`ilsgan: no ${kernel} gradient registered`);
  return g.gradFunc(dy, saved, attrs) as Grads;
};

/**
 * `conv(x·s, w)` — the first half of the non-fused modulated conv: 3×3 'same' (or 1×1), or with `up` the
 * stride-2 transposed conv (before the blur) as `modulatedConv2d` runs it — as one tape node that keeps
 * x (which the previous layer keeps anyway), s and w, and recomputes the product x·s in the backward
 * pass instead of keeping it (one activation-sized tensor per layer, the largest share of G's saved
 * tensors after the outputs). The gradients are the registered ones of the same ops (`Conv2D`, or
 * `Conv2DBackpropInput` and `Transpose`; `Multiply`, `Reshape`) on the same tensors: the same values.
 * First order only: under a nested gradient it runs the ops themselves.
 */
const scaledConv = (x: tf.Tensor4D, s: tf.Tensor2D, w: tf.Tensor4D, up: boolean): tf.Tensor4D => {
  const [k, , cIn, cOut] = w.shape;
  const [n, h, wd] = x.shape;
  const outShape: [number, number, number, number] = [n, 2 * h + k - 2, 2 * wd + k - 2, cOut];
  const forward = (a: tf.Tensor4D, st: tf.Tensor2D, f: tf.Tensor4D): tf.Tensor4D => {
    const xs = tf.mul(a, st.reshape([n, 1, 1, cIn])) as tf.Tensor4D;
    return up ? tf.conv2dTranspose(xs, tf.transpose(f, [0, 1, 3, 2]) as tf.Tensor4D, outShape, 2, 'valid') : tf.conv2d(xs, f, 1, 'same');
  };
  if (gradientDepth() > 1 || k % 2 !== 1) return forward(x, s, w);
  return (tf.customGrad(((a: tf.Tensor4D, st: tf.Tensor2D, f: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([a, st, f]);
    return {
      value: forward(a, st, f),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xa, sa, fa] = saved as [tf.Tensor4D, tf.Tensor2D, tf.Tensor4D];
        const sR = sa.reshape([n, 1, 1, cIn]);
        const xs = tf.mul(xa, sR);
        let dxs: tf.Tensor, dw: tf.Tensor;
        if (up) {
          const fT = tf.transpose(fa, [0, 1, 3, 2]);
          const g = registeredGradient('Conv2DBackpropInput', dy, [xs, fT], { strides: 2, pad: 'valid', dataFormat: 'NHWC', inputShape: outShape } as unknown as tf.NamedAttrMap);
          dxs = g['dy']!();
          const dfT = g['filter']!();
          dw = registeredGradient('Transpose', dfT, [], { perm: [0, 1, 3, 2] })['x']!();
          tf.dispose([fT, dfT]);
        } else {
          const g = registeredGradient('Conv2D', dy, [xs, fa], { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] } as unknown as tf.NamedAttrMap);
          dxs = g['x']!();
          dw = g['filter']!();
        }
        xs.dispose();
        const m = registeredGradient('Multiply', dxs, [xa, sR], {});
        const dx = m['a']!();
        const dsR = m['b']!();
        const ds = dsR.reshape(sa.shape);
        tf.dispose([dxs, sR, dsR]);
        return [dx, ds, dw];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor)(x, s, w) as tf.Tensor4D;
};

/**
 * `modulatedConv2d` (src/nn/modulated-conv.ts, the non-fused NVlabs path) with its first half as
 * `scaledConv` (the plain composition): the same ops in the same order, the same values and gradients.
 *
 * @example
 * ```ts
 * const y = modulatedConvLean(x, w, styles, { demodulate: true, upsample: false, blurKernel: [1, 3, 3, 1] }); // = modulatedConv2d(…)
 * ```
 */
export const modulatedConvLean = (x: tf.Tensor4D, w: tf.Tensor4D, s: tf.Tensor2D, o: ModulatedConvOptions): tf.Tensor4D =>
  tf.tidy(() => {
    const [k, , cIn, cOut] = w.shape;
    const n = x.shape[0];
    assertShape('modulatedConvLean', x, [null, null, null, cIn]);
    assertShape('modulatedConvLean', s, [n, cIn], 's');
    if (k % 2 !== 1) return modulatedConv2d(x, w, s, o);
    let y = scaledConv(x, s, w, o.upsample);
    if (o.upsample) {
      const p = o.blurKernel.length - 2 - (k - 1);
      y = blur(y, o.blurKernel, [Math.floor((p + 1) / 2) + 1, Math.floor(p / 2) + 1], 2); // [N,2H,2W,O]
    }
    if (!o.demodulate) return y;
    const d = tf.rsqrt(tf.add(tf.matMul(tf.square(s), tf.square(w).sum([0, 1]) as tf.Tensor2D), 1e-8)); // [N,O]
    return tf.mul(y, d.reshape([n, 1, 1, cOut]));
  });
