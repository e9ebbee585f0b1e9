/**
 * Loading BigGAN networks from files: a pytorch-pretrained-BigGAN folder
 * (`pytorch_model.bin` + `config.json`), a BigGAN-PyTorch generator or discriminator `.pth`.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WeightsError } from '../../core/errors.ts';
import { loadTorchCheckpoint } from '../../io/torch/load.ts';
import type { BigGAN } from './biggan.ts';
import { deepConfigFromJson, type BigGANConfig, type BigGANConfigOverrides } from './config.ts';
import type { BigGANDeep } from './deep.ts';
import { bigGANDiscriminatorFromStateDict, type BigGANDiscriminator, type BigGANDiscriminatorConfig, type BigGANDiscriminatorConfigOverrides } from './discriminator.ts';
import { bigGANDeepFromStateDict, bigGANFromStateDict } from './from-state-dict.ts';

/**
 * Load BigGAN-deep from a folder holding `pytorch_model.bin` and (optionally)
 * `config.json`, or from a checkpoint file directly (configuration inferred).
 *
 * @example
 * ```ts
 * const g = loadBigGANDeep('models/biggan-deep-256'); // folder with pytorch_model.bin + config.json
 * ```
 */
export const loadBigGANDeep = (path: string): BigGANDeep => {
  const where = `loadBigGANDeep(${path})`;
  if (!existsSync(path)) throw new WeightsError(where, 'no such file or folder');
  const isDir = statSync(path).isDirectory();
  const weights = isDir ? join(path, 'pytorch_model.bin') : path;
  const configPath = isDir ? join(path, 'config.json') : undefined;
  let config;
  if (configPath && existsSync(configPath)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (e) {
      throw new WeightsError(where, `config.json is not valid JSON: ${(e as Error).message}`);
    }
    config = deepConfigFromJson(json, configPath);
  }
  return bigGANDeepFromStateDict(loadTorchCheckpoint(weights), { ...(config ? { config } : {}), where });
};

/**
 * Load a BigGAN-PyTorch generator state dict (`G.pth`, `G_ema.pth`, BigGANsAreWatching's `BigBiGAN_x1.pth`).
 *
 * @example
 * ```ts
 * const g = loadBigGAN('BigGAN/weights/BigBiGAN_x1.pth', { config: BIGGAN_PRESETS['bigbigan-128'] });
 * ```
 */
export const loadBigGAN = (path: string, options: { readonly config?: BigGANConfig; readonly overrides?: BigGANConfigOverrides; readonly key?: string } = {}): BigGAN =>
  bigGANFromStateDict(loadTorchCheckpoint(path, options.key === undefined ? {} : { key: options.key }), {
    ...(options.config ? { config: options.config } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    where: `loadBigGAN(${path})`,
  });

/**
 * Load a BigGAN-PyTorch discriminator state dict (`D.pth`); the configuration is
 * inferred from the shapes unless given (`snEps` is not stored: pass it in `overrides`).
 *
 * @example
 * ```ts
 * const d = loadBigGANDiscriminator('weights/BigGAN_I128/D.pth', { overrides: { snEps: 1e-6 } });
 * ```
 */
export const loadBigGANDiscriminator = (
  path: string,
  options: { readonly config?: BigGANDiscriminatorConfig; readonly overrides?: BigGANDiscriminatorConfigOverrides; readonly key?: string } = {},
): BigGANDiscriminator =>
  bigGANDiscriminatorFromStateDict(loadTorchCheckpoint(path, options.key === undefined ? {} : { key: options.key }), {
    ...(options.config ? { config: options.config } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
    where: `loadBigGANDiscriminator(${path})`,
  });
