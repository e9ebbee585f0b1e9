/**
 * BigGAN generators: BigGAN-deep (pytorch-pretrained-BigGAN names) and BigGAN
 * (BigGAN-PyTorch names, BigBiGAN); the BigGAN-PyTorch projection discriminator.
 *
 * @module
 */
export * from './config.ts';
export { BigGANDeep, bigGANDeepForward, createBigGANDeepParams, deepVariables, type BigGANDeepParams, type DeepBatchNorm, type DeepBlock, type DeepAttention, type DeepForwardResult } from './deep.ts';
export { BigGAN, bigGANForward, createBigGANParams, bigganVariables, type BigGANParams, type BigGANBlock, type BigGANCbn, type BigGANAttention, type BigGANForwardResult } from './biggan.ts';
export {
  BigGANDiscriminator, BigGANDiscriminatorConfig, BIGGAN_D_PRESETS, bigganDiscriminatorArch, bigGANDiscriminatorForward, bigganDiscriminatorVariables,
  bigGANDiscriminatorFromStateDict, createBigGANDiscriminator, createBigGANDiscriminatorParams, inferBigGANDiscriminatorConfig,
  type BigGANDiscriminatorConfigOverrides, type BigGANDStage, type BigGANDBlock, type BigGANDiscriminatorParams, type BigGANDiscriminatorResult,
  type BigGANDiscriminatorFromStateDictOptions,
} from './discriminator.ts';
export { deepWeightTargets, bigganWeightTargets, bigganDiscriminatorWeightTargets, isBigGANIgnoredKey } from './weight-names.ts';
export { inferDeepConfig, bigGANDeepFromStateDict, inferBigGANConfig, bigGANFromStateDict, type DeepFromStateDictOptions, type BigGANFromStateDictOptions } from './from-state-dict.ts';
export { classIndices, truncatedNormalLatents } from './common.ts';
export { loadBigGANDeep, loadBigGAN, loadBigGANDiscriminator } from './load.ts';
