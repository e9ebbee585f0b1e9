/**
 * Reference parameter names → our variables for both BigGAN generators and the
 * BigGAN-PyTorch discriminator, with
 * the layout conversions (OIHW → HWIO, [out,in] → [in,out], `weight_v` from
 * (I,kh,kw) to (kh,kw,I) order, `u0` [1,O] → [O]).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import {
  hwioFromOihw, inOutFromOutIn, oihwFromHwio, outInFromInOut, reshapedTo, sameLayout, storedToTensor,
  type WeightTarget, type WeightTargets,
} from '../../io/weights.ts';
import type { StoredTensor } from '../../io/state-dict.ts';
import type { SnLayer } from '../../nn/biggan-layers.ts';
import type { BigGANDeepParams } from './deep.ts';
import type { BigGANParams } from './biggan.ts';
import type { BigGANDiscriminatorParams } from './discriminator.ts';

const same = (variable: tf.Variable): WeightTarget => ({ variable, fromStored: sameLayout });

/** Raw weight target: conv HWIO ← OIHW, linear [I,O] ← [O,I], 1×1 conv as matrix [I,O] ← [O,I,1,1]. */
const weightTarget = (variable: tf.Variable, conv1x1AsMatrix = false): WeightTarget => {
  const s = variable.shape;
  if (s.length === 4) return { variable, fromStored: hwioFromOihw, toStored: oihwFromHwio };
  if (conv1x1AsMatrix) {
    const [i, o] = s as [number, number];
    return {
      variable, storedShape: [o, i, 1, 1],
      fromStored: (t: StoredTensor) => tf.tidy(() => storedToTensor(t).reshape([o, i]).transpose()),
      toStored: (x: tf.Tensor) => tf.transpose(x).reshape([o, i, 1, 1]),
    };
  }
  return { variable, fromStored: inOutFromOutIn, toStored: outInFromInOut };
};

/** `weight_v` target: stored over (I,kh,kw), ours over the weight's row order (kh,kw,I). */
const vTarget = (variable: tf.Variable, weight: tf.Variable): WeightTarget => {
  if (weight.shape.length !== 4) return same(variable);
  const [kh, kw, i] = weight.shape as [number, number, number, number];
  return {
    variable, storedShape: [i * kh * kw],
    fromStored: (t: StoredTensor) => tf.tidy(() => storedToTensor(t).reshape([i, kh, kw]).transpose([1, 2, 0]).reshape([-1])),
    toStored: (x: tf.Tensor) => tf.tidy(() => x.reshape([kh, kw, i]).transpose([2, 0, 1]).reshape([-1])),
  };
};

const addTorchSn = (t: WeightTargets, prefix: string, l: SnLayer, conv1x1AsMatrix = false): void => {
  t.set(`${prefix}.weight_orig`, weightTarget(l.weight, conv1x1AsMatrix));
  if (l.bias) t.set(`${prefix}.bias`, same(l.bias));
  t.set(`${prefix}.weight_u`, same(l.u));
  if (l.v) t.set(`${prefix}.weight_v`, vTarget(l.v, l.weight));
};

/**
 * pytorch-pretrained-BigGAN names (`embeddings.weight`, `generator.layers.3.bn_0.scale.weight_orig`, …).
 *
 * @example
 * ```ts
 * applyStateDict('biggan-deep-128', dict, deepWeightTargets(params));
 * ```
 */
export const deepWeightTargets = (p: BigGANDeepParams): WeightTargets => {
  const t: WeightTargets = new Map();
  t.set('embeddings.weight', { variable: p.embeddings, fromStored: inOutFromOutIn, toStored: outInFromInOut });
  addTorchSn(t, 'generator.gen_z', p.genZ);
  p.layers.forEach((l, i) => {
    const pre = `generator.layers.${i}`;
    if (l.kind === 'attention') {
      addTorchSn(t, `${pre}.snconv1x1_theta`, l.theta, true);
      addTorchSn(t, `${pre}.snconv1x1_phi`, l.phi, true);
      addTorchSn(t, `${pre}.snconv1x1_g`, l.g, true);
      addTorchSn(t, `${pre}.snconv1x1_o_conv`, l.o, true);
      t.set(`${pre}.gamma`, same(l.gamma));
      return;
    }
    l.bn.forEach((b, k) => {
      t.set(`${pre}.bn_${k}.running_means`, same(b.runningMeans));
      t.set(`${pre}.bn_${k}.running_vars`, same(b.runningVars));
      addTorchSn(t, `${pre}.bn_${k}.scale`, b.scale);
      addTorchSn(t, `${pre}.bn_${k}.offset`, b.offset);
    });
    l.conv.forEach((c, k) => addTorchSn(t, `${pre}.conv_${k}`, c));
  });
  t.set('generator.bn.running_means', same(p.bn.runningMeans));
  t.set('generator.bn.running_vars', same(p.bn.runningVars));
  t.set('generator.bn.weight', same(p.bn.weight));
  t.set('generator.bn.bias', same(p.bn.bias));
  addTorchSn(t, 'generator.conv_to_rgb', p.convToRgb);
  return t;
};

const addBigganSn = (t: WeightTargets, prefix: string, l: SnLayer, conv1x1AsMatrix = false): void => {
  t.set(`${prefix}.weight`, weightTarget(l.weight, conv1x1AsMatrix));
  if (l.bias) t.set(`${prefix}.bias`, same(l.bias));
  const o = l.u.shape[0]!;
  t.set(`${prefix}.u0`, { variable: l.u, storedShape: [1, o], fromStored: reshapedTo([o]), toStored: (x) => x.reshape([1, o]) });
};

/** The convolutions (`blocks.i.0.conv1/conv2/conv_sc`) and attention (`blocks.i.1.*`) of block `i`, G's and D's alike. */
const addBigganBlockConvs = (
  t: WeightTargets, i: number,
  b: { readonly conv1: SnLayer; readonly conv2: SnLayer; readonly convSc?: SnLayer | undefined; readonly attention?: { readonly theta: SnLayer; readonly phi: SnLayer; readonly g: SnLayer; readonly o: SnLayer; readonly gamma: tf.Variable } | undefined },
): void => {
  const pre = `blocks.${i}.0`;
  addBigganSn(t, `${pre}.conv1`, b.conv1);
  addBigganSn(t, `${pre}.conv2`, b.conv2);
  if (b.convSc) addBigganSn(t, `${pre}.conv_sc`, b.convSc);
  if (b.attention) {
    const a = b.attention, ap = `blocks.${i}.1`;
    addBigganSn(t, `${ap}.theta`, a.theta, true);
    addBigganSn(t, `${ap}.phi`, a.phi, true);
    addBigganSn(t, `${ap}.g`, a.g, true);
    addBigganSn(t, `${ap}.o`, a.o, true);
    t.set(`${ap}.gamma`, { variable: a.gamma, storedShape: [], fromStored: reshapedTo([1]), toStored: (x) => x.reshape([]) });
  }
};

/**
 * BigGAN-PyTorch names (`shared.weight`, `blocks.0.0.bn1.gain.u0`, `output_layer.2.weight`, …).
 * The `sv0` buffers are logs only (unused by the eval forward): ignore them when applying.
 *
 * @example
 * ```ts
 * applyStateDict('bigbigan', dict, bigganWeightTargets(params), { ignore: isBigGANIgnoredKey });
 * ```
 */
export const bigganWeightTargets = (p: BigGANParams): WeightTargets => {
  const t: WeightTargets = new Map();
  t.set('shared.weight', same(p.shared));
  addBigganSn(t, 'linear', p.linear);
  p.blocks.forEach((b, i) => {
    const pre = `blocks.${i}.0`;
    for (const [name, bn] of [['bn1', b.bn1], ['bn2', b.bn2]] as const) {
      addBigganSn(t, `${pre}.${name}.gain`, bn.gain);
      addBigganSn(t, `${pre}.${name}.bias`, bn.bias);
      t.set(`${pre}.${name}.stored_mean`, same(bn.storedMean));
      t.set(`${pre}.${name}.stored_var`, same(bn.storedVar));
    }
    addBigganBlockConvs(t, i, b);
  });
  t.set('output_layer.0.gain', same(p.outputBn.gain));
  t.set('output_layer.0.bias', same(p.outputBn.bias));
  t.set('output_layer.0.stored_mean', same(p.outputBn.storedMean));
  t.set('output_layer.0.stored_var', same(p.outputBn.storedVar));
  addBigganSn(t, 'output_layer.2', p.outputConv);
  return t;
};

/**
 * BigGAN-PyTorch discriminator names (`blocks.0.0.conv1.weight`, `blocks.1.1.theta.u0`,
 * `linear.weight`, `embed.weight`, …). `embed.weight` [classes, C] is held as [C, classes]
 * (one column per class, σ over classes as the reference's `SNEmbedding`). Ignore the `sv0` logs when applying.
 *
 * @example
 * ```ts
 * applyStateDict('D.pth', dict, bigganDiscriminatorWeightTargets(d.params), { ignore: isBigGANIgnoredKey });
 * ```
 */
export const bigganDiscriminatorWeightTargets = (p: BigGANDiscriminatorParams): WeightTargets => {
  const t: WeightTargets = new Map();
  p.blocks.forEach((b, i) => addBigganBlockConvs(t, i, b));
  addBigganSn(t, 'linear', p.linear);
  addBigganSn(t, 'embed', p.embed);
  return t;
};

/**
 * Keys of BigGAN-PyTorch state dicts that carry nothing the eval forward uses (`sv0` logs, BN counters).
 *
 * @example
 * ```ts
 * isBigGANIgnoredKey('linear.sv0'); // true
 * ```
 */
export const isBigGANIgnoredKey = (key: string): boolean => /\.sv\d+$/.test(key) || key.endsWith('num_batches_tracked') || key.endsWith('accumulation_counter');
