// A linear "generator" whose foreground/background split is known:
// G(z) = base + Σ_k z_k P_k, with P_0 lightening a disc and darkening the rest,
// and P_1… smooth random patterns. The ideal direction is e_0 and its masks are the disc.
import * as tf from '@tensorflow/tfjs';
import type { Generator, SynthesizeOptions, SynthesizeResult } from '../../../src/models/generator.ts';
import { Rng } from '../../../src/core/rng.ts';

export const discMask = (res: number, cy: number, cx: number, radius: number): Float32Array => {
  const m = new Float32Array(res * res);
  for (let y = 0; y < res; y++) for (let x = 0; x < res; x++) m[y * res + x] = Math.hypot(y + 0.5 - cy, x + 0.5 - cx) < radius ? 1 : 0;
  return m;
};

export class TinyLinearGenerator implements Generator {
  readonly id: string;
  readonly latentDim: number;
  readonly resolution: number;
  readonly disc: Float32Array;
  readonly numClasses?: number;
  readonly wDim?: number;
  readonly mapToW?: (z: tf.Tensor2D, options?: { classes?: tf.Tensor1D | readonly number[] }) => tf.Tensor2D;
  /** Classes seen by the last synthesize call (for tests). */
  lastClasses: readonly number[] | undefined;
  private readonly basis: tf.Tensor2D; // [D, H*W*3]
  private readonly base: tf.Tensor1D; // [H*W*3]

  constructor(opts: { latentDim?: number; resolution?: number; id?: string; centre?: [number, number]; numClasses?: number; styleBased?: boolean } = {}) {
    this.lastClasses = undefined;
    if (opts.numClasses !== undefined) this.numClasses = opts.numClasses;
    if (opts.styleBased) {
      // W = −Z (a linear "mapping"), so the disc axis in W is −e_0 of Z.
      this.wDim = opts.latentDim ?? 8;
      this.mapToW = (z) => tf.neg(z);
    }
    this.latentDim = opts.latentDim ?? 8;
    this.resolution = opts.resolution ?? 16;
    this.id = opts.id ?? `tiny-linear-${this.latentDim}-${this.resolution}`;
    const r = this.resolution, p = r * r;
    const [cy, cx] = opts.centre ?? [r / 2, r / 2];
    this.disc = discMask(r, cy, cx, r / 4);
    const rng = new Rng('tiny-generator');
    const rows: number[] = [];
    const rgb = (f: (i: number) => number): number[] => Array.from({ length: p * 3 }, (_, k) => f(Math.floor(k / 3)));
    rows.push(...rgb((i) => 0.15 * ((this.disc[i] as number) > 0 ? 1 : -0.6)));
    for (let k = 1; k < this.latentDim; k++) {
      const fy = rng.uniform(0.5, 2.5), fx = rng.uniform(0.5, 2.5), ph = rng.uniform(0, 6.28);
      rows.push(...rgb((i) => 0.15 * Math.sin((fy * Math.floor(i / r) + fx * (i % r)) * (Math.PI / r) * 2 + ph)));
    }
    this.basis = tf.tensor2d(rows, [this.latentDim, p * 3]);
    this.base = tf.tensor1d(rgb((i) => ((this.disc[i] as number) > 0 ? 0.2 : -0.2)));
  }

  sampleLatent(n: number, rng: Rng): tf.Tensor2D {
    return tf.tensor2d(rng.normalArray(n * this.latentDim), [n, this.latentDim]);
  }

  synthesize(latents: tf.Tensor2D, options: SynthesizeOptions = {}): SynthesizeResult {
    const r = this.resolution;
    if (this.numClasses !== undefined) {
      if (!Array.isArray(options.classes) || options.classes.length !== latents.shape[0]) throw new Error('tiny generator: conditional, classes required');
      this.lastClasses = options.classes as readonly number[];
    }
    if (this.mapToW && !options.inputIsW) throw new Error('tiny generator: style-based test expects W input');
    const images = tf.tidy(() => {
      const z = this.mapToW ? tf.neg(latents) : latents; // W → the linear model's coordinates
      const cls = this.numClasses !== undefined ? tf.tensor2d((options.classes as number[]).map((c) => 0.05 * c), [latents.shape[0], 1]) : tf.scalar(0);
      return tf.add(tf.add(tf.matMul(z, this.basis), this.base), cls).reshape([latents.shape[0], r, r, 3]) as tf.Tensor4D;
    });
    return { images };
  }

  variables(): tf.Variable[] { return []; }
  dispose(): void { this.basis.dispose(); this.base.dispose(); }
}
