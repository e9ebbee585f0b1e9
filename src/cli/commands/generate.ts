/**
 * `gan-segmenter generate --generator <weights> --direction <dir.safetensors> --out <folder> --count N`
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../command.ts';
import { loadConfig } from '../config.ts';
import { initBackend } from '../../backend/init.ts';
import { Rng } from '../../core/rng.ts';
import { ConfigError } from '../../core/errors.ts';
import { LatentDirectionConfig, PAPER_CONFIG } from '../../methods/latent-direction/config.ts';
import { loadDirection } from '../../methods/latent-direction/direction-file.ts';
import { loadGeneratorFile } from '../../pipeline/generators.ts';
import { directionMaskSource } from '../../methods/latent-direction/method.ts';
import { writeSyntheticSet } from '../../pipeline/synthetic-disk.ts';
import { expectArgs, requireFlag, splitArgs } from '../args.ts';

const usage = `usage: gan-segmenter generate --generator <weights.safetensors> --direction <direction.safetensors> --out <folder> --count N [--shard-size 256] [--seed N] [config.yaml] [key=value …]

Writes filtered (image, mask) PNG pairs in shards with a manifest.json; re-running the same command resumes.
Filter keys (paper defaults): filters.ccThreshold=0.2 filters.sizeRange=[0,0.5] filters.histogramBins=12 truncation=1`;

const int = (v: string | undefined, name: string, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('generate', [{ path: `--${name}`, expected: 'a positive integer', given: JSON.stringify(v) }]);
  return n;
};

/** The `generate` command. */
export const generateCommand: Command = {
  name: 'generate',
  summary: 'write a synthetic (image, mask) dataset from a generator and a direction',
  usage,
  run: async (argv) => {
    const a = expectArgs(splitArgs(argv), { flags: ['generator', 'direction', 'out', 'count', 'shard-size', 'seed'], positional: 1, overrides: true }, 'generate');
    const gPath = requireFlag(a, 'generator', 'generate'), dPath = requireFlag(a, 'direction', 'generate'), out = requireFlag(a, 'out', 'generate');
    const count = int(a.flags.count, 'count', 1000), shardSize = int(a.flags['shard-size'], 'shard-size', 256);
    const cfg = loadConfig(LatentDirectionConfig, a.positional[0], a.overrides, PAPER_CONFIG, 'generate');
    if (E.isLeft(cfg)) throw cfg.left;
    await initBackend();
    const g = loadGeneratorFile(gPath);
    const d = loadDirection(dPath, g);
    const src = directionMaskSource(g, d, { ...cfg.right, variant: d.info.variant, space: d.info.space, maskRadius: d.info.maskRadius as typeof cfg.right.maskRadius });
    const m = await writeSyntheticSet(src, out, new Rng(a.flags.seed ?? 0), { count, shardSize, onShard: (done, total) => console.error(`shard ${done}/${total}`) });
    console.log(JSON.stringify({ out, count: m.count, shards: m.shards.length, complete: m.complete, filterStats: (src.record as { filterStats?: unknown }).filterStats ?? null }));
    src.dispose();
    g.dispose();
    return 0;
  },
};
