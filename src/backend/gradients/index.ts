/**
 * Gradients tfjs lacks, registered once with `tf.registerGradient`. Each is the adjoint
 * of a linear kernel (the gradient of a gradient kernel is the forward op), or zero for
 * comparisons and logical ops. They make second-order gradients work (R1 through
 * `leakyRelu`, `clipByValue`, `avgPool`, `maxPool`, `resizeBilinear`/`resizeNearestNeighbor`)
 * and first-order ones through `stridedSlice` and `depthToSpace`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

type Attrs = tf.NamedAttrMap;
type Grads = Record<string, () => tf.Tensor>;

const one = (dy: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(dy) ? dy[0]! : dy);

/** Comparisons are piecewise constant: zero gradient for both inputs. */
const comparison = (kernelName: string): tf.GradConfig => ({
  kernelName,
  inputsToSave: ['a', 'b'],
  gradFunc: (_dy, saved): Grads => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
  },
});

/** Logical ops are piecewise constant too (they appear in `clipByValue`'s gradient). */
const logical = (kernelName: string, inputs: readonly string[]): tf.GradConfig => ({
  kernelName,
  inputsToSave: [...inputs],
  gradFunc: (_dy, saved): Grads => Object.fromEntries(inputs.map((k, i) => [k, () => tf.zeros(saved[i]!.shape, 'float32')])), // bool inputs: float zeros
});

/**
 * `MaxPoolGrad(dy, input, output)` routes each `dy` to its window's arg-max, so in `dy` its
 * adjoint gathers `ddx` at the arg-maxes (`maxPoolWithArgmax`, first maximum on ties, as
 * the forward gradient picks it); zero for `input` and `output` (piecewise constant).
 */
const maxPoolGradGrad: tf.GradConfig = {
  kernelName: 'MaxPoolGrad',
  inputsToSave: ['input', 'output'],
  gradFunc: (ddx, saved, attrs: Attrs): Grads => {
    const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { filterSize, strides, pad } = attrs as unknown as { filterSize: [number, number]; strides: [number, number]; pad: 'same' | 'valid' | number };
    return {
      dy: () =>
        tf.tidy(() => {
          const { indexes } = tf.maxPoolWithArgmax(x, filterSize, strides, pad as 'same', true);
          return tf.gather(one(ddx).reshape([-1]), tf.cast(indexes.reshape([-1]), 'int32')).reshape(y.shape);
        }),
      input: () => tf.zerosLike(x),
      output: () => tf.zerosLike(y),
    };
  },
};

/** `AvgPoolGrad(dy, input)` is linear in `dy`; its adjoint is `avgPool`. */
const avgPoolGradGrad: tf.GradConfig = {
  kernelName: 'AvgPoolGrad',
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs: Attrs): Grads => {
    const [x] = saved as [tf.Tensor4D];
    const { filterSize, strides, pad } = attrs as unknown as { filterSize: [number, number]; strides: [number, number]; pad: 'same' | 'valid' | number };
    return {
      dy: () => tf.avgPool(one(ddx) as tf.Tensor4D, filterSize, strides, pad),
      input: () => tf.zerosLike(x),
    };
  },
};

/** `ResizeBilinearGrad(dy, images)`: adjoint in `dy` is `resizeBilinear` to `dy`'s size. */
const resizeBilinearGradGrad: tf.GradConfig = {
  kernelName: 'ResizeBilinearGrad',
  inputsToSave: ['dy', 'images'],
  gradFunc: (ddx, saved, attrs: Attrs): Grads => {
    const [dy, images] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { alignCorners, halfPixelCenters } = attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
    return {
      dy: () => tf.image.resizeBilinear(one(ddx) as tf.Tensor4D, [dy.shape[1], dy.shape[2]], alignCorners, halfPixelCenters),
      images: () => tf.zerosLike(images),
    };
  },
};

/** `ResizeNearestNeighborGrad(dy, images)`: adjoint in `dy` is `resizeNearestNeighbor` to `dy`'s size. */
const resizeNearestGradGrad: tf.GradConfig = {
  kernelName: 'ResizeNearestNeighborGrad',
  inputsToSave: ['dy', 'images'],
  gradFunc: (ddx, saved, attrs: Attrs): Grads => {
    const [dy, images] = saved as [tf.Tensor4D, tf.Tensor4D];
    const { alignCorners, halfPixelCenters } = attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
    return {
      dy: () => tf.image.resizeNearestNeighbor(one(ddx) as tf.Tensor4D, [dy.shape[1], dy.shape[2]], alignCorners, halfPixelCenters),
      images: () => tf.zerosLike(images),
    };
  },
};

/**
 * `StridedSlice`: scatter `dy` back to where its elements came from. The positions are
 * found by slicing a tensor of flat indices with the same attributes (so every mask —
 * begin/end/ellipsis/new-axis/shrink — is handled exactly as the forward op does), then
 * summed into place with `unsortedSegmentSum`. Indices are exact up to 2^24 elements.
 */
const stridedSliceGrad: tf.GradConfig = {
  kernelName: 'StridedSlice',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs: Attrs): Grads => {
    const [x] = saved as [tf.Tensor];
    const a = attrs as unknown as {
      begin: number[]; end: number[]; strides: number[];
      beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number;
    };
    return {
      x: () =>
        tf.tidy(() => {
          const flat = tf.range(0, x.size, 1, 'float32').reshape(x.shape);
          const picked = tf.stridedSlice(flat, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
          const ids = tf.cast(picked.reshape([-1]), 'int32') as tf.Tensor1D;
          return tf.unsortedSegmentSum(one(dy).reshape([-1]), ids, x.size).reshape(x.shape);
        }),
    };
  },
};

/** `DepthToSpace` (NHWC) is a permutation; its gradient is the inverse permutation (space-to-depth). */
const depthToSpaceGrad: tf.GradConfig = {
  kernelName: 'DepthToSpace',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs: Attrs): Grads => {
    const [x] = saved as [tf.Tensor4D];
    const { blockSize: b, dataFormat } = attrs as unknown as { blockSize: number; dataFormat: string };
    if (dataFormat !== undefined && dataFormat !== 'NHWC') throw new Error(`DepthToSpace gradient: only NHWC is supported, got ${dataFormat}`);
    const [n, h, w, c] = x.shape;
    const oc = c / (b * b);
    // dy[n, h·b+i, w·b+j, c'] → x[n, h, w, (i·b+j)·oc+c']
    return { x: () => tf.tidy(() => one(dy).reshape([n * h, b, w, b * oc]).transpose([0, 2, 1, 3]).reshape([n, h, w, c])) };
  },
};

const GRADIENTS: readonly tf.GradConfig[] = [
  comparison('Greater'),
  comparison('Less'),
  comparison('LessEqual'),
  comparison('Equal'),
  comparison('NotEqual'),
  logical('LogicalAnd', ['a', 'b']),
  logical('LogicalOr', ['a', 'b']),
  logical('LogicalNot', ['x']),
  maxPoolGradGrad,
  avgPoolGradGrad,
  resizeBilinearGradGrad,
  resizeNearestGradGrad,
  stridedSliceGrad,
  depthToSpaceGrad,
];

let registered: string[] | undefined;

/**
 * Register the project's gradients for kernels that have none (idempotent; a gradient
 * tfjs already has is left alone). Returns the kernel names patched.
 *
 * @example
 * ```ts
 * registerGradientFixes(); // ['Greater', 'Less', …]
 * ```
 */
export const registerGradientFixes = (): readonly string[] => {
  if (registered) return registered;
  registered = [];
  for (const g of GRADIENTS) {
    if (tf.getGradient(g.kernelName)) continue;
    tf.registerGradient(g);
    registered.push(g.kernelName);
  }
  return registered;
};
