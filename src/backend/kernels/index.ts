/**
 * Kernels tfjs lacks (or has only in a very slow form) on a backend, registered
 * with `tf.registerKernel` as plain config objects.
 *
 * | backend | kernel | how |
 * |---|---|---|
 * | wasm | `Conv2DBackpropFilter` (none built in) | forward conv of transposed tensors |
 * | wasm | `Conv2DBackpropInput` (naive loop) | forward conv with the phase-split flipped filter |
 * | wasm | `DepthwiseConv2dNativeBackpropInput` (none) | multiplier 1: forward depthwise conv with the phase-split flipped filter; else loops in JS |
 * | wasm | `DepthwiseConv2dNativeBackpropFilter`, `UnsortedSegmentSum` (none) | loops in JS |
 * | cpu | `UnsortedSegmentSum` (`tf.gather`'s gradient: one equal/cast/multiply/sum pass over all of `x` per segment) | the same loop as wasm's |
 * | cpu | `Conv2D` (~1 GFLOP/s), `Conv2DBackpropFilter` (~0.01–0.02 GFLOP/s) | blocked GEMMs in JS |
 * | cpu | `Conv2DBackpropInput` (~1 GFLOP/s) | forward conv (the GEMM above) with the phase-split flipped filter |
 * | cpu | `Slice`, `PadV2`, `Transpose` (element-by-element index arithmetic: ~70 ms for a [32,34,34] slice) | copies of contiguous rows; a strided odometer |
 * | both | `AvgPoolGrad`, `MaxPoolGrad`, `MaxPoolWithArgmax`, `ResizeBilinearGrad`, `ResizeNearestNeighborGrad` (tfjs 4.22's are wrong for `'same'` avg pooling, `halfPixelCenters`, non-square resizes on cpu, `'same'` stride-2 max pooling on wasm) | exact adjoints of the forward kernels, loops in JS |
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterGemm, conv2dGemm } from './cpu-conv.ts';
import { conv2dBackpropFilterByConv, conv2dBackpropInputByConv } from './conv.ts';
import { depthwiseBackpropFilterLoop, depthwiseBackpropInputByConv, unsortedSegmentSumLoop } from './depthwise.ts';
import { avgPoolGradLoop, maxPoolGradLoop, maxPoolWithArgmaxLoop, resizeBilinearGradLoop, resizeNearestGradLoop } from './resample.ts';
import { padByRows, sliceByRows, transposeStrided } from './copy.ts';
import type { Kernel, KernelFactory } from './util.ts';

const RESAMPLE_GRADS: Readonly<Record<string, KernelFactory>> = {
  AvgPoolGrad: avgPoolGradLoop,
  MaxPoolGrad: maxPoolGradLoop,
  MaxPoolWithArgmax: maxPoolWithArgmaxLoop,
  ResizeBilinearGrad: resizeBilinearGradLoop,
  ResizeNearestNeighborGrad: resizeNearestGradLoop,
};

/** Kernel name → factory, per tfjs backend name. */
const FIXES: Readonly<Record<string, Readonly<Record<string, KernelFactory>>>> = {
  wasm: {
    Conv2DBackpropFilter: conv2dBackpropFilterByConv,
    Conv2DBackpropInput: conv2dBackpropInputByConv,
    DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilterLoop,
    DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInputByConv,
    UnsortedSegmentSum: unsortedSegmentSumLoop,
    ...RESAMPLE_GRADS,
  },
  cpu: {
    Conv2D: conv2dGemm,
    Conv2DBackpropFilter: conv2dBackpropFilterGemm,
    Conv2DBackpropInput: conv2dBackpropInputByConv,
    Slice: sliceByRows,
    PadV2: padByRows,
    Transpose: transposeStrided,
    UnsortedSegmentSum: unsortedSegmentSumLoop,
    ...RESAMPLE_GRADS,
  },
};

const done = new Map<string, readonly string[]>();

/**
 * Register the project's kernels for `backendName` (idempotent: a second call registers
 * nothing and returns the same names, so kernels registered later by someone else, e.g.
 * the native addon, stay in place). Returns the kernel names patched.
 *
 * @example
 * ```ts
 * registerKernelFixes('wasm'); // ['Conv2DBackpropFilter', …]
 * ```
 */
export const registerKernelFixes = (backendName: string): readonly string[] => {
  const prev = done.get(backendName);
  if (prev) return prev;
  const fixes = FIXES[backendName] ?? {};
  const names: string[] = [];
  for (const [name, factory] of Object.entries(fixes)) {
    const existing = tf.getKernel(name, backendName);
    const original = existing ? (existing.kernelFunc as unknown as Kernel) : undefined;
    if (existing) tf.unregisterKernel(name, backendName);
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: factory(backendName, original) as unknown as tf.KernelFunc });
    names.push(name);
  }
  done.set(backendName, names);
  return names;
};
