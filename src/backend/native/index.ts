/**
 * Native CPU kernels (a C++ addon over OpenBLAS) registered on tfjs's cpu
 * backend. Node-only; loaded lazily by `initBackend`.
 *
 * @module
 */
import type { NativeEnableResult } from '../init.ts';

/**
 * Load the addon and register its kernels on the cpu backend.
 *
 * @example
 * ```ts
 * const r = await enableNative(); if (!r.ok) console.log(r.error);
 * ```
 */
export const enableNative = async (): Promise<NativeEnableResult> => ({ ok: false, error: 'the native addon is not built' });
