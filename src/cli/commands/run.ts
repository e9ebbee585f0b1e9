/**
 * `gan-segmenter run [config] [key=value …]` — one method end to end from a config file and overrides.
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
import { decodeRunConfig } from '../../pipeline/run-config.ts';
import { runMethodPipeline } from '../../pipeline/run.ts';
import { acquireRunLock } from '../../train/lock.ts';
import { commandConfig, expectArgs, splitArgs, UsageError } from '../args.ts';
import { cliOutput, type CliOutput } from '../output.ts';
import type { PipelineEvent } from '../../core/events.ts';

const usage = `usage: gan-segmenter run [config.yaml|json] [key=value …]

Runs one method end to end: inputs (gan.weights=<file of any supported family>, or a DCGAN trained on
train.dataset) → the method → synthetic (image, mask) pairs → UNet → evaluation on eval.dataset next to the
centre-ellipse and Otsu baselines; writes <out>/report.md and <out>/report.json.
Methods: ${Object.values(METHODS).map((m) => `${m.name} (needs ${m.needs.join(', ')})`).join('; ')}.
Keys (defaults): method=latent-direction seed=0 out=out resolution=32
  train.dataset=shapes (or a folder of photos, or a directory with images/) train.count=4000 (shapes images)
  gan.weights='' gan.steps=1500 gan.batchSize=32 gan.width=32 gan.augment=[] (DiffAugment: [color,translation,cutout])
  <method>.<key>: the method's own settings, e.g. latent-direction.iterations=300 latent-direction.maskRadius=1
    (latent-direction's run default; its paper default is 5; any find-direction key; 'direction.' is read as 'latent-direction.')
  data.mode=memory (or stream) data.count=6000 unet.width=16 unet.depth=3 unet.steps=2400 unet.batchSize=16 unet.lr=0.001
  unet.augment=[flip,crop,color] ensemble=1 (K members: own method run, pairs, UNet; averaged)
  eval.dataset=shapes (or a directory with images/ and masks/) eval.count=200 (shapes images)
  eval.split=test (validation: a second shapes set, for choosing settings) resume=false
Stage lines on stderr; a closing line with the metrics of the method's protocol; stdout: one JSON object
{"metrics", "timings", "report": {"markdown", "json", …}}. A config that does not decode exits 2 before any work.`;

/** Stage starts and ends, and a progress line at most every 5 s, on stderr (seconds since `t0`). */
const progressPrinter = (t0: number, out: CliOutput): ((e: PipelineEvent) => void) => {
  let last = 0;
  return (e) => {
    const s = ((performance.now() - t0) / 1000).toFixed(0).padStart(4);
    if (e.type === 'stage-start') out.info(`[${s}s] ${e.stage} …`);
    else if (e.type === 'stage-end') out.info(`[${s}s] ${e.stage} done in ${e.seconds.toFixed(1)} s`);
    else if (performance.now() - last > 5000) {
      last = performance.now();
      const sc = Object.entries(e.scalars).slice(0, 3).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
      out.info(`[${s}s]   ${e.stage} ${e.step}/${e.total} ${sc}`);
    }
  };
};

/** The run config and the method's block decode (what `runMethodPipeline` checks first), or a {@link UsageError}: exit 2 before any work. */
const checkRunConfig = (raw: unknown): void => {
  try {
    const c = decodeRunConfig(raw, 'run');
    if (E.isLeft(c)) throw c.left;
    const m = decodeMethodConfig(findMethod(METHODS, c.right.method), c.right.methodConfig, c.right.method, true);
    if (E.isLeft(m)) throw m.left;
  } catch (e) {
    throw e instanceof ConfigError ? UsageError.from(e) : e;
  }
};

/** The `run` command. */
export const runCommand: Command = {
  name: 'run',
  summary: 'run one method end to end from a config (inputs → method → data → UNet → evaluation)',
  usage,
  run: async (argv, out = cliOutput()) => {
    const a = expectArgs(splitArgs(argv), { flags: [], positional: 1, overrides: true }, 'run');
    const raw = commandConfig(t.unknown, a.positional[0], a.overrides, {}, 'run');
    checkRunConfig(raw);
    const t0 = performance.now();
    const backend = await initBackend();
    out.info(`backend: ${backend.tfBackend} (${backend.requested})`);
    // One run per output folder: a second `run` on the same `out` gets a LockedError naming the lock file.
    const runOut = E.fold(() => 'out', (c: { out: string }) => c.out)(decodeRunConfig(raw, 'run'));
    const lock = acquireRunLock(runOut, { command: 'run', onStale: (f, h) => out.warn(`run: took over the stale lock ${f}${h ? ` of pid ${h.pid} (not running)` : ''}`) });
    const r = await runMethodPipeline(raw, { onEvent: progressPrinter(t0, out) }).finally(() => lock.release());
    // The metrics the method's protocol defines (melas-kyriazi: IoU, accuracy, max F-β, MAE; ganseg: IoU, MAE …).
    const names: Readonly<Record<string, string>> = { iou: 'IoU', acc: 'acc', fmax: 'F-max', mae: 'MAE' };
    const shown = Object.entries(r.metrics).map(([k, v]) => `${names[k] ?? k} ${v.toFixed(4)}`).join('  ');
    out.info(`\n${shown}; total ${((performance.now() - t0) / 1000).toFixed(1)} s — ${r.report.markdown}, ${r.report.json}`);
    out.result({ metrics: r.metrics, timings: r.timings, report: r.report });
    return 0;
  },
};
