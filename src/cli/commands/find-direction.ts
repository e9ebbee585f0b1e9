/**
 * `gan-segmenter find-direction [config] --generator <weights> --out <direction.safetensors> [key=value …]`
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../command.ts';
import { loadConfig } from '../config.ts';
import { initBackend } from '../../backend/init.ts';
import { Rng } from '../../core/rng.ts';
import { LatentDirectionConfig, PAPER_CONFIG } from '../../methods/latent-direction/config.ts';
import { LatentDirectionFinder } from '../../methods/latent-direction/train.ts';
import { saveDirection } from '../../methods/latent-direction/direction-file.ts';
import { loadGeneratorFile } from '../../pipeline/generators.ts';
import { expectArgs, requireFlag, splitArgs } from '../args.ts';

const usage = `usage: gan-segmenter find-direction [config.yaml] --generator <weights.safetensors> --out <direction.safetensors> [--seed N] [key=value …]

Learns the latent direction of Melas-Kyriazi et al. (variant=single|dual) or Voynov et al. (variant=background).
Config keys (paper defaults): variant=single space=z batchSize=32 iterations=300 learningRate=0.005
  radius.mean=2 radius.std=0.5 radius.min=0.1 losses.radialPrior=2 losses.sobelShift=10 maskRadius=5`;

/** The `find-direction` command. */
export const findDirectionCommand: Command = {
  name: 'find-direction',
  summary: 'learn a foreground/background latent direction in a generator (Melas-Kyriazi et al. and Voynov et al.)',
  usage,
  run: async (argv) => {
    const a = expectArgs(splitArgs(argv), { flags: ['generator', 'out', 'seed'], positional: 1, overrides: true }, 'find-direction');
    const generator = requireFlag(a, 'generator', 'find-direction'), out = requireFlag(a, 'out', 'find-direction');
    const cfg = loadConfig(LatentDirectionConfig, a.positional[0], a.overrides, PAPER_CONFIG, 'find-direction');
    if (E.isLeft(cfg)) throw cfg.left;
    await initBackend();
    const g = loadGeneratorFile(generator);
    const t0 = performance.now();
    const d = await new LatentDirectionFinder(g, cfg.right).find(new Rng(a.flags.seed ?? 0), {
      progressEvery: 25,
      onProgress: (e) => console.error(`${e.vector} ${e.iteration}/${e.total} loss ${e.loss.toFixed(4)} (radial ${e.radialPrior.toFixed(4)}, sobel ${e.sobelShift.toFixed(4)})`),
    });
    saveDirection(out, d);
    console.log(JSON.stringify({ direction: out, generatorId: g.id, variant: d.info.variant, space: d.info.space, seconds: (performance.now() - t0) / 1000 }));
    d.dispose();
    g.dispose();
    return 0;
  },
};
