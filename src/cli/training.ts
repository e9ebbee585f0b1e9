/**
 * What the training commands (`train-gan`, `train-segmenter`) share and no other layer
 * needs: their arguments (`[--config file] [--resume dir] [key=value …]`, split by the
 * one argv splitter), the backend choice of their configs, the config a resumed run
 * starts from, the terminal progress bar and Ctrl-C handling. Not a command: commands
 * import it, it imports no command.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as t from 'io-ts';
import cliProgress from 'cli-progress';
import { ConfigError } from '../core/errors.ts';
import { loadLatestCheckpoint } from '../train/checkpoint.ts';
import type { TrainEventHandler } from '../train/events.ts';
import { commandConfig, expectArgs, splitArgs, UsageError } from './args.ts';
import { deepMerge } from './config.ts';
import { cliOutput, type CliOutput } from './output.ts';

/**
 * Backends the CLI accepts.
 *
 * @example
 * ```ts
 * const Cfg = t.type({ backend: BackendChoice });
 * ```
 */
export const BackendChoice = t.union([t.literal('auto'), t.literal('tensorflow'), t.literal('native'), t.literal('wasm'), t.literal('cpu')]);

/** Parsed arguments of a training command. */
export interface TrainArgs {
  /** `--config <file>` (JSON or YAML). */
  readonly config: string | undefined;
  /** `--resume <run folder>`. */
  readonly resume: string | undefined;
  /** `key=value` overrides, in order. */
  readonly overrides: readonly string[];
}

/**
 * Parse `[--config file | -c file] [--resume dir] [key=value …]`; anything else is a {@link ConfigError}.
 *
 * @example
 * ```ts
 * parseTrainArgs(['--config', 'c.yaml', 'train.steps=10'], 'train-gan'); // { config: 'c.yaml', resume: undefined, overrides: ['train.steps=10'] }
 * ```
 */
export const parseTrainArgs = (argv: readonly string[], where: string): TrainArgs => {
  const a = expectArgs(splitArgs(argv.map((x) => (x === '-c' ? '--config' : x))), { flags: ['config', 'resume'], overrides: true }, where);
  return { config: a.flags['config'], resume: a.flags['resume'], overrides: a.overrides };
};

/** What {@link parseMethodTrainingArgs} needs to know of a command. */
export interface MethodTrainingCommand<A> {
  /** The command's name (in messages). */
  readonly name: string;
  /** Its config codec. */
  readonly codec: t.Type<A, unknown, unknown>;
  /** Defaults every config is merged over. */
  readonly defaults: unknown;
  /** File in the output folder that stores the config (what `--resume` starts from). */
  readonly configFile: string;
  /** Presets by name, each an object merged over the defaults (`--preset`). */
  readonly presets: Readonly<Record<string, unknown>>;
  /** Flags that set a config key (`--data x` → `data=x`), by flag name. */
  readonly keyFlags: readonly string[];
}

/**
 * The config of a method's own training command (`train-alpha`, `train-ilsgan`) from
 * `[config file | --config|-c file] [--preset name] [--resume <out>] [--flag value …] [key=value …]`: defaults
 * (or, with `--resume`, the config stored in that folder) ← preset ← file ← overrides ← flags. An unknown
 * flag or preset is a `UsageError`, a `--resume` folder without the stored config a {@link ConfigError}.
 *
 * @example
 * ```ts
 * const { cfg, resume } = parseMethodTrainingArgs(argv, { name: 'train-ilsgan', codec, defaults, configFile: 'train-ilsgan.json', presets, keyFlags: ['data'] });
 * ```
 */
export const parseMethodTrainingArgs = <A>(argv: readonly string[], c: MethodTrainingCommand<A>): { cfg: A; resume: boolean } => {
  const a = expectArgs(splitArgs(argv.map((x) => (x === '-c' ? '--config' : x))), { flags: [...c.keyFlags, 'preset', 'resume', 'config'], positional: 1, overrides: true }, c.name);
  const file = a.flags['config'] ?? a.positional[0], resume = a.flags['resume'], preset = a.flags['preset'];
  const names = Object.keys(c.presets);
  if (preset !== undefined && !names.includes(preset)) throw new UsageError(c.name, [{ path: '--preset', expected: names.join(' | '), given: preset }]);
  let base: unknown = c.defaults;
  if (resume !== undefined) {
    const stored = path.join(resume, c.configFile);
    if (!existsSync(stored)) throw new ConfigError(c.name, [{ path: '--resume', expected: `a ${c.name} output folder (with ${c.configFile})`, given: JSON.stringify(resume) }]);
    base = deepMerge(c.defaults, JSON.parse(readFileSync(stored, 'utf8')) as unknown);
  }
  if (preset !== undefined) base = deepMerge(base, c.presets[preset]);
  const flags = [
    ...(resume !== undefined ? [`out=${resume}`] : []),
    ...c.keyFlags.flatMap((f) => (a.flags[f] !== undefined ? [`${f}=${a.flags[f]}`] : [])),
  ];
  return { cfg: commandConfig(c.codec, file, [...a.overrides, ...flags], base, c.name), resume: resume !== undefined };
};

/**
 * The config to start from when resuming without `--config`: the one stored in the run's newest checkpoint.
 *
 * @example
 * ```ts
 * const base = resumeBaseConfig('runs/shapes-gan'); // { out, backend, model, data, train }
 * ```
 */
export const resumeBaseConfig = (runDir: string): unknown => {
  // A corrupt newest checkpoint is skipped (the run resumes from the one before): say which, on stderr.
  const onSkip = (dir: string, e: Error): void => console.error(`resume: skipping the corrupt checkpoint ${dir} (${e.message}); falling back to an older one`);
  const ck = loadLatestCheckpoint(path.join(runDir, 'checkpoints'), 'step-', onSkip) ?? loadLatestCheckpoint(runDir, 'step-', onSkip);
  if (!ck) throw new ConfigError('--resume', [{ path: '<argv>', expected: 'a run folder with a complete checkpoint', given: JSON.stringify(runDir) }]);
  return (ck.meta as { config?: unknown }).config ?? {};
};

/**
 * A {@link TrainEventHandler} that draws a progress bar with rate and ETA when `out.bars`
 * (a terminal, no `NO_COLOR`, `TERM` not `dumb`, not `--quiet`), or else prints a plain
 * line per log interval (none with `--quiet`; a skipped step is a warning and stays).
 * Call `stop()` at the end.
 *
 * @example
 * ```ts
 * const p = progressReporter('train-gan', ['loss/G', 'loss/D'], 10, cliOutput({ quiet: false }));
 * await trainGan({ ...opts, onEvent: p.onEvent });
 * p.stop();
 * ```
 */
export const progressReporter = (label: string, keys: readonly string[], logEvery = 10, out: CliOutput = cliOutput()): { onEvent: TrainEventHandler; stop: () => void } => {
  const bar = out.bars
    ? new cliProgress.SingleBar(
        { format: `${label} |{bar}| {value}/{total} | {rate} s/step | ETA {eta_formatted} | {scalars}`, hideCursor: true, etaBuffer: 50, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const fmt = (s: Readonly<Record<string, number>>): string => keys.filter((k) => k in s).map((k) => `${k} ${s[k]!.toFixed(4)}`).join(' ');
  const onEvent: TrainEventHandler = (e) => {
    switch (e.type) {
      case 'start':
        if (bar) bar.start(e.totalSteps, e.step, { rate: '-', scalars: '' });
        else out.info(`${label}: ${e.resumedFrom ? `resumed from ${e.resumedFrom} at` : 'starting at'} step ${e.step} of ${e.totalSteps}`);
        break;
      case 'step':
        if (bar) bar.update(e.step, { rate: e.secondsPerStep.toFixed(2), scalars: fmt(e.scalars) });
        else if (e.step % logEvery === 0 || e.step === e.totalSteps) {
          const eta = Math.round(e.secondsPerStep * (e.totalSteps - e.step));
          out.info(`${label}: step ${e.step}/${e.totalSteps} ${e.secondsPerStep.toFixed(2)} s/step ETA ${eta}s ${fmt(e.scalars)}`);
        }
        break;
      case 'checkpoint':
        if (!bar) out.info(`${label}: ${e.kind} checkpoint ${e.path}`);
        break;
      case 'validation':
        out.info(`${label}: validation at step ${e.step}: ${Object.entries(e.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')}`);
        break;
      case 'skipped':
        out.warn(`${label}: step ${e.step} skipped (non-finite in ${e.phase}; ${e.count} so far)`);
        break;
      case 'warning':
        out.warn(`${label}: ${e.message}`);
        break;
      case 'end':
        bar?.stop();
        out.info(`${label}: done at step ${e.step} (${e.seconds.toFixed(1)} s)`);
        break;
      default:
        break;
    }
  };
  return { onEvent, stop: () => bar?.stop() };
};

/**
 * An AbortSignal fired by the first Ctrl-C (the run checkpoints and stops); a second Ctrl-C exits at once.
 *
 * @example
 * ```ts
 * const { signal, dispose } = abortOnSigint();
 * ```
 */
export const abortOnSigint = (): { signal: AbortSignal; dispose: () => void } => {
  const ac = new AbortController();
  const handler = (): void => {
    if (ac.signal.aborted) process.exit(130);
    console.error('\ninterrupted: writing a checkpoint, then stopping (Ctrl-C again to quit now)');
    ac.abort();
  };
  process.on('SIGINT', handler);
  return { signal: ac.signal, dispose: () => process.off('SIGINT', handler) };
};
