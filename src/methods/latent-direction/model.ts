/**
 * A learned latent direction and what it does: sampling latents in the right
 * space, shifting them, and turning the shift into masks.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator } from '../../models/generator.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch, type MaskBatch, type Module } from '../../core/tensor.ts';
import { ShapeError, WeightsError } from '../../core/errors.ts';
import type { DirectionVariant, LatentSpace } from './config.ts';
import { maskFromShift, postprocessMasks, type MaskFilterOptions, type MaskVerdict } from './masks.ts';

// ---------------------------------------------------------------------------
// Latents
// ---------------------------------------------------------------------------

/** Latents ready for {@link Generator.synthesize}, with the classes drawn for a conditional generator. */
export interface LatentBatch {
  /** [N, D] in the chosen space. */
  readonly latents: tf.Tensor2D;
  /** The space of `latents`. */
  readonly space: LatentSpace;
  /** Class index per latent (conditional generators only). */
  readonly classes?: readonly number[];
}

/**
 * Draw `n` latents from the generator's prior, mapped to W when `space` is `w`;
 * a conditional generator also gets one uniformly drawn class per latent.
 *
 * @example
 * ```ts
 * const b = sampleLatents(g, 8, 'z', new Rng(0));
 * ```
 */
export const sampleLatents = (g: Generator, n: number, space: LatentSpace, rng: Rng): LatentBatch => {
  const classes = g.numClasses !== undefined ? Array.from({ length: n }, () => rng.int(0, g.numClasses as number)) : undefined;
  const z = g.sampleLatent(n, rng);
  if (space === 'z') return classes ? { latents: z, space, classes } : { latents: z, space };
  if (!g.mapToW) {
    z.dispose();
    throw new ShapeError('sampleLatents', `space 'w' needs a style-based generator with mapToW; ${g.id} has none`);
  }
  const w = tf.tidy(() => (g.mapToW as NonNullable<Generator['mapToW']>)(z, classes ? { classes } : {}));
  z.dispose();
  return classes ? { latents: w, space, classes } : { latents: w, space };
};

/** Dimensionality of the latents of `space` for generator `g`. */
export const latentSize = (g: Generator, space: LatentSpace): number => {
  if (space === 'z') return g.latentDim;
  if (g.wDim === undefined) throw new ShapeError('latentSize', `space 'w' needs a style-based generator; ${g.id} has no wDim`);
  return g.wDim;
};

/**
 * Synthesize images for a latent batch (handling W input and classes).
 *
 * @example
 * ```ts
 * const img = synthesizeBatch(g, sampleLatents(g, 4, 'z', rng));
 * ```
 */
export const synthesizeBatch = (g: Generator, b: LatentBatch, latents: tf.Tensor2D = b.latents, truncation = 1): ImageBatch =>
  g.synthesize(latents, {
    ...(b.classes ? { classes: b.classes } : {}),
    ...(b.space === 'w' ? { inputIsW: true } : {}),
    ...(truncation !== 1 ? { truncation } : {}),
  }).images;

// ---------------------------------------------------------------------------
// The direction
// ---------------------------------------------------------------------------

/** What {@link LatentDirection.synthesizeMasks} returns. */
export interface SynthesizedMasks {
  /** Unshifted images G(z), [N,H,W,3]. */
  readonly images: ImageBatch;
  /** Masks after post-processing, [N,H,W,1] (for all N). */
  readonly masks: MaskBatch;
  /** Raw masks before post-processing, [N,H,W,1]. */
  readonly rawMasks: MaskBatch;
  /** The lighter image used for the histogram filter, [N,H,W,3]. */
  readonly shifted: ImageBatch;
  /** Per image: kept, or the filter that dropped it. */
  readonly verdicts: readonly MaskVerdict[];
  /** Indices of kept images. */
  readonly kept: readonly number[];
}

/** The images of the mask rule. */
export interface ShiftPair {
  /** G(z). */
  readonly original: ImageBatch;
  /** The lighter image: G(z + r·d) (dual: G(z + r·d₊)). */
  readonly lighter: ImageBatch;
  /** The darker image: G(z) (dual: G(z + r·d₋)). */
  readonly darker: ImageBatch;
}

/** Plain description of a direction (what is saved next to the vectors). */
export interface LatentDirectionInfo {
  /** {@link Generator.id} of the generator it was made for. */
  readonly generatorId: string;
  /** Variant. */
  readonly variant: DirectionVariant;
  /** Latent space. */
  readonly space: LatentSpace;
  /** Shift magnitude used to build masks. */
  readonly maskRadius: number;
}

/**
 * One unit-norm direction (or, for the `dual` variant, a lightening and a
 * darkening one) in a generator's latent space, bound to that generator's id.
 *
 * @example
 * ```ts
 * const d = LatentDirection.fromVectors(g, [1, 0, 0], { variant: 'single', space: 'z', maskRadius: 5 });
 * const { images, masks, kept } = d.synthesizeMasks(g, 16, new Rng(0), PAPER_MASK_FILTERS);
 * ```
 */
export class LatentDirection implements Module {
  /** Description (generator id, variant, space, mask radius). */
  readonly info: LatentDirectionInfo;
  /** The (lightening) direction, unit norm, [D]. */
  readonly vector: tf.Variable<tf.Rank.R1>;
  /** The darkening direction of the `dual` variant, unit norm, [D]. */
  readonly darkVector?: tf.Variable<tf.Rank.R1>;

  constructor(info: LatentDirectionInfo, vector: tf.Variable<tf.Rank.R1>, darkVector?: tf.Variable<tf.Rank.R1>) {
    if (info.variant === 'dual' && !darkVector) throw new ShapeError('LatentDirection', "variant 'dual' needs a dark vector");
    if (darkVector && darkVector.shape[0] !== vector.shape[0]) throw new ShapeError('LatentDirection', `dark vector has ${darkVector.shape[0]} entries, light has ${vector.shape[0]}`);
    this.info = info;
    this.vector = vector;
    if (darkVector) this.darkVector = darkVector;
  }

  /** Build from plain arrays (normalised to unit norm), checking the size against the generator. */
  static fromVectors(g: Generator, light: ArrayLike<number>, info: Omit<LatentDirectionInfo, 'generatorId'>, dark?: ArrayLike<number>): LatentDirection {
    const dim = latentSize(g, info.space);
    const mk = (v: ArrayLike<number>, name: string): tf.Variable<tf.Rank.R1> => {
      if (v.length !== dim) throw new ShapeError('LatentDirection.fromVectors', `${name} has ${v.length} entries, generator ${g.id} has ${info.space}-dim ${dim}`);
      return tf.tidy(() => {
        const x = tf.tensor1d(Float32Array.from(v));
        return tf.variable(tf.div(x, tf.maximum(tf.norm(x), 1e-12)) as tf.Tensor1D, false);
      });
    };
    return new LatentDirection({ generatorId: g.id, ...info }, mk(light, 'light'), dark ? mk(dark, 'dark') : undefined);
  }

  /** Throw a {@link WeightsError} unless this direction was made for `g`. */
  assertGenerator(g: Generator, where = 'LatentDirection'): void {
    if (g.id !== this.info.generatorId) throw new WeightsError(where, `direction was made for generator '${this.info.generatorId}', refusing generator '${g.id}'`);
    const dim = latentSize(g, this.info.space);
    if (dim !== this.vector.shape[0]) throw new WeightsError(where, `direction has ${this.vector.shape[0]} entries, generator ${this.info.space}-dim is ${dim}`);
  }

  /**
   * The (lighter, darker) image pair of the mask rule for the given latents:
   * single/background: (G(z + r·d), G(z)); dual: (G(z + r·d₊), G(z + r·d₋)).
   */
  shiftPair(g: Generator, b: LatentBatch, truncation = 1): ShiftPair {
    this.assertGenerator(g, 'LatentDirection.shiftPair');
    assertShape('LatentDirection.shiftPair', b.latents, [null, this.vector.shape[0]], 'latents');
    const r = this.info.maskRadius;
    const [original, lighter, darker] = tf.tidy(() => {
      const o = synthesizeBatch(g, b, b.latents, truncation);
      const l = synthesizeBatch(g, b, tf.add(b.latents, tf.mul(this.vector, r)) as tf.Tensor2D, truncation);
      const d = this.darkVector ? synthesizeBatch(g, b, tf.add(b.latents, tf.mul(this.darkVector, r)) as tf.Tensor2D, truncation) : tf.clone(o);
      return [o, l, d];
    }) as [ImageBatch, ImageBatch, ImageBatch];
    return { original, lighter, darker };
  }

  /**
   * Masks for given latents (e.g. embeddings of real images): raw shift rule then
   * the post-processing filters.
   */
  masksFor(g: Generator, b: LatentBatch, filters: MaskFilterOptions, truncation = 1): SynthesizedMasks {
    const { original, lighter, darker } = this.shiftPair(g, b, truncation);
    const rawMasks = maskFromShift(lighter, darker);
    darker.dispose();
    const p = postprocessMasks(rawMasks, lighter, filters);
    return { images: original, masks: p.masks, rawMasks, shifted: lighter, verdicts: p.verdicts, kept: p.kept };
  }

  /** Sample `n` latents and make their masks. */
  synthesizeMasks(g: Generator, n: number, rng: Rng, filters: MaskFilterOptions, truncation = 1): SynthesizedMasks {
    const b = sampleLatents(g, n, this.info.space, rng);
    try {
      return this.masksFor(g, b, filters, truncation);
    } finally {
      b.latents.dispose();
    }
  }

  /** Cosine similarity of the (light) vector with `v`. */
  cosine(v: ArrayLike<number>): number {
    const a = this.vector.dataSync();
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number, y = v[i] as number;
      dot += x * y; na += x * x; nb += y * y;
    }
    return dot / Math.sqrt(na * nb);
  }

  variables(): tf.Variable[] {
    return this.darkVector ? [this.vector, this.darkVector] : [this.vector];
  }

  dispose(): void {
    this.vector.dispose();
    this.darkVector?.dispose();
  }
}
