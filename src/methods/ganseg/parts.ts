/**
 * GANSeg's building blocks (xingzhehe/GANSeg `models/generator.py`), as parameter records and pure
 * functions in NHWC: the affine-free batch norm, `SPADE` and `SPADEResBlk` (LeakyReLU 0.2, the
 * embedding map already at x's size), `AdaIN` and `AdaINResBlk`, the sin/cos `PositionalEmbedding`,
 * the MLPs, replication padding and the ×2-bilinear-then-crop step. Weights start as the official
 * init: kaiming-normal (a = 0.2) for every conv and linear weight, zero biases.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng.ts';
import { assertShape } from '../../core/tensor.ts';
import { conv2d, createConv2d, createLinear, layerVariables, linear, type Conv2dParams, type LinearParams } from '../../nn/conv.ts';
import { batchNorm, type BatchNormParams } from '../../nn/norm.ts';
import { untaped } from '../../train/tape.ts';

/**
 * LeakyReLU slope used everywhere in the official generator (and the kaiming init's `a`).
 *
 * @example
 * ```ts
 * const y = tf.leakyRelu(x, GANSEG_SLOPE);
 * ```
 */
export const GANSEG_SLOPE = 0.2;

/** kaiming_normal_(a = 0.2): N(0, 2 / ((1 + a²)·fanIn)) — the official init (biases zero). */
const kaiming = (fanIn: number) => ({ kind: 'normal' as const, std: Math.sqrt(2 / (1 + GANSEG_SLOPE ** 2) / fanIn) });

/**
 * `nn.Conv2d(in, out, k, padding=k//2)` with the official init.
 *
 * @example
 * ```ts
 * const c = createGanSegConv(64, 128, 3, rng);
 * ```
 */
export const createGanSegConv = (cin: number, cout: number, k: number, rng: Rng): Conv2dParams =>
  createConv2d({ inChannels: cin, outChannels: cout, kernelSize: k, init: kaiming(cin * k * k) }, rng);

/**
 * `nn.Linear(in, out)` with the official init.
 *
 * @example
 * ```ts
 * const l = createGanSegLinear(256, 256, rng);
 * ```
 */
export const createGanSegLinear = (cin: number, cout: number, rng: Rng): LinearParams =>
  createLinear({ inFeatures: cin, outFeatures: cout, init: kaiming(cin) }, rng);

/** Same-size conv (`padding = k // 2`). */
const convSame = (p: Conv2dParams, x: tf.Tensor4D): tf.Tensor4D => conv2d(p, x, { padding: Math.floor((p.weight.shape[0] as number) / 2) });

// ---------------------------------------------------------------------------
// Batch norm without affine parameters (SynchronizedBatchNorm2d(c, affine=False))
// ---------------------------------------------------------------------------

/**
 * An affine-free batch norm (`SynchronizedBatchNorm2d(c, affine=False)`, which on one device is
 * `F.batch_norm`): running statistics only; γ = 1 and β = 0 are constants, not trainable.
 *
 * @example
 * ```ts
 * const bn = createPlainBatchNorm(64);
 * ```
 */
export const createPlainBatchNorm = (channels: number): BatchNormParams => {
  const [gamma, beta, runningMean, runningVar, numBatchesTracked] = tf.tidy(() => [
    tf.variable(tf.ones([channels]) as tf.Tensor1D, false),
    tf.variable(tf.zeros([channels]) as tf.Tensor1D, false),
    tf.variable(tf.zeros([channels]) as tf.Tensor1D, false),
    tf.variable(tf.ones([channels]) as tf.Tensor1D, false),
    tf.variable(tf.scalar(0), false),
  ] as const);
  return { gamma, beta, runningMean, runningVar, numBatchesTracked, momentum: 0.1, eps: 1e-5 };
};

/** Batch-norm state: running mean, running variance, batches seen (the state dict's `norm.*`). */
const bnState = (p: BatchNormParams): tf.Variable[] => [p.runningMean, p.runningVar, p.numBatchesTracked];

/** How a forward pass treats batch norm: `training` = batch statistics (and update the running ones when `updateStats`). */
export interface NormMode {
  /** Batch statistics (the official `generator.train()`), else running statistics (`generator.eval()`). */
  readonly training: boolean;
  /** In training mode, update the running mean and variance as the official code does (`num_batches_tracked` never changes there). Default true. */
  readonly updateStats?: boolean;
  /**
   * Under a first-order gradient tape, every SPADE keeps only its inputs for the backward pass and
   * recomputes the rest there ({@link recomputed}): the same gradients, bit for bit, for a little
   * under half of a training step's activation memory for 10–20 % more time. Default false.
   */
  readonly recompute?: boolean;
}

/** The part of tfjs's engine state {@link recomputed} reads and restores. */
interface EngineDepth {
  state: { kernelDepth: number; gradientDepth: number; activeTape: unknown };
}
const engineState = (): EngineDepth['state'] => (tf.engine() as unknown as EngineDepth).state;

/**
 * `f(...inputs)` as one node of the gradient tape that keeps only `inputs` (activation
 * checkpointing): the forward runs off the tape, and the backward pass runs `f` again under a
 * tape of its own and back-propagates the incoming gradient through it — the same kernels on
 * the same values as a taped `f`, so the same gradients, bit for bit, for one more forward of
 * `f`. `f` must be a pure function of its arguments (pass the variables it reads as inputs) and
 * is called with `again = true` for the recomputation. First-order gradients only: under a
 * second-order tape or with no tape at all it is `f(...inputs)`.
 *
 * @example
 * ```ts
 * const y = recomputed((again, x, w) => tf.relu(tf.matMul(x, w)), [x, w]); // keeps x and w only
 * ```
 */
export const recomputed = (f: (again: boolean, ...xs: tf.Tensor[]) => tf.Tensor, inputs: readonly tf.Tensor[]): tf.Tensor => {
  const st = engineState();
  if (st.gradientDepth !== 1 || st.kernelDepth !== 0) return f(false, ...inputs);
  const node = tf.customGrad((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const xs = args as tf.Tensor[];
    save(xs);
    return {
      value: f(false, ...xs),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        // A nested `gradients` at depth 0 would start (and at its end drop) the engine's tape, which the outer pass still needs.
        const tape = engineState().activeTape;
        try {
          return tf.grads((...ys: tf.Tensor[]) => f(true, ...ys))(saved, dy as tf.Tensor);
        } finally {
          engineState().activeTape = tape;
        }
      },
    };
  });
  return node(...inputs);
};

/**
 * The official norm: `F.batch_norm(x, running_mean, running_var, training=self.training, momentum=0.1)`
 * called directly (SynchronizedBatchNorm2d on one device), which updates the running mean and the
 * running (unbiased) variance in training mode but never counts `num_batches_tracked`.
 */
const norm = (p: BatchNormParams, x: tf.Tensor4D, m: NormMode): tf.Tensor4D => {
  const y = batchNorm(p, x, m.training, false);
  if (m.training && (m.updateStats ?? true)) {
    // Outside the tape: the statistics get no gradient, and a taped `tf.moments` would keep its
    // activation-sized x − mean (saved by `Square`) until the backward pass ends.
    untaped(() => tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const count = x.shape[0] * x.shape[1] * x.shape[2];
      p.runningMean.assign(tf.add(tf.mul(p.runningMean, 1 - p.momentum), tf.mul(mean, p.momentum)) as tf.Tensor1D);
      p.runningVar.assign(tf.add(tf.mul(p.runningVar, 1 - p.momentum), tf.mul(variance, (p.momentum * count) / Math.max(count - 1, 1))) as tf.Tensor1D);
    }));
  }
  return y;
};

// ---------------------------------------------------------------------------
// SPADE and its residual block
// ---------------------------------------------------------------------------

/** GANSeg's `SPADE`: `(1 + γ(e))·BN(x) + β(e)`, γ, β = conv3×3(LeakyReLU(conv3×3(e))). */
export interface GanSegSpade {
  /** `norm` (affine-free). */
  readonly norm: BatchNormParams;
  /** `conv`: embedding → hidden, 3×3. */
  readonly conv: Conv2dParams;
  /** `conv_gamma`: hidden → C, 3×3. */
  readonly convGamma: Conv2dParams;
  /** `conv_beta`: hidden → C, 3×3. */
  readonly convBeta: Conv2dParams;
}

/**
 * Create a GANSeg SPADE for `channels` features conditioned on an `embedding`-channel map.
 *
 * @example
 * ```ts
 * const s = createGanSegSpade(512, 64, 128, rng);
 * ```
 */
export const createGanSegSpade = (channels: number, embedding: number, hidden: number, rng: Rng): GanSegSpade => ({
  norm: createPlainBatchNorm(channels),
  conv: createGanSegConv(embedding, hidden, 3, rng.fork('conv')),
  convGamma: createGanSegConv(hidden, channels, 3, rng.fork('conv_gamma')),
  convBeta: createGanSegConv(hidden, channels, 3, rng.fork('conv_beta')),
});

/**
 * SPADE on x [N,H,W,C] with an embedding map e [N,H,W,E] of the same side.
 *
 * @example
 * ```ts
 * const y = ganSegSpade(s, x, emb, { training: false });
 * ```
 */
export const ganSegSpade = (p: GanSegSpade, x: tf.Tensor4D, e: tf.Tensor4D, m: NormMode): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('ganSegSpade', e, [x.shape[0], x.shape[1], x.shape[2], null], 'embedding');
    const spade = (q: GanSegSpade, xx: tf.Tensor4D, ee: tf.Tensor4D, mm: NormMode): tf.Tensor4D => {
      const h = tf.leakyRelu(convSame(q.conv, ee), GANSEG_SLOPE);
      return tf.add(tf.mul(tf.add(convSame(q.convGamma, h), 1), norm(q.norm, xx, mm)), convSame(q.convBeta, h));
    };
    if (!m.recompute) return spade(p, x, e, m);
    // The convs' weights as inputs of the recomputed node, so their gradients come out of it.
    const convs = [p.conv, p.convGamma, p.convBeta];
    const weights = convs.flatMap((c) => (c.bias ? [c.weight, c.bias] : [c.weight]));
    return recomputed((again, xx, ee, ...ws) => {
      let i = 0;
      const [conv, convGamma, convBeta] = convs.map((c) => ({ weight: ws[i++], bias: c.bias ? ws[i++] : undefined }) as Conv2dParams);
      // The recomputation leaves the running statistics alone: the forward has updated them.
      return spade({ ...p, conv: conv!, convGamma: convGamma!, convBeta: convBeta! }, xx as tf.Tensor4D, ee as tf.Tensor4D, again ? { ...m, updateStats: false } : m);
    }, [x, e, ...weights]) as tf.Tensor4D;
  });

const spadeVars = (p: GanSegSpade): tf.Variable[] => [...layerVariables(p.conv), ...layerVariables(p.convGamma), ...layerVariables(p.convBeta)];

/** GANSeg's `SPADEResBlk`: conv(lrelu(SPADE(·))) twice, plus conv(SPADE(x)) as shortcut when widths differ. */
export interface GanSegSpadeBlock {
  /** `spade1`. */
  readonly spade1: GanSegSpade;
  /** `conv1`: in → min(in, out). */
  readonly conv1: Conv2dParams;
  /** `spade2`. */
  readonly spade2: GanSegSpade;
  /** `conv2`: min(in, out) → out. */
  readonly conv2: Conv2dParams;
  /** `spade_shortcut` and `conv_shortcut`, when in ≠ out (`learn_shortcut`). */
  readonly shortcut?: {
    /** `spade_shortcut`. */
    readonly spade: GanSegSpade;
    /** `conv_shortcut` (3×3). */
    readonly conv: Conv2dParams;
  };
}

/**
 * Create a SPADE residual block `in → out` conditioned on an `embedding`-channel map.
 *
 * @example
 * ```ts
 * const b = createGanSegSpadeBlock(512, 256, 64, 128, rng);
 * ```
 */
export const createGanSegSpadeBlock = (cin: number, cout: number, embedding: number, hidden: number, rng: Rng): GanSegSpadeBlock => {
  const mid = Math.min(cin, cout);
  return {
    spade1: createGanSegSpade(cin, embedding, hidden, rng.fork('spade1')),
    conv1: createGanSegConv(cin, mid, 3, rng.fork('conv1')),
    spade2: createGanSegSpade(mid, embedding, hidden, rng.fork('spade2')),
    conv2: createGanSegConv(mid, cout, 3, rng.fork('conv2')),
    ...(cin !== cout ? { shortcut: { spade: createGanSegSpade(cin, embedding, hidden, rng.fork('spade_shortcut')), conv: createGanSegConv(cin, cout, 3, rng.fork('conv_shortcut')) } } : {}),
  };
};

/**
 * Apply a SPADE residual block: x [N,H,W,in], e [N,H,W,E] → [N,H,W,out].
 *
 * @example
 * ```ts
 * const y = ganSegSpadeBlock(b, x, emb, { training: true });
 * ```
 */
export const ganSegSpadeBlock = (p: GanSegSpadeBlock, x: tf.Tensor4D, e: tf.Tensor4D, m: NormMode): tf.Tensor4D =>
  tf.tidy(() => {
    let y = convSame(p.conv1, tf.leakyRelu(ganSegSpade(p.spade1, x, e, m), GANSEG_SLOPE));
    y = convSame(p.conv2, tf.leakyRelu(ganSegSpade(p.spade2, y, e, m), GANSEG_SLOPE));
    const s = p.shortcut ? convSame(p.shortcut.conv, ganSegSpade(p.shortcut.spade, x, e, m)) : x;
    return tf.add(y, s);
  });

/**
 * Trainable variables of a SPADE block (running statistics excluded).
 *
 * @example
 * ```ts
 * const vars = ganSegSpadeBlockVariables(b);
 * ```
 */
export const ganSegSpadeBlockVariables = (p: GanSegSpadeBlock): tf.Variable[] => [
  ...spadeVars(p.spade1), ...layerVariables(p.conv1), ...spadeVars(p.spade2), ...layerVariables(p.conv2),
  ...(p.shortcut ? [...spadeVars(p.shortcut.spade), ...layerVariables(p.shortcut.conv)] : []),
];

/**
 * Batch-norm state of a SPADE block (running mean, variance, batches seen of every norm).
 *
 * @example
 * ```ts
 * const state = ganSegSpadeBlockState(b);
 * ```
 */
export const ganSegSpadeBlockState = (p: GanSegSpadeBlock): tf.Variable[] =>
  [p.spade1, p.spade2, ...(p.shortcut ? [p.shortcut.spade] : [])].flatMap((s) => bnState(s.norm));

// ---------------------------------------------------------------------------
// AdaIN and its block
// ---------------------------------------------------------------------------

/** GANSeg's `AdaIN`: `(1 + γ(w))·BN(x) + β(w)`, γ, β = linear(LeakyReLU(linear(w))). */
export interface GanSegAdain {
  /** `norm` (affine-free). */
  readonly norm: BatchNormParams;
  /** `conv` (a linear layer): embedding → hidden. */
  readonly linear: LinearParams;
  /** `conv_gamma` (linear): hidden → C. */
  readonly linearGamma: LinearParams;
  /** `conv_beta` (linear): hidden → C. */
  readonly linearBeta: LinearParams;
}

/** GANSeg's `AdaINResBlk` (no residual despite the name): conv3×3(LeakyReLU(AdaIN(x, w))). */
export interface GanSegAdainBlock {
  /** `spade1` (an AdaIN, named so in the official code). */
  readonly adain: GanSegAdain;
  /** `conv1`: in → out. */
  readonly conv1: Conv2dParams;
}

/**
 * Create an AdaIN block `in → out` driven by an `embedding`-dim vector.
 *
 * @example
 * ```ts
 * const b = createGanSegAdainBlock(512, 256, 64, 128, rng);
 * ```
 */
export const createGanSegAdainBlock = (cin: number, cout: number, embedding: number, hidden: number, rng: Rng): GanSegAdainBlock => ({
  adain: {
    norm: createPlainBatchNorm(cin),
    linear: createGanSegLinear(embedding, hidden, rng.fork('conv')),
    linearGamma: createGanSegLinear(hidden, cin, rng.fork('conv_gamma')),
    linearBeta: createGanSegLinear(hidden, cin, rng.fork('conv_beta')),
  },
  conv1: createGanSegConv(cin, cout, 3, rng.fork('conv1')),
});

/**
 * Apply an AdaIN block: x [N,H,W,in], w [N,E] → [N,H,W,out].
 *
 * @example
 * ```ts
 * const y = ganSegAdainBlock(b, x, wBg, { training: false });
 * ```
 */
export const ganSegAdainBlock = (p: GanSegAdainBlock, x: tf.Tensor4D, w: tf.Tensor2D, m: NormMode): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, , , c] = x.shape;
    const a = p.adain;
    const s = tf.leakyRelu(linear(a.linear, w), GANSEG_SLOPE);
    const gamma = linear(a.linearGamma, s).reshape([n, 1, 1, c]), beta = linear(a.linearBeta, s).reshape([n, 1, 1, c]);
    const y: tf.Tensor4D = tf.add(tf.mul(tf.add(gamma, 1), norm(a.norm, x, m)), beta);
    return convSame(p.conv1, tf.leakyRelu(y, GANSEG_SLOPE));
  });

/**
 * Trainable variables of an AdaIN block.
 *
 * @example
 * ```ts
 * const vars = ganSegAdainBlockVariables(b);
 * ```
 */
export const ganSegAdainBlockVariables = (p: GanSegAdainBlock): tf.Variable[] => [
  ...layerVariables(p.adain.linear), ...layerVariables(p.adain.linearGamma), ...layerVariables(p.adain.linearBeta), ...layerVariables(p.conv1),
];

/**
 * Batch-norm state of an AdaIN block.
 *
 * @example
 * ```ts
 * const state = ganSegAdainBlockState(b);
 * ```
 */
export const ganSegAdainBlockState = (p: GanSegAdainBlock): tf.Variable[] => bnState(p.adain.norm);

// ---------------------------------------------------------------------------
// MLPs, positional embedding, padding and resampling
// ---------------------------------------------------------------------------

/**
 * The official MLPs: `LinearLeakyReLU` × (layers − 1), then a plain `nn.Linear`.
 *
 * @example
 * ```ts
 * const mlp = createGanSegMlp([256, 256, 256, 256, 64], rng); // gen_background_embedding
 * ```
 */
export const createGanSegMlp = (widths: readonly number[], rng: Rng): LinearParams[] =>
  widths.slice(1).map((w, i) => createGanSegLinear(widths[i] as number, w, rng.fork(`${i}`)));

/**
 * Apply an MLP of {@link createGanSegMlp}: LeakyReLU(0.2) after every layer but the last.
 *
 * @example
 * ```ts
 * const w = ganSegMlp(mlp, z); // [N,256] → [N,64]
 * ```
 */
export const ganSegMlp = (layers: readonly LinearParams[], x: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => layers.reduce<tf.Tensor2D>((h, l, i) => (i < layers.length - 1 ? tf.leakyRelu(linear(l, h), GANSEG_SLOPE) : linear(l, h)), x));

/**
 * `PositionalEmbedding`: `[sin(π·conv1×1(d)), cos(π·conv1×1(d))]` over channels; d [N,H,W,2P] → [N,H,W,2·⌊C/2⌋].
 *
 * @example
 * ```ts
 * const m0 = positionalEmbedding(pe, offsets); // the mask start tensor M⁽⁰⁾
 * ```
 */
export const positionalEmbedding = (pe: Conv2dParams, d: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const x: tf.Tensor4D = tf.mul(conv2d(pe, d), Math.PI);
    return tf.concat([tf.sin(x), tf.cos(x)], 3) as tf.Tensor4D;
  });

/**
 * `nn.ReplicationPad2d(p)` in NHWC: edge rows and columns repeated p times.
 *
 * @example
 * ```ts
 * const y = replicationPad(x, 10); // [N,H+20,W+20,C]
 * ```
 */
export const replicationPad = (x: tf.Tensor4D, p: number): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const rows = tf.concat([tf.tile(x.slice([0, 0, 0, 0], [n, 1, w, c]), [1, p, 1, 1]), x, tf.tile(x.slice([0, h - 1, 0, 0], [n, 1, w, c]), [1, p, 1, 1])], 1);
    const hh = h + 2 * p;
    return tf.concat([tf.tile(rows.slice([0, 0, 0, 0], [n, hh, 1, c]), [1, 1, p, 1]), rows, tf.tile(rows.slice([0, 0, w - 1, 0], [n, hh, 1, c]), [1, 1, p, 1])], 2);
  });

/**
 * Drop `e` pixels on each side (the official `crop`).
 *
 * @example
 * ```ts
 * const y = cropBorder(x, 10); // [N,H−20,W−20,C]
 * ```
 */
export const cropBorder = (x: tf.Tensor4D, e: number): tf.Tensor4D =>
  tf.slice(x, [0, e, e, 0], [x.shape[0], x.shape[1] - 2 * e, x.shape[2] - 2 * e, x.shape[3]]);

/**
 * `F.interpolate(x, size, mode='bilinear', align_corners=False)` (half-pixel centres, no antialias).
 *
 * @example
 * ```ts
 * const y = resizeBilinearTorch(x, 32);
 * ```
 */
export const resizeBilinearTorch = (x: tf.Tensor4D, size: number): tf.Tensor4D =>
  x.shape[1] === size && x.shape[2] === size ? (tf.clone(x) as tf.Tensor4D) : tf.image.resizeBilinear(x, [size, size], false, true);

/**
 * The official step between blocks of different sizes: ×2 bilinear (align_corners false) of the
 * extended map, then crop `e` per side, so a (S + 2e)² map becomes (2S + 2e)².
 *
 * @example
 * ```ts
 * const y = upsampleCrop(x, 10); // [N,28,28,C] → [N,36,36,C]
 * ```
 */
export const upsampleCrop = (x: tf.Tensor4D, e: number): tf.Tensor4D =>
  tf.tidy(() => cropBorder(resizeBilinearTorch(x, 2 * x.shape[1]), e));
