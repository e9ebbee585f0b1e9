/**
 * `gan-segmenter find-direction [config] --generator <weights> --out <direction.safetensors> [key=value …]`
 *
 * @module
 */
import type { Command } from '../command.ts';
import { initBackend } from '../../backend/init.ts';
import { Rng } from '../../core/rng.ts';
import { LatentDirectionConfig, PAPER_CONFIG } from '../../methods/latent-direction/config.ts';
import { LatentDirectionFinder } from '../../methods/latent-direction/train.ts';
import { saveDirection } from '../../methods/latent-direction/direction-file.ts';
import { loadGeneratorFile } from '../../pipeline/generators.ts';
import { commandConfig, expectArgs, requireFlag, splitArgs } from '../args.ts';
import { cliOutput } from '../output.ts';

const usage = `usage: gan-segmenter find-direction [config.yaml] --generator <weights.safetensors> --out <direction.safetensors> [--seed N] [key=value …]

Learns the latent direction of Melas-Kyriazi et al. (variant=single|dual) or Voynov et al. (variant=background)
and writes it to --out. Progress every 25 iterations on stderr; stdout: one JSON object
{"direction", "generatorId", "variant", "space", "seconds"}.
--seed: seed of the latents drawn while optimising (default 0).
Config keys (paper defaults): variant=single|dual|background space=z|w batchSize=32 iterations=300
  learningRate=0.005 milestones=[] gamma=0.1 radius.mean=2 radius.std=0.5 radius.min=0.1
  losses.radialPrior=2 losses.sobelShift=10 maskRadius=5 truncation=1
  filters.ccThreshold=0.2 filters.sizeRange=[0,0.5] filters.histogramBins=12`;

/** The `find-direction` command. */
export const findDirectionCommand: Command = {
  name: 'find-direction',
  summary: 'learn a foreground/background latent direction in a generator (Melas-Kyriazi et al. and Voynov et al.)',
  usage,
  run: async (argv, out = cliOutput()) => {
    const a = expectArgs(splitArgs(argv), { flags: ['generator', 'out', 'seed'], positional: 1, overrides: true }, 'find-direction');
    const generator = requireFlag(a, 'generator', 'find-direction'), file = requireFlag(a, 'out', 'find-direction');
    const cfg = commandConfig(LatentDirectionConfig, a.positional[0], a.overrides, PAPER_CONFIG, 'find-direction');
    await initBackend();
    const g = loadGeneratorFile(generator);
    const t0 = performance.now();
    const d = await new LatentDirectionFinder(g, cfg).find(new Rng(a.flags.seed ?? 0), {
      progressEvery: 25,
      onProgress: (e) => out.info(`${e.vector} ${e.iteration}/${e.total} loss ${e.loss.toFixed(4)} (radial ${e.radialPrior.toFixed(4)}, sobel ${e.sobelShift.toFixed(4)})`),
    });
    saveDirection(file, d);
    out.result({ direction: file, generatorId: g.id, variant: d.info.variant, space: d.info.space, seconds: (performance.now() - t0) / 1000 });
    d.dispose();
    g.dispose();
    return 0;
  },
};
