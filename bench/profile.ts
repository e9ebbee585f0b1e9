/**
 * A kernel-level profiler for the benchmark: wraps every kernel registered for a backend
 * so each call's wall time and process CPU time (all threads) are added to a per-kernel total (nested kernel calls made
 * through the registry are counted in both).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** Time and calls per kernel name. */
export type KernelProfile = Record<string, { ms: number; cpuMs: number; calls: number }>;

/** Wrap the kernels of `backendName` (`byShape`: one total per kernel and input shapes); returns a function that reads and resets the totals. */
export const installProfiler = (backendName: string, byShape = false): (() => KernelProfile) => {
  let totals: KernelProfile = {};
  for (const k of tf.getKernelsForBackend(backendName)) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: Parameters<typeof inner>[0]) => {
        const t = performance.now();
        const c = process.cpuUsage();
        const out = inner(args);
        const dc = process.cpuUsage(c);
        const key = byShape
          ? `${k.kernelName} ${Object.values(args.inputs)
              .map((x) => (x === undefined ? '-' : `[${(x as tf.TensorInfo).shape.join(',')}]`))
              .join(' ')}`
          : k.kernelName;
        const e = (totals[key] ??= { ms: 0, cpuMs: 0, calls: 0 });
        e.ms += performance.now() - t;
        e.cpuMs += (dc.user + dc.system) / 1000;
        e.calls += 1;
        return out;
      }) as typeof inner,
    });
  }
  return () => {
    const r = totals;
    totals = {};
    return r;
  };
};
