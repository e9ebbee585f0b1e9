/**
 * Baseline floors: centre-ellipse prior and Otsu threshold, per-image IoU
 * (melas-kyriazi protocol), on the synthetic `shapes` benchmark and on the
 * Weizmann horses (full-resolution masks). Also times shapes generation.
 *
 * Run: node --import tsx bench/data-baselines.ts [shapesCount=500] [horsesDir]
 */
import { Rng } from '../src/core/rng.ts';
import { generateShapeSample } from '../src/data/shapes.ts';
import { centerPriorMask, otsuMask } from '../src/data/baselines.ts';
import { openBenchmark } from '../src/data/layouts.ts';
import { createAccumulator } from '../src/metrics/protocols.ts';

const main = async (): Promise<void> => {
  const n = Number(process.argv[2] ?? 500), horses = process.argv[3] ?? '../shared/datasets/weizmann-horse';
  for (const size of [32, 64]) {
    const c = createAccumulator('melas-kyriazi'), o = createAccumulator('melas-kyriazi'), rng = new Rng('bench/baselines');
    const t0 = performance.now();
    const samples = Array.from({ length: n }, (_, i) => generateShapeSample(rng.fork(String(i)), { size }));
    const ms = (performance.now() - t0) / n;
    for (const s of samples) { c.add(centerPriorMask(size, size).data, s.mask.data); o.add(otsuMask(s.image).data, s.mask.data); }
    console.log(`shapes ${size}x${size} n=${n}: ${ms.toFixed(2)} ms/image; centre IoU ${c.report().iou!.toFixed(4)}, Otsu IoU ${o.report().iou!.toFixed(4)}, centre Fmax ${c.report().fmax!.toFixed(4)}, Otsu Fmax ${o.report().fmax!.toFixed(4)}`);
  }
  const ds = openBenchmark('generic', horses);
  const c = createAccumulator('melas-kyriazi'), o = createAccumulator('melas-kyriazi');
  for (let i = 0; i < ds.length; i++) {
    const s = await ds.get(i);
    c.add(centerPriorMask(s.image.width, s.image.height).data, s.mask.data);
    o.add(otsuMask(s.image).data, s.mask.data);
  }
  console.log(`weizmann-horse n=${ds.length}: centre IoU ${c.report().iou!.toFixed(4)} acc ${c.report().acc!.toFixed(4)}; Otsu IoU ${o.report().iou!.toFixed(4)} acc ${o.report().acc!.toFixed(4)}`);
};
void main();
