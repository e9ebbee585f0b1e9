/**
 * Errors of the training engine.
 *
 * @module
 */
import { GanSegmenterError } from '../core/errors.ts';

/**
 * A training run cannot go on (unwritable output, corrupt checkpoint, …).
 *
 * @example
 * ```ts
 * throw new TrainingError('probeOutput(runs/x)', 'no space left on device');
 * ```
 */
export class TrainingError extends GanSegmenterError {}

/**
 * A loss or gradient became NaN or infinite. The step was not applied, so the
 * weights (and the last checkpoint) are the last good ones.
 *
 * @example
 * ```ts
 * try { await trainGan(opts); } catch (e) { if (e instanceof NonFiniteError) console.log(e.step, e.phase); }
 * ```
 */
export class NonFiniteError extends TrainingError {
  /** The step at which it happened. */
  readonly step: number;
  /** The phase (e.g. `Dmain`, `Gmain`). */
  readonly phase: string;
  /** What was not finite. */
  readonly detail: string;
  constructor(where: string, step: number, phase: string, detail: string, lastCheckpoint?: string) {
    super(where, `non-finite ${detail} in phase ${phase} at step ${step}; the step was not applied and the last checkpoint${lastCheckpoint ? ` (${lastCheckpoint})` : ''} is intact`);
    this.step = step;
    this.phase = phase;
    this.detail = detail;
  }
}
