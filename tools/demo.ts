// `npm run demo`: the latent-direction method end to end on the embedded `shapes`
// benchmark, no downloads. Writes out/report.md, out/report.json and PNG grids.
// Usage: npm run demo [-- key=value …]   e.g.  npm run demo -- unet.steps=300 out=out/quick
import { initBackend } from '../src/backend/init.ts';
import { applyOverrides } from '../src/cli/config.ts';
import { decodeShapesRunConfig, evalSetName, runShapesPipeline, fileExists } from '../src/pipeline/shapes-run.ts';
import type { PipelineEvent } from '../src/pipeline/types.ts';
import * as E from 'fp-ts/lib/Either.js';

const SHIPPED_GENERATOR = 'assets/dcgan-shapes-32.safetensors';

const main = async (): Promise<number> => {
  const t0 = performance.now();
  const backend = await initBackend();
  console.log(`backend: ${backend.tfBackend} (${backend.requested})`);
  const base = fileExists(SHIPPED_GENERATOR) ? { gan: { weights: SHIPPED_GENERATOR } } : {};
  const merged = applyOverrides(base, process.argv.slice(2));
  if (E.isLeft(merged)) { console.error(merged.left.message); return 2; }
  const cfg = decodeShapesRunConfig(merged.right, 'demo');
  if (E.isLeft(cfg)) { console.error(cfg.left.message); return 2; }
  let last = 0;
  const onEvent = (e: PipelineEvent): void => {
    const s = ((performance.now() - t0) / 1000).toFixed(0).padStart(4);
    if (e.type === 'stage-start') console.log(`[${s}s] ${e.stage} …`);
    else if (e.type === 'stage-end') console.log(`[${s}s] ${e.stage} done in ${e.seconds.toFixed(1)} s`);
    else if (performance.now() - last > 5000) {
      last = performance.now();
      const sc = Object.entries(e.scalars).slice(0, 3).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
      console.log(`[${s}s]   ${e.stage} ${e.step}/${e.total} ${sc}`);
    }
  };
  const r = await runShapesPipeline(cfg.right, { onEvent });
  console.log(`\n${evalSetName(cfg.right.eval.split)} shapes: IoU ${r.metrics.iou?.toFixed(4)}  acc ${r.metrics.acc?.toFixed(4)}  F-max ${r.metrics.fmax?.toFixed(4)}`);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s — ${r.report.markdown}, ${r.report.json}`);
  return 0;
};

main().then((code) => { process.exitCode = code; }, (e: unknown) => { console.error(e instanceof Error ? e.stack ?? e.message : e); process.exitCode = 1; });
