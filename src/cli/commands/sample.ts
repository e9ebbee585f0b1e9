/**
 * `gan-segmenter sample`: load a generator's weights, draw (or read) latents,
 * write one PNG per image and, with `--npy`, the raw float32 NHWC output as
 * `images.npy` (plus the latents as `z.npy`).
 *
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../backend/init.ts';
import { DataError, WeightsError } from '../../core/errors.ts';
import { Rng } from '../../core/rng.ts';
import { writePng } from '../../io/image-file.ts';
import type { Raster } from '../../io/image.ts';
import { npyToTensor } from '../../io/npy.ts';
import { readNpy, writeNpy } from '../../io/npy-file.ts';
import { truncatedNormalLatents } from '../../models/biggan/common.ts';
import type { Generator, SynthesizeOptions } from '../../models/generator.ts';
import { GENERATOR_FAMILIES, GENERATOR_FAMILY_NAMES, generatorFamilyOf, type GeneratorFamilyName } from '../../models/registry/families.ts';
import { detectWeightsFormat, generatorFromBytes, loadGenerator } from '../../models/registry/files.ts';
import { expectArgs, numberFlag, requireFlag, splitArgs, UsageError } from '../args.ts';
import { cliOutput } from '../output.ts';
import type { Command } from '../command.ts';

// ---------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------

/** The generators `sample` can load: every family of the generator-family table. */
export type SampleModel = GeneratorFamilyName;

/** Parsed `sample` arguments. */
export interface SampleArgs {
  /** Which family; `auto` (default) detects it from the file. */
  readonly model: SampleModel | 'auto';
  /** Weight file (or a pytorch-pretrained-BigGAN folder). */
  readonly weights: string;
  /** Weight file format; `auto` looks at the extension and the first bytes. */
  readonly format: 'auto' | 'torch' | 'safetensors';
  /** Architecture config (JSON text or a .json file), overriding the file's metadata; needed for a DCGAN torch state dict. */
  readonly config: string | undefined;
  /** Noise inputs of style-based generators. */
  readonly noise: 'stored' | 'random';
  /** Latents from a `.npy` file [N, latentDim]. */
  readonly latents: string | undefined;
  /** Number of images when drawing latents. */
  readonly n: number;
  /** Seed of the latents (and random noise). */
  readonly seed: string;
  /** Class index for conditional generators. */
  readonly classIndex: number | undefined;
  /** Truncation ψ. */
  readonly truncation: number;
  /** Output folder. */
  readonly out: string;
  /** Also write `images.npy` and `z.npy`. */
  readonly npy: boolean;
  /** Images per forward pass. */
  readonly batch: number;
  /** tfjs backend. */
  readonly backend: BackendName;
}

const MODELS = GENERATOR_FAMILY_NAMES.join('|');

const USAGE = [
  `usage: gan-segmenter sample [--model auto|${MODELS}] --weights <file>`,
  '         [--format auto|torch|safetensors] [--config <json or file>] [--noise stored|random]',
  '         (--latents z.npy | --n N --seed S) [--class C] [--truncation PSI] --out <dir> [--npy]',
  '         [--batch B] [--backend auto|tensorflow|native|wasm|cpu]',
  '',
  'Writes <out>/000000.png … and, with --npy, <out>/images.npy (float32 NHWC, raw output) and <out>/z.npy.',
  'Defaults: --n none (give --latents or --n), --seed 0, --truncation 1, --noise stored, --batch 16. --class is',
  'required for a conditional generator with more than one class. Prints \'sample: wrote N PNGs to <out>\'',
  '(with --json: {"out", "pngs", "imagesNpy", "latentsNpy"}).',
  'The family is detected from the file unless --model names it. Files: our safetensors (any family; config in',
  '__metadata__.config), dcgan: a PyTorch tutorial state dict (with --config); stylegan2: rosinality .pt (g_ema);',
  'biggan-deep: pytorch_model.bin or its folder (with config.json); biggan: BigGAN-PyTorch G.pth.',
].join('\n');

const usageError = (detail: string): UsageError => new UsageError('sample', [{ path: 'arguments', expected: 'see gan-segmenter sample --help', given: detail }]);

const FLAGS = ['model', 'weights', 'format', 'config', 'noise', 'latents', 'n', 'seed', 'class', 'truncation', 'out', 'npy', 'batch', 'backend'];

/**
 * Parse `sample`'s arguments (throws a {@link UsageError}, a `ConfigError`, naming the bad flag).
 *
 * @example
 * ```ts
 * const a = parseSampleArgs(['--model', 'dcgan', '--weights', 'g.safetensors', '--n', '8', '--seed', '1', '--out', 'samples']);
 * ```
 */
export const parseSampleArgs = (argv: readonly string[]): SampleArgs => {
  const split = expectArgs(splitArgs(argv, ['npy']), { flags: FLAGS }, 'sample');
  const v = split.flags;
  const need = (k: string): string => requireFlag(split, k, 'sample');
  const oneOf = <T extends string>(k: string, options: readonly T[], dflt: T): T => {
    const x = v[k] ?? dflt;
    if (!(options as readonly string[]).includes(x)) throw usageError(`--${k} must be one of ${options.join('|')}, got '${x}'`);
    return x as T;
  };
  const num = (k: string, dflt: number, ok: (n: number) => boolean, what: string): number => numberFlag(v, k, dflt, ok, what, usageError);
  const latents = v['latents'];
  if (latents !== undefined && v['n'] !== undefined) throw usageError('give either --latents or --n, not both');
  if (latents === undefined && v['n'] === undefined) throw usageError('give --latents z.npy or --n N (with --seed S)');
  return {
    model: oneOf('model', ['auto', ...GENERATOR_FAMILY_NAMES] as const, 'auto'),
    weights: need('weights'),
    format: oneOf('format', ['auto', 'torch', 'safetensors'] as const, 'auto'),
    config: v['config'],
    noise: oneOf('noise', ['stored', 'random'] as const, 'stored'),
    latents,
    n: num('n', 0, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'),
    seed: v['seed'] ?? '0',
    classIndex: v['class'] === undefined ? undefined : num('class', 0, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
    truncation: num('truncation', 1, (n) => n > 0 && n <= 1, 'in (0, 1]'),
    out: need('out'),
    npy: v['npy'] !== undefined && v['npy'] !== 'false',
    batch: num('batch', 16, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'),
    backend: oneOf('backend', ['auto', 'tensorflow', 'native', 'wasm', 'cpu'] as const, 'auto'),
  };
};

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

const readBytes = (file: string, where: string): Uint8Array => {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new WeightsError(where, `cannot read the weights (${(e as Error).message})`);
  }
};

const parseConfigArg = (text: string): unknown => {
  const src = text.trim().startsWith('{') ? text : (() => {
    try { return readFileSync(text, 'utf8'); } catch (e) { throw new DataError('sample --config', `expected JSON text or a readable .json file: ${(e as Error).message}`, text); }
  })();
  try {
    return JSON.parse(src) as unknown;
  } catch (e) {
    throw new UsageError('sample --config', [{ path: '<file>', expected: 'valid JSON', given: (e as Error).message }]);
  }
};

/**
 * Load the generator in `a.weights` through the generator-family table (family and format detected or given).
 *
 * @example
 * ```ts
 * const g = loadSampleGenerator(parseSampleArgs(argv));
 * ```
 */
export const loadSampleGenerator = (a: SampleArgs): Generator => {
  const where = `sample(${a.weights})`;
  const config = a.config === undefined ? undefined : parseConfigArg(a.config);
  const family = a.model === 'auto' ? {} : { family: a.model };
  let isDir = false;
  try { isDir = statSync(a.weights).isDirectory(); } catch { /* reported when read */ }
  if (isDir) return loadGenerator(a.weights, { ...family, where, ...(config === undefined ? {} : { config }) });
  const bytes = readBytes(a.weights, where);
  const format = a.format === 'auto' ? detectWeightsFormat(a.weights, bytes) : a.format;
  // A PyTorch DCGAN-tutorial generator state dict (`torch.save(netG.state_dict())`): names match, the config must be given.
  if (a.model === 'dcgan' && format === 'torch' && config === undefined) throw usageError('--config is required for a torch dcgan checkpoint (it records no architecture)');
  return generatorFromBytes(bytes, a.weights, { ...family, format, where, ...(config === undefined ? {} : { config }) });
};

// ---------------------------------------------------------------------------
// Sampling
// ---------------------------------------------------------------------------

/** One image [H,W,C] in [-1,1] → an RGB raster in [0,1]. */
const toRaster = (img: Float32Array, h: number, w: number, c: number): Raster => {
  const data = new Float32Array(h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, ((img[i] as number) + 1) / 2));
  return { width: w, height: h, channels: c, data };
};

/** Result of {@link runSample}. */
export interface SampleResult {
  /** PNG files written. */
  readonly pngs: readonly string[];
  /** `images.npy`, when written. */
  readonly imagesNpy: string | undefined;
}

/**
 * Run `sample` with parsed arguments on an already-initialised backend.
 *
 * @example
 * ```ts
 * const r = runSample(parseSampleArgs(['--model', 'dcgan', '--weights', 'g.safetensors', '--n', '4', '--out', 'out']));
 * ```
 */
export const runSample = (a: SampleArgs): SampleResult => {
  const g = loadSampleGenerator(a);
  const family = generatorFamilyOf(g); // always one: loadSampleGenerator goes through the table
  try {
    const rng = new Rng(a.seed);
    let z: tf.Tensor2D;
    if (a.latents !== undefined) {
      const arr = readNpy(a.latents);
      if (arr.shape.length !== 2 || arr.shape[1] !== g.latentDim) {
        throw new DataError(`sample(${a.latents})`, `latents must have shape [N, ${g.latentDim}], got [${arr.shape.join(', ')}]`, a.latents);
      }
      z = npyToTensor(arr) as tf.Tensor2D;
    } else if (family !== undefined && GENERATOR_FAMILIES[family].latents === 'truncated') {
      z = truncatedNormalLatents(a.n, g.latentDim, rng.fork('z'), a.truncation);
    } else {
      z = g.sampleLatent(a.n, rng.fork('z'));
    }
    const n = z.shape[0];
    let classIndex = a.classIndex;
    if (classIndex !== undefined) {
      if (g.numClasses === undefined) throw usageError(`--class: the ${family ?? 'loaded'} generator is unconditional`);
      if (classIndex >= g.numClasses) throw usageError(`--class must be < ${g.numClasses}, got ${classIndex}`);
    } else if (g.numClasses === 1) {
      classIndex = 0;
    } else if (g.numClasses !== undefined) {
      throw usageError(`--class C is required: the ${family ?? 'loaded'} generator is conditional (${g.numClasses} classes)`);
    }
    const noiseRng = rng.fork('noise');
    const pngs: string[] = [];
    const all: Float32Array[] = [];
    let shape: number[] = [];
    for (let s = 0; s < n; s += a.batch) {
      const m = Math.min(a.batch, n - s);
      const options: SynthesizeOptions = {
        truncation: a.truncation,
        noise: a.noise,
        ...(a.noise === 'random' ? { rng: noiseRng } : {}),
        ...(classIndex !== undefined ? { classes: new Array<number>(m).fill(classIndex) } : {}),
      };
      const zb = tf.slice(z, [s, 0], [m, -1]);
      const { images } = g.synthesize(zb, options);
      const [, h, w, c] = images.shape;
      shape = [n, h, w, c];
      const data = images.dataSync() as Float32Array;
      tf.dispose([zb, images]);
      if (a.npy) all.push(Float32Array.from(data));
      for (let i = 0; i < m; i++) {
        const file = join(a.out, `${String(s + i).padStart(6, '0')}.png`);
        writePng(file, toRaster(data.subarray(i * h * w * c, (i + 1) * h * w * c), h, w, c));
        pngs.push(file);
      }
    }
    let imagesNpy: string | undefined;
    if (a.npy) {
      const flat = new Float32Array(all.reduce((k, b) => k + b.length, 0));
      let o = 0;
      for (const b of all) { flat.set(b, o); o += b.length; }
      imagesNpy = join(a.out, 'images.npy');
      writeNpy(imagesNpy, { dtype: '<f4', shape, data: flat });
      writeNpy(join(a.out, 'z.npy'), { dtype: '<f4', shape: z.shape, data: Float32Array.from(z.dataSync()) });
    }
    z.dispose();
    return { pngs, imagesNpy };
  } finally {
    g.dispose();
  }
};

/** `gan-segmenter sample`. */
export const sampleCommand: Command = {
  name: 'sample',
  summary: 'draw images from a generator (PNGs, optional images.npy)',
  usage: USAGE,
  async run(argv, out = cliOutput()) {
    const a = parseSampleArgs(argv);
    await initBackend({ backend: a.backend });
    const r = runSample(a);
    out.result(
      { out: a.out, pngs: r.pngs.length, imagesNpy: r.imagesNpy ?? null, latentsNpy: r.imagesNpy ? join(a.out, 'z.npy') : null },
      `sample: wrote ${r.pngs.length} PNGs to ${a.out}${r.imagesNpy ? ` and ${r.imagesNpy}` : ''}`,
    );
    return 0;
  },
};
