/**
 * Native CPU kernels (a C++ addon over OpenBLAS) registered on tfjs's cpu
 * backend. Node-only; loaded lazily by `initBackend`.
 *
 * Build the addon with `npm run build:native` (needs g++, make and libopenblas-dev; with
 * libdnnl-dev, convolutions run on oneDNN's convolution primitives);
 * `npm ci` builds it through the `prepare` script and never fails when it cannot.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { registerFusedGradients } from '../../core/fused-ops.ts';
import type { NativeEnableResult } from '../init.ts';
import { registerKernelFixes } from '../kernels/index.ts';
import { disableLeanTape, enableLeanTape } from '../lean-tape.ts';
import { blasCoreType, loadAddon, type NativeAddon } from './addon.ts';
import { makeKernels } from './kernels.ts';
import { BufferPool } from './pool.ts';

/** Options of {@link enableNative}. */
export interface EnableNativeOptions {
  /** Worker threads for OpenBLAS and the addon. Default: `GAN_SEGMENTER_THREADS`, else 2. */
  readonly threads?: number;
  /**
   * Recycle the output arrays of disposed tensors (avoids page faults on every op).
   * Default true; `GAN_SEGMENTER_NATIVE_POOL=0` turns it off, `GAN_SEGMENTER_NATIVE_POOL_MB`
   * caps the bytes kept for reuse (default 1024); arrays beyond the cap are freed at once.
   * `GAN_SEGMENTER_NATIVE_POOL_MB=0` frees every disposed output at once: least memory
   * (a sixth less for the bench UNet step), about 12 % more CPU time (garbage collections).
   */
  readonly pool?: boolean;
  /**
   * Free backward-pass temporaries as soon as tfjs no longer needs them (`enableLeanTape`
   * in `backend/lean-tape`): about half the peak memory of a training step, same numbers.
   * Default true; `GAN_SEGMENTER_LEAN_TAPE=0` turns it off.
   */
  readonly leanTape?: boolean;
}

type Kernel = tf.KernelConfig['kernelFunc'];
let addon: NativeAddon | undefined;
let enabled: { threads: number; kernels: readonly string[] } | undefined;
const replaced = new Map<string, tf.KernelConfig | undefined>();
let pool: BufferPool | undefined;
let leanTape = false;

const readThreads = (): number | undefined => {
  const v = Number.parseInt(globalThis.process?.env?.['GAN_SEGMENTER_THREADS'] ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : undefined;
};

/** The convolution path for the enable message: oneDNN's primitives and/or im2col + which SGEMM. */
const convDetail = (a: NativeAddon): string => {
  const im2col = `im2col + ${a.gemm() === 'oneDNN' ? 'oneDNN sgemm' : `OpenBLAS (${blasCoreType() ?? 'auto-detected'} core)`}`;
  const path = a.conv?.() ?? 'im2col';
  const base = path === 'oneDNN-all' ? 'oneDNN convolution'
    : path === 'oneDNN' ? `oneDNN convolution (${im2col} for outputs under 8 px wide)`
      : im2col;
  const wino = a.winograd?.() ?? 'off';
  if (wino === 'off') return base;
  return `${base}, Winograd F(2×2, 3×3) for ${wino === 'all' ? 'all' : 'most'} 3×3 stride-1 convolutions`;
};

/**
 * Load the addon and register its kernels on the cpu backend (replacing whatever was
 * registered under those names, the project's pure-JS fixes included). Idempotent.
 *
 * @example
 * ```ts
 * const r = await enableNative(); if (!r.ok) console.log(r.error);
 * ```
 */
export const enableNative = async (options: EnableNativeOptions = {}): Promise<NativeEnableResult> => {
  if (!addon) {
    const loaded = loadAddon();
    if (!loaded.ok) return { ok: false, error: loaded.error };
    addon = loaded.addon;
  }
  const threads = addon.setThreads(options.threads ?? readThreads() ?? 2);
  if (!enabled) {
    // Let the project's JS kernel fixes register first, so ours replace theirs rather than the reverse.
    registerKernelFixes('cpu');
    const originals = new Map<string, Kernel>();
    const usePool = options.pool ?? globalThis.process?.env?.['GAN_SEGMENTER_NATIVE_POOL'] !== '0';
    if (usePool) {
      const mb = Number.parseInt(globalThis.process?.env?.['GAN_SEGMENTER_NATIVE_POOL_MB'] ?? '', 10);
      const { detach } = addon;
      pool = new BufferPool((Number.isFinite(mb) && mb >= 0 ? mb : 1024) * 1024 * 1024, detach ? (b) => detach.call(addon, b) : undefined);
      pool.attach(tf.findBackend('cpu') as never);
    }
    // Before the lean tape captures the gradients it recognises.
    registerFusedGradients();
    if (options.leanTape ?? globalThis.process?.env?.['GAN_SEGMENTER_LEAN_TAPE'] !== '0') {
      enableLeanTape();
      leanTape = true;
    }
    const p = pool;
    const kernels = makeKernels(addon, (name) => originals.get(name) as never, p ? (n) => p.alloc(n) : undefined);
    for (const [name, fn] of Object.entries(kernels)) {
      const prev = tf.getKernel(name, 'cpu');
      replaced.set(name, prev);
      if (prev) {
        originals.set(name, prev.kernelFunc);
        tf.unregisterKernel(name, 'cpu');
      }
      tf.registerKernel({ kernelName: name, backendName: 'cpu', kernelFunc: fn as unknown as Kernel });
    }
    enabled = { threads, kernels: Object.keys(kernels) };
  } else {
    enabled = { ...enabled, threads };
  }
  return { ok: true, detail: `${convDetail(addon)} kernels on the cpu backend, ${threads} thread${threads === 1 ? '' : 's'} (${enabled.kernels.join(', ')})` };
};

/**
 * Put back the cpu kernels that {@link enableNative} replaced (used by tests and benchmarks
 * to compare against the pure-JS kernels).
 *
 * @example
 * ```ts
 * await enableNative(); disableNative(); // the cpu backend is pure JS again
 * ```
 */
export const disableNative = (): void => {
  if (!enabled) return;
  for (const [name, prev] of replaced) {
    tf.unregisterKernel(name, 'cpu');
    if (prev) tf.registerKernel(prev);
  }
  replaced.clear();
  pool?.detach();
  pool = undefined;
  if (leanTape) disableLeanTape();
  leanTape = false;
  enabled = undefined;
};

/**
 * Whether the native kernels are registered now, and with how many threads.
 *
 * @example
 * ```ts
 * if (nativeStatus().enabled) console.log('native kernels on');
 * ```
 */
export const nativeStatus = (): { readonly enabled: boolean; readonly threads: number; readonly kernels: readonly string[] } =>
  enabled ? { enabled: true, ...enabled } : { enabled: false, threads: 0, kernels: [] };
