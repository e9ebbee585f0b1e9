/**
 * `gan-segmenter benchmark [config] [--quick] [key=value …]` — every requested method and the baselines on
 * one honest protocol (seeded, recorded validation/test split of a labelled photo set), one leaderboard.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { Command } from '../command.ts';
import { initBackend } from '../../backend/init.ts';
import { ConfigError } from '../../core/errors.ts';
import { decodeMethodConfig } from '../../methods/spec.ts';
import { findMethod, METHODS } from '../../methods/table.ts';
import { BENCHMARK_QUICK, decodeBenchmarkConfig, runBenchmark } from '../../pipeline/benchmark.ts';
import { commandConfig, expectArgs, splitArgs, UsageError } from '../args.ts';
import { cliOutput, type CliOutput } from '../output.ts';
import type { PipelineEvent } from '../../core/events.ts';

const usage = `usage: gan-segmenter benchmark [config.yaml|json] [--quick] [key=value …]

Runs every method of methods=[…] and the baselines (centre ellipse, Otsu, GrabCut) on a labelled photo set
(<dataset>/images + <dataset>/masks) split once into validation and test parts (the package's
assets/splits/<dataset folder name>.json when it ships one — weizmann-horse: 60 / 140 — else a new seeded
split, written to <out>/split.json). The GAN (a DCGAN trained once per out folder and settings, resumable, or gan.weights)
and the methods use every photo unlabeled; test-time flip averaging, GrabCut refinement of the UNet's
mask and self-training are chosen on the validation masks; the leaderboard reports the test part, scored at the photos' own
resolution (probability upsampled bilinearly, threshold 0.5, per-image IoU). Writes <out>/report.md,
<out>/report.json and <out>/hardest-<entry>.png (image · truth · prediction). Run again to resume.
--quick: a CI preset (~2-3 minutes): out=out/benchmark-quick limit=6 gan.steps=300 data.count=256
  unet.steps=100 latent-direction.iterations=50 selftrain.steps=50 selftrain.photos=12 grid=4.
Methods: ${Object.values(METHODS).map((m) => m.name).join(', ')} (default latent-direction; a method that fails is listed with its error).
Keys (defaults): dataset=../shared/datasets/weizmann-horse split=auto (or a split file) validation=60 (a new split's
  validation photos) limit=0 (photos per part; 0 = all) seed=0 out=out/benchmark methods=[latent-direction]
  resolution=32 gan.weights= (a generator file used instead of training the DCGAN, e.g. a StyleGAN2 for
  labels4free; resolution must be its side) gan.steps=6000 gan.batchSize=32 gan.width=32 gan.augment=[] data.count=2000
  unet.width=16 unet.depth=3 unet.steps=1000 unet.batchSize=16 unet.lr=0.001 unet.augment=[flip,crop,color]
  segment.flip=auto (true | false) refine.method=auto (grabcut | none) refine.definite=1.1 (p ≥ it or ≤ 1 − it: labels GrabCut
  keeps; > 1: none) refine.iterations=5
  refine.box=-1 (≥ 0: definite background outside the predicted mask's box enlarged by that fraction)
  refine.maxSide=0 (> 0: GrabCut on a copy with this longer side, mask upsampled back; 0 = full size)
  refine.rect=0.05 (definite background outside the central rectangle with this margin, as GrabCut's; -1: off)
  selftrain.rounds=1 (a fresh UNet trained on the method's refined masks of the unlabeled photos, kept
  if it wins on validation; 0: off) selftrain.steps=1000 selftrain.photos=0 (0 = all)
  test=true (false: score the validation part only) grid=8 (hardest test photos shown per entry)
  <method>.<key>: the method's own settings.`;

/** Stage starts and ends, and a progress line at most every 10 s, on stderr. */
const progressPrinter = (t0: number, out: CliOutput): ((e: PipelineEvent) => void) => {
  let last = 0;
  return (e) => {
    const s = ((performance.now() - t0) / 1000).toFixed(0).padStart(5);
    if (e.type === 'stage-start') out.info(`[${s}s] ${e.stage} …`);
    else if (e.type === 'stage-end') out.info(`[${s}s] ${e.stage} done in ${e.seconds.toFixed(1)} s`);
    else if (performance.now() - last > 10000) {
      last = performance.now();
      out.info(`[${s}s]   ${e.stage} ${e.step}/${e.total}`);
    }
  };
};

/** The benchmark config and every method's block decode, or a {@link UsageError}: exit 2 before any work. */
const checkConfig = (raw: unknown): void => {
  try {
    const c = decodeBenchmarkConfig(raw);
    if (E.isLeft(c)) throw c.left;
    for (const m of c.right.methods) {
      const d = decodeMethodConfig(findMethod(METHODS, m), c.right.methodConfigs[m], m, true);
      if (E.isLeft(d)) throw d.left;
    }
  } catch (e) {
    throw e instanceof ConfigError ? UsageError.from(e) : e;
  }
};

/** A score for the console; a part not scored (NaN, or null read back from JSON) as '–'. */
const num = (v: number | null): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(4) : '–');

/** The `benchmark` command. */
export const benchmarkCommand: Command = {
  name: 'benchmark',
  summary: 'every method and the baselines on a seeded validation/test split of labelled photos: one leaderboard',
  usage,
  run: async (argv, out = cliOutput()) => {
    const a = expectArgs(splitArgs(argv, ['quick']), { flags: ['quick'], positional: 1, overrides: true }, 'benchmark');
    const raw = commandConfig(t.unknown, a.positional[0], a.overrides, a.flags['quick'] === 'true' ? BENCHMARK_QUICK : {}, 'benchmark');
    checkConfig(raw);
    const t0 = performance.now();
    const backend = await initBackend();
    out.info(`backend: ${backend.tfBackend} (${backend.requested})`);
    const { result, report } = await runBenchmark(raw, { onEvent: progressPrinter(t0, out) });
    const lines = result.rows.map((r) => (r.error !== undefined ? `${r.name}: failed (${r.error})` : `${r.name.padEnd(28)} test IoU ${num(r.test.iou)}  validation ${num(r.validation.iou)}  ${r.settings}`));
    out.result({ rows: result.rows, report }, `${lines.join('\n')}\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s — ${report.markdown}, ${report.json}`);
    return 0;
  },
};
