/**
 * Building the BigGAN generators from reference state dicts, the
 * configuration inferred from the tensor shapes where the file does not carry it.
 *
 * Pure (no file I/O): see `load.ts` for files and folders.
 *
 * @module
 */
import { decodeOrThrow } from '../../core/codec.ts';
import { WeightsError } from '../../core/errors.ts';
import type { StateDict } from '../../io/state-dict.ts';
import { applyStateDict } from '../../io/weights.ts';
import { BigGAN, createBigGANParams } from './biggan.ts';
import { BIGGAN_DEEP_PRESETS, BIGGAN_PRESETS, BigGANConfig, BigGANDeepConfig, type BigGANConfigOverrides, type DeepLayer } from './config.ts';
import { BigGANDeep, createBigGANDeepParams } from './deep.ts';
import { bigganWeightTargets, deepWeightTargets, isBigGANIgnoredKey } from './weight-names.ts';

const shapeOf = (sd: StateDict, key: string, where: string, rank: number): readonly number[] => {
  const t = sd.get(key);
  if (!t) throw new WeightsError(where, `cannot infer the configuration: key '${key}' missing (pass a config)`);
  if (t.shape.length !== rank) throw new WeightsError(where, `cannot infer the configuration: '${key}' has shape [${t.shape.join(',')}], expected rank ${rank}`);
  return t.shape;
};

const indices = (sd: StateDict, re: RegExp): number[] =>
  [...new Set([...sd.keys()].map((k) => re.exec(k)?.[1]).filter((x): x is string => x !== undefined).map(Number))].sort((a, b) => a - b);

/**
 * Infer a BigGAN-deep configuration from pytorch-pretrained-BigGAN tensor
 * shapes. Channels, classes, zDim, nStats and the attention position come from
 * shapes; the upsampling flags (not in the weights) from the preset whose block
 * channels match, or the reference's alternating pattern (no-up, up, …).
 *
 * @example
 * ```ts
 * const cfg = inferDeepConfig(loadTorchCheckpoint('pytorch_model.bin'));
 * ```
 */
export const inferDeepConfig = (sd: StateDict, where = 'inferDeepConfig'): BigGANDeepConfig => {
  const [zDim, numClasses] = shapeOf(sd, 'embeddings.weight', where, 2) as [number, number];
  const ch = shapeOf(sd, 'generator.gen_z.weight_orig', where, 2)[0]! / 256;
  const nStats = shapeOf(sd, 'generator.bn.running_means', where, 2)[0]!;
  const ids = indices(sd, /^generator\.layers\.(\d+)\./);
  let attentionLayerPosition = ids.length;
  const channels: [number, number][] = [];
  for (const i of ids) {
    if (sd.has(`generator.layers.${i}.snconv1x1_theta.weight_orig`)) { attentionLayerPosition = channels.length; continue; }
    const inC = shapeOf(sd, `generator.layers.${i}.bn_0.running_means`, where, 2)[1]!;
    const outC = shapeOf(sd, `generator.layers.${i}.conv_3.weight_orig`, where, 4)[0]!;
    channels.push([inC / ch, outC / ch]);
  }
  const preset = Object.values(BIGGAN_DEEP_PRESETS).find((p) => p.layers.length === channels.length && p.layers.every((l, k) => l[1] === channels[k]![0] && l[2] === channels[k]![1]));
  const layers = channels.map(([i, o], k) => [preset ? preset.layers[k]![0] : k % 2 === 1, i, o] as DeepLayer);
  const outputDim = 4 * 2 ** layers.filter((l) => l[0]).length;
  return decodeOrThrow(BigGANDeepConfig, { outputDim, zDim, channelWidth: ch, numClasses, layers, attentionLayerPosition, eps: 1e-4, nStats }, where);
};

/** Options of {@link bigGANDeepFromStateDict}. */
export interface DeepFromStateDictOptions {
  /** Configuration (e.g. from `config.json`); inferred from the shapes when absent. */
  readonly config?: BigGANDeepConfig;
  /** Name used in error messages and as the generator id. */
  readonly where?: string;
}

/**
 * A {@link BigGANDeep} holding the weights of a pytorch-pretrained-BigGAN
 * state dict. Every missing, unexpected or wrongly shaped key is reported at once.
 *
 * @example
 * ```ts
 * const g = bigGANDeepFromStateDict(loadTorchCheckpoint('pytorch_model.bin'));
 * ```
 */
export const bigGANDeepFromStateDict = (sd: StateDict, options: DeepFromStateDictOptions = {}): BigGANDeep => {
  const where = options.where ?? 'bigGANDeepFromStateDict';
  const config = options.config ?? inferDeepConfig(sd, where);
  const g = new BigGANDeep(config, createBigGANDeepParams(config), `biggan-deep-${config.outputDim}:${where}`);
  try {
    applyStateDict(where, sd, deepWeightTargets(g.params));
  } catch (e) {
    g.dispose();
    throw e;
  }
  return g;
};

/**
 * Infer a BigGAN (BigGAN-PyTorch) configuration from tensor shapes: resolution
 * from the number of blocks, `ch`, `sharedDim`, classes, hierarchy and chunk
 * size, attention resolutions. Epsilons are not in the weights: BigBiGAN's
 * (`bnEps` = `snEps` = 1e-4, output BN 1e-5) unless `overrides` says otherwise.
 *
 * @example
 * ```ts
 * const cfg = inferBigGANConfig(loadTorchCheckpoint('BigBiGAN_x1.pth'), { unconditional: true });
 * ```
 */
export const inferBigGANConfig = (sd: StateDict, overrides: BigGANConfigOverrides = {}, where = 'inferBigGANConfig'): BigGANConfig => {
  const [numClasses, sharedDim] = shapeOf(sd, 'shared.weight', where, 2) as [number, number];
  const blocks = indices(sd, /^blocks\.(\d+)\.0\./);
  const resolution = 4 * 2 ** blocks.length;
  const [linearOut, linearIn] = shapeOf(sd, 'linear.weight', where, 2) as [number, number];
  const ch = linearOut / 16 / (resolution === 32 ? 4 : 16); // first block: 16·ch (4·ch at 32 px) channels at 4×4
  const condDim = shapeOf(sd, 'blocks.0.0.bn1.gain.weight', where, 2)[1]!;
  const chunk = condDim - sharedDim;
  const hier = chunk > 0;
  const dimZ = hier ? chunk * (blocks.length + 1) : linearIn;
  const attention = blocks.filter((i) => sd.has(`blocks.${i}.1.gamma`)).map((i) => 8 * 2 ** i);
  const base = BIGGAN_PRESETS['bigbigan-128'];
  const inferred = { resolution, ch, dimZ, sharedDim, hier, attention, numClasses, bnEps: base.bnEps, snEps: base.snEps, outputBnEps: base.outputBnEps, unconditional: false };
  return decodeOrThrow(BigGANConfig, { ...inferred, ...overrides }, where);
};

/** Options of {@link bigGANFromStateDict}. */
export interface BigGANFromStateDictOptions {
  /** Full configuration; inferred from the shapes (plus `overrides`) when absent. */
  readonly config?: BigGANConfig;
  /** Fields replacing inferred ones (epsilons, `unconditional`). */
  readonly overrides?: BigGANConfigOverrides;
  /** Name used in error messages and as the generator id. */
  readonly where?: string;
}

/**
 * A {@link BigGAN} holding the weights of a BigGAN-PyTorch state dict (e.g.
 * BigGANsAreWatching's converted `BigBiGAN_x1.pth`: pass
 * `{ config: BIGGAN_PRESETS['bigbigan-128'] }`). `sv0` buffers are ignored.
 *
 * @example
 * ```ts
 * const g = bigGANFromStateDict(loadTorchCheckpoint('BigBiGAN_x1.pth'), { config: BIGGAN_PRESETS['bigbigan-128'] });
 * ```
 */
export const bigGANFromStateDict = (sd: StateDict, options: BigGANFromStateDictOptions = {}): BigGAN => {
  const where = options.where ?? 'bigGANFromStateDict';
  const config = options.config ?? inferBigGANConfig(sd, options.overrides, where);
  const g = new BigGAN(config, createBigGANParams(config), `biggan-${config.resolution}:${where}`);
  try {
    applyStateDict(where, sd, bigganWeightTargets(g.params), { ignore: isBigGANIgnoredKey });
  } catch (e) {
    g.dispose();
    throw e;
  }
  return g;
};
