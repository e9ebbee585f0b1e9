/**
 * The run loop both trainers share: probe the output folder, resume from the
 * newest complete checkpoint, run steps, log (JSONL + TensorBoard), checkpoint
 * atomically, emit typed events, stop cleanly on abort. Node-only (file I/O).
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';
import * as tf from '@tensorflow/tfjs';
import { listCheckpoints, loadCheckpoint, loadLatestCheckpoint, probeOutput, restoreVariables, saveCheckpoint, type Checkpoint } from './checkpoint.ts';
import { NonFiniteError, TrainingError } from './errors.ts';
import type { TrainEvent, TrainEventHandler, WarningEvent } from './events.ts';
import { acquireRunLock } from './lock.ts';
import { JsonlLogger, TensorBoardWriter, type Scalars } from './log.ts';

/** What one step reports. */
export interface StepOutput {
  /** Named scalars (losses, lr, …). */
  readonly scalars: Scalars;
  /** Phases skipped for non-finite values (policy `skip`). */
  readonly skipped: readonly string[];
}

/** Everything {@link runLoop} needs from a trainer. */
export interface LoopSpec {
  /** For error messages, e.g. `trainGan`. */
  readonly where: string;
  /** Output folder (checkpoints/, samples/, log.jsonl, tb/). */
  readonly out: string;
  /** Total steps. */
  readonly totalSteps: number;
  /** Write a checkpoint every this many steps (and at the end). */
  readonly checkpointEvery: number;
  /** Log scalars every this many steps. */
  readonly logEvery: number;
  /** Checkpoints to keep. */
  readonly keepCheckpoints: number;
  /** The run's config, stored in every checkpoint. */
  readonly config: unknown;
  /** Every tensor a checkpoint holds, by stable name (weights, EMA, optimizer moments). */
  readonly state: () => Readonly<Record<string, tf.Variable>>;
  /** Extra JSON for checkpoints (optimizer step counters, running means, skip counts). */
  readonly meta: () => unknown;
  /** Restore {@link LoopSpec.meta} from a checkpoint. */
  readonly restoreMeta: (meta: unknown) => void;
  /** Run step `step` (0-based). */
  readonly step: (step: number) => StepOutput;
  /** After step `done` steps (1-based count): samples, validation; may write files and emit events. */
  readonly after?: (done: number, emit: TrainEventHandler) => void | Promise<void>;
  /** Resume: `true` = from `out/checkpoints`, a string = a run folder or a checkpoint folder. */
  readonly resume?: boolean | string;
  /** Progress events. */
  readonly onEvent?: TrainEventHandler;
  /** Stop (after writing a checkpoint) when aborted. */
  readonly signal?: AbortSignal;
  /** Test hook passed to {@link saveCheckpoint}. */
  readonly beforeCommit?: () => void;
}

/** Result of a run. */
export interface RunResult {
  /** Steps completed. */
  readonly step: number;
  /** Seconds this process spent training. */
  readonly seconds: number;
  /** Mean seconds per step in this process. */
  readonly secondsPerStep: number;
  /** Steps skipped for non-finite values (over the whole run, resumes included). */
  readonly skippedSteps: number;
  /** The newest checkpoint. */
  readonly lastCheckpoint: string | undefined;
  /** Scalars of the last step. */
  readonly lastScalars: Scalars;
}

/** Meta kept by the loop itself inside each checkpoint. */
interface LoopMeta {
  readonly config: unknown;
  readonly skippedSteps: number;
  readonly trainer: unknown;
}

const findResume = (spec: LoopSpec, ckRoot: string, onSkip: (dir: string, e: TrainingError) => void): Checkpoint | undefined => {
  if (spec.resume === undefined || spec.resume === false) return undefined;
  if (spec.resume === true) return loadLatestCheckpoint(ckRoot, 'step-', onSkip);
  const fromRun = loadLatestCheckpoint(path.join(spec.resume, 'checkpoints'), 'step-', onSkip);
  if (fromRun) return fromRun;
  const direct = loadLatestCheckpoint(spec.resume, 'step-', onSkip);
  if (direct) return direct;
  return loadCheckpoint(spec.resume); // throws a TrainingError naming the folder
};

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/**
 * Run a training loop with checkpoints, logs and events. While it runs, `out` is locked
 * (`out/.gan-segmenter.lock`, see `lock.ts`): a second run on the same folder fails with a
 * `LockedError`. A corrupt newest checkpoint is skipped on resume with a `warning` event naming
 * it; a checkpoint folder deleted mid-run is recreated at the next checkpoint (a `warning` event);
 * a non-finite step under policy `stop` ends the run with a {@link NonFiniteError} naming `out`
 * and the last good checkpoint.
 *
 * @example
 * ```ts
 * const r = await runLoop({ where: 'myTrainer', out: 'runs/a', totalSteps: 1000, checkpointEvery: 100, logEvery: 10,
 *   keepCheckpoints: 3, config, state: () => ({ 'w/0': w }), meta: () => ({}), restoreMeta: () => {}, step: (s) => ({ scalars: { loss: 0 }, skipped: [] }) });
 * ```
 */
export const runLoop = async (spec: LoopSpec): Promise<RunResult> => {
  // 'start' is always the first event: warnings from before it (stale lock, corrupt checkpoint) follow it.
  let started = false;
  const early: TrainEvent[] = [];
  const emit: TrainEventHandler = (e: TrainEvent) => {
    if (!started && e.type !== 'start') { early.push(e); return; }
    spec.onEvent?.(e);
    if (e.type === 'start') {
      started = true;
      for (const w of early.splice(0)) spec.onEvent?.(w);
    }
  };
  const warn = (kind: WarningEvent['kind'], file: string, message: string): void => {
    emit({ type: 'warning', kind, path: file, message });
    // Without a listener the warning must still be seen; a listener (the CLI's reporter) prints it itself.
    if (!spec.onEvent) process.emitWarning(message, { type: 'GanSegmenterWarning', code: kind });
  };
  const lock = acquireRunLock(spec.out, {
    command: spec.where,
    onStale: (file, holder) => warn('stale-lock', file, `${spec.where}: took over the stale lock ${file}${holder ? ` of pid ${holder.pid} (not running)` : ''}`),
  });
  try {
    return await runLocked(spec, emit, warn);
  } finally {
    lock.release();
  }
};

const runLocked = async (spec: LoopSpec, emit: TrainEventHandler, warn: (kind: WarningEvent['kind'], file: string, message: string) => void): Promise<RunResult> => {
  const ckRoot = path.join(spec.out, 'checkpoints');
  // We hold the folder's lock, so temp checkpoints and probes here are leftovers of killed runs.
  for (const [dir, prefix] of [[ckRoot, '.tmp-'], [spec.out, '.probe-']] as const) {
    if (fs.existsSync(dir)) for (const n of fs.readdirSync(dir)) if (n.startsWith(prefix)) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
  }
  const stateBytes = Object.values(spec.state()).reduce((s, v) => s + v.size * 4, 0);
  probeOutput(spec.out, stateBytes + 4096);
  let start = 0;
  let skippedSteps = 0;
  let lastCheckpoint: string | undefined;
  const resumed = findResume(spec, ckRoot, (dir, e) => warn('corrupt-checkpoint', dir, `${spec.where}: skipping the corrupt checkpoint ${dir} (${e.message}); falling back to an older one`));
  if (resumed) {
    restoreVariables(resumed, spec.state());
    const m = resumed.meta as LoopMeta;
    spec.restoreMeta(m.trainer);
    skippedSteps = m.skippedSteps;
    start = resumed.step;
    lastCheckpoint = resumed.dir;
  } else if (spec.resume !== undefined && spec.resume !== false && spec.resume !== true) {
    throw new TrainingError(`${spec.where}(resume ${spec.resume})`, 'no complete checkpoint found');
  } else if (!spec.resume && listCheckpoints(ckRoot).length > 0) {
    throw new TrainingError(`${spec.where}(${spec.out})`, 'the output folder already holds checkpoints: resume it, or choose another output folder');
  }
  const jsonl = new JsonlLogger(path.join(spec.out, 'log.jsonl'));
  if (resumed) jsonl.truncateAfter(start);
  const tb = new TensorBoardWriter(path.join(spec.out, 'tb'));
  const save = (step: number): void => {
    if (lastCheckpoint !== undefined && !fs.existsSync(ckRoot)) {
      warn('checkpoints-recreated', ckRoot, `${spec.where}: the checkpoint folder ${ckRoot} vanished during the run; recreating it (checkpoints before step ${step} are lost)`);
    }
    const meta: LoopMeta = { config: spec.config, skippedSteps, trainer: spec.meta() };
    lastCheckpoint = saveCheckpoint(ckRoot, step, spec.state(), meta, { keep: spec.keepCheckpoints, beforeCommit: spec.beforeCommit });
    emit({ type: 'checkpoint', step, path: lastCheckpoint, kind: 'last' });
  };
  emit({ type: 'start', step: start, totalSteps: spec.totalSteps, ...(resumed ? { resumedFrom: resumed.dir } : {}) });
  const t0 = performance.now();
  let lastScalars: Scalars = {};
  let step = start;
  while (step < spec.totalSteps) {
    if (spec.signal?.aborted) break;
    let out: StepOutput;
    try {
      out = spec.step(step);
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      throw new NonFiniteError(`${spec.where}(${spec.out})`, e.step, e.phase, e.detail, lastCheckpoint);
    }
    step += 1;
    lastScalars = out.scalars;
    if (out.skipped.length > 0) {
      skippedSteps += 1;
      for (const phase of out.skipped) emit({ type: 'skipped', step, phase, count: skippedSteps });
    }
    const secondsPerStep = (performance.now() - t0) / 1000 / (step - start);
    if (step % spec.logEvery === 0 || step === spec.totalSteps) {
      const scalars = { ...out.scalars, 'time/secondsPerStep': secondsPerStep };
      jsonl.write(step, scalars);
      tb.scalars(step, scalars);
    }
    emit({ type: 'step', step, totalSteps: spec.totalSteps, scalars: out.scalars, secondsPerStep });
    await spec.after?.(step, emit);
    if (step % spec.checkpointEvery === 0 || step === spec.totalSteps) save(step);
    await yieldToEventLoop();
  }
  if (spec.signal?.aborted && step > start && !(step % spec.checkpointEvery === 0)) save(step);
  const seconds = (performance.now() - t0) / 1000;
  emit({ type: 'end', step, seconds });
  return { step, seconds, secondsPerStep: step > start ? seconds / (step - start) : 0, skippedSteps, lastCheckpoint, lastScalars };
};

/**
 * Name a module's variables `prefix/0`, `prefix/1`, … for checkpoints.
 *
 * @example
 * ```ts
 * const state = { ...namedVariables('G', g.variables()), ...namedVariables('D', d.variables()) };
 * ```
 */
export const namedVariables = (prefix: string, vars: readonly tf.Variable[]): Record<string, tf.Variable> =>
  Object.fromEntries(vars.map((v, i) => [`${prefix}/${i}`, v]));
