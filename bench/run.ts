/**
 * `npm run bench [-- --json] [-- --quick] [-- --rounds N] [-- --workloads a,b] [-- --backends native,wasm,cpu,tensorflow]`
 *
 * Runs the same workloads in tfjs (native-cpu = the cpu backend with the OpenBLAS addon,
 * wasm, the plain cpu backend for tiny workloads only, and — only when named in `--backends` —
 * `tensorflow`, libtensorflow through `@tensorflow/tfjs-node(-gpu)` where that package is
 * installed; a row says why where it is not) and in PyTorch
 * (/usr/bin/python3 + Debian python3-torch, `torch.set_num_threads(2)`), each measurement
 * in its own process (so the RSS high-water mark is that workload's), interleaved per
 * workload; PyTorch and native-cpu run `--rounds` processes each (default 3), alternating,
 * and report the median of the per-process medians with the range of the per-round ratios. It prints a table of median milliseconds per step and ratios (tfjs / PyTorch;
 * ≤ 1 means at least as fast) and, since the machine may be shared, the ratio of process CPU
 * time per step too. `--json` prints one JSON object instead (use `npm run -s bench -- --json`
 * to keep npm's banner out of it).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { median } from './stats.ts';

interface Measurement {
  ms?: number;
  cpuMs?: number;
  times?: number[];
  maxRssMB?: number;
  info?: Record<string, unknown>;
  error?: string;
  /** Per-process medians, one per round (PyTorch and native-cpu only). */
  rounds?: number[];
}
interface Spec {
  name: string;
  what: string;
  backends: string[];
  warmup: number;
  steps: number;
  slowSteps: number;
  /** False for a workload without a PyTorch twin (tfjs only). Default true. */
  torch?: boolean;
  /** Runs only when named in `--workloads` (slow ones). */
  optIn?: boolean;
  /** Per-process time limit in seconds (default: 900 for PyTorch, 600 for tfjs). The full-size GAN steps need more. */
  timeoutS?: number;
}

const argv = process.argv.slice(2);
const flag = (f: string): boolean => argv.includes(`--${f}`);
const opt = (f: string): string | undefined => {
  const i = argv.indexOf(`--${f}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const json = flag('json');
const quick = flag('quick');
const threads = Number(opt('threads') ?? '2');
// PyTorch's and native-cpu's per-step times differ by up to 2x between processes on a shared
// machine; alternating several processes of each and taking the median keeps one outlier
// process from deciding the ratio.
const rounds = Math.max(1, Number(opt('rounds') ?? (quick ? '1' : '3')));
const python = process.env['GAN_SEGMENTER_PYTHON'] ?? '/usr/bin/python3';

const SPECS: Spec[] = [
  { name: 'conv3x3', what: '3×3 conv fwd+bwd, 8×64×64, 64→64', backends: ['native', 'wasm'], warmup: 2, steps: 9, slowSteps: 3 },
  { name: 'conv3x3-tiny', what: '3×3 conv fwd+bwd, 1×16×16, 16→16', backends: ['native', 'wasm', 'cpu'], warmup: 1000, steps: 500, slowSteps: 5 },
  { name: 'unet64', what: 'UNet Adam step, batch 8, 64×64 (8.16 M params)', backends: ['native', 'wasm'], warmup: 2, steps: 7, slowSteps: 2 },
  { name: 'unet128', what: 'UNet Adam step, batch 8, 128×128', backends: ['native', 'wasm'], warmup: 1, steps: 5, slowSteps: 1 },
  { name: 'sample64', what: 'StyleGAN2-like G forward, batch 16, 64×64', backends: ['native', 'wasm'], warmup: 2, steps: 9, slowSteps: 3 },
  { name: 'stylegan64', what: 'StyleGAN2-like G+D step + R1, batch 8, 64×64', backends: ['native', 'wasm'], warmup: 2, steps: 7, slowSteps: 2 },
  { name: 'alpha64', what: 'Labels4Free step: G frozen (fg + bg passes), alpha net + D with R1, batch 8, 64×64', backends: ['native', 'wasm'], warmup: 2, steps: 7, slowSteps: 2 },
  { name: 'demo-unet', what: "the demo's UNet step (width 16, depth 3, transposed-conv up), batch 16, 32×32, BCE, Adam", backends: ['native', 'wasm'], warmup: 3, steps: 15, slowSteps: 3 },
  { name: 'dcgan32', what: 'DCGAN G+D step (dcganSmall32, logistic loss, Adam 2e-4 β 0.5) + G EMA, batch 32, 32×32', backends: ['native', 'wasm'], warmup: 3, steps: 15, slowSteps: 3 },
  { name: 'direction', what: 'latent-direction search iteration on the shipped 32² DCGAN, batch 32', backends: ['native', 'wasm'], warmup: 3, steps: 15, slowSteps: 3 },
  { name: 'pairs1k', what: '1000 synthetic pairs (G(z), G(z + d), mask filters) from the shipped 32² DCGAN, tfjs only', backends: ['native', 'wasm'], warmup: 1, steps: 3, slowSteps: 1, torch: false },
  { name: 'segment100', what: "`segment` on 100 photos (decoded before timing): area resize to 64², the demo's UNet in eval mode, bilinear back, threshold", backends: ['native', 'wasm'], warmup: 1, steps: 5, slowSteps: 1 },
  { name: 'ilsgan64', what: 'ILSGAN step (ILS_predL: layered StyleGAN2 G+D, ADA, CLUB, lazy R1), batch 32, 64×64', backends: ['native'], warmup: 1, steps: 3, slowSteps: 1, optIn: true, timeoutS: 3600 },
  { name: 'ganseg64', what: 'GANSeg step (gan_cub_k8 part G scaled to 64², D, lazy GP, recompute), batch 64, 64×64', backends: ['native'], warmup: 1, steps: 3, slowSteps: 1, optIn: true, timeoutS: 3600 },
];

const only = opt('workloads')?.split(',');
const onlyBackends = opt('backends')?.split(',');
const specs = SPECS.filter((s) => (only ? only.includes(s.name) : !s.optIn));
// libtensorflow (tfjs-node) runs every workload, but only when asked for: it is an optional peer
// dependency whose install script downloads libtensorflow, so most machines lack it.
const OPT_IN_BACKENDS = ['tensorflow'];
const backendsOf = (s: Spec): string[] => [...s.backends, ...OPT_IN_BACKENDS].filter((b) => (onlyBackends ? onlyBackends.includes(b) : !OPT_IN_BACKENDS.includes(b)));
/** Backends measured like native-cpu (several alternating rounds, the full step count). */
const isFast = (backend: string): boolean => backend === 'native' || backend === 'tensorflow';

const lastJson = (out: string): Measurement => {
  const line = out.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) return { error: `no result (${out.trim().split('\n').slice(-1)[0] ?? 'no output'})` };
  try {
    return JSON.parse(line) as Measurement;
  } catch {
    return { error: 'unparsable result' };
  }
};

const runTorch = (s: Spec): Measurement => {
  if (s.torch === false) return { error: 'no PyTorch twin' };
  if (!existsSync(python)) return { error: `${python} not found` };
  const steps = quick ? Math.min(3, s.steps) : s.steps;
  const r = spawnSync(python, ['tools/bench/torch_bench.py', '--workload', s.name, '--warmup', String(s.warmup), '--steps', String(steps), '--threads', String(threads)], {
    encoding: 'utf8',
    timeout: (s.timeoutS ?? 900) * 1000,
  });
  if (r.status !== 0) return { error: (r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-1)[0] ?? 'failed' };
  return lastJson(r.stdout);
};

const runTfjs = (s: Spec, backend: string): Measurement => {
  const slow = !isFast(backend);
  const steps = quick ? Math.min(slow ? 1 : 3, s.steps) : slow ? s.slowSteps : s.steps;
  const warmup = slow ? Math.min(1, s.warmup) : s.warmup;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/worker.ts', '--backend', backend, '--workload', s.name, '--warmup', String(warmup), '--steps', String(steps)],
    { encoding: 'utf8', timeout: (s.timeoutS ?? 600) * 1000, env: { ...process.env, GAN_SEGMENTER_THREADS: String(threads), NODE_OPTIONS: '--max-old-space-size=8192' } },
  );
  if (r.status !== 0 && !r.stdout) return { error: (r.stderr || String(r.error)).trim().split('\n').slice(-1)[0] ?? 'failed' };
  return lastJson(r.stdout);
};

/** One measurement from several processes: medians of their medians, the highest RSS, every step's time. */
const combine = (ms: Measurement[]): Measurement => {
  const ok = ms.filter((m) => m.ms !== undefined);
  if (ok.length === 0) return ms[0] ?? { error: 'no run' };
  const cpu = ok.filter((m) => m.cpuMs !== undefined).map((m) => m.cpuMs!);
  const rss = ok.filter((m) => m.maxRssMB !== undefined).map((m) => m.maxRssMB!);
  return {
    ...ok[0],
    ms: median(ok.map((m) => m.ms!)),
    ...(cpu.length ? { cpuMs: median(cpu) } : {}),
    ...(rss.length ? { maxRssMB: Math.max(...rss) } : {}),
    times: ok.flatMap((m) => m.times ?? []),
    rounds: ok.map((m) => m.ms!),
  };
};

const results: Record<
  string,
  {
    what: string;
    pytorch: Measurement;
    tfjs: Record<string, Measurement>;
    ratios: Record<string, number | null>;
    /** Lowest and highest ratio of the rounds' paired processes (round i's tfjs / round i's PyTorch). */
    ratioRange: Record<string, [number, number] | null>;
    cpuRatios: Record<string, number | null>;
    /** `info.params` of each side (PyTorch; the first tfjs backend that reports it). */
    params: { pytorch: unknown; tfjs: unknown };
    /** True when both sides report a parameter count and they differ (also printed to stderr, and flagged in the table). */
    paramsMismatch: boolean;
  }
> = {};
for (const s of specs) {
  if (!json) process.stderr.write(`bench: ${s.name} … `);
  const backends = backendsOf(s);
  const torchRuns: Measurement[] = [];
  const tfjsRuns: Record<string, Measurement[]> = {};
  for (let r = 0; r < rounds; r++) {
    torchRuns.push(runTorch(s));
    // The slow backends once: their ratios are several times 1, far outside the processes' spread.
    for (const b of backends) if (r === 0 || isFast(b)) (tfjsRuns[b] ??= []).push(runTfjs(s, b));
  }
  const pytorch = combine(torchRuns);
  const tfjs: Record<string, Measurement> = {};
  const ratios: Record<string, number | null> = {};
  const ratioRange: Record<string, [number, number] | null> = {};
  const cpuRatios: Record<string, number | null> = {};
  for (const [b, runs] of Object.entries(tfjsRuns)) {
    const m = (tfjs[b] = combine(runs));
    ratios[b] = m.ms !== undefined && pytorch.ms !== undefined ? m.ms / pytorch.ms : null;
    cpuRatios[b] = m.cpuMs !== undefined && pytorch.cpuMs !== undefined ? m.cpuMs / pytorch.cpuMs : null;
    const paired = runs.flatMap((run, i) => (run.ms !== undefined && torchRuns[i]?.ms !== undefined ? [run.ms / torchRuns[i]!.ms!] : []));
    ratioRange[b] = paired.length > 1 ? [Math.min(...paired), Math.max(...paired)] : null;
  }
  // A twin must do the same maths: its parameter count must equal tfjs's (both sides print `info.params`).
  const params = { pytorch: pytorch.info?.['params'], tfjs: Object.values(tfjs).find((m) => m.info?.['params'] !== undefined)?.info?.['params'] };
  const paramsMismatch = params.pytorch !== undefined && params.tfjs !== undefined && params.pytorch !== params.tfjs;
  if (paramsMismatch) process.stderr.write(`bench: ${s.name}: PyTorch has ${String(params.pytorch)} parameters, tfjs ${String(params.tfjs)}: the twins differ\n`);
  if (paramsMismatch) process.exitCode = 1;
  results[s.name] = { what: s.what, pytorch, tfjs, ratios, ratioRange, cpuRatios, params, paramsMismatch };
  if (!json) process.stderr.write('done\n');
}

const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, threads, rounds, node: process.version };
if (json) {
  console.log(JSON.stringify({ machine, workloads: results }, null, 2));
} else {
  const backends = [...new Set(specs.flatMap(backendsOf))];
  const fmt = (m: Measurement | undefined, ratio?: number | null, range?: [number, number] | null): string =>
    m === undefined
      ? '—'
      : m.ms === undefined && m.error === 'no PyTorch twin'
        ? '— (no twin)'
        : m.ms === undefined
        ? `error: ${(m.error ?? '').slice(0, 72)}`
        : `${m.ms.toFixed(m.ms < 1 ? 3 : 1)}${ratio != null ? ` (${ratio.toFixed(2)}×${range ? `, ${range[0].toFixed(2)}–${range[1].toFixed(2)}` : ''})` : ''}`;
  const rows = [['workload', 'PyTorch ms', ...backends.map((b) => `${b === 'native' ? 'native-cpu' : b} ms (ratio)`), 'CPU-time ratio native', 'peak RSS MB torch / native']];
  for (const [name, r] of Object.entries(results)) {
    rows.push([
      r.paramsMismatch ? `${name} (PARAMS DIFFER)` : name,
      fmt(r.pytorch),
      ...backends.map((b) => fmt(r.tfjs[b], r.ratios[b], r.ratioRange[b])),
      r.cpuRatios['native'] != null ? `${r.cpuRatios['native'].toFixed(2)}×` : '—',
      `${r.pytorch.maxRssMB?.toFixed(0) ?? '—'} / ${r.tfjs['native']?.maxRssMB?.toFixed(0) ?? '—'}`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${threads} threads, Node ${machine.node}; median ms per step (PyTorch and native-cpu: median of ${rounds} alternating processes, per-round ratio range after the ratio); ratio = tfjs / PyTorch (≤ 1: at least as fast); CPU-time ratio = process CPU ms per step (all threads), tfjs / PyTorch`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join(' | '));
  for (const [name, r] of Object.entries(results)) console.log(`  ${name}: ${r.what}`);
}
