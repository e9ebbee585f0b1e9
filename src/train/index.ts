/**
 * Method-agnostic training: GAN losses, R1 / path length, EMA, Adam with
 * serializable state, DiffAugment, the phase runner, atomic checkpoints,
 * JSONL/TensorBoard logs and typed progress events.
 *
 * @module
 */
export * from './losses.ts';
export * from './regularizers.ts';
export * from './ema.ts';
export * from './adam.ts';
export * from './augment.ts';
export * from './ada.ts';
export * from './errors.ts';
export * from './events.ts';
export * from './step.ts';
export * from './tensorboard.ts';
export * from './log.ts';
export * from './checkpoint.ts';
export * from './lock.ts';
export * from './loop.ts';
export * from './gan.ts';
export * from './phases.ts';
export * from './tape.ts';
// The step-indexed batchers live in `data/batches.ts`; re-exported here, where the public surface had them.
export { epochBatchIndices, epochBatches } from '../data/batches.ts';
export * from './segmenter.ts';
export * from './pair-chunks.ts';
