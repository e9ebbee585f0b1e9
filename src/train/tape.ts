/**
 * `untaped`: tfjs's `torch.no_grad()` — run a computation off the active gradient tape.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs's engine state {@link untaped} raises. */
interface EngineDepth {
  readonly state: { kernelDepth: number };
}

/**
 * Run `f` without recording its ops on an active gradient tape (`torch.no_grad()` for tfjs): what
 * `f` computes is the same, but no tape node keeps its intermediate tensors alive until the
 * backward pass is over, and nothing flows back through its result (a constant to the tape).
 * tfjs records an op only at kernel depth 0 (ops inside a kernel are not taped); this raises it.
 * Used for the fakes of a discriminator step, whose gradients never reach G.
 *
 * @example
 * ```ts
 * const fakes = untaped(() => g.generate(z, true)); // D's step: no gradient to G, none of G's activations kept
 * ```
 */
export const untaped = <T>(f: () => T): T => {
  const state = (tf.engine() as unknown as EngineDepth).state;
  state.kernelDepth++;
  try {
    return f();
  } finally {
    state.kernelDepth--;
  }
};
