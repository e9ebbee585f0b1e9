// The latent-direction method in a few lines of the typed pipeline API:
// generator → direction → synthetic pairs → UNet → evaluation on held-out `shapes`.
// Run: node --import tsx examples/latent-direction-shapes.ts [generator.safetensors] [unet-steps]
// (defaults to the shipped demo generator; `npm run demo` does the same with a report).
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { initBackend } from '../src/backend/init.ts';
import { Rng } from '../src/core/rng.ts';
import { createUNet } from '../src/models/unet/index.ts';
import { melasKyriaziSegmenterDefaults, type SegmenterTrainConfig } from '../src/train/segmenter.ts';
import { PAPER_CONFIG } from '../src/methods/latent-direction/config.ts';
import {
  evaluateStage, findDirection, generateData, loadGeneratorFile, protocolMetrics, trainSegmenterStage, useGenerator,
} from '../src/pipeline/index.ts';
import { loadShapes } from '../src/data/tensors.ts';

await initBackend();
const g = loadGeneratorFile(process.argv[2] ?? 'assets/dcgan-shapes-32.safetensors');
const ctx = { rng: new Rng(0), onEvent: (e: { type: string; stage: string }) => e.type !== 'stage-progress' && console.log(e.type, e.stage) };
const heldOut = await loadShapes(new Rng('example-held-out'), 100, g.resolution);
const unet = { config: { ...melasKyriaziSegmenterDefaults, steps: Number(process.argv[3] ?? 300), batchSize: 16 } as SegmenterTrainConfig, resolution: g.resolution, out: 'out/example-unet',
  model: () => createUNet({ inChannels: 3, nClasses: 2, width: 16, depth: 3, bilinear: false }, new Rng(1)) };

const result = await pipe(
  TE.right(useGenerator(g)),
  TE.chain(findDirection(PAPER_CONFIG, ctx)),               // seed 000: one unit-norm direction, 300 Adam steps
  TE.chain(generateData({ mode: 'memory', count: 1000 }, ctx)), // filtered (image, mask) pairs
  TE.chain(trainSegmenterStage(unet, ctx)),                 // UNet on the synthetic pairs only
  TE.chain(evaluateStage(heldOut, protocolMetrics('melas-kyriazi'), ctx)),
)();
console.log(E.isRight(result) ? result.right.metrics : result.left.message);
