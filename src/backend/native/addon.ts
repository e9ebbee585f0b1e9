/**
 * Loading the native addon (`native/build/Release/gan_segmenter_native.node`). Node-only.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions the C++ addon exports (see native/src/addon.cc). All write into `out`. */
export interface NativeAddon {
  /** NHWC conv; geom = [n,h,w,c, kh,kw,oc, sh,sw, dh,dw, padTop,padLeft, oh,ow]. */
  conv2d(geom: Int32Array, x: Float32Array, filter: Float32Array, y: Float32Array): void;
  /** Gradient of conv2d with respect to its input. */
  conv2dBackpropInput(geom: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  /** Gradient of conv2d with respect to its filter. */
  conv2dBackpropFilter(geom: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  /** dims = [batch, m, n, k, transA, transB, aBatchStride, bBatchStride]. */
  batchMatMul(dims: Int32Array, a: Float32Array, b: Float32Array, c: Float32Array): void;
  /** In place: y[r, c] = act(y[r, c] + bias[c]); act 0 linear, 1 relu, 2 leaky relu, 3 relu6, 4 sigmoid. */
  biasActivation(y: Float32Array, rows: number, channels: number, bias: Float32Array | null, act: number, alpha: number): void;
  /** Broadcast binary op; geom = [dims ×4, aStrides ×4, bStrides ×4]; op 0 add … 6 squared difference. */
  binary(op: number, geom: Int32Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Broadcast comparison into a 0/1 Uint8Array; op 0 >, 1 >=, 2 <, 3 <=, 4 ==, 5 !=. */
  compare(op: number, geom: Int32Array, a: Float32Array, b: Float32Array, out: Uint8Array): void;
  /** out = condition ? t : e, element-wise, all the same length. */
  select(condition: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void;
  /** NHWC average pool without padding; geom = [n,h,w,c, fh,fw, sh,sw, oh,ow]. */
  avgPool(geom: Int32Array, x: Float32Array, y: Float32Array): void;
  /** Exact adjoint of {@link NativeAddon.avgPool}. */
  avgPoolGrad(geom: Int32Array, dy: Float32Array, dx: Float32Array): void;
  /** NHWC max pool; geom = [n,h,w,c, fh,fw, sh,sw, padTop,padLeft, oh,ow]. */
  maxPool(geom: Int32Array, x: Float32Array, y: Float32Array): void;
  /** out[i] = Σ arrays[i]² in float64 (four interleaved partial sums, a fixed order). Absent in builds before it. */
  sumSquares?(arrays: Float32Array[], out: Float64Array): void;
  /** Copy a box of src into dst; dims = [rank, shape, begin, size, dstShape, dstBegin] (each ×rank; src/backend/kernels/copy.ts `mergeBox`). Absent in builds before it. */
  copyBox?(dims: Int32Array, src: Float32Array, dst: Float32Array): void;
  /** ADA's bilinear sampling plan (src/train/ada.ts): dims = [n, h, w, outH, outW], theta n × 6; writes 4 taps of row indices and weights. Absent in builds before it. */
  affineGridPlan?(dims: Int32Array, theta: Float64Array, idx: Int32Array, wt: Float32Array): void;
  /** out = Σₖ wtₖ·src[idxₖ] by rows, or its adjoint; dims = [outRows, inRows, C, adjoint]. Absent in builds before it. */
  sampleRows?(dims: Int32Array, idx: Int32Array, wt: Float32Array, src: Float32Array, out: Float32Array): void;
  /** Transpose as a strided walk; dims = [rank, len ×rank, step ×rank]: the output's (merged) dims and their strides in x (src/backend/kernels/copy.ts `transposeWalk`). Absent in builds before it. */
  transpose?(dims: Int32Array, x: Float32Array, y: Float32Array): void;
  /** Concatenate inputs of `outer` rows each, row by row, into out. */
  concat(outer: number, inputs: Float32Array[], out: Float32Array): void;
  /** Gradient of leaky ReLU: dx = x > 0 ? dy : alpha·dy. */
  leakyReluGrad(dy: Float32Array, x: Float32Array, alpha: number, dx: Float32Array): void;
  /** The inverse of {@link NativeAddon.concat}: split x's `outer` rows into the outputs, piece by piece. */
  split?(outer: number, x: Float32Array, outputs: Float32Array[]): void;
  /** Element-wise not of 0/1 bytes. */
  logicalNot(x: Uint8Array, y: Uint8Array): void;
  /** Softmax over the last axis of x [rows, cols] (tfjs's cpu kernel's values). Absent in builds before it (and with it unary ops 16 sin and 17 cos). */
  softmax?(cols: number, x: Float32Array, y: Float32Array): void;
  /** Unary op (see native/src/elementwise.cc for codes); alpha for step / leaky relu. */
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  /** Reduce the middle axis of [outer, mid, inner]; op 0 sum, 1 mean, 2 max, 3 min. */
  reduce(op: number, dims: Int32Array, x: Float32Array, y: Float32Array): void;
  /** NHWC max-pool gradient; geom = [n,h,w,c, fh,fw, sh,sw, padTop,padLeft, oh,ow]. */
  maxPoolGrad(geom: Int32Array, dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** NHWC depthwise convolution, channel multiplier 1; geom = [n,h,w,c, fh,fw, sh,sw, dh,dw, padTop,padLeft, oh,ow], filter [fh,fw,c]. Absent in builds before it. */
  depthwiseConv?(geom: Int32Array, x: Float32Array, filter: Float32Array, y: Float32Array): void;
  /** Training-mode batch norm over the channels of x [rows, channels]: writes y, the batch mean and the biased variance; relu: y = max(y, 0). */
  batchNormTrain(x: Float32Array, channels: number, gamma: Float32Array, beta: Float32Array, eps: number, relu: boolean,
    y: Float32Array, mean: Float32Array, variance: Float32Array): void;
  /** Gradient of {@link NativeAddon.batchNormTrain}; y given: ReLU mask y > 0; dmean/dvariance: gradients reaching those outputs. */
  batchNormTrainGrad(dy: Float32Array, x: Float32Array, y: Float32Array | null, channels: number, gamma: Float32Array,
    mean: Float32Array, variance: Float32Array, eps: number, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
    dmean: Float32Array | null, dvariance: Float32Array | null): void;
  /**
   * NHWC resize with per-axis tables (src/backend/kernels/resample.ts); dims = [n,h,w,c,nh,nw];
   * kind 0 bilinear, 1 its gradient (src = dy, dst = dx), 2 nearest, 3 its gradient (the
   * `lo` tables are then the source indices and the rest is ignored).
   */
  resize(kind: number, dims: Int32Array, rowLo: Int32Array, rowHi: Int32Array, rowFrac: Float64Array,
    colLo: Int32Array, colHi: Int32Array, colFrac: Float64Array, src: Float32Array, dst: Float32Array): void;
  /** One Adam step; scalars = [lr, β1, 1 − β1, β2, 1 − β2, ε, c1, c2]. */
  adam(x: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, scalars: Float32Array,
    xOut: Float32Array, mOut: Float32Array, vOut: Float32Array): void;
  /** Which SGEMM the addon uses: `oneDNN` (libdnnl.so.2 found at run time) or `OpenBLAS`. */
  gemm(): string;
  /**
   * The convolution path, after switching to `path` when given: `oneDNN` (oneDNN's convolution
   * primitives, im2col + SGEMM for the geometries that is faster for; the default when the addon
   * was built with oneDNN), `oneDNN-all` (oneDNN wherever it can) or `im2col` (the only path of
   * an addon built without oneDNN). `GAN_SEGMENTER_CONV` sets it at load. Absent from addons
   * built before it existed.
   */
  conv?(path?: string): string;
  /**
   * When Winograd F(2×2, 3×3) replaces the path for stride-1 3×3 convolutions (forward, input
   * and filter gradients), after switching to `mode` when given: `auto` (the geometries where it
   * measured faster; the default), `all` (every one it fits) or `off` (always on CPUs without
   * AVX2 + FMA). `GAN_SEGMENTER_WINOGRAD` sets it at load. Absent from addons built before it existed.
   */
  winograd?(mode?: string): string;
  /** The implementation a conv geometry gets on the current path: kind 0 forward, 1 backward data, 2 backward weights; `winograd`, oneDNN's name for it, or `im2col`. */
  convImpl?(geom: Int32Array, kind: number): string;
  /** Worker threads (OpenBLAS and the addon's own loops); returns the count in effect. */
  setThreads(n: number): number;
  /** Detach an ArrayBuffer, freeing its memory now; false if it cannot be detached. Absent from addons built before it existed. */
  detach?(buffer: ArrayBuffer): boolean;
}

/** Where the built addon lives: `GAN_SEGMENTER_NATIVE_ADDON`, else native/build/Release under the package root (src/ and dist/ are both two levels below). */
export const addonPath = (): string => {
  const override = globalThis.process?.env?.['GAN_SEGMENTER_NATIVE_ADDON'];
  if (override) return resolve(override);
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(join(here, '..', '..', '..', 'native', 'build', 'Release', 'gan_segmenter_native.node'));
};

const OLD_CORES = new Set(['', 'haswell', 'zen', 'sandybridge', 'prescott', 'nehalem', 'core2']);

/**
 * OpenBLAS 0.3.21 does not know recent AVX-512 CPUs (e.g. Zen 4/5) and falls back to
 * AVX2 (or older) kernels, about 2.4× slower in SGEMM on such a CPU (measured on an AVX-512 Zen machine). Unless the user pinned a core
 * with `GAN_SEGMENTER_BLAS_CORETYPE`, pick the SkylakeX kernels when the CPU has the
 * AVX-512 subsets they use. Must run before the library is loaded (OpenBLAS reads the
 * variable once, when it is loaded).
 */
const chooseBlasCore = (): string | undefined => {
  const env = globalThis.process?.env;
  if (!env) return undefined;
  const pinned = env['GAN_SEGMENTER_BLAS_CORETYPE'];
  if (pinned) {
    env['OPENBLAS_CORETYPE'] = pinned;
    return pinned;
  }
  if (!OLD_CORES.has((env['OPENBLAS_CORETYPE'] ?? '').toLowerCase())) return env['OPENBLAS_CORETYPE'];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^flags\s*:(.*)$/m.exec(info)?.[1] ?? '').trim().split(/\s+/));
    if (['avx512f', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f))) {
      env['OPENBLAS_CORETYPE'] = 'SkylakeX';
      return 'SkylakeX';
    }
  } catch {
    // not Linux: leave OpenBLAS's own detection alone
  }
  return env['OPENBLAS_CORETYPE'];
};

/**
 * oneDNN's OpenMP threads (libgomp, loaded with the addon) spin for a few milliseconds after
 * each primitive by default, competing with the addon's own element-wise threads that run
 * next, and with other processes on a shared machine; sleeping at once instead made the UNet
 * step faster here (see bench/README.md). Leaves the user's `OMP_WAIT_POLICY` or
 * `GOMP_SPINCOUNT` alone. Must run before the addon is loaded (libgomp reads it once).
 */
const passiveOpenMp = (): void => {
  const env = globalThis.process?.env;
  if (env && env['OMP_WAIT_POLICY'] === undefined && env['GOMP_SPINCOUNT'] === undefined) env['OMP_WAIT_POLICY'] = 'passive';
};

let coreType: string | undefined;
/** The OpenBLAS core type requested when the addon was loaded (undefined: OpenBLAS detects it). */
export const blasCoreType = (): string | undefined => coreType;

/** Load the addon, or say why it cannot be loaded. */
export const loadAddon = (): { ok: true; addon: NativeAddon; path: string } | { ok: false; error: string } => {
  const path = addonPath();
  if (!existsSync(path)) return { ok: false, error: `the native addon is not built (${path} missing; run \`npm run build:native\`)` };
  try {
    coreType = chooseBlasCore();
    passiveOpenMp();
    const require = createRequire(import.meta.url);
    const addon = require(path) as NativeAddon;
    if (typeof addon.conv2d !== 'function') return { ok: false, error: `${path} does not export conv2d` };
    return { ok: true, addon, path };
  } catch (e) {
    return { ok: false, error: `the native addon failed to load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
};
