/**
 * Typed progress events of a training run, for library users, notebooks and
 * the CLI's progress bar.
 *
 * @module
 */

/** A run started (or resumed). */
export interface StartEvent {
  /** Discriminant. */
  readonly type: 'start';
  /** First step to run (0, or the resumed checkpoint's step). */
  readonly step: number;
  /** Total steps of the run. */
  readonly totalSteps: number;
  /** The checkpoint resumed from, if any. */
  readonly resumedFrom?: string;
}
/** A step finished. */
export interface StepEvent {
  /** Discriminant. */
  readonly type: 'step';
  /** Steps completed so far. */
  readonly step: number;
  /** Total steps of the run. */
  readonly totalSteps: number;
  /** Named scalars of this step (losses, penalties, lr). */
  readonly scalars: Readonly<Record<string, number>>;
  /** Mean seconds per step since the run (re)started. */
  readonly secondsPerStep: number;
}
/** A checkpoint was written. */
export interface CheckpointEvent {
  /** Discriminant. */
  readonly type: 'checkpoint';
  /** Step. */
  readonly step: number;
  /** Its directory. */
  readonly path: string;
  /** 'last' for periodic checkpoints, 'best' for best-validation ones. */
  readonly kind: 'last' | 'best';
}
/** A sample grid was written. */
export interface SamplesEvent {
  /** Discriminant. */
  readonly type: 'samples';
  /** Step. */
  readonly step: number;
  /** PNG path. */
  readonly path: string;
}
/** A validation finished. */
export interface ValidationEvent {
  /** Discriminant. */
  readonly type: 'validation';
  /** Step. */
  readonly step: number;
  /** Metrics by name. */
  readonly metrics: Readonly<Record<string, number>>;
}
/** A step was skipped because of a non-finite loss or gradient (policy `skip`). */
export interface SkippedEvent {
  /** Discriminant. */
  readonly type: 'skipped';
  /** Step. */
  readonly step: number;
  /** Phase. */
  readonly phase: string;
  /** Skipped steps so far. */
  readonly count: number;
}
/**
 * Something the user should know that did not stop the run: a stale lock taken over, a corrupt
 * checkpoint skipped on resume (the run fell back to an older one), the checkpoint folder
 * recreated after it vanished. Also sent to `process.emitWarning` (stderr by default) when the run has no `onEvent` handler.
 */
export interface WarningEvent {
  /** Discriminant. */
  readonly type: 'warning';
  /** What happened. */
  readonly kind: 'stale-lock' | 'corrupt-checkpoint' | 'checkpoints-recreated';
  /** The file or folder concerned. */
  readonly path: string;
  /** One line, naming the path. */
  readonly message: string;
}
/** The run finished. */
export interface EndEvent {
  /** Discriminant. */
  readonly type: 'end';
  /** Final step. */
  readonly step: number;
  /** Seconds this process trained. */
  readonly seconds: number;
}

/**
 * Any training event.
 *
 * @example
 * ```ts
 * await trainGan({ ...opts, onEvent: (e) => { if (e.type === 'step') console.log(e.step, e.scalars); } });
 * ```
 */
export type TrainEvent = StartEvent | StepEvent | CheckpointEvent | SamplesEvent | ValidationEvent | SkippedEvent | WarningEvent | EndEvent;

/** A consumer of {@link TrainEvent}s. */
export type TrainEventHandler = (e: TrainEvent) => void;

/**
 * Turn a callback-style run into an async iterator of its events (for
 * notebooks: `for await (const e of eventStream(...))`). The run's error, if
 * any, is thrown from the iterator after the events before it.
 *
 * @example
 * ```ts
 * for await (const e of eventStream((onEvent) => trainGan({ ...opts, onEvent }))) {
 *   if (e.type === 'step' && e.step % 100 === 0) console.log(e.step, e.scalars['loss/G']);
 * }
 * ```
 */
export async function* eventStream(run: (onEvent: TrainEventHandler) => Promise<unknown>): AsyncGenerator<TrainEvent, void, undefined> {
  const queue: TrainEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  let failure: { error: unknown } | undefined;
  const p = run((e) => {
    queue.push(e);
    wake?.();
  }).then(
    () => { done = true; wake?.(); },
    (error: unknown) => { failure = { error }; done = true; wake?.(); },
  );
  while (true) {
    if (queue.length > 0) {
      yield queue.shift()!;
      continue;
    }
    if (done) break;
    await new Promise<void>((r) => { wake = r; });
    wake = undefined;
  }
  await p;
  if (failure) throw failure.error;
}
