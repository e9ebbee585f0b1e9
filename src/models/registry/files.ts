/**
 * Generator weight files over the family table: any supported file in (our
 * safetensors with `model` + `config` metadata, the reference torch checkpoints of
 * each family, a pytorch-pretrained-BigGAN folder), one family detected, one
 * `Generator` out with a stable id; and our safetensors out.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeOrThrow } from '../../core/codec.ts';
import { WeightsError } from '../../core/errors.ts';
import { parseSafetensors, type SafetensorsContent } from '../../io/safetensors.ts';
import { writeSafetensors } from '../../io/safetensors-file.ts';
import type { StateDict } from '../../io/state-dict.ts';
import { parseTorchBytes, readTorchCheckpoint } from '../../io/torch/checkpoint.ts';
import { deepConfigFromJson } from '../biggan/config.ts';
import type { Generator } from '../generator.ts';
import {
  GENERATOR_FAMILIES, GENERATOR_FAMILY_NAMES, generatorFamilyOf, isGeneratorFamilyName, type AnyGeneratorFamily, type GeneratorFamilyName,
} from './families.ts';

// ---------------------------------------------------------------------------
// Bytes → family and tensors
// ---------------------------------------------------------------------------

/**
 * How a weights file is encoded.
 *
 * @example
 * ```ts
 * const f: WeightsFormat = detectWeightsFormat('g.safetensors', bytes); // 'safetensors'
 * ```
 */
export type WeightsFormat = 'safetensors' | 'torch';

/**
 * FNV-1a 32-bit hash of bytes, as 8 hex digits (the tail of a loaded generator's id).
 *
 * @example
 * ```ts
 * fnv1a(new TextEncoder().encode('a')); // 'e40c292c'
 * ```
 */
export const fnv1a = (bytes: Uint8Array): string => {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
};

/**
 * `safetensors` when the name ends so or the first bytes are a safetensors header, else `torch`.
 *
 * @example
 * ```ts
 * detectWeightsFormat('G_ema.pth', readFileSync('G_ema.pth')); // 'torch'
 * ```
 */
export const detectWeightsFormat = (name: string, bytes: Uint8Array): WeightsFormat => {
  if (name.toLowerCase().endsWith('.safetensors')) return 'safetensors';
  return bytes.length > 9 && bytes[8] === 0x7b /* { */ && bytes[6] === 0 && bytes[7] === 0 ? 'safetensors' : 'torch';
};

/**
 * A weights file read and its family recognised, before a generator is built.
 *
 * @example
 * ```ts
 * const w: GeneratorWeights = readGeneratorWeights(bytes, 'G_ema.pth'); // w.family 'biggan'
 * ```
 */
export interface GeneratorWeights {
  /** The family (from the `model` metadata, or recognised by the key names). */
  readonly family: GeneratorFamilyName;
  /** How the file was encoded. */
  readonly format: WeightsFormat;
  /** The generator's tensors under the family's reference names. */
  readonly tensors: StateDict;
  /** Our safetensors `__metadata__` (`model`, `config`, optional `id`); empty for torch files. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Options of {@link readGeneratorWeights}. */
export interface ReadGeneratorWeightsOptions {
  /** The family the file must hold; detected when absent. */
  readonly family?: GeneratorFamilyName;
  /** The encoding; detected when absent or `auto`. */
  readonly format?: WeightsFormat | 'auto';
  /** Name used in error messages. Default `loadGenerator(<name>)`. */
  readonly where?: string;
}

const familyList = GENERATOR_FAMILY_NAMES.join(', ');

/**
 * The family whose reference names `tensors` holds (`metadata.model` first, when given).
 *
 * @example
 * ```ts
 * detectGeneratorFamily(loadTorchCheckpoint('pytorch_model.bin'), {}, 'pytorch_model.bin'); // 'biggan-deep'
 * ```
 */
export const detectGeneratorFamily = (tensors: StateDict, metadata: Readonly<Record<string, string>>, where: string): GeneratorFamilyName => {
  const model = metadata['model'];
  if (model !== undefined) {
    if (!isGeneratorFamilyName(model)) throw new WeightsError(where, `unsupported generator model ${JSON.stringify(model)} in the metadata (supported: ${familyList})`);
    return model;
  }
  const found = GENERATOR_FAMILY_NAMES.find((name) => (GENERATOR_FAMILIES[name] as AnyGeneratorFamily).matches(tensors));
  if (found === undefined) {
    const keys = [...tensors.keys()];
    throw new WeightsError(where, `no generator family recognised (supported: ${familyList}); the file holds ${keys.length} tensors: ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''}`);
  }
  return found;
};

/** The torch file's state dict: the sub-dict a family nests its generator under (`g_ema`) when present, else the whole file. */
const readTorchGenerator = (bytes: Uint8Array, where: string, family: GeneratorFamilyName | undefined): StateDict => {
  const tree = parseTorchBytes(bytes, where);
  const names = family === undefined ? GENERATOR_FAMILY_NAMES : [family];
  const key = names.map((n) => (GENERATOR_FAMILIES[n] as AnyGeneratorFamily).torchKey).find((k) => k !== undefined && tree instanceof Map && tree.has(k));
  return readTorchCheckpoint(bytes, key === undefined ? { where } : { key, where });
};

/**
 * Decode a weights file's bytes and recognise its family. Throws a `WeightsError`
 * naming the file when it is corrupt, holds no known generator, or holds another
 * family than `options.family`.
 *
 * @example
 * ```ts
 * const w = readGeneratorWeights(readFileSync('550000.pt'), '550000.pt'); // { family: 'stylegan2', format: 'torch', … }
 * ```
 */
export const readGeneratorWeights = (bytes: Uint8Array, name: string, options: ReadGeneratorWeightsOptions = {}): GeneratorWeights => {
  const where = options.where ?? `loadGenerator(${name})`;
  const format = options.format === undefined || options.format === 'auto' ? detectWeightsFormat(name, bytes) : options.format;
  const { tensors, metadata }: SafetensorsContent =
    format === 'safetensors' ? parseSafetensors(bytes, where) : { tensors: readTorchGenerator(bytes, where, options.family), metadata: {} };
  const model = metadata['model'];
  if (options.family !== undefined && model !== undefined && model !== options.family) {
    throw new WeightsError(where, `the file holds a '${model}' model, not '${options.family}'`);
  }
  const family = options.family ?? detectGeneratorFamily(tensors, metadata, where);
  return { family, format, tensors, metadata };
};

// ---------------------------------------------------------------------------
// Family and tensors → generator
// ---------------------------------------------------------------------------

/** Options of {@link generatorFromWeights}. */
export interface GeneratorFromWeightsOptions {
  /** The config, replacing the one the file records or the shapes give (decoded with the family's codec). */
  readonly config?: unknown;
  /** The config when neither the file nor the shapes give one (DCGAN weights without metadata). */
  readonly defaultConfig?: unknown;
  /** The generator's id; default the file's `id` metadata, else none (the family's own). */
  readonly id?: string;
  /** Name used in error messages. Default `generatorFromWeights`. */
  readonly where?: string;
}

const parseJson = (text: string, where: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new WeightsError(where, `__metadata__.config is not JSON (${(e as Error).message})`);
  }
};

/** The config: given, else recorded in the metadata, else read from the shapes, else the default. */
const configFor = (f: AnyGeneratorFamily, w: GeneratorWeights, o: GeneratorFromWeightsOptions, where: string): unknown => {
  const raw = o.config ?? (w.metadata['config'] !== undefined ? parseJson(w.metadata['config'], where) : undefined);
  if (raw !== undefined) return decodeOrThrow(f.codec, raw, `${where}: config`);
  if (f.inferConfig) return f.inferConfig(w.tensors, where);
  if (o.defaultConfig !== undefined) return decodeOrThrow(f.codec, o.defaultConfig, `${where}: config`);
  throw new WeightsError(where, `the file records no config in __metadata__.config and ${f.name} weights do not determine one: pass one (--config)`);
};

/**
 * Build the family's generator and load the tensors into it (every key checked
 * first; the generator is freed on failure).
 *
 * @example
 * ```ts
 * const g = generatorFromWeights({ family: 'biggan', format: 'torch', tensors: loadTorchCheckpoint('G_ema.pth'), metadata: {} });
 * ```
 */
export const generatorFromWeights = (w: GeneratorWeights, options: GeneratorFromWeightsOptions = {}): Generator => {
  const where = options.where ?? 'generatorFromWeights';
  const f: AnyGeneratorFamily = GENERATOR_FAMILIES[w.family];
  const config = configFor(f, w, options, where);
  const g = f.create(config, undefined, options.id ?? w.metadata['id']);
  try {
    f.loadWeights(g, w.tensors, where);
  } catch (e) {
    g.dispose();
    throw e;
  }
  return g;
};

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/**
 * Options of {@link loadGenerator} and {@link generatorFromBytes}.
 *
 * @example
 * ```ts
 * const o: LoadGeneratorOptions = { family: 'dcgan', format: 'torch', config: dcganSmall32 };
 * ```
 */
export interface LoadGeneratorOptions extends ReadGeneratorWeightsOptions, GeneratorFromWeightsOptions {}

const baseName = (path: string): string => path.split(/[\\/]/).filter((s) => s !== '').pop() ?? path;

/**
 * A generator from a weights file's bytes; its id is the file's `id` metadata, else
 * `<family>:<file name>:<FNV-1a of the bytes>`, so directions made for one set of weights are refused by another.
 *
 * @example
 * ```ts
 * const g = generatorFromBytes(await (await fetch(url)).bytes(), 'G_ema.pth');
 * ```
 */
export const generatorFromBytes = (bytes: Uint8Array, name: string, options: LoadGeneratorOptions = {}): Generator => {
  const where = options.where ?? `loadGenerator(${name})`;
  const w = readGeneratorWeights(bytes, name, { ...options, where });
  const id = options.id ?? w.metadata['id'] ?? `${w.family}:${baseName(name)}:${fnv1a(bytes)}`;
  return generatorFromWeights(w, { ...options, id, where });
};

const readBytes = (file: string, where: string): Uint8Array => {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new WeightsError(where, `cannot read the weights (${(e as Error).message})`);
  }
};

/**
 * Load a generator of any family from a file: our safetensors (`model` + `config`
 * metadata), a rosinality StyleGAN2 `.pt` (`g_ema`), a pytorch-pretrained-BigGAN
 * `pytorch_model.bin` or its folder (with `config.json`), a BigGAN-PyTorch `G.pth`,
 * a DCGAN-tutorial state dict (with `config`). The family is detected unless given.
 *
 * @example
 * ```ts
 * const g = loadGenerator('checkpoint/550000.pt');        // stylegan2:550000.pt:…
 * const b = loadGenerator('models/biggan-deep-128');      // folder: pytorch_model.bin + config.json
 * ```
 */
export const loadGenerator = (path: string, options: LoadGeneratorOptions = {}): Generator => {
  const where = options.where ?? `loadGenerator(${path})`;
  if (existsSync(path) && statSync(path).isDirectory()) {
    const bin = join(path, 'pytorch_model.bin');
    if (!existsSync(bin)) throw new WeightsError(where, 'a folder must hold pytorch_model.bin (pytorch-pretrained-BigGAN layout)');
    const configJson = join(path, 'config.json');
    const config = options.config ?? (existsSync(configJson) ? deepConfigFromJson(parseJson(readFileSync(configJson, 'utf8'), `${where}: config.json`), configJson) : undefined);
    const bytes = readBytes(bin, where);
    const id = options.id ?? `biggan-deep:${baseName(path)}:${fnv1a(bytes)}`;
    return generatorFromBytes(bytes, bin, { ...options, family: options.family ?? 'biggan-deep', format: 'torch', where, id, ...(config === undefined ? {} : { config }) });
  }
  return generatorFromBytes(readBytes(path, where), path, { ...options, where });
};

/** Options of {@link generatorSafetensors} and {@link saveGenerator}. */
export interface SaveGeneratorOptions {
  /** The config to record; default the generator's own. */
  readonly config?: unknown;
  /** More metadata (e.g. `step`, `id`), after `model` and `config`. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * `g` as our safetensors content: its family's reference names and layouts, metadata
 * `model` (the family) and `config` (JSON). Throws a `WeightsError` for a generator of no family.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = generatorSafetensors(g, { metadata: { step: '1500' } }); // metadata.model 'dcgan'
 * ```
 */
export const generatorSafetensors = (g: Generator, options: SaveGeneratorOptions = {}): SafetensorsContent => {
  const name = generatorFamilyOf(g);
  if (name === undefined) throw new WeightsError(`generatorSafetensors(${g.id})`, `the generator belongs to no family (supported: ${familyList})`);
  const f: AnyGeneratorFamily = GENERATOR_FAMILIES[name];
  return { tensors: f.stateDict(g), metadata: { model: name, config: JSON.stringify(options.config ?? f.configOf(g)), ...options.metadata } };
};

/**
 * Write `g` as our safetensors file (atomically), readable by {@link loadGenerator}.
 *
 * @example
 * ```ts
 * saveGenerator('runs/gan/generator.safetensors', g, { metadata: { step: '2000' } });
 * ```
 */
export const saveGenerator = (path: string, g: Generator, options: SaveGeneratorOptions = {}): void => {
  const { tensors, metadata } = generatorSafetensors(g, options);
  writeSafetensors(path, tensors, metadata);
};
