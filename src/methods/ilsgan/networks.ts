/**
 * The NVlabs StyleGAN2-ADA generator pieces ILSGAN uses (qrzou/ILSGAN `training/networks.py`,
 * unchanged from NVlabs/stylegan2-ada-pytorch): `MappingNetwork`, and `SynthesisNetwork` with
 * `SynthesisBlock` (architecture 'skip'), `SynthesisLayer`, `ToRGBLayer`. Built on our nn/
 * layers where they compute the same thing; parameters keep NVlabs' names in the weight map.
 *
 * What differs from rosinality's StyleGAN2 (src/models/stylegan2/): the mapping normalizes z
 * by its second moment and has no pixel-norm layer of its own; `FullyConnectedLayer` is our
 * `EqualLinear` (gain lr/√in, bias·lr); the synthesis conv uses its weight unscaled (weight
 * demodulation cancels any gain), toRGB scales its styles by 1/√I instead of its weight; noise
 * is `noise_const · noise_strength` (a [R,R] buffer per layer) added after demodulation; bias,
 * leaky ReLU (0.2, gain √2) and a clamp to ±`conv_clamp` follow (toRGB: bias and clamp only);
 * the 4×4 input is `b4.const`; ws are split per block (conv0, conv1, torgb; b4: conv1, torgb).
 * Upsampling (transposed conv + [1,3,3,1] FIR, gain 4; skip images by `upsample2d`) is the
 * same computation as rosinality's.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../core/rng.ts';
import { assertShape } from '../../core/tensor.ts';
import { createEqualLinear, equalLinear, equalLinearVariables, type EqualLinear } from '../../nn/equalized.ts';
import { constantVariable, normalVariable } from '../../nn/init.ts';
import { randomNoise } from '../../nn/noise.ts';
import { upsample2d } from '../../nn/upfirdn.ts';
import { storedToTensor, hwioFromOihw, oihwFromHwio, inOutFromOutIn, outInFromInOut, reshapedTo, type WeightTargets } from '../../io/weights.ts';
import type { StoredTensor } from '../../io/state-dict.ts';
import { clampSymmetric, leakyReluClamp, modulatedConvLean } from './ops.ts';

/** FIR taps of every resampling (`resample_filter`). NVlabs: [1, 3, 3, 1]. */
export const RESAMPLE_TAPS = [1, 3, 3, 1] as const;

/**
 * Per-layer noise: `'const'` (each layer's `noise_const` buffer; the official generation
 * scripts), `'random'` (fresh N(0,1) per sample; the official training default, needs an Rng),
 * `'none'`.
 */
export type NoiseMode = 'const' | 'random' | 'none';

// ---------------------------------------------------------------------------
// Mapping network
// ---------------------------------------------------------------------------

/** Parameters of an NVlabs `MappingNetwork` (unconditional: `c_dim = 0`). */
export interface MappingParams {
  /** `fc0` … `fc{L−1}`, leaky ReLU, lr multiplier (0.01). */
  readonly fcs: readonly EqualLinear[];
  /** Tracked average W [wDim] (`w_avg`, a buffer: not trainable). */
  readonly wAvg: tf.Variable;
  /** How many ws are broadcast (the synthesis network's `num_ws`). */
  readonly numWs: number;
}

/**
 * A mapping network with NVlabs' initialisation (weights N(0,1)/lr, biases 0, w_avg 0).
 *
 * @example
 * ```ts
 * const m = createMapping({ zDim: 512, wDim: 512, layers: 8, lrMultiplier: 0.01, numWs: 10 }, rng);
 * ```
 */
export const createMapping = (o: { zDim: number; wDim: number; layers: number; lrMultiplier: number; numWs: number }, rng: Rng): MappingParams => ({
  fcs: Array.from({ length: o.layers }, (_, i) =>
    createEqualLinear({ inDim: i === 0 ? o.zDim : o.wDim, outDim: o.wDim, lrMul: o.lrMultiplier, activation: true }, rng)),
  wAvg: (() => { const v = constantVariable([o.wDim], 0, 'mapping.w_avg'); v.trainable = false; return v; })(),
  numWs: o.numWs,
});

/**
 * z [N,zDim] → ws [N,numWs,wDim]: z·rsqrt(mean z² + 1e-8), the FC stack, broadcast, then
 * truncation toward `w_avg` (w_avg + ψ·(w − w_avg), every ws; `truncation_cutoff` None).
 *
 * @example
 * ```ts
 * const ws = mapping(m, z, 0.7); // [N,numWs,wDim]
 * ```
 */
export const mapping = (p: MappingParams, z: tf.Tensor2D, truncation = 1): tf.Tensor3D =>
  tf.tidy(() => {
    assertShape('mapping', z, [null, p.fcs[0]?.weight.shape[0] as number], 'z');
    let x: tf.Tensor2D = tf.mul(z, tf.rsqrt(tf.add(tf.mean(tf.square(z), 1, true), 1e-8)));
    for (const fc of p.fcs) x = equalLinear(fc, x); // [N,wDim]
    if (truncation !== 1) x = tf.add(p.wAvg, tf.mul(tf.sub(x, p.wAvg), truncation));
    return tf.tile(tf.expandDims(x, 1), [1, p.numWs, 1]) as tf.Tensor3D;
  });

// ---------------------------------------------------------------------------
// Synthesis layers
// ---------------------------------------------------------------------------

/** Parameters of an NVlabs `SynthesisLayer` (3×3 modulated conv, optional 2× up). */
export interface SynthesisLayerParams {
  /** W → styles [I] (`affine`, bias init 1). */
  readonly affine: EqualLinear;
  /** HWIO [3,3,I,O], used unscaled (demodulated). */
  readonly weight: tf.Variable;
  /** Scalar `noise_strength` (init 0). */
  readonly noiseStrength: tf.Variable;
  /** [O] `bias`. */
  readonly bias: tf.Variable;
  /** [R,R] `noise_const` buffer (not trainable). */
  readonly noiseConst: tf.Variable;
  /** 2× upsampling (`conv0` of every block after 4×4). */
  readonly up: boolean;
}

const buffer = (v: tf.Variable): tf.Variable => { v.trainable = false; return v; };

const createSynthesisLayer = (cIn: number, cOut: number, wDim: number, res: number, up: boolean, rng: Rng): SynthesisLayerParams => ({
  affine: createEqualLinear({ inDim: wDim, outDim: cIn, biasInit: 1 }, rng),
  weight: normalVariable([3, 3, cIn, cOut], rng, 1, 'synthesis.weight'),
  noiseStrength: constantVariable([], 0, 'synthesis.noise_strength'),
  bias: constantVariable([cOut], 0, 'synthesis.bias'),
  noiseConst: buffer(normalVariable([res, res], rng, 1, 'synthesis.noise_const')),
  up,
});

/** Noise settings for one synthesis pass. */
export interface SynthesisNoise {
  /** See {@link NoiseMode}. */
  readonly mode: NoiseMode;
  /** Required for `'random'`. */
  readonly rng?: Rng;
}

const synthesisLayer = (p: SynthesisLayerParams, x: tf.Tensor4D, w: tf.Tensor2D, noise: SynthesisNoise, clamp: number): tf.Tensor4D =>
  tf.tidy(() => {
    const styles = equalLinear(p.affine, w); // [N,I]
    let y = modulatedConvLean(x, p.weight as tf.Tensor4D, styles, { demodulate: true, upsample: p.up, blurKernel: RESAMPLE_TAPS }); // [N,R,R,O]
    const [n, r] = y.shape;
    if (noise.mode === 'const') y = tf.add(y, tf.mul(p.noiseConst.reshape([1, r, r, 1]), p.noiseStrength));
    if (noise.mode === 'random') y = tf.add(y, tf.mul(randomNoise(n, r, r, noise.rng as Rng), p.noiseStrength));
    return leakyReluClamp(y, p.bias as tf.Tensor1D, clamp);
  });

/** Parameters of an NVlabs `ToRGBLayer` (1×1 modulated conv, no demodulation). */
export interface ToRGBParams {
  /** W → styles [I] (bias init 1). */
  readonly affine: EqualLinear;
  /** HWIO [1,1,I,C]. */
  readonly weight: tf.Variable;
  /** [C]. */
  readonly bias: tf.Variable;
}

const toRGB = (p: ToRGBParams, x: tf.Tensor4D, w: tf.Tensor2D, clamp: number): tf.Tensor4D =>
  tf.tidy(() => {
    const cIn = p.weight.shape[2] as number;
    const styles = tf.mul(equalLinear(p.affine, w), 1 / Math.sqrt(cIn)) as tf.Tensor2D; // weight_gain on the styles
    const y = modulatedConvLean(x, p.weight as tf.Tensor4D, styles, { demodulate: false, upsample: false, blurKernel: RESAMPLE_TAPS });
    return clampSymmetric(tf.add(y, p.bias) as tf.Tensor4D, clamp);
  });

// ---------------------------------------------------------------------------
// Synthesis network
// ---------------------------------------------------------------------------

/** One `SynthesisBlock` (architecture 'skip', two convs per resolution). */
export interface SynthesisBlockParams {
  /** Side of the block's output. */
  readonly resolution: number;
  /** 4×4 block only: `const` as [1,4,4,C]. */
  readonly constant?: tf.Variable;
  /** Upsampling conv (blocks after 4×4). */
  readonly conv0?: SynthesisLayerParams;
  /** Second conv (the only one at 4×4). */
  readonly conv1: SynthesisLayerParams;
  /** `torgb`. */
  readonly torgb: ToRGBParams;
}

/** An NVlabs `SynthesisNetwork`. */
export interface SynthesisParams {
  /** Blocks b4 … bR. */
  readonly blocks: readonly SynthesisBlockParams[];
  /** ws it consumes: 2·log2(R) − 2. */
  readonly numWs: number;
  /** `conv_clamp`. */
  readonly convClamp: number;
}

/**
 * A synthesis network with NVlabs' initialisation (const, weights, noise_const N(0,1); biases
 * and noise strengths 0). `channels` maps each side 4 … R to its width.
 *
 * @example
 * ```ts
 * const s = createSynthesis({ channels: synthesisChannels(ILSGAN_64), wDim: 512, imgChannels: 4, convClamp: 256 }, rng);
 * ```
 */
export const createSynthesis = (o: { channels: ReadonlyMap<number, number>; wDim: number; imgChannels: number; convClamp: number }, rng: Rng): SynthesisParams => {
  const blocks: SynthesisBlockParams[] = [];
  for (const [res, c] of o.channels) {
    const cPrev = o.channels.get(res / 2);
    const torgb: ToRGBParams = {
      affine: createEqualLinear({ inDim: o.wDim, outDim: c, biasInit: 1 }, rng),
      weight: normalVariable([1, 1, c, o.imgChannels], rng, 1, 'torgb.weight'),
      bias: constantVariable([o.imgChannels], 0, 'torgb.bias'),
    };
    blocks.push(cPrev === undefined
      ? { resolution: res, constant: normalVariable([1, 4, 4, c], rng, 1, 'synthesis.const'), conv1: createSynthesisLayer(c, c, o.wDim, res, false, rng), torgb }
      : { resolution: res, conv0: createSynthesisLayer(cPrev, c, o.wDim, res, true, rng), conv1: createSynthesisLayer(c, c, o.wDim, res, false, rng), torgb });
  }
  return { blocks, numWs: 2 * blocks.length, convClamp: o.convClamp };
};

/**
 * ws [N,numWs,wDim] → image [N,R,R,C] (C = 3, or 4 for the foreground's RGB + mask logit).
 * Block k reads ws from its first conv's index: b4 uses ws 0 (conv1), 1 (torgb); b8 uses
 * 1, 2 (conv0, conv1), 3 (torgb); …
 *
 * @example
 * ```ts
 * const img = synthesis(s, mapping(m, z), { mode: 'const' }); // [N,R,R,C]
 * ```
 */
export const synthesis = (p: SynthesisParams, ws: tf.Tensor3D, noise: SynthesisNoise): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('synthesis', ws, [null, p.numWs, null], 'ws');
    const n = ws.shape[0];
    // `SplitV` (native, contiguous copies) rather than `tf.unstack`, whose tfjs cpu kernel slices along
    // axis 1 element by element (~20–70 ms for a [4,10,512] ws). Same values and gradient (a concat).
    const w = tf.split(ws, p.numWs, 1).map((t) => t.reshape([n, ws.shape[2]])) as tf.Tensor2D[];
    let x: tf.Tensor4D | undefined;
    let img: tf.Tensor4D | undefined;
    let i = 0;
    for (const b of p.blocks) {
      if (b.constant) {
        x = tf.tile(b.constant, [n, 1, 1, 1]) as tf.Tensor4D;
      } else {
        x = synthesisLayer(b.conv0 as SynthesisLayerParams, x as tf.Tensor4D, w[i] as tf.Tensor2D, noise, p.convClamp);
        i += 1;
      }
      x = synthesisLayer(b.conv1, x, w[i] as tf.Tensor2D, noise, p.convClamp);
      const y = toRGB(b.torgb, x, w[i + 1] as tf.Tensor2D, p.convClamp);
      i += 1;
      img = img === undefined ? y : tf.add(upsample2d(img, RESAMPLE_TAPS), y);
    }
    return img as tf.Tensor4D;
  });

// ---------------------------------------------------------------------------
// Variables and weight names
// ---------------------------------------------------------------------------

const layerVariables = (l: SynthesisLayerParams): tf.Variable[] => [l.weight, l.noiseStrength, l.bias, l.noiseConst, ...equalLinearVariables(l.affine)];

/**
 * Every variable of a mapping network (w_avg last, not trainable).
 *
 * @example
 * ```ts
 * mappingVariables(m).length; // 2·L + 1
 * ```
 */
export const mappingVariables = (p: MappingParams): tf.Variable[] => [...p.fcs.flatMap(equalLinearVariables), p.wAvg];

/**
 * Every variable of a synthesis network (noise_const buffers are not trainable).
 *
 * @example
 * ```ts
 * synthesisVariables(s).filter((v) => v.trainable);
 * ```
 */
export const synthesisVariables = (p: SynthesisParams): tf.Variable[] =>
  p.blocks.flatMap((b) => [
    ...(b.constant ? [b.constant] : []), ...(b.conv0 ? layerVariables(b.conv0) : []), ...layerVariables(b.conv1),
    b.torgb.weight, b.torgb.bias, ...equalLinearVariables(b.torgb.affine),
  ]);

const same = { fromStored: storedToTensor };
const conv = { fromStored: hwioFromOihw, toStored: oihwFromHwio };
const fc = { fromStored: inOutFromOutIn, toStored: outInFromInOut };

const affineTargets = (t: WeightTargets, key: string, a: EqualLinear): void => {
  t.set(`${key}.weight`, { variable: a.weight, ...fc });
  t.set(`${key}.bias`, { variable: a.bias as tf.Variable, ...same });
};

/**
 * NVlabs key → variable for a mapping network under `prefix` (e.g. `mapping_fg`):
 * `fc{i}.weight` [out,in], `fc{i}.bias`, `w_avg`.
 *
 * @example
 * ```ts
 * const t: WeightTargets = new Map(); mappingTargets(t, 'mapping_bg', m);
 * ```
 */
export const mappingTargets = (t: WeightTargets, prefix: string, p: MappingParams): void => {
  p.fcs.forEach((f, i) => affineTargets(t, `${prefix}.fc${i}`, f));
  t.set(`${prefix}.w_avg`, { variable: p.wAvg, ...same });
};

const layerTargets = (t: WeightTargets, key: string, l: SynthesisLayerParams): void => {
  t.set(`${key}.weight`, { variable: l.weight, ...conv });
  t.set(`${key}.noise_strength`, { variable: l.noiseStrength, fromStored: reshapedTo([]) }); // a 0-d tensor in PyTorch; [1] accepted
  t.set(`${key}.bias`, { variable: l.bias, ...same });
  t.set(`${key}.noise_const`, { variable: l.noiseConst, ...same });
  affineTargets(t, `${key}.affine`, l.affine);
};

/**
 * NVlabs key → variable for a synthesis network under `prefix` (e.g. `synthesis_fg`):
 * `b4.const` [C,4,4], `b{r}.conv{0,1}.{weight,noise_strength,bias,noise_const,affine.*}`,
 * `b{r}.torgb.{weight,bias,affine.*}`. (`resample_filter` buffers: {@link resampleFilterKeys}.)
 *
 * @example
 * ```ts
 * const t: WeightTargets = new Map(); synthesisTargets(t, 'synthesis_bg', s);
 * ```
 */
export const synthesisTargets = (t: WeightTargets, prefix: string, p: SynthesisParams): void => {
  for (const b of p.blocks) {
    const k = `${prefix}.b${b.resolution}`;
    if (b.constant) {
      const c = b.constant.shape[3] as number;
      t.set(`${k}.const`, {
        variable: b.constant,
        fromStored: (s: StoredTensor) => tf.tidy(() => tf.transpose(storedToTensor(s), [1, 2, 0]).reshape([1, 4, 4, c])),
        toStored: (x: tf.Tensor) => tf.transpose(x.reshape([4, 4, c]), [2, 0, 1]),
      });
    }
    if (b.conv0) layerTargets(t, `${k}.conv0`, b.conv0);
    layerTargets(t, `${k}.conv1`, b.conv1);
    t.set(`${k}.torgb.weight`, { variable: b.torgb.weight, ...conv });
    t.set(`${k}.torgb.bias`, { variable: b.torgb.bias, ...same });
    affineTargets(t, `${k}.torgb.affine`, b.torgb.affine);
  }
};

/**
 * The keys of the `resample_filter` buffers NVlabs registers in a synthesis network (block and
 * conv layers; all `setup_filter([1,3,3,1])`, the same fixed [4,4] array).
 *
 * @example
 * ```ts
 * resampleFilterKeys('synthesis_bg', s); // ['synthesis_bg.b4.resample_filter', 'synthesis_bg.b4.conv1.resample_filter', …]
 * ```
 */
export const resampleFilterKeys = (prefix: string, p: SynthesisParams): string[] =>
  p.blocks.flatMap((b) => [
    `${prefix}.b${b.resolution}.resample_filter`,
    ...(b.conv0 ? [`${prefix}.b${b.resolution}.conv0.resample_filter`] : []),
    `${prefix}.b${b.resolution}.conv1.resample_filter`,
  ]);

/**
 * NVlabs `upfirdn2d.setup_filter([1,3,3,1])`: the outer product normalized to sum 1, [4,4] row-major.
 *
 * @example
 * ```ts
 * resampleFilter()[0]; // 1/64
 * ```
 */
export const resampleFilter = (): Float32Array => {
  const s = RESAMPLE_TAPS.reduce((a, b) => a + b, 0);
  return Float32Array.from(RESAMPLE_TAPS.flatMap((a) => RESAMPLE_TAPS.map((b) => (a * b) / (s * s))));
};
