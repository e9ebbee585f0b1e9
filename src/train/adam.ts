/**
 * Adam (Kingma & Ba 2015, https://arxiv.org/abs/1412.6980) over plain
 * `tf.Variable`s, with its whole state (m, v, step) readable and restorable so a
 * checkpoint resumes bit-identically.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { NonNegativeInt, PositiveNumber } from '../core/codec.ts';
import { fusedAdamUpdate } from '../core/fused-ops.ts';
import { ShapeError } from '../core/errors.ts';

/** Adam settings for one network. */
export const AdamConfig = t.type({
  /** Learning rate. StyleGAN2: 0.002; DCGAN: 0.0002; Melas-Kyriazi et al. UNet: 0.001. */
  lr: PositiveNumber,
  /** First-moment decay. StyleGAN2: 0; DCGAN: 0.5; default 0.9. */
  beta1: t.number,
  /** Second-moment decay. StyleGAN2: 0.99; default 0.999. */
  beta2: t.number,
  /** Denominator epsilon. Default 1e-8. */
  eps: PositiveNumber,
});
/** Adam settings for one network. */
export type AdamConfig = t.TypeOf<typeof AdamConfig>;

/**
 * Settings for a network regularized lazily every `interval` steps (StyleGAN2
 * Appendix B): `lr·c`, `β^c` with `c = interval / (interval + 1)`.
 *
 * @example
 * ```ts
 * const dOpt = new Adam(d.variables(), lazyRegularizedAdam({ lr: 0.002, beta1: 0, beta2: 0.99, eps: 1e-8 }, 16));
 * ```
 */
export const lazyRegularizedAdam = (c: AdamConfig, interval: number): AdamConfig => {
  const r = interval / (interval + 1);
  return { ...c, lr: (c.lr * r) as AdamConfig['lr'], beta1: c.beta1 ** r, beta2: c.beta2 ** r };
};

/** The serializable state of an {@link Adam}. */
export interface AdamState {
  /** Steps taken. */
  readonly step: number;
  /** First moments, one per variable, in variable order. */
  readonly m: readonly tf.Tensor[];
  /** Second moments, one per variable, in variable order. */
  readonly v: readonly tf.Tensor[];
}

/**
 * How an {@link Adam} step is computed; both are Adam, they differ in the last bits.
 * - `standard`: bias corrections `1 − βᵗ` in float64, `x ← x − (m̂·lr)/(√v̂ + ε)`, one native
 *   kernel per variable where the backend has it.
 * - `tfjs`: `tf.train.adam`'s operation order, bit for bit: `βᵗ` accumulated as float32
 *   products, `x ← (m̂/(√v̂ + ε))·(−lr) + x`, tfjs ops only. For ports that were written
 *   with `tf.train.adam` and must keep their numbers (tfjs's default ε is the backend's
 *   float32 epsilon, 1e-7).
 *
 * @example
 * ```ts
 * const arithmetic: AdamArithmetic = 'tfjs';
 * const opt = new Adam([direction], { lr: 5e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 }, { arithmetic });
 * ```
 */
export type AdamArithmetic = 'standard' | 'tfjs';

/**
 * Options of {@link Adam} beyond its {@link AdamConfig}.
 *
 * @example
 * ```ts
 * const opt = new Adam(vars, config, { arithmetic: 'tfjs' } satisfies AdamOptions);
 * ```
 */
export interface AdamOptions {
  /** Default `standard`. */
  readonly arithmetic?: AdamArithmetic;
}

/** `β^t` as `tf.train.adam` accumulates it: float32 products of float32 β, `β^1` at the first step. */
const float32Power = (beta: number, t: number): number => {
  const b = Math.fround(beta);
  let acc = b;
  for (let k = 1; k < t; k++) acc = Math.fround(acc * b); // a product of two float32 values is exact in float64: one rounding, as float32 arithmetic
  return acc;
};

/**
 * Adam over a fixed list of variables.
 *
 * @example
 * ```ts
 * const opt = new Adam(vars, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
 * const { value, grads } = tf.variableGrads(() => loss(), vars);
 * opt.apply(grads);
 * // tf.train.adam(5e-3)'s numbers, bit for bit:
 * const same = new Adam(vars, { lr: 5e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7 }, { arithmetic: 'tfjs' });
 * ```
 */
export class Adam {
  /** The variables this optimizer updates, in order. */
  readonly variables: readonly tf.Variable[];
  /** Current settings (the learning rate may be changed by a schedule). */
  config: AdamConfig;
  /** How a step is computed. */
  readonly arithmetic: AdamArithmetic;
  private m: tf.Variable[];
  private v: tf.Variable[];
  private t = 0;
  /** `tfjs` arithmetic: the float32 `β₁ᵗ, β₂ᵗ` of step `t` (recomputed after {@link Adam.setStep}). */
  private acc = { t: 0, b1: NaN, b2: NaN, beta1: 1, beta2: 1 };

  constructor(variables: readonly tf.Variable[], config: AdamConfig, options: AdamOptions = {}) {
    this.variables = variables;
    this.config = config;
    this.arithmetic = options.arithmetic ?? 'standard';
    this.m = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
    this.v = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
  }

  /** Steps taken so far. */
  get step(): number {
    return this.t;
  }

  /**
   * One update from gradients keyed by variable name (as `tf.variableGrads`
   * returns them). Variables without a gradient are left alone (their moments too).
   * `lr` overrides the configured learning rate for this step (schedules).
   */
  apply(grads: tf.NamedTensorMap, lr: number = this.config.lr): void {
    this.t += 1;
    if (this.arithmetic === 'tfjs') {
      this.applyTfjs(grads, lr);
      return;
    }
    const { beta1: b1, beta2: b2, eps } = this.config;
    const c1 = 1 - b1 ** this.t, c2 = 1 - b2 ** this.t;
    // Each variable on its own and each term in its own tidy: at most four parameter-sized
    // temporaries exist at once (fourteen per variable, for every variable, in one tidy),
    // which is also what a recycling array pool ends up holding for each parameter shape.
    this.variables.forEach((x, i) => {
      const g = grads[x.name];
      if (!g) return;
      const m = this.m[i]!, v = this.v[i]!;
      // One kernel per variable where the backend has it (the native CPU kernels): same arithmetic.
      const fused = fusedAdamUpdate(x, g, m, v, { lr, beta1: b1, beta2: b2, eps, c1, c2 });
      if (fused) {
        m.assign(fused.m);
        v.assign(fused.v);
        x.assign(fused.x);
        tf.dispose([fused.x, fused.m, fused.v]);
        return;
      }
      tf.tidy(() => m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1))));
      tf.tidy(() => v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2))));
      tf.tidy(() => {
        const num = tf.tidy(() => tf.mul(tf.div(m, c1), lr)); // m̂·lr
        const den = tf.tidy(() => tf.add(tf.sqrt(tf.div(v, c2)), eps)); // √v̂ + ε
        x.assign(tf.sub(x, tf.div(num, den)));
      });
    });
  }

  /** `tf.train.adam`'s `applyGradients` (tfjs-core 4.x `adam_optimizer.ts`), op for op. */
  private applyTfjs(grads: tf.NamedTensorMap, lr: number): void {
    const { beta1: b1, beta2: b2, eps } = this.config;
    const a = this.acc;
    this.acc = a.t === this.t - 1 && a.t > 0 && a.b1 === b1 && a.b2 === b2
      ? { t: this.t, b1, b2, beta1: Math.fround(a.beta1 * Math.fround(b1)), beta2: Math.fround(a.beta2 * Math.fround(b2)) }
      : { t: this.t, b1, b2, beta1: float32Power(b1, this.t), beta2: float32Power(b2, this.t) };
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, tf.scalar(this.acc.beta1));
      const oneMinusAccBeta2 = tf.sub(1, tf.scalar(this.acc.beta2));
      this.variables.forEach((x, i) => {
        const g = grads[x.name];
        if (!g) return;
        const m = this.m[i]!, v = this.v[i]!;
        const newM = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const newV = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        const mHat = tf.div(newM, oneMinusAccBeta1);
        const vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        x.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), eps)), -lr), x));
      });
    });
  }

  /** The state (copies; caller disposes). */
  getState(): AdamState {
    return { step: this.t, m: this.m.map((x) => x.clone()), v: this.v.map((x) => x.clone()) };
  }

  /** Restore {@link Adam.getState} (values are copied; caller keeps ownership of `s`). */
  setState(s: AdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new ShapeError('Adam.setState', `state has ${s.m.length} moments, optimizer has ${this.m.length} variables`);
    }
    s.m.forEach((x, i) => this.m[i]!.assign(x));
    s.v.forEach((x, i) => this.v[i]!.assign(x));
    this.t = s.step;
  }

  /** Moment variables (m then v), for checkpoints. */
  stateVariables(): tf.Variable[] {
    return [...this.m, ...this.v];
  }

  /** Set the step counter (checkpoint restore; moments are restored through {@link Adam.stateVariables}). */
  setStep(step: number): void {
    this.t = step;
  }

  /** Free the moments. */
  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

// ---------------------------------------------------------------------------
// Learning-rate schedules
// ---------------------------------------------------------------------------

/** A learning-rate schedule. */
export const LrSchedule = t.union([
  t.type({
    /** Constant learning rate. */
    kind: t.literal('constant'),
  }),
  t.type({
    /** Step decay (Melas-Kyriazi et al.: ×0.2 every 8000 steps). */
    kind: t.literal('step'),
    /** Decay every this many steps. */
    every: PositiveNumber,
    /** Multiply the rate by this at each decay. */
    factor: PositiveNumber,
  }),
  t.type({
    /** Cosine from lr to `minFactor·lr` over the run. */
    kind: t.literal('cosine'),
    /** Final rate as a fraction of the initial one. */
    minFactor: t.number,
  }),
  t.type({
    /** PyTorch `MultiStepLR`: the rate times `gamma` from each milestone step on (a milestone listed twice counts twice). */
    kind: t.literal('multistep'),
    /** Steps (0-based) at which the rate decays. */
    milestones: t.array(NonNegativeInt),
    /** Multiply the rate by this at each milestone. */
    gamma: PositiveNumber,
  }),
]);
/** A learning-rate schedule. */
export type LrSchedule = t.TypeOf<typeof LrSchedule>;

/**
 * The learning rate at `step` (0-based) of `total`.
 *
 * @example
 * ```ts
 * scheduledLr({ kind: 'step', every: 8000, factor: 0.2 }, 1e-3, 9000, 12000); // 2e-4
 * ```
 */
export const scheduledLr = (s: LrSchedule, lr: number, step: number, total: number): number => {
  switch (s.kind) {
    case 'constant':
      return lr;
    case 'step':
      return lr * s.factor ** Math.floor(step / s.every);
    case 'cosine': {
      const p = Math.min(1, step / Math.max(1, total));
      return lr * (s.minFactor + (1 - s.minFactor) * 0.5 * (1 + Math.cos(Math.PI * p)));
    }
    case 'multistep': {
      // Chained, as PyTorch's MultiStepLR: one multiplication per milestone passed (gamma^count for a repeated one).
      const counts = new Map<number, number>();
      for (const m of s.milestones) counts.set(m, (counts.get(m) ?? 0) + 1);
      let out = lr;
      for (const [m, k] of [...counts].sort((a, b) => a[0] - b[0])) if (m <= step) out *= s.gamma ** k;
      return out;
    }
  }
};
