/**
 * `gan-segmenter generate --generator <weights> --direction <dir.safetensors> --out <folder> --count N`
 *
 * @module
 */
import type { Command } from '../command.ts';
import { initBackend } from '../../backend/init.ts';
import { Rng } from '../../core/rng.ts';
import { LatentDirectionConfig, PAPER_CONFIG } from '../../methods/latent-direction/config.ts';
import { loadDirection } from '../../methods/latent-direction/direction-file.ts';
import { loadGeneratorFile } from '../../pipeline/generators.ts';
import { directionMaskSource } from '../../methods/latent-direction/method.ts';
import { writeSyntheticSet } from '../../pipeline/synthetic-disk.ts';
import { acquireRunLock } from '../../train/lock.ts';
import { commandConfig, expectArgs, requireFlag, splitArgs, UsageError } from '../args.ts';
import { cliOutput } from '../output.ts';

const usage = `usage: gan-segmenter generate --generator <weights.safetensors> --direction <direction.safetensors> --out <folder> [--count 1000] [--shard-size 256] [--seed N] [config.yaml] [key=value …]

Writes --count filtered (image, mask) PNG pairs in shards of --shard-size with a manifest.json; re-running the
same command resumes. The direction file gives variant, space and maskRadius. --seed: seed of the draws (default 0).
A line per shard on stderr; stdout: one JSON object {"out", "count", "shards", "complete", "filterStats"}.
Filter keys (paper defaults): filters.ccThreshold=0.2 filters.sizeRange=[0,0.5] filters.histogramBins=12 truncation=1`;

const int = (v: string | undefined, name: string, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('generate', [{ path: `--${name}`, expected: 'a positive integer', given: JSON.stringify(v) }]);
  return n;
};

/** The `generate` command. */
export const generateCommand: Command = {
  name: 'generate',
  summary: 'write a synthetic (image, mask) dataset from a generator and a direction',
  usage,
  run: async (argv, output = cliOutput()) => {
    const a = expectArgs(splitArgs(argv), { flags: ['generator', 'direction', 'out', 'count', 'shard-size', 'seed'], positional: 1, overrides: true }, 'generate');
    const gPath = requireFlag(a, 'generator', 'generate'), dPath = requireFlag(a, 'direction', 'generate'), out = requireFlag(a, 'out', 'generate');
    const count = int(a.flags.count, 'count', 1000), shardSize = int(a.flags['shard-size'], 'shard-size', 256);
    const cfg = commandConfig(LatentDirectionConfig, a.positional[0], a.overrides, PAPER_CONFIG, 'generate');
    await initBackend();
    const g = loadGeneratorFile(gPath);
    const d = loadDirection(dPath, g);
    const src = directionMaskSource(g, d, { ...cfg, variant: d.info.variant, space: d.info.space, maskRadius: d.info.maskRadius as typeof cfg.maskRadius });
    // One writer per folder (a LockedError naming the lock file otherwise); a SIGKILLed run's stale lock is taken over.
    const lock = acquireRunLock(out, { command: 'generate', onStale: (f, h) => output.warn(`generate: took over the stale lock ${f}${h ? ` of pid ${h.pid} (not running)` : ''}`) });
    const m = await writeSyntheticSet(src, out, new Rng(a.flags.seed ?? 0), { count, shardSize, onShard: (done, total) => output.info(`shard ${done}/${total}`) }).finally(() => lock.release());
    output.result({ out, count: m.count, shards: m.shards.length, complete: m.complete, filterStats: (src.record as { filterStats?: unknown }).filterStats ?? null });
    src.dispose();
    g.dispose();
    return 0;
  },
};
