// Conv gradient throughput before/after the project's kernels, on wasm and cpu.
// Run: [STRIDE=2] [BENCH_ONLY=wasm|cpu] node --import tsx test/backend/bench-conv.ts [n h c]   (default 8 64 64, 3x3, stride 1 'same')
// Not a test (no .test.ts): it takes a minute or two.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterByConv } from '../../src/backend/kernels/conv.ts';
import { registerKernelFixes } from '../../src/backend/kernels/index.ts';
import type { Kernel } from '../../src/backend/kernels/util.ts';

const [n, h, c] = process.argv.slice(2).map(Number).concat([8, 64, 64]).slice(0, 3) as [number, number, number];
const s = Number(process.env['STRIDE'] ?? 1);
const oh = Math.ceil(h / s);
const flops = (nn: number) => (2 * nn * oh * oh * c * c * 9) / 1e9;

const time = (f: () => tf.TensorInfo, reps: number): number => {
  const run = () => { const t = f(); tf.engine().backend.readSync(t.dataId); tf.engine().backend.disposeData(t.dataId); };
  run();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / reps / 1000;
};

const measure = (label: string, nn: number, reps: number, filterKernel?: Kernel) => {
  const x = tf.randomNormal([nn, h, h, c]), w = tf.randomNormal([3, 3, c, c]), dy = tf.randomNormal([nn, oh, oh, c]);
  const be = tf.backend();
  const attrs = { strides: s, pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
  const fk = filterKernel ?? (tf.getKernel('Conv2DBackpropFilter', tf.getBackend())?.kernelFunc as unknown as Kernel | undefined);
  const ik = tf.getKernel('Conv2DBackpropInput', tf.getBackend())!.kernelFunc;
  const fwd = time(() => tf.engine().runKernel('Conv2D', { x, filter: w }, { ...attrs, dilations: 1 } as unknown as tf.NamedAttrMap) as tf.Tensor, reps);
  const tf_ = fk ? time(() => fk({ inputs: { x, dy }, backend: be as never, attrs: { ...attrs, filterShape: [3, 3, c, c] } }) as tf.TensorInfo, reps) : NaN;
  const ti = time(() => ik({ inputs: { dy, filter: w }, backend: be, attrs: { ...attrs, inputShape: [nn, h, h, c] } as unknown as tf.NamedAttrMap }) as tf.TensorInfo, reps);
  const g = flops(nn);
  console.log(`${tf.getBackend()} ${label} x=[${nn},${h},${h},${c}] 3x3x${c} stride ${s}: forward ${(g / fwd).toFixed(2)}, filter grad ${(g / tf_).toFixed(3)}, input grad ${(g / ti).toFixed(2)} GFLOP/s`);
  tf.dispose([x, w, dy]);
};

const only = process.env['BENCH_ONLY']; // 'wasm' | 'cpu' | undefined
if (only !== 'cpu') {
  await tf.setBackend('wasm');
  measure('before', n, 2);
  registerKernelFixes('wasm');
  measure('after ', n, 5);
}
if (only === 'wasm') process.exit(0);
await tf.setBackend('cpu');
measure('before', 1, 1); // the built-in filter gradient is far too slow for the full batch
registerKernelFixes('cpu');
measure('after ', n, 1);
measure('forward-conv trick filter grad', n, 1, conv2dBackpropFilterByConv('cpu', undefined));
