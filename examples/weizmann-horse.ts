// The latent-direction method on real photos: a DCGAN trained on the 200 unlabeled Weizmann horse
// photos, its foreground direction, synthetic pairs, a UNet, and the evaluation against the hand-made
// masks (used only for the metrics). The same as
//   gan-segmenter run train.dataset=<dir> eval.dataset=<dir> gan.steps=6000 data.count=2000 unet.steps=1000 out=out/horse
// Run: [WEIZMANN_HORSE=<dir with images/ and masks/>] node --import tsx examples/weizmann-horse.ts
import { initBackend } from '../src/backend/init.ts';
import { runMethodPipeline, type RunInput } from '../src/pipeline/index.ts';

await initBackend();
// The photos' folder: WEIZMANN_HORSE, else ../shared/datasets/weizmann-horse beside the project.
const root = process.env['WEIZMANN_HORSE'] ?? '../shared/datasets/weizmann-horse';
const config: RunInput<'latent-direction'> = {
  method: 'latent-direction',
  out: 'out/horse',
  train: { dataset: root },
  eval: { dataset: root },
  // 6000 GAN steps: 0.618 / 0.615 (seeds 0, 1) vs 0.501 / 0.499 at 2000 and 0.565 / 0.578 at 12 000 (docs/measurements.md).
  gan: { steps: 6000 },
  data: { count: 2000 },
  unet: { steps: 1000 },
};
const r = await runMethodPipeline(config, { onEvent: (e) => { if (e.type === 'stage-end') console.log(`${e.stage}: ${e.seconds.toFixed(1)} s`); } });
console.log(r.metrics, r.report.markdown);
