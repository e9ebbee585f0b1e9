/**
 * Batch normalisation with PyTorch's semantics (`nn.BatchNorm2d`): in training
 * mode it normalises with the batch's mean and biased variance and updates the
 * running statistics with the unbiased variance; in eval mode it uses the
 * running statistics.
 *
 * https://arxiv.org/abs/1502.03167
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormTrain } from '../core/fused-ops.ts';
import { assertShape } from '../core/tensor.ts';

/**
 * Shape and constants of a {@link BatchNormParams}.
 *
 * @example
 * ```ts
 * const c: BatchNormConfig = { channels: 64, gammaStd: 0.02 }; // DCGAN's init
 * ```
 */
export interface BatchNormConfig {
  /** Channels. */
  readonly channels: number;
  /** Running-statistics momentum (PyTorch convention: new = (1 − m)·old + m·batch). PyTorch: 0.1. */
  readonly momentum?: number;
  /** Added to the variance. PyTorch: 1e-5. */
  readonly eps?: number;
  /** Initial scale: 1 (PyTorch), or N(1, std²) when set (DCGAN: 0.02). */
  readonly gammaStd?: number;
}

/**
 * A batch-norm layer's variables (PyTorch names in comments).
 *
 * @example
 * ```ts
 * const bn: BatchNormParams = createBatchNorm({ channels: 64 });
 * bn.momentum; // 0.1
 * ```
 */
export interface BatchNormParams {
  /** Scale [C] (`weight`). Trainable. */
  readonly gamma: tf.Variable<tf.Rank.R1>;
  /** Shift [C] (`bias`). Trainable. */
  readonly beta: tf.Variable<tf.Rank.R1>;
  /** Running mean [C] (`running_mean`). Not trainable. */
  readonly runningMean: tf.Variable<tf.Rank.R1>;
  /** Running variance [C] (`running_var`). Not trainable. */
  readonly runningVar: tf.Variable<tf.Rank.R1>;
  /** Training batches seen, as a float32 scalar (`num_batches_tracked`). Not trainable. */
  readonly numBatchesTracked: tf.Variable<tf.Rank.R0>;
  /** Momentum. */
  readonly momentum: number;
  /** Epsilon. */
  readonly eps: number;
}

/**
 * Create a batch-norm layer: γ = 1, β = 0, running mean 0, running variance 1.
 *
 * @example
 * ```ts
 * const bn = createBatchNorm({ channels: 64 }, rng);
 * ```
 */
export const createBatchNorm = (c: BatchNormConfig, rng?: { normalArray(n: number, mean?: number, std?: number): Float32Array }): BatchNormParams => {
  // Inside tidy: the initial tensors are freed, the variables (never tracked by tidy) stay.
  const [gamma, beta, runningMean, runningVar, numBatchesTracked] = tf.tidy(() => [
    tf.variable((c.gammaStd !== undefined && rng ? tf.tensor1d(rng.normalArray(c.channels, 1, c.gammaStd)) : tf.ones([c.channels])) as tf.Tensor1D),
    tf.variable(tf.zeros([c.channels]) as tf.Tensor1D),
    tf.variable(tf.zeros([c.channels]) as tf.Tensor1D, false),
    tf.variable(tf.ones([c.channels]) as tf.Tensor1D, false),
    tf.variable(tf.scalar(0), false),
  ] as const);
  return {
    gamma, beta, runningMean, runningVar, numBatchesTracked,
    momentum: c.momentum ?? 0.1,
    eps: c.eps ?? 1e-5,
  };
};

const batchNormImpl = (p: BatchNormParams, x: tf.Tensor4D, training: boolean, updateStats: boolean, relu: boolean): tf.Tensor4D =>
  tf.tidy(() => {
    const c = p.gamma.shape[0];
    assertShape('batchNorm', x, [null, null, null, c]);
    let mean: tf.Tensor, variance: tf.Tensor;
    let centred: tf.Tensor | undefined;
    let out: tf.Tensor4D | undefined;
    if (training) {
      // One kernel and one gradient kernel where the backend has them (the native CPU kernels).
      const fused = fusedBatchNormTrain(x, p.gamma, p.beta, p.eps, relu);
      if (fused) {
        ({ mean, variance } = fused);
        out = fused.y;
      } else {
        // tf.moments without its own copy of x − mean: the output reuses this one, so a
        // gradient tape keeps a single activation-sized centred tensor per layer.
        mean = tf.mean(x, [0, 1, 2]);
        centred = tf.sub(x, mean);
        variance = tf.mean(tf.square(centred), [0, 1, 2]);
      }
      if (updateStats) {
        const count = x.shape[0] * x.shape[1] * x.shape[2];
        const unbiased = tf.mul(variance, count / Math.max(count - 1, 1));
        p.runningMean.assign(tf.add(tf.mul(p.runningMean, 1 - p.momentum), tf.mul(mean, p.momentum)) as tf.Tensor1D);
        p.runningVar.assign(tf.add(tf.mul(p.runningVar, 1 - p.momentum), tf.mul(unbiased, p.momentum)) as tf.Tensor1D);
        p.numBatchesTracked.assign(tf.add(p.numBatchesTracked, 1) as tf.Scalar);
      }
      if (out) return out;
    } else {
      mean = p.runningMean;
      variance = p.runningVar;
    }
    const scale = tf.mul(tf.rsqrt(tf.add(variance, p.eps)), p.gamma);
    const y = tf.add(tf.mul(centred ?? tf.sub(x, mean), scale), p.beta) as tf.Tensor4D;
    return relu ? tf.relu(y) : y;
  });

/**
 * Batch norm over N, H, W of `x` [N,H,W,C]. `training`: normalise with batch
 * statistics and update the running ones (unless `updateStats` is false); else
 * use the running statistics. In training mode on a backend with the project's fused
 * kernel (the native CPU kernels) it runs as one kernel forward and one backward.
 *
 * @example
 * ```ts
 * const y = batchNorm(bn, x, true);   // training step
 * const z = batchNorm(bn, x, false);  // inference
 * ```
 */
export const batchNorm = (p: BatchNormParams, x: tf.Tensor4D, training: boolean, updateStats = true): tf.Tensor4D =>
  batchNormImpl(p, x, training, updateStats, false);

/**
 * `relu(batchNorm(p, x, training, updateStats))`, fused into the batch-norm kernel where
 * the backend has it (forward and gradient: no separate ReLU pass or mask).
 *
 * @example
 * ```ts
 * const h = batchNormRelu(bn, conv2d(conv, x, { padding: 1 }), true); // UNet's conv → BN → ReLU
 * ```
 */
export const batchNormRelu = (p: BatchNormParams, x: tf.Tensor4D, training: boolean, updateStats = true): tf.Tensor4D =>
  batchNormImpl(p, x, training, updateStats, true);

/**
 * The variables of a batch-norm layer in PyTorch's state-dict order
 * (weight, bias, running_mean, running_var, num_batches_tracked).
 *
 * @example
 * ```ts
 * const vars = batchNormVariables(bn); // 5 variables, 2 trainable
 * ```
 */
export const batchNormVariables = (p: BatchNormParams): tf.Variable[] => [p.gamma, p.beta, p.runningMean, p.runningVar, p.numBatchesTracked];
