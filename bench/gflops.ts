/**
 * GFLOP/s of the native conv kernels alone (no tfjs overhead): 3×3, batch 8, 64×64, 64→64,
 * best of 8 calls each. Usage: node --import tsx bench/gflops.ts [threads]
 *
 * @module
 */
import { loadAddon } from '../src/backend/native/addon.ts';

const r = loadAddon();
if (!r.ok) {
  console.log(`native addon: ${r.error}`);
  process.exit(0);
}
const a = r.addon;
a.setThreads(Number(process.argv[2] ?? '2'));
const shapes: [number, number, number, number][] = [
  [8, 64, 64, 64],
  [8, 32, 176, 88],
  [8, 8, 704, 352],
];
for (const [n, h, c, o] of shapes) {
  const g = Int32Array.from([n, h, h, c, 3, 3, o, 1, 1, 1, 1, 1, 1, h, h]);
  const x = Float32Array.from({ length: n * h * h * c }, (_, i) => Math.sin(i));
  const w = Float32Array.from({ length: 9 * c * o }, (_, i) => Math.cos(i));
  const y = new Float32Array(n * h * h * o), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
  const gflop = (2 * n * h * h * 9 * c * o) / 1e9;
  const best = (f: () => void): number => {
    let b = Infinity;
    for (let i = 0; i < 8; i++) {
      const t = performance.now();
      f();
      b = Math.min(b, performance.now() - t);
    }
    return b;
  };
  const t = [best(() => a.conv2d(g, x, w, y)), best(() => a.conv2dBackpropInput(g, y, w, dx)), best(() => a.conv2dBackpropFilter(g, x, y, dw))];
  const gfs = t.map((ms) => ((gflop / ms) * 1e3).toFixed(0));
  console.log(
    `${a.conv?.() ?? 'im2col'} conv, Winograd ${a.winograd?.() ?? 'absent'}, ${a.gemm()} sgemm, ${a.setThreads(Number(process.argv[2] ?? '2'))} threads, 3×3 ${n}×${h}×${h} ${c}→${o}: ` +
      `forward ${t[0]!.toFixed(1)} ms (${gfs[0]} GFLOP/s), input grad ${t[1]!.toFixed(1)} ms (${gfs[1]}), filter grad ${t[2]!.toFixed(1)} ms (${gfs[2]})`,
  );
}
