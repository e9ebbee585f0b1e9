/**
 * Winograd F(2x2, 3x3) against the default convolution path (oneDNN / im2col) on the 3×3
 * stride-1 'same' geometries of the benchmark's models: forward and input gradient, ms (best of
 * `reps` calls, the two implementations interleaved in one process), and their max relative
 * difference. Usage: node --import tsx bench/winograd.ts [threads] [reps] [filter substring]
 *
 * @module
 */
import { loadAddon } from '../src/backend/native/addon.ts';

const r = loadAddon();
if (!r.ok || !r.addon.winograd) {
  console.log(`native addon without winograd(): ${r.ok ? 'rebuild it' : r.error}`);
  process.exit(0);
}
const a = r.addon;
const threads = a.setThreads(Number(process.argv[2] ?? '2'));
const reps = Number(process.argv[3] ?? '5');
const only = process.argv[4];

// [batch, size, c, oc]
const shapes: [number, number, number, number][] = [
  // StyleGAN-like G + D, batch 8 (sampling runs the generator's at batch 16)
  [8, 64, 32, 32], [8, 64, 32, 64], [8, 64, 64, 32],
  [8, 32, 64, 64], [8, 32, 64, 128], [8, 32, 128, 64],
  [8, 16, 128, 128], [8, 16, 128, 256], [8, 16, 256, 128],
  [8, 8, 256, 256], [8, 4, 256, 256],
  [16, 64, 64, 32], [16, 32, 128, 64], [16, 16, 256, 128], [16, 8, 256, 256], [16, 4, 256, 256],
  // UNet (base 44), batch 8, 64×64
  [8, 64, 3, 44], [8, 64, 44, 44], [8, 32, 44, 88], [8, 32, 88, 88], [8, 16, 88, 176], [8, 16, 176, 176],
  [8, 8, 176, 352], [8, 8, 352, 352], [8, 4, 352, 352], [8, 8, 704, 176], [8, 16, 352, 88], [8, 32, 176, 44], [8, 64, 88, 44],
  [8, 128, 44, 44],
  // few channels: where the transforms outweigh the multiplies saved
  [8, 128, 16, 16], [8, 128, 16, 32], [8, 128, 32, 16], [8, 64, 16, 16], [8, 64, 8, 16], [8, 64, 16, 32], [8, 64, 24, 24],
  [8, 8, 32, 32], [8, 8, 64, 64], [8, 4, 64, 64], [1, 8, 256, 256], [1, 16, 64, 64],
];

const relErr = (x: Float32Array, y: Float32Array): number => {
  let scale = 1, err = 0;
  for (let i = 0; i < y.length; i++) {
    scale = Math.max(scale, Math.abs(y[i]!));
    err = Math.max(err, Math.abs(x[i]! - y[i]!));
  }
  return err / scale;
};

const path = a.conv?.() ?? 'im2col';
console.log(`threads ${threads}, path ${path}; ms best of ${reps}; forward, input gradient, filter gradient: winograd / ${path} (speed-up)`);
for (const [n, h, c, o] of shapes) {
  const name = `${n}x${h}x${h} ${c}->${o}`;
  if (only && !name.includes(only)) continue;
  const g = Int32Array.from([n, h, h, c, 3, 3, o, 1, 1, 1, 1, 1, 1, h, h]);
  const x = Float32Array.from({ length: n * h * h * c }, () => Math.random() * 2 - 1);
  const w = Float32Array.from({ length: 9 * c * o }, () => (Math.random() * 2 - 1) / Math.sqrt(9 * c));
  const dy = Float32Array.from({ length: n * h * h * o }, () => Math.random() * 2 - 1);
  const out = {
    y: [new Float32Array(n * h * h * o), new Float32Array(n * h * h * o)],
    dx: [new Float32Array(x.length), new Float32Array(x.length)],
    dw: [new Float32Array(w.length), new Float32Array(w.length)],
  };
  const best = [[Infinity, Infinity], [Infinity, Infinity], [Infinity, Infinity]];
  for (let i = 0; i < reps + 1; i++) {
    for (const [k, mode] of (['all', 'off'] as const).entries()) {
      a.winograd!(mode);
      let t = performance.now();
      a.conv2d(g, x, w, out.y[k]!);
      if (i > 0) best[0]![k] = Math.min(best[0]![k]!, performance.now() - t);
      t = performance.now();
      a.conv2dBackpropInput(g, dy, w, out.dx[k]!);
      if (i > 0) best[1]![k] = Math.min(best[1]![k]!, performance.now() - t);
      t = performance.now();
      a.conv2dBackpropFilter(g, x, dy, out.dw[k]!);
      if (i > 0) best[2]![k] = Math.min(best[2]![k]!, performance.now() - t);
    }
  }
  a.winograd!('auto');
  const auto = [0, 1, 2].map((k) => (a.convImpl!(g, k) === 'winograd' ? 'W' : '-')).join('');
  const f = (b: number[]): string => `${b[0]!.toFixed(2)} / ${b[1]!.toFixed(2)} (${(b[1]! / b[0]!).toFixed(2)}x)`;
  const err = (['y', 'dx', 'dw'] as const).map((k) => relErr(out[k][0]!, out[k][1]!).toExponential(0)).join(' ');
  console.log(`${name.padEnd(17)} fwd ${f(best[0]!)} | bwd data ${f(best[1]!)} | bwd filter ${f(best[2]!)} | err ${err} | auto ${auto}`);
}
