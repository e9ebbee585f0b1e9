/**
 * The method table: every method the pipeline, the CLI and notebooks can run,
 * by name. Adding a method is one folder under `src/methods/` plus one line here
 * (see docs/architecture.md, "Adding a method").
 *
 * @module
 */
import { ConfigError } from '../core/errors.ts';
import { latentDirectionMethod } from './latent-direction/method.ts';
import { labels4freeMethod } from './labels4free/method.ts';
import { ilsganMethod } from './ilsgan/method.ts';
import { gansegMethod } from './ganseg/method.ts';
import type { AnyMethodSpec } from './spec.ts';

/**
 * The built-in methods. `method: 'latent-direction'` in a run config selects the
 * entry, and with it the config type of the method's block.
 *
 * @example
 * ```ts
 * const spec = METHODS['latent-direction']; // MethodSpec<'latent-direction', LatentDirectionConfig, 'generator', DirectionArtifact>
 * ```
 */
export const METHODS = {
  /** Melas-Kyriazi et al. 2021 and Voynov et al. 2021: a latent direction that separates foreground from background. */
  'latent-direction': latentDirectionMethod,
  /** Abdal et al. 2021 (Labels4Free): an alpha branch trained on a frozen StyleGAN2 splits fg from bg. */
  labels4free: labels4freeMethod,
  /** He, Wandt, Rhodin 2022 (GANSeg): a part generator trained from unlabeled images gives K + 1-class part masks. */
  ganseg: gansegMethod,
  /** Zou et al. 2023 (ILSGAN): a layered GAN trained from unlabeled images with an independence (MI) loss gives fg masks. */
  ilsgan: ilsganMethod,
} as const satisfies Readonly<Record<string, AnyMethodSpec>>;

/** A table of methods by name (the built-in {@link METHODS}, or an extension of it). */
export type MethodTable = Readonly<Record<string, AnyMethodSpec>>;

/**
 * The name of a built-in method.
 *
 * @example
 * ```ts
 * const m: MethodName = 'latent-direction';
 * ```
 */
export type MethodName = keyof typeof METHODS;

/**
 * A method table with more methods (e.g. one defined in a notebook or a test); a name that is
 * already in the table is a {@link ConfigError}.
 *
 * @example
 * ```ts
 * const table = withMethods(METHODS, centreEllipseMethod);
 * await runMethodPipeline(cfg, { methods: table });
 * ```
 */
export const withMethods = <T extends MethodTable, M extends AnyMethodSpec>(table: T, ...specs: readonly M[]): T & Readonly<Record<M['name'], M>> => {
  const out: Record<string, AnyMethodSpec> = { ...table };
  for (const s of specs) {
    if (s.name in out) throw new ConfigError('withMethods', [{ path: 'name', expected: 'a method name not yet in the table', given: JSON.stringify(s.name) }]);
    out[s.name] = s;
  }
  return out as T & Readonly<Record<M['name'], M>>;
};

/**
 * The spec called `name` in `table`, or a {@link ConfigError} listing the known names.
 *
 * @example
 * ```ts
 * const spec = findMethod(METHODS, 'latent-direction');
 * ```
 */
export const findMethod = (table: MethodTable, name: string): AnyMethodSpec => {
  const m = Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
  if (!m) throw new ConfigError('methods', [{ path: 'method', expected: Object.keys(table).join(' | ') || 'a method in the table', given: JSON.stringify(name) }]);
  return m;
};
