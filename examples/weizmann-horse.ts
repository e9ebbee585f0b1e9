// The latent-direction method on real photos: a DCGAN trained on the 200 unlabeled
// Weizmann horse photos, its foreground direction, synthetic pairs, a UNet, and the
// evaluation against the hand-made masks (used only for the metrics).
// Run: [WEIZMANN_HORSE=<dir with images/ and masks/>] node --import tsx examples/weizmann-horse.ts [key=value …]
// (writes out/horse/report.md)
import * as E from 'fp-ts/lib/Either.js';
import { initBackend } from '../src/backend/init.ts';
import { applyOverrides } from '../src/cli/config.ts';
import { decodeShapesRunConfig, runShapesPipeline } from '../src/pipeline/shapes-run.ts';

await initBackend();
// The photos' folder: WEIZMANN_HORSE, else ../shared/datasets/weizmann-horse beside the project.
const root = process.env['WEIZMANN_HORSE'] ?? '../shared/datasets/weizmann-horse';
const base = {
  out: 'out/horse',
  dataset: { images: `${root}/images`, masks: `${root}/masks` },
  resolution: 32,
  // 6000 GAN steps: 0.618 / 0.615 (seeds 0, 1) vs 0.501 / 0.499 at 2000 and 0.565 / 0.578 at 12 000
  // (src/methods/latent-direction/README.md).
  gan: { steps: 6000, batchSize: 32, width: 32 },
  direction: { iterations: 300 },
  data: { count: 2000 },
  unet: { width: 16, depth: 3, steps: 1000, batchSize: 16 },
};
const cfg = E.chain((c: unknown) => decodeShapesRunConfig(c, 'weizmann-horse'))(applyOverrides(base, process.argv.slice(2)));
if (E.isLeft(cfg)) throw cfg.left;
const r = await runShapesPipeline(cfg.right, { onEvent: (e) => e.type === 'stage-end' && console.log(`${e.stage}: ${e.seconds.toFixed(1)} s`) });
console.log(r.metrics, r.report.markdown);
