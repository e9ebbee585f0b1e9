/**
 * Spectrally normalised linear / convolution layers as BigGAN's two PyTorch
 * ports store them: the raw weight plus the power-iteration vectors, the
 * normalised weight computed on use (eval mode, nothing updated).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { constantVariable, normalVariable } from './init.ts';
import { bigganSpectralSigma, spectralNormalized, torchSpectralSigma } from './spectral-norm.ts';

/**
 * How σ is computed: `torch.nn.utils.spectral_norm` (stored u and v) or BigGAN-PyTorch's `SN` (one step from stored u).
 *
 * @example
 * ```ts
 * const torchStyle: SpectralNormStyle = { kind: 'torch' };
 * const bigganStyle: SpectralNormStyle = { kind: 'biggan', eps: 1e-4 };
 * ```
 */
export type SpectralNormStyle =
  | {
      /** `torch.nn.utils.spectral_norm`: σ = uᵀWv from the stored u and v. */
      readonly kind: 'torch';
    }
  | {
      /** BigGAN-PyTorch's `SN`: one power-iteration step from the stored u. */
      readonly kind: 'biggan';
      /** `F.normalize` epsilon (BigGAN-PyTorch `SN_eps`). */
      readonly eps: number;
    };

/** A spectrally normalised layer's stored tensors. */
export interface SnLayer {
  /** Raw weight: conv filter HWIO [kh,kw,I,O] or linear [I,O]. */
  readonly weight: tf.Variable;
  /** Bias [O], when the layer has one. */
  readonly bias?: tf.Variable;
  /** Left singular vector estimate [O] (`weight_u` / `u0`). */
  readonly u: tf.Variable;
  /** Right singular vector estimate [K] in the weight's row order (`weight_v`; torch style only). */
  readonly v?: tf.Variable;
}

/** Options of {@link createSnLayer}. */
export interface SnLayerOptions {
  /** Whether the layer has a bias. */
  readonly bias: boolean;
  /** Whether a stored `v` vector exists (torch style). */
  readonly withV: boolean;
  /** Variable-name prefix. */
  readonly name: string;
}

/**
 * A variable of N(0, std²) draws from `rng`, or zeros without one (for layers about to be loaded).
 *
 * @example
 * ```ts
 * const w = normalOrZeros([3, 3], undefined, 1, 'w'); // zeros
 * ```
 */
export const normalOrZeros = (shape: readonly number[], rng: Rng | undefined, std: number, name: string): tf.Variable =>
  rng ? normalVariable(shape, rng, std, name) : constantVariable(shape, 0, name);

/**
 * A randomly initialised layer of the given weight shape (conv HWIO or linear [I,O]);
 * all zeros when `rng` is undefined (the layer is about to receive stored weights).
 *
 * @example
 * ```ts
 * const conv = createSnLayer([3, 3, 16, 32], { bias: true, withV: true, name: 'conv_1' }, rng);
 * ```
 */
export const createSnLayer = (shape: readonly number[], options: SnLayerOptions, rng?: Rng): SnLayer => {
  const o = shape[shape.length - 1]!;
  const k = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return {
    weight: normalOrZeros(shape, rng, 1 / Math.sqrt(k), `${options.name}.weight`),
    ...(options.bias ? { bias: constantVariable([o], 0, `${options.name}.bias`) } : {}),
    u: normalOrZeros([o], rng, 1, `${options.name}.u`),
    ...(options.withV ? { v: normalOrZeros([k], rng, 1 / Math.sqrt(k), `${options.name}.v`) } : {}),
  };
};

/**
 * The layer's spectrally normalised weight W / σ.
 *
 * @example
 * ```ts
 * const w = snWeight(layer, { kind: 'biggan', eps: 1e-4 });
 * ```
 */
export const snWeight = (layer: SnLayer, style: SpectralNormStyle): tf.Tensor =>
  tf.tidy(() => {
    const sigma = style.kind === 'torch'
      ? torchSpectralSigma(layer.weight, layer.u as tf.Tensor as tf.Tensor1D, layer.v as tf.Tensor as tf.Tensor1D)
      : bigganSpectralSigma(layer.weight, layer.u as tf.Tensor as tf.Tensor1D, style.eps);
    return spectralNormalized(layer.weight as tf.Tensor, sigma);
  });

/**
 * Apply a spectrally normalised linear layer to `x` [N,I].
 *
 * @example
 * ```ts
 * const y = snLinear(layer, x, { kind: 'torch' }); // [N,O]
 * ```
 */
export const snLinear = (layer: SnLayer, x: tf.Tensor2D, style: SpectralNormStyle): tf.Tensor2D =>
  tf.tidy(() => {
    const y: tf.Tensor2D = tf.matMul(x, snWeight(layer, style) as tf.Tensor2D);
    return layer.bias ? (tf.add(y, layer.bias) as tf.Tensor2D) : y;
  });

/**
 * Apply a spectrally normalised convolution ('same' padding, stride 1) to `x` [N,H,W,I].
 *
 * @example
 * ```ts
 * const y = snConv(layer, x, { kind: 'torch' }); // [N,H,W,O]
 * ```
 */
export const snConv = (layer: SnLayer, x: tf.Tensor4D, style: SpectralNormStyle): tf.Tensor4D =>
  tf.tidy(() => {
    const y = tf.conv2d(x, snWeight(layer, style) as tf.Tensor4D, 1, 'same');
    return layer.bias ? (tf.add(y, layer.bias) as tf.Tensor4D) : y;
  });

/**
 * Every variable of a layer, in a stable order.
 *
 * @example
 * ```ts
 * const vars = snVariables(layer);
 * ```
 */
export const snVariables = (layer: SnLayer): tf.Variable[] =>
  [layer.weight, layer.bias, layer.u, layer.v].filter((v): v is tf.Variable => v !== undefined);
