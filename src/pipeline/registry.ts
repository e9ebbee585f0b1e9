/**
 * The method registry: every segmentation method plugs into the pipeline the
 * same way — a config decoder and a `prepare` that turns a generator into a
 * {@link MaskSourceArtifact}. Labels4Free, ILSGAN and GANSeg register here later.
 *
 * @module
 */
import type * as E from 'fp-ts/lib/Either.js';
import type { ConfigError } from '../core/errors.ts';
import { ConfigError as ConfigErrorClass } from '../core/errors.ts';
import type { Generator } from '../models/generator.ts';
import type { Json, MaskSourceArtifact, PipelineContext } from './types.ts';

/** A method the pipeline can run. */
export interface SegmentationMethod<C> {
  /** Registry name (`latent-direction`). */
  readonly name: string;
  /** Paper (title and URL). */
  readonly paper: string;
  /** Decode a user config (partial configs take the paper defaults). */
  decodeConfig(input: unknown): E.Either<ConfigError, C>;
  /** The config as JSON (for reports). */
  configRecord(config: C): Json;
  /** Do the method's work on a generator (e.g. optimise the direction) and return its mask source. */
  prepare(generator: Generator, config: C, ctx: PipelineContext): Promise<MaskSourceArtifact>;
}

/**
 * A name → method map.
 *
 * @example
 * ```ts
 * const m = defaultRegistry.get('latent-direction');
 * ```
 */
export class MethodRegistry {
  private readonly methods = new Map<string, SegmentationMethod<unknown>>();

  /** Add a method (a second one with the same name is an error). */
  register<C>(method: SegmentationMethod<C>): this {
    if (this.methods.has(method.name)) throw new ConfigErrorClass('MethodRegistry.register', [{ path: 'name', expected: 'a new method name', given: JSON.stringify(method.name) }]);
    this.methods.set(method.name, method as SegmentationMethod<unknown>);
    return this;
  }

  /** The method called `name`, or a {@link ConfigError} listing the known names. */
  get(name: string): SegmentationMethod<unknown> {
    const m = this.methods.get(name);
    if (!m) throw new ConfigErrorClass('MethodRegistry.get', [{ path: 'method', expected: [...this.methods.keys()].join(' | ') || 'a registered method', given: JSON.stringify(name) }]);
    return m;
  }

  /** Registered names. */
  names(): string[] {
    return [...this.methods.keys()];
  }
}
