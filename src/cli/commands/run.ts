/**
 * `gan-segmenter run <config> [key=value …]` — the whole pipeline from a config file.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { Command } from '../command.ts';
import { loadConfig } from '../config.ts';
import { initBackend } from '../../backend/init.ts';
import { decodeShapesRunConfig, runShapesPipeline } from '../../pipeline/shapes-run.ts';
import { splitArgs } from './pipeline-args.ts';

const usage = `usage: gan-segmenter run [config.yaml|json] [key=value …]

Runs generator (gan.weights=<file>, or a DCGAN trained on shapes) → latent direction → synthetic data → UNet
→ evaluation on held-out shapes, and writes <out>/report.md and <out>/report.json.
Keys (defaults): seed=0 out=out resolution=32 gan.weights='' gan.steps=1500 gan.batchSize=32 gan.augment=[] (DiffAugment: [color,translation,cutout]) direction.iterations=300
  direction.maskRadius=1 (any find-direction key as direction.<key>) data.count=6000 unet.width=16 unet.depth=3 unet.steps=2400
  unet.batchSize=16 unet.lr=0.001 unet.augment=[flip,crop,color] ensemble=1 (K members: own direction, pairs, UNet; averaged)
  eval.count=200 eval.split=test (validation: a second shapes set, for choosing settings) resume=false`;

/** The `run` command. */
export const runCommand: Command = {
  name: 'run',
  summary: 'run a whole pipeline from a config (generator → direction → data → UNet → evaluation)',
  usage,
  run: async (argv) => {
    const a = splitArgs(argv);
    const raw = loadConfig(t.unknown, a.positional[0], a.overrides);
    if (E.isLeft(raw)) throw raw.left;
    const cfg = decodeShapesRunConfig(raw.right, a.positional[0] ?? 'run');
    if (E.isLeft(cfg)) throw cfg.left;
    await initBackend();
    const r = await runShapesPipeline(cfg.right, {
      onEvent: (e) => {
        if (e.type === 'stage-end') console.error(`${e.stage} done in ${e.seconds.toFixed(1)} s`);
        else if (e.type === 'stage-start') console.error(`${e.stage} …`);
      },
    });
    console.log(JSON.stringify({ metrics: r.metrics, timings: r.timings, report: r.report }));
    return 0;
  },
};
