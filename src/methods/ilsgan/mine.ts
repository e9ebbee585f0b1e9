/**
 * MINE (Belghazi et al. 2018, https://arxiv.org/abs/1801.04062) as ILSGAN's `eval_MI_MINE.py`
 * uses it to measure how independent a layered generator's foreground and background are:
 * a statistics network `T(x, y) = W₂·relu(W₁·[x, y] + b₁) + b₂` (hidden 3000) trained to
 * maximise the Donsker–Varadhan bound `mean T(x, y) − log mean exp T(x, ỹ)` (ỹ: y re-drawn
 * with replacement within the batch), Adam 2e-4, batch 64, the learning rate cut ×0.1 when the
 * estimate on the training set stops rising (ReduceLROnPlateau, patience 10 estimates), and the
 * result the mean of the last 20 estimates.
 *
 * `regions: 'separate'` is the reference's `do_separate` with `sepmode='invis2vis'`: two
 * statistics networks, one for (fg·m, bg·m) and one for (bg·(1−m), fg·(1−m)), trained on the sum
 * of their losses; `'single'` is `layer2layer='bg2fg'`: (fg, bg) whole.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt, PositiveNumber, Probability } from '../../core/codec.ts';
import { ShapeError } from '../../core/errors.ts';
import { uniformVariable } from '../../nn/init.ts';
import type { Rng } from '../../core/rng.ts';
import { Adam } from '../../train/adam.ts';
import { TrainingError } from '../../train/errors.ts';

// ---------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------

/** Settings of the MINE estimate (`estimate_mi` in `eval_MI_MINE.py`). */
export const MineConfig = t.type({
  /** Hidden units of the statistics network. Reference: 3000. */
  hidden: PositiveInt,
  /** Adam learning rate (betas 0.9/0.999, eps 1e-8). Reference: 0.0002. */
  lr: PositiveNumber,
  /** Training batch. Reference: 64. */
  batchSize: PositiveInt,
  /** Training iterations (skipped batches do not count). Reference: 100 000. */
  iterations: PositiveInt,
  /** Iterations per tick (`niter_per_tick`). Reference: 20. */
  iterationsPerTick: PositiveInt,
  /** Ticks between estimates on the training set, which drive the plateau schedule (`est_mi_trainset_ticks`). Reference: 20. */
  evalEveryTicks: PositiveInt,
  /** Batch of the estimates. Reference: 128. */
  evalBatchSize: PositiveInt,
  /** ReduceLROnPlateau `factor`. Reference: 0.1. */
  plateauFactor: Probability,
  /** ReduceLROnPlateau `patience` (estimates). Reference: 10. */
  plateauPatience: NonNegativeInt,
  /** ReduceLROnPlateau relative `threshold` (mode max). Reference: 1e-4. */
  plateauThreshold: t.number,
  /** The result is the mean of this many last estimates. Reference: 20. */
  averageLast: PositiveInt,
  /** `separate` (visible/invisible regions, two networks) or `single` (whole layers, fg given bg). The reference runs both. */
  regions: t.union([t.literal('separate'), t.literal('single')]),
  /** Round the layers through 8-bit PNG values as the reference's sample files are (`x·127.5 + 128`, truncated). Reference: true. */
  quantize: t.boolean,
});
/** Settings of the MINE estimate. */
export type MineConfig = t.TypeOf<typeof MineConfig>;

/**
 * The reference's settings (`estimate_mi` defaults, `eval_MI` with `estimator='MINE'`), separate regions.
 *
 * @example
 * ```ts
 * const quick: MineConfig = { ...MINE_DEFAULTS, iterations: 2000 as PositiveInt, hidden: 256 as PositiveInt };
 * ```
 */
export const MINE_DEFAULTS: MineConfig = {
  hidden: 3000 as PositiveInt,
  lr: 0.0002 as PositiveNumber,
  batchSize: 64 as PositiveInt,
  iterations: 100000 as PositiveInt,
  iterationsPerTick: 20 as PositiveInt,
  evalEveryTicks: 20 as PositiveInt,
  evalBatchSize: 128 as PositiveInt,
  plateauFactor: 0.1 as Probability,
  plateauPatience: 10 as NonNegativeInt,
  plateauThreshold: 1e-4,
  averageLast: 20 as PositiveInt,
  regions: 'separate',
  quantize: true,
};

// ---------------------------------------------------------------------------
// The statistics network and the bound
// ---------------------------------------------------------------------------

/** `T(x, y)`: `nn.Linear(dx + dy, hidden) → ReLU → nn.Linear(hidden, 1)`, W₁ split into its x and y columns. */
export interface MineNet {
  /** W₁'s x part, [dx, hidden]. */
  readonly w1x: tf.Variable;
  /** W₁'s y part, [dy, hidden]. */
  readonly w1y: tf.Variable;
  /** b₁, [hidden]. */
  readonly b1: tf.Variable;
  /** W₂, [hidden, 1]. */
  readonly w2: tf.Variable;
  /** b₂, [1]. */
  readonly b2: tf.Variable;
}

/**
 * A statistics network with PyTorch's `nn.Linear` initialisation (weights and biases
 * U(−1/√fan_in, 1/√fan_in)), drawn from `rng`.
 *
 * @example
 * ```ts
 * const net = createMineNet(12, 12, 64, new Rng(0));
 * ```
 */
export const createMineNet = (dx: number, dy: number, hidden: number, rng: Rng): MineNet => {
  const b = 1 / Math.sqrt(dx + dy), b2 = 1 / Math.sqrt(hidden);
  // W₁ [dx+dy, hidden] drawn as its x rows, then its y rows
  return {
    w1x: uniformVariable([dx, hidden], rng, b, 'mine.w1x'),
    w1y: uniformVariable([dy, hidden], rng, b, 'mine.w1y'),
    b1: uniformVariable([hidden], rng, b, 'mine.b1'),
    w2: uniformVariable([hidden, 1], rng, b2, 'mine.w2'),
    b2: uniformVariable([1], rng, b2, 'mine.b2'),
  };
};

/** The variables of a {@link MineNet}, in a fixed order. */
export const mineVariables = (n: MineNet): tf.Variable[] => [n.w1x, n.w1y, n.b1, n.w2, n.b2];

/**
 * The Donsker–Varadhan bound of `MINE.forward`: `mean T(x, y) − log(mean exp T(x, y[shuffle]))`,
 * computed as the reference does (exp, then mean, then log: an overflow gives ±∞, which the
 * caller treats as the reference does). `x·W₁ₓ` and `y·W₁ᵧ` are computed once and the shuffled
 * pairs gather rows of `y·W₁ᵧ` — the same sums as the concatenated input, half the work.
 *
 * @example
 * ```ts
 * const lb = mineLowerBound(net, x, y, tf.tensor1d([2, 0, 0, 1], 'int32')); // scalar
 * ```
 */
export const mineLowerBound = (net: MineNet, x: tf.Tensor2D, y: tf.Tensor2D, shuffle: tf.Tensor1D): tf.Scalar =>
  tf.tidy(() => {
    if (x.shape[0] !== y.shape[0] || shuffle.shape[0] !== x.shape[0]) {
      throw new ShapeError('mineLowerBound', `x [${x.shape}], y [${y.shape}] and shuffle [${shuffle.shape}] need the same batch`);
    }
    const hx = tf.matMul(x, net.w1x); // [N,H]
    const hy = tf.matMul(y, net.w1y); // [N,H]
    const t0 = tf.add(tf.matMul(tf.relu(tf.add(tf.add(hx, hy), net.b1)), net.w2), net.b2); // [N,1]
    const t1 = tf.add(tf.matMul(tf.relu(tf.add(tf.add(hx, tf.gather(hy, shuffle)), net.b1)), net.w2), net.b2);
    return tf.sub(tf.mean(t0), tf.log(tf.mean(tf.exp(t1)))) as tf.Scalar;
  });

// ---------------------------------------------------------------------------
// ReduceLROnPlateau (mode max, relative threshold)
// ---------------------------------------------------------------------------

/** State of {@link plateauStep}. */
export interface PlateauState {
  /** Current learning rate. */
  readonly lr: number;
  /** Best value so far (−∞ at the start). */
  readonly best: number;
  /** Estimates since the last improvement. */
  readonly bad: number;
}

/**
 * One `ReduceLROnPlateau.step(value)` of PyTorch in mode `max`, threshold mode `rel`, no
 * cooldown, min lr 0: an improvement is `value > best·(1 + threshold)`; after more than
 * `patience` estimates without one, `lr ← lr·factor` (when that changes it by more than 1e-8)
 * and the count restarts.
 *
 * @example
 * ```ts
 * let s: PlateauState = { lr: 2e-4, best: -Infinity, bad: 0 };
 * s = plateauStep(s, 0.3, { factor: 0.1, patience: 10, threshold: 1e-4 });
 * ```
 */
export const plateauStep = (s: PlateauState, value: number, o: { readonly factor: number; readonly patience: number; readonly threshold: number }): PlateauState => {
  const better = value > s.best * (1 + o.threshold);
  const best = better ? value : s.best;
  const bad = better ? 0 : s.bad + 1;
  if (bad > o.patience) {
    const lr = Math.max(s.lr * o.factor, 0);
    return { lr: s.lr - lr > 1e-8 ? lr : s.lr, best, bad: 0 };
  }
  return { lr: s.lr, best, bad };
};

// ---------------------------------------------------------------------------
// Training on (x, y) pairs
// ---------------------------------------------------------------------------

/** One (x, y) pair set: row i of `x` goes with row i of `y`. */
export interface MinePair {
  /** [N, dx]. */
  readonly x: tf.Tensor2D;
  /** [N, dy]. */
  readonly y: tf.Tensor2D;
}

/** One estimate on the training set. */
export interface MineEstimate {
  /** Training iterations done when it was made. */
  readonly iteration: number;
  /** One value per pair set (nats). */
  readonly values: readonly number[];
}

/** What {@link trainMine} and {@link estimateMutualInformation} return. */
export interface MineResult {
  /** Per pair set: the mean of the last `averageLast` estimates on the training set (the paper's number, in nats). */
  readonly average: readonly number[];
  /** The sum of {@link MineResult.average} over the pair sets. */
  readonly total: number;
  /** Every estimate on the training set: `{ iteration, values }`, one value per pair set. */
  readonly estimates: readonly MineEstimate[];
  /** The learning rate at the end (after the plateau cuts). */
  readonly finalLr: number;
  /** Training iterations done. */
  readonly iterations: number;
  /** Batches skipped because a bound was not finite (the reference skips them too). */
  readonly skipped: number;
}

/** A progress report of {@link trainMine}. */
export interface MineProgress {
  /** Iterations done. */
  readonly iteration: number;
  /** Of. */
  readonly total: number;
  /** Estimates on the training set at this iteration (one per pair set). */
  readonly values: readonly number[];
  /** The current learning rate. */
  readonly lr: number;
}

/** The batch-mean estimate on all rows, batch by batch in order, each batch with its own re-draw (`compute_mi`). */
const estimateBatches = (nets: readonly MineNet[], pairs: readonly MinePair[], n: number, batch: number, rng: Rng): number[] => {
  const sums = nets.map(() => 0);
  let batches = 0;
  for (let start = 0; start < n; start += batch) {
    const size = Math.min(batch, n - start);
    batches += 1;
    nets.forEach((net, k) => {
      const idx = Int32Array.from({ length: size }, () => rng.int(0, size));
      const v = tf.tidy(() => {
        const p = pairs[k]!;
        const x = tf.slice(p.x, [start, 0], [size, -1]), y = tf.slice(p.y, [start, 0], [size, -1]);
        return mineLowerBound(net, x, y, tf.tensor1d(idx, 'int32'));
      });
      const value = v.dataSync()[0]!;
      v.dispose();
      sums[k] += Number.isFinite(value) ? value : 0; // forward() sets an abnormal bound to 0
    });
  }
  return sums.map((s) => s / batches);
};

/**
 * Train one statistics network per pair set (jointly, on the sum of their losses) and
 * estimate the mutual information of each, as `estimate_mi`: batches drawn from endless
 * seeded reshuffles of the rows, the ỹ re-draw with replacement per batch and per network,
 * an estimate on all rows every `iterationsPerTick·evalEveryTicks` iterations (and at the
 * end) that drives the plateau schedule, and a batch whose bound is not finite skipped (its
 * iteration does not count; 1000 in a row raise a `TrainingError` where the reference would
 * loop forever). Leaves no tensors behind; the pair tensors stay the caller's.
 *
 * @example
 * ```ts
 * const r = trainMine([{ x, y }], { ...MINE_DEFAULTS, hidden: 64 as PositiveInt, iterations: 1000 as PositiveInt }, new Rng(0));
 * console.log(r.average[0]); // nats
 * ```
 */
export const trainMine = (pairs: readonly MinePair[], config: MineConfig, rng: Rng, onProgress?: (p: MineProgress) => void): MineResult => {
  const n = pairs[0]?.x.shape[0] ?? 0;
  if (pairs.length === 0 || n < 2) throw new ShapeError('trainMine', `need at least one pair set of at least 2 rows, got ${pairs.length} sets of ${n}`);
  for (const p of pairs) {
    if (p.x.shape[0] !== n || p.y.shape[0] !== n) throw new ShapeError('trainMine', `every x and y needs ${n} rows, got x [${p.x.shape}], y [${p.y.shape}]`);
  }
  const initRng = rng.fork('init'), orderRng = rng.fork('order'), drawRng = rng.fork('shuffle'), evalRng = rng.fork('estimate');
  const nets = pairs.map((p) => createMineNet(p.x.shape[1], p.y.shape[1], config.hidden, initRng));
  const vars = nets.flatMap(mineVariables);
  const opt = new Adam(vars, { lr: config.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8 as PositiveNumber });
  const plateau = { factor: config.plateauFactor, patience: config.plateauPatience, threshold: config.plateauThreshold };
  let sched: PlateauState = { lr: config.lr, best: -Infinity, bad: 0 };
  // The InfiniteSampler's role: an endless stream of row indices, reshuffled every pass.
  let order: number[] = [], cursor = 0;
  const nextIndices = (size: number): Int32Array => {
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      if (cursor >= order.length) { order = orderRng.shuffle(Array.from({ length: n }, (_, j) => j)); cursor = 0; }
      out[i] = order[cursor++]!;
    }
    return out;
  };
  const estimates: { iteration: number; values: number[] }[] = [];
  let iteration = 0, tick = 0, tickStart = 0, skipped = 0, skippedInRow = 0;
  const batch = Math.min(config.batchSize, n);
  try {
    while (iteration < config.iterations) {
      const rows = tf.tensor1d(nextIndices(batch), 'int32');
      const draws = nets.map(() => tf.tensor1d(Int32Array.from({ length: batch }, () => drawRng.int(0, batch)), 'int32'));
      const bounds: tf.Scalar[] = [];
      const { value, grads } = tf.variableGrads(() => {
        let loss = tf.scalar(0);
        nets.forEach((net, k) => {
          const p = pairs[k]!;
          const lb = mineLowerBound(net, tf.gather(p.x, rows), tf.gather(p.y, rows), draws[k]!);
          bounds.push(tf.keep(lb.clone()));
          loss = tf.sub(loss, lb);
        });
        return loss;
      }, vars);
      const lbs = bounds.map((b) => b.dataSync()[0]!);
      tf.dispose([rows, ...draws, ...bounds, value]);
      if (!lbs.every(Number.isFinite)) {
        tf.dispose(grads);
        skipped += 1;
        skippedInRow += 1;
        if (skippedInRow >= 1000) throw new TrainingError('trainMine', `1000 batches in a row gave a non-finite bound (at iteration ${iteration}); the data or lr ${sched.lr} make T overflow`);
        continue;
      }
      skippedInRow = 0;
      opt.apply(grads, sched.lr);
      tf.dispose(grads);
      iteration += 1;
      const done = iteration >= config.iterations;
      if (!done && iteration < tickStart + config.iterationsPerTick) continue;
      if (done || tick % config.evalEveryTicks === 0) {
        const values = estimateBatches(nets, pairs, n, config.evalBatchSize, evalRng);
        estimates.push({ iteration, values });
        sched = plateauStep(sched, values.reduce((a, b) => a + b, 0), plateau);
        onProgress?.({ iteration, total: config.iterations, values, lr: sched.lr });
      }
      tick += 1;
      tickStart = iteration;
    }
  } finally {
    opt.dispose();
    for (const v of vars) v.dispose();
  }
  const last = estimates.slice(-config.averageLast);
  const average = pairs.map((_, k) => last.reduce((a, e) => a + e.values[k]!, 0) / last.length);
  return { average, total: average.reduce((a, b) => a + b, 0), estimates, finalLr: sched.lr, iterations: iteration, skipped };
};

// ---------------------------------------------------------------------------
// On layers
// ---------------------------------------------------------------------------

/** The layers MINE reads: foreground and background in [-1, 1], the soft mask in [0, 1]. */
export interface MineLayers {
  /** [N,H,W,3]. */
  readonly foreground: tf.Tensor4D;
  /** [N,H,W,3]. */
  readonly background: tf.Tensor4D;
  /** [N,H,W,1]. */
  readonly mask: tf.Tensor4D;
}

/**
 * The values the reference's estimator reads back from its sample PNGs: images as
 * `uint8(clamp(x·127.5 + 128, 0, 255))/127.5 − 1`, the mask saved as `2m − 1` the same way
 * and read as `uint8(…)/255` (`save_layer`, `SynMIDataset`).
 *
 * @example
 * ```ts
 * const q = quantizeLayers({ foreground, background, mask }); // caller disposes
 * ```
 */
export const quantizeLayers = (l: MineLayers): MineLayers => tf.tidy(() => {
  const img = (x: tf.Tensor4D): tf.Tensor4D => tf.sub(tf.div(tf.floor(tf.clipByValue(tf.add(tf.mul(x, 127.5), 128), 0, 255)), 127.5), 1);
  const m = tf.div(tf.floor(tf.clipByValue(tf.add(tf.mul(tf.sub(tf.mul(l.mask, 2), 1), 127.5), 128), 0, 255)), 255) as tf.Tensor4D;
  return { foreground: img(l.foreground), background: img(l.background), mask: m } as unknown as tf.TensorContainer;
}) as unknown as MineLayers;

/**
 * The pair sets of `get_ILS_form_data`: `separate` (sepmode `invis2vis`) gives
 * x = [fg·m, bg·(1−m)], y = [bg·m, fg·(1−m)]; `single` (`bg2fg`) gives x = [fg], y = [bg].
 * Rows are flattened NHWC (the reference flattens NCHW: the same numbers in another column order,
 * which a fully-connected T does not see).
 *
 * @example
 * ```ts
 * const pairs = minePairs(layers, 'separate'); // two { x, y }, caller disposes
 * ```
 */
export const minePairs = (l: MineLayers, regions: MineConfig['regions']): MinePair[] => tf.tidy(() => {
  const n = l.foreground.shape[0];
  const flat = (x: tf.Tensor): tf.Tensor2D => tf.reshape(x, [n, -1]) as tf.Tensor2D;
  if (regions === 'single') return [{ x: flat(l.foreground), y: flat(l.background) }] as unknown as tf.TensorContainer;
  const inv = tf.sub(1, l.mask);
  return [
    { x: flat(tf.mul(l.foreground, l.mask)), y: flat(tf.mul(l.background, l.mask)) },
    { x: flat(tf.mul(l.background, inv)), y: flat(tf.mul(l.foreground, inv)) },
  ] as unknown as tf.TensorContainer;
}) as unknown as MinePair[];

/**
 * ILSGAN's MINE evaluation (`eval_MI_MINE.py`) on sampled layers: quantize as the reference's
 * files are (when `config.quantize`), form the pair sets of `config.regions`, train the
 * statistics networks and return the estimates (nats). `separate` gives two values
 * (visible→invisible: fg and bg under the mask, then outside it), `single` one.
 *
 * @example
 * ```ts
 * const l = layered.layers(z, { truncation: 1, noise: 'const' });
 * const r = estimateMutualInformation(l, { ...MINE_DEFAULTS, iterations: 2000 as PositiveInt }, new Rng(0));
 * console.log(r.average); // [MI₁, MI₂]
 * ```
 */
export const estimateMutualInformation = (layers: MineLayers, config: MineConfig, rng: Rng, onProgress?: (p: MineProgress) => void): MineResult => {
  const [n, h, w] = layers.foreground.shape;
  for (const [name, x, c] of [['background', layers.background, 3], ['mask', layers.mask, 1]] as const) {
    if (x.shape[0] !== n || x.shape[1] !== h || x.shape[2] !== w || x.shape[3] !== c) {
      throw new ShapeError('estimateMutualInformation', `${name} must be [${n},${h},${w},${c}] like the foreground [${layers.foreground.shape}], got [${x.shape}]`);
    }
  }
  const q = config.quantize ? quantizeLayers(layers) : undefined;
  const pairs = minePairs(q ?? layers, config.regions);
  if (q) tf.dispose([q.foreground, q.background, q.mask]);
  try {
    return trainMine(pairs, config, rng, onProgress);
  } finally {
    tf.dispose(pairs.flatMap((p) => [p.x, p.y]));
  }
};
