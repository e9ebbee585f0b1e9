/**
 * `gan-segmenter sample-layers`: draw layer sets from a saved ILSGAN layered generator
 * (`train-ilsgan`'s or `run method=ilsgan`'s `ilsgan-generator.safetensors`) as
 * generate_segmentation_samples.py does (z ~ N(0, I), ψ, const noise, no shift): a PNG grid of the
 * first columns (foreground, background, mask, composite, foreground on black and on white) and,
 * with `--npy`, every sample's layers as float32 NHWC `.npy` files.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../backend/init.ts';
import { Rng } from '../../core/rng.ts';
import { tensorToNpy } from '../../io/npy.ts';
import { writeNpy } from '../../io/npy-file.ts';
import { loadLayeredGenerator, writeLayerGrid, type Layers } from '../../methods/ilsgan/index.ts';
import { expectArgs, numberFlag, requireFlag, splitArgs, UsageError } from '../args.ts';
import { cliOutput, type CliOutput } from '../output.ts';
import type { Command } from '../command.ts';

/** Parsed `sample-layers` arguments. */
export interface SampleLayersArgs {
  /** The layered generator file. */
  readonly weights: string;
  /** Number of samples. */
  readonly n: number;
  /** Seed of the latents. */
  readonly seed: string;
  /** Truncation ψ (generate_segmentation_samples.py: 1). */
  readonly truncation: number;
  /** Output folder. */
  readonly out: string;
  /** Also write fg.npy, bg.npy, mask.npy, composite.npy, z.npy. */
  readonly npy: boolean;
  /** Columns of the grid (the first samples). */
  readonly columns: number;
  /** Backend. */
  readonly backend: BackendName;
}

const usageError = (detail: string): UsageError => new UsageError('sample-layers', [{ path: 'arguments', expected: 'see gan-segmenter sample-layers --help', given: detail }]);

/**
 * Parse `sample-layers`' arguments (a {@link UsageError} names the bad flag).
 *
 * @example
 * ```ts
 * const a = parseSampleLayersArgs(['--weights', 'ils.safetensors', '--n', '8', '--out', 'layers']);
 * ```
 */
export const parseSampleLayersArgs = (argv: readonly string[]): SampleLayersArgs => {
  const split = expectArgs(splitArgs(argv, ['npy']), { flags: ['weights', 'n', 'seed', 'truncation', 'out', 'npy', 'columns', 'backend'] }, 'sample-layers');
  const v = split.flags;
  const num = (k: string, dflt: number, ok: (n: number) => boolean, what: string): number => numberFlag(v, k, dflt, ok, what, usageError);
  const backend = v['backend'] ?? 'auto';
  if (!['auto', 'tensorflow', 'native', 'wasm', 'cpu'].includes(backend)) throw usageError(`--backend must be one of auto|tensorflow|native|wasm|cpu, got '${backend}'`);
  return {
    weights: requireFlag(split, 'weights', 'sample-layers'),
    n: num('n', 8, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'),
    seed: v['seed'] ?? '0',
    truncation: num('truncation', 1, (n) => n > 0 && n <= 1, 'in (0, 1]'),
    out: requireFlag(split, 'out', 'sample-layers'),
    npy: v['npy'] !== undefined && v['npy'] !== 'false',
    columns: num('columns', 8, (n) => Number.isInteger(n) && n >= 1, 'an integer ≥ 1'),
    backend: backend as BackendName,
  };
};

/** Chunk size of the forward passes. */
const CHUNK = 16;

const run = async (argv: readonly string[], out: CliOutput = cliOutput()): Promise<number> => {
  const a = parseSampleLayersArgs(argv);
  await initBackend({ backend: a.backend });
  const g = loadLayeredGenerator(a.weights);
  try {
    mkdirSync(a.out, { recursive: true });
    const z = tf.tensor2d(new Rng(a.seed).normalArray(a.n * g.config.zDim), [a.n, g.config.zDim]);
    const parts: Layers[] = [];
    try {
      for (let s = 0; s < a.n; s += CHUNK) {
        const zi = tf.slice(z, [s, 0], [Math.min(CHUNK, a.n - s), g.config.zDim]);
        parts.push(g.layers(zi, { truncation: a.truncation, noise: 'const' }));
        zi.dispose();
      }
      const cat = (k: keyof Layers): tf.Tensor4D => tf.concat(parts.map((p) => p[k]), 0);
      const all: Layers = { foreground: cat('foreground'), background: cat('background'), mask: cat('mask'), composite: cat('composite') };
      try {
        const cols = Math.min(a.columns, a.n);
        const head = tf.tidy(() => {
          const first = (x: tf.Tensor4D): tf.Tensor4D => tf.slice(x, [0, 0, 0, 0], [cols, -1, -1, -1]);
          return { foreground: first(all.foreground), background: first(all.background), mask: first(all.mask), composite: first(all.composite) };
        });
        const grid = join(a.out, 'layers.png');
        writeLayerGrid(head, grid);
        tf.dispose([head.foreground, head.background, head.mask, head.composite]);
        const npys: string[] = [];
        if (a.npy) {
          for (const [name, x] of [['fg', all.foreground], ['bg', all.background], ['mask', all.mask], ['composite', all.composite], ['z', z]] as const) {
            const file = join(a.out, `${name}.npy`);
            writeNpy(file, tensorToNpy(x));
            npys.push(file);
          }
        }
        out.info(`sample-layers: ${a.n} layer sets from ${a.weights} (ψ ${a.truncation}), grid of ${cols} in ${grid}${a.npy ? `, ${npys.length} .npy files` : ''}`);
        out.result({ out: a.out, grid, npy: npys, n: a.n });
      } finally {
        tf.dispose([all.foreground, all.background, all.mask, all.composite]);
      }
    } finally {
      for (const p of parts) tf.dispose([p.foreground, p.background, p.mask, p.composite]);
      z.dispose();
    }
    return 0;
  } finally {
    g.dispose();
  }
};

/**
 * `gan-segmenter sample-layers --weights <ilsgan-generator.safetensors> [--n N] [--seed S] [--truncation PSI] --out <dir> [--npy]`.
 *
 * @example
 * ```ts
 * await sampleLayersCommand.run(['--weights', 'runs/ils/ilsgan-generator.safetensors', '--n', '16', '--out', 'layers', '--npy']);
 * ```
 */
export const sampleLayersCommand: Command = {
  name: 'sample-layers',
  summary: "draw ILSGAN layer sets (foreground, background, mask, composite) from a layered generator: PNG grid, .npy",
  usage: [
    'usage: gan-segmenter sample-layers --weights <ilsgan-generator.safetensors> [--n N] [--seed S] [--truncation PSI] --out <dir>',
    '         [--npy] [--columns C] [--backend auto|tensorflow|native|wasm|cpu]',
    '',
    "Draws z ~ N(0, I) from --seed, the unshifted layers at ψ --truncation with const noise (generate_segmentation_samples.py),",
    'writes <out>/layers.png (the first --columns samples; rows foreground, background, mask, composite, foreground on black,',
    'foreground on white) and, with --npy, <out>/fg.npy, bg.npy, composite.npy ([N,H,W,3], raw output in about [-1,1]),',
    'mask.npy ([N,H,W,1] in [0,1]) and z.npy. Defaults: --n 8, --seed 0, --truncation 1, --columns 8.',
    'The file: train-ilsgan\'s or run method=ilsgan\'s ilsgan-generator.safetensors (config in its metadata).',
  ].join('\n'),
  run,
};
