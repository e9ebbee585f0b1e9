/**
 * A conditional generator fixed to one class, for code that samples without
 * classes (a method's mask source, the pipeline): BigGAN-deep and BigGAN need one.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import type { Generator, SynthesizeOptions, SynthesizeResult } from '../generator.ts';

/**
 * `g` drawing class `classIndex` whenever `synthesize` is given no classes. The result
 * looks unconditional (`numClasses` undefined), its id is `<g.id>:class<c>` (so a direction
 * found for one class is refused for another), and disposing it disposes `g`.
 *
 * @example
 * ```ts
 * const horse = withDefaultClass(loadGenerator('biggan-deep-128'), 339); // ImageNet 'sorrel'
 * const { images } = horse.synthesize(horse.sampleLatent(4, new Rng(0)));
 * ```
 */
export const withDefaultClass = (g: Generator, classIndex: number): Generator => {
  const where = `withDefaultClass(${g.id})`;
  if (g.numClasses === undefined) throw new ConfigError(where, [{ path: 'class', expected: 'no class: the generator is unconditional', given: String(classIndex) }]);
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= g.numClasses) {
    throw new ConfigError(where, [{ path: 'class', expected: `an integer in [0, ${g.numClasses})`, given: String(classIndex) }]);
  }
  const classesFor = (n: number): readonly number[] => new Array<number>(n).fill(classIndex);
  const mapToW = g.mapToW?.bind(g), meanW = g.meanW?.bind(g);
  return {
    id: `${g.id}:class${classIndex}`,
    latentDim: g.latentDim,
    resolution: g.resolution,
    ...(g.wDim === undefined ? {} : { wDim: g.wDim }),
    sampleLatent: (n: number, rng: Rng): tf.Tensor2D => g.sampleLatent(n, rng),
    synthesize: (latents: tf.Tensor2D, options: SynthesizeOptions = {}): SynthesizeResult =>
      g.synthesize(latents, { ...options, classes: options.classes ?? classesFor(latents.shape[0]) }),
    ...(mapToW === undefined ? {} : {
      mapToW: (z: tf.Tensor2D, options: { classes?: tf.Tensor1D | readonly number[] } = {}): tf.Tensor2D =>
        mapToW(z, { ...options, classes: options.classes ?? classesFor(z.shape[0]) }),
    }),
    ...(meanW === undefined ? {} : { meanW }),
    variables: () => g.variables(),
    dispose: () => g.dispose(),
  };
};
